use crate::support::TestApp;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_when_the_database_does() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers().contains_key("x-request-id"),
        "every response carries its request id"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shuts_down_gracefully_and_restarts_on_the_same_data() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    let query = "{ liveEvents { id } }";
    let before = app.graphql(query, serde_json::json!({})).await;
    let (result, dir) = app.shut_down().await;
    result.expect("clean shutdown");
    assert!(
        reqwest::get(format!("http://{addr}/healthz")).await.is_err(),
        "nothing listens any more"
    );

    let app = TestApp::spawn_in(dir).await;
    let after = app.graphql(query, serde_json::json!({})).await;
    assert_eq!(
        before, after,
        "the restart found the seeded show and seeded no second one"
    );
    assert_eq!(after["data"]["liveEvents"].as_array().map(Vec::len), Some(1));
}
