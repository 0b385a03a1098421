//! The RFC 9421 signature of a webhook request, exactly as Griffin signs: covered components
//! `"date" "@method" "@path" "@authority" "content-type" "content-length" "content-digest"`,
//! parameters `created`, `expires` (300 s later), `nonce` and `keyid`, the key id as the
//! signature's label, ES512 over the signature base, and `Content-Digest: sha-512=:…:`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha512};

use crate::signing_keys::{SigningFailed, SigningKey};
use crate::time::Micros;

/// How long a signature is valid.
const VALIDITY_SECONDS: i64 = 300;

/// What a webhook is POSTed as.
pub const CONTENT_TYPE: &str = "application/json";

const COMPONENTS: &str =
    r#"("date" "@method" "@path" "@authority" "content-type" "content-length" "content-digest")"#;

/// The headers a signed webhook request carries besides its content type.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    pub date: String,
    pub content_digest: String,
    pub signature_input: String,
    pub signature: String,
}

/// Signs a POST of `body` to `url` at `now`.
pub fn sign(
    key: &SigningKey,
    url: &url::Url,
    body: &[u8],
    now: Micros,
) -> Result<SignedHeaders, SigningFailed> {
    let created = now.div_euclid(1_000_000);
    let date = http_date(created);
    let content_digest = format!("sha-512=:{}:", STANDARD.encode(Sha512::digest(body)));
    let params = format!(
        "{COMPONENTS};created={created};expires={};nonce=\"{}\";keyid=\"{}\"",
        created + VALIDITY_SECONDS,
        nonce(),
        key.kid
    );
    let base = signature_base(&date, url, body.len(), &content_digest, &params);
    let signature = STANDARD.encode(key.sign(base.as_bytes())?);
    Ok(SignedHeaders {
        date,
        content_digest,
        signature_input: format!("{}={params}", key.kid),
        signature: format!("{}=:{signature}:", key.kid),
    })
}

/// The signature base (RFC 9421 §2.5): one line per covered component, then the parameters.
fn signature_base(
    date: &str,
    url: &url::Url,
    content_length: usize,
    content_digest: &str,
    params: &str,
) -> String {
    let path = match url.path() {
        "" => "/",
        path => path,
    };
    format!(
        "\"date\": {date}\n\"@method\": POST\n\"@path\": {path}\n\"@authority\": {}\n\
         \"content-type\": {CONTENT_TYPE}\n\"content-length\": {content_length}\n\
         \"content-digest\": {content_digest}\n\"@signature-params\": {params}",
        authority(url)
    )
}

/// The host, and the port when it is not the scheme's default (as a `Host` header has it).
fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// `Thu, 03 Dec 2026 06:27:28 GMT` (RFC 9110's IMF-fixdate).
fn http_date(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

/// A random UUID (version 4), as Griffin's nonces are.
fn nonce() -> String {
    let mut bytes = rand::random::<[u8; 16]>();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_lists_the_components_in_griffins_order() {
        let url = url::Url::parse("http://127.0.0.1:9000/hooks/griffin").expect("a URL");
        let base = signature_base(
            "Thu, 03 Dec 2026 06:27:28 GMT",
            &url,
            2,
            "sha-512=:x:",
            "(…);keyid=\"k\"",
        );
        assert_eq!(
            base,
            "\"date\": Thu, 03 Dec 2026 06:27:28 GMT\n\"@method\": POST\n\
             \"@path\": /hooks/griffin\n\"@authority\": 127.0.0.1:9000\n\
             \"content-type\": application/json\n\"content-length\": 2\n\
             \"content-digest\": sha-512=:x:\n\"@signature-params\": (…);keyid=\"k\""
        );
    }

    #[test]
    fn the_default_port_is_left_out_of_the_authority() {
        let url = url::Url::parse("https://Hooks.Example.com:443/x").expect("a URL");
        assert_eq!(authority(&url), "hooks.example.com");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }

    #[test]
    fn nonces_are_version_4_uuids() {
        let nonce = nonce();
        assert_eq!(nonce.len(), 36);
        assert_eq!(&nonce[14..15], "4");
        assert_ne!(nonce, super::nonce());
    }
}
