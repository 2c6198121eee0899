//! The order pipeline survives `kill -9`: the real server binary pays 12 orders, then is killed again and again
//! while its worker runs their 48 steps, at growing moments after it comes up, and restarted on the same data. At the
//! end every step is done and every effect exists exactly once: one confirmation e-mail and one history entry per
//! order, both exports of each, no half-written file.

use std::{path::Path, time::Duration};

use caravan_server::{secret::Secret, store::Store};
use serde_json::{Value, json};

use crate::support::process::{free_port, kill, start, wait_up};

const ORDERS: usize = 12;
const STEPS: usize = ORDERS * 4;

async fn store(dir: &Path) -> Store {
    Store::open(&Secret::new(format!(
        "sqlite://{}",
        dir.join("data/caravan.db").display()
    )))
    .await
    .unwrap()
}

async fn steps_done(store: &Store, orders: &[String]) -> usize {
    let mut done = 0;
    for order in orders {
        for step in [
            "confirmation_email",
            "order_history",
            "fulfilment_export",
            "accounting_export",
        ] {
            let job = store.job(&format!("order_step:{order}:{step}")).await.unwrap();
            done += usize::from(job.is_some_and(|job| job.state == "done"));
        }
    }
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_any_moment_every_step_ends_done_exactly_once() {
    caravan_server::outbound::install_tls();
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let port = free_port();

    // Orders are placed and paid while the worker sleeps (its first look is at start, before any order).
    let server = start(dir.path(), port, &[("CARAVAN_JOBS_POLL_MS", "600000".into())]);
    wait_up(&client, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let store = store(dir.path()).await;
    let product = store
        .products_of_event("evt_demo")
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.stock >= 20)
        .unwrap();
    let mut orders = Vec::new();
    for i in 0..ORDERS {
        let placed = client
            .post(format!("{base}/api/orders"))
            .header("idempotency-key", format!("crash-{i}"))
            .json(&json!({
                "slug": "demo",
                "lines": [{ "productId": product.id, "quantity": 1, "price": product.price }],
                "email": format!("buyer{i}@example.com"),
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(placed.status(), 201);
        let cookie = placed.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let order: Value = placed.json().await.unwrap();
        let id = order["orderId"].as_str().unwrap().to_string();
        let paid = client
            .post(format!("{base}/api/orders/{id}/pay"))
            .header("cookie", cookie)
            .json(&json!({ "outcome": "succeed" }))
            .send()
            .await
            .unwrap();
        assert_eq!(paid.status(), 200);
        orders.push(id);
    }
    kill(server);
    assert_eq!(steps_done(&store, &orders).await, 0);

    // Crash after crash, each a little later after the server is up, until the work is done.
    let mut interrupted = 0;
    let mut delay = 0;
    loop {
        let server = start(dir.path(), port, &[("CARAVAN_JOBS_POLL_MS", "5".into())]);
        wait_up(&client, port).await;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        kill(server);
        let done = steps_done(&store, &orders).await;
        if done == STEPS {
            break;
        }
        interrupted += usize::from(done > 0);
        eprintln!("crash after {delay} ms: {done} of {STEPS} done");
        delay += 3;
        assert!(
            delay < 3000,
            "the pipeline makes progress between crashes ({done} of {STEPS} done)"
        );
    }
    assert!(
        interrupted >= 3,
        "crashes fell in the middle of the work ({interrupted})"
    );

    // Every effect exactly once.
    let outbox = store.outbox(100).await.unwrap();
    assert_eq!(outbox.len(), ORDERS, "one confirmation per order, none repeated");
    for (i, order) in orders.iter().enumerate() {
        assert_eq!(outbox.iter().filter(|m| m.subject.contains(order.as_str())).count(), 1);
        assert!(outbox.iter().any(|m| m.recipient == format!("buyer{i}@example.com")));
        let history = store
            .order_history(&store.order(order).await.unwrap().unwrap().viewer_id)
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        let exports = dir.path().join("data/exports");
        let shipment: Value =
            serde_json::from_slice(&std::fs::read(exports.join(format!("fulfilment/{order}.json"))).unwrap()).unwrap();
        assert_eq!(shipment["orderId"], order.as_str());
        assert!(exports.join(format!("accounting/{order}.csv")).exists());
    }
    let leftovers: Vec<_> = walk(&dir.path().join("data/exports"))
        .into_iter()
        .filter(|p| p.ends_with(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no half-written export: {leftovers:?}");
}

fn walk(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path.display().to_string());
        }
    }
    files
}
