//! The license proxy's added latency: the same Widevine-sized challenge sent straight to a local license server and
//! through the proxy (entitlement check, forwarding, answer), one request at a time, measured in the same run. The
//! server runs in this process with a fresh SQLite database; both legs use one keep-alive HTTP client.
//!
//!     cargo run --release -p caravan-server --example license_bench [requests]

use std::time::{Duration, Instant};

use axum::{Router, body::Bytes, routing::post};
use caravan_server::{config::DrmUpstreamAuth, secret::Secret};
use serde_json::{Value, json};

mod support;

/// License requests a viewer may make in a burst (the proxy's per-viewer limit).
const PER_VIEWER: usize = 10;

async fn timed(client: &reqwest::Client, url: &str, cookie: &str, challenge: &[u8]) -> Duration {
    let started = Instant::now();
    let response = client
        .post(url)
        .header("cookie", cookie)
        .header("content-type", "application/octet-stream")
        .body(challenge.to_vec())
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), 200, "{url}");
    response.bytes().await.expect("a license");
    started.elapsed()
}

/// A viewer with the terms accepted and an operator grant for the paid demo: their cookie header.
async fn entitled_viewer(client: &reqwest::Client, base: &str, operator_token: &str) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/playback/demo-paid"))
        .json(&json!({ "acceptTerms": true }))
        .send()
        .await?;
    let cookie = support::first_cookie(&response);
    let answer: Value = response.json().await?;
    let granted = client
        .post(format!("{base}/api/admin/entitlements"))
        .header("authorization", operator_token)
        .json(&json!({ "slug": "demo-paid", "viewerId": answer["viewerId"], "kind": "grant" }))
        .send()
        .await?;
    anyhow::ensure!(granted.status() == 204, "the grant failed: {}", granted.status());
    Ok(cookie)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let requests: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);

    // The license server: answers a 1 KiB license at once.
    let upstream = Router::new().route(
        "/license",
        post(|body: Bytes| async move {
            let mut license = vec![0u8; 1024];
            license[..body.len().min(1024)].copy_from_slice(&body[..body.len().min(1024)]);
            license
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let upstream_url = format!("http://{}/license", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, upstream).await });

    let server = support::serve(|config| {
        config.drm_widevine_license_url = Some(upstream_url.clone());
        config.drm_upstream_auth = DrmUpstreamAuth::Header;
        config.drm_upstream_header = Some("x-dt-custom-data".into());
        config.drm_upstream_secret = Some(Secret::new("bench-credential".into()));
    })
    .await?;
    let base = server.base.clone();

    let client = reqwest::Client::builder().pool_max_idle_per_host(4).build()?;
    // Two more for the warm-up, whose requests count against their limit.
    let viewers = requests.div_ceil(PER_VIEWER) + 2;
    let mut cookies = Vec::with_capacity(viewers);
    for _ in 0..viewers {
        cookies.push(entitled_viewer(&client, &base, server.config.operator_token.expose()).await?);
    }
    // A Widevine challenge is 2–5 KB.
    let challenge: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let proxy_url = format!("{base}/drm/widevine/demo-paid");
    // Warm both paths (connections, the database's pages).
    for cookie in cookies.iter().rev().take(2) {
        timed(&client, &upstream_url, cookie, &challenge).await;
        timed(&client, &proxy_url, cookie, &challenge).await;
    }
    let (mut direct, mut proxied) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
    // Interleaved, so both legs see the same machine.
    for i in 0..requests {
        let cookie = &cookies[i / PER_VIEWER];
        direct.push(timed(&client, &upstream_url, cookie, &challenge).await);
        proxied.push(timed(&client, &proxy_url, cookie, &challenge).await);
    }
    direct.sort();
    proxied.sort();
    println!("| path | requests | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    for (name, times) in [
        ("straight to the license server", &direct),
        ("through the proxy", &proxied),
    ] {
        println!(
            "| {name} | {requests} | {:.3} | {:.3} | {:.3} |",
            support::percentile(times, 0.5),
            support::percentile(times, 0.99),
            support::percentile(times, 1.0)
        );
    }
    println!(
        "\nAdded by the proxy: p50 {:.3} ms, p99 {:.3} ms ({:.2}× the direct p50).",
        support::percentile(&proxied, 0.5) - support::percentile(&direct, 0.5),
        support::percentile(&proxied, 0.99) - support::percentile(&direct, 0.99),
        support::percentile(&proxied, 0.5) / support::percentile(&direct, 0.5)
    );
    Ok(())
}
