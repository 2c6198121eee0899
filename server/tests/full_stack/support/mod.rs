//! A running caravan-server for full-stack tests: the real application on a free port of 127.0.0.1, with a fresh
//! SQLite database and site directory in a temporary folder. Dropping it shuts the server down.
//!
//! With `TEST_DATABASE=postgres` the servers run on PostgreSQL instead: each temporary folder gets a new database
//! in the server `TEST_POSTGRES_URL` names, its URL kept in the folder so that a restart finds it (`./dev test`
//! runs the suite both ways).
//!
//! Servers run on one runtime shared by every test and living as long as it, as in production (one
//! `#[tokio::main]` runtime for the process): each `#[tokio::test]` runtime only drives its test's client side.
//! Renders that hung now and then in full suite runs had another cause: a server starting elsewhere in the process
//! listed the app's routes with resource loading suppressed process-wide (leptos-rs/leptos#4773); the server now lists
//! them once per process (`site::routes`), and `live_page.rs` holds the regression test.
pub mod process;
pub mod ws;

use std::{
    net::SocketAddr,
    path::Path,
    sync::{LazyLock, Mutex},
};

use caravan_server::{
    Application,
    config::Config,
    jobs::Worker,
    mail::Mailer,
    realtime::Hub,
    secret::{self, Secret},
    store::Store,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The name of the servers' threads.
const SERVER_THREAD: &str = "test-server";

/// The runtime every test server of this binary runs on. Panics on its threads are recorded: a server must not
/// panic whatever it is sent, and a panic in a spawned task or a drop never reaches the test's client, so each
/// `TestApp` checks when it is dropped that there was none.
static SERVERS: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().name() == Some(SERVER_THREAD) {
            SERVER_PANICS
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(info.to_string());
        }
        previous(info);
    }));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(SERVER_THREAD)
        .enable_all()
        .build()
        .expect("the servers' runtime")
});

