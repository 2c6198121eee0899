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

use serde_json::{Value, json};

use crate::support::{
    cookie_header,
    process::{free_port, kill, start, wait_up},
    set_cookies,
};

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
    let base = format!("http://127.0.0.1:{port}");
    let api_key = "da2-caravandevelopmentonlykey0";
    let server = start(dir.path(), port, &[]);
    wait_up(&client, port).await;

    let mut cookies = Vec::with_capacity(VIEWERS);
    for _ in 0..VIEWERS {
        let response = client
            .post(format!("{base}/api/playback/demo"))
            .json(&json!({ "acceptTerms": true }))
            .send()
            .await
            .unwrap();
        cookies.push(cookie_header(&set_cookies(&response)));
    }

    let acknowledged = Arc::new(AtomicI64::new(0));
    let unanswered = Arc::new(AtomicI64::new(0));
    let answers = Arc::new(AtomicI64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let viewers: Vec<_> = cookies
        .into_iter()
        .enumerate()
        .map(|(i, cookie)| {
            let (client, base) = (client.clone(), base.clone());
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
                    let sent = client
                        .post(format!("{base}/graphql"))
                        .header("x-api-key", api_key)
                        .header("cookie", &cookie)
                        .json(&json!({ "query": LIKE, "variables": { "e": "evt_demo", "n": count } }))
                        .send()
                        .await;
                    let answer: Option<Value> = match sent {
                        Ok(response) => response.json().await.ok(),
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

    let total: Value = client
        .post(format!("{base}/graphql"))
        .header("x-api-key", api_key)
        .json(&json!({ "query": "query { likes(eventId: \"evt_demo\") { total } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = total["data"]["likes"]["total"].as_i64().unwrap();
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
