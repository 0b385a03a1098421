//! Message signatures: registering Ed25519 keys, the organization's setting, and requests
//! signed by Python's http-message-signatures (Griffin's own sample's library) sent with
//! `requests` to the app on a loopback port.

use actix_web::http::{Method, StatusCode, header};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use serde_json::{Value, json};

use crate::python::run_script;
use crate::support::{Json, TestApp, check_response, id_of};

const RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCgrzsyJYb2BBllOgXoTLr1OTTK
8ghGdwXSlC6fJ0bINLvvTiD2ejrew+HIxDjDx/I7CzkFqKxv3OIRlc2CDATSqEGV
0qSmgt5pF+aq6DkiFwRauHt+G6ddtKUkAFtIcL07uX4wRcOoJUyNo0ElxX38/FRu
AXhp/0yJ5DqhZ3Jb5wIDAQAB
-----END PUBLIC KEY-----
";
const P256_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtrwnqeGf1Z5j5LaD1PbpDNNZKpCH
fELknoxa/OhyCz5v5Zd0I4Dq/NqPu0wQP6py45FcaWqvsgkR0goSdQ0MLg==
-----END PUBLIC KEY-----
";
const PRIVATE_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEICenQDX4dXbOcP/Zy6k6OY67ELyhUUqOethP/SrnzKDw
-----END PRIVATE KEY-----
";

fn ed25519_pem(seed: u8) -> String {
    SigningKey::from_bytes(&[seed; 32])
        .verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap_or_else(|e| panic!("pem: {e}"))
}

fn keys_url(app: &TestApp) -> String {
    format!("{}/message-signature-keys", app.organization_url)
}

fn settings_url(app: &TestApp) -> String {
    format!("{}/message-signature-settings", app.organization_url)
}

async fn key_rows(app: &TestApp) -> i64 {
    use hyperbank::store::schema::message_signature_keys as keys;
    let mut conn = app.db.read().await.unwrap_or_else(|e| panic!("{e}"));
    hyperbank::dispatch!(&mut conn.conn(), c => diesel_async::RunQueryDsl::get_result(
        keys::table.count(), c).await)
    .unwrap_or_else(|e| panic!("{e}"))
}

async fn nonces_of(app: &TestApp, keyid: &str) -> Vec<String> {
    use hyperbank::store::schema::message_signature_nonces as nonces;
    let mut conn = app.db.read().await.unwrap_or_else(|e| panic!("{e}"));
    let keyid = keyid.to_string();
    hyperbank::dispatch!(&mut conn.conn(), c => diesel_async::RunQueryDsl::load(
        nonces::table.filter(nonces::key_id.eq(keyid)).select(nonces::nonce).order(nonces::nonce),
        c).await)
    .unwrap_or_else(|e| panic!("{e}"))
}