static SERVER_PANICS: Mutex<Vec<String>> = Mutex::new(Vec::new());

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub hub: Hub,
    /// The server's shared state, for driving its routes in-process (`TestApp::router`).
    state: caravan_server::state::AppState,
    pub api_key: String,
    pub operator_token: String,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// A server with the demo seeded and no built site.
    pub async fn spawn() -> Self {
        Self::start(tempdir(), |_| {}).await
    }

    /// Like [`TestApp::spawn`], after `prepare` has written what it needs into the temporary folder (a site, …).
    pub async fn spawn_with(prepare: impl FnOnce(&Path)) -> Self {
        let dir = tempdir();
        prepare(dir.path());
        Self::start(dir, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with configuration changed by `configure`.
    pub async fn spawn_configured(configure: impl FnOnce(&mut Config)) -> Self {
        Self::start(tempdir(), configure).await
    }

    /// A server on the data and site of `dir` (as left by an earlier server: a restart).
    pub async fn spawn_in(dir: tempfile::TempDir) -> Self {
        Self::start(dir, |_| {}).await
    }

    /// Like [`TestApp::spawn_in`], with configuration changed by `configure`.
    pub async fn spawn_in_configured(dir: tempfile::TempDir, configure: impl FnOnce(&mut Config)) -> Self {
        Self::start(dir, configure).await
    }

    async fn start(dir: tempfile::TempDir, configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_tests(&dir.path().join("data"), &dir.path().join("site"));
        if std::env::var("TEST_DATABASE").as_deref() == Ok("postgres") {
            config.database_url = Some(Secret::new(postgres_database_of(dir.path()).await));
        }
        configure(&mut config);
        let built = config.clone();
        let app = SERVERS
            .spawn(async move { Application::build(&built).await })
            .await
            .expect("the build task")
            .expect("the server starts");
        let addr = app.local_addr();
        let store = app.state().store.clone();
        let hub = app.state().realtime.hub.clone();
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = SERVERS.spawn(app.serve(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A request the server never answers fails the test instead of holding the whole run.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client");
        Self {
            addr,
            client,
            dir,
            store,
            hub,
            state,
            api_key: config.api_key.expose().clone(),
            operator_token: config.operator_token.expose().clone(),
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// The server's routes over its state, to drive in-process on the test's own runtime (without its listener: a
    /// request given to it says where it comes from in a `ConnectInfo`, see `TestApp::in_process`).
    pub fn router(&self) -> axum::Router {
        let embedding = caravan_server::embed::EmbedPolicy::new("", Vec::new()).expect("no partners");
        caravan_server::app(self.state.clone(), embedding)
    }

    /// `request` as one from this machine reaching the listener.
    pub fn in_process(mut request: axum::http::Request<axum::body::Body>) -> axum::http::Request<axum::body::Body> {
        let from = SocketAddr::from(([127, 0, 0, 1], 40_000));
        request.extensions_mut().insert(axum::extract::ConnectInfo(from));
        request
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql/realtime", self.addr)
    }

    /// A viewer's AppSync authorization (the API key) for this server.
    pub fn viewer_auth(&self) -> Value {
        json!({ "host": self.addr.to_string(), "x-api-key": self.api_key })
    }

    /// A viewer's real-time connection with one subscription `id` started and acknowledged.
    pub async fn subscribe(&self, id: &str, query: &str, variables: Value) -> ws::Ws {
        let mut ws = ws::Ws::appsync(&self.ws_url(), &self.viewer_auth()).await;
        ws.send(ws::start(id, query, variables, self.viewer_auth())).await;
        assert_eq!(ws.recv_data().await, json!({ "type": "start_ack", "id": id }));
        ws
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET answers")
    }

    /// A GraphQL request with the given headers: the status and the JSON answer.
    pub async fn graphql_with(&self, headers: &[(&str, &str)], query: &str, variables: Value) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("POST /graphql answers");
        (response.status().as_u16(), response.json().await.expect("JSON"))
    }

    /// A GraphQL request as a viewer (with the API key); it must answer 200.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .graphql_with(&[("x-api-key", &self.api_key)], query, variables)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// A GraphQL request as the operator; it must answer 200.
    pub async fn graphql_as_operator(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .graphql_with(&[("authorization", &self.operator_token)], query, variables)
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Shows `product` in the demo show's pick-up banner (or hides it), as the operator.
    pub async fn set_pickup(&self, event_id: &str, product: Option<&str>, visible: bool) -> Value {
        let body = self
            .graphql_as_operator(
                "mutation($e: ID!, $p: ID, $v: Boolean!) { setPickup(eventId: $e, productId: $p, visible: $v) { eventId productId visible } }",
                json!({ "e": event_id, "p": product, "v": visible }),
            )
            .await;
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    /// A viewer who accepted the terms of the show at `slug` and was granted `kind` ("ticket", "rental", "grant")
    /// by the operator: their cookie header and their id.
    pub async fn entitled_viewer(&self, slug: &str, kind: &str) -> (String, String) {
        let response = self
            .client
            .post(self.url(&format!("/api/playback/{slug}")))
            .json(&json!({ "acceptTerms": true }))
            .send()
            .await
            .expect("POST /api/playback answers");
        let cookies = cookie_header(&set_cookies(&response));
        let answer: Value = response.json().await.expect("JSON");
        let viewer_id = answer["viewerId"].as_str().expect("a viewer id").to_string();
        let granted = self
            .client
            .post(self.url("/api/admin/entitlements"))
            .header("authorization", &self.operator_token)
            .json(&json!({ "slug": slug, "viewerId": viewer_id, "kind": kind }))
            .send()
            .await
            .expect("POST /api/admin/entitlements answers");
        assert_eq!(granted.status(), 204);
        (cookies, viewer_id)
    }

    /// A signed-in operator's console session, as a cookie header.
    pub async fn operator_cookie(&self) -> String {
        let response = self
            .client
            .post(self.url("/api/admin/login"))
            .form(&[("token", self.operator_token.as_str()), ("next", "/admin/demo")])
            .send()
            .await
            .expect("POST /api/admin/login answers");
        cookie_header(&set_cookies(&response))
    }

    /// The console page of the show at `slug`, as the operator with `cookie` gets it.
    pub async fn console_html(&self, slug: &str, cookie: &str) -> String {
        let response = self
            .client
            .get(self.url(&format!("/admin/{slug}")))
            .header("cookie", cookie)
            .send()
            .await
            .expect("GET /admin answers");
        response.text().await.expect("HTML")
    }

    /// A job worker on this server's database sending with `mailer`; its clock is the caller's (`run_due(now)`).
    pub fn worker(&self, mailer: Mailer) -> Worker {
        Worker {
            store: self.store.clone(),
            mailer: std::sync::Arc::new(mailer),
            site_url: "https://caravan.example".into(),
            exports_dir: self.dir.path().join("exports"),
            stripe: None,
        }
    }

    /// The paid demo's content key: key id 0x0123…ef, key 0x0011…ff (the W3C ClearKey example's values).
    pub async fn put_demo_key(&self) {
        self.store
            .put_content_key(
                "evt_demo_paid",
                "0123456789abcdef0123456789abcdef",
                "00112233445566778899aabbccddeeff",
            )
            .await
            .unwrap();
    }

    /// Stops the server the way SIGTERM does, waits until it has finished, and hands back its folder.
    pub async fn shut_down(mut self) -> (anyhow::Result<()>, tempfile::TempDir) {
        self.stop.take().expect("running").send(()).ok();
        let result = self.server.take().expect("running").await.expect("server task");
        let placeholder = tempdir();
        (result, std::mem::replace(&mut self.dir, placeholder))
    }
}

/// A new, empty database in the tests' PostgreSQL server (`TEST_POSTGRES_URL`, which `./dev test` starts): its URL.
pub async fn new_postgres_database() -> String {
    let server = std::env::var("TEST_POSTGRES_URL")
        .expect("TEST_POSTGRES_URL names the PostgreSQL server of the tests (./dev test starts one)");
    let name = format!("caravan_test_{}", secret::random_token(9).unwrap())
        .to_lowercase()
        .replace('-', "_");
    // A pool, not a connection: `&PgPool` is an executor for any lifetime, which the servers' spawned futures need.
    let admin = sqlx::PgPool::connect(&server)
        .await
        .expect("the tests' PostgreSQL answers");
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("database created");
    admin.close().await;
    let (base, _) = server.rsplit_once('/').expect("a database in the URL");
    format!("{base}/{name}")
}

/// A new, empty bucket in the tests' S3 endpoint (`TEST_S3_ENDPOINT`, moto_server, which `./dev test` starts): the
/// endpoint and the bucket's name.
pub async fn new_s3_bucket() -> (String, String) {
    let endpoint = std::env::var("TEST_S3_ENDPOINT")
        .expect("TEST_S3_ENDPOINT names the S3 endpoint of the tests (./dev test starts moto_server)");
    let token = secret::random_token(12).unwrap();
    let bucket = format!(
        "caravan-test-{}",
        token.to_lowercase().replace(|c: char| !c.is_ascii_alphanumeric(), "")
    );
    caravan_server::outbound::install_tls();
    let made = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("the tests' S3 endpoint answers");
    assert!(made.status().is_success(), "bucket made: {}", made.status());
    (endpoint, bucket)
}

/// The PostgreSQL database of the test folder `dir`: made on its first server, found again by a restart.
async fn postgres_database_of(dir: &Path) -> String {
    let file = dir.join("postgres-url");
    if let Ok(url) = std::fs::read_to_string(&file) {
        return url;
    }
    let url = new_postgres_database().await;
    std::fs::write(&file, &url).expect("the database's URL kept");
    url
}

/// The `name=value` pairs of a response's `Set-Cookie` headers, and the headers whole.
pub fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

pub fn cookie_header(set_cookies: &[String]) -> String {
    set_cookies
        .iter()
        .map(|c| c.split(';').next().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// A `Stripe-Signature` for `body` signed at `t` with `secret`, computed here as Stripe does (hex HMAC-SHA256 of
/// `"<t>.<body>"`), not with the server's code.
pub fn stripe_signature(secret: &str, t: i64, body: &str) -> String {
    let hex: String = hmac_sha256(secret, format!("{t}.{body}").as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// HMAC-SHA256 of `message`, as webhook senders sign (the tests' own code, not the server's).
pub fn hmac_sha256(secret: &str, message: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("site")).expect("site dir");
    dir
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if !std::thread::panicking() {
            let panics = SERVER_PANICS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            assert!(panics.is_empty(), "a test server panicked: {panics:#?}");
        }
    }
}
