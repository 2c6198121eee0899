//! Orders and webhooks per second: `POST /api/orders` with a fresh Idempotency-Key each (stock and price checked,
//! stock taken, the order and its line and move written in one transaction), the same with a repeated key (a
//! replay), and `POST /webhooks/stripe` with signed events (verified, recorded). The baseline, in the same run, is
//! `GET /healthz` (an HTTP round trip and one database ping). The server runs in this process on a fresh SQLite
//! database; clients keep their connections.
//!
//!     cargo run --release -p caravan-server --example commerce_bench [requests] [concurrency]

use std::time::Duration;

use caravan_server::secret::Secret;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

mod support;

const WEBHOOK_SECRET: &str = "whsec_bench";

fn signature(body: &str) -> String {
    let t = chrono::Utc::now().timestamp();
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("a key");
    mac.update(format!("{t}.{body}").as_bytes());
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);

    // The worker would run each paid order's steps; orders here stay unpaid, so it has nothing to do.
    let server =
        support::serve(|config| config.stripe_webhook_secret = Some(Secret::new(WEBHOOK_SECRET.into()))).await?;
    support::add_sale(&server.store).await?;
    let base = server.base.clone();

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let order_body = json!({ "slug": "sale", "lines": [{ "productId": "prd_sale", "quantity": 1, "price": 1980 }] });
    // One buyer's cookie: the keys are per buyer.
    let first = client
        .post(format!("{base}/api/orders"))
        .header("idempotency-key", "warm-up")
        .json(&order_body)
        .send()
        .await?;
    let cookie = support::first_cookie(&first);

    let health = support::healthz_rate(&client, &base, requests, concurrency).await;
    let order = |replay: bool| {
        let (client, base, cookie, body) = (client.clone(), base.clone(), cookie.clone(), order_body.clone());
        move |i: usize| {
            let (client, base, cookie, body) = (client.clone(), base.clone(), cookie.clone(), body.clone());
            async move {
                let key = if replay {
                    "warm-up".to_string()
                } else {
                    format!("order-{i}")
                };
                let response = client
                    .post(format!("{base}/api/orders"))
                    .header("cookie", cookie)
                    .header("idempotency-key", key)
                    .json(&body)
                    .send()
                    .await
                    .expect("an order");
                assert!(response.status().is_success(), "{}", response.status());
            }
        }
    };
    let orders = support::rate(requests, concurrency, order(false)).await;
    let replays = support::rate(requests, concurrency, order(true)).await;
    let webhook = |duplicate: bool| {
        let (client, base) = (client.clone(), base.clone());
        move |i: usize| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let id = if duplicate {
                    "evt_same".to_string()
                } else {
                    format!("evt_{i}")
                };
                let body = json!({ "id": id, "object": "event", "type": "customer.created",
                    "data": { "object": { "id": "cus_1" } } })
                .to_string();
                let response = client
                    .post(format!("{base}/webhooks/stripe"))
                    .header("stripe-signature", signature(&body))
                    .body(body)
                    .send()
                    .await
                    .expect("a webhook");
                assert_eq!(response.status(), 200);
            }
        }
    };
    let webhooks = support::rate(requests, concurrency, webhook(false)).await;
    let duplicates = support::rate(requests, concurrency, webhook(true)).await;

    println!("| requests ({requests}, {concurrency} at a time) | per second | ratio to /healthz |");
    println!("|---|---|---|");
    for (name, value) in [
        ("GET /healthz (baseline)", health),
        ("POST /api/orders, a new key each", orders),
        ("POST /api/orders, a repeated key (replay)", replays),
        ("POST /webhooks/stripe, a new event each", webhooks),
        ("POST /webhooks/stripe, a repeated event", duplicates),
    ] {
        println!("| {name} | {value:.0} | {:.2} |", value / health);
    }
    Ok(())
}
