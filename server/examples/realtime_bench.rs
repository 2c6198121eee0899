//! Real-time fan-out benchmark: caravan-server against a reference Node server (graphql-ws on `ws`,
//! `bench/reference/server.mjs`), one after the other in the same run and on the same machine. For each it opens N
//! concurrent subscribers to the demo show's pick-up banner (AppSync's protocol for caravan, graphql-ws's
//! `graphql-transport-ws` for the reference), then:
//! - latency: fires pick-up changes one after another, each when every subscriber has the one before, and times
//!   each delivery from just before the mutation's request to the subscriber reading its message;
//! - throughput: fires a burst of changes back to back and times until every subscriber has all of them.
//!
//! It reports the server's memory and CPU beside them. With `hold <seconds>` instead of a number of changes, it
//! measures caravan-server alone holding the subscribers idle (AppSync's keep-alives only) for that long: its
//! memory every 30 s, and at the end one change that must reach every one of them. Run it through `./dev bench`.
//!
//! Usage: realtime_bench <caravan-server binary> <site dir> <reference server.mjs> <subscribers> [changes | hold <seconds>]

use std::{
    path::Path,
    process::Stdio,
    time::{Duration, Instant},
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    net::TcpListener,
    process::{Child, Command},
    sync::mpsc,
};
use tokio_tungstenite::{
    connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue, protocol::WebSocketConfig},
};

const API_KEY: &str = "da2-bench";
const OPERATOR_TOKEN: &str = "bench-operator";
const CONNECT_CONCURRENCY: usize = 200;
const SUBSCRIPTION: &str = "subscription($e: ID!) { onPickupChanged(eventId: $e) { eventId productId visible updatedAt product { id title price currency } } }";
/// The product the warm-up changes show; the measured ones cycle through the other eleven.
const WARM_UP_PRODUCT: &str = "prd_demo_12";

/// The two servers measured.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Target {
    Caravan,
    Reference,
}

/// What one server measured.
struct Figures {
    deliveries: usize,
    latencies: Vec<Duration>,
    idle_rss_kib: u64,
    subscribed_rss_kib: u64,
    peak_rss_kib: u64,
    connect: Duration,
    /// Deliveries per second of the burst.
    throughput: f64,
    server_cpu_ms_per_change: f64,
    bench_cpu_ms_per_change: f64,
}

// One thread: the subscribers take at most one of the machine's cores, and the server always has the other.
#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    caravan_server::outbound::install_tls();
    let args: Vec<String> = std::env::args().collect();
    let [_, server, site, reference, subscribers, rest @ ..] = args.as_slice() else {
        anyhow::bail!(
            "usage: realtime_bench <caravan-server> <site dir> <reference server.mjs> <subscribers> [changes]"
        );
    };
    let subscribers: usize = subscribers.parse()?;
    if let [mode, seconds] = rest
        && mode == "hold"
    {
        return hold(
            server,
            site,
            reference,
            subscribers,
            Duration::from_secs(seconds.parse()?),
        )
        .await;
    }
    let changes: usize = rest.first().map(|c| c.parse()).transpose()?.unwrap_or(20);
    let ours = measure(Target::Caravan, server, site, reference, subscribers, changes).await?;
    let theirs = measure(Target::Reference, server, site, reference, subscribers, changes).await?;
    for (name, figures) in [("caravan-server", &ours), ("graphql-ws + ws (Node)", &theirs)] {
        println!("{}", row(name, subscribers, changes, figures));
    }
    println!(
        "| ratio (caravan ÷ reference) | | | | p50 {:.2}× | p99 {:.2}× | | | | RSS subscribed {:.2}× | | throughput {:.2}× | server CPU {:.2}× | |",
        quantile(&ours.latencies, 0.5).as_secs_f64() / quantile(&theirs.latencies, 0.5).as_secs_f64(),
        quantile(&ours.latencies, 0.99).as_secs_f64() / quantile(&theirs.latencies, 0.99).as_secs_f64(),
        ours.subscribed_rss_kib as f64 / theirs.subscribed_rss_kib as f64,
        ours.throughput / theirs.throughput,
        ours.server_cpu_ms_per_change / theirs.server_cpu_ms_per_change,
    );
    Ok(())
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn row(name: &str, subscribers: usize, changes: usize, f: &Figures) -> String {
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1000.0);
    let mib = |kib: u64| format!("{:.1}", kib as f64 / 1024.0);
    format!(
        "| {name} | {subscribers} | {changes} | {} | {} | {} | {} | {} | {} | {} | {:.1} s | {:.0} | {:.0} | {:.0} |",
        f.deliveries,
        ms(quantile(&f.latencies, 0.5)),
        ms(quantile(&f.latencies, 0.99)),
        ms(*f.latencies.last().expect("deliveries")),
        mib(f.idle_rss_kib),
        mib(f.subscribed_rss_kib),
        mib(f.peak_rss_kib),
        f.connect.as_secs_f64(),
        f.throughput,
        f.server_cpu_ms_per_change,
        f.bench_cpu_ms_per_change,
    )
}

