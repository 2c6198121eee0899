//! Real-time fan-out benchmark: starts a caravan-server (the binary given), opens N concurrent AppSync-protocol
//! subscribers to the demo show's pick-up banner, fires pick-up changes one after another, and reports how long each
//! change took to reach every subscriber (from just before the mutation's request to the subscriber reading the
//! `data` message), and the server's memory. Run it through `./dev bench`.
//!
//! Usage: realtime_bench <caravan-server binary> <site dir> <subscribers> [changes]

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{net::TcpListener, process::Command, sync::mpsc};
use tokio_tungstenite::{
    connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig},
};

const API_KEY: &str = "da2-bench";
const OPERATOR_TOKEN: &str = "bench-operator";
const CONNECT_CONCURRENCY: usize = 200;
const SUBSCRIPTION: &str = "subscription($e: ID!) { onPickupChanged(eventId: $e) { eventId productId visible updatedAt product { id title price currency } } }";

// One thread: the subscribers take at most one of the machine's cores, and the server always has the other.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, server, site, subscribers, rest @ ..] = args.as_slice() else {
        anyhow::bail!("usage: realtime_bench <caravan-server> <site dir> <subscribers> [changes]");
    };
    let subscribers: usize = subscribers.parse()?;
    let changes: usize = rest.first().map(|c| c.parse()).transpose()?.unwrap_or(20);

    let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
    let data = tempfile::tempdir()?;
    let mut child = Command::new(server)
        .arg("serve")
        .env("CARAVAN_ADDR", format!("127.0.0.1:{port}"))
        .env("CARAVAN_DATA_DIR", data.path())
        .env("CARAVAN_SITE_DIR", site)
        .env("CARAVAN_LOG", "warn")
        .env("CARAVAN_API_KEY", API_KEY)
        .env("CARAVAN_OPERATOR_TOKEN", OPERATOR_TOKEN)
        // The demo's encoder would take CPU from the fan-out being measured.
        .env("CARAVAN_DEMO_MEDIA", "false")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no server pid"))?;
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    wait_until_up(&http, &base).await?;
    let idle_rss = rss_kib(pid)?;

    // Connect and subscribe everyone.
    let (receipts, mut receipts_rx) = mpsc::unbounded_channel::<(String, Instant)>();
    let started = Instant::now();
    let mut connecting = futures_util::stream::iter(0..subscribers)
        .map(|i| subscribe(port, i, receipts.clone()))
        .buffer_unordered(CONNECT_CONCURRENCY);
    let mut connections = Vec::with_capacity(subscribers);
    while let Some(connection) = connecting.next().await {
        connections.push(connection?);
    }
    let connect_time = started.elapsed();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let subscribed_rss = rss_kib(pid)?;

    // Fire changes one after another; each waits until every subscriber has it.
    let (server_cpu_before, bench_cpu_before) = (cpu_ms(&pid.to_string())?, cpu_ms("self")?);
    let mut latencies = Vec::with_capacity(subscribers * changes);
    for change in 0..changes {
        let product = format!("prd_demo_{:02}", change % 12 + 1);
        let sent = Instant::now();
        let response = http
            .post(format!("{base}/graphql"))
            .header("authorization", OPERATOR_TOKEN)
            .json(&json!({
                "query": "mutation($p: ID) { setPickup(eventId: \"evt_demo\", productId: $p, visible: true) { visible } }",
                "variables": { "p": product },
            }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "setPickup answered {}",
            response.status()
        );
        let mut received = 0;
        while received < subscribers {
            let (got, at) = tokio::time::timeout(Duration::from_secs(30), receipts_rx.recv())
                .await
                .map_err(|_| anyhow::anyhow!("change {change}: {received} of {subscribers} delivered in 30 s"))?
                .ok_or_else(|| anyhow::anyhow!("subscribers gone"))?;
            if got == product {
                latencies.push(at.duration_since(sent));
                received += 1;
            }
        }
    }
    let peak_rss = rss_kib(pid)?;
    let server_cpu = (cpu_ms(&pid.to_string())? - server_cpu_before) / changes as f64;
    let bench_cpu = (cpu_ms("self")? - bench_cpu_before) / changes as f64;
    drop(connections);
    child.kill().await.ok();

    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    println!(
        "| {subscribers} | {changes} | {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} s | {server_cpu:.0} | {bench_cpu:.0} |",
        latencies.len(),
        ms(at(0.50)),
        ms(at(0.99)),
        ms(*latencies.last().expect("deliveries")),
        idle_rss as f64 / 1024.0,
        subscribed_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0,
        connect_time.as_secs_f64(),
    );
    Ok(())
}

async fn wait_until_up(http: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    for _ in 0..300 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the server did not start")
}

/// CPU time (user + system) a process has used, in ms (`/proc/<pid>/stat`, at 100 ticks a second).
fn cpu_ms(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // After the name: state is field 0, utime field 11, stime field 12.
    Ok((ticks(11) + ticks(12)) * 10.0)
}

/// The server's resident memory, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmRSS"))
}

/// One subscriber: connects, subscribes, and then reports the product of every delivery with its arrival time.
async fn subscribe(
    port: u16,
    index: usize,
    receipts: mpsc::UnboundedSender<(String, Instant)>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let auth = json!({ "host": format!("127.0.0.1:{port}"), "x-api-key": API_KEY });
    let mut request = format!("ws://127.0.0.1:{port}/graphql/realtime").into_client_request()?;
    let protocols = format!("graphql-ws, header-{}", URL_SAFE_NO_PAD.encode(auth.to_string()));
    request
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_str(&protocols)?);
    // Small socket buffers, as the server's: tungstenite's defaults would hold 256 KiB per subscriber.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut ws, _) = connect_async_with_config(request, Some(config), false).await?;
    ws.send(Message::Text(r#"{"type":"connection_init"}"#.into())).await?;
    let data = json!({ "query": SUBSCRIPTION, "variables": { "e": "evt_demo" } }).to_string();
    let start = json!({ "id": format!("s{index}"), "type": "start",
        "payload": { "data": data, "extensions": { "authorization": auth } } });
    let mut started = false;
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame? else { continue };
        let message: Value = serde_json::from_str(&text)?;
        match message["type"].as_str() {
            Some("connection_ack") => ws.send(Message::Text(start.to_string().into())).await?,
            Some("start_ack") => {
                started = true;
                break;
            }
            Some("error" | "connection_error") => anyhow::bail!("subscriber {index}: {message}"),
            _ => {}
        }
    }
    anyhow::ensure!(started, "subscriber {index}: closed before start_ack");
    // Reads only what it needs of each message (no full JSON parse): on two cores the subscribers share the CPU
    // with the server, and their work would count as fan-out latency.
    Ok(tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            let at = Instant::now();
            let Message::Text(text) = frame else { continue };
            if !text.starts_with(r#"{"type":"data""#) {
                continue;
            }
            if let Some(product) = text
                .split(r#""productId":""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            {
                let _ = receipts.send((product.to_owned(), at));
            }
        }
    }))
}
