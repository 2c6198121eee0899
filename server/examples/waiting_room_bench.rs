//! The waiting room at a spike: N different viewers take numbers at once (`POST /waiting-room/assign_queue_num`),
//! the operator lets them all in, each fetches their token (`POST /waiting-room/generate_token`: three RS256
//! signatures), and each orders with it (`POST /api/orders` with `x-waiting-room-token`: the token verified and the
//! place completed, in the order's transaction). The same orders with the room disarmed, and `GET /healthz`, are the
//! baselines in the same run. The server runs in this process on a fresh SQLite database; clients keep their
//! connections.
//!
//!     cargo run --release -p caravan-server --example waiting_room_bench [viewers] [concurrency]

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use caravan_server::store::{Inlet, RoomSettings};
use serde_json::{Value, json};

mod support;

const EVENT: &str = "evt_sale";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let viewers: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);

    let server = support::serve(|_| {}).await?;
    support::add_sale(&server.store).await?;
    let armed = |armed: bool| RoomSettings {
        armed,
        inlet: Inlet::Manual,
        inlet_size: 0,
    };
    server
        .store
        .configure_waiting_room(EVENT, armed(true), chrono::Utc::now())
        .await?;
    let base = server.base.clone();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let health = support::healthz_rate(&client, &base, viewers, concurrency).await;

    // Every viewer takes a number: (cookie, request id, token), filled in as they go.
    let places: Arc<Mutex<Vec<(String, String, String)>>> = Arc::new(Mutex::new(vec![Default::default(); viewers]));
    let assign = {
        let (client, base, places) = (client.clone(), base.clone(), places.clone());
        move |i: usize| {
            let (client, base, places) = (client.clone(), base.clone(), places.clone());
            async move {
                let response = client
                    .post(format!("{base}/waiting-room/assign_queue_num"))
                    .json(&json!({ "event_id": EVENT }))
                    .send()
                    .await
                    .expect("a number");
                assert_eq!(response.status(), 200);
                let cookie = support::first_cookie(&response);
                let place: Value = response.json().await.expect("a place");
                let request_id = place["api_request_id"].as_str().expect("a request id").to_string();
                places.lock().expect("places")[i] = (cookie, request_id, String::new());
            }
        }
    };
    let numbers = support::rate(viewers, concurrency, assign).await;

    // The operator lets everyone in at once.
    server
        .store
        .advance_serving_counter(EVENT, viewers as i64, chrono::Utc::now())
        .await?;
    let generate = {
        let (client, base, places) = (client.clone(), base.clone(), places.clone());
        move |i: usize| {
            let (client, base, places) = (client.clone(), base.clone(), places.clone());
            async move {
                let (cookie, request_id, _) = places.lock().expect("places")[i].clone();
                let response = client
                    .post(format!("{base}/waiting-room/generate_token"))
                    .header("cookie", cookie)
                    .json(&json!({ "event_id": EVENT, "request_id": request_id }))
                    .send()
                    .await
                    .expect("a token");
                assert_eq!(response.status(), 200);
                let tokens: Value = response.json().await.expect("tokens");
                places.lock().expect("places")[i].2 = tokens["access_token"].as_str().expect("a token").to_string();
            }
        }
    };
    let tokens = support::rate(viewers, concurrency, generate).await;

    let order = |with_token: bool, round: &'static str| {
        let (client, base, places) = (client.clone(), base.clone(), places.clone());
        move |i: usize| {
            let (client, base, places) = (client.clone(), base.clone(), places.clone());
            async move {
                let (cookie, _, token) = places.lock().expect("places")[i].clone();
                let mut request = client
                    .post(format!("{base}/api/orders"))
                    .header("cookie", cookie)
                    .header("idempotency-key", format!("{round}-{i}"))
                    .json(&json!({ "slug": "sale", "lines": [{ "productId": "prd_sale", "quantity": 1, "price": 1980 }] }));
                if with_token {
                    request = request.header("x-waiting-room-token", token);
                }
                let response = request.send().await.expect("an order");
                assert!(response.status().is_success(), "{}", response.status());
            }
        }
    };
    let armed_orders = support::rate(viewers, concurrency, order(true, "armed")).await;
    server
        .store
        .configure_waiting_room(EVENT, armed(false), chrono::Utc::now())
        .await?;
    let open_orders = support::rate(viewers, concurrency, order(false, "open")).await;
    let in_checkout = server
        .store
        .waiting_count(EVENT)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(in_checkout == 0, "{in_checkout} viewers still wait");

    println!("| {viewers} viewers, {concurrency} at a time | per second | ratio to /healthz |");
    println!("|---|---|---|");
    for (name, value) in [
        ("GET /healthz (baseline)", health),
        ("POST /waiting-room/assign_queue_num (a number each)", numbers),
        (
            "POST /waiting-room/generate_token (admissions: 3 RS256 signatures)",
            tokens,
        ),
        (
            "POST /api/orders, room armed (token verified, place completed)",
            armed_orders,
        ),
        (
            "POST /api/orders, room disarmed (baseline for the line above)",
            open_orders,
        ),
    ] {
        println!("| {name} | {value:.0} | {:.2} |", value / health);
    }
    println!(
        "\nOrders with the room armed run at {:.2}× the rate with it disarmed.",
        armed_orders / open_orders
    );
    Ok(())
}
