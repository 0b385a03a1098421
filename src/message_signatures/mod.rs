//! Message signatures on incoming requests (RFC 9421, Ed25519), as Griffin verifies them: an
//! organization registers Ed25519 public keys (ours: Griffin registers them in its web app),
//! each key's id is the `keyid` its signatures name, and a request made with one of the
//! organization's API keys that carries `Signature-Input` and `Signature` is verified
//! ([`verify`]) before its handler runs. An organization may require signatures of every
//! request made with its API keys (`message-signatures-required?`, off by default, as in
//! Griffin's sandbox).
//!
//! A nonce is accepted once per key while its signature is valid: nonces are recorded in the
//! database (several server processes share it), and a key's expired ones are pruned when it
//! records its next.

pub mod handlers;
pub mod rfc9421;
pub mod structured;
pub mod view;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use ed25519_dalek::VerifyingKey;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::pkcs8::spki::{SubjectPublicKeyInfoRef, der};

use crate::dispatch;
use crate::error::{DomainError, DomainResult};
use crate::ids::{MessageSignatureKeyId, OrganizationId, UserId};
use crate::paginate;
use crate::paging::{Cursor, Page, PageRequest};
use crate::store::schema::organizations;
use crate::store::schema::{message_signature_keys as keys, message_signature_nonces as nonces};
use crate::store::{Conn, Db};
use crate::time::{self, MICROS_PER_SECOND, Micros};
use rfc9421::{Candidate, Message, Refusal};

pub use view::{KeyView, SettingsView};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = keys, treat_none_as_default_value = false)]
pub struct KeyRow {
    pub id: MessageSignatureKeyId,
    pub organization_id: OrganizationId,
    pub public_key_pem: String,
    pub public_key: String,
    pub created_by_user_id: UserId,
    pub created_at: Micros,
}

impl crate::access::Owned for KeyRow {
    type Kind = crate::ids::MessageSignatureKeyKind;

    async fn find(conn: &mut Conn<'_>, id: &MessageSignatureKeyId) -> QueryResult<Option<Self>> {
        find(conn, id).await
    }

    fn organization_id(&self) -> &OrganizationId {
        &self.organization_id
    }
}

impl KeyRow {
    fn verifying_key(&self) -> Option<VerifyingKey> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&self.public_key)
            .ok()?;
        VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
    }
}

/// An Ed25519 public key as registered: the PEM of a SubjectPublicKeyInfo, checked.
pub struct PublicKey {
    pem: String,
    key: VerifyingKey,
}

const PEM_POINTER: &str = "/public-key-pem";

impl PublicKey {
    /// Parses `pem`: 400 if it is no PEM public key, 422 `unsupported-key-type` if it is
    /// another algorithm's key (RSA, EC, …).
    pub fn parse(pem: &str) -> DomainResult<Self> {
        let malformed = |why: &str| {
            DomainError::invalid_value(
                format!("`public-key-pem` must be an Ed25519 public key in PEM ({why})."),
                PEM_POINTER,
            )
        };
        let (label, der) = der::pem::decode_vec(pem.trim().as_bytes())
            .map_err(|_| malformed("no `-----BEGIN PUBLIC KEY-----` block could be read"))?;
        if label != "PUBLIC KEY" {
            return Err(malformed(&format!(
                "found a `{label}` block; register the public key only"
            )));
        }
        let info = SubjectPublicKeyInfoRef::try_from(der.as_slice())
            .map_err(|_| malformed("the block is not a SubjectPublicKeyInfo"))?;
        let oid = info.algorithm.oid;
        if oid != ed25519_dalek::pkcs8::ALGORITHM_OID {
            let kind = match oid.to_string().as_str() {
                "1.2.840.113549.1.1.1" => "an RSA".to_string(),
                "1.2.840.10045.2.1" => "an elliptic-curve (ECDSA)".to_string(),
                "1.3.101.113" => "an Ed448".to_string(),
                "1.3.101.110" => "an X25519".to_string(),
                other => format!("a {other}"),
            };
            return Err(DomainError::unprocessable(
                "unsupported-key-type",
                format!("This is {kind} key; message signatures use Ed25519 keys only."),
            )
            .at(PEM_POINTER));
        }
        let key = VerifyingKey::from_public_key_der(&der)
            .map_err(|_| malformed("the key is not a valid Ed25519 point"))?;
        Ok(PublicKey {
            pem: pem.trim().to_string() + "\n",
            key,
        })
    }
}

