//! The waiting room end to end: the operator arms it, orders without a token are refused, viewers take numbers in
//! order (a viewer keeps theirs), the counter moves by the operator's hand and then by itself (`max_size`), a served
//! viewer's token verifies with the published key and opens checkout for that viewer only, and disarming lets orders
//! through again. Mistakes get clear refusals.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::Jwk};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{TestApp, cookie_header, set_cookies};

/// One viewer: their own client and cookie (got on first contact).
struct Viewer<'a> {
    app: &'a TestApp,
    cookie: String,
}

impl<'a> Viewer<'a> {
    async fn new(app: &'a TestApp) -> Self {
        let response = app
            .client
            .post(app.url("/api/playback/demo"))
            .json(&json!({ "acceptTerms": true }))
            .send()
            .await
            .unwrap();
        Self {
            app,
            cookie: cookie_header(&set_cookies(&response)),
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>, token: Option<&str>) -> (u16, Value) {
        let mut request = self
            .app
            .client
            .request(method, self.app.url(path))
            .header("cookie", &self.cookie);
        if let Some(body) = body {
            request = request.json(&body);
        }
        if let Some(token) = token {
            request = request.header("x-waiting-room-token", token);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn take_number(&self) -> (String, i64) {
        let (status, body) = self
            .call(
                Method::POST,
                "/waiting-room/assign_queue_num",
                Some(json!({ "event_id": "evt_demo" })),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["api_request_id"].as_str().unwrap().to_owned(),
            body["queue_number"].as_i64().unwrap(),
        )
    }

    async fn token(&self, request_id: &str) -> (u16, Value) {
        let body = json!({ "event_id": "evt_demo", "request_id": request_id });
        self.call(Method::POST, "/waiting-room/generate_token", Some(body), None)
            .await
    }

    async fn order(&self, key: &str, token: Option<&str>) -> (u16, Value) {
        let product = self
            .app
            .store
            .products_of_event("evt_demo")
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.stock >= 5)
            .unwrap();
        let body =
            json!({ "slug": "demo", "lines": [{ "productId": product.id, "quantity": 1, "price": product.price }] });
        let mut request = self
            .app
            .client
            .post(self.app.url("/api/orders"))
            .header("cookie", &self.cookie)
            .header("idempotency-key", key)
            .json(&body);
        if let Some(token) = token {
            request = request.header("x-waiting-room-token", token);
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
    }

    async fn status(&self, request_id: &str) -> String {
        let path = format!("/waiting-room/queue_num?event_id=evt_demo&request_id={request_id}");
        let (status, body) = self.call(Method::GET, &path, None, None).await;
        assert_eq!(status, 200, "{body}");
        body["status"].as_str().unwrap().to_owned()
    }
}

async fn operator(app: &TestApp, method: Method, path: &str, body: Value) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .header("authorization", &app.operator_token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn counts(app: &TestApp) -> (i64, i64) {
    let serving: Value = app
        .get("/waiting-room/serving_num?event_id=evt_demo")
        .await
        .json()
        .await
        .unwrap();
    let waiting: Value = app
        .get("/waiting-room/waiting_num?event_id=evt_demo")
        .await
        .json()
        .await
        .unwrap();
    (
        serving["serving_counter"].as_i64().unwrap(),
        waiting["waiting_num"].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rush_waits_its_turn_and_checks_out_with_its_own_token() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (Viewer::new(&app).await, Viewer::new(&app).await);
    let (status, body) = alice
        .call(
            Method::POST,
            "/waiting-room/assign_queue_num",
            Some(json!({ "event_id": "evt_demo" })),
            None,
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("not_armed")),
        "no room yet: {body}"
    );
    assert_eq!(alice.order("before", None).await.0, 201, "orders go straight through");

    let (status, room) = operator(
        &app,
        Method::PUT,
        "/api/admin/waiting-room/evt_demo",
        json!({ "armed": true }),
    )
    .await;
    assert_eq!(status, 200, "{room}");
    assert_eq!(
        (room["armed"].as_bool(), room["inlet"].as_str()),
        (Some(true), Some("manual"))
    );

    let (status, refused) = alice.order("no-token", None).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("waiting_room")),
        "{refused}"
    );
    assert!(refused["error"].as_str().unwrap().contains("waiting room"));

    let (alice_place, alice_number) = alice.take_number().await;
    let (bob_place, bob_number) = bob.take_number().await;
    assert_eq!((alice_number, bob_number), (1, 2));
    assert_eq!(
        alice.take_number().await,
        (alice_place.clone(), 1),
        "a viewer keeps their place"
    );
    assert_eq!(counts(&app).await, (0, 2));
    assert_eq!(alice.status(&alice_place).await, "waiting");
    let (status, not_yet) = alice.token(&alice_place).await;
    assert_eq!((status, not_yet["code"].as_str()), (202, Some("not_yet")));
    let path = format!("/waiting-room/queue_pos_expiry?event_id=evt_demo&request_id={alice_place}");
    assert_eq!(
        alice.call(Method::GET, &path, None, None).await,
        (200, json!({ "expires_in": 900 }))
    );
    // A place is its viewer's: another viewer asking with its id learns nothing.
    assert_eq!(bob.token(&alice_place).await.0, 404);
    assert_eq!(bob.call(Method::GET, &path, None, None).await.0, 404);

    let (status, moved) = operator(
        &app,
        Method::POST,
        "/api/admin/waiting-room/evt_demo/increment_serving_counter",
        json!({ "increment_by": 1 }),
    )
    .await;
    assert_eq!((status, moved), (200, json!({ "serving_num": 1 })));
    assert_eq!(counts(&app).await, (1, 1));
    assert_eq!(alice.status(&alice_place).await, "served");
    let (status, tokens) = alice.token(&alice_place).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(
        (3590..=3600).contains(&tokens["expires_in"].as_i64().unwrap()),
        "{tokens}"
    );
    assert_eq!(
        alice.token(&alice_place).await.1["access_token"],
        tokens["access_token"],
        "asked again: the same"
    );
    assert_eq!(bob.token(&bob_place).await.0, 202);

    // The token verifies with the published key, for this show, with the AWS solution's claims.
    let jwk: Value = app
        .get("/waiting-room/public_key?event_id=evt_demo")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!((jwk["kty"].as_str(), jwk["alg"].as_str()), (Some("RSA"), Some("RS256")));
    let key = DecodingKey::from_jwk(&serde_json::from_value::<Jwk>(jwk).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&["evt_demo"]);
    let access = tokens["access_token"].as_str().unwrap();
    let claims = jsonwebtoken::decode::<Value>(access, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], alice_place.as_str());
    assert_eq!(
        (claims["queue_position"].as_i64(), claims["token_use"].as_str()),
        (Some(1), Some("access"))
    );
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);

