//! Typed resource ids: a two-letter prefix, a dot and the base64url (no padding) encoding of
//! 16 bytes, e.g. `og.2To90xd1QV2IdWh1Ay8Epw`.
//!
//! A new id's bytes are the creation time in milliseconds (6 bytes) then 10 random bytes.
//! Ids made around the same time therefore share their first characters and sit side by side
//! in every index keyed by id: a burst of inserts dirties a few index pages rather than one
//! random page per row, which is what each commit has to write (SQLite's write-ahead log,
//! PostgreSQL's full-page images). 80 random bits keep ids unguessable and unique.
//!
//! Ids are stored as their full text form. Anything that does not parse (wrong prefix, bad
//! base64, wrong length) is treated by the HTTP layer exactly like an unknown id: a 404.

use std::fmt;
use std::marker::PhantomData;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

/// Length of the encoded random part: 16 bytes → 22 base64url characters.
const ENCODED_LEN: usize = 22;

/// The ids in `ids`, each once, sorted: what a side-load (`include=…`) or a batch lookup
/// asks the database for.
pub fn distinct<T: Ord>(ids: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut ids: Vec<T> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A kind of resource and the prefix of its ids.
pub trait IdKind {
    const PREFIX: &'static str;
}

/// An id of a resource of kind `K`, always well formed. Stored as its text in a TEXT column,
/// so rows hold typed ids and queries bind them directly.
#[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub struct Id<K> {
    text: String,
    kind: PhantomData<fn() -> K>,
}

impl<K: IdKind> Id<K> {
    /// A fresh id: the time, then random bytes (see the module docs).
    pub fn generate() -> Self {
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_millis() as u64);
        let mut bytes = rand::random::<[u8; 16]>();
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        Self::from_bytes(bytes)
    }

    /// The id whose random part is `bytes`; used for fixed ids such as the built-in roles.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        let mut text = String::with_capacity(K::PREFIX.len() + 1 + ENCODED_LEN);
        text.push_str(K::PREFIX);
        text.push('.');
        URL_SAFE_NO_PAD.encode_string(bytes, &mut text);
        Id {
            text,
            kind: PhantomData,
        }
    }

    /// A fixed id derived from a name: the first 16 bytes of the name's SHA-256. For things
    /// defined in code (built-in roles, each organization's workflows and bank products) whose
    /// ids must stay the same without being stored.
    pub fn derived(name: &str) -> Self {
        let digest = Sha256::digest(name.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self::from_bytes(bytes)
    }

    /// Parses the text form; `None` for anything that is not an id of this kind.
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text.strip_prefix(K::PREFIX)?.strip_prefix('.')?;
        if rest.len() != ENCODED_LEN {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(rest).ok()?;
        // Re-encoding rejects non-canonical spellings (unused trailing bits set), so an id
        // has exactly one text form and lookups by text cannot alias.
        let canonical = Self::from_bytes(bytes.try_into().ok()?);
        (canonical.text == text).then_some(canonical)
    }

    /// Wraps text read back from our own database, which only ever holds generated ids.
    pub fn from_db(text: String) -> Self {
        Id {
            text,
            kind: PhantomData,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl<K> Clone for Id<K> {
    fn clone(&self) -> Self {
        Id {
            text: self.text.clone(),
            kind: PhantomData,
        }
    }
}

impl<K> PartialEq for Id<K> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<K> Eq for Id<K> {}

impl<K> PartialOrd for Id<K> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> Ord for Id<K> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.text.cmp(&other.text)
    }
}

impl<K> PartialEq<String> for Id<K> {
    fn eq(&self, other: &String) -> bool {
        self.text == *other
    }
}

impl<K> PartialEq<str> for Id<K> {
    fn eq(&self, other: &str) -> bool {
        self.text == other
    }
}

impl<K> std::hash::Hash for Id<K> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state)
    }
}

impl<K> fmt::Display for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<K> fmt::Debug for Id<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.text, f)
    }
}

impl<K, DB> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Id<K>
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
            self.text.as_str(),
            out,
        )
    }
}

