//! The test harness: every test gets its own database (a temporary SQLite file, or its own
//! PostgreSQL schema when `HYPERBANK_TEST_DATABASE_URL` is set), the real application built
//! by `hyperbank::app`, and a bootstrapped organization with an API key.
//!
//! Every response goes through [`TestApp::send`], which checks it against Griffin's spec and
//! our `openapi.yaml` (see `contract.rs`) and, for errors, against our error body, so no test
//! can forget to.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{self, TestRequest};
use actix_web::web;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::Value;

use hyperbank::AppState;
use hyperbank::bootstrap::{self, Bootstrapped};
use hyperbank::store::{Backend, Db, PoolOptions, migrations};

use super::contract;

type BoxedService = Box<
    dyn Service<
            actix_http::Request,
            Response = ServiceResponse<BoxBody>,
            Error = actix_web::Error,
            Future = std::pin::Pin<
                Box<
                    dyn std::future::Future<
                            Output = Result<ServiceResponse<BoxBody>, actix_web::Error>,
                        >,
                >,
            >,
        >,
>;

/// Where a test's database lives; dropping it removes the database.
pub enum DbGuard {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { base_url: String, schema: String },
}

impl Drop for DbGuard {
    fn drop(&mut self) {
        if let DbGuard::Postgres { base_url, schema } = self {
            let (base_url, schema) = (base_url.clone(), schema.clone());
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(async {
                        if let Ok(mut conn) = AsyncPgConnection::establish(&base_url).await {
                            let _ = conn
                                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// Reading a JSON body in a test. Each accessor takes a path — a key (`"account-url"`), or
/// keys and array indices separated by `/` (`"links/next"`, `"accounts/0/account-url"`) —
/// and fails the test, naming the path and showing the body, when the value is missing or
/// of another type: a default in its place would let a check pass on nothing.
pub trait Json: std::fmt::Display {
    /// The value at `path`, which must be present (it may be `null`).
    fn at(&self, path: &str) -> &Value;
    /// The string at `path`.
    fn str_at(&self, path: &str) -> &str;
    /// The array at `path`.
    fn array_at(&self, path: &str) -> &Vec<Value>;
    /// The non-negative integer at `path`.
    fn u64_at(&self, path: &str) -> u64;

    /// [`Json::str_at`], owned.
    #[track_caller]
    fn string_at(&self, path: &str) -> String {
        self.str_at(path).to_string()
    }

    /// The string `field` (a path within the item) of every item of the array at `path`;
    /// every item must have one.
    #[track_caller]
    fn strs_at(&self, path: &str, field: &str) -> Vec<&str> {
        let mut strings = Vec::new();
        for (i, item) in self.array_at(path).iter().enumerate() {
            match item.pointer(&format!("/{field}")).and_then(Value::as_str) {
                Some(text) => strings.push(text),
                None => panic!("`{path}/{i}/{field}` is not a string in {item}"),
            }
        }
        strings
    }

    /// The first item of the array at `path` whose `field` (a path within the item) equals
    /// `value`; fails the test when there is none.
    #[track_caller]
    fn item_at(&self, path: &str, field: &str, value: &str) -> &Value {
        let found = self
            .array_at(path)
            .iter()
            .find(|item| item.pointer(&format!("/{field}")).and_then(Value::as_str) == Some(value));
        match found {
            Some(item) => item,
            None => panic!("no item of `{path}` with `{field}` {value:?} in {self}"),
        }
    }
}

impl Json for Value {
    #[track_caller]
    fn at(&self, path: &str) -> &Value {
        let pointer = if path.starts_with('/') {
            path.to_string()
        } else {
            format!("/{path}")
        };
        match self.pointer(&pointer) {
            Some(value) => value,
            None => panic!("no `{path}` in {self}"),
        }
    }

    #[track_caller]
    fn str_at(&self, path: &str) -> &str {
        match self.at(path) {
            Value::String(text) => text,
            other => panic!("`{path}` is {other}, not a string, in {self}"),
        }
    }

    #[track_caller]
    fn array_at(&self, path: &str) -> &Vec<Value> {
        match self.at(path) {
            Value::Array(items) => items,
            other => panic!("`{path}` is {other}, not an array, in {self}"),
        }
    }

    #[track_caller]
    fn u64_at(&self, path: &str) -> u64 {
        match self.at(path).as_u64() {
            Some(n) => n,
            None => panic!("`{path}` is {}, not a count, in {self}", self.at(path)),
        }
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: actix_web::http::header::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `title` of the first error; fails the test when the response is not an error.
    #[track_caller]
    pub fn error_title(&self) -> &str {
        match self.body["errors"][0]["title"].as_str() {
            Some(title) => title,
            None => panic!("expected an error, got {}: {}", self.status, self.body),
        }
    }

    pub fn error_pointer(&self) -> Option<&str> {
        self.body["errors"][0]["source"]["pointer"].as_str()
    }

    pub fn error_parameter(&self) -> Option<&str> {
        self.body["errors"][0]["source"]["parameter"].as_str()
    }
}

pub struct TestApp {
    service: BoxedService,
    worker_state: web::Data<AppState>,
    pub db: Db,
    /// The app's clock: tests move it forward instead of sleeping.
    pub clock: hyperbank::time::Clock,
    /// The bootstrapped organization: its key, and URLs.
    pub key: String,
    pub organization_url: String,
    pub user_url: String,
    pub api_key_url: String,
    _guard: DbGuard,
}

/// A fresh database of the backend under test, migrated.
pub async fn fresh_database() -> (Backend, DbGuard) {
    match std::env::var("HYPERBANK_TEST_DATABASE_URL") {
        Ok(base_url) if !base_url.is_empty() => {
            let schema = format!("hb_test_{}", hex_suffix());
            let mut conn = AsyncPgConnection::establish(&base_url)
                .await
                .unwrap_or_else(|e| panic!("cannot reach {base_url}: {e}"));
            conn.batch_execute(&format!("CREATE SCHEMA {schema}"))
                .await
                .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
            let separator = if base_url.contains('?') { '&' } else { '?' };
            let url = format!("{base_url}{separator}options=-c%20search_path%3D{schema}");
            (
                Backend::Postgres(url),
                DbGuard::Postgres { base_url, schema },
            )
        }
        _ => {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
            let path = dir.path().join("test.sqlite3");
            (
                Backend::Sqlite(path.to_string_lossy().into_owned()),
                DbGuard::Sqlite(dir),
            )
        }
    }
}

fn hex_suffix() -> String {
    rand::random::<[u8; 8]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl TestApp {
    /// A new app on its own database, with the Sandbox organization bootstrapped.
    /// Verifications complete and fps payments are delivered at the worker's next pass
    /// (which tests run explicitly), and bank accounts open at once.
    pub async fn new() -> TestApp {
        TestApp::with_settings(hyperbank::config::Settings {
            verification_duration: std::time::Duration::ZERO,
            account_opening: std::time::Duration::ZERO,
            fps_settlement: std::time::Duration::ZERO,
            ..Default::default()
        })
        .await
    }

    /// [`TestApp::new`] with other settings.
    pub async fn with_settings(settings: hyperbank::config::Settings) -> TestApp {
        let (backend, guard) = fresh_database().await;
        migrations::run_pending(&backend)
            .await
            .unwrap_or_else(|e| panic!("migrations: {e}"));
        let options = PoolOptions {
            max_size: 4,
            ..PoolOptions::default()
        };
        let db = Db::connect(&backend, &options).unwrap_or_else(|e| panic!("pool: {e}"));
        let created = bootstrap::sandbox_if_empty(&db, None, settings.test_money)
            .await
            .unwrap_or_else(|e| panic!("bootstrap: {e}"))
            .unwrap_or_else(|| panic!("a fresh database is empty"));
        let report = created.report();
        let worker_state = web::Data::new(AppState::new(db.clone(), settings));
        // Requests are served as one of the server's HTTP worker threads serves them: through
        // a database handle of their own (on PostgreSQL, another pool), beside the worker's.
        let state = web::Data::new(AppState {
            db: db
                .for_worker(1)
                .unwrap_or_else(|e| panic!("worker pool: {e}")),
            ..worker_state.get_ref().clone()
        });
        let clock = state.clock.clone();
        let service = test::init_service(hyperbank::app(state)).await;
        let service: BoxedService = Box::new(BoxService { inner: service });
        TestApp {
            service,
            worker_state,
            clock,
            db,
            key: report.api_key_secret,
            organization_url: report.organization_url,
            user_url: report.user_url,
            api_key_url: report.api_key_url,
            _guard: guard,
        }
    }

    /// Runs the background worker until nothing is due; returns the steps taken.
    pub async fn run_worker(&self) -> usize {
        let mut total = 0;
        loop {
            let taken = self
                .worker_state
                .worker()
                .run_once()
                .await
                .unwrap_or_else(|e| panic!("worker: {e}"));
            if taken == 0 {
                return total;
            }
            total += taken;
        }
    }

    /// Runs the webhook deliverer until nothing is due: returns the events dispatched plus
    /// the attempts made.
    pub async fn deliver_webhooks(&self) -> usize {
        let deliverer = hyperbank::webhooks::deliverer::Deliverer::new(
            self.db.clone(),
            self.clock.clone(),
            self.worker_state.settings.webhooks.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("deliverer: {e}"));
        let mut total = 0;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let steps = deliverer
                .run_once()
                .await
                .unwrap_or_else(|e| panic!("delivering webhooks: {e}"));
            total += steps;
            // On PostgreSQL an event waits until every older transaction (another test's,
            // on the same server) has ended: wait for those too.
            let waiting = hyperbank::webhooks::dispatch::anything_new(&self.db)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            if steps == 0 && !waiting {
                return total;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "events never dispatched"
            );
            if steps == 0 {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }

    /// Makes the bootstrapped organization `test-mode` or `live-mode`, as no endpoint can.
    pub async fn set_organization_mode(&self, mode: &str) {
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        use hyperbank::store::schema::organizations;
        let id = id_of(&self.organization_url).to_string();
        let mut tx = self.db.write().await.unwrap_or_else(|e| panic!("{e}"));
        let result = hyperbank::dispatch!(&mut tx.conn(), c => diesel::update(
                organizations::table.find(&id))
            .set(organizations::organization_mode.eq(mode))
            .execute(c)
            .await);
        tx.finish(result).await.unwrap_or_else(|e| panic!("{e}"));
    }

    /// Another organization on the same database, with its own first user and key.
    pub async fn other_organization(&self, name: &str, email: &str) -> Bootstrapped {
        let test_money = self.worker_state.settings.test_money;
        bootstrap::create_organization(&self.db, name, email, None, None, test_money)
            .await
            .unwrap_or_else(|e| panic!("bootstrap: {e}"))
    }

    /// Another organization, "Other Ltd", and its first bank account as its own key sees it.
    pub async fn other_organization_account(&self) -> (Bootstrapped, Value) {
        let other = self
            .other_organization("Other Ltd", "other@example.com")
            .await;
        let accounts = self
            .get_as(
                other.secret.as_str(),
                &format!("{}/bank/accounts", other.report().organization_url),
            )
            .await;
        assert_eq!(accounts.status, StatusCode::OK, "{}", accounts.body);
        let account = accounts.body.at("accounts/0").clone();
        (other, account)
    }

    /// The SQLite database file and its WAL, when the suite runs on SQLite (none on
    /// PostgreSQL). A directory that cannot be read, or one without the database file, fails
    /// the test: a check of "every file" must not pass over no file.
    pub fn sqlite_files(&self) -> Vec<std::path::PathBuf> {
        let DbGuard::Sqlite(dir) = &self._guard else {
            return Vec::new();
        };
        let entries = std::fs::read_dir(dir.path())
            .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.path().display()));
        let files: Vec<_> = entries
            .map(|entry| {
                entry
                    .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.path().display()))
                    .path()
            })
            .collect();
        assert!(
            files.iter().any(|f| f.ends_with("test.sqlite3")),
            "no database file among {files:?}"
        );
        files
    }

    pub fn auth(&self) -> String {
        format!("GriffinAPIKey {}", self.key)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.send(
            TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, self.auth())),
        )
        .await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Response {
        self.send(
            TestRequest::get()
                .uri(path)
                .insert_header((header::AUTHORIZATION, format!("GriffinAPIKey {key}"))),
        )
        .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Response {
        self.send(
            TestRequest::post()
                .uri(path)
                .insert_header((header::AUTHORIZATION, self.auth()))
                .set_json(body),
        )
        .await
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.send(
            TestRequest::delete()
                .uri(path)
                .insert_header((header::AUTHORIZATION, self.auth())),
        )
        .await
    }

    /// Sends a request and checks the response as every test must (see [`check_response`]).
    pub async fn send(&self, request: TestRequest) -> Response {
        let request = request.to_request();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let response = self
            .service
            .call(request)
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: service error {e}"));
        let status = response.status();
        let headers = response.headers().clone();
        let raw = test::read_body(response).await.to_vec();
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("(not text)"));
        let body = check_response(method.as_str(), &path, status.as_u16(), content_type, &raw);
        Response {
            status,
            headers,
            body,
            raw,
        }
    }
}

/// Checks a response the way every test must, whether it came from the app in process or
/// from the real binary over TCP: never a 5xx; a body, if any, of JSON served as
/// `application/json`, or of another media type the operation documents (the Xero CSV of an
/// account's transactions: UTF-8 text, validated against that type's schema); our error body
/// for every error; and both contracts — Griffin's spec for Griffin's operations, our
/// `openapi.yaml` for every route, method and status. Returns the body: its JSON, the text
/// of another media type as a JSON string, `null` when there is none.
#[track_caller]
pub fn check_response(
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    raw: &[u8],
) -> Value {
    // Readiness answers "not ready" with a 503 and its own report: that is its answer, not a
    // failure, and it is checked against `openapi.yaml` like any other.
    let readiness = path == "/readyz" && status == 503;
    assert!(
        status < 500 || readiness,
        "{method} {path} answered {status}: {}",
        String::from_utf8_lossy(raw)
    );
    if raw.is_empty() {
        if status >= 400 {
            check_error_body(method, path, status, None);
        }
        contract::assert_documented(method, path, status, None);
        return Value::Null;
    }
    let media_type = content_type
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_else(|| panic!("{method} {path} {status}: a body without a Content-Type"));
    if media_type != "application/json" {
        assert!(
            status < 400,
            "{method} {path} {status}: an error served as {media_type}, not JSON"
        );
        let text = std::str::from_utf8(raw).unwrap_or_else(|e| {
            panic!("{method} {path} {status}: a {media_type} body that is not UTF-8 ({e})")
        });
        let body = contract::Body::Text {
            media_type: &media_type,
            text,
        };
        contract::assert_documented(method, path, status, Some(body));
        return Value::String(text.to_string());
    }
    let body: Value = serde_json::from_slice(raw).unwrap_or_else(|e| {
        panic!(
            "{method} {path} {status}: body is not JSON ({e}): {}",
            String::from_utf8_lossy(raw)
        )
    });
    assert_eq!(
        content_type,
        Some("application/json"),
        "{method} {path} {status}: {body}"
    );
    if status >= 400 && !readiness {
        check_error_body(method, path, status, Some(&body));
    }
    contract::assert_documented(method, path, status, Some(contract::Body::Json(&body)));
    body
}

#[track_caller]
fn check_error_body(method: &str, path: &str, status: u16, body: Option<&Value>) {
    let body = body.unwrap_or_else(|| panic!("{method} {path} {status}: an error without a body"));
    let errors = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} {status}: no `errors` array in {body}"));
    assert_eq!(errors.len(), 1, "{body}");
    let error = &errors[0];
    assert_eq!(error["status"], status.to_string(), "{body}");
    assert!(
        error["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        error["detail"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    if let Some(source) = error.get("source") {
        assert!(
            source.get("pointer").is_some() || source.get("parameter").is_some(),
            "{body}"
        );
    }
}

/// Adapts the app's service (whose body type is opaque) to a boxed one.
struct BoxService<S> {
    inner: S,
}

impl<S, B> Service<actix_http::Request> for BoxService<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    S::Future: 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<ServiceResponse<BoxBody>, actix_web::Error>>>,
    >;

    actix_web::dev::forward_ready!(inner);

    fn call(&self, request: actix_http::Request) -> Self::Future {
        let future = self.inner.call(request);
        Box::pin(async move { future.await.map(ServiceResponse::map_into_boxed_body) })
    }
}

/// The id part of a resource URL: `/v0/organizations/og.x` → `og.x`.
pub fn id_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

/// The `DATABASE_URL` that names `backend`.
pub fn database_url(backend: &Backend) -> String {
    match backend {
        Backend::Postgres(url) => url.clone(),
        Backend::Sqlite(path) => format!("sqlite://{path}"),
    }
}

/// A member added through an invitation: their session, an API key, and URLs.
pub struct Member {
    pub session: String,
    pub key: String,
    pub membership_url: String,
}

impl Member {
    pub fn session_auth(&self) -> String {
        format!("GriffinSession {}", self.session)
    }

    pub fn key_auth(&self) -> String {
        format!("GriffinAPIKey {}", self.key)
    }
}

impl TestApp {
    /// Sends `method path` with an `Authorization` header value (or none) and a JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        authorization: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut request = TestRequest::default().method(method).uri(path);
        if let Some(value) = authorization {
            request = request.insert_header((header::AUTHORIZATION, value));
        }
        if let Some(body) = body {
            request = request.set_json(body);
        }
        self.send(request).await
    }

    /// `call` with the bootstrapped admin's key.
    pub async fn admin(&self, method: Method, path: &str, body: Option<Value>) -> Response {
        self.call(method, path, Some(&self.auth()), body).await
    }

    /// The URL of the built-in role with this display name.
    pub async fn role_url(&self, display_name: &str) -> String {
        let roles = self.send(TestRequest::get().uri("/v0/roles")).await;
        roles
            .body
            .item_at("roles", "display-name", display_name)
            .string_at("role-url")
    }

    /// Invites `email` to the bootstrapped organization with the given role URLs, accepts
    /// the invitation, and gives the new member an API key (made through the store: members
    /// without `api-keys:manage` cannot make one over HTTP).
    pub async fn member(&self, email: &str, role_urls: &[String]) -> Member {
        let invited = self
            .admin(
                Method::POST,
                &format!("{}/invitations", self.organization_url),
                Some(serde_json::json!({"email-address": email, "role-urls": role_urls})),
            )
            .await;
        assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.body);
        let token = invited.body.str_at("invitation-token");
        let accepted = self
            .call(
                Method::POST,
                "/v0/invitations/actions/accept",
                None,
                Some(
                    serde_json::json!({"invitation-token": token, "given-name": "Ada",
                    "surname": "Lovelace", "password": "correct horse battery"}),
                ),
            )
            .await;
        assert_eq!(accepted.status, StatusCode::CREATED, "{}", accepted.body);
        let user_url = accepted.body.string_at("user-url");
        let secret =
            hyperbank::api_keys::secret::ApiKeySecret::generate(&format!("member{}", hex_suffix()));
        let mut tx = self.db.write().await.unwrap_or_else(|e| panic!("{e}"));
        let organization_id = hyperbank::ids::OrganizationId::parse(id_of(&self.organization_url))
            .expect("an organization id");
        let user_id = hyperbank::ids::UserId::parse(id_of(&user_url)).expect("a user id");
        let inserted =
            hyperbank::api_keys::insert(&mut tx.conn(), &organization_id, &user_id, &secret).await;
        tx.finish(inserted).await.unwrap_or_else(|e| panic!("{e}"));
        Member {
            session: accepted.body.string_at("session-token"),
            key: secret.as_str().to_string(),
            membership_url: accepted.body.string_at("membership-url"),
        }
    }

    /// The URL of the organization's workflow with this display name.
    pub async fn workflow_url(&self, display_name: &str) -> String {
        let list = self
            .get(&format!("{}/workflows", self.organization_url))
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        list.body
            .item_at("workflows", "display-name", display_name)
            .string_at("workflow-url")
    }

    /// The bootstrapped admin's membership URL.
    pub async fn admin_membership_url(&self) -> String {
        let list = self
            .get(&format!("{}/memberships", self.organization_url))
            .await;
        list.body
            .item_at("memberships", "user/user-url", &self.user_url)
            .string_at("membership-url")
    }

    /// Every row of the team's tables (organizations with their owners, memberships, their
    /// roles, sessions with their organizations, API keys) as text, in a fixed order: equal
    /// before and after a request when it changed none of them.
    pub async fn team_tables(&self) -> Vec<String> {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Line {
            #[diesel(sql_type = diesel::sql_types::Text)]
            line: String,
        }
        let queries = [
            "SELECT 'organization ' || id || ' ' || display_name || ' ' || organization_mode \
             || ' owner ' || COALESCE(owner_membership_id, '-') AS line FROM organizations",
            "SELECT 'membership ' || id || ' ' || organization_id || ' ' || user_id || ' ' \
             || membership_status AS line FROM memberships",
            "SELECT 'role ' || membership_id || ' ' || role_id AS line FROM membership_roles",
            "SELECT 'session ' || id || ' ' || user_id || ' in ' || COALESCE(organization_id, '-') \
             AS line FROM sessions",
            "SELECT 'api key ' || id || ' ' || organization_id || ' ' || user_id AS line \
             FROM api_keys",
        ];
        let mut conn = self.db.read().await.unwrap_or_else(|e| panic!("{e}"));
        let mut lines = Vec::new();
        for sql in queries {
            let query = diesel::sql_query(format!("{sql} ORDER BY line"));
            let rows: Vec<Line> = hyperbank::dispatch!(&mut conn.conn(), c => query.load(c).await)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
            lines.extend(rows.into_iter().map(|row| row.line));
        }
        assert!(!lines.is_empty(), "no team rows at all");
        lines
    }
}

/// Bank accounts and money, for the tests of the ledger and what builds on it.
impl TestApp {
    /// The organization's primary account, as listed.
    pub async fn primary_account(&self) -> Value {
        let list = self
            .get(&format!(
                "{}/bank/accounts?sort=created-at",
                self.organization_url
            ))
            .await;
        list.body["accounts"]
            .as_array()
            .and_then(|all| all.iter().find(|a| a["primary-account"] == true))
            .cloned()
            .unwrap_or_else(|| panic!("no primary account: {}", list.body))
    }

