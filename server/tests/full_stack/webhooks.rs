//! Stripe and Shopify webhooks over HTTP, signed here with this test's own HMAC code: verified deliveries move the
//! order (once, however often they come), forged, stale and unsigned ones are 400 and change nothing.

use crate::support::{TestApp, hmac_sha256, stripe_signature};
use base64::{Engine, engine::general_purpose::STANDARD};
use caravan_server::{config::Config, secret::Secret};
use serde_json::{Value, json};

const STRIPE_SECRET: &str = "whsec_caravan_test";
const SHOPIFY_SECRET: &str = "shpss_caravan_test";

fn configure(config: &mut Config) {
    config.stripe_webhook_secret = Some(Secret::new(STRIPE_SECRET.into()));
    config.shopify_webhook_secret = Some(Secret::new(SHOPIFY_SECRET.into()));
}

fn stripe_event(id: &str, kind: &str, object: Value) -> String {
    json!({ "id": id, "object": "event", "type": kind, "created": 1, "livemode": false, "data": { "object": object } })
        .to_string()
}

async fn deliver(app: &TestApp, path: &str, headers: &[(&str, String)], body: &str) -> (u16, Value) {
    let mut request = app.client.post(app.url(path)).body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn stripe(app: &TestApp, body: &str, signature: String) -> (u16, Value) {
    deliver(app, "/webhooks/stripe", &[("stripe-signature", signature)], body).await
}

/// An order of the demo, waiting for the PaymentIntent `pi`.
async fn order_waiting_for(app: &TestApp, pi: &str) -> String {
    let product = app
        .store
        .products_of_event("evt_demo")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.stock > 0)
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", pi)
        .json(&json!({ "slug": "demo", "lines": [{ "productId": product.id, "quantity": 1, "price": product.price }] }))
        .send()
        .await
        .unwrap();
    let order: Value = response.json().await.unwrap();
    let id = order["orderId"].as_str().unwrap().to_string();
    app.store.set_payment_ref(&id, pi).await.unwrap();
    id
}

