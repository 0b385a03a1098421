//! HTTP message signatures (RFC 9421) on requests, without HTTP types: the signatures a
//! request's `Signature-Input` and `Signature` fields carry, the signature base they cover,
//! the rules a signature's parameters must meet, its Ed25519 check, and the request body's
//! `Content-Digest` (RFC 9530).
//!
//! The rules (ours where RFC 9421 leaves them to the verifier):
//! - `alg`, if present, is `ed25519`; `keyid`, `created`, `expires` and `nonce` are required;
//! - `created` is at most [`CLOCK_SKEW`] in the future, `expires` is not past, and the window
//!   `expires - created` is positive and at most [`MAX_WINDOW`];
//! - the covered components include `@method`, `@authority` and `@path` (`@target-uri`
//!   stands for the last two), and `content-digest` when the request has a body;
//! - components are `@method`, `@authority`, `@path`, `@query`, `@target-uri`, `@scheme`,
//!   `@request-target` and header fields, without component parameters.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256, Sha512};

use super::structured::{self, Bare, Item, Member, Parameters};

/// How far in the future a signature's `created` may be (clocks differ a little).
pub const CLOCK_SKEW: i64 = 30;
/// The longest validity window (`expires - created`) accepted, in seconds: Griffin's samples
/// sign for five minutes.
pub const MAX_WINDOW: i64 = 300;

/// Why a signature (or a request's signatures) could not be verified, said for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl Refusal {
    pub fn new(detail: impl Into<String>) -> Self {
        Refusal(detail.into())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a signature's verification needs of a request.
pub struct Message<'a> {
    pub method: &'a str,
    /// `http` or `https`, as the client addressed the server.
    pub scheme: &'a str,
    /// The host (and port) the request was sent to.
    pub authority: &'a str,
    /// The path as sent, percent-encoding and all.
    pub path: &'a str,
    /// The query as sent, without `?`; `None` when the target has none.
    pub query: Option<&'a str>,
    /// Header fields, names in lower case, in the order received.
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

impl Message<'_> {
    /// A field's value: its lines, trimmed, joined with `, ` (RFC 9421 §2.1).
    pub fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.trim())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    }
}

/// One signature of a request: its label, what it covers, its parameters and its bytes.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub label: String,
    pub components: Vec<String>,
    pub params: SignatureParams,
    /// The `@signature-params` line's value: the inner list as RFC 8941 serializes it.
    pub serialized: String,
    pub signature: Vec<u8>,
}

/// The parameters a signature's verification reads.
#[derive(Debug, Clone, Default)]
pub struct SignatureParams {
    pub created: Option<i64>,
    pub expires: Option<i64>,
    pub nonce: Option<String>,
    pub keyid: Option<String>,
    pub alg: Option<String>,
}

/// The signatures of a request, paired by label; `Ok(empty)` when it has no `Signature-Input`.
pub fn candidates(message: &Message) -> Result<Vec<Candidate>, Refusal> {
    let Some(input) = message.header("signature-input") else {
        return Ok(Vec::new());
    };
    let inputs = structured::parse_dictionary(&input)
        .map_err(|e| Refusal::new(format!("The Signature-Input header is malformed: {e}.")))?;
    let signature = message.header("signature").ok_or_else(|| {
        Refusal::new("The request has a Signature-Input header but no Signature header.")
    })?;
    let signatures = structured::parse_dictionary(&signature)
        .map_err(|e| Refusal::new(format!("The Signature header is malformed: {e}.")))?;
    let mut found = Vec::new();
    for (label, member) in inputs {
        let Member::InnerList(items, params) = member else {
            return Err(Refusal::new(format!(
                "Signature-Input {label:?} is not an inner list of components."
            )));
        };
        let bytes = match signatures.iter().find(|(l, _)| *l == label) {
            Some((
                _,
                Member::Item(Item {
                    bare: Bare::Bytes(bytes),
                    ..
                }),
            )) => bytes.clone(),
            Some(_) => {
                return Err(Refusal::new(format!(
                    "Signature {label:?} is not a byte sequence."
                )));
            }
            None => {
                return Err(Refusal::new(format!(
                    "The Signature header has no signature labelled {label:?}."
                )));
            }
        };
        found.push(candidate(label, &items, &params, bytes)?);
    }
    Ok(found)
}

