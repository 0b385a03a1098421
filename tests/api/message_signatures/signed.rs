//! Requests signed by Python's http-message-signatures, sent with `requests` to the app
//! served on a loopback port.

use serde_json::json;

use super::{Signer, assert_refused, keygen, nonces_of, register, settings_url};
use crate::support::{Json, TestApp};

const MICROS: i64 = 1_000_000;

async fn signer(app: &TestApp) -> (Signer, actix_web::dev::ServerHandle) {
    let (port, handle) = app.listen();
    let signer = Signer {
        port,
        auth: app.auth(),
        now: app.clock.now() / MICROS,
    };
    (signer, handle)
}

#[actix_web::test]
async fn signed_requests_succeed_and_every_broken_signature_is_refused() {
    let app = TestApp::new().await;
    let ((private, public), (other_private, _)) =
        tokio::task::spawn_blocking(|| (keygen(), keygen()))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let keyid = register(&app, &public).await;
    let foreign = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let (s, server) = signer(&app).await;
    let keys = format!("{}/api-keys", app.organization_url);
    let sig = |nonce: &str| s.signature(&private, &keyid, nonce);

    let mut wrong_digest = s.post(&keys, json!({"api-key-name": "b"}), vec![sig("n-3")]);
    wrong_digest["headers"]["Content-Digest"] = json!(
        "sha-512=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==:"
    );
    let mut expired = sig("n-4");
    expired["created"] = json!(s.now - 600);
    expired["expires"] = json!(s.now - 300);
    let mut too_long = sig("n-5");
    too_long["expires"] = json!(s.now + 600);
    let mut tampered = s.post(&keys, json!({"api-key-name": "c"}), vec![sig("n-7")]);
    tampered["after-signing"] =
        json!({"body": "{\"api-key-name\": \"evil\"}", "recompute-digest": true});
    let mut swapped = s.post(&keys, json!({"api-key-name": "d"}), vec![sig("n-8")]);
    swapped["after-signing"] = json!({"body": "{\"api-key-name\": \"evil\"}"});
    let mut sha256 = sig("n-11");
    sha256["digest"] = json!("sha-256");
    let mut no_alg = sig("n-16");
    no_alg["alg"] = json!(false);
    let mut bad_first = s.signature(&other_private, &keyid, "n-12");
    bad_first["label"] = json!("old");
    let mut also_bad = s.signature(&other_private, &keyid, "n-14");
    also_bad["label"] = json!("old");
    let foreign_keyid = {
        let pem = super::ed25519_pem(9);
        let created = app
            .call(
                actix_web::http::Method::POST,
                &format!(
                    "{}/message-signature-keys",
                    foreign.report().organization_url
                ),
                Some(&format!(
                    "GriffinAPIKey {}",
                    foreign.report().api_key_secret
                )),
                Some(json!({"public-key-pem": pem})),
            )
            .await;
        created.body.string_at("keyid")
    };

    let answers = s
        .send(vec![
            s.get("/v0/index?x=1", vec![sig("n-1")]),
            s.post(&keys, json!({"api-key-name": "signed"}), vec![sig("n-2")]),
            wrong_digest,
            s.get("/v0/index", vec![expired]),
            s.get("/v0/index", vec![too_long]),
            s.get(
                "/v0/index",
                vec![s.signature(&private, "mk.AAAAAAAAAAAAAAAAAAAAAA", "n-6")],
            ),
            tampered,
            swapped,
            s.get(
                "/v0/index",
                vec![s.signature(&other_private, &keyid, "n-9")],
            ),
            s.get("/v0/index", vec![sig("n-1")]),
            s.get(
                "/v0/index",
                vec![s.signature(&private, &foreign_keyid, "n-10")],
            ),
            s.get("/v0/index", vec![sha256]),
            s.get("/v0/index", vec![bad_first, sig("n-13")]),
            s.get(
                "/v0/index",
                vec![also_bad, s.signature(&other_private, &keyid, "n-15")],
            ),
            s.get("/v0/index", vec![no_alg]),
        ])
        .await;
    assert_eq!(answers[0].0, 200, "signed GET: {}", answers[0].1);
    assert_eq!(
        answers[0].1["organization-url"],
        app.organization_url.as_str()
    );
    assert_eq!(answers[1].0, 201, "signed POST: {}", answers[1].1);
    assert_eq!(answers[1].1["api-key-name"], "signed");
    assert_refused(
        &answers[2],
        "Content-Digest sha-512 does not match the request body",
    );
    assert_refused(&answers[3], "the signature expired 30"); // 300s ago, or 301s a second later
    assert_refused(&answers[4], "is 600s; it must be 1 to 300s");
    assert_refused(
        &answers[5],
        "keyid \"mk.AAAAAAAAAAAAAAAAAAAAAA\" is not a message signature key of this organization",
    );
    assert_refused(&answers[6], &format!("does not verify with key {keyid}"));
    assert_refused(
        &answers[7],
        "Content-Digest sha-512 does not match the request body",
    );
    assert_refused(&answers[8], &format!("does not verify with key {keyid}"));
    assert_refused(&answers[9], "the nonce \"n-1\" was already used");
    assert_refused(
        &answers[10],
        "is not a message signature key of this organization",
    );
    assert_eq!(answers[11].0, 200, "sha-256 digest: {}", answers[11].1);
    assert_eq!(
        answers[12].0, 200,
        "one good signature of two: {}",
        answers[12].1
    );
    assert_refused(&answers[13], "Signature \"old\" does not verify");
    assert_refused(&answers[13], "Signature \"sig1\" does not verify");
    assert_eq!(answers[14].0, 200, "no alg parameter: {}", answers[14].1);

    // Refused requests changed nothing; the signed POST made its key.
    let listed = app.get(&keys).await;
    let names: Vec<&str> = listed.body["api-keys"]
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k["api-key-name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        names.contains(&"signed") && !names.contains(&"evil"),
        "{names:?}"
    );
    // Only the nonces of verified signatures are recorded.
    assert_eq!(
        nonces_of(&app, &keyid).await,
        ["n-1", "n-11", "n-13", "n-16", "n-2"]
    );
    server.stop(false).await;
}

