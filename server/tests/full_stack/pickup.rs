//! The pick-up banner through the API: set, read, refused, and kept across a restart.

use crate::support::TestApp;
use serde_json::json;

const PICKUP: &str =
    "query($e: ID!) { pickup(eventId: $e) { eventId productId visible updatedAt product { id title price } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pickup_is_read_back_with_its_product() {
    let app = TestApp::spawn().await;
    let body = app.graphql(PICKUP, json!({ "e": "evt_demo" })).await;
    assert_eq!(
        body["data"]["pickup"],
        serde_json::Value::Null,
        "nothing before the first pick-up"
    );

    app.set_pickup("evt_demo", Some("prd_demo_05"), true).await;
    let pickup = &app.graphql(PICKUP, json!({ "e": "evt_demo" })).await["data"]["pickup"];
    assert_eq!(pickup["productId"], "prd_demo_05");
    assert_eq!(pickup["visible"], true);
    assert_eq!(
        pickup["product"],
        json!({ "id": "prd_demo_05", "title": "有田焼マグカップ", "price": 2750 })
    );
    assert!(pickup["updatedAt"].as_str().unwrap().ends_with('Z'));

    let event = app
        .graphql("{ event(slug: \"demo\") { pickup { productId visible } } }", json!({}))
        .await;
    assert_eq!(
        event["data"]["event"]["pickup"],
        json!({ "productId": "prd_demo_05", "visible": true })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_are_reported_and_change_nothing() {
    let app = TestApp::spawn().await;
    for (variables, expected) in [
        (json!({ "e": "evt_nope", "p": "prd_demo_01", "v": true }), "no event"),
        (
            json!({ "e": "evt_demo", "p": "prd_other", "v": true }),
            "not sold in event",
        ),
        (json!({ "e": "evt_demo", "p": null, "v": true }), "needs a productId"),
    ] {
        let body = app
            .graphql_as_operator(
                "mutation($e: ID!, $p: ID, $v: Boolean!) { setPickup(eventId: $e, productId: $p, visible: $v) { visible } }",
                variables.clone(),
            )
            .await;
        let error = &body["errors"][0];
        assert_eq!(error["errorType"], "BadRequestException", "{variables}");
        assert!(error["message"].as_str().unwrap().contains(expected), "{error}");
    }
    assert!(app.store.pickup("evt_demo").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pickup_survives_a_restart() {
    let app = TestApp::spawn().await;
    app.set_pickup("evt_demo", Some("prd_demo_02"), true).await;
    let before = app.graphql(PICKUP, json!({ "e": "evt_demo" })).await;
    let (result, dir) = app.shut_down().await;
    result.expect("clean shutdown");

    let app = TestApp::spawn_in(dir).await;
    let after = app.graphql(PICKUP, json!({ "e": "evt_demo" })).await;
    assert_eq!(before, after);
    assert_eq!(after["data"]["pickup"]["productId"], "prd_demo_02");
}
