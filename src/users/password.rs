//! Passwords: argon2id with a random salt, stored as a PHC string.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 256;

pub fn valid(password: &str) -> bool {
    (MIN_LENGTH..=MAX_LENGTH).contains(&password.chars().count())
}

/// A password as given, of an acceptable length ([`valid`]). Redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(text: &str) -> Option<Self> {
        valid(text).then(|| Password(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

pub fn hash(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks `password` against a stored hash. With no stored hash the check still runs against
/// a fixed one, so that an unknown email takes as long to refuse as a wrong password.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let decoy = DECOY.get_or_init(|| hash("hyperbank decoy password").unwrap_or_default());
    let target = stored.unwrap_or(decoy);
    let matches = PasswordHash::new(target)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    matches && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let first = hash("correct horse").unwrap_or_default();
        let second = hash("correct horse").unwrap_or_default();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "salted");
        assert!(verify("correct horse", Some(&first)));
        assert!(!verify("wrong horse", Some(&first)));
        assert!(!verify("correct horse", None));
        assert!(!verify("anything", Some("not a hash")));
    }

    #[test]
    fn length_rules() {
        assert!(!valid("short"));
        assert!(valid("eight ch"));
        assert!(!valid(&"x".repeat(257)));
    }
}
