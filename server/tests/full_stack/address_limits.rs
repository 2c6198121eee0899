//! Per-address limits, each tried as the attack it stops: fresh viewer cookies (none sent: the server mints one per
//! call) placing orders, taking waiting-room numbers, tapping likes, forging analytics, and accepting terms; and
//! guessing the operator token. The client address comes from the socket, or from a trusted proxy's header.

use crate::support::TestApp;
use serde_json::{Value, json};

/// POSTs `body` to `path` with no cookie (a fresh viewer each time) and the given headers: status and answer.
async fn post(app: &TestApp, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Option<String>, Value) {
    let mut request = app.client.post(app.url(path)).json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, response.json().await.unwrap_or(Value::Null))
}

/// Arms the demo show's waiting room, as the operator.
async fn arm(app: &TestApp) {
    let response = app
        .client
        .put(app.url("/api/admin/waiting-room/evt_demo"))
        .header("authorization", &app.operator_token)
        .json(&json!({ "armed": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// One cap from the demo show.
fn order() -> Value {
    json!({ "slug": "demo", "lines": [{ "productId": "prd_demo_10", "quantity": 1, "price": 3960 }] })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fresh_cookies_do_not_multiply_what_one_address_may_do() {
    let app = TestApp::spawn_configured(|config| {
        config.address_limits = "orders=3,waiting_room=4,likes=100,analytics=5,terms=2".into();
    })
    .await;
    let app = &app;
    let place = |n: usize| async move {
        let key = format!("k{n}");
        post(app, "/api/orders", &[("idempotency-key", key.as_str())], order()).await
    };
    for n in 0..3 {
        assert_eq!(place(n).await.0, 201);
    }
    let (status, retry_after, refused) = place(3).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (429, Some("rate_limited")),
        "{refused}"
    );
    let wait: u64 = retry_after.expect("Retry-After").parse().unwrap();
    assert!((1..=21).contains(&wait), "{wait}");
    assert_eq!(app.store.product("prd_demo_10").await.unwrap().unwrap().stock, 9 - 3);

    // The waiting room: no more places than the address's budget, however many cookies.
    arm(app).await;
    let numbers = futures_util::future::join_all((0..8).map(|_| {
        post(
            app,
            "/waiting-room/assign_queue_num",
            &[],
            json!({ "event_id": "evt_demo" }),
        )
    }))
    .await;
    let granted = numbers.iter().filter(|(status, ..)| *status == 200).count();
    let refused = numbers.iter().filter(|(status, ..)| *status == 429).count();
    assert_eq!((granted, refused), (4, 4), "{numbers:?}");

    // Likes: 30 fresh viewers (each cookie minted by a playback request), each within its own limit; 100 taps
    // count in all for the address.
    let like = "mutation($e: ID!, $n: Int!) { like(eventId: $e, count: $n) { accepted } }";
    let mut accepted = 0;
    for _ in 0..30 {
        let minted = app
            .client
            .post(app.url("/api/playback/demo"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let cookie = crate::support::cookie_header(&crate::support::set_cookies(&minted));
        assert!(cookie.starts_with("caravan_viewer="), "{cookie}");
        let (_, body) = app
            .graphql_with(
                &[("x-api-key", &app.api_key), ("cookie", &cookie)],
                like,
                json!({ "e": "evt_demo", "n": 10 }),
            )
            .await;
        accepted += body["data"]["like"]["accepted"].as_i64().unwrap();
    }
    assert!((100..=102).contains(&accepted), "{accepted} of 300 taps counted");

    // Analytics: forged batches stop at the budget.
    let batch = json!({ "session": "forged-1", "playing": true, "watchedMs": 0, "events": [{ "kind": "play" }] });
    let statuses: Vec<u16> =
        futures_util::future::join_all((0..7).map(|_| post(app, "/api/analytics/demo", &[], batch.clone())))
            .await
            .into_iter()
            .map(|(status, ..)| status)
            .collect();
    assert_eq!(statuses.iter().filter(|s| **s == 204).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 2, "{statuses:?}");

    // Terms: each acceptance writes a row; an address writes its budget's worth.
    let mut accepted_terms = Vec::new();
    for _ in 0..3 {
        let (status, ..) = post(app, "/api/playback/demo-paid", &[], json!({ "acceptTerms": true })).await;
        accepted_terms.push(status);
    }
    assert_eq!(
        accepted_terms,
        [403, 403, 429],
        "two acceptances (then a ticket is needed), then 429"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_the_operator_token_is_stopped_and_the_right_token_waits_too() {
    let app = TestApp::spawn_configured(|config| config.address_limits = "failed_sign_in=3".into()).await;
    let query = "{ __typename }";
    for n in 0..3 {
        let (status, _) = app
            .graphql_with(&[("authorization", &format!("guess-{n}"))], query, json!({}))
            .await;
        assert_eq!(status, 401);
    }
    // Spent: even the right token is not compared now, so a guess that would be right learns nothing.
    let (status, body) = app
        .graphql_with(&[("authorization", &app.operator_token)], query, json!({}))
        .await;
    assert_eq!(status, 429, "{body}");
    // The console's sign-in form and the REST admin are the same budget.
    let login = app
        .client
        .post(app.url("/api/admin/login"))
        .form(&[("token", app.operator_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status().as_u16(), 429);
    // Viewers with the public API key and no credentials at all are not held up.
    let anonymous = app.get("/api/feed/demo").await;
    assert_eq!(anonymous.status().as_u16(), 200);

    // A refused sign-in form spends the budget as a 401 does.
    let app = TestApp::spawn_configured(|config| config.address_limits = "failed_sign_in=2".into()).await;
    for _ in 0..2 {
        let refused = app
            .client
            .post(app.url("/api/admin/login"))
            .form(&[("token", "wrong")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status().as_u16(), 303);
    }
    let (status, _) = app
        .graphql_with(&[("authorization", &app.operator_token)], query, json!({}))
        .await;
    assert_eq!(status, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget() {
    let app = TestApp::spawn_configured(|config| {
        config.address_limits = "waiting_room=1".into();
        config.trusted_proxies = "127.0.0.1".into();
    })
    .await;
    arm(&app).await;
    let assign = |forwarded: &'static str| {
        let app = &app;
        async move {
            post(
                app,
                "/waiting-room/assign_queue_num",
                &[("x-forwarded-for", forwarded)],
                json!({ "event_id": "evt_demo" }),
            )
            .await
            .0
        }
    };
    assert_eq!(assign("203.0.113.1").await, 200);
    assert_eq!(assign("203.0.113.2").await, 200);
    assert_eq!(assign("203.0.113.1").await, 429);
    // What the client wrote before the proxy's entry is not believed.
    assert_eq!(assign("203.0.113.9, 203.0.113.2").await, 429);

    // Without a trusted proxy the header is anyone's words: one address, one budget.
    let app = TestApp::spawn_configured(|config| config.address_limits = "waiting_room=1".into()).await;
    arm(&app).await;
    let first = post(
        &app,
        "/waiting-room/assign_queue_num",
        &[("x-forwarded-for", "203.0.113.1")],
        json!({ "event_id": "evt_demo" }),
    )
    .await;
    let second = post(
        &app,
        "/waiting-room/assign_queue_num",
        &[("x-forwarded-for", "203.0.113.2")],
        json!({ "event_id": "evt_demo" }),
    )
    .await;
    assert_eq!((first.0, second.0), (200, 429));
}