#[actix_web::test]
async fn the_verify_endpoint_reports_success_and_failure() {
    let app = TestApp::new().await;
    let (private, public) = tokio::task::spawn_blocking(keygen)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let keyid = register(&app, &public).await;
    let (mut s, server) = signer(&app).await;
    s.auth = String::new();
    let path = "/v0/security/message-signature/verify";
    let mut expired = s.signature(&private, &keyid, "v-2");
    expired["created"] = json!(s.now - 400);
    expired["expires"] = json!(s.now - 100);
    let mut unauthenticated = s.post(
        path,
        json!({"hello": "world"}),
        vec![s.signature(&private, &keyid, "v-3")],
    );
    unauthenticated["headers"]
        .as_object_mut()
        .map(|h| h.remove("Authorization"));
    let mut get = s.get(path, vec![s.signature(&private, &keyid, "v-1")]);
    get["headers"]
        .as_object_mut()
        .map(|h| h.remove("Authorization"));
    let answers = s.send(vec![get.clone(), unauthenticated, get]).await;
    assert_eq!(answers[0].0, 200);
    assert_eq!(answers[0].1["busy"], false);
    assert_eq!(
        answers[0].1["message"],
        format!(
            "Valid: signature \"sig1\" verified with key {keyid} (ed25519) over \"@method\" \
             \"@authority\" \"@path\" \"@query\" \"date\" \"content-digest\"; Content-Digest \
             matches the body; its nonce is recorded."
        )
    );
    assert_eq!(answers[1].0, 200);
    assert!(
        answers[1].1.str_at("message").starts_with("Valid: "),
        "{}",
        answers[1].1
    );
    assert_eq!(
        answers[2].1["message"],
        format!(
            "Invalid: Signature \"sig1\": the nonce \"v-1\" was already used with key {keyid}."
        )
    );
    server.stop(false).await;
}

#[actix_web::test]
async fn a_required_signature_refuses_unsigned_requests_and_old_nonces_are_pruned() {
    let app = TestApp::new().await;
    let (private, public) = tokio::task::spawn_blocking(keygen)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let keyid = register(&app, &public).await;
    let on = app
        .admin(
            actix_web::http::Method::PUT,
            &settings_url(&app),
            Some(json!({"message-signatures-required?": true})),
        )
        .await;
    assert_eq!(on.status.as_u16(), 200, "{}", on.body);
    let (s, server) = signer(&app).await;
    let answers = s
        .send(vec![
            s.get("/v0/index", vec![]),
            s.get("/v0/index", vec![s.signature(&private, &keyid, "p-1")]),
        ])
        .await;
    assert_refused_unsigned(&answers[0]);
    assert_eq!(answers[1].0, 200, "{}", answers[1].1);
    assert_eq!(nonces_of(&app, &keyid).await, ["p-1"]);

    // Ten minutes later p-1's signature has expired: recording the key's next nonce prunes it.
    app.clock.advance(std::time::Duration::from_secs(600));
    let later = Signer {
        now: app.clock.now() / MICROS,
        ..s
    };
    let answers = later
        .send(vec![later.get(
            "/v0/index",
            vec![later.signature(&private, &keyid, "p-2")],
        )])
        .await;
    assert_eq!(answers[0].0, 200, "{}", answers[0].1);
    assert_eq!(nonces_of(&app, &keyid).await, ["p-2"]);
    server.stop(false).await;
}

#[track_caller]
fn assert_refused_unsigned(answer: &(u16, serde_json::Value)) {
    assert_eq!(answer.0, 401, "{}", answer.1);
    let detail = answer.1.str_at("errors/0/detail");
    assert!(
        detail.contains("requires every request made with an API key to be signed"),
        "{detail}"
    );
}
