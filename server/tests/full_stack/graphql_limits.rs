//! What one GraphQL request may cost, tried as an attacker would with only the public API key, on every entry point:
//! a kilobyte of document whose fragments double at each step (2²⁹ fields), thousands of aliases, a huge body, a
//! flood of errors. Each is refused with a clear error, and the server goes on answering.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{
    TestApp,
    ws::{Ws, start},
};

/// Fragments that each spread the one before twice: 2ⁿ fields, about a kilobyte for n = 29.
fn doubling(n: usize) -> String {
    let mut query = format!("query {{ likes(eventId: \"evt_demo\") {{ ...F{n} }} }} fragment F0 on Likes {{ total }}");
    for i in 1..=n {
        query += &format!(" fragment F{i} on Likes{{...F{} ...F{}}}", i - 1, i - 1);
    }
    query
}

/// Thousands of aliases of one database-backed field.
fn aliases(n: usize) -> String {
    let fields: String = (0..n)
        .map(|i| format!("a{i}: likes(eventId: \"evt_demo\") {{ total }} "))
        .collect();
    format!("{{ {fields}}}")
}

fn error_type(answer: &Value) -> Option<&str> {
    answer["errors"][0]["errorType"].as_str()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_documents_are_refused_on_post_and_the_server_keeps_answering() {
    let app = TestApp::spawn().await;
    let exponential = doubling(29);
    assert!(exponential.len() < 1200, "{} bytes", exponential.len());

    for query in [
        exponential,
        aliases(5_000),
        format!("{{ {} }}", "__schema { types { name } } ".repeat(2_000)),
    ] {
        let (status, answer) = app
            .graphql_with(&[("x-api-key", &app.api_key)], &query, json!({}))
            .await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(error_type(&answer), Some("QueryTooLarge"), "{answer}");
        assert!(
            answer["errors"][0]["message"].as_str().unwrap().contains("fields"),
            "{answer}"
        );
        assert!(answer.get("data").is_none_or(Value::is_null), "nothing ran: {answer}");
    }
    assert_eq!(app.get("/healthz").await.status(), 200);

    // An honest query still runs.
    let answer = app
        .graphql("query { likes(eventId: \"evt_demo\") { total } }", json!({}))
        .await;
    assert!(answer["data"]["likes"]["total"].is_number(), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_document_is_refused_over_both_real_time_protocols() {
    let app = TestApp::spawn().await;
    let subscription = doubling(29).replacen(
        "query { likes(eventId: \"evt_demo\") { ...F29 } }",
        "subscription { onLikeCount(eventId: \"evt_demo\") { ...F29 } }",
        1,
    );

    // AppSync's start.
    let mut ws = Ws::appsync(&app.ws_url(), &app.viewer_auth()).await;
    ws.send(start("big", &subscription, json!({}), app.viewer_auth())).await;
    let refused = ws.recv_data().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["errorType"], "QueryTooLarge",
        "{refused}"
    );

    // graphql-transport-ws's subscribe.
    let mut ws = Ws::connect(&app.ws_url(), &["graphql-transport-ws"], &[]).await;
    ws.send(json!({ "type": "connection_init", "payload": { "x-api-key": app.api_key } }))
        .await;
    assert_eq!(ws.recv().await, json!({ "type": "connection_ack" }));
    ws.send(json!({ "id": "big", "type": "subscribe", "payload": { "query": subscription } }))
        .await;
    let refused = ws.recv().await;
    assert_eq!(
        (refused["id"].as_str(), refused["type"].as_str()),
        (Some("big"), Some("error")),
        "{refused}"
    );
    assert!(
        refused["payload"][0]["message"].as_str().unwrap().contains("fields"),
        "{refused}"
    );
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_are_capped_and_a_body_over_the_cap_is_413() {
    let app = TestApp::spawn().await;
    // Fifty unknown fields: fifty validation errors, of which the answer carries twenty.
    let unknown: String = (0..50).map(|i| format!("nope{i} ")).collect();
    let (status, answer) = app
        .graphql_with(&[("x-api-key", &app.api_key)], &format!("{{ {unknown}}}"), json!({}))
        .await;
    assert_eq!(status, 200);
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 20, "{answer}");
    assert_eq!(errors[19]["errorType"], "TooManyErrors");

    // The server answers before reading the whole body and closes that connection: a client of its own.
    let huge = json!({ "query": format!("{{ likes(eventId: \"{}\") {{ total }} }}", "x".repeat(300 * 1024)) });
    let response = reqwest::Client::new()
        .post(app.url("/graphql"))
        .header("x-api-key", &app.api_key)
        .json(&huge)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let answer: Value = response.json().await.expect("a JSON error");
    assert_eq!(error_type(&answer), Some("PayloadTooLarge"), "{answer}");
}

/// An operation of the app as build.rs sends it: the document, then the fragments it uses (GraphQL refuses unused
/// ones).
fn app_operation(name: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../graphql");
    let operation = std::fs::read_to_string(root.join("operations").join(name)).unwrap();
    let fragments = std::fs::read_to_string(root.join("fragments.graphql")).unwrap();
    let used: String = fragments
        .split("fragment ")
        .skip(1)
        .filter(|f| operation.contains(&format!("...{}", f.split_whitespace().next().unwrap_or_default())))
        .map(|f| format!("fragment {f}"))
        .collect();
    format!("{operation}\n{used}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_cost_what_they_may_hold_and_the_pages_own_query_fits() {
    let app = TestApp::spawn().await;
    // Everything of every live show: each show's products with their variants, and a full feed page.
    let everything =
        "{ liveEvents { products { id variants { id } } feed(limit: 50) { id text } pickup { visible } } }";
    let (status, answer) = app
        .graphql_with(&[("x-api-key", &app.api_key)], everything, json!({}))
        .await;
    assert_eq!(status, 200);
    assert!(answer["data"].is_null(), "{answer}");
    let message = answer["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("too complex"), "{answer}");

    // The live page's own query (its fragments too: the pick-up's product is the product's fields) runs, as does
    // one show's products alone.
    let page = app
        .graphql(&app_operation("live_event.graphql"), json!({ "slug": "demo" }))
        .await;
    assert!(page["errors"].is_null(), "{page}");
    assert_eq!(page["data"]["event"]["slug"], "demo");
    let products = app
        .graphql(
            "query($e: ID!) { products(eventId: $e) { id variants { id title } } }",
            json!({ "e": "evt_demo" }),
        )
        .await;
    assert!(products["errors"].is_null(), "{products}");
}
