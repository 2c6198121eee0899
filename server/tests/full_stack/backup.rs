//! The online backup: `caravan-server backup FILE` copies the database of a running server while viewers keep
//! writing to it, and a server started on the copy (the restore: the file as `caravan.db`) has everything that was
//! committed before the copy began.

use std::{
    process::Command,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use serde_json::json;

use crate::support::process::{free_port, graphql, kill, likes_total, start, viewer_cookie, wait_up};

const LIKE: &str = "mutation($e: ID!, $n: Int!) { like(eventId: $e, count: $n) { total accepted } }";

/// `caravan-server backup` with these arguments, on the data of `dir` (as `process::start` lays it out).
fn backup(dir: &std::path::Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_caravan-server"))
        .arg("backup")
        .args(args)
        .env("CARAVAN_CONFIG", dir.join("none.toml"))
        .env("CARAVAN_DATA_DIR", dir.join("data"))
        .output()
        .expect("the backup command runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_is_backed_up_and_restored_with_everything_committed_before() {
    caravan_server::outbound::install_tls();
    let (dir, restored) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let port = free_port();
    let server = start(dir.path(), port, &[]);
    wait_up(&client, port).await;

    // Viewers tap through the whole backup.
    let acknowledged = Arc::new(AtomicI64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let mut viewers = Vec::new();
    for _ in 0..20 {
        let cookie = viewer_cookie(&client, port).await;
        let (client, acknowledged, running) = (client.clone(), acknowledged.clone(), running.clone());
        viewers.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                let tap = json!({ "query": LIKE, "variables": { "e": "evt_demo", "n": 3 } });
                let answer = graphql(&client, port, Some(&cookie), tap).await.unwrap();
                acknowledged.fetch_add(answer["data"]["like"]["accepted"].as_i64().unwrap(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;

    let file = restored.path().join("caravan.db");
    let before = acknowledged.load(Ordering::Relaxed);
    let made = tokio::task::spawn_blocking({
        let (dir, file) = (dir.path().to_owned(), file.clone());
        move || backup(&dir, &[file.as_os_str()])
    })
    .await
    .unwrap();
    let after = acknowledged.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(300)).await;
    running.store(false, Ordering::Relaxed);
    for viewer in viewers {
        viewer.await.unwrap();
    }
    let stderr = String::from_utf8_lossy(&made.stderr);
    assert!(made.status.success(), "{stderr}");
    assert!(stderr.contains("Backed up the database"), "{stderr}");
    let final_total = likes_total(&client, port).await;
    assert!(before > 0, "taps were acknowledged before the backup");

    // Never over a file that exists; a missing FILE is a usage error.
    let again = backup(dir.path(), &[file.as_os_str()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    assert_eq!(backup(dir.path(), &[]).status.code(), Some(2));
    kill(server);

    // The restore: the copy as the data directory's caravan.db, and a server started on it.
    std::fs::create_dir_all(restored.path().join("data")).unwrap();
    std::fs::rename(&file, restored.path().join("data/caravan.db")).unwrap();
    let port = free_port();
    let server = start(restored.path(), port, &[]);
    wait_up(&client, port).await;
    let total = likes_total(&client, port).await;
    eprintln!(
        "acknowledged {before} before the backup and {after} by its end; the copy has {total}, the live {final_total}"
    );
    assert!(
        total >= before,
        "a tap committed before the backup is missing: {total} < {before}"
    );
    assert!(
        total < final_total,
        "the copy is a snapshot, not the end state: {total} vs {final_total}"
    );
    let page = client
        .get(format!("http://127.0.0.1:{port}/live/demo"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("オリジナルTシャツ"),
        "the show and its products came back"
    );
    kill(server);
}