pub async fn find(conn: &mut Conn<'_>, id: &MessageSignatureKeyId) -> QueryResult<Option<KeyRow>> {
    dispatch!(conn, c => keys::table
        .find(id)
        .select(KeyRow::as_select())
        .first(c)
        .await
        .optional())
}

/// Registers `key` for the organization; 409 if it has it already.
pub async fn create(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    user_id: &UserId,
    key: PublicKey,
) -> DomainResult<KeyRow> {
    use base64::Engine;
    let row = KeyRow {
        id: MessageSignatureKeyId::generate(),
        organization_id: organization_id.clone(),
        public_key_pem: key.pem,
        public_key: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.key.as_bytes()),
        created_by_user_id: user_id.clone(),
        created_at: time::now(),
    };
    dispatch!(conn, c => diesel::insert_into(keys::table).values(&row).execute(c).await).map_err(
        |error| {
            if crate::store::is_unique_violation(&error) {
                DomainError::conflict(
                    "message-signature-key-exists",
                    "This public key is already registered for the organization.",
                )
            } else {
                error.into()
            }
        },
    )?;
    Ok(row)
}

async fn count(conn: &mut Conn<'_>, organization_id: &OrganizationId) -> QueryResult<i64> {
    dispatch!(conn, c => keys::table
        .filter(keys::organization_id.eq(organization_id))
        .count()
        .get_result(c)
        .await)
}

/// Deletes a key (its nonces go with it). The last key of an organization that requires
/// signatures stays (422): its API keys could no longer make any request.
pub async fn delete(conn: &mut Conn<'_>, row: &KeyRow) -> DomainResult<()> {
    if required(conn, &row.organization_id).await? && count(conn, &row.organization_id).await? <= 1
    {
        return Err(DomainError::unprocessable(
            "message-signature-key-in-use",
            "This is the organization's last message signature key and it requires signed \
             requests: register another key or turn `message-signatures-required?` off first.",
        ));
    }
    dispatch!(conn, c => diesel::delete(keys::table.find(&row.id)).execute(c).await)?;
    Ok(())
}

pub async fn list(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    page: &PageRequest,
) -> QueryResult<Page<KeyRow>> {
    let rows = dispatch!(conn, c => {
        let query = keys::table
            .filter(keys::organization_id.eq(organization_id))
            .select(KeyRow::as_select())
            .into_boxed();
        paginate!(query, keys::created_at, keys::id, page).load(c).await
    })?;
    Ok(Page::from_rows(rows, page, |row| {
        Cursor::new(row.created_at, row.id.as_str())
    }))
}

/// Whether the organization requires its API keys' requests to be signed.
pub async fn required(conn: &mut Conn<'_>, organization_id: &OrganizationId) -> QueryResult<bool> {
    dispatch!(conn, c => organizations::table
        .find(organization_id)
        .select(organizations::message_signatures_required)
        .first(c)
        .await)
}

/// Sets whether signatures are required; requiring them needs a registered key (422).
pub async fn set_required(
    conn: &mut Conn<'_>,
    organization_id: &OrganizationId,
    require: bool,
) -> DomainResult<()> {
    if require && count(conn, organization_id).await? == 0 {
        return Err(DomainError::unprocessable(
            "no-message-signature-keys",
            "Register a message signature key before requiring signed requests.",
        )
        .at("/message-signatures-required?"));
    }
    dispatch!(conn, c => diesel::update(organizations::table.find(organization_id))
        .set(organizations::message_signatures_required.eq(require))
        .execute(c)
        .await)?;
    Ok(())
}

/// A signature that verified.
#[derive(Debug, Clone)]
pub struct Verified {
    pub label: String,
    pub key_id: MessageSignatureKeyId,
    pub components: Vec<String>,
    pub digest_checked: bool,
}

