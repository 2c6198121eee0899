//! Two replicas of the server on one PostgreSQL database behave as one: a pick-up set through replica A reaches a
//! subscriber on replica B, likes sent to both add up exactly, a job is done once however many workers compete for
//! it, and the feed is polled by one replica at a time, the other taking over when it goes.

use std::time::{Duration, Instant};

use caravan_server::{
    access::entitlement::RENTAL,
    access::reminders,
    config::Config,
    mail::Mailer,
    secret::Secret,
    store::{EntitlementKind, EntitlementRecord},
};
use chrono::Utc;
use serde_json::json;

use crate::{
    feed::{fake_x, feed_of, with_x},
    support::{
        TestApp, new_postgres_database,
        process::{graphql, viewer_cookie},
    },
};

const ON_PICKUP: &str = "subscription($e: ID!) { onPickupChanged(eventId: $e) { eventId productId visible } }";
const LIKE: &str = "mutation($e: ID!, $n: Int!) { like(eventId: $e, count: $n) { total accepted } }";
const TOTAL: &str = "query($e: ID!) { likes(eventId: $e) { total } }";

/// A replica on the database `url` (configured further by `configure`).
async fn replica(url: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    let url = url.to_owned();
    TestApp::spawn_configured(move |config| {
        config.database_url = Some(Secret::new(url));
        config.session_secret = Some(Secret::new("replicas share this session secret, 32+ bytes".into()));
        configure(config);
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_subscriptions_likes_and_jobs() {
    let url = new_postgres_database().await;
    let (a, b) = tokio::join!(replica(&url, |_| {}), replica(&url, |_| {}));

    // A pick-up set through A, heard on B (and on A).
    let mut on_b = b.subscribe("b", ON_PICKUP, json!({ "e": "evt_demo" })).await;
    let mut on_a = a.subscribe("a", ON_PICKUP, json!({ "e": "evt_demo" })).await;
    for (product, visible) in [("prd_demo_03", true), ("prd_demo_07", true), ("prd_demo_07", false)] {
        a.set_pickup("evt_demo", Some(product), visible).await;
        let expected = json!({ "eventId": "evt_demo", "productId": product, "visible": visible });
        for ws in [&mut on_b, &mut on_a] {
            let message = tokio::time::timeout(Duration::from_secs(10), ws.recv_data())
                .await
                .expect("delivered across replicas");
            assert_eq!(message["payload"]["data"]["onPickupChanged"], expected, "{message}");
        }
    }
    // And the other way: set through B, read on A.
    b.set_pickup("evt_demo", Some("prd_demo_01"), true).await;
    let message = tokio::time::timeout(Duration::from_secs(10), on_a.recv_data())
        .await
        .unwrap();
    assert_eq!(
        message["payload"]["data"]["onPickupChanged"]["productId"],
        "prd_demo_01"
    );

    // Likes from 60 viewers at once, each alternating between the replicas (their shared session secret makes a
    // viewer's cookie good on both).
    let ports = [a.addr.port(), b.addr.port()];
    let calls: Vec<_> = (0..60)
        .map(|i| {
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let cookie = viewer_cookie(&client, ports[i % 2]).await;
                let mut accepted = 0;
                for n in 1..=5 {
                    let body = json!({ "query": LIKE, "variables": { "e": "evt_demo", "n": n } });
                    let answer = graphql(&client, ports[(i + n) % 2], Some(&cookie), body).await.unwrap();
                    accepted += answer["data"]["like"]["accepted"].as_i64().expect("acknowledged");
                }
                accepted
            })
        })
        .collect();
    let mut accepted = 0;
    for call in calls {
        accepted += call.await.unwrap();
    }
    assert_eq!(accepted, 60 * 15, "every viewer's 15 taps are within its burst");
    for app in [&a, &b] {
        let total = app.graphql(TOTAL, json!({ "e": "evt_demo" })).await["data"]["likes"]["total"].clone();
        assert_eq!(total, accepted, "the same exact total on both");
    }

    // Rental reminders due together, and a worker on each replica running them at once: each is sent once.
    let bought = Utc::now();
    for i in 0..40 {
        let rental = EntitlementRecord {
            viewer_id: format!("viewer-{i}"),
            event_id: "evt_demo_paid".into(),
            kind: EntitlementKind::Rental,
            granted_at: bought,
            expires_at: Some(bought + RENTAL),
        };
        a.store.grant(&rental).await.unwrap();
        let email = format!("fan{i}@example.com");
        reminders::schedule(&a.store, &rental, Some(&email), bought)
            .await
            .unwrap();
    }
    let due = bought + RENTAL - chrono::Duration::hours(4);
    let (worker_a, worker_b) = (a.worker(Mailer::Outbox), b.worker(Mailer::Outbox));
    let (done_a, done_b) = tokio::join!(worker_a.run_due(due), worker_b.run_due(due));
    let (done_a, done_b) = (done_a.unwrap(), done_b.unwrap());
    assert_eq!(done_a + done_b, 40, "A ran {done_a}, B ran {done_b}");
    let mut recipients: Vec<String> = b
        .store
        .outbox(1000)
        .await
        .unwrap()
        .into_iter()
        .map(|mail| mail.recipient)
        .collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 40, "one mail per reminder");
    assert_eq!(b.store.outbox(1000).await.unwrap().len(), 40);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_polls_the_feed_and_another_takes_over_when_it_goes() {
    let url = new_postgres_database().await;
    let (x_url, x) = fake_x([1, 2]).await;
    let a = replica(&url, with_x(&x_url, 100)).await;
    assert_eq!(feed_of(&a, 2).await.len(), 2, "A leads and polls");
    let b = replica(&url, with_x(&x_url, 100)).await;

    // Two seconds of polling every 100 ms: one poller's worth of requests, not two.
    let window = Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let polls = x
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|(at, _)| *at >= window)
        .count();
    assert!(
        (5..=26).contains(&polls),
        "{polls} requests in 2 s at one poll per 100 ms"
    );

    // A goes; B takes the lead (within the lead check) and polls what comes next.
    let (result, _dir) = a.shut_down().await;
    result.expect("A stops");
    x.lock().unwrap().posts.push((3, "post 3 #caravan".into()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while feed_of(&b, 3).await.len() < 3 {
        assert!(Instant::now() < deadline, "B never took over the feed");
    }
    assert_eq!(feed_of(&b, 3).await[0], "post 3 #caravan");
}