/// Read back as written: the database only ever holds ids this server generated.
impl<K, DB> diesel::deserialize::FromSql<diesel::sql_types::Text, DB> for Id<K>
where
    K: IdKind,
    DB: diesel::backend::Backend,
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        <String as diesel::deserialize::FromSql<diesel::sql_types::Text, DB>>::from_sql(bytes)
            .map(Id::from_db)
    }
}

impl<K: IdKind> Id<K> {
    /// The 16 bytes the id spells; `None` only for text that never was an id.
    pub fn bytes(&self) -> Option<[u8; 16]> {
        let rest = self.text.strip_prefix(K::PREFIX)?.strip_prefix('.')?;
        URL_SAFE_NO_PAD.decode(rest).ok()?.try_into().ok()
    }

    /// The id of kind `L` with the same 16 bytes (a risk rating's verification).
    pub fn same_bytes<L: IdKind>(&self) -> Option<Id<L>> {
        self.bytes().map(Id::from_bytes)
    }
}

/// A UUID as Griffin writes one (`00000000-0000-0000-0000-000000000000`): parsed in either
/// case, written in lower case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    pub fn parse(text: &str) -> Option<Uuid> {
        let bytes = text.as_bytes();
        if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
            return None;
        }
        let hex: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'-').collect();
        if hex.len() != 32 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let digit = |b: u8| (b as char).to_digit(16).map_or(0, |d| d as u8);
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            out[i] = digit(pair[0]) << 4 | digit(pair[1]);
        }
        Some(Uuid(out))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

macro_rules! id_kinds {
    ($($kind:ident => $alias:ident, $prefix:literal;)*) => {
        $(
            #[derive(Debug, Clone, Copy)]
            pub enum $kind {}
            impl IdKind for $kind {
                const PREFIX: &'static str = $prefix;
            }
            pub type $alias = Id<$kind>;
        )*
    };
}