async fn register(app: &TestApp, pem: &str) -> String {
    let created = app
        .post(&keys_url(app), json!({"public-key-pem": pem}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body.string_at("keyid")
}

#[actix_web::test]
async fn a_registered_key_is_listed_read_and_deleted() {
    let app = TestApp::new().await;
    let pem = ed25519_pem(1);
    let created = app
        .post(&keys_url(&app), json!({"public-key-pem": pem}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let body = &created.body;
    let url = body.string_at("message-signature-key-url");
    assert_eq!(created.header("location"), Some(url.as_str()));
    assert_eq!(body["keyid"], id_of(&url));
    assert!(id_of(&url).starts_with("mk."), "{url}");
    assert_eq!(body["algorithm"], "ed25519");
    assert_eq!(body["public-key-pem"], pem.as_str());
    assert_eq!(body["organization-url"], app.organization_url.as_str());
    assert_eq!(body["created-by-url"], app.user_url.as_str());

    assert_eq!(app.get(&url).await.body, created.body);
    let list = app.get(&keys_url(&app)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["message-signature-keys"], json!([created.body]));
    assert_eq!(key_rows(&app).await, 1);

    let again = app
        .post(&keys_url(&app), json!({"public-key-pem": pem}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_title(), "message-signature-key-exists");
    assert_eq!(key_rows(&app).await, 1);

    assert_eq!(app.delete(&url).await.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&url).await.status, StatusCode::NOT_FOUND);
    assert_eq!(key_rows(&app).await, 0);
}

#[actix_web::test]
async fn keys_that_are_not_ed25519_public_keys_are_refused() {
    let app = TestApp::new().await;
    let cases = [
        (
            json!({"public-key-pem": "hello"}),
            400,
            "/public-key-pem",
            "could be read",
        ),
        (
            json!({"public-key-pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}),
            400,
            "/public-key-pem",
            "not a SubjectPublicKeyInfo",
        ),
        (
            json!({"public-key-pem": PRIVATE_PEM}),
            400,
            "/public-key-pem",
            "`PRIVATE KEY` block",
        ),
        (
            json!({"public-key-pem": RSA_PEM}),
            422,
            "/public-key-pem",
            "an RSA key",
        ),
        (
            json!({"public-key-pem": P256_PEM}),
            422,
            "/public-key-pem",
            "an elliptic-curve",
        ),
        (json!({}), 400, "/public-key-pem", "is required"),
        (
            json!({"public-key-pem": 7}),
            400,
            "/public-key-pem",
            "Invalid type",
        ),
    ];
    for (body, status, pointer, detail) in cases {
        let refused = app.post(&keys_url(&app), body.clone()).await;
        assert_eq!(refused.status.as_u16(), status, "{body}: {}", refused.body);
        assert_eq!(refused.error_pointer(), Some(pointer), "{}", refused.body);
        let text = refused.body.str_at("errors/0/detail");
        assert!(text.contains(detail), "{body}: {text}");
        if status == 422 {
            assert_eq!(refused.error_title(), "unsupported-key-type");
        }
    }
    let empty = app
        .send(
            TestRequest::post()
                .uri(&keys_url(&app))
                .insert_header((header::AUTHORIZATION, app.auth()))
                .insert_header((header::CONTENT_TYPE, "application/json")),
        )
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
    assert_eq!(empty.error_pointer(), Some(""));
    assert_eq!(key_rows(&app).await, 0);
}

#[actix_web::test]
async fn only_team_admins_manage_keys_and_the_setting() {
    let app = TestApp::new().await;
    let keyid = register(&app, &ed25519_pem(1)).await;
    let key_url = format!("/v0/message-signature-keys/{keyid}");
    let role = app.role_url("Team member").await;
    let member = app.member("member@example.com", &[role]).await;
    let auth = Some(member.key_auth());
    let body = json!({"public-key-pem": ed25519_pem(2)});
    for (method, url, body) in [
        (Method::POST, keys_url(&app), Some(body)),
        (Method::DELETE, key_url.clone(), None),
        (
            Method::PUT,
            settings_url(&app),
            Some(json!({"message-signatures-required?": false})),
        ),
    ] {
        let refused = app.call(method.clone(), &url, auth.as_deref(), body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {url}");
        assert!(
            refused
                .body
                .str_at("errors/0/detail")
                .contains("Team admin")
        );
    }
    // Reading needs `read` only.
    let read = app.call(Method::GET, &key_url, auth.as_deref(), None).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(key_rows(&app).await, 1);

    // Another organization's key is not found, never forbidden.
    let other = app
        .other_organization("Other Ltd", "other@example.com")
        .await;
    let other_key = format!("GriffinAPIKey {}", other.report().api_key_secret);
    for method in [Method::GET, Method::DELETE] {
        let hidden = app.call(method, &key_url, Some(&other_key), None).await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    }
}

#[actix_web::test]
async fn requiring_signatures_needs_a_key_and_keeps_the_last_one() {
    let app = TestApp::new().await;
    let settings = app.get(&settings_url(&app)).await;
    assert_eq!(
        settings.body,
        json!({"organization-url": app.organization_url, "message-signatures-required?": false,
               "message-signature-keys-url": keys_url(&app)})
    );
    let on = json!({"message-signatures-required?": true});
    let refused = app
        .call(
            Method::PUT,
            &settings_url(&app),
            Some(&app.auth()),
            Some(on.clone()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused.error_title(), "no-message-signature-keys");
    assert_eq!(
        app.get(&settings_url(&app)).await.body["message-signatures-required?"],
        false
    );

    let keyid = register(&app, &ed25519_pem(1)).await;
    let admin = app
        .member("admin@example.com", &[app.role_url("Team admin").await])
        .await;
    let session = Some(admin.session_auth());
    let turned = app
        .call(
            Method::PUT,
            &settings_url(&app),
            Some(&app.auth()),
            Some(on),
        )
        .await;
    assert_eq!(turned.status, StatusCode::OK, "{}", turned.body);
    assert_eq!(turned.body["message-signatures-required?"], true);

    // Now an unsigned request with an API key is refused; a session is not.
    let unsigned = app.get("/v0/index").await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    assert!(unsigned.header("www-authenticate").is_some());
    let detail = unsigned.body.str_at("errors/0/detail");
    assert!(detail.contains("requires every request made with an API key to be signed"));
    let read = app
        .call(Method::GET, &settings_url(&app), session.as_deref(), None)
        .await;
    assert_eq!(read.body["message-signatures-required?"], true);

    let key_url = format!("/v0/message-signature-keys/{keyid}");
    let kept = app
        .call(Method::DELETE, &key_url, session.as_deref(), None)
        .await;
    assert_eq!(kept.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(kept.error_title(), "message-signature-key-in-use");
    assert_eq!(key_rows(&app).await, 1);

    let off = json!({"message-signatures-required?": false});
    let off = app
        .call(
            Method::PUT,
            &settings_url(&app),
            session.as_deref(),
            Some(off),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK);
    assert_eq!(app.get("/v0/index").await.status, StatusCode::OK);
    let deleted = app
        .call(Method::DELETE, &key_url, session.as_deref(), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

#[actix_web::test]
async fn the_verify_endpoint_says_an_unsigned_request_is_not_signed() {
    let app = TestApp::new().await;
    for method in [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ] {
        let answer = app
            .call(method, "/v0/security/message-signature/verify", None, None)
            .await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(
            answer.body,
            json!({"message": "Invalid: The request is not signed: it has no Signature-Input header.",
                   "busy": false})
        );
    }
}

/// The requests of one run of the Python signer and what the server answered each.
struct Signer {
    port: u16,
    auth: String,
    now: i64,
}

const GRIFFIN_COMPONENTS: [&str; 7] = [
    "@method",
    "@authority",
    "@path",
    "content-type",
    "content-length",
    "date",
    "content-digest",
];

impl Signer {
    fn signature(&self, private_pem: &str, keyid: &str, nonce: &str) -> Value {
        json!({"private-pem": private_pem, "keyid": keyid, "label": "sig1", "nonce": nonce,
               "created": self.now, "expires": self.now + 300,
               "components": GRIFFIN_COMPONENTS})
    }

    fn get(&self, path: &str, signatures: Vec<Value>) -> Value {
        let signatures: Vec<Value> = signatures
            .into_iter()
            .map(|mut s| {
                s["components"] = json!([
                    "@method",
                    "@authority",
                    "@path",
                    "@query",
                    "date",
                    "content-digest"
                ]);
                s
            })
            .collect();
        json!({"method": "GET", "url": format!("http://127.0.0.1:{}{path}", self.port),
               "headers": {"Authorization": self.auth, "Date": "Tue, 01 Dec 2026 10:00:00 GMT"},
               "body": null, "signatures": signatures})
    }

    fn post(&self, path: &str, body: Value, signatures: Vec<Value>) -> Value {
        json!({"method": "POST", "url": format!("http://127.0.0.1:{}{path}", self.port),
               "headers": {"Authorization": self.auth, "Content-Type": "application/json",
                           "Date": "Tue, 01 Dec 2026 10:00:00 GMT"},
               "body": body.to_string(), "signatures": signatures})
    }

    /// Sends the requests in order; each answer checked as every test checks answers.
    async fn send(&self, requests: Vec<Value>) -> Vec<(u16, Value)> {
        let paths: Vec<(String, String)> = requests
            .iter()
            .map(|r| {
                let url = r.str_at("url");
                let path = url.splitn(4, '/').nth(3).unwrap_or("");
                let path = format!("/{}", path.split('?').next().unwrap_or(""));
                (r.str_at("method").to_string(), path)
            })
            .collect();
        let input = json!({"requests": requests});
        let answers = tokio::task::spawn_blocking(move || run_script("sign.py", &input))
            .await
            .unwrap_or_else(|e| panic!("signer: {e}"));
        let answers = answers.as_array().cloned().unwrap_or_default();
        assert_eq!(answers.len(), paths.len());
        answers
            .iter()
            .zip(paths)
            .map(|(answer, (method, path))| {
                let status = answer["status"].as_u64().unwrap_or(0) as u16;
                let body = check_response(
                    &method,
                    &path,
                    status,
                    answer["content-type"].as_str(),
                    answer.str_at("body").as_bytes(),
                );
                (status, body)
            })
            .collect()
    }
}

fn keygen() -> (String, String) {
    let pair = run_script("sign.py", &json!({"keygen": true}));
    (pair.string_at("private-pem"), pair.string_at("public-pem"))
}

#[track_caller]
fn assert_refused(answer: &(u16, Value), expected: &str) {
    assert_eq!(answer.0, 401, "{}", answer.1);
    let detail = answer.1.str_at("errors/0/detail");
    assert!(
        detail.starts_with("The message signature is not valid.") && detail.contains(expected),
        "expected {expected:?} in {detail:?}"
    );
}

mod signed;
