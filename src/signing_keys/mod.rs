//! The server's keys for signing webhooks: ES512 (ECDSA over P-521 with SHA-512), as Griffin
//! signs. The first key is made on first start and kept in the database; its private half is
//! never served or logged (`SigningKey`'s `Debug` shows the key id only). The public halves
//! are published as a JWKS. Rotation makes a new key current and keeps the previous one
//! published for an overlap, so receivers that cache the JWKS still verify what is in flight.

pub mod handlers;
pub mod view;

use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::dispatch;
use crate::store::schema::signing_keys;
use crate::store::{Conn, Db, StoreError};
use crate::time::{self, Micros};

pub use view::Jwks;

/// A key that signs: its id (the `keyid` and label of every signature it makes) and pair.
pub struct SigningKey {
    pub kid: String,
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

/// Signing failed inside the crypto library (it does not say why).
#[derive(Debug, thiserror::Error)]
#[error("signing with {0} failed")]
pub struct SigningFailed(String);

impl SigningKey {
    /// The ES512 signature of `message`: r ‖ s, 66 bytes each, as RFC 9421 and JWS want.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SigningFailed> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .map(|signature| signature.as_ref().to_vec())
            .map_err(|_| SigningFailed(self.kid.clone()))
    }

    fn from_row(row: &KeyRow) -> Result<Self, StoreError> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, &row.private_pkcs8)
            .map_err(|e| StoreError::Integrity(format!("signing key {}: {e}", row.kid)))?;
        Ok(SigningKey {
            kid: row.kid.clone(),
            pair,
        })
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys, treat_none_as_default_value = false)]
struct KeyRow {
    kid: String,
    private_pkcs8: Vec<u8>,
    public_point: Vec<u8>,
    created_at: Micros,
    retired_at: Option<Micros>,
    published_until: Option<Micros>,
}

/// A published public key: its id and its uncompressed point (0x04 ‖ x ‖ y).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signing_keys)]
pub struct PublicKeyRow {
    pub kid: String,
    pub public_point: Vec<u8>,
}

/// The current key; made if there is none (two servers starting together make the same
/// first key id, and only one insert lands).
pub async fn current(db: &Db) -> Result<SigningKey, StoreError> {
    if let Some(row) = newest(db).await? {
        return SigningKey::from_row(&row);
    }
    let now = time::now();
    let row = generate(&kid_for(now, 1), now)?;
    db.transaction(async |conn| insert_if_absent(conn, &row).await)
        .await??;
    let row = newest(db)
        .await?
        .ok_or_else(|| StoreError::Integrity("no signing key after creating one".to_string()))?;
    SigningKey::from_row(&row)
}

/// The current key's id, to notice a rotation made by another process.
pub async fn current_kid(db: &Db) -> Result<Option<String>, StoreError> {
    Ok(newest(db).await?.map(|row| row.kid))
}

async fn newest(db: &Db) -> Result<Option<KeyRow>, StoreError> {
    let mut conn = db.read().await?;
    let mut conn = conn.conn();
    Ok(dispatch!(&mut conn, c => signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select(KeyRow::as_select())
        .first(c)
        .await
        .optional())?)
}

/// Makes a new current key and retires the others, which stay published for `overlap`.
/// Returns the new key's id.
pub async fn rotate(db: &Db, overlap: Duration) -> Result<String, StoreError> {
    let now = time::now();
    let made_today = db
        .transaction(async |conn| -> Result<String, StoreError> {
            let today = format!("hyperbank-{}-%", &time::format(now)[..10]);
            let count: i64 = dispatch!(conn, c => signing_keys::table
                .filter(signing_keys::kid.like(today))
                .count()
                .get_result(c)
                .await)?;
            let row = generate(&kid_for(now, count + 1), now)?;
            let until = now + time::micros(overlap);
            dispatch!(conn, c => diesel::update(signing_keys::table)
                .filter(signing_keys::retired_at.is_null())
                .set((signing_keys::retired_at.eq(now), signing_keys::published_until.eq(until)))
                .execute(c)
                .await)?;
            insert_if_absent(conn, &row).await?;
            Ok(row.kid)
        })
        .await??;
    Ok(made_today)
}

/// The keys a receiver may meet: the current one and retired ones still in their overlap.
pub async fn published(conn: &mut Conn<'_>, now: Micros) -> QueryResult<Vec<PublicKeyRow>> {
    dispatch!(conn, c => signing_keys::table
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::published_until.gt(now)),
        )
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select(PublicKeyRow::as_select())
        .load(c)
        .await)
}

/// `hyperbank-2026-12-03-1`: the date the key was made and its number that day, as Griffin
/// names its keys.
fn kid_for(now: Micros, number: i64) -> String {
    let date = time::format(now);
    format!("hyperbank-{}-{number}", &date[..10])
}

fn generate(kid: &str, now: Micros) -> Result<KeyRow, StoreError> {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, &rng)
        .map_err(|e| StoreError::Integrity(format!("cannot generate a signing key: {e}")))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P521_SHA512_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|e| StoreError::Integrity(format!("cannot read a new signing key: {e}")))?;
    Ok(KeyRow {
        kid: kid.to_string(),
        private_pkcs8: pkcs8.as_ref().to_vec(),
        public_point: pair.public_key().as_ref().to_vec(),
        created_at: now,
        retired_at: None,
        published_until: None,
    })
}

async fn insert_if_absent(conn: &mut Conn<'_>, row: &KeyRow) -> QueryResult<()> {
    dispatch!(conn, c => diesel::insert_into(signing_keys::table)
        .values(row.clone())
        .on_conflict_do_nothing()
        .execute(c)
        .await)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ids_name_the_day_and_its_number() {
        let at = time::parse("2026-12-03T10:00:00Z").expect("a datetime");
        assert_eq!(kid_for(at, 2), "hyperbank-2026-12-03-2");
    }

    #[test]
    fn signatures_are_fixed_width_and_verify() {
        let row = generate("k", time::now()).expect("a key");
        let key = SigningKey::from_row(&row).expect("it loads");
        let signature = key.sign(b"message").expect("it signs");
        assert_eq!(signature.len(), 132);
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED,
            &row.public_point,
        );
        assert!(public.verify(b"message", &signature).is_ok());
        assert!(public.verify(b"messagE", &signature).is_err());
        assert_eq!(format!("{key:?}"), "SigningKey { kid: \"k\" }");
    }
}
