//! The demo's media: its live show broadcast through the server's own ingest, its recording and ClearKey variant,
//! served at /media, and stopped with the server.

use std::{path::Path, time::Duration};

use crate::support::TestApp;
use caravan_server::{
    media::DemoVod,
    media_store::{MediaStore, MediaStoreSettings},
};

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

/// The process ids whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_is_broadcast_through_the_ingest_as_live_hls_and_stops_with_the_server() {
    let app = TestApp::spawn_configured(|config| config.demo_media = true).await;
    let data = app.dir.path().join("data");

    let master = wait_for(&app, "/media/demo/live/master.m3u8", |body| {
        body.contains("#EXT-X-STREAM-INF")
    })
    .await;
    assert_eq!(master.headers()["content-type"], "application/vnd.apple.mpegurl");
    assert_eq!(master.headers()["cache-control"], "no-cache");
    let master = master.text().await.unwrap();
    assert!(
        master.contains("RESOLUTION=640x360") && master.contains("RESOLUTION=1280x720"),
        "the default ladder over the 720p broadcast: {master}"
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
    // The show is on air as any show is: its page's player is sent there, and its status says so.
    let mut status = serde_json::Value::Null;
    for _ in 0..100 {
        status = app
            .graphql(
                r#"{ event(slug: "demo") { liveUrl streamStatus { state } } }"#,
                serde_json::json!({}),
            )
            .await;
        if status["data"]["event"]["streamStatus"]["state"] == "LIVE" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status["data"]["event"]["streamStatus"]["state"], "LIVE", "{status}");
    assert_eq!(status["data"]["event"]["liveUrl"], "/media/demo/live/master.m3u8");
    // A stream that never ends keeps its window only: no recording.
    assert!(!data.join("media/demo/recording").exists());

    let work = data.join("work/ingest");
    assert_eq!(processes_with("Caravan Live Demo").len(), 1, "one publisher");
    let transcoders = processes_with(&work.display().to_string());
    let (result, _dir) = app.shut_down().await;
    result.expect("clean shutdown");
    assert!(
        processes_with("Caravan Live Demo").is_empty(),
        "the publisher stopped with the server"
    );
    assert!(
        transcoders
            .iter()
            .all(|pid| !Path::new(&format!("/proc/{pid}")).exists()),
        "the transcoder stopped with the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_media_file_is_404() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/media/demo/live/master.m3u8").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_recording_and_its_clearkey_variant_are_made_once_and_served() {
    let app = TestApp::spawn().await;
    let data = app.dir.path().join("data");
    let vod = DemoVod {
        media: MediaStore::open(&MediaStoreSettings::Local(data.join("media"))).unwrap(),
        work_dir: data.join("work/demo-vod"),
        key_file: data.join("keys/demo-clearkey.json"),
        packager: caravan_server::tools::locate(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../node_modules/shaka-packager/bin/packager-linux-x64"),
        ),
    };
    assert!(vod.packager.is_some(), "`./dev setup` installs Shaka Packager");
    let started = std::time::Instant::now();
    assert_eq!(vod.prepare().await.unwrap(), ["demo/archive", "demo/clearkey"]);
    eprintln!("made the demo's on-demand media in {:?}", started.elapsed());
    assert!(!data.join("work/demo-vod").exists(), "the mezzanine is removed");

    // The recording: both renditions, on demand, with captions.
    let master = app.get("/media/demo/archive/master.m3u8").await;
    assert_eq!(master.headers()["content-type"], "application/vnd.apple.mpegurl");
    let master = master.text().await.unwrap();
    assert!(
        master.contains("RESOLUTION=640x360") && master.contains("RESOLUTION=1280x720"),
        "{master}"
    );
    assert_eq!(master.matches("SUBTITLES=\"subs\"").count(), 2, "{master}");
    let playlist = app
        .get("/media/demo/archive/720p/index.m3u8")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        playlist.contains("#EXT-X-PLAYLIST-TYPE:VOD") && playlist.contains("#EXT-X-ENDLIST"),
        "{playlist}"
    );
    assert_eq!(
        playlist.matches("#EXTINF").count(),
        10,
        "20 s in 2 s segments: {playlist}"
    );
    let segment = playlist.lines().find(|line| line.ends_with(".m4s")).expect("a segment");
    let response = app.get(&format!("/media/demo/archive/720p/{segment}")).await;
    assert_eq!(response.headers()["content-type"], "video/iso.segment");
    let captions = app.get("/media/demo/archive/subs/captions.vtt").await;
    assert_eq!(captions.headers()["content-type"], "text/vtt; charset=utf-8");
    assert!(captions.text().await.unwrap().starts_with("WEBVTT"));

    // The ClearKey variant: announced for the ClearKey CDM, encrypted from the first sample, its key kept private.
    let key: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&vod.key_file).unwrap()).unwrap();
    let key_id = key["keyId"].as_str().unwrap();
    assert_eq!(key_id.len(), 32);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&vod.key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    // Served only through the media gate (a paid show's folder; see access.rs), so read here from disk.
    assert_eq!(app.get("/media/demo/clearkey/master.m3u8").await.status(), 403);
    let clearkey = data.join("media/demo/clearkey");
    let playlist = std::fs::read_to_string(clearkey.join("360p/index.m3u8")).unwrap();
    assert!(
        playlist.contains("METHOD=SAMPLE-AES-CTR") && playlist.contains("KEYFORMAT=\"org.w3.clearkey\""),
        "{playlist}"
    );
    assert!(
        !playlist.contains(key["key"].as_str().unwrap()),
        "the key is not in the playlist"
    );
    let init = std::fs::read(clearkey.join("360p/init.mp4")).unwrap();
    assert!(
        init.windows(4).any(|w| w == b"encv") && init.windows(4).any(|w| w == b"tenc"),
        "protected track"
    );
    let first = std::fs::read(clearkey.join("360p/1.m4s")).unwrap();
    assert!(
        first.windows(4).any(|w| w == b"senc"),
        "the first segment is encrypted too (no clear lead)"
    );

    assert!(vod.prepare().await.unwrap().is_empty(), "made once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_name_too_long_for_the_disk_is_not_found_not_a_server_error() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(300);
    for path in [
        format!("/media/{long}"),
        format!("/media/demo/{long}.m3u8"),
        format!("/pkg/{long}.js"),
        format!("/{long}"),
        format!("/{long}.css"),
        format!("/media/{}", "%E3%81%82".repeat(86)),
    ] {
        let status = app.get(&path).await.status().as_u16();
        assert_eq!(status, 404, "{}…", &path[..20]);
    }
    // A name of 85 Japanese characters (255 bytes, 765 once percent-encoded) fits a file system: missing, it is a 404
    // and never a 500.
    let fits = app.get(&format!("/media/{}", "%E3%81%82".repeat(85))).await;
    assert_eq!(fits.status(), 404);
}
