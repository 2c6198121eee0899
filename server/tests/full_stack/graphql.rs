use crate::support::TestApp;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_an_event_and_its_products() {
    let app = TestApp::spawn().await;
    let body = app
        .graphql(
            "query($slug: String!) { event(slug: $slug) { id slug title status startsAt products { title price currency taxRateBasisPoints soldOut } } }",
            json!({ "slug": "demo" }),
        )
        .await;
    let event = &body["data"]["event"];
    assert_eq!(event["slug"], "demo");
    assert_eq!(event["status"], "LIVE");
    let starts_at = event["startsAt"].as_str().unwrap();
    assert!(
        starts_at.ends_with('Z') && starts_at.contains('T'),
        "AWSDateTime: {starts_at}"
    );
    let products = event["products"].as_array().unwrap();
    assert_eq!(products.len(), 12);
    assert_eq!(
        products[0],
        json!({ "title": "オリジナルTシャツ", "price": 3300, "currency": "JPY", "taxRateBasisPoints": 1000, "soldOut": false })
    );

    let by_id = app
        .graphql(
            "query($id: ID!) { products(eventId: $id) { id } }",
            json!({ "id": event["id"] }),
        )
        .await;
    assert_eq!(by_id["data"]["products"].as_array().unwrap().len(), 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_event_is_null() {
    let app = TestApp::spawn().await;
    let body = app.graphql("{ event(slug: \"nope\") { id } }", json!({})).await;
    assert_eq!(body, json!({ "data": { "event": null } }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_a_graphql_request_is_400_with_a_message() {
    let app = TestApp::spawn().await;
    for (content_type, body) in [
        ("application/json", "{not json"),
        ("application/json", "[1,2]"),
        ("text/plain", "{}"),
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("x-api-key", &app.api_key)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{content_type} {body}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert!(
            json["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{json}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_error_names_the_problem() {
    let app = TestApp::spawn().await;
    let body = app.graphql("{ event { id } }", json!({})).await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("slug"), "{message}");
}
