//! Shows that sell a Shopify collection, against a fake Storefront API on 127.0.0.1 that answers in Shopify's shapes
//! (GraphQL over `POST /api/{version}/graphql.json`, the access token header, cursor pages, `cartCreate` with
//! `userErrors`): the catalog read at start, again on a verified `products/update` webhook and on the operator's
//! refresh, changes delivered to open pages, a failing Shopify leaving the catalog as it was; and checkout in a
//! Shopify cart, paid by Shopify's `orders/paid` webhook.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Json, Router, extract::State, http::HeaderMap, routing::post};
use base64::{Engine, engine::general_purpose::STANDARD};
use caravan_server::secret::Secret;
use serde_json::{Value, json};

use crate::support::{TestApp, cookie_header, hmac_sha256, set_cookies};

const TOKEN: &str = "storefront-token-for-tests";
const WEBHOOK_SECRET: &str = "shpss_catalog_test";
const HANDLE: &str = "live-sale";

/// The fake shop's collection: (product number, title, price, available, quantity).
#[derive(Clone)]
struct Shop {
    products: Vec<(u64, &'static str, &'static str, bool, i64)>,
    failing: bool,
    calls: usize,
    /// The `input` of every cartCreate.
    carts: Vec<Value>,
    refuse_carts: bool,
}

type SharedShop = Arc<Mutex<Shop>>;

/// A product of the collection; 104, the happi coat, comes in sizes S (3 left) and M (none), the others in
/// Shopify's one "Default Title" variant.
fn node(&(number, title, price, available, quantity): &(u64, &str, &str, bool, i64)) -> Value {
    let variant = |id: String, title: &str, available: bool, quantity: i64| {
        json!({ "node": { "id": id, "title": title, "availableForSale": available, "quantityAvailable": quantity,
            "price": { "amount": price, "currencyCode": "JPY" } } })
    };
    let variants = if number == 104 {
        vec![
            variant(format!("gid://shopify/ProductVariant/{number}1"), "S", true, 3),
            variant(format!("gid://shopify/ProductVariant/{number}2"), "M", false, 0),
        ]
    } else {
        vec![variant(
            format!("gid://shopify/ProductVariant/{number}0"),
            "Default Title",
            available,
            quantity,
        )]
    };
    json!({ "node": {
        "id": format!("gid://shopify/Product/{number}"), "handle": format!("p{number}"), "title": title,
        "description": "", "featuredImage": { "url": format!("https://cdn.shopify.com/p{number}.jpg"), "altText": null },
        "variants": { "edges": variants } } })
}

/// The Storefront API: two products a page.
async fn storefront(
    State(shop): State<SharedShop>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let mut shop = shop.lock().unwrap();
    shop.calls += 1;
    if headers
        .get("x-shopify-storefront-access-token")
        .and_then(|v| v.to_str().ok())
        != Some(TOKEN)
    {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            Json(json!({ "errors": "Unauthorized" })),
        );
    }
    if shop.failing {
        return (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "errors": "internal" })),
        );
    }
    let variables = &body["variables"];
    if body["query"].as_str().is_some_and(|q| q.contains("cartCreate")) {
        shop.carts.push(variables["input"].clone());
        let answer = if shop.refuse_carts {
            json!({ "cart": null, "userErrors": [{ "field": ["input", "lines", "0"], "message": "Not enough stock", "code": "MERCHANDISE_NOT_ENOUGH_STOCK" }] })
        } else {
            let n = shop.carts.len();
            json!({ "cart": { "id": format!("gid://shopify/Cart/c{n}"), "checkoutUrl": format!("https://shop.example/cart/c/c{n}?key=k") }, "userErrors": [] })
        };
        return (
            axum::http::StatusCode::OK,
            Json(json!({ "data": { "cartCreate": answer } })),
        );
    }
    if variables["handle"] != HANDLE {
        return (
            axum::http::StatusCode::OK,
            Json(json!({ "data": { "collection": null } })),
        );
    }
    let from: usize = variables["after"].as_str().map_or(0, |cursor| cursor.parse().unwrap());
    let page: Vec<Value> = shop.products.iter().skip(from).take(2).map(node).collect();
    let next = from + page.len();
    let more = next < shop.products.len();
    (
        axum::http::StatusCode::OK,
        Json(
            json!({ "data": { "collection": { "id": "gid://shopify/Collection/1", "title": "Live sale",
            "products": { "edges": page, "pageInfo": { "hasNextPage": more, "endCursor": more.then(|| next.to_string()) } } } } }),
        ),
    )
}

