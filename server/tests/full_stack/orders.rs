//! Orders over HTTP with the local test provider: idempotent placing, stock and price re-checked, payment and
//! decline, the buyer's own view, and the pipeline after payment (each step once, however often it runs).

use crate::support::{TestApp, cookie_header, set_cookies};
use caravan_server::{jobs::Worker, mail::Mailer, store::ProductRecord};
use serde_json::{Value, json};

async fn place(app: &TestApp, cookie: &str, key: Option<&str>, body: Value) -> (u16, Vec<String>, Value) {
    let mut request = app
        .client
        .post(app.url("/api/orders"))
        .header("cookie", cookie)
        .json(&body);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let set = set_cookies(&response);
    (status, set, response.json().await.unwrap_or(Value::Null))
}

async fn call(app: &TestApp, method: reqwest::Method, path: &str, cookie: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).header("cookie", cookie);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The demo's products: one in stock (at least 3), and one sold out.
async fn products(app: &TestApp) -> (ProductRecord, ProductRecord) {
    let all = app.store.products_of_event("evt_demo").await.unwrap();
    let in_stock = all.iter().find(|p| p.stock >= 3).unwrap().clone();
    let sold_out = all.iter().find(|p| p.stock == 0).unwrap().clone();
    (in_stock, sold_out)
}