    /// Opens an account with this body; panics unless it is created.
    pub async fn open_account(&self, body: Value) -> Value {
        let response = self
            .post(&format!("{}/bank/accounts", self.organization_url), body)
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        response.body
    }

    /// An operational account's URL.
    pub async fn operational_account(&self, name: &str) -> String {
        let account = self
            .open_account(serde_json::json!({
                "bank-product-type": "operational-account",
                "display-name": name,
            }))
            .await;
        account.string_at("account-url")
    }

    /// A new individual legal person of the organization; its URL.
    pub async fn individual(&self, name: &str) -> String {
        let response = self
            .post(
                &format!("{}/legal-persons", self.organization_url),
                serde_json::json!({"display-name": name, "legal-person-type": "individual"}),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.body);
        response.body.string_at("legal-person-url")
    }

    /// Simulates an inbound payment of `value` (e.g. "10.00") to the account.
    pub async fn inbound(&self, account_url: &str, value: &str) -> Response {
        self.post(
            &format!(
                "/v0/simulation/bank/accounts/{}/inbound-payments",
                id_of(account_url)
            ),
            serde_json::json!({"payment-amount": {"currency": "GBP", "value": value}}),
        )
        .await
    }

    /// [`TestApp::inbound`], retried while the organization has too many requests in flight
    /// (429), as a client would.
    pub async fn inbound_retrying(&self, account_url: &str, value: &str) -> Response {
        loop {
            let response = self.inbound(account_url, value).await;
            if response.status != StatusCode::TOO_MANY_REQUESTS {
                return response;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    /// An account's balances, as (account-balance, available-balance) values.
    pub async fn balances(&self, account_url: &str) -> (String, String) {
        let account = self.get(account_url).await;
        assert_eq!(account.status, StatusCode::OK, "{}", account.body);
        let value = |key: &str| account.body.string_at(&format!("{key}/value"));
        (value("account-balance"), value("available-balance"))
    }

    /// Runs `verify-ledger`'s checks; panics naming every breach.
    pub async fn assert_ledger_ok(&self) {
        let report = hyperbank::ledger::verify::run(&self.db)
            .await
            .unwrap_or_else(|e| panic!("verify-ledger: {e}"));
        assert!(
            report.breaches.is_empty(),
            "ledger breaches: {:?}",
            report.breaches
        );
    }
}

/// Payments, for the tests of payees, payments and submissions.
impl TestApp {
    /// The application state the requests see (limits, settings).
    pub fn state(&self) -> &AppState {
        &self.worker_state
    }

    /// Creates a payment of `value` from the account to `creditor`.
    pub async fn pay(&self, account_url: &str, creditor: Value, value: &str) -> Response {
        self.post(
            &format!("{account_url}/payments"),
            serde_json::json!({"creditor": creditor,
                               "payment-amount": {"currency": "GBP", "value": value}}),
        )
        .await
    }

    /// Submits the payment by `scheme`.
    pub async fn submit(&self, payment_url: &str, scheme: &str) -> Response {
        self.post(
            &format!("{payment_url}/submissions"),
            serde_json::json!({"payment-scheme": scheme}),
        )
        .await
    }

    /// `POST path` with a JSON body and an `Idempotency-Key`, as the admin.
    pub async fn post_idempotent(&self, path: &str, key: &str, body: Value) -> Response {
        self.post_idempotent_as(&self.auth(), path, key, body).await
    }

    /// [`TestApp::post_idempotent`] with another `Authorization` header value.
    pub async fn post_idempotent_as(
        &self,
        authorization: &str,
        path: &str,
        key: &str,
        body: Value,
    ) -> Response {
        self.send(
            TestRequest::post()
                .uri(path)
                .insert_header((header::AUTHORIZATION, authorization))
                .insert_header(("Idempotency-Key", key))
                .set_json(body),
        )
        .await
    }
}

/// The app served over real HTTP, for clients that are not ours.
impl TestApp {
    /// Serves the app (its state, database and clock) on a loopback port until the returned
    /// handle stops it.
    pub fn listen(&self) -> (u16, actix_web::dev::ServerHandle) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap_or_else(|e| panic!("no loopback port: {e}"));
        let port = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"))
            .port();
        let state = self.worker_state.clone();
        let server = actix_web::HttpServer::new(move || hyperbank::app(state.clone()))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .unwrap_or_else(|e| panic!("cannot listen: {e}"))
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        (port, handle)
    }
}