async fn fake_shop() -> (String, SharedShop) {
    let shop = Arc::new(Mutex::new(Shop {
        products: vec![
            (101, "浴衣セット", "12800.0", true, 5),
            (102, "うちわ", "880.0", true, 40),
            (103, "線香花火", "550.0", false, 0),
            (104, "法被", "4800.0", true, 3),
        ],
        failing: false,
        calls: 0,
        carts: Vec::new(),
        refuse_carts: false,
    }));
    let app = Router::new()
        .route("/api/2025-01/graphql.json", post(storefront))
        .with_state(shop.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shop)
}

async fn catalog(app: &TestApp) -> Vec<(String, i64, i64)> {
    app.store
        .products_of_event("evt_demo")
        .await
        .unwrap()
        .into_iter()
        .map(|p| (p.id, p.price, p.stock))
        .collect()
}

async fn refresh(app: &TestApp, slug: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url(&format!("/api/admin/events/{slug}/catalog/refresh")));
    if let Some(token) = token {
        request = request.header("authorization", token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

/// The demo show selling the fake shop's collection, once the server has read it at start.
async fn shopify_show() -> (TestApp, SharedShop) {
    let (shop_url, shop) = fake_shop().await;
    let app = TestApp::spawn_configured(|config| {
        config.shopify_collections = format!("demo={HANDLE}");
        config.shopify_storefront_token = Some(Secret::new(TOKEN.into()));
        config.shopify_api_base = Some(shop_url.clone());
        config.shopify_webhook_secret = Some(Secret::new(WEBHOOK_SECRET.into()));
    })
    .await;
    // Read at start, both pages, in the collection's order; the demo's own products are gone.
    let expected = vec![
        ("shp_101".to_string(), 12800, 5),
        ("shp_102".to_string(), 880, 40),
        ("shp_103".to_string(), 550, 0),
        ("shp_104".to_string(), 4800, 3),
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while catalog(&app).await != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not read at start: {:?}",
            catalog(&app).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (app, shop)
}

/// A webhook from Shopify, signed as Shopify signs; its status.
async fn shopify_webhook(app: &TestApp, topic: &str, id: &str, body: &Value) -> u16 {
    shopify_webhook_at(app, "/webhooks/shopify", topic, id, body).await
}

/// The same, delivered to `path`.
async fn shopify_webhook_at(app: &TestApp, path: &str, topic: &str, id: &str, body: &Value) -> u16 {
    let body = body.to_string();
    app.client
        .post(app.url(path))
        .header(
            "x-shopify-hmac-sha256",
            STANDARD.encode(hmac_sha256(WEBHOOK_SECRET, body.as_bytes())),
        )
        .header("x-shopify-topic", topic)
        .header("x-shopify-webhook-id", id)
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_collection_is_the_shows_catalog_and_stays_current() {
    let (app, shop) = shopify_show().await;
    assert_eq!(shop.lock().unwrap().calls, 2, "one request per page");
    let first = app.store.product("shp_101").await.unwrap().unwrap();
    assert_eq!(first.image_url, "https://cdn.shopify.com/p101.jpg");
    assert_eq!((first.currency.as_str(), first.tax_rate_bp), ("JPY", 1000));

    let mut ws = app
        .subscribe(
            "p",
            "subscription($e: ID!) { onProductChanged(eventId: $e) { id soldOut price } }",
            json!({ "e": "evt_demo" }),
        )
        .await;

    // Shopify sells the yukata out and says so: the page hears it.
    shop.lock().unwrap().products[0].3 = false;
    let update = json!({ "id": 101, "title": "浴衣セット" });
    assert_eq!(
        shopify_webhook(&app, "products/update", "wh-catalog-1", &update).await,
        200
    );
    let data = ws.recv_data().await;
    assert_eq!(
        data["payload"]["data"]["onProductChanged"],
        json!({ "id": "shp_101", "soldOut": true, "price": 12800 })
    );

    // The operator's refresh: a new price, a product gone.
    {
        let mut shop = shop.lock().unwrap();
        shop.products[1].2 = "980.0";
        shop.products.pop();
    }
    assert_eq!(refresh(&app, "demo", None).await.0, 401);
    let (status, changes) = refresh(&app, "demo", Some(&app.operator_token)).await;
    assert_eq!(status, 200, "{changes}");
    assert_eq!(
        changes,
        json!({ "added": 0, "updated": 1, "removed": 1, "unchanged": 2 })
    );
    let data = ws.recv_data().await;
    assert_eq!(
        data["payload"]["data"]["onProductChanged"],
        json!({ "id": "shp_102", "soldOut": false, "price": 980 })
    );
    assert_eq!(refresh(&app, "demo-paid", Some(&app.operator_token)).await.0, 404);

    // The console says where the products come from and refreshes them too.
    let operator = app.operator_cookie().await;
    let console = app.console_html("demo", &operator).await;
    assert!(
        console.contains("Refresh from Shopify") && console.contains(HANDLE),
        "{console}"
    );
    assert!(
        !app.console_html("demo-paid", &operator)
            .await
            .contains("Refresh from Shopify")
    );
    let console_refresh = |cookie: Option<String>| {
        let mut request = app
            .client
            .post(app.url("/api/console/refresh_catalog"))
            .header("accept", "application/json")
            .form(&[("slug", "demo")]);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };
    let done = console_refresh(Some(operator.clone())).await.unwrap();
    assert_eq!(done.status(), 200);
    assert_eq!(
        done.json::<Value>().await.unwrap(),
        "Read from Shopify: 0 added, 0 updated, 0 removed, 3 unchanged."
    );
    assert!(
        !console_refresh(None).await.unwrap().status().is_success(),
        "only the operator refreshes"
    );

    // Shopify failing: 502 in our words, and the catalog stays as it was.
    shop.lock().unwrap().failing = true;
    let before = catalog(&app).await;
    let (status, error) = refresh(&app, "demo", Some(&app.operator_token)).await;
    assert_eq!(status, 502);
    assert_eq!(error["error"], "Shopify answered 500");
    assert!(!error.to_string().contains(TOKEN));
    assert_eq!(catalog(&app).await, before);
    ws.expect_silence(200).await;
}

/// Places an order as the viewer of `cookie` (a new viewer for ""): the status, the answer and the viewer's cookie.
async fn order(
    app: &TestApp,
    key: &str,
    cookie: &str,
    product: &str,
    quantity: i64,
    price: i64,
) -> (u16, Value, String) {
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", key)
        .header("cookie", cookie)
        .json(&json!({ "slug": "demo", "email": "buyer@example.com",
            "lines": [{ "productId": product, "quantity": quantity, "price": price }] }))
        .send()
        .await
        .unwrap();
    let set = cookie_header(&set_cookies(&response));
    let cookie = if set.is_empty() { cookie.to_string() } else { set };
    (response.status().as_u16(), response.json().await.unwrap(), cookie)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_show_checks_out_in_a_shopify_cart_and_is_paid_by_its_webhook() {
    let (app, shop) = shopify_show().await;
    // An order makes one cart naming the variants and our order; the buyer pays at its checkoutUrl.
    let (status, placed, buyer) = order(&app, "k1", "", "shp_102", 3, 880).await;
    assert_eq!(status, 201, "{placed}");
    assert_eq!(
        (placed["provider"].as_str(), placed["testMode"].as_bool()),
        (Some("shopify"), Some(false))
    );
    assert_eq!(placed["checkoutUrl"], "https://shop.example/cart/c/c1?key=k");
    let order_id = placed["orderId"].as_str().unwrap().to_string();
    assert_eq!(
        shop.lock().unwrap().carts,
        [json!({
            "lines": [{ "merchandiseId": "gid://shopify/ProductVariant/1020", "quantity": 3 }],
            "attributes": [{ "key": "caravan_order", "value": order_id }],
            "buyerIdentity": { "email": "buyer@example.com" },
        })]
    );
    // Shopify keeps the stock: ours is its availability, untouched.
    assert_eq!(app.store.product("shp_102").await.unwrap().unwrap().stock, 40);

    // A retried click: the same order and cart, no second cart.
    let (status, again, _) = order(&app, "k1", &buyer, "shp_102", 3, 880).await;
    assert_eq!((status, &again["checkoutUrl"]), (200, &placed["checkoutUrl"]));
    assert_eq!(shop.lock().unwrap().carts.len(), 1);

    // Sizes: the happi coat's are its variants; a cart line names the chosen size's Shopify variant.
    let sizes: Vec<_> = app
        .store
        .variants_of_product("shp_104")
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.id, v.title, v.stock))
        .collect();
    assert_eq!(
        sizes,
        [("shpv_1041".into(), "S".into(), 3), ("shpv_1042".into(), "M".into(), 0)]
    );
    let response = app
        .client
        .post(app.url("/api/orders"))
        .header("idempotency-key", "k-size")
        .header("cookie", &buyer)
        .json(&json!({ "slug": "demo",
            "lines": [{ "productId": "shp_104", "variantId": "shpv_1041", "quantity": 2, "price": 4800 }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(
        shop.lock().unwrap().carts[1]["lines"],
        json!([{ "merchandiseId": "gid://shopify/ProductVariant/1041", "quantity": 2 }])
    );

    // Unavailable at Shopify: refused here, before any cart.
    let (status, refused, _) = order(&app, "k2", &buyer, "shp_103", 1, 550).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("sold_out")));

    // Shopify's orders/paid names our order: it is paid, once, however often Shopify tells.
    let paid = json!({ "id": 5_550_001, "name": "#1001", "financial_status": "paid",
        "note_attributes": [{ "name": "caravan_order", "value": order_id }] });
    assert_eq!(shopify_webhook(&app, "orders/paid", "wh-paid-1", &paid).await, 200);
    assert_eq!(shopify_webhook(&app, "orders/paid", "wh-paid-1", &paid).await, 200);
    let shown: Value = app
        .client
        .get(app.url(&format!("/api/orders/{order_id}")))
        .header("cookie", &buyer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["state"], "paid");
    assert_eq!(shown["history"][1]["cause"], "shopify orders/paid (#1001)");
    // Shipped from Shopify: fulfilled.
    let mut shipped = paid.clone();
    shipped["fulfillment_status"] = json!("fulfilled");
    assert_eq!(
        shopify_webhook(&app, "orders/fulfilled", "wh-shipped-1", &shipped).await,
        200
    );
    let state = app.store.order(&order_id).await.unwrap().unwrap().state;
    assert_eq!(state.as_str(), "fulfilled");
    // A created-but-unpaid Shopify order (pending payment) does not count as paid.
    let pending = json!({ "name": "#1002", "financial_status": "pending",
        "note_attributes": [{ "name": "caravan_order", "value": "ord_other" }] });
    assert_eq!(
        shopify_webhook(&app, "orders/create", "wh-create-2", &pending).await,
        200
    );

    // The topic header is not signed. A captured orders/create of an unpaid order, replayed as orders/paid (under a
    // new id, or its own), pays nothing; at a topic's own address, another topic is refused.
    let (_, unpaid, _) = order(&app, "k-unpaid", &buyer, "shp_101", 1, 12800).await;
    let unpaid_id = unpaid["orderId"].as_str().unwrap().to_string();
    let created = json!({ "name": "#1003", "financial_status": "pending",
        "note_attributes": [{ "name": "caravan_order", "value": unpaid_id }] });
    assert_eq!(
        shopify_webhook(&app, "orders/create", "wh-create-3", &created).await,
        200
    );
    assert_eq!(shopify_webhook(&app, "orders/paid", "wh-create-3", &created).await, 200);
    assert_eq!(shopify_webhook(&app, "orders/paid", "wh-forged-3", &created).await, 200);
    assert_eq!(
        shopify_webhook_at(&app, "/webhooks/shopify/orders/create", "orders/paid", "wh-x", &created).await,
        400
    );
    let state = app.store.order(&unpaid_id).await.unwrap().unwrap().state;
    assert_eq!(state.as_str(), "created", "still unpaid");
    // A delivery seen before does nothing the second time, even under a topic it could act on.
    let really_paid = json!({ "name": "#1003", "financial_status": "paid",
        "note_attributes": [{ "name": "caravan_order", "value": unpaid_id }] });
    assert_eq!(
        shopify_webhook(&app, "orders/paid", "wh-create-3", &really_paid).await,
        200
    );
    assert_eq!(
        app.store.order(&unpaid_id).await.unwrap().unwrap().state.as_str(),
        "created"
    );
    // Its own delivery, at its own address: paid.
    assert_eq!(
        shopify_webhook_at(
            &app,
            "/webhooks/shopify/orders/paid",
            "orders/paid",
            "wh-paid-3",
            &really_paid
        )
        .await,
        200
    );
    assert_eq!(
        app.store.order(&unpaid_id).await.unwrap().unwrap().state.as_str(),
        "paid"
    );

    // Shopify refusing the cart: 502 in our words, the order failed, nothing charged.
    shop.lock().unwrap().refuse_carts = true;
    let (status, failed, _) = order(&app, "k3", &buyer, "shp_101", 1, 12800).await;
    assert_eq!(
        (status, failed["code"].as_str()),
        (502, Some("payment_unavailable")),
        "{failed}"
    );
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("MERCHANDISE_NOT_ENOUGH_STOCK")
    );
    assert_eq!(app.store.product("shp_101").await.unwrap().unwrap().stock, 5);
}