fn worker(app: &TestApp) -> Worker {
    app.worker(Mailer::Outbox)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_placed_once_per_key_and_paid_with_the_test_provider() {
    let app = TestApp::spawn().await;
    let (tea, sold_out) = products(&app).await;
    let body = json!({
        "slug": "demo",
        "lines": [{ "productId": tea.id, "quantity": 2, "price": tea.price }],
        "email": "buyer@example.com",
    });
    let (status, set, order) = place(&app, "", Some("key-1"), body.clone()).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["state"], "created");
    assert_eq!(order["total"], tea.price * 2);
    assert_eq!(order["testMode"], true);
    let buyer = cookie_header(&set);
    let id = order["orderId"].as_str().unwrap().to_string();

    // The same key and body: the same order; another body: 422; no key: 400.
    let (status, _, again) = place(&app, &buyer, Some("key-1"), body.clone()).await;
    assert_eq!((status, again["orderId"].as_str()), (200, Some(id.as_str())));
    let mut other = body.clone();
    other["lines"][0]["quantity"] = 1.into();
    let (status, _, refused) = place(&app, &buyer, Some("key-1"), other).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );
    assert_eq!(place(&app, &buyer, None, body.clone()).await.0, 400);
    assert_eq!(
        app.store.product(&tea.id).await.unwrap().unwrap().stock,
        tea.stock - 2,
        "stock taken once"
    );

    // Stock and price are checked now.
    let (status, _, refused) = place(
        &app,
        &buyer,
        Some("key-2"),
        json!({ "slug": "demo", "lines": [{ "productId": sold_out.id, "quantity": 1, "price": sold_out.price }] }),
    )
    .await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("sold_out")), "{refused}");
    assert_eq!(refused["productId"], sold_out.id.as_str());
    let (status, _, refused) = place(
        &app,
        &buyer,
        Some("key-3"),
        json!({ "slug": "demo", "lines": [{ "productId": tea.id, "quantity": 1, "price": tea.price + 100 }] }),
    )
    .await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("price_changed")));
    assert_eq!(refused["price"], tea.price);
    for bad in [
        json!({ "slug": "demo", "lines": [] }),
        json!({ "slug": "demo", "lines": [{ "productId": tea.id, "quantity": 0, "price": tea.price }] }),
        json!({ "slug": "demo", "lines": [{ "productId": "nope", "quantity": 1, "price": 1 }] }),
        json!({ "slug": "demo", "lines": [{ "productId": tea.id, "quantity": 1, "price": tea.price }], "email": "x@" }),
    ] {
        let (status, _, error) = place(&app, &buyer, Some("key-bad"), bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {error}");
        assert!(error["error"].is_string());
    }

    // Only the buyer sees or pays it.
    let path = format!("/api/orders/{id}");
    assert_eq!(call(&app, reqwest::Method::GET, &path, "", None).await.0, 404);
    let pay = format!("/api/orders/{id}/pay");
    let succeed = Some(json!({ "outcome": "succeed" }));
    assert_eq!(
        call(&app, reqwest::Method::POST, &pay, "", succeed.clone()).await.0,
        404
    );
    let (status, paid) = call(&app, reqwest::Method::POST, &pay, &buyer, succeed.clone()).await;
    assert_eq!((status, paid["state"].as_str()), (200, Some("paid")), "{paid}");
    assert_eq!(
        call(&app, reqwest::Method::POST, &pay, &buyer, succeed).await.0,
        200,
        "a second click is harmless"
    );
    let decline = Some(json!({ "outcome": "decline" }));
    assert_eq!(call(&app, reqwest::Method::POST, &pay, &buyer, decline).await.0, 409);
    let (_, shown) = call(&app, reqwest::Method::GET, &path, &buyer, None).await;
    assert_eq!(shown["lines"][0]["quantity"], 2);
    assert_eq!(
        shown["history"],
        json!([
            { "from": null, "to": "created", "cause": "placed" },
            { "from": "created", "to": "paid", "cause": "paid with the local test provider" },
        ])
    );

    // Shipped: the operator marks it fulfilled with the parcel's tracking, once.
    let fulfil = format!("/api/admin/orders/{id}/fulfil");
    let tracking = Some(json!({ "carrier": "yamato", "trackingNumber": "1234-5678" }));
    assert_eq!(
        call(&app, reqwest::Method::POST, &fulfil, &buyer, tracking.clone())
            .await
            .0,
        401
    );
    let operator = app.operator_cookie().await;
    let (status, fulfilled) = call(&app, reqwest::Method::POST, &fulfil, &operator, tracking.clone()).await;
    assert_eq!(
        (status, fulfilled["state"].as_str()),
        (200, Some("fulfilled")),
        "{fulfilled}"
    );
    let (status, again) = call(&app, reqwest::Method::POST, &fulfil, &operator, tracking).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("order_state")));
    let (_, shown) = call(&app, reqwest::Method::GET, &path, &buyer, None).await;
    assert_eq!(
        shown["history"][2],
        json!({ "from": "paid", "to": "fulfilled", "cause": "shipped (the operator): yamato 1234-5678" })
    );
    assert_eq!(
        call(
            &app,
            reqwest::Method::POST,
            "/api/admin/orders/ord_none/fulfil",
            &operator,
            None
        )
        .await
        .0,
        404
    );

    // The pipeline: every step once, however often the worker runs.
    let worker = worker(&app);
    let now = chrono::Utc::now();
    assert_eq!(worker.run_due(now).await.unwrap(), 4);
    assert_eq!(worker.run_due(now + chrono::Duration::hours(1)).await.unwrap(), 0);
    let outbox = app.store.outbox(10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].recipient, "buyer@example.com");
    assert!(
        outbox[0].body.contains(&format!("{} × 2", tea.title)),
        "{}",
        outbox[0].body
    );
    let history = app.store.order_history(&shown_viewer(&app, &id).await).await.unwrap();
    assert_eq!(history.len(), 1);
    let shipment: Value =
        serde_json::from_slice(&std::fs::read(app.dir.path().join(format!("exports/fulfilment/{id}.json"))).unwrap())
            .unwrap();
    assert_eq!(shipment["lines"][0]["productId"], tea.id.as_str());
    // The exports say who took the payment, and that this one was a test.
    assert_eq!(
        (shipment["provider"].as_str(), shipment["testMode"].as_bool()),
        (Some("local"), Some(true))
    );
    let accounting = std::fs::read_to_string(app.dir.path().join(format!("exports/accounting/{id}.csv"))).unwrap();
    assert_eq!(accounting.lines().count(), 2, "{accounting}");
    assert!(
        accounting.lines().next().unwrap().ends_with(",provider,test_mode"),
        "{accounting}"
    );
    assert!(
        accounting.lines().nth(1).unwrap().ends_with(",local,true"),
        "{accounting}"
    );
}

