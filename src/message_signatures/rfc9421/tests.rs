use ed25519_dalek::{Signer, SigningKey};

use super::*;

/// RFC 9421 Appendix B.1.4: `test-key-ed25519`.
const RFC_KEY: &str = "MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=";
const RFC_BODY: &[u8] = br#"{"hello": "world"}"#;

fn rfc_headers(input: &str, signature: &str) -> Vec<(String, String)> {
    [
        ("host", "example.com"),
        ("date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        ("content-type", "application/json"),
        (
            "content-digest",
            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:",
        ),
        ("content-length", "18"),
        ("signature-input", input),
        ("signature", signature),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect()
}

fn message<'a>(headers: &'a [(String, String)], body: &'a [u8]) -> Message<'a> {
    Message {
        method: "POST",
        scheme: "https",
        authority: "example.com",
        path: "/foo",
        query: Some("param=Value&Pet=dog"),
        headers,
        body,
    }
}

fn rfc_key() -> VerifyingKey {
    let der = STANDARD.decode(RFC_KEY).expect("base64");
    let bytes: [u8; 32] = der[12..].try_into().expect("32 bytes");
    VerifyingKey::from_bytes(&bytes).expect("key")
}

#[test]
fn verifies_rfc_9421_example_b_2_6() {
    let headers = rfc_headers(
        r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#,
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
    );
    let message = message(&headers, RFC_BODY);
    let found = candidates(&message).expect("parses");
    assert_eq!(found.len(), 1);
    let base = found[0].base(&message).expect("base");
    assert_eq!(
        base,
        "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n\"@method\": POST\n\"@path\": /foo\n\
         \"@authority\": example.com\n\"content-type\": application/json\n\
         \"content-length\": 18\n\"@signature-params\": (\"date\" \"@method\" \"@path\" \
         \"@authority\" \"content-type\" \"content-length\");created=1618884473;\
         keyid=\"test-key-ed25519\""
    );
    found[0]
        .verify(&rfc_key(), &base, "test-key-ed25519")
        .expect("the RFC's signature verifies");
    check_content_digest(&message).expect("the RFC's digest matches");
    let tampered = base.replace("POST", "PUT");
    assert!(found[0].verify(&rfc_key(), &tampered, "k").is_err());
    // The RFC's example has no expires nor nonce: our rules refuse it.
    let refused = found[0].check_params(1618884473).expect_err("no expires");
    assert!(refused.0.contains("`created` and `expires`"), "{refused}");
}

/// A request signed here with `created` at `now` for `window` seconds.
fn signed(now: i64, window: i64, extra: &str) -> (Vec<(String, String)>, SigningKey) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let input = format!(
        r#"sig1=("@method" "@authority" "@path" "@query" "content-digest");created={now};expires={};nonce="n-1";keyid="mk.x";alg="ed25519"{extra}"#,
        now + window
    );
    let mut headers = rfc_headers(&input, "sig1=:AA==:");
    let draft = message(&headers, RFC_BODY);
    let candidate = candidates(&draft).expect("parses").remove(0);
    let base = candidate.base(&draft).expect("base");
    let signature = STANDARD.encode(key.sign(base.as_bytes()).to_bytes());
    headers[6].1 = format!("sig1=:{signature}:");
    (headers, key)
}

#[test]
fn a_signature_made_here_verifies_and_its_rules_hold() {
    let now = 1_800_000_000;
    let (headers, key) = signed(now, 300, "");
    let message = message(&headers, RFC_BODY);
    let candidate = candidates(&message).expect("parses").remove(0);
    assert_eq!(candidate.check_params(now), Ok("mk.x"));
    candidate.check_coverage(true).expect("covered");
    let base = candidate.base(&message).expect("base");
    assert!(
        base.contains("\n\"@query\": ?param=Value&Pet=dog\n"),
        "{base}"
    );
    candidate
        .verify(&key.verifying_key(), &base, "mk.x")
        .expect("verifies");
    let other = SigningKey::from_bytes(&[8; 32]).verifying_key();
    let wrong = candidate
        .verify(&other, &base, "mk.x")
        .expect_err("other key");
    assert!(wrong.0.contains("does not verify with key mk.x"), "{wrong}");

    let expired = candidate.check_params(now + 301).expect_err("expired");
    assert!(expired.0.contains("expired 1s ago"), "{expired}");
    let early = candidate.check_params(now - 31).expect_err("future");
    assert!(early.0.contains("31s in the future"), "{early}");
    assert!(candidate.check_params(now - 30).is_ok());
}

#[test]
fn parameters_and_coverage_are_checked() {
    let now = 1_800_000_000;
    let (headers, _) = signed(now, 301, "");
    let long = candidates(&message(&headers, RFC_BODY))
        .expect("parses")
        .remove(0);
    let refused = long.check_params(now).expect_err("too long");
    assert!(
        refused.0.contains("is 301s; it must be 1 to 300s"),
        "{refused}"
    );

    let (headers, _) = signed(now, 300, ";tag=\"x\"");
    let mut tagged = candidates(&message(&headers, RFC_BODY))
        .expect("parses")
        .remove(0);
    tagged.params.alg = Some("rsa-pss-sha512".into());
    assert!(tagged.check_params(now).expect_err("alg").0.contains("alg"));
    tagged.params.alg = None;
    tagged.params.nonce = None;
    assert!(
        tagged
            .check_params(now)
            .expect_err("nonce")
            .0
            .contains("`nonce`")
    );

    tagged.components = vec!["@method".into(), "@target-uri".into()];
    tagged
        .check_coverage(false)
        .expect("target-uri covers authority and path");
    let refused = tagged.check_coverage(true).expect_err("body");
    assert!(
        refused.0.ends_with("must cover content-digest."),
        "{refused}"
    );
    tagged.components = vec!["date".into()];
    let refused = tagged.check_coverage(false).expect_err("nothing");
    assert!(
        refused.0.contains("@method, @authority, @path"),
        "{refused}"
    );
}

#[test]
fn components_must_be_known_present_and_plain() {
    let now = 1_800_000_000;
    for (components, expected) in [
        (r#""@status""#, "\"@status\" is not supported"),
        (r#""x-missing""#, "\"x-missing\" is not in the request"),
        (r#""Date""#, "must be lower case"),
        (r#""date" "date""#, "covers \"date\" twice"),
    ] {
        let input = format!(r#"s=({components});created={now};expires={}"#, now + 1);
        let headers = rfc_headers(&input, "s=:AA==:");
        let message = message(&headers, RFC_BODY);
        let candidate = candidates(&message).expect("parses").remove(0);
        let refused = candidate.base(&message).expect_err(components);
        assert!(refused.0.contains(expected), "{refused}");
    }
    for (input, signature, expected) in [
        ("s=(\"date\";sf)", "s=:AA==:", "component parameters"),
        ("s=\"date\"", "s=:AA==:", "not an inner list"),
        ("s=(\"date\")", "t=:AA==:", "no signature labelled \"s\""),
        ("s=(\"date\")", "s=\"x\"", "not a byte sequence"),
        (
            "s=(\"date\");created=\"1\"",
            "s=:AA==:",
            "must be an integer",
        ),
        (
            "s=(\"date\",",
            "s=:AA==:",
            "Signature-Input header is malformed",
        ),
    ] {
        let headers = rfc_headers(input, signature);
        let refused = candidates(&message(&headers, RFC_BODY)).expect_err(input);
        assert!(refused.0.contains(expected), "{input}: {refused}");
    }
}

#[test]
fn content_digest_is_checked_against_the_body() {
    let headers = rfc_headers("s=()", "s=:AA==:");
    check_content_digest(&message(&headers, RFC_BODY)).expect("matches");
    let refused = check_content_digest(&message(&headers, b"{}")).expect_err("other body");
    assert!(
        refused
            .0
            .starts_with("Content-Digest sha-512 does not match"),
        "{refused}"
    );
    let mut headers = headers;
    headers[3].1 = format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(RFC_BODY)));
    check_content_digest(&message(&headers, RFC_BODY)).expect("sha-256 matches");
    headers[3].1 = "md5=:AA==:".into();
    let refused = check_content_digest(&message(&headers, RFC_BODY)).expect_err("md5");
    assert!(refused.0.contains("no sha-256 or sha-512"), "{refused}");
}
