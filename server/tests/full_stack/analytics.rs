//! The player's playback batches: recorded per page view, counted per event, bad batches refused clearly.

use crate::support::TestApp;
use serde_json::{Value, json};

async fn post(app: &TestApp, slug: &str, body: impl Into<reqwest::Body>, content_type: &str) -> (u16, String) {
    let response = app
        .client
        .post(app.url(&format!("/api/analytics/{slug}")))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_counted_per_event() {
    let app = TestApp::spawn().await;
    let batch = |session: &str, watched: i64, events: Value| {
        json!({ "session": session, "playing": true, "watchedMs": watched, "events": events }).to_string()
    };
    let play = json!([{ "kind": "play" }]);
    assert_eq!(
        post(&app, "demo", batch("viewer-one", 0, play.clone()), "application/json")
            .await
            .0,
        204
    );
    // sendBeacon sends text/plain: read the same.
    assert_eq!(
        post(&app, "demo", batch("viewer-two", 0, play), "text/plain;charset=UTF-8")
            .await
            .0,
        204
    );
    let heartbeat = json!([{ "kind": "rebuffer", "durationMs": 1200 }, { "kind": "quality", "level": "360p" }]);
    assert_eq!(
        post(&app, "demo", batch("viewer-one", 15_000, heartbeat), "application/json")
            .await
            .0,
        204
    );

    let stats = app.store.playback_stats("evt_demo", chrono::Utc::now()).await.unwrap();
    assert_eq!(
        (stats.plays, stats.watching, stats.watched_ms, stats.rebuffers),
        (2, 2, 15_000, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_batches_get_a_clear_error_and_change_nothing() {
    let app = TestApp::spawn().await;
    let cases = [
        ("demo", "not json".to_string(), 400, "invalid analytics batch"),
        (
            "demo",
            json!({ "session": "x", "playing": true }).to_string(),
            400,
            "session",
        ),
        (
            "demo",
            json!({ "session": "abcdefgh", "playing": true, "events": [{ "kind": "rewind" }] }).to_string(),
            400,
            "rewind",
        ),
        (
            "no-such-show",
            json!({ "session": "abcdefgh", "playing": true }).to_string(),
            404,
            "not found",
        ),
        (
            "demo",
            format!(
                r#"{{"session":"abcdefgh","playing":true,"pad":"{}"}}"#,
                "x".repeat(20_000)
            ),
            413,
            "larger",
        ),
    ];
    for (slug, body, status, message) in cases {
        let (got, text) = post(&app, slug, body, "application/json").await;
        assert_eq!(got, status, "{text}");
        let error: Value = serde_json::from_str(&text).expect("a JSON error");
        assert!(error["error"].as_str().unwrap().contains(message), "{error}");
    }
    let stats = app.store.playback_stats("evt_demo", chrono::Utc::now()).await.unwrap();
    assert_eq!(stats, Default::default());
}