/// A target server running on a free port of 127.0.0.1.
struct Running {
    child: Child,
    pid: u32,
    port: u16,
    /// `http://127.0.0.1:<port>`.
    base: String,
    /// The folder it keeps its data in, removed when this is dropped.
    _data: tempfile::TempDir,
}

/// Starts the target on a free port and waits until it answers.
async fn start(
    target: Target,
    server: &str,
    site: &str,
    reference: &str,
    http: &reqwest::Client,
) -> anyhow::Result<Running> {
    let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
    let data = tempfile::tempdir()?;
    let child = match target {
        Target::Caravan => Command::new(server)
            .arg("serve")
            .env("CARAVAN_ADDR", format!("127.0.0.1:{port}"))
            .env("CARAVAN_DATA_DIR", data.path())
            .env("CARAVAN_SITE_DIR", site)
            .env("CARAVAN_LOG", "warn")
            .env("CARAVAN_API_KEY", API_KEY)
            .env("CARAVAN_OPERATOR_TOKEN", OPERATOR_TOKEN)
            // The demo's encoder would take CPU from the fan-out being measured.
            .env("CARAVAN_DEMO_MEDIA", "false")
            // Every subscriber is this machine: one address, so no cap on its connections or requests.
            .env("CARAVAN_MAX_CONNECTIONS_PER_ADDRESS", "0")
            .env("CARAVAN_ADDRESS_LIMITS", "")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()?,
        Target::Reference => Command::new("node")
            .arg(Path::new(reference))
            .arg(port.to_string())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()?,
    };
    let pid = child.id().ok_or_else(|| anyhow::anyhow!("no server pid"))?;
    let base = format!("http://127.0.0.1:{port}");
    wait_until_up(http, &base).await?;
    Ok(Running {
        child,
        pid,
        port,
        base,
        _data: data,
    })
}

/// Shows `product` in the banner through the target's mutation.
async fn set_pickup(http: &reqwest::Client, base: &str, product: &str) -> anyhow::Result<()> {
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
    Ok(())
}

/// The subscribers connected and subscribed to `target` on `port`, each having had a warm-up change (graphql-ws
/// does not acknowledge a subscription, so warm-up changes go out until every subscriber has had one), and how long
/// connecting took.
async fn connect_all(
    target: Target,
    http: &reqwest::Client,
    port: u16,
    subscribers: usize,
    receipts: mpsc::UnboundedSender<(usize, String, Instant)>,
    receipts_rx: &mut mpsc::UnboundedReceiver<(usize, String, Instant)>,
) -> anyhow::Result<(Vec<tokio::task::JoinHandle<()>>, Duration)> {
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut connecting = futures_util::stream::iter(0..subscribers)
        .map(|i| subscribe(target, port, i, receipts.clone()))
        .buffer_unordered(CONNECT_CONCURRENCY);
    let mut connections = Vec::with_capacity(subscribers);
    while let Some(connection) = connecting.next().await {
        connections.push(connection?);
    }
    let connect = started.elapsed();
    let mut warmed = vec![false; subscribers];
    let mut left = subscribers;
    let deadline = Instant::now() + Duration::from_secs(60);
    while left > 0 {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{left} subscribers had no warm-up change in 60 s"
        );
        set_pickup(http, &base, WARM_UP_PRODUCT).await?;
        let round = Instant::now() + Duration::from_secs(1);
        while let Ok(Some((index, _, _))) = tokio::time::timeout_at(round.into(), receipts_rx.recv()).await {
            if !std::mem::replace(&mut warmed[index], true) {
                left -= 1;
            }
        }
    }
    Ok((connections, connect))
}