id_kinds! {
    OrganizationKind => OrganizationId, "og";
    UserKind => UserId, "ur";
    ApiKeyKind => ApiKeyId, "ak";
    MembershipKind => MembershipId, "mp";
    RoleKind => RoleId, "re";
    GroupKind => GroupId, "gr";
    LegalPersonKind => LegalPersonId, "lp";
    EventKind => EventId, "ev";
    InvitationKind => InvitationId, "iv";
    ClaimKind => ClaimId, "cl";
    WorkflowKind => WorkflowId, "wf";
    BankProductKind => BankProductId, "bp";
    VerificationKind => VerificationId, "vn";
    DecisionKind => DecisionId, "dc";
    OnboardingApplicationKind => OnboardingApplicationId, "oa";
    SessionKind => SessionId, "ss";
    BankAccountKind => BankAccountId, "ba";
    TransactionKind => TransactionId, "tr";
    PaymentKind => PaymentId, "pm";
    AdmissionKind => AdmissionId, "pa";
    HoldKind => HoldId, "ho";
    RestrictionKind => RestrictionId, "ri";
    PayeeKind => PayeeId, "pe";
    SubmissionKind => SubmissionId, "ps";
    CopRequestKind => CopRequestId, "cp";
    WebhookKind => WebhookId, "wh";
    // A risk rating has the bytes of the verification that gave it: `rr.` and `vn.` of the
    // same 16 bytes name the rating and its verification.
    RiskRatingKind => RiskRatingId, "rr";
    // Griffin names a Tell consent by the caller's UUID; we key it by those 16 bytes, so
    // the UUID and the id are one another's spelling ([`Uuid`]).
    TellConsentKind => TellConsentId, "tc";
    // Ours: a ledger entry (the postings of one movement) and a restriction's history item.
    LedgerEntryKind => LedgerEntryId, "le";
    RestrictionEventKind => RestrictionEventId, "rv";
    WebhookDeliveryKind => WebhookDeliveryId, "wd";
    // Ours: a public key an organization registered for signing its requests (its id is the
    // `keyid` of the signatures).
    MessageSignatureKeyKind => MessageSignatureKeyId, "mk";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_begin_with_the_time() {
        let millis = || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0)
        };
        let before = millis();
        let ids: Vec<_> = (0..1000).map(|_| OrganizationId::generate()).collect();
        let after = millis();
        let unique: std::collections::HashSet<_> = ids.iter().map(|id| id.as_str()).collect();
        assert_eq!(unique.len(), ids.len());
        for id in &ids {
            let bytes = URL_SAFE_NO_PAD
                .decode(&id.as_str()[3..])
                .expect("base64url");
            let mut time = [0u8; 8];
            time[2..].copy_from_slice(&bytes[..6]);
            let time = u64::from_be_bytes(time);
            assert!(
                (before..=after).contains(&time),
                "{time} not in {before}..={after}"
            );
        }
    }

    #[test]
    fn generated_ids_round_trip() {
        for _ in 0..1000 {
            let id = OrganizationId::generate();
            assert_eq!(id.as_str().len(), 25);
            assert!(id.as_str().starts_with("og."));
            assert_eq!(OrganizationId::parse(id.as_str()), Some(id));
        }
    }

    #[test]
    fn parses_griffin_examples() {
        let id = OrganizationId::parse("og.2To90xd1QV2IdWh1Ay8Epw").expect("valid id");
        assert_eq!(id.as_str(), "og.2To90xd1QV2IdWh1Ay8Epw");
        assert!(ApiKeyId::parse("ak.0j3-IZIOSFytCD-9SqMdPw").is_some());
        assert!(UserId::parse("ur.0KuXsz1nRC6ccdhneiat7Q").is_some());
    }

    #[test]
    fn uuids_round_trip_and_refuse_other_text() {
        let text = "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9";
        let uuid = Uuid::parse(text).expect("a uuid");
        assert_eq!(uuid.to_string(), text);
        assert_eq!(Uuid::parse(&text.to_uppercase()), Some(uuid));
        let id = TellConsentId::from_bytes(uuid.0);
        assert_eq!(id.bytes(), Some(uuid.0));
        for bad in [
            "",
            "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8fg",
            "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f",
            "+a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9",
        ] {
            assert_eq!(Uuid::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn fixed_bytes_give_fixed_ids() {
        let id = OrganizationId::from_bytes(*b" organization-id");
        assert_eq!(id.as_str(), "og.IG9yZ2FuaXphdGlvbi1pZA");
    }

    #[test]
    fn rejects_every_invalid_form() {
        let valid = "og.2To90xd1QV2IdWh1Ay8Epw";
        let invalid = [
            "",
            "og",
            "og.",
            "ur.2To90xd1QV2IdWh1Ay8Epw",   // another kind's prefix
            "OG.2To90xd1QV2IdWh1Ay8Epw",   // prefixes are lower case
            "og2To90xd1QV2IdWh1Ay8Epw",    // no dot
            "og:2To90xd1QV2IdWh1Ay8Epw",   // wrong separator
            "og.2To90xd1QV2IdWh1Ay8Ep",    // too short
            "og.2To90xd1QV2IdWh1Ay8Epww",  // too long
            "og.2To90xd1QV2IdWh1Ay8Ep=",   // padding
            "og.2To90xd1QV2IdWh1Ay8Ep+",   // standard, not url-safe, alphabet
            "og.2To90xd1QV2IdWh1Ay8Ep/",   //
            "og.2To90xd1QV2IdWh1Ay8Ep!",   // not base64 at all
            "og.2To90xd1QV2IdWh1Ay8Epx",   // non-canonical trailing bits
            " og.2To90xd1QV2IdWh1Ay8Epw",  // whitespace
            "og.2To90xd1QV2IdWh1Ay8Epw ",  //
            "og.2To90xd1QV2IdWh1Ay8Epw\n", //
            "og.ÄTo90xd1QV2IdWh1Ay8Ep",    // non-ascii
        ];
        assert!(OrganizationId::parse(valid).is_some());
        for text in invalid {
            assert_eq!(OrganizationId::parse(text), None, "{text:?} must not parse");
        }
    }
}