    // Only its viewer checks out with it; a forged or mangled one is refused.
    assert_eq!(bob.order("bob-with-alices", Some(access)).await.0, 403);
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(
        alice.order("id-token", Some(id_token)).await.0,
        403,
        "the access token, not the id token"
    );
    assert_eq!(alice.order("mangled", Some(&access.replace('.', "x"))).await.0, 403);
    let (status, order) = alice.order("with-token", Some(access)).await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(alice.status(&alice_place).await, "completed");

    // The room lets one shopper in at a time by itself now: Alice is done, so Bob goes in.
    let (status, room) = operator(
        &app,
        Method::PUT,
        "/api/admin/waiting-room/evt_demo",
        json!({ "armed": true, "inlet": "max_size", "inlet_size": 1 }),
    )
    .await;
    assert_eq!((status, room["active_tokens"].as_i64()), (200, Some(0)), "{room}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let bob_tokens = loop {
        let (status, body) = bob.token(&bob_place).await;
        if status == 200 {
            break body;
        }
        assert!(Instant::now() < deadline, "Bob was never let in: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (carol, dave) = (Viewer::new(&app).await, Viewer::new(&app).await);
    let (carol_place, _) = carol.take_number().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        carol.token(&carol_place).await.0,
        202,
        "Bob holds the one place in checkout"
    );
    // Dave leaves the queue; Bob buys; Carol goes in.
    let (dave_place, _) = dave.take_number().await;
    let leave = json!({ "event_id": "evt_demo", "request_id": dave_place, "status": -1 });
    assert_eq!(
        dave.call(Method::POST, "/waiting-room/update_session", Some(leave), None)
            .await
            .0,
        200
    );
    assert_eq!(dave.status(&dave_place).await, "abandoned");
    assert_eq!(bob.order("bob", bob_tokens["access_token"].as_str()).await.0, 201);
    let deadline = Instant::now() + Duration::from_secs(15);
    while carol.token(&carol_place).await.0 != 200 {
        assert!(Instant::now() < deadline, "Carol was never let in");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Disarmed: orders go straight through again.
    let (status, _) = operator(
        &app,
        Method::PUT,
        "/api/admin/waiting-room/evt_demo",
        json!({ "armed": false }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(dave.order("after", None).await.0, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_are_refused_clearly() {
    let app = TestApp::spawn().await;
    let viewer = Viewer::new(&app).await;
    let room = "/api/admin/waiting-room/evt_demo";
    // The operator's endpoints are the operator's.
    assert_eq!(
        viewer
            .call(Method::PUT, room, Some(json!({ "armed": true })), None)
            .await
            .0,
        401
    );
    assert_eq!(viewer.call(Method::GET, room, None, None).await.0, 401);
    for (body, status) in [
        (json!({ "armed": true, "inlet": "max_size" }), 400),
        (json!({ "armed": true, "inlet": "per_minute", "inlet_size": -1 }), 400),
        (json!({ "armed": true, "inlet": "sometimes", "inlet_size": 5 }), 400),
        (json!({ "armed": "yes" }), 400),
        (json!({ "armed": true, "extra": 1 }), 400),
    ] {
        let (got, error) = operator(&app, Method::PUT, room, body.clone()).await;
        assert_eq!(got, status, "{body} → {error}");
        assert!(error["error"].is_string(), "{error}");
    }
    assert_eq!(
        operator(
            &app,
            Method::PUT,
            "/api/admin/waiting-room/evt_nope",
            json!({ "armed": true })
        )
        .await
        .0,
        404
    );
    assert_eq!(operator(&app, Method::GET, room, json!({})).await.0, 404, "no room yet");
    let increment = "/api/admin/waiting-room/evt_demo/increment_serving_counter";
    assert_eq!(
        operator(&app, Method::POST, increment, json!({ "increment_by": 1 }))
            .await
            .0,
        404
    );
    operator(&app, Method::PUT, room, json!({ "armed": true })).await;
    assert_eq!(
        operator(&app, Method::POST, increment, json!({ "increment_by": "1" }))
            .await
            .0,
        400
    );
    assert_eq!(
        operator(&app, Method::POST, increment, json!({ "increment_by": 1_000_000_000 }))
            .await
            .0,
        400
    );
    assert_eq!(
        operator(&app, Method::POST, increment, json!({ "increment_by": -5 })).await,
        (200, json!({ "serving_num": 0 })),
        "never under 0"
    );

    // The viewers' endpoints.
    let assign = "/waiting-room/assign_queue_num";
    assert_eq!(
        viewer
            .call(Method::POST, assign, Some(json!({ "event": "evt_demo" })), None)
            .await
            .0,
        400
    );
    assert_eq!(
        viewer
            .call(Method::POST, assign, Some(json!({ "event_id": "evt_nope" })), None)
            .await
            .0,
        409
    );
    let unknown = json!({ "event_id": "evt_demo", "request_id": "nope", "status": -1 });
    assert_eq!(viewer.token("nope").await.0, 404);
    assert_eq!(
        viewer
            .call(Method::POST, "/waiting-room/update_session", Some(unknown), None)
            .await
            .0,
        404
    );
    let (place, _) = viewer.take_number().await;
    let completing = json!({ "event_id": "evt_demo", "request_id": place, "status": 1 });
    let (status, error) = viewer
        .call(Method::POST, "/waiting-room/update_session", Some(completing), None)
        .await;
    assert_eq!(status, 400, "a place is completed by its order: {error}");
    assert_eq!(
        app.get("/waiting-room/serving_num?event_id=evt_nope").await.status(),
        404
    );
    let missing = app.get("/waiting-room/queue_num?event_id=evt_demo").await;
    assert_eq!(missing.status(), 400);
    let error: Value = missing.json().await.unwrap();
    assert!(error["error"].as_str().unwrap().contains("request_id"), "{error}");
    let (status, error) = viewer.order("forged", Some("eyJhbGciOiJub25lIn0.e30.")).await;
    assert_eq!((status, error["code"].as_str()), (403, Some("waiting_room")));

    // Reset: no places, counters at 0.
    let (status, reset) = operator(&app, Method::POST, "/api/admin/waiting-room/evt_demo/reset", json!({})).await;
    assert_eq!(
        (status, reset["last_number"].as_i64(), reset["waiting_num"].as_i64()),
        (200, Some(0), Some(0))
    );
}
