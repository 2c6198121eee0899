//! Product changes reach subscribers over the AppSync protocol: an order that sells a product out, a declined
//! payment that brings it back, and the operator's `publishProduct`; an order that leaves stock announces nothing.

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