fn candidate(
    label: String,
    items: &[Item],
    params: &Parameters,
    signature: Vec<u8>,
) -> Result<Candidate, Refusal> {
    let mut components = Vec::new();
    for item in items {
        match (&item.bare, item.params.is_empty()) {
            (Bare::String(name), true) => components.push(name.clone()),
            (Bare::String(name), false) => {
                return Err(Refusal::new(format!(
                    "Signature {label:?}: component parameters (on {name:?}) are not supported."
                )));
            }
            _ => {
                return Err(Refusal::new(format!(
                    "Signature {label:?}: components must be strings."
                )));
            }
        }
    }
    let mut parsed = SignatureParams::default();
    for (key, value) in params {
        match (key.as_str(), value) {
            ("created", Bare::Integer(n)) => parsed.created = Some(*n),
            ("expires", Bare::Integer(n)) => parsed.expires = Some(*n),
            ("nonce", Bare::String(s)) => parsed.nonce = Some(s.clone()),
            ("keyid", Bare::String(s)) => parsed.keyid = Some(s.clone()),
            ("alg", Bare::String(s)) => parsed.alg = Some(s.clone()),
            ("created" | "expires", _) => {
                return Err(Refusal::new(format!(
                    "Signature {label:?}: `{key}` must be an integer."
                )));
            }
            ("nonce" | "keyid" | "alg", _) => {
                return Err(Refusal::new(format!(
                    "Signature {label:?}: `{key}` must be a string."
                )));
            }
            _ => {}
        }
    }
    Ok(Candidate {
        serialized: structured::serialize_inner_list(items, params),
        label,
        components,
        params: parsed,
        signature,
    })
}

impl Candidate {
    /// The parameters' rules (see the module docs) at `now` (Unix seconds); the key id.
    pub fn check_params(&self, now: i64) -> Result<&str, Refusal> {
        let label = &self.label;
        let refuse = |what: String| Err(Refusal::new(format!("Signature {label:?}: {what}")));
        let p = &self.params;
        if let Some(alg) = &p.alg
            && alg != "ed25519"
        {
            return refuse(format!("alg {alg:?} is not supported; use \"ed25519\"."));
        }
        let Some(keyid) = p.keyid.as_deref() else {
            return refuse("`keyid` is missing.".into());
        };
        let (Some(created), Some(expires)) = (p.created, p.expires) else {
            return refuse("`created` and `expires` are both required.".into());
        };
        if created > now + CLOCK_SKEW {
            return refuse(format!(
                "`created` ({created}) is {}s in the future.",
                created - now
            ));
        }
        if expires < now {
            return refuse(format!("the signature expired {}s ago.", now - expires));
        }
        if expires <= created || expires - created > MAX_WINDOW {
            return refuse(format!(
                "the window from `created` to `expires` is {}s; it must be 1 to {MAX_WINDOW}s.",
                expires - created
            ));
        }
        if p.nonce.as_deref().is_none_or(str::is_empty) {
            return refuse("`nonce` is missing.".into());
        }
        Ok(keyid)
    }