/// Verifies the request's signatures at `now`: one that verifies with a key of
/// `organization` (any organization's when `None`) and whose nonce is new suffices. `Err`
/// inside says why none did.
pub async fn verify(
    db: &Db,
    message: &Message<'_>,
    organization: Option<&OrganizationId>,
    now: Micros,
) -> DomainResult<Result<Verified, Refusal>> {
    let candidates = match rfc9421::candidates(message) {
        Ok(found) if found.is_empty() => {
            return Ok(Err(Refusal::new(
                "The request is not signed: it has no Signature-Input header.",
            )));
        }
        Ok(found) => found,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Err(refusal) = rfc9421::check_content_digest(message) {
        return Ok(Err(refusal));
    }
    let mut refusals = Vec::new();
    for candidate in &candidates {
        let checked = {
            let mut conn = db.read().await?;
            check(&mut conn.conn(), message, candidate, organization, now).await?
        };
        let outcome = match checked {
            Ok(key_id) => consume_nonce(db, candidate, key_id, now).await?,
            Err(refusal) => Err(refusal),
        };
        match outcome {
            Ok(key_id) => {
                return Ok(Ok(Verified {
                    label: candidate.label.clone(),
                    key_id,
                    components: candidate.components.clone(),
                    digest_checked: message.header("content-digest").is_some(),
                }));
            }
            Err(refusal) => refusals.push(refusal.0),
        }
    }
    Ok(Err(Refusal::new(refusals.join(" "))))
}

/// One signature's parameters, coverage, key and bytes; the key that verified it.
async fn check(
    conn: &mut Conn<'_>,
    message: &Message<'_>,
    candidate: &Candidate,
    organization: Option<&OrganizationId>,
    now: Micros,
) -> QueryResult<Result<MessageSignatureKeyId, Refusal>> {
    let keyid = match candidate.check_params(now.div_euclid(MICROS_PER_SECOND)) {
        Ok(keyid) => keyid,
        Err(refusal) => return Ok(Err(refusal)),
    };
    if let Err(refusal) = candidate.check_coverage(!message.body.is_empty()) {
        return Ok(Err(refusal));
    }
    let row = match MessageSignatureKeyId::parse(keyid) {
        Some(id) => find(conn, &id).await?,
        None => None,
    };
    let row = row.filter(|row| organization.is_none_or(|own| *own == row.organization_id));
    let Some((row, key)) = row.and_then(|row| row.verifying_key().map(|key| (row, key))) else {
        let whose = if organization.is_some() {
            "of this organization"
        } else {
            "registered here"
        };
        return Ok(Err(Refusal::new(format!(
            "Signature {:?}: keyid {keyid:?} is not a message signature key {whose}.",
            candidate.label
        ))));
    };
    let verified = candidate
        .base(message)
        .and_then(|base| candidate.verify(&key, &base, keyid));
    Ok(verified.map(|()| row.id))
}

/// Records the signature's nonce for its key (pruning the key's expired ones); refused if
/// the key has used it already while it was valid.
async fn consume_nonce(
    db: &Db,
    candidate: &Candidate,
    key_id: MessageSignatureKeyId,
    now: Micros,
) -> DomainResult<Result<MessageSignatureKeyId, Refusal>> {
    let nonce = candidate.params.nonce.clone().unwrap_or_default();
    let expires_at = candidate.params.expires.unwrap_or_default() * MICROS_PER_SECOND;
    let recorded = crate::pipeline::unguarded(db, async |conn| -> DomainResult<usize> {
        dispatch!(conn, c => diesel::delete(
                nonces::table
                    .filter(nonces::key_id.eq(&key_id))
                    .filter(nonces::expires_at.lt(now)),
            )
            .execute(c)
            .await)?;
        let inserted = dispatch!(conn, c => diesel::insert_into(nonces::table)
            .values((
                nonces::key_id.eq(&key_id),
                nonces::nonce.eq(&nonce),
                nonces::expires_at.eq(expires_at),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(inserted)
    })
    .await?;
    if recorded == 0 {
        return Ok(Err(Refusal::new(format!(
            "Signature {:?}: the nonce {nonce:?} was already used with key {key_id}.",
            candidate.label
        ))));
    }
    Ok(Ok(key_id))
}
