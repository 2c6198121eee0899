//! Orders and webhooks per second: `POST /api/orders` with a fresh Idempotency-Key each (stock and price checked,
//! stock taken, the order and its line and move written in one transaction), the same with a repeated key (a
//! replay), and `POST /webhooks/stripe` with signed events (verified, recorded). The baseline, in the same run, is
//! `GET /healthz` (an HTTP round trip and one database ping). The server runs in this process on a fresh SQLite
//! database; clients keep their connections. Each new order is a new buyer's (a buyer has at most 3 unpaid).
//!
//! With `BENCH_POSTGRES_URL` (a PostgreSQL server's `postgres://…/postgres`), then two replicas on one new database
//! of it: orders sent to both in turn, all for one show, then spread over eight shows. Sales of one show take their
//! turn (its stock and prices are read, then written); sales of different shows need not wait for each other. The
//! baseline is `GET /healthz` of both replicas in the same run.
//!
//!     cargo run --release -p caravan-server --example commerce_bench [requests] [concurrency]

use std::{sync::Arc, time::Duration};

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
    let replay = {
        let (client, base, cookie, body) = (client.clone(), base.clone(), cookie.clone(), order_body.clone());
        move |_: usize| {
            let (client, base, cookie, body) = (client.clone(), base.clone(), cookie.clone(), body.clone());
            async move {
                let response = client
                    .post(format!("{base}/api/orders"))
                    .header("cookie", cookie)
                    .header("idempotency-key", "warm-up")
                    .json(&body)
                    .send()
                    .await
                    .expect("an order");
                assert!(response.status().is_success(), "{}", response.status());
            }
        }
    };
    let buyers: Arc<Vec<String>> = Arc::new((0..requests).map(|_| server.new_buyer()).collect());
    let new_orders = {
        let (client, base, body) = (client.clone(), base.clone(), order_body.clone());
        move |i: usize| {
            let (client, url, cookie, body) = (
                client.clone(),
                format!("{base}/api/orders"),
                buyers[i].clone(),
                body.clone(),
            );
            async move { place(&client, url, cookie, &body).await }
        }
    };
    let orders = support::rate(requests, concurrency, new_orders).await;
    let replays = support::rate(requests, concurrency, replay).await;
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
    if let Ok(postgres) = std::env::var("BENCH_POSTGRES_URL") {
        replicas(&postgres, requests, concurrency).await?;
    }
    Ok(())
}

/// Places the order `body` as the buyer of `cookie` (their first).
async fn place(client: &reqwest::Client, url: String, cookie: String, body: &serde_json::Value) {
    let response = client
        .post(url)
        .header("cookie", cookie)
        .header("idempotency-key", "first")
        .json(body)
        .send()
        .await
        .expect("an order");
    assert!(response.status().is_success(), "{}", response.status());
}

/// Shows the replicas sell in the second part.
const SHOWS: usize = 8;

/// Orders per second from two replicas on one PostgreSQL database: for one show, and spread over [`SHOWS`] shows.
async fn replicas(postgres: &str, requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let url = support::new_postgres_database(postgres).await?;
    // Replicas share the database and the key that signs the buyers' cookies.
    let on_postgres = |config: &mut caravan_server::config::Config| {
        config.database_url = Some(Secret::new(url.clone()));
        config.session_secret = Some(Secret::new("bench-replicas-share-this-session-key".into()));
    };
    // One after the other: the first makes the schema.
    let first = support::serve(on_postgres).await?;
    let second = support::serve(on_postgres).await?;
    for show in 0..SHOWS {
        support::add_show(&first.store, &format!("show{show}")).await?;
    }
    let bases = Arc::new([first.base.clone(), second.base.clone()]);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;

    let health = {
        let (client, bases) = (client.clone(), bases.clone());
        support::rate(requests, concurrency, move |i| {
            let (client, url) = (client.clone(), format!("{}/healthz", bases[i % 2]));
            async move {
                let response = client.get(url).send().await.expect("healthz");
                assert_eq!(response.status(), 200);
            }
        })
        .await
    };
    // Each order a new buyer's, sent to the replicas in turn; `shows` of them take turns as the order's show.
    let sell = |shows: usize| {
        let buyers: Arc<Vec<String>> = Arc::new((0..requests).map(|_| first.new_buyer()).collect());
        let (client, bases) = (client.clone(), bases.clone());
        move |i: usize| {
            let show = i % shows;
            let body = json!({ "slug": format!("show{show}"),
                "lines": [{ "productId": format!("prd_show{show}"), "quantity": 1, "price": 1980 }] });
            let (client, url, cookie) = (
                client.clone(),
                format!("{}/api/orders", bases[i % 2]),
                buyers[i].clone(),
            );
            async move { place(&client, url, cookie, &body).await }
        }
    };
    let one = support::rate(requests, concurrency, sell(1)).await;
    let spread = support::rate(requests, concurrency, sell(SHOWS)).await;

    println!();
    println!(
        "| two replicas on PostgreSQL ({requests} requests, {concurrency} at a time) | per second | ratio to /healthz |"
    );
    println!("|---|---|---|");
    for (name, value) in [
        ("GET /healthz, both replicas in turn (baseline)", health),
        ("POST /api/orders, one show", one),
        ("POST /api/orders, spread over 8 shows", spread),
    ] {
        println!("| {name} | {value:.0} | {:.2} |", value / health);
    }
    println!("Spread over 8 shows against one show: {:.2}×", spread / one);
    Ok(())
}