async fn shown_viewer(app: &TestApp, order_id: &str) -> String {
    app.store.order(order_id).await.unwrap().unwrap().viewer_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_payment_gives_the_stock_back() {
    let app = TestApp::spawn().await;
    let (tea, _) = products(&app).await;
    let body = json!({ "slug": "demo", "lines": [{ "productId": tea.id, "quantity": 3, "price": tea.price }] });
    let (status, set, order) = place(&app, "", Some("k"), body).await;
    assert_eq!(status, 201);
    assert_eq!(app.store.product(&tea.id).await.unwrap().unwrap().stock, tea.stock - 3);
    let path = format!("/api/orders/{}/pay", order["orderId"].as_str().unwrap());
    let (status, failed) = call(
        &app,
        reqwest::Method::POST,
        &path,
        &cookie_header(&set),
        Some(json!({ "outcome": "decline" })),
    )
    .await;
    assert_eq!((status, failed["state"].as_str()), (200, Some("failed")));
    assert_eq!(app.store.product(&tea.id).await.unwrap().unwrap().stock, tea.stock);
    assert_eq!(
        worker(&app).run_due(chrono::Utc::now()).await.unwrap(),
        0,
        "no pipeline for a failed order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_that_keeps_failing_is_a_dead_letter_the_operator_retries() {
    let app = TestApp::spawn().await;
    let (tea, _) = products(&app).await;
    let body = json!({ "slug": "demo", "lines": [{ "productId": tea.id, "quantity": 1, "price": tea.price }] });
    let (_, set, order) = place(&app, "", Some("k"), body).await;
    let id = order["orderId"].as_str().unwrap().to_string();
    let pay = format!("/api/orders/{id}/pay");
    call(
        &app,
        reqwest::Method::POST,
        &pay,
        &cookie_header(&set),
        Some(json!({ "outcome": "succeed" })),
    )
    .await;

    // The exports folder is a file: the exports fail at every try, with backoff, then for good.
    let exports = app.dir.path().join("exports");
    std::fs::write(&exports, "not a folder").unwrap();
    let worker = worker(&app);
    let mut now = chrono::Utc::now();
    for _ in 0..8 {
        worker.run_due(now).await.unwrap();
        now += chrono::Duration::hours(3);
    }
    let dead = app.store.dead_jobs(10).await.unwrap();
    let keys: Vec<&str> = dead.iter().map(|job| job.dedupe_key.as_str()).collect();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.contains(&format!("order_step:{id}:fulfilment_export").as_str()));
    assert_eq!(dead[0].attempts, 8, "tried 8 times");
    assert_eq!(app.store.outbox(10).await.unwrap().len(), 0, "no address, no mail");

    // The console lists them; its retry button runs them again, now that the folder can be made.
    let operator = app.operator_cookie().await;
    let html = app.console_html("demo", &operator).await;
    assert!(html.contains("Failed background work") && html.contains(&format!("order_step:{id}:fulfilment_export")));
    assert!(html.contains("accounting export"), "the last error is shown");
    std::fs::remove_file(&exports).unwrap();
    for job in &dead {
        let response = app
            .client
            .post(app.url("/api/console/retry_job"))
            .header("cookie", &operator)
            .header("accept", "application/json")
            .form(&[("id", job.id.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
    let stranger = app
        .client
        .post(app.url("/api/console/retry_job"))
        .header("accept", "application/json")
        .form(&[("id", dead[0].id.to_string())])
        .send()
        .await
        .unwrap();
    assert!(!stranger.status().is_success(), "only the operator retries");
    assert_eq!(worker.run_due(now).await.unwrap(), 2);
    assert!(app.store.dead_jobs(10).await.unwrap().is_empty());
    assert!(exports.join(format!("fulfilment/{id}.json")).exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rush_of_buyers_never_oversells_and_nobody_gets_an_error() {
    let app = TestApp::spawn().await;
    let (tea, _) = products(&app).await;
    let buyers = tea.stock + 15;
    let rush = (0..buyers).map(|i| {
        let (client, url) = (app.client.clone(), app.url("/api/orders"));
        let body = json!({ "slug": "demo", "lines": [{ "productId": tea.id, "quantity": 1, "price": tea.price }] });
        async move {
            let response = client
                .post(url)
                .header("idempotency-key", format!("rush-{i}"))
                .json(&body)
                .send()
                .await;
            response.unwrap().status().as_u16()
        }
    });
    let statuses = futures_util::future::join_all(rush).await;
    let sold = statuses.iter().filter(|s| **s == 201).count();
    let turned_away = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((sold, turned_away), (tea.stock as usize, 15), "{statuses:?}");
    assert_eq!(app.store.product(&tea.id).await.unwrap().unwrap().stock, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_with_variants_is_ordered_by_variant_with_its_own_stock() {
    let app = TestApp::spawn().await;
    let tote = |variant: Option<&str>, quantity: i64| {
        let mut line = json!({ "productId": "prd_demo_02", "quantity": quantity, "price": 2200 });
        if let Some(variant) = variant {
            line["variantId"] = variant.into();
        }
        json!({ "slug": "demo", "lines": [line] })
    };
    let (status, _, refused) = place(&app, "", Some("v0"), tote(None, 1)).await;
    assert_eq!(status, 400);
    assert_eq!(
        refused["error"],
        "choose which キャンバストートバッグ (a size or colour)"
    );
    let (status, _, refused) = place(&app, "", Some("v1"), tote(Some("var_demo_01_nope"), 1)).await;
    assert_eq!(status, 400, "{refused}");

    // All ten black ones: the line names the variant, and its stock and the bag's go down together.
    let (status, set, order) = place(&app, "", Some("v2"), tote(Some("var_demo_02_black"), 10)).await;
    assert_eq!(status, 201, "{order}");
    let buyer = cookie_header(&set);
    let id = order["orderId"].as_str().unwrap().to_string();
    let (_, shown) = call(&app, reqwest::Method::GET, &format!("/api/orders/{id}"), &buyer, None).await;
    assert_eq!(shown["lines"][0]["title"], "キャンバストートバッグ (ブラック · Black)");
    let variants = || async {
        let data = app
            .graphql(
                "{ products(eventId: \"evt_demo\") { id stock soldOut variants { id title price stock soldOut } } }",
                json!({}),
            )
            .await;
        let mut tote = data["data"]["products"][1].clone();
        assert_eq!(tote["id"], "prd_demo_02");
        tote.as_object_mut().unwrap().remove("id");
        tote
    };
    assert_eq!(
        variants().await,
        json!({ "stock": 15, "soldOut": false, "variants": [
            { "id": "var_demo_02_natural", "title": "生成り · Natural", "price": 2200, "stock": 15, "soldOut": false },
            { "id": "var_demo_02_black", "title": "ブラック · Black", "price": 2200, "stock": 0, "soldOut": true },
        ] })
    );
    let (status, _, refused) = place(&app, &buyer, Some("v3"), tote(Some("var_demo_02_black"), 1)).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("sold_out")));

    // Declined: the black ones come back.
    let pay = format!("/api/orders/{id}/pay");
    let (status, _) = call(
        &app,
        reqwest::Method::POST,
        &pay,
        &buyer,
        Some(json!({ "outcome": "decline" })),
    )
    .await;
    assert_eq!(status, 200);
    let now = variants().await;
    assert_eq!(
        (now["stock"].as_i64(), now["variants"][1]["stock"].as_i64()),
        (Some(25), Some(10))
    );
}
