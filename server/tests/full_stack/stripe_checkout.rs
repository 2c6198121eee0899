//! Checkout with Stripe against a local fake of its API that speaks the wire format: form-encoded bodies, HTTP Basic
//! with the secret key, Idempotency-Key replays (and a different body under the same key refused), error envelopes.
//! The order's PaymentIntent is made once, the webhook pays it, and a Stripe failure gives the stock back.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use crate::support::TestApp;
use axum::{
    Form, Json, Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use caravan_server::{config::Config, secret::Secret, store::ProductRecord};
use serde_json::{Value, json};

const SECRET_KEY: &str = "sk_test_caravan";
const WEBHOOK_SECRET: &str = "whsec_caravan";

/// A form-encoded request body, decoded.
type Params = HashMap<String, String>;

/// The fake's memory: every request's form, and the first answer of each Idempotency-Key with its form.
#[derive(Default)]
struct Fake {
    requests: Mutex<Vec<Params>>,
    replays: Mutex<HashMap<String, (Params, Value)>>,
    failing: Mutex<bool>,
    /// PaymentIntents the buyer has paid (they can no longer be cancelled), and those cancelled, with the form.
    succeeded: Mutex<Vec<String>>,
    cancelled: Mutex<Vec<(String, Params)>>,
}

fn stripe_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, Json(json!({ "error": { "type": kind, "message": message } }))).into_response()
}

async fn fake_stripe() -> (SocketAddr, Arc<Fake>) {
    let fake = Arc::new(Fake::default());
    let app = Router::new()
        .route(
            "/v1/payment_intents",
            post(
                |State(fake): State<Arc<Fake>>, headers: HeaderMap, Form(form): Form<Params>| async move {
                    let auth = format!("Basic {}", STANDARD.encode(format!("{SECRET_KEY}:")));
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(auth.as_str()) {
                        return stripe_error(
                            StatusCode::UNAUTHORIZED,
                            "invalid_request_error",
                            "Invalid API Key provided",
                        );
                    }
                    fake.requests.lock().unwrap().push(form.clone());
                    if *fake.failing.lock().unwrap() {
                        return stripe_error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Something went wrong");
                    }
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    if let Some((first, answer)) = fake.replays.lock().unwrap().get(&key) {
                        return if *first == form {
                            Json(answer.clone()).into_response()
                        } else {
                            stripe_error(
                                StatusCode::BAD_REQUEST,
                                "idempotency_error",
                                "Keys for idempotent requests can only be used with the same parameters",
                            )
                        };
                    }
                    let amount: i64 = form.get("amount").and_then(|a| a.parse().ok()).unwrap_or(0);
                    if !(1..=99_999_999).contains(&amount) {
                        return stripe_error(StatusCode::BAD_REQUEST, "invalid_request_error", "Invalid amount");
                    }
                    let n = fake.replays.lock().unwrap().len();
                    let answer = json!({
                        "id": format!("pi_{n}"), "object": "payment_intent", "amount": amount,
                        "currency": form["currency"], "client_secret": format!("pi_{n}_secret_abc"),
                        "status": "requires_payment_method", "metadata": { "order_id": form["metadata[order_id]"] },
                    });
                    fake.replays.lock().unwrap().insert(key, (form, answer.clone()));
                    Json(answer).into_response()
                },
            ),
        )
        .route(
            "/v1/payment_intents/{id}/cancel",
            post(
                |State(fake): State<Arc<Fake>>,
                 Path(id): Path<String>,
                 headers: HeaderMap,
                 Form(form): Form<Params>| async move {
                    let auth = format!("Basic {}", STANDARD.encode(format!("{SECRET_KEY}:")));
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(auth.as_str()) {
                        return stripe_error(StatusCode::UNAUTHORIZED, "invalid_request_error", "Invalid API Key");
                    }
                    if *fake.failing.lock().unwrap() {
                        return stripe_error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", "Something went wrong");
                    }
                    if fake.succeeded.lock().unwrap().contains(&id) {
                        let body = json!({ "error": {
                            "type": "invalid_request_error", "code": "payment_intent_unexpected_state",
                            "message": "You cannot cancel this PaymentIntent because it has a status of succeeded.",
                            "payment_intent": { "id": id, "object": "payment_intent", "status": "succeeded" },
                        } });
                        return (StatusCode::BAD_REQUEST, Json(body)).into_response();
                    }
                    fake.cancelled.lock().unwrap().push((id.clone(), form));
                    Json(json!({ "id": id, "object": "payment_intent", "status": "canceled" })).into_response()
                },
            ),
        )
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, fake)
}

