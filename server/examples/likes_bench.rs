//! Likes and feed reads per second, against `GET /healthz` in the same run. The server runs in this process on a
//! fresh SQLite database with the demo seeded; `viewers` (1,000 by default) each have their own viewer cookie, so
//! their own rate limit; clients keep their connections.
//!
//! - `like` over HTTP: each call carries 10 taps (half a second of fast tapping, as the page batches them). Taps
//!   offered and taps accepted per second, and whether the stored total is exactly the sum of what was acknowledged.
//! - The durable sum alone (`likes::Writer`, no HTTP): one delta in flight per viewer, group-committed.
//! - Broadcasts: `onLikeCount` deliveries one subscriber got during the HTTP run, per second.
//! - `GET /api/feed/demo` (50 posts, from the page cache) and the same with `If-None-Match` (304).
//!
//!     cargo run --release -p caravan-server --example likes_bench [requests] [concurrency] [viewers]

use std::{
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

mod support;

const TAPS_PER_CALL: i64 = 10;
const LIKE: &str = "mutation($e: ID!, $n: Int!) { like(eventId: $e, count: $n) { total accepted } }";

/// One `onLikeCount` subscriber counting its deliveries.
async fn count_broadcasts(base: &str, api_key: &str, counted: Arc<AtomicUsize>) -> anyhow::Result<()> {
    let host = base.trim_start_matches("http://");
    let auth = json!({ "host": host, "x-api-key": api_key });
    let mut request = format!("ws://{host}/graphql/realtime").into_client_request()?;
    let protocols = format!("graphql-ws, header-{}", URL_SAFE_NO_PAD.encode(auth.to_string()));
    request
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_str(&protocols)?);
    let (mut ws, _) = connect_async(request).await?;
    ws.send(Message::Text(r#"{"type":"connection_init"}"#.into())).await?;
    let data = json!({ "query": "subscription($e: ID!) { onLikeCount(eventId: $e) { total } }", "variables": { "e": "evt_demo" } });
    let start = json!({ "id": "likes", "type": "start",
        "payload": { "data": data.to_string(), "extensions": { "authorization": auth } } });
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame? else { continue };
        let message: Value = serde_json::from_str(&text)?;
        match message["type"].as_str() {
            Some("connection_ack") => ws.send(Message::Text(start.to_string().into())).await?,
            Some("start_ack") => break,
            Some("error" | "connection_error") => anyhow::bail!("subscription refused: {message}"),
            _ => {}
        }
    }
    tokio::spawn(async move {
        while let Some(Ok(Message::Text(text))) = ws.next().await {
            if text.starts_with(r#"{"type":"data""#) {
                counted.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let viewers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(1000);

    let server = support::serve(|_| {}).await?;
    let base = server.base.clone();
    let api_key = server.config.api_key.expose().clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let mut cookies = Vec::with_capacity(viewers);
    for _ in 0..viewers {
        let response = client
            .post(format!("{base}/api/playback/demo"))
            .json(&json!({ "acceptTerms": true }))
            .send()
            .await?;
        cookies.push(support::first_cookie(&response));
    }
    let cookies = Arc::new(cookies);
    for i in 0..30 {
        server
            .feed
            .post_local(
                "evt_demo",
                &format!("Post {i}: #caravan https://shop.example/{i}"),
                Some("Host"),
            )
            .await?;
    }

    let health = support::healthz_rate(&client, &base, requests, concurrency).await;

    // Likes over HTTP, with one subscriber counting the broadcasts meanwhile.
    let broadcasts = Arc::new(AtomicUsize::new(0));
    count_broadcasts(&base, &api_key, broadcasts.clone()).await?;
    let before = server.store.likes("evt_demo").await?;
    let accepted = Arc::new(AtomicI64::new(0));
    let started = Instant::now();
    let likes = {
        let (client, base, api_key, cookies, accepted) = (
            client.clone(),
            base.clone(),
            api_key.clone(),
            cookies.clone(),
            accepted.clone(),
        );
        support::rate(requests, concurrency, move |i| {
            let (client, base, api_key, cookies, accepted) = (
                client.clone(),
                base.clone(),
                api_key.clone(),
                cookies.clone(),
                accepted.clone(),
            );
            async move {
                let answer: Value = client
                    .post(format!("{base}/graphql"))
                    .header("x-api-key", api_key)
                    .header("cookie", &cookies[i % viewers])
                    .json(&json!({ "query": LIKE, "variables": { "e": "evt_demo", "n": TAPS_PER_CALL } }))
                    .send()
                    .await
                    .expect("a like")
                    .json()
                    .await
                    .expect("JSON");
                let taken = answer["data"]["like"]["accepted"].as_i64().expect("accepted");
                accepted.fetch_add(taken, Ordering::Relaxed);
            }
        })
        .await
    };
    let like_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let broadcasts = broadcasts.load(Ordering::Relaxed) as f64 / (like_seconds + 0.4);
    let accepted = accepted.load(Ordering::Relaxed);
    let stored = server.store.likes("evt_demo").await? - before;
    let exact = if stored == accepted { "yes" } else { "NO" };

    // The durable sum alone: the writer with one delta in flight per viewer.
    let (core, core_taps) = {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (hub, _worker) = caravan_server::realtime::Hub::new();
        let (service, tasks) = caravan_server::likes::Likes::new(
            server.store.clone(),
            caravan_server::publish::Publisher::new(hub),
            stopped,
        );
        tokio::spawn(tasks);
        let before = server.store.likes("evt_demo").await?;
        let writer = service.writer.clone();
        let deltas = requests * 5;
        let per_second = support::rate(deltas, viewers, move |_| {
            let writer = writer.clone();
            async move {
                writer.add("evt_demo", TAPS_PER_CALL).await.expect("durable");
            }
        })
        .await;
        let summed = server.store.likes("evt_demo").await? - before;
        assert_eq!(summed, deltas as i64 * TAPS_PER_CALL, "the durable sum is exact");
        stop.send_replace(true);
        (per_second, per_second * TAPS_PER_CALL as f64)
    };

    let feed = |etag: Option<String>| {
        let (client, base) = (client.clone(), base.clone());
        move |_| {
            let (client, base, etag) = (client.clone(), base.clone(), etag.clone());
            async move {
                let mut request = client.get(format!("{base}/api/feed/demo"));
                if let Some(etag) = etag {
                    request = request.header("if-none-match", etag);
                }
                let response = request.send().await.expect("a feed page");
                assert!(matches!(response.status().as_u16(), 200 | 304));
                let _ = response.bytes().await;
            }
        }
    };
    let etag = client
        .get(format!("{base}/api/feed/demo"))
        .send()
        .await?
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let feed_reads = support::rate(requests, concurrency, feed(None)).await;
    let feed_304 = support::rate(requests, concurrency, feed(etag)).await;

    println!(
        "| measure ({requests} requests, {concurrency} at a time, {viewers} viewers) | per second | ratio to /healthz |"
    );
    println!("|---|---|---|");
    println!("| GET /healthz (baseline) | {health:.0} | 1.00 |");
    println!(
        "| `like` calls ({TAPS_PER_CALL} taps each) | {likes:.0} | {:.2} |",
        likes / health
    );
    println!("| taps offered | {:.0} | |", likes * TAPS_PER_CALL as f64);
    println!(
        "| taps accepted (each viewer's limit: 60 at once, then 20 a second) | {:.0} | |",
        accepted as f64 / like_seconds
    );
    println!("| stored total = sum of acknowledged taps | {exact} ({stored} = {accepted}) | |");
    println!("| `onLikeCount` deliveries to one subscriber | {broadcasts:.1} | |");
    println!("| durable sum alone: deltas ({viewers} in flight) | {core:.0} | |");
    println!("| durable sum alone: taps | {core_taps:.0} | |");
    println!(
        "| GET /api/feed/demo (30 posts) | {feed_reads:.0} | {:.2} |",
        feed_reads / health
    );
    println!(
        "| GET /api/feed/demo, If-None-Match (304) | {feed_304:.0} | {:.2} |",
        feed_304 / health
    );
    anyhow::ensure!(
        stored == accepted,
        "the stored total is not the sum of acknowledged taps"
    );
    Ok(())
}
