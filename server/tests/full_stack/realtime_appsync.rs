//! AWS AppSync's real-time protocol on /graphql/realtime, message by message, over real WebSockets.

use std::time::Duration;

use crate::support::{
    TestApp,
    ws::{ON_PICKUP, Ws, header_protocol, start},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use caravan_server::{
    auth::Caller,
    realtime::SubscriptionSpec,
    store::{EventRecord, ProductRecord},
};
use serde_json::{Value, json};

fn viewer(app: &TestApp) -> Value {
    json!({ "host": app.addr.to_string(), "x-api-key": app.api_key })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_with_the_header_subprotocol_and_receives_changes() {
    let app = TestApp::spawn().await;
    let mut ws = Ws::connect(&app.ws_url(), &["graphql-ws", &header_protocol(&viewer(&app))], &[]).await;
    assert_eq!(
        ws.protocol.as_deref(),
        Some("graphql-ws"),
        "the server answers with graphql-ws"
    );
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(
        ws.recv().await,
        json!({ "type": "connection_ack", "payload": { "connectionTimeoutMs": 300000 } })
    );

    ws.send(start("sub-1", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    assert_eq!(ws.recv_data().await, json!({ "type": "start_ack", "id": "sub-1" }));

    app.set_pickup("evt_demo", Some("prd_demo_03"), true).await;
    let data = ws.recv_data().await;
    assert_eq!(
        data,
        json!({ "type": "data", "id": "sub-1", "payload": { "data": { "onPickupChanged": {
            "eventId": "evt_demo", "productId": "prd_demo_03", "visible": true,
            "product": { "title": "抹茶ラテセット", "price": 1944 }
        } } } })
    );

    ws.send(json!({ "type": "stop", "id": "sub-1" })).await;
    assert_eq!(ws.recv_data().await, json!({ "type": "complete", "id": "sub-1" }));
    app.set_pickup("evt_demo", None, false).await;
    ws.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_query_string_and_the_upgrade_headers_authorize_too() {
    let app = TestApp::spawn().await;
    let header = STANDARD.encode(viewer(&app).to_string());
    let url = format!("{}?header={header}&payload=e30=", app.ws_url());
    let mut ws = Ws::connect(&url, &["graphql-ws"], &[]).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");

    let mut ws = Ws::connect(&app.ws_url(), &["graphql-ws"], &[("x-api-key", &app.api_key)]).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");

    let mut ws = Ws::connect(
        &app.ws_url(),
        &["graphql-ws"],
        &[("authorization", &app.operator_token)],
    )
    .await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_gets_connection_error_and_is_closed() {
    let app = TestApp::spawn().await;
    let wrong = json!({ "host": app.addr.to_string(), "x-api-key": "da2-wrong" });
    for protocols in [
        vec!["graphql-ws".to_owned(), header_protocol(&wrong)],
        vec!["graphql-ws".to_owned()],
    ] {
        let protocols: Vec<&str> = protocols.iter().map(String::as_str).collect();
        let mut ws = Ws::connect(&app.ws_url(), &protocols, &[]).await;
        ws.send(json!({ "type": "connection_init" })).await;
        let refused = ws.recv().await;
        assert_eq!(refused["type"], "connection_error", "{refused}");
        assert_eq!(refused["payload"]["errors"][0]["errorType"], "UnauthorizedException");
        assert_eq!(refused["payload"]["errors"][0]["errorCode"], 401);
        ws.closed().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_start_carries_its_own_authorization() {
    let app = TestApp::spawn().await;
    let mut ws = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    let data = json!({ "query": ON_PICKUP, "variables": { "e": "evt_demo" } }).to_string();
    ws.send(json!({ "id": "1", "type": "start", "payload": { "data": data } }))
        .await;
    let refused = ws.recv_data().await;
    assert_eq!(
        (refused["type"].as_str(), refused["id"].as_str()),
        (Some("error"), Some("1"))
    );
    assert_eq!(refused["payload"]["errors"][0]["errorType"], "UnauthorizedException");

    ws.send(start(
        "1",
        ON_PICKUP,
        json!({ "e": "evt_demo" }),
        json!({ "x-api-key": "da2-wrong" }),
    ))
    .await;
    assert_eq!(
        ws.recv_data().await["payload"]["errors"][0]["errorType"],
        "UnauthorizedException"
    );

    let operator = json!({ "Authorization": app.operator_token, "host": app.addr.to_string() });
    ws.send(start("1", ON_PICKUP, json!({ "e": "evt_demo" }), operator))
        .await;
    assert_eq!(ws.recv_data().await, json!({ "type": "start_ack", "id": "1" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_are_answered_as_appsync_does_and_the_socket_survives() {
    let app = TestApp::spawn().await;
    let mut ws = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    let auth = viewer(&app);

    let error_type = |message: &Value| message["payload"]["errors"][0]["errorType"].as_str().map(str::to_owned);

    ws.send_text("{not json".into()).await;
    let answer = ws.recv_data().await;
    assert_eq!(
        (answer["type"].as_str(), error_type(&answer).as_deref()),
        (Some("error"), Some("BadRequestException"))
    );

    ws.send(json!({ "type": "bogus", "id": "x" })).await;
    let answer = ws.recv_data().await;
    assert_eq!(error_type(&answer).as_deref(), Some("UnsupportedOperation"));
    assert_eq!(answer["id"], "x");

    ws.send(start("q", "{ liveEvents { id } }", json!({}), auth.clone()))
        .await;
    assert_eq!(
        error_type(&ws.recv_data().await).as_deref(),
        Some("UnsupportedOperation")
    );

    ws.send(start("v", "subscription { onNothing { id } }", json!({}), auth.clone()))
        .await;
    let answer = ws.recv_data().await;
    assert_eq!(
        (answer["type"].as_str(), answer["id"].as_str()),
        (Some("error"), Some("v"))
    );
    assert!(
        answer["payload"]["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("onNothing"),
        "{answer}"
    );

    ws.send(json!({ "id": "d", "type": "start", "payload": { "data": { "query": ON_PICKUP } } }))
        .await;
    assert_eq!(
        error_type(&ws.recv_data().await).as_deref(),
        Some("BadRequestException"),
        "data must be a string"
    );

    let oversized = json!({ "id": "big", "type": "start", "payload": { "data": "x".repeat(250 * 1024) } });
    ws.send(oversized).await;
    assert_eq!(error_type(&ws.recv_data().await).as_deref(), Some("LimitExceededError"));

    ws.send(start("1", ON_PICKUP, json!({ "e": "evt_demo" }), auth.clone()))
        .await;
    assert_eq!(ws.recv_data().await["type"], "start_ack");
    ws.send(start("1", ON_PICKUP, json!({ "e": "evt_demo" }), auth)).await;
    let answer = ws.recv_data().await;
    assert_eq!(
        (error_type(&answer).as_deref(), answer["id"].as_str()),
        (Some("DuplicatedOperationError"), Some("1"))
    );

    app.set_pickup("evt_demo", Some("prd_demo_01"), true).await;
    let data = ws.recv_data().await;
    assert_eq!(
        (data["type"].as_str(), data["id"].as_str()),
        (Some("data"), Some("1")),
        "still subscribed: {data}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_holds_at_most_100_subscriptions() {
    let app = TestApp::spawn().await;
    let mut ws = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    for i in 0..100 {
        ws.send(start(
            &i.to_string(),
            ON_PICKUP,
            json!({ "e": "evt_demo" }),
            viewer(&app),
        ))
        .await;
        assert_eq!(ws.recv_data().await["type"], "start_ack");
    }
    ws.send(start("100", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    let answer = ws.recv_data().await;
    assert_eq!(
        answer["payload"]["errors"][0]["errorType"], "LimitExceededError",
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_hears_only_its_own_event() {
    let app = TestApp::spawn().await;
    let other = EventRecord::new("evt_other", "other", "Other show", chrono::Utc::now());
    let product = ProductRecord {
        id: "prd_other".into(),
        event_id: "evt_other".into(),
        position: 0,
        title: "別の商品".into(),
        title_en: None,
        description: None,
        image_url: "/demo/product-01.svg".into(),
        price: 1100,
        currency: "JPY".into(),
        tax_rate_bp: 1000,
        stock: 5,
    };
    app.store.create_event(&other, &[product]).await.unwrap();

    let mut ws = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    ws.send(start("demo", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    assert_eq!(ws.recv_data().await["type"], "start_ack");
    ws.send(start("other", ON_PICKUP, json!({ "e": "evt_other" }), viewer(&app)))
        .await;
    assert_eq!(ws.recv_data().await["type"], "start_ack");

    app.set_pickup("evt_other", Some("prd_other"), true).await;
    let data = ws.recv_data().await;
    assert_eq!(data["id"], "other");
    assert_eq!(
        data["payload"]["data"]["onPickupChanged"]["product"]["title"],
        "別の商品"
    );
    ws.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_before_the_ack_are_ignored_and_keepalives_follow_it() {
    let app = TestApp::spawn_configured(|config| config.realtime_keepalive_ms = 200).await;
    let mut ws = Ws::connect(&app.ws_url(), &["graphql-ws", &header_protocol(&viewer(&app))], &[]).await;
    ws.send(start("early", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    ws.expect_silence(500).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.recv().await["type"], "connection_ack");
    let started = std::time::Instant::now();
    assert_eq!(ws.recv().await, json!({ "type": "ka" }));
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_but_a_subscribed_one_is_not() {
    let app = TestApp::spawn_configured(|config| {
        config.realtime_connection_timeout_ms = 400;
        config.realtime_keepalive_ms = 100;
    })
    .await;
    let mut idle = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    let mut busy = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    busy.send(start("1", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    assert_eq!(busy.recv_data().await["type"], "start_ack");

    let frame = idle.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1000);
    busy.expect_silence(1000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_does_not_delay_the_others() {
    let app = TestApp::spawn().await;
    // A subscriber whose deliveries nobody reads: its queue fills and it is told to go.
    let stuck = app.hub.connect();
    let spec = SubscriptionSpec {
        query: ON_PICKUP.into(),
        operation_name: None,
        variables: json!({ "e": "evt_demo" }).as_object().unwrap().clone(),
        caller: Caller::Viewer,
        filter: json!({ "eventId": "evt_demo" }).as_object().unwrap().clone(),
        mutations: vec!["setPickup".into()],
    };
    app.hub.subscribe(stuck.id, "stuck".into(), spec).unwrap();

    let mut ws = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    ws.send(start("1", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    assert_eq!(ws.recv_data().await["type"], "start_ack");

    let changes = caravan_server::realtime::CONNECTION_QUEUE + 20;
    for i in 0..changes {
        app.set_pickup("evt_demo", Some(&format!("prd_demo_{:02}", i % 12 + 1)), true)
            .await;
    }
    for i in 0..changes {
        let data = ws.recv_data().await;
        let expected = format!("prd_demo_{:02}", i % 12 + 1);
        assert_eq!(
            data["payload"]["data"]["onPickupChanged"]["productId"],
            expected.as_str()
        );
    }
    tokio::time::timeout(Duration::from_secs(5), stuck.overflow.notified())
        .await
        .expect("the stuck one is told to go");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_closes_connections_as_going_away() {
    let app = TestApp::spawn().await;
    let mut ws = Ws::appsync(&app.ws_url(), &viewer(&app)).await;
    ws.send(start("1", ON_PICKUP, json!({ "e": "evt_demo" }), viewer(&app)))
        .await;
    assert_eq!(ws.recv_data().await["type"], "start_ack");
    let (result, _dir) = app.shut_down().await;
    result.expect("clean shutdown");
    let frame = ws.closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1001);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_that_never_says_connection_init_is_closed_after_10_s() {
    let app = TestApp::spawn().await;
    let auth = crate::support::ws::header_protocol(&viewer(&app));
    let mut silent = Ws::connect(&app.ws_url(), &["graphql-ws", &auth], &[]).await;
    let opened = std::time::Instant::now();
    // (The idle timeout after an acknowledgement is 300 s: only the missing connection_init closes it this soon.)
    let frame = silent.closed_within(Duration::from_secs(12)).await;
    let waited = opened.elapsed();
    let frame = frame.expect("a close frame");
    assert_eq!(frame.reason.as_str(), "connection_init timeout");
    assert!(
        (Duration::from_millis(9_500)..Duration::from_secs(11)).contains(&waited),
        "{waited:?}"
    );
}
