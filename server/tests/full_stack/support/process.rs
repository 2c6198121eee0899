//! The real server binary as a process of its own, for tests that kill it (SIGKILL: no shutdown, no flush, as a
//! crash) and start it again on the same data and port.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server on `port` with its data in `dir/data`, and the extra configuration `env` (CARAVAN_* variables).
pub fn start(dir: &Path, port: u16, env: &[(&str, String)]) -> Child {
    std::fs::create_dir_all(dir.join("site")).unwrap();
    Command::new(env!("CARGO_BIN_EXE_caravan-server"))
        .env("CARAVAN_CONFIG", dir.join("none.toml"))
        .env("CARAVAN_ADDR", format!("127.0.0.1:{port}"))
        .env("CARAVAN_RTMP_ADDR", "127.0.0.1:0")
        .env("CARAVAN_SRT_ADDR", "127.0.0.1:0")
        .env("CARAVAN_DATA_DIR", dir.join("data"))
        .env("CARAVAN_SITE_DIR", dir.join("site"))
        .env("CARAVAN_DEMO_MEDIA", "false")
        .env("CARAVAN_LOG", "error")
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts")
}

/// Waits (30 s at most) until the server on `port` answers `/healthz`.
pub async fn wait_up(client: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the server did not come up");
}

/// SIGKILL, and the process reaped.
pub fn kill(mut server: Child) {
    server.kill().unwrap();
    server.wait().unwrap();
}

/// The development API key the server processes run with (their configuration is the defaults).
pub const API_KEY: &str = "da2-caravandevelopmentonlykey0";

/// A viewer of the demo show on the server on `port`: the Cookie header of their viewer session.
pub async fn viewer_cookie(client: &reqwest::Client, port: u16) -> String {
    let response = client
        .post(format!("http://127.0.0.1:{port}/api/playback/demo"))
        .json(&serde_json::json!({ "acceptTerms": true }))
        .send()
        .await
        .unwrap();
    super::cookie_header(&super::set_cookies(&response))
}

/// A GraphQL request to the server on `port` with the API key (and a viewer's `cookie`); its answer, or the error
/// that took it (a refused connection while the server is down, an answer cut off by a kill).
pub async fn graphql(
    client: &reqwest::Client,
    port: u16,
    cookie: Option<&str>,
    body: serde_json::Value,
) -> reqwest::Result<serde_json::Value> {
    let mut request = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .header("x-api-key", API_KEY);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.json(&body).send().await?.json().await
}

/// The demo show's like total on the server on `port`.
pub async fn likes_total(client: &reqwest::Client, port: u16) -> i64 {
    let body = serde_json::json!({ "query": "query { likes(eventId: \"evt_demo\") { total } }" });
    let answer = graphql(client, port, None, body).await.unwrap();
    answer["data"]["likes"]["total"].as_i64().unwrap()
}
