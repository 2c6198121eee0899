//! The demo's live stream: ffmpeg run by the server, served as HLS at /media, stopped with the server.

mod support;

use std::time::Duration;

use support::TestApp;

/// Waits (up to 30 s) until `path` answers 200 and `ready` accepts its body.
async fn wait_for(app: &TestApp, path: &str, ready: impl Fn(&str) -> bool) -> reqwest::Response {
    for _ in 0..300 {
        let response = app.get(path).await;
        if response.status() == 200 {
            let headers = response.headers().clone();
            let body = response.text().await.unwrap();
            if ready(&body) {
                let response = app.get(path).await;
                assert_eq!(response.headers()["content-type"], headers["content-type"]);
                return response;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{path} did not become ready in 30 s");
}

/// The process ids whose working directory is `dir` (the encoder writes there).
fn processes_in(dir: &std::path::Path) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_stream_is_served_as_live_hls_and_stops_with_the_server() {
    let app = TestApp::spawn_configured(|config| config.demo_media = true).await;
    let live = app.dir.path().join("data/media/demo/live");

    let master = wait_for(&app, "/media/demo/live/master.m3u8", |body| {
        body.contains("#EXT-X-STREAM-INF")
    })
    .await;
    assert_eq!(master.headers()["content-type"], "application/vnd.apple.mpegurl");
    assert_eq!(master.headers()["cache-control"], "no-cache");
    let master = master.text().await.unwrap();
    assert!(
        master.contains("RESOLUTION=640x360") && master.contains("RESOLUTION=1280x720"),
        "{master}"
    );

    let playlist = wait_for(&app, "/media/demo/live/360p/index.m3u8", |body| body.contains(".ts")).await;
    let playlist = playlist.text().await.unwrap();
    assert!(
        !playlist.contains("#EXT-X-ENDLIST"),
        "a live playlist has no end: {playlist}"
    );
    assert!(playlist.contains("#EXT-X-PROGRAM-DATE-TIME"));
    let segment = playlist.lines().find(|line| line.ends_with(".ts")).expect("a segment");
    let response = app.get(&format!("/media/demo/live/360p/{segment}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "video/mp2t");
    let bytes = response.bytes().await.unwrap();
    assert!(
        bytes.len() > 1000 && bytes[0] == 0x47,
        "an MPEG-TS segment (sync byte 0x47)"
    );

    assert_eq!(processes_in(&live).len(), 1, "one encoder");
    let (result, dir) = app.shut_down().await;
    result.expect("clean shutdown");
    assert!(
        processes_in(&dir.path().join("data/media/demo/live")).is_empty(),
        "the encoder stopped with the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_media_file_is_404() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/media/demo/live/master.m3u8").await.status(), 404);
}
