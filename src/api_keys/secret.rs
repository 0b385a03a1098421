//! API key secrets: `g-test-<api-key-name>-<43 base64url characters>` (32 random bytes).
//! `g-live-` is reserved for live-mode organizations, which this server does not create.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

const RANDOM_LEN: usize = 43;
pub const NAME_MAX_LEN: usize = 64;

/// A well-formed secret. Its `Debug` output is redacted so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

/// Whether `name` is an acceptable `api-key-name`: 1–64 of `A-Z a-z 0-9 - _`.
pub fn valid_name(name: &str) -> bool {
    (1..=NAME_MAX_LEN).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// An acceptable `api-key-name` ([`valid_name`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyName(String);

impl ApiKeyName {
    pub fn parse(text: &str) -> Option<Self> {
        valid_name(text).then(|| ApiKeyName(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl ApiKeySecret {
    /// A new random test-mode secret for a key named `name` (already validated).
    pub fn generate(name: &str) -> Self {
        let random = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        ApiKeySecret(format!("g-test-{name}-{random}"))
    }

    pub fn parse(text: &str) -> Option<Self> {
        let rest = text
            .strip_prefix("g-test-")
            .or_else(|| text.strip_prefix("g-live-"))?;
        if rest.len() < RANDOM_LEN + 2 || !rest.is_char_boundary(rest.len() - RANDOM_LEN) {
            return None;
        }
        let (name_dash, random) = rest.split_at(rest.len() - RANDOM_LEN);
        let name = name_dash.strip_suffix('-')?;
        let random_ok = URL_SAFE_NO_PAD
            .decode(random)
            .is_ok_and(|bytes| bytes.len() == 32 && URL_SAFE_NO_PAD.encode(&bytes) == random);
        (valid_name(name) && random_ok).then(|| ApiKeySecret(text.to_string()))
    }

    /// The `api-key-name` part.
    pub fn name(&self) -> &str {
        let rest = &self.0[7..];
        &rest[..rest.len() - RANDOM_LEN - 1]
    }

    pub fn is_live(&self) -> bool {
        self.0.starts_with("g-live-")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeySecret({}-…)", self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_parse() {
        for name in ["a", "buildserver", "my-key_2", &"x".repeat(64)] {
            let secret = ApiKeySecret::generate(name);
            let parsed = ApiKeySecret::parse(secret.as_str()).expect("parses");
            assert_eq!(parsed.name(), name);
            assert!(!parsed.is_live());
            assert!(
                !format!("{parsed:?}").contains(&secret.as_str()[secret.as_str().len() - 43..])
            );
        }
    }

    #[test]
    fn parses_griffin_example() {
        let secret =
            ApiKeySecret::parse("g-test-buildserver-RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk")
                .expect("the documented example is well formed");
        assert_eq!(secret.name(), "buildserver");
    }

    #[test]
    fn rejects_malformed_secrets() {
        let random = "RrUZ5fUG4pSKwYVVG1C3Ft1xrMRxy1T7KUIyTva5bTk";
        for text in [
            String::new(),
            "g-test-".to_string(),
            format!("g-test-{random}"),                    // no name
            format!("g-test--{random}"),                   // empty name
            format!("g-prod-name-{random}"),               // unknown mode
            format!("g-test-na me-{random}"),              // whitespace in the name
            format!("g-test-name-{}", &random[1..]),       // short
            format!("g-test-name-{random}A"),              // long
            format!("g-test-name-{}=", &random[1..]),      // padding
            format!("g-test-name-{}+", &random[1..]),      // wrong alphabet
            format!("g-test-name_{random}"),               // no dash before the secret
            format!("g-test-{}-{random}", "x".repeat(65)), // name too long
            format!("g-test-näme-{random}"),               // non-ascii
        ] {
            assert_eq!(ApiKeySecret::parse(&text), None, "{text:?}");
        }
    }

    #[test]
    fn name_rules() {
        assert!(valid_name("buildserver"));
        assert!(valid_name("a-b_C9"));
        for bad in ["", "a b", "a.b", "ä", &"x".repeat(65), "a\n"] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }
}
