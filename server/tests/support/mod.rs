//! A running caravan-server for full-stack tests: the real application on a free port of 127.0.0.1, with a fresh
//! SQLite database and site directory in a temporary folder. Dropping it shuts the server down.
//! Every test binary compiles this module and uses a part of it.
#![allow(dead_code)]

use std::{net::SocketAddr, path::Path};

use caravan_server::{Application, config::Config};
use tokio::sync::oneshot;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// A server with the demo seeded and no built site.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], after `prepare` has written what it needs into the temporary folder (a site, …).
    pub async fn spawn_with(prepare: impl FnOnce(&Path)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("site")).expect("site dir");
        prepare(dir.path());
        Self::spawn_in(dir).await
    }

    /// A server on the data and site of `dir` (as left by an earlier server: a restart).
    pub async fn spawn_in(dir: tempfile::TempDir) -> Self {
        let site = dir.path().join("site");
        let config = Config::for_tests(&dir.path().join("data"), &site);
        let app = Application::build(&config)
            .await
            .expect("the server starts");
        let addr = app.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.serve(async move {
            let _ = stopped.await;
        }));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            addr,
            client,
            dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("GET answers")
    }

    pub async fn graphql(&self, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&serde_json::json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("POST /graphql answers");
        assert_eq!(response.status(), 200);
        response.json().await.expect("JSON")
    }

    /// Stops the server the way SIGTERM does, waits until it has finished, and hands back its folder.
    pub async fn shut_down(mut self) -> (anyhow::Result<()>, tempfile::TempDir) {
        self.stop.take().expect("running").send(()).ok();
        let result = self
            .server
            .take()
            .expect("running")
            .await
            .expect("server task");
        let placeholder = tempfile::tempdir().expect("temp dir");
        (result, std::mem::replace(&mut self.dir, placeholder))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