async fn state_of(app: &TestApp, id: &str) -> String {
    app.store.order(id).await.unwrap().unwrap().state.as_str().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_events_move_orders_once_and_forgeries_change_nothing() {
    let app = TestApp::spawn_configured(configure).await;
    let order = order_waiting_for(&app, "pi_123").await;
    let now = chrono::Utc::now().timestamp();
    // A declined card leaves the order waiting for another try on the same PaymentIntent.
    let declined = stripe_event("evt_0", "payment_intent.payment_failed", json!({ "id": "pi_123" }));
    assert_eq!(
        stripe(&app, &declined, stripe_signature(STRIPE_SECRET, now, &declined))
            .await
            .0,
        200
    );
    assert_eq!(state_of(&app, &order).await, "created");
    let succeeded = stripe_event(
        "evt_1",
        "payment_intent.succeeded",
        json!({ "id": "pi_123", "object": "payment_intent" }),
    );

    // Forged, stale, unsigned, downgraded: 400, nothing moves.
    for (case, signature) in [
        ("another secret", stripe_signature("whsec_wrong", now, &succeeded)),
        ("stale", stripe_signature(STRIPE_SECRET, now - 301, &succeeded)),
        (
            "v0 only",
            stripe_signature(STRIPE_SECRET, now, &succeeded).replace("v1=", "v0="),
        ),
        ("garbage", "nonsense".to_string()),
    ] {
        let (status, body) = stripe(&app, &succeeded, signature).await;
        assert_eq!(status, 400, "{case}: {body}");
    }
    let tampered = succeeded.replace("pi_123", "pi_999");
    assert_eq!(
        stripe(&app, &tampered, stripe_signature(STRIPE_SECRET, now, &succeeded))
            .await
            .0,
        400
    );
    assert_eq!(state_of(&app, &order).await, "created");
    assert_eq!(
        deliver(&app, "/webhooks/stripe", &[], &succeeded).await.0,
        400,
        "no signature"
    );

    // The real one pays the order and starts its pipeline; its repeats change nothing.
    let (status, body) = stripe(&app, &succeeded, stripe_signature(STRIPE_SECRET, now, &succeeded)).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(false)), "{body}");
    assert_eq!(state_of(&app, &order).await, "paid");
    for _ in 0..2 {
        let (status, body) = stripe(&app, &succeeded, stripe_signature(STRIPE_SECRET, now, &succeeded)).await;
        assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    }
    let moves = app.store.order_transitions(&order).await.unwrap();
    assert_eq!(moves.len(), 2, "{moves:?}");
    assert_eq!(moves[1].cause, "stripe payment_intent.succeeded (evt_1)");
    let pipeline = app
        .store
        .job(&format!("order_step:{order}:confirmation_email"))
        .await
        .unwrap();
    assert_eq!(pipeline.map(|job| job.state).as_deref(), Some("pending"));

    // A late failure does not unpay it; a refund refunds it.
    let failed = stripe_event("evt_2", "payment_intent.payment_failed", json!({ "id": "pi_123" }));
    assert_eq!(
        stripe(&app, &failed, stripe_signature(STRIPE_SECRET, now, &failed))
            .await
            .0,
        200
    );
    assert_eq!(state_of(&app, &order).await, "paid");
    let refunded = stripe_event(
        "evt_3",
        "charge.refunded",
        json!({ "id": "ch_1", "payment_intent": "pi_123" }),
    );
    assert_eq!(
        stripe(&app, &refunded, stripe_signature(STRIPE_SECRET, now, &refunded))
            .await
            .0,
        200
    );
    assert_eq!(state_of(&app, &order).await, "refunded");

    // Events we do not act on, or for no order of ours, are acknowledged.
    let other = stripe_event("evt_4", "customer.created", json!({ "id": "cus_1" }));
    assert_eq!(
        stripe(&app, &other, stripe_signature(STRIPE_SECRET, now, &other))
            .await
            .0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_webhooks_are_verified_and_deduplicated() {
    let app = TestApp::spawn_configured(configure).await;
    let body = json!({ "id": 7, "title": "静岡煎茶" }).to_string();
    let signed = STANDARD.encode(hmac_sha256(SHOPIFY_SECRET, body.as_bytes()));
    let headers = |hmac: String, id: &str| {
        vec![
            ("x-shopify-hmac-sha256", hmac),
            ("x-shopify-topic", "products/update".to_string()),
            ("x-shopify-webhook-id", id.to_string()),
        ]
    };
    let (status, answer) = deliver(&app, "/webhooks/shopify", &headers(signed.clone(), "wh-1"), &body).await;
    assert_eq!((status, answer["duplicate"].as_bool()), (200, Some(false)), "{answer}");
    let (status, answer) = deliver(&app, "/webhooks/shopify", &headers(signed.clone(), "wh-1"), &body).await;
    assert_eq!((status, answer["duplicate"].as_bool()), (200, Some(true)));
    let forged = STANDARD.encode(hmac_sha256("another", body.as_bytes()));
    assert_eq!(
        deliver(&app, "/webhooks/shopify", &headers(forged, "wh-2"), &body)
            .await
            .0,
        400
    );
    assert_eq!(
        deliver(&app, "/webhooks/shopify", &headers("%%%".into(), "wh-2"), &body)
            .await
            .0,
        400
    );
    assert_eq!(
        deliver(&app, "/webhooks/shopify", &headers(signed, ""), &body).await.0,
        400
    );

    // Without secrets, both endpoints are off.
    let plain = TestApp::spawn().await;
    assert_eq!(deliver(&plain, "/webhooks/stripe", &[], "{}").await.0, 404);
    assert_eq!(deliver(&plain, "/webhooks/shopify", &[], "{}").await.0, 404);
}
