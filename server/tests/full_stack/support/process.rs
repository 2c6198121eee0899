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
