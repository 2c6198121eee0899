//! Likes over HTTP and the AppSync protocol: every acknowledged tap is in the total (across a restart), a viewer's
//! excess taps are dropped quietly, broadcasts stay a few a second whatever the tap rate, and bad calls are refused.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::TestApp;

const LIKE: &str = "mutation($e: ID!, $n: Int!) { like(eventId: $e, count: $n) { eventId total accepted } }";
const TOTAL: &str = "query($e: ID!) { likes(eventId: $e) { total } }";

async fn like(app: &TestApp, count: i64) -> Value {
    app.graphql(LIKE, json!({ "e": "evt_demo", "n": count })).await
}

async fn total(app: &TestApp) -> i64 {
    app.graphql(TOTAL, json!({ "e": "evt_demo" })).await["data"]["likes"]["total"]
        .as_i64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_taps_are_the_total_even_after_a_restart() {
    let app = TestApp::spawn().await;
    assert_eq!(total(&app).await, 0);
    // Many calls at once (one viewer: its burst of 60 caps what counts).
    let started = Instant::now();
    let calls: Vec<_> = (0..40)
        .map(|i| {
            let (client, url) = (app.client.clone(), app.url("/graphql"));
            let key = app.api_key.clone();
            tokio::spawn(async move {
                let answer: Value = client
                    .post(url)
                    .header("x-api-key", key)
                    .json(&json!({ "query": LIKE, "variables": { "e": "evt_demo", "n": i % 5 + 1 } }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                answer["data"]["like"]["accepted"].as_i64().unwrap()
            })
        })
        .collect();
    let mut accepted = 0;
    for call in calls {
        accepted += call.await.unwrap();
    }
    // The bucket refills at 20 a second while the calls are under way (on a loaded machine they take a while).
    let refilled = (started.elapsed().as_secs_f64() * caravan_server::likes::RATE_PER_SECOND).floor() as i64;
    assert!(
        (60..=60 + refilled).contains(&accepted),
        "40 calls of 1–5 taps ask for 120; the burst is 60 (+{refilled} refilled meanwhile): {accepted} accepted"
    );
    assert_eq!(total(&app).await, accepted);

    let (result, dir) = app.shut_down().await;
    result.expect("clean shutdown");
    let app = TestApp::spawn_in(dir).await;
    assert_eq!(total(&app).await, accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcasts_are_coalesced_and_bad_calls_refused() {
    let app = TestApp::spawn().await;
    let mut ws = app
        .subscribe(
            "likes",
            "subscription($e: ID!) { onLikeCount(eventId: $e) { eventId total } }",
            json!({ "e": "evt_demo" }),
        )
        .await;

    // 30 calls in quick succession: a handful of broadcasts, the last with the total.
    let started = Instant::now();
    for _ in 0..30 {
        assert_eq!(like(&app, 1).await["data"]["like"]["accepted"], 1);
    }
    let elapsed = started.elapsed();
    let mut broadcasts = Vec::new();
    loop {
        let message = tokio::time::timeout(Duration::from_millis(600), ws.recv_data()).await;
        match message {
            Ok(message) => broadcasts.push(message["payload"]["data"]["onLikeCount"]["total"].as_i64().unwrap()),
            Err(_) => break,
        }
    }
    assert_eq!(broadcasts.last(), Some(&30));
    let most = (elapsed.as_millis() / 250 + 2) as usize;
    assert!(
        broadcasts.len() <= most,
        "{} broadcasts in {elapsed:?}",
        broadcasts.len()
    );

    for (count, why) in [(0, "zero"), (1001, "too many"), (-3, "negative")] {
        let refused = like(&app, count).await;
        assert_eq!(
            refused["errors"][0]["errorType"], "BadRequestException",
            "{why}: {refused}"
        );
    }
    let elsewhere = app.graphql(LIKE, json!({ "e": "evt_nope", "n": 1 })).await;
    assert_eq!(elsewhere["errors"][0]["errorType"], "BadRequestException");
    assert_eq!(total(&app).await, 30);
}
