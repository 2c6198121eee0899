//! Likes survive `kill -9`: 300 viewers (each with their own viewer cookie, so their own rate limit) tap the demo
//! show through the real server binary, which is killed twice mid-run and started again on the same data. Each
//! viewer adds up what the server acknowledged (`accepted`) and what it sent without an answer (the kill took it).
//! At the end the stored total holds every acknowledged tap, and at most the unanswered ones besides: an answer lost
//! with the process may belong to a delta that was already durable, never the other way round.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use serde_json::json;

use crate::support::process::{free_port, graphql, kill, likes_total, start, viewer_cookie, wait_up};

const VIEWERS: usize = 300;
const LIKE: &str = "mutation($e: ID!, $n: Int!) { like(eventId: $e, count: $n) { total accepted } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_run_the_total_keeps_every_acknowledged_tap() {
    caravan_server::outbound::install_tls();
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .pool_max_idle_per_host(VIEWERS)
        .build()
        .unwrap();
    let port = free_port();
    let server = start(dir.path(), port, &[]);
    wait_up(&client, port).await;

    let mut cookies = Vec::with_capacity(VIEWERS);
    for _ in 0..VIEWERS {
        cookies.push(viewer_cookie(&client, port).await);
    }

    let acknowledged = Arc::new(AtomicI64::new(0));
    let unanswered = Arc::new(AtomicI64::new(0));
    let answers = Arc::new(AtomicI64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let viewers: Vec<_> = cookies
        .into_iter()
        .enumerate()
        .map(|(i, cookie)| {
            let client = client.clone();
            let (acknowledged, unanswered, answers, running) = (
                acknowledged.clone(),
                unanswered.clone(),
                answers.clone(),
                running.clone(),
            );
            tokio::spawn(async move {
                let mut n = 0;
                while running.load(Ordering::Relaxed) {
                    // 1 to 8 taps, as half a second of tapping sums on a page.
                    let count = (i + n) as i64 % 8 + 1;
                    n += 1;
                    let tap = json!({ "query": LIKE, "variables": { "e": "evt_demo", "n": count } });
                    let answer = match graphql(&client, port, Some(&cookie), tap).await {
                        Ok(answer) => Some(answer),
                        Err(e) if e.is_connect() => {
                            // Nothing was sent: the server is down.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            continue;
                        }
                        Err(_) => None,
                    };
                    match answer.as_ref().and_then(|a| a["data"]["like"]["accepted"].as_i64()) {
                        Some(accepted) => {
                            acknowledged.fetch_add(accepted, Ordering::Relaxed);
                            answers.fetch_add(1, Ordering::Relaxed);
                        }
                        None => {
                            unanswered.fetch_add(count, Ordering::Relaxed);
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        })
        .collect();

    // Two crashes while they tap.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill(server);
    let after_first = answers.load(Ordering::Relaxed);
    let server = start(dir.path(), port, &[]);
    wait_up(&client, port).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill(server);
    let after_second = answers.load(Ordering::Relaxed);
    let server = start(dir.path(), port, &[]);
    wait_up(&client, port).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    running.store(false, Ordering::Relaxed);
    for viewer in viewers {
        viewer.await.unwrap();
    }
    let answers = answers.load(Ordering::Relaxed);
    assert!(
        after_first > 100,
        "taps were acknowledged before the first crash ({after_first})"
    );
    assert!(
        after_second > after_first && answers > after_second,
        "and between the crashes, and after"
    );

    let total = likes_total(&client, port).await;
    let (acknowledged, unanswered) = (acknowledged.load(Ordering::Relaxed), unanswered.load(Ordering::Relaxed));
    eprintln!("{answers} answers; {acknowledged} taps acknowledged, {unanswered} unanswered; total {total}");
    assert!(
        total >= acknowledged,
        "an acknowledged tap was lost: {total} < {acknowledged}"
    );
    assert!(
        total <= acknowledged + unanswered,
        "taps counted that nobody sent: {total} > {acknowledged} + {unanswered}"
    );
    kill(server);
}