fn configure(config: &mut Config, stripe: SocketAddr) {
    config.checkout_provider = caravan_server::config::CheckoutProvider::Stripe;
    config.stripe_secret_key = Some(Secret::new(SECRET_KEY.into()));
    config.stripe_publishable_key = Some("pk_test_caravan".into());
    config.stripe_webhook_secret = Some(Secret::new(WEBHOOK_SECRET.into()));
    config.stripe_api_base = format!("http://{stripe}");
}

async fn tea(app: &TestApp) -> ProductRecord {
    app.store
        .products_of_event("evt_demo")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.stock >= 2)
        .unwrap()
}

/// Orders two of `product` as the buyer with `cookie`: the status, the answer, and the buyer's cookie.
async fn order(app: &TestApp, key: &str, product: &ProductRecord, cookie: &str) -> (u16, Value, String) {
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", key)
        .header("cookie", cookie)
        .json(&json!({ "slug": "demo", "lines": [{ "productId": product.id, "quantity": 2, "price": product.price }] }))
        .send()
        .await
        .unwrap();
    let set = crate::support::cookie_header(&crate::support::set_cookies(&response));
    let cookie = if set.is_empty() { cookie.to_string() } else { set };
    (response.status().as_u16(), response.json().await.unwrap(), cookie)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_payment_intent_per_order_then_the_webhook_pays_it() {
    let (stripe, fake) = fake_stripe().await;
    let app = TestApp::spawn_configured(|config| configure(config, stripe)).await;
    let tea = tea(&app).await;
    let (status, first, buyer) = order(&app, "checkout-1", &tea, "").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (first["provider"].as_str(), first["testMode"].as_bool()),
        (Some("stripe"), Some(false))
    );
    assert_eq!(first["clientSecret"], "pi_0_secret_abc");
    // What the page loads the Payment Element with: public values only.
    assert_eq!(
        first["stripe"],
        json!({ "publishableKey": "pk_test_caravan", "jsUrl": "https://js.stripe.com/v3/" })
    );
    assert!(!first.to_string().contains(SECRET_KEY));
    let id = first["orderId"].as_str().unwrap();
    let sent = fake.requests.lock().unwrap()[0].clone();
    // JPY is zero-decimal: the tax-included yen, as they are.
    assert_eq!(sent["amount"], (tea.price * 2).to_string());
    assert_eq!(sent["currency"], "jpy");
    assert_eq!(sent["metadata[order_id]"], id);
    assert_eq!(sent["automatic_payment_methods[enabled]"], "true");

    // The page retries: the same order, Stripe's replayed PaymentIntent, no second one.
    let (status, again, _) = order(&app, "checkout-1", &tea, &buyer).await;
    assert_eq!((status, again["clientSecret"].as_str()), (200, Some("pi_0_secret_abc")));
    assert_eq!(fake.replays.lock().unwrap().len(), 1);
    assert_eq!(
        app.store.order(id).await.unwrap().unwrap().payment_ref.as_deref(),
        Some("pi_0")
    );

    // Stripe says it succeeded.
    let event = json!({ "id": "evt_paid", "object": "event", "type": "payment_intent.succeeded",
        "data": { "object": { "id": "pi_0", "object": "payment_intent" } } })
    .to_string();
    let signature = crate::support::stripe_signature(WEBHOOK_SECRET, chrono::Utc::now().timestamp(), &event);
    let delivered = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("stripe-signature", signature)
        .body(event)
        .send()
        .await
        .unwrap();
    assert_eq!(delivered.status(), 200);
    assert_eq!(app.store.order(id).await.unwrap().unwrap().state.as_str(), "paid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_stripe_fails_nothing_is_charged_and_the_stock_comes_back() {
    let (stripe, fake) = fake_stripe().await;
    *fake.failing.lock().unwrap() = true;
    let app = TestApp::spawn_configured(|config| configure(config, stripe)).await;
    let tea = tea(&app).await;
    let (status, refused, _) = order(&app, "checkout-2", &tea, "").await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (502, Some("payment_unavailable")),
        "{refused}"
    );
    assert!(refused["error"].as_str().unwrap().contains("Nothing was charged"));
    assert!(!refused.to_string().contains(SECRET_KEY));
    assert_eq!(
        app.store.product(&tea.id).await.unwrap().unwrap().stock,
        tea.stock,
        "the stock came back"
    );

    // A wrong key is Stripe's 401: refused the same way, the key never shown.
    let app = TestApp::spawn_configured(|config| {
        configure(config, stripe);
        config.stripe_secret_key = Some(Secret::new("sk_test_wrong".into()));
    })
    .await;
    *fake.failing.lock().unwrap() = false;
    let (status, refused, _) = order(&app, "checkout-3", &tea, "").await;
    assert_eq!(status, 502, "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("invalid_request_error"),
        "{refused}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_not_paid_in_time_cancels_its_payment_intent_and_gives_the_stock_back() {
    let (stripe, fake) = fake_stripe().await;
    let app = TestApp::spawn_configured(|config| configure(config, stripe)).await;
    let worker = caravan_server::jobs::Worker {
        stripe: Some(
            caravan_server::commerce::stripe::Stripe::new(
                Secret::new(SECRET_KEY.into()),
                &format!("http://{stripe}"),
                caravan_server::commerce::stripe::StripePage {
                    publishable_key: "pk_test_caravan".into(),
                    js_url: "https://js.stripe.com/v3/".into(),
                },
            )
            .unwrap(),
        ),
        ..app.worker(caravan_server::mail::Mailer::Outbox)
    };
    let tea = tea(&app).await;
    let placed = chrono::Utc::now();
    let hold_over = placed + chrono::Duration::minutes(16);
    let stock = |app: &TestApp| {
        let id = tea.id.clone();
        let store = app.store.clone();
        async move { store.product(&id).await.unwrap().unwrap().stock }
    };

    // Abandoned: Stripe cancels the PaymentIntent, the order fails, the stock comes back.
    let (status, abandoned, buyer) = order(&app, "abandoned", &tea, "").await;
    assert_eq!(status, 201, "{abandoned}");
    // Paid at the last moment: too late to cancel, so the order stays for its webhook.
    let (_, paid_late, _) = order(&app, "paid-late", &tea, &buyer).await;
    fake.succeeded.lock().unwrap().push("pi_1".into());
    assert_eq!(stock(&app).await, tea.stock - 4);

    // Stripe down: the expiry waits and is tried again; nothing moves meanwhile.
    *fake.failing.lock().unwrap() = true;
    assert_eq!(worker.run_due(hold_over).await.unwrap(), 0);
    assert_eq!(stock(&app).await, tea.stock - 4);
    *fake.failing.lock().unwrap() = false;
    assert_eq!(
        worker.run_due(hold_over + chrono::Duration::minutes(5)).await.unwrap(),
        2
    );

    let state = |id: &Value| {
        let id = id.as_str().unwrap().to_string();
        let store = app.store.clone();
        async move { store.order(&id).await.unwrap().unwrap().state.as_str().to_string() }
    };
    assert_eq!(state(&abandoned["orderId"]).await, "failed");
    assert_eq!(state(&paid_late["orderId"]).await, "created");
    assert_eq!(stock(&app).await, tea.stock - 2);
    let cancelled = fake.cancelled.lock().unwrap().clone();
    assert_eq!(cancelled.len(), 1, "{cancelled:?}");
    assert_eq!(cancelled[0].0, "pi_0");
    assert_eq!(cancelled[0].1["cancellation_reason"], "abandoned");
}
