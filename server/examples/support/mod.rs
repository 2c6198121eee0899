//! What the in-process benchmarks share: the real server on a free port of 127.0.0.1 with a fresh SQLite database
//! (or a PostgreSQL one several replicas share), buyers' cookies, and the cookie a response sets. Each benchmark compiles this module and uses a part of it.
#![allow(dead_code)]

use std::{sync::Arc, time::Instant};

use caravan_server::{Application, config::Config, store::Store};

pub struct InProcess {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub config: Config,
    pub store: Store,
    /// The feed service (to post as the operator).
    pub feed: caravan_server::feed::Feed,
    sessions: caravan_server::session::Sessions,
    /// The data folder, removed when this is dropped.
    _dir: tempfile::TempDir,
}

/// Starts the server with the test defaults (no demo media, logging warnings only), changed by `configure`.
pub async fn serve(configure: impl FnOnce(&mut Config)) -> anyhow::Result<InProcess> {
    let dir = tempfile::tempdir()?;
    std::fs::create_dir_all(dir.path().join("site"))?;
    let mut config = Config::for_tests(&dir.path().join("data"), &dir.path().join("site"));
    config.log = "warn".into();
    // Every client of a benchmark is this machine: one address, so no per-address limit.
    config.address_limits = String::new();
    config.max_connections_per_address = 0;
    configure(&mut config);
    let app = Application::build(&config).await?;
    let base = format!("http://{}", app.local_addr());
    let store = app.state().store.clone();
    let feed = app.state().feed.clone();
    let sessions = app.state().sessions.clone();
    tokio::spawn(app.serve(std::future::pending()));
    Ok(InProcess {
        base,
        config,
        store,
        feed,
        sessions,
        _dir: dir,
    })
}

impl InProcess {
    /// A new buyer's `name=value` viewer cookie, as the server would set it on their first request.
    pub fn new_buyer(&self) -> String {
        let id = caravan_server::session::Sessions::new_viewer_id().expect("random");
        let header = self.sessions.viewer_cookie(&id);
        let header = header.to_str().expect("a cookie is ASCII");
        header.split(';').next().unwrap_or_default().to_string()
    }
}

/// The `p` quantile (0–1) of `sorted` durations, in milliseconds.
pub fn percentile(sorted: &[std::time::Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// A new, empty database in the PostgreSQL server `server` names (`postgres://…/postgres`): its URL.
pub async fn new_postgres_database(server: &str) -> anyhow::Result<String> {
    use sqlx::Connection;

    let name = format!("caravan_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(server).await?;
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await?;
    let (base, _) = server
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("no database in the URL"))?;
    Ok(format!("{base}/{name}"))
}

/// The `name=value` of the first cookie a response sets (empty when none).
pub fn first_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split(';').next())
        .unwrap_or_default()
        .to_string()
}

/// Runs `requests` calls of `call(i)` with `concurrency` at a time; calls per second.
pub async fn rate<F, Fut>(requests: usize, concurrency: usize, call: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let call = Arc::new(call);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (call, next) = (call.clone(), next.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= requests {
                        break;
                    }
                    call(i).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("a client");
    }
    requests as f64 / started.elapsed().as_secs_f64()
}

/// The baseline every benchmark measures against in the same run: `GET /healthz` (an HTTP round trip and one
/// database ping) per second.
pub async fn healthz_rate(client: &reqwest::Client, base: &str, requests: usize, concurrency: usize) -> f64 {
    let (client, url) = (client.clone(), format!("{base}/healthz"));
    rate(requests, concurrency, move |_| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let response = client.get(url).send().await.expect("healthz");
            assert_eq!(response.status(), 200);
        }
    })
    .await
}

/// Adds the benchmarks' sale: the show `evt_sale` (slug `sale`, on air) selling one product, `prd_sale` at ¥1,980
/// with ten million in stock.
pub async fn add_sale(store: &Store) -> anyhow::Result<()> {
    add_show(store, "sale").await
}

/// Adds a show on air, `evt_{name}` with the slug `name`, selling one product, `prd_{name}` at ¥1,980 with ten million
/// in stock.
pub async fn add_show(store: &Store, name: &str) -> anyhow::Result<()> {
    use caravan_server::store::{EventRecord, ProductRecord};

    let now = chrono::Utc::now();
    let event = EventRecord::new(&format!("evt_{name}"), name, "Sale", now - chrono::Duration::hours(1));
    let product = ProductRecord {
        id: format!("prd_{name}"),
        event_id: event.id.clone(),
        position: 0,
        title: "Tea".into(),
        title_en: None,
        description: None,
        image_url: "/demo/product-01.svg".into(),
        price: 1980,
        currency: "JPY".into(),
        tax_rate_bp: 800,
        stock: 10_000_000,
    };
    store.create_event(&event, std::slice::from_ref(&product)).await?;
    Ok(())
}