/// caravan-server holding `subscribers` idle for `duration`: its memory every 30 s, then one change to all.
async fn hold(server: &str, site: &str, reference: &str, subscribers: usize, duration: Duration) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let mut running = start(Target::Caravan, server, site, reference, &http).await?;
    let (pid, port, base) = (running.pid, running.port, running.base.clone());
    let idle = rss_kib(pid)?;
    let (receipts, mut receipts_rx) = mpsc::unbounded_channel();
    let (connections, _) = connect_all(Target::Caravan, &http, port, subscribers, receipts, &mut receipts_rx).await?;
    let started = Instant::now();
    let cpu_before = cpu_ms(&pid.to_string())?;
    let mut samples = vec![(Duration::ZERO, rss_kib(pid)?)];
    while started.elapsed() < duration {
        tokio::time::sleep(Duration::from_secs(30).min(duration.saturating_sub(started.elapsed()))).await;
        // Anything delivered meanwhile (nothing is expected) is drained, so it never piles up here.
        while receipts_rx.try_recv().is_ok() {}
        samples.push((started.elapsed(), rss_kib(pid)?));
    }
    let cpu = cpu_ms(&pid.to_string())? - cpu_before;
    let sent = Instant::now();
    set_pickup(&http, &base, "prd_demo_01").await?;
    let mut reached = 0;
    while reached < subscribers {
        let (_, product, _) = tokio::time::timeout(Duration::from_secs(30), receipts_rx.recv())
            .await
            .map_err(|_| anyhow::anyhow!("after the hold, {reached} of {subscribers} reached in 30 s"))?
            .ok_or_else(|| anyhow::anyhow!("subscribers gone"))?;
        reached += usize::from(product == "prd_demo_01");
    }
    let last_delivery = sent.elapsed();
    drop(connections);
    running.child.kill().await.ok();

    let mib = |kib: u64| kib as f64 / 1024.0;
    let (first, last) = (samples[0].1, samples.last().expect("samples").1);
    let max = samples.iter().map(|(_, kib)| *kib).max().unwrap_or(first);
    println!("| after | server RSS MiB |");
    println!("|---|---|");
    println!("| start, no connections | {:.1} |", mib(idle));
    for (at, kib) in &samples {
        println!("| {} s | {:.1} |", at.as_secs(), mib(*kib));
    }
    println!(
        "\n{subscribers} idle subscribers for {} s: RSS {:.1} → {:.1} MiB (max {:.1}, drift {:+.1} MiB, {:+.2} %); \
         server CPU {:.0} ms in all ({:.2} % of one core); then one change reached all {subscribers} in {:.0} ms.",
        duration.as_secs(),
        mib(first),
        mib(last),
        mib(max),
        mib(last) - mib(first),
        (last as f64 - first as f64) / first as f64 * 100.0,
        cpu,
        cpu / duration.as_millis() as f64 * 100.0,
        last_delivery.as_secs_f64() * 1000.0,
    );
    Ok(())
}

