//! graphql-transport-ws (the npm `graphql-ws` protocol) on /graphql/realtime, for ordinary GraphQL tools.

use crate::support::{
    TestApp,
    ws::{ON_PICKUP, Ws},
};
use serde_json::json;

async fn connect(app: &TestApp) -> Ws {
    let ws = Ws::connect(&app.ws_url(), &["graphql-transport-ws"], &[]).await;
    assert_eq!(ws.protocol.as_deref(), Some("graphql-transport-ws"));
    ws
}

async fn init(app: &TestApp) -> Ws {
    let mut ws = connect(app).await;
    ws.send(json!({ "type": "connection_init", "payload": { "x-api-key": app.api_key } }))
        .await;
    assert_eq!(ws.recv().await, json!({ "type": "connection_ack" }));
    ws
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribes_receives_and_completes() {
    let app = TestApp::spawn().await;
    let mut ws = init(&app).await;
    ws.send(
        json!({ "id": "a", "type": "subscribe", "payload": { "query": ON_PICKUP, "variables": { "e": "evt_demo" } } }),
    )
    .await;
    ws.send(json!({ "type": "ping" })).await;
    assert_eq!(
        ws.recv().await,
        json!({ "type": "pong" }),
        "subscribed, and the socket answers pings"
    );

    app.set_pickup("evt_demo", Some("prd_demo_09"), true).await;
    let next = ws.recv().await;
    assert_eq!((next["id"].as_str(), next["type"].as_str()), (Some("a"), Some("next")));
    assert_eq!(
        next["payload"]["data"]["onPickupChanged"]["product"]["title"],
        "北海道ミルクキャラメル"
    );

    ws.send(json!({ "id": "a", "type": "complete" })).await;
    app.set_pickup("evt_demo", None, false).await;
    ws.expect_silence(300).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_run_once_over_the_socket() {
    let app = TestApp::spawn().await;
    let mut ws = init(&app).await;
    ws.send(json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ event(slug: \"demo\") { title } }" } }))
        .await;
    assert_eq!(
        ws.recv().await,
        json!({ "id": "q", "type": "next", "payload": { "data": { "event": { "title": "Caravan Live Demo" } } } })
    );
    assert_eq!(ws.recv().await, json!({ "id": "q", "type": "complete" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_subscription_gets_an_error_message() {
    let app = TestApp::spawn().await;
    let mut ws = init(&app).await;
    ws.send(json!({ "id": "bad", "type": "subscribe", "payload": { "query": "subscription { nope }" } }))
        .await;
    let error = ws.recv().await;
    assert_eq!(
        (error["id"].as_str(), error["type"].as_str()),
        (Some("bad"), Some("error"))
    );
    assert!(error["payload"][0]["message"].as_str().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_violations_close_with_the_protocols_codes() {
    let app = TestApp::spawn().await;
    let code = |frame: Option<tokio_tungstenite::tungstenite::protocol::CloseFrame>| {
        u16::from(frame.expect("a close frame").code)
    };

    let mut ws = connect(&app).await;
    ws.send(json!({ "id": "a", "type": "subscribe", "payload": { "query": ON_PICKUP } }))
        .await;
    assert_eq!(code(ws.closed().await), 4401, "subscribe before connection_init");

    let mut ws = connect(&app).await;
    ws.send(json!({ "type": "connection_init", "payload": { "x-api-key": "da2-wrong" } }))
        .await;
    assert_eq!(code(ws.closed().await), 4403, "wrong credentials");

    let mut ws = init(&app).await;
    ws.send(json!({ "type": "connection_init", "payload": { "x-api-key": app.api_key } }))
        .await;
    assert_eq!(code(ws.closed().await), 4429, "a second connection_init");

    let mut ws = init(&app).await;
    let subscribe =
        json!({ "id": "a", "type": "subscribe", "payload": { "query": ON_PICKUP, "variables": { "e": "evt_demo" } } });
    ws.send(subscribe.clone()).await;
    ws.send(subscribe).await;
    assert_eq!(code(ws.closed().await), 4409, "a duplicate id");

    let mut ws = init(&app).await;
    ws.send_text("not json".into()).await;
    assert_eq!(code(ws.closed().await), 4400, "an invalid message");
}
