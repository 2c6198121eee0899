//! Product changes reach subscribers over the AppSync protocol: an order that sells a product out, a declined
//! payment or an unpaid order expiring that brings it back, and the operator's `publishProduct`; an order that leaves
//! stock announces nothing. Nobody hoards: holds expire, quantities and open orders are capped.

use crate::support::{TestApp, cookie_header, set_cookies, ws::Ws};
use serde_json::{Value, json};

const ON_PRODUCT: &str = "subscription($e: ID!) { onProductChanged(eventId: $e) { id eventId stock soldOut price } }";
const PUBLISH: &str = "mutation($e: ID!, $p: ID!) { publishProduct(eventId: $e, productId: $p) { id soldOut } }";
/// 帆布キャップ: ¥3,960, 9 in stock.
const CAP: &str = "prd_demo_10";

/// Places an order for `quantity` caps; the order's id and the buyer's cookie.
async fn buy_caps(app: &TestApp, quantity: i64) -> (String, String) {
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", format!("caps-{quantity}"))
        .json(&json!({ "slug": "demo", "lines": [{ "productId": CAP, "quantity": quantity, "price": 3960 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let buyer = cookie_header(&set_cookies(&response));
    let order: Value = response.json().await.unwrap();
    (order["orderId"].as_str().unwrap().to_string(), buyer)
}

async fn subscribe(app: &TestApp) -> Ws {
    app.subscribe("products", ON_PRODUCT, json!({ "e": "evt_demo" })).await
}

fn delivered(stock: i64, sold_out: bool) -> Value {
    json!({ "type": "data", "id": "products", "payload": { "data": { "onProductChanged": {
        "id": CAP, "eventId": "evt_demo", "stock": stock, "soldOut": sold_out, "price": 3960
    } } } })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selling_out_and_coming_back_reach_subscribers() {
    let app = TestApp::spawn().await;
    let mut ws = subscribe(&app).await;

    // Stock left: nothing to tell.
    buy_caps(&app, 4).await;
    ws.expect_silence(300).await;

    // The last five: sold out, announced once.
    let (order, buyer) = buy_caps(&app, 5).await;
    assert_eq!(ws.recv_data().await, delivered(0, true));
    ws.expect_silence(300).await;

    // The card is declined: the five are back on sale.
    let declined = app
        .client
        .post(app.url(&format!("/api/orders/{order}/pay")))
        .header("cookie", buyer)
        .json(&json!({ "outcome": "decline" }))
        .send()
        .await
        .unwrap();
    assert_eq!(declined.status(), 200);
    assert_eq!(declined.json::<Value>().await.unwrap()["state"], "failed");
    assert_eq!(ws.recv_data().await, delivered(5, false));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_publishes_a_product_and_no_one_else_may() {
    let app = TestApp::spawn().await;
    let mut ws = subscribe(&app).await;

    let published = app
        .graphql_as_operator(PUBLISH, json!({ "e": "evt_demo", "p": CAP }))
        .await;
    assert_eq!(
        published["data"]["publishProduct"],
        json!({ "id": CAP, "soldOut": false })
    );
    assert_eq!(ws.recv_data().await, delivered(9, false));

    let refused = app.graphql(PUBLISH, json!({ "e": "evt_demo", "p": CAP })).await;
    assert_eq!(refused["errors"][0]["errorType"], "Unauthorized", "{refused}");
    let elsewhere = app
        .graphql_as_operator(PUBLISH, json!({ "e": "evt_demo_paid", "p": CAP }))
        .await;
    assert_eq!(
        elsewhere["errors"][0]["errorType"], "BadRequestException",
        "{elsewhere}"
    );
    let unknown = app
        .graphql_as_operator(PUBLISH, json!({ "e": "evt_demo", "p": "prd_none" }))
        .await;
    assert_eq!(unknown["errors"][0]["errorType"], "BadRequestException", "{unknown}");
    ws.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpaid_order_gives_its_stock_back_when_its_hold_ends_announced_live() {
    let app = TestApp::spawn_configured(|config| config.order_hold_seconds = 600).await;
    let mut ws = subscribe(&app).await;
    // The attack: one anonymous request takes every cap and never pays.
    let placed = chrono::Utc::now();
    let (order, _) = buy_caps(&app, 9).await;
    assert_eq!(ws.recv_data().await, delivered(0, true));

    let worker = app.worker(caravan_server::mail::Mailer::Outbox);
    // Within the hold, nothing moves.
    let within = placed + chrono::Duration::seconds(590);
    assert_eq!(worker.run_due(within).await.unwrap(), 0);
    ws.expect_silence(300).await;
    // Then the order expires, the caps are back on sale for every page, and the order says why.
    let after = placed + chrono::Duration::seconds(610);
    assert_eq!(worker.run_due(after).await.unwrap(), 1);
    assert_eq!(ws.recv_data().await, delivered(9, false));
    let record = app.store.order(&order).await.unwrap().unwrap();
    assert_eq!(record.state.as_str(), "failed");
    let moves = app.store.order_transitions(&order).await.unwrap();
    assert!(
        moves
            .iter()
            .any(|m| m.to_state == "failed" && m.cause.contains("expired")),
        "{moves:?}"
    );
    // Once is all: the job is done.
    assert_eq!(worker.run_due(after + chrono::Duration::hours(1)).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_order_keeps_its_stock_past_the_hold() {
    let app = TestApp::spawn().await;
    let placed = chrono::Utc::now();
    let (order, buyer) = buy_caps(&app, 2).await;
    let paid = app
        .client
        .post(app.url(&format!("/api/orders/{order}/pay")))
        .header("cookie", buyer)
        .json(&json!({ "outcome": "succeed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.json::<Value>().await.unwrap()["state"], "paid");
    let worker = app.worker(caravan_server::mail::Mailer::Outbox);
    worker.run_due(placed + chrono::Duration::hours(1)).await.unwrap();
    assert_eq!(app.store.order(&order).await.unwrap().unwrap().state.as_str(), "paid");
    assert_eq!(app.store.product(CAP).await.unwrap().unwrap().stock, 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_hoards_with_many_lines_or_many_orders() {
    let app = TestApp::spawn().await;
    // One product over many lines counts as one quantity.
    let lines: Vec<Value> = (0..50)
        .map(|_| json!({ "productId": CAP, "quantity": 2, "price": 3960 }))
        .collect();
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", "many-lines")
        .json(&json!({ "slug": "demo", "lines": lines }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let refused: Value = response.json().await.unwrap();
    assert!(
        refused["error"].as_str().unwrap().contains("over all its lines"),
        "{refused}"
    );
    assert_eq!(refused["code"], "bad_request");

    // A viewer's unpaid orders are capped; the next is refused with a code the page explains.
    let mut buyer = String::new();
    for n in 0..caravan_server::commerce::checkout::MAX_OPEN_ORDERS {
        let response = app
            .client
            .post(app.url("/api/orders"))
            .header("idempotency-key", format!("open-{n}"))
            .header("cookie", &buyer)
            .json(&json!({ "slug": "demo", "lines": [{ "productId": CAP, "quantity": 1, "price": 3960 }] }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        if buyer.is_empty() {
            buyer = cookie_header(&set_cookies(&response));
        }
    }
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", "one-too-many")
        .header("cookie", &buyer)
        .json(&json!({ "slug": "demo", "lines": [{ "productId": CAP, "quantity": 1, "price": 3960 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["code"], "too_many_open_orders", "{refused}");
    assert_eq!(app.store.product(CAP).await.unwrap().unwrap().stock, 9 - 3);
}