    /// The components a signature must cover (see the module docs).
    pub fn check_coverage(&self, has_body: bool) -> Result<(), Refusal> {
        let covers = |name: &str| self.components.iter().any(|c| c == name);
        let mut missing = Vec::new();
        for (name, or) in [("@method", None), ("@authority", Some("@target-uri"))] {
            if !covers(name) && !or.is_some_and(covers) {
                missing.push(name);
            }
        }
        if !covers("@path") && !covers("@target-uri") {
            missing.push("@path");
        }
        if has_body && !covers("content-digest") {
            missing.push("content-digest");
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(Refusal::new(format!(
            "Signature {:?} must cover {}.",
            self.label,
            missing.join(", ")
        )))
    }

    /// The signature base (RFC 9421 §2.5) of the request for this signature.
    pub fn base(&self, message: &Message) -> Result<String, Refusal> {
        let mut lines = Vec::with_capacity(self.components.len() + 1);
        for (i, name) in self.components.iter().enumerate() {
            if self.components[..i].contains(name) {
                return Err(Refusal::new(format!(
                    "Signature {:?} covers {name:?} twice.",
                    self.label
                )));
            }
            let value = component(message, name)
                .map_err(|e| Refusal::new(format!("Signature {:?}: {e}", self.label)))?;
            lines.push(format!("\"{name}\": {value}"));
        }
        lines.push(format!("\"@signature-params\": {}", self.serialized));
        Ok(lines.join("\n"))
    }

    /// Whether `key` made this signature over `base`.
    pub fn verify(&self, key: &VerifyingKey, base: &str, keyid: &str) -> Result<(), Refusal> {
        let bad = || {
            Refusal::new(format!(
                "Signature {:?} does not verify with key {keyid}: the covered components or \
                 the key differ from the signer's.",
                self.label
            ))
        };
        let signature = Signature::from_slice(&self.signature).map_err(|_| bad())?;
        key.verify_strict(base.as_bytes(), &signature)
            .map_err(|_| bad())
    }
}

/// The value of one covered component.
fn component(message: &Message, name: &str) -> Result<String, String> {
    let path = if message.path.is_empty() {
        "/"
    } else {
        message.path
    };
    let query = message.query.map(|q| format!("?{q}")).unwrap_or_default();
    Ok(match name {
        "@method" => message.method.to_string(),
        "@authority" => message.authority.to_ascii_lowercase(),
        "@scheme" => message.scheme.to_ascii_lowercase(),
        "@path" => path.to_string(),
        "@query" => format!("?{}", message.query.unwrap_or("")),
        "@request-target" => format!("{path}{query}"),
        "@target-uri" => format!(
            "{}://{}{path}{query}",
            message.scheme.to_ascii_lowercase(),
            message.authority.to_ascii_lowercase()
        ),
        derived if derived.starts_with('@') => {
            return Err(format!("the component {derived:?} is not supported."));
        }
        field if field.chars().any(|c| c.is_ascii_uppercase()) => {
            return Err(format!("the component {field:?} must be lower case."));
        }
        field => message
            .header(field)
            .ok_or_else(|| format!("the covered header {field:?} is not in the request."))?,
    })
}

/// Checks the request's `Content-Digest`, if it has one, against its body: every `sha-256`
/// and `sha-512` digest must match, and one of them must be present.
pub fn check_content_digest(message: &Message) -> Result<(), Refusal> {
    let Some(value) = message.header("content-digest") else {
        return Ok(());
    };
    let digests = structured::parse_dictionary(&value)
        .map_err(|e| Refusal::new(format!("The Content-Digest header is malformed: {e}.")))?;
    let mut checked = 0;
    for (algorithm, member) in &digests {
        let expected: Vec<u8> = match algorithm.as_str() {
            "sha-512" => Sha512::digest(message.body).to_vec(),
            "sha-256" => Sha256::digest(message.body).to_vec(),
            _ => continue,
        };
        let Member::Item(Item {
            bare: Bare::Bytes(given),
            ..
        }) = member
        else {
            return Err(Refusal::new(format!(
                "Content-Digest {algorithm} is not a byte sequence."
            )));
        };
        if *given != expected {
            return Err(Refusal::new(format!(
                "Content-Digest {algorithm} does not match the request body (the body's is \
                 {algorithm}=:{}:).",
                STANDARD.encode(&expected)
            )));
        }
        checked += 1;
    }
    if checked == 0 {
        return Err(Refusal::new(
            "Content-Digest has no sha-256 or sha-512 digest.",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