async fn measure(
    target: Target,
    server: &str,
    site: &str,
    reference: &str,
    subscribers: usize,
    changes: usize,
) -> anyhow::Result<Figures> {
    let http = reqwest::Client::new();
    let mut running = start(target, server, site, reference, &http).await?;
    let (pid, port, base) = (running.pid, running.port, running.base.clone());
    let idle_rss_kib = rss_kib(pid)?;

    // Connect and subscribe everyone.
    let (receipts, mut receipts_rx) = mpsc::unbounded_channel();
    let (connections, connect) = connect_all(target, &http, port, subscribers, receipts, &mut receipts_rx).await?;
    let subscribed_rss_kib = rss_kib(pid)?;

    // Latency: changes one after another; each waits until every subscriber has it.
    let (server_cpu_before, bench_cpu_before) = (cpu_ms(&pid.to_string())?, cpu_ms("self")?);
    let mut latencies = Vec::with_capacity(subscribers * changes);
    for change in 0..changes {
        let product = format!("prd_demo_{:02}", change % 11 + 1);
        let sent = Instant::now();
        set_pickup(&http, &base, &product).await?;
        let mut received = 0;
        while received < subscribers {
            let (_, got, at) = tokio::time::timeout(Duration::from_secs(30), receipts_rx.recv())
                .await
                .map_err(|_| anyhow::anyhow!("change {change}: {received} of {subscribers} delivered in 30 s"))?
                .ok_or_else(|| anyhow::anyhow!("subscribers gone"))?;
            if got == product {
                latencies.push(at.duration_since(sent));
                received += 1;
            }
        }
    }
    let server_cpu_ms_per_change = (cpu_ms(&pid.to_string())? - server_cpu_before) / changes as f64;
    let bench_cpu_ms_per_change = (cpu_ms("self")? - bench_cpu_before) / changes as f64;

    // Throughput: a burst of changes back to back, until every subscriber has every one.
    let burst_started = Instant::now();
    for change in 0..changes {
        set_pickup(&http, &base, &format!("prd_demo_{:02}", change % 11 + 1)).await?;
    }
    let expected = subscribers * changes;
    for received in 0..expected {
        tokio::time::timeout(Duration::from_secs(60), receipts_rx.recv())
            .await
            .map_err(|_| anyhow::anyhow!("burst: {received} of {expected} delivered in 60 s"))?
            .ok_or_else(|| anyhow::anyhow!("subscribers gone"))?;
    }
    let throughput = expected as f64 / burst_started.elapsed().as_secs_f64();
    let peak_rss_kib = rss_kib(pid)?;
    drop(connections);
    running.child.kill().await.ok();

    latencies.sort();
    Ok(Figures {
        deliveries: latencies.len(),
        latencies,
        idle_rss_kib,
        subscribed_rss_kib,
        peak_rss_kib,
        connect,
        throughput,
        server_cpu_ms_per_change,
        bench_cpu_ms_per_change,
    })
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
    target: Target,
    port: u16,
    index: usize,
    receipts: mpsc::UnboundedSender<(usize, String, Instant)>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let auth = json!({ "host": format!("127.0.0.1:{port}"), "x-api-key": API_KEY });
    let (path, protocols) = match target {
        Target::Caravan => (
            "/graphql/realtime",
            format!("graphql-ws, header-{}", URL_SAFE_NO_PAD.encode(auth.to_string())),
        ),
        Target::Reference => ("/graphql", "graphql-transport-ws".to_string()),
    };
    let mut request = format!("ws://127.0.0.1:{port}{path}").into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_str(&protocols)?);
    // Small socket buffers, as the server's: tungstenite's defaults would hold 256 KiB per subscriber.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    let (mut ws, _) = connect_async_with_config(request, Some(config), false).await?;
    ws.send(Message::Text(r#"{"type":"connection_init"}"#.into())).await?;
    let variables = json!({ "e": "evt_demo" });
    let start = match target {
        Target::Caravan => json!({ "id": format!("s{index}"), "type": "start", "payload": {
            "data": json!({ "query": SUBSCRIPTION, "variables": variables }).to_string(),
            "extensions": { "authorization": auth } } }),
        Target::Reference => json!({ "id": format!("s{index}"), "type": "subscribe",
            "payload": { "query": SUBSCRIPTION, "variables": variables } }),
    };
    let mut started = false;
    while let Some(frame) = ws.next().await {
        let Message::Text(text) = frame? else { continue };
        let message: Value = serde_json::from_str(&text)?;
        match message["type"].as_str() {
            Some("connection_ack") => {
                ws.send(Message::Text(start.to_string().into())).await?;
                // graphql-ws has no acknowledgement: the warm-up shows when the subscription is on.
                if target == Target::Reference {
                    started = true;
                    break;
                }
            }
            Some("start_ack") => {
                started = true;
                break;
            }
            Some("error" | "connection_error") => anyhow::bail!("subscriber {index}: {message}"),
            _ => {}
        }
    }
    anyhow::ensure!(started, "subscriber {index}: closed before the subscription started");
    // Reads only what it needs of each message (no full JSON parse): on two cores the subscribers share the CPU
    // with the server, and their work would count as fan-out latency.
    let delivery = match target {
        Target::Caravan => r#""type":"data""#,
        Target::Reference => r#""type":"next""#,
    };
    Ok(tokio::spawn(async move {
        while let Some(Ok(frame)) = ws.next().await {
            let at = Instant::now();
            let Message::Text(text) = frame else { continue };
            if !text.contains(delivery) {
                continue;
            }
            if let Some(product) = text
                .split(r#""productId":""#)
                .nth(1)
                .and_then(|rest| rest.split('"').next())
            {
                let _ = receipts.send((index, product.to_owned(), at));
            }
        }
    }))
}
