//! Authorization on POST /graphql, as AppSync answers it.

use crate::support::TestApp;
use serde_json::json;

const SET_PICKUP: &str =
    "mutation { setPickup(eventId: \"evt_demo\", productId: \"prd_demo_01\", visible: true) { visible } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credentials_the_answer_is_401_unauthorized() {
    let app = TestApp::spawn().await;
    let (status, body) = app.graphql_with(&[], "{ liveEvents { id } }", json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(body["errors"][0]["errorType"], "UnauthorizedException");
    assert_eq!(body["errors"][0]["message"], "Valid authorization header not provided.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_or_token_is_401_and_says_nothing_about_the_right_one() {
    let app = TestApp::spawn().await;
    for header in [
        ("x-api-key", "da2-wrong"),
        ("authorization", "wrong-token"),
        ("authorization", app.api_key.as_str()),
    ] {
        let (status, body) = app.graphql_with(&[header], "{ liveEvents { id } }", json!({})).await;
        assert_eq!(status, 401, "{header:?}");
        assert_eq!(body["errors"][0]["errorType"], "UnauthorizedException");
        let text = body.to_string();
        assert!(
            !text.contains(&app.api_key) && !text.contains(&app.operator_token),
            "{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_read_but_may_not_set_the_pickup() {
    let app = TestApp::spawn().await;
    let body = app.graphql("{ liveEvents { slug } }", json!({})).await;
    assert_eq!(body["data"]["liveEvents"][0]["slug"], "demo");

    let body = app.graphql(SET_PICKUP, json!({})).await;
    assert_eq!(body["data"]["setPickup"], serde_json::Value::Null);
    assert_eq!(body["errors"][0]["errorType"], "Unauthorized");
    assert_eq!(
        body["errors"][0]["message"],
        "Not Authorized to access setPickup on type Mutation"
    );
    assert_eq!(body["errors"][0]["path"], json!(["setPickup"]));
    assert!(
        app.store.pickup("evt_demo").await.unwrap().is_none(),
        "nothing was written"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_token_sets_the_pickup_with_or_without_bearer() {
    let app = TestApp::spawn().await;
    let body = app.graphql_as_operator(SET_PICKUP, json!({})).await;
    assert_eq!(body, json!({ "data": { "setPickup": { "visible": true } } }));
    let bearer = format!("Bearer {}", app.operator_token);
    let (status, body) = app
        .graphql_with(&[("authorization", &bearer)], SET_PICKUP, json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["setPickup"]["visible"], true);
    let body = app.graphql_as_operator("{ liveEvents { slug } }", json!({})).await;
    assert_eq!(body["data"]["liveEvents"][0]["slug"], "demo", "operators read too");
}
