//! What a show's page costs the server: `GET /live/demo` rendered (SSR, with the viewer's playback authorization) as
//! a browser asks for it, plain, gzip and brotli, against `GET /healthz` in the same run. First one request at a time
//! (latency), then `concurrency` at once (pages per second: a show's start, when its viewers arrive together). The
//! server runs in this process with a fresh SQLite database; the client keeps its connections alive.
//!
//!     cargo run --release -p caravan-server --example page_bench [requests] [concurrency]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

mod support;

/// One request; its time and the bytes that came.
async fn timed(client: &reqwest::Client, url: &str, accept_encoding: &str) -> (Duration, usize) {
    let started = Instant::now();
    let response = client
        .get(url)
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200, "{url}");
    let bytes = response.bytes().await.expect("a body").len();
    (started.elapsed(), bytes)
}

struct Leg {
    name: &'static str,
    path: &'static str,
    accept_encoding: &'static str,
}

const LEGS: [Leg; 4] = [
    Leg {
        name: "`GET /healthz` (baseline)",
        path: "/healthz",
        accept_encoding: "identity",
    },
    Leg {
        name: "`/live/demo`, plain",
        path: "/live/demo",
        accept_encoding: "identity",
    },
    Leg {
        name: "`/live/demo`, gzip",
        path: "/live/demo",
        accept_encoding: "gzip",
    },
    Leg {
        name: "`/live/demo`, brotli",
        path: "/live/demo",
        accept_encoding: "gzip, deflate, br",
    },
];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let concurrency: usize = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let server = support::serve(|_| {}).await?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build()?;
    let url = |leg: &Leg| format!("{}{}", server.base, leg.path);
    // Warm: connections, the database's pages, the first render's allocations.
    for leg in &LEGS {
        for _ in 0..20 {
            timed(&client, &url(leg), leg.accept_encoding).await;
        }
    }

    // One at a time, the legs interleaved so each sees the same machine.
    let mut times: Vec<Vec<Duration>> = LEGS.iter().map(|_| Vec::with_capacity(requests)).collect();
    let mut sizes = vec![0; LEGS.len()];
    for _ in 0..requests {
        for (i, leg) in LEGS.iter().enumerate() {
            let (took, bytes) = timed(&client, &url(leg), leg.accept_encoding).await;
            times[i].push(took);
            sizes[i] = bytes;
        }
    }
    println!("One request at a time ({requests} each, interleaved):\n");
    println!("| request | bytes sent | p50 ms | p99 ms | max ms | p50 against the baseline |");
    println!("|---|---|---|---|---|---|");
    for times in &mut times {
        times.sort();
    }
    let baseline = support::percentile(&times[0], 0.5);
    for (i, leg) in LEGS.iter().enumerate() {
        println!(
            "| {} | {} | {:.3} | {:.3} | {:.3} | {:.1}× |",
            leg.name,
            sizes[i],
            support::percentile(&times[i], 0.5),
            support::percentile(&times[i], 0.99),
            support::percentile(&times[i], 1.0),
            support::percentile(&times[i], 0.5) / baseline
        );
    }

    // `concurrency` at once, each leg in turn (the machine's cores are shared with the client).
    println!("\n{concurrency} at a time ({requests} each):\n");
    println!("| request | per second | against the baseline |");
    println!("|---|---|---|");
    let mut rates = Vec::with_capacity(LEGS.len());
    for leg in &LEGS {
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let started = Instant::now();
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (client, url, next) = (client.clone(), url(leg), next.clone());
                let accept_encoding = leg.accept_encoding;
                tokio::spawn(async move {
                    while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                        timed(&client, &url, accept_encoding).await;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await?;
        }
        rates.push(requests as f64 / started.elapsed().as_secs_f64());
    }
    for (leg, rate) in LEGS.iter().zip(&rates) {
        println!("| {} | {rate:.0} | {:.2}× |", leg.name, rate / rates[0]);
    }
    println!(
        "\nBrotli costs {:.0} % of the plain page's throughput and sends {:.0} % of its bytes.",
        (1.0 - rates[3] / rates[1]) * 100.0,
        sizes[3] as f64 / sizes[1] as f64 * 100.0
    );
    Ok(())
}
