//! Live ingest end to end, with ffmpeg as the broadcaster (a test pattern and a tone over RTMP): the show's key puts
//! it on air in the ladder, where the player finds it; a wrong key and a second publisher on a key in use are refused
//! at the protocol level, in words the encoder shows; what is not RTMP is dropped without harm.

use std::{path::Path, process::Stdio, time::Duration};

use caravan_server::store::{EventRecord, ProductRecord};
use serde_json::{Value, json};
use tokio::{io::AsyncWriteExt, process::Command};

use crate::support::TestApp;

pub(crate) const ISSUE: &str = "mutation Issue($eventId: ID!, $role: StreamKeyRole!) {
  issueStreamKey(eventId: $eventId, role: $role) { role rtmpUrl srtUrl key }
}";

pub(crate) const STATUS: &str = "query Status($slug: String!) { event(slug: $slug) { streamStatus {
  state liveUrl archiveUrl warnings
  encoders { role onAir width height frameRate bitrateKbps keyframeInterval }
  transcoder { speed droppedFrames }
} } }";

/// The show's stream status, as the operator reads it.
async fn stream_status(app: &TestApp, slug: &str) -> Value {
    let answer = app.graphql_as_operator(STATUS, json!({ "slug": slug })).await;
    assert!(answer["errors"].is_null(), "{answer}");
    answer["data"]["event"]["streamStatus"].clone()
}

/// The stream status once `ready` holds of it (within 20 s: on a loaded 2-core machine, with the other tests' encoders
/// and transcoders running, an ffmpeg publisher took more than 10 s to connect and be on air).
pub(crate) async fn stream_status_when(app: &TestApp, slug: &str, ready: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let status = stream_status(app, slug).await;
        if ready(&status) {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not so after 20 s: {}", stream_status(app, slug).await);
}

/// ffmpeg publishing `seconds` of a 640x360 test pattern and a tone to `url`, as an encoder would (a keyframe a
/// second, H.264 and AAC).
pub(crate) fn broadcaster(url: &str, seconds: u32) -> tokio::process::Child {
    broadcaster_of(url, seconds, true, true)
}

/// The same encoder, with its picture or its sound turned off.
fn broadcaster_of(url: &str, seconds: u32, video: bool, audio: bool) -> tokio::process::Child {
    encoder(url, "flv", seconds, video, audio)
}

/// The encoder, writing `format` to `url`.
fn encoder(url: &str, format: &str, seconds: u32, video: bool, audio: bool) -> tokio::process::Child {
    let mut command = Command::new("ffmpeg");
    command.args(["-hide_banner", "-loglevel", "error", "-nostdin"]);
    if video {
        command.args(["-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30"]);
    }
    if audio {
        command.args(["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]);
    }
    command.args(["-t", &seconds.to_string()]);
    if video {
        command.args([
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-g",
            "30",
            "-pix_fmt",
            "yuv420p",
        ]);
    }
    if audio {
        command.args(["-c:a", "aac", "-b:a", "96k"]);
    }
    command
        .args(["-f", format, url])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ffmpeg runs")
}

/// ffmpeg calling `url` over SRT with `seconds` of the same test pattern and tone, as MPEG-TS (OBS's SRT output).
pub(crate) fn srt_broadcaster(url: &str, seconds: u32) -> tokio::process::Child {
    encoder(url, "mpegts", seconds, true, true)
}

/// How a broadcaster ended: its exit status and what it said.
pub(crate) async fn ended(child: tokio::process::Child) -> (bool, String) {
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the broadcaster ends")
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The number of segments a playlist lists.
fn segments(playlist: &Path) -> usize {
    std::fs::read_to_string(playlist).map_or(0, |text| text.matches("#EXTINF").count())
}

/// What ffprobe says of a stream's first video and audio: codec and height.
pub(crate) async fn probe(url: &str) -> Value {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-show_entries",
            "stream=codec_name,codec_type,height",
            "-of",
            "json",
            url,
        ])
        .output()
        .await
        .expect("ffprobe runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn the_shows_key_puts_an_encoder_on_air_in_the_ladder_and_other_publishers_are_refused() {
    let app = TestApp::spawn_configured(|config| {
        // Two small rungs: the test pattern is 360p, and the machine runs other tests meanwhile.
        config.ingest_ladder = "360:500:96,180:150:64".into();
    })
    .await;
    let now = chrono::Utc::now();
    let show = EventRecord::new("evt_studio", "studio", "Studio", now - chrono::Duration::minutes(5));
    let kettle = ProductRecord {
        id: "prd_kettle".into(),
        event_id: "evt_studio".into(),
        position: 0,
        title: "鉄瓶".into(),
        title_en: Some("Iron kettle".into()),
        description: None,
        image_url: "/demo/product-01.svg".into(),
        price: 12100,
        currency: "JPY".into(),
        tax_rate_bp: 1000,
        stock: 3,
    };
    app.store.create_event(&show, &[kettle]).await.unwrap();

    let issued = app
        .graphql_as_operator(ISSUE, json!({ "eventId": "evt_studio", "role": "PRIMARY" }))
        .await;
    let key = &issued["data"]["issueStreamKey"];
    assert_eq!(key["role"], "PRIMARY");
    let rtmp_url = key["rtmpUrl"].as_str().unwrap().to_owned();
    let srt_url = key["srtUrl"].as_str().unwrap();
    assert!(
        srt_url.starts_with("srt://127.0.0.1:")
            && srt_url.ends_with(&format!(
                "?streamid=#!::r=live/{},m=publish",
                key["key"].as_str().unwrap()
            )),
        "{srt_url}"
    );
    // The site's host, with the port the listener got.
    assert!(
        rtmp_url.starts_with("rtmp://127.0.0.1:") && rtmp_url.ends_with("/live"),
        "{rtmp_url}"
    );
    let key = key["key"].as_str().unwrap().to_owned();

    // Viewers cannot issue keys, and an unknown show has none.
    let refused = app
        .graphql(ISSUE, json!({ "eventId": "evt_studio", "role": "BACKUP" }))
        .await;
    assert_eq!(refused["errors"][0]["errorType"], "Unauthorized", "{refused}");
    let unknown = app
        .graphql_as_operator(ISSUE, json!({ "eventId": "evt_nope", "role": "BACKUP" }))
        .await;
    assert_eq!(unknown["errors"][0]["errorType"], "BadRequestException", "{unknown}");

    // A wrong key: the encoder is told, and gives up.
    let (ok, said) = ended(broadcaster(&format!("{rtmp_url}/not-the-key"), 3)).await;
    assert!(!ok && said.contains("unknown stream key"), "{said}");

    // The right key: the ladder appears where the show's player looks.
    let on_air = broadcaster(&format!("{rtmp_url}/{key}"), 12);
    let live = app.dir.path().join("data/media/studio/live");
    let mut waited = 0;
    while segments(&live.join("180p/index.m3u8")) < 3 || segments(&live.join("360p/index.m3u8")) < 3 {
        waited += 1;
        assert!(
            waited < 200,
            "no ladder after 20 s: {:?}",
            std::fs::read_dir(&live).ok().map(|d| d.count())
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The show is said live (its player sent here) once every rung has three segments, at the next tag.
    let mut stored = None;
    for _ in 0..50 {
        stored = app.store.event_by_id("evt_studio").await.unwrap().unwrap().live_url;
        if stored.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored.as_deref(), Some("/media/studio/live/master.m3u8"));

    // The operator sees the encoder as it arrives: its picture, its rates, its keyframes, and the transcoder's pace.
    let status = stream_status_when(&app, "studio", |s| {
        s["encoders"][0]["frameRate"].is_number() && s["transcoder"]["speed"].is_number()
    })
    .await;
    assert_eq!(status["state"], "LIVE", "{status}");
    assert_eq!(status["liveUrl"], "/media/studio/live/master.m3u8");
    let encoder = &status["encoders"][0];
    assert_eq!(
        (
            &encoder["role"],
            &encoder["onAir"],
            &encoder["width"],
            &encoder["height"]
        ),
        (&json!("PRIMARY"), &json!(true), &json!(640), &json!(360)),
        "{status}"
    );
    let frame_rate = encoder["frameRate"].as_f64().unwrap();
    assert!((29.0..=31.0).contains(&frame_rate), "{status}");
    assert_eq!(encoder["keyframeInterval"], 1.0, "{status}");
    let bitrate = encoder["bitrateKbps"].as_u64().unwrap();
    assert!((50..5_000).contains(&bitrate), "{status}");
    assert!(status["transcoder"]["droppedFrames"].is_number(), "{status}");
    assert_eq!(status["warnings"], json!(["NO_BACKUP"]), "{status}");
    // A viewer reads where the stream stands, not the readings.
    let viewer = app
        .graphql(
            "query($slug: String!) { event(slug: $slug) { streamStatus { state encoders { role } } } }",
            json!({ "slug": "studio" }),
        )
        .await;
    assert!(
        viewer["data"]["event"]["streamStatus"]["encoders"].is_null(),
        "{viewer}"
    );
    assert_eq!(viewer["errors"][0]["errorType"], "Unauthorized", "{viewer}");
    let master = app.get("/media/studio/live/master.m3u8").await;
    assert_eq!(master.status(), 200);
    let master = master.text().await.unwrap();
    assert_eq!(master.matches("#EXT-X-STREAM-INF").count(), 2, "{master}");
    // The server's own: measured against the ladder, with the codecs (ffmpeg 5.1 writes neither right).
    assert!(
        master
            .contains("BANDWIDTH=646000,AVERAGE-BANDWIDTH=596000,RESOLUTION=640x360,CODECS=\"avc1.64001f,mp4a.40.2\""),
        "{master}"
    );

    // Each rung is H.264 at its height with AAC, and segments of about a second.
    for (rung, height) in [("360p", 360), ("180p", 180)] {
        let probed = probe(&app.url(&format!("/media/studio/live/{rung}/index.m3u8"))).await;
        let streams = probed["streams"].as_array().unwrap();
        assert!(
            streams
                .iter()
                .any(|s| s["codec_name"] == "h264" && s["height"] == height),
            "{rung}: {probed}"
        );
        assert!(streams.iter().any(|s| s["codec_name"] == "aac"), "{rung}: {probed}");
        let playlist = std::fs::read_to_string(live.join(rung).join("index.m3u8")).unwrap();
        assert!(playlist.contains("#EXT-X-TARGETDURATION:1"), "{playlist}");
        assert!(playlist.contains("#EXT-X-DISCONTINUITY-SEQUENCE:0"), "{playlist}");
        // Dated from the stream's arrival: the first segment within seconds of the publish.
        let date = playlist
            .lines()
            .find_map(|l| l.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:"))
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .expect("dated segments");
        assert!((date.to_utc() - now).num_seconds().abs() < 60, "{date}");
    }

    // A second publisher on the key in use is refused; the first goes on.
    let (ok, said) = ended(broadcaster(&format!("{rtmp_url}/{key}"), 3)).await;
    assert!(!ok && said.contains("already publishing"), "{said}");
    let (ok, said) = ended(on_air).await;
    assert!(ok, "the broadcaster published to its end: {said}");
    // Nothing publishes now: the show is interrupted, not over.
    let status = stream_status_when(&app, "studio", |s| s["state"] == "INTERRUPTED").await;
    assert_eq!(status["encoders"], json!([]), "{status}");

    // What is not RTMP is dropped; the ingest stays up for the next encoder.
    let port = rtmp_url.rsplit_once(':').unwrap().1.trim_end_matches("/live");
    let mut garbage = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    garbage.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    garbage.write_all(&[0u8; 4096]).await.unwrap();
    let mut sink = Vec::new();
    let closed = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut garbage, &mut sink),
    )
    .await;
    assert!(closed.is_ok(), "a connection that is not RTMP is closed");
    let recorded = std::fs::read_to_string(app.dir.path().join("data/media/studio/recording/360p/index.m3u8")).unwrap();
    let (ok, said) = ended(broadcaster(&format!("{rtmp_url}/{key}"), 3)).await;
    assert!(ok, "the key publishes again once free: {said}");

    // The show carries on where it was: the numbering goes on, the new encoding after a discontinuity, and the
    // recording has every segment of both.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let recording =
        std::fs::read_to_string(app.dir.path().join("data/media/studio/recording/360p/index.m3u8")).unwrap();
    assert!(recording.contains("#EXT-X-PLAYLIST-TYPE:EVENT"), "{recording}");
    assert!(recording.contains("#EXT-X-MEDIA-SEQUENCE:0\n"), "{recording}");
    assert_eq!(recording.matches("#EXT-X-DISCONTINUITY\n").count(), 1, "{recording}");
    assert!(recording.starts_with(&recorded[..recorded.find("#EXTINF").unwrap()]));
    assert!(segments_in(&recording) > segments_in(&recorded), "{recording}");
    let window = std::fs::read_to_string(live.join("360p/index.m3u8")).unwrap();
    assert!(window.contains("#EXT-X-DISCONTINUITY\n"), "{window}");
    let probed = probe(&app.url("/media/studio/recording/360p/index.m3u8")).await;
    assert!(has_video(&probed), "{probed}");

    // The operator ends the show while an encoder is on air: it is ended, the recording is the replay, and no
    // encoder is admitted any more.
    let recorded_before = seconds_in(
        &std::fs::read_to_string(app.dir.path().join("data/media/studio/recording/360p/index.m3u8")).unwrap(),
    );
    let on_air = broadcaster(&format!("{rtmp_url}/{key}"), 30);
    let before = segments(&live.join("360p/index.m3u8"));
    while segments(&live.join("360p/index.m3u8")) < before + 2 {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The kettle is picked up on air: the replay has it at that moment of the recording.
    app.set_pickup("evt_studio", Some("prd_kettle"), true).await;
    const END: &str = "mutation End($eventId: ID!) { endShow(eventId: $eventId) { status archiveUrl } }";
    let ended_show = app.graphql_as_operator(END, json!({ "eventId": "evt_studio" })).await;
    assert_eq!(ended_show["data"]["endShow"]["status"], "ENDED", "{ended_show}");
    assert_eq!(
        ended_show["data"]["endShow"]["archiveUrl"],
        "/media/studio/recording/master.m3u8"
    );
    let (ok, _) = ended(on_air).await;
    assert!(!ok, "the server ended the encoder's publish");
    let recording = app.dir.path().join("data/media/studio/recording/360p/index.m3u8");
    let mut waited = 0;
    while !std::fs::read_to_string(&recording)
        .unwrap()
        .ends_with("#EXT-X-ENDLIST\n")
    {
        waited += 1;
        assert!(waited < 100, "the recording is not final after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let replay = std::fs::read_to_string(&recording).unwrap();
    assert!(replay.contains("#EXT-X-PLAYLIST-TYPE:VOD\n"), "{replay}");
    assert_eq!(
        replay.matches("#EXT-X-DISCONTINUITY\n").count(),
        2,
        "three sessions: {replay}"
    );
    let probed = probe(&app.url("/media/studio/recording/master.m3u8")).await;
    assert!(has_video(&probed), "{probed}");
    let timeline = app
        .graphql(
            "query { event(slug: \"studio\") { replayPickups { productId visible offset } } }",
            json!({}),
        )
        .await;
    let pickups = timeline["data"]["event"]["replayPickups"].as_array().unwrap().clone();
    assert_eq!(pickups.len(), 1, "{timeline}");
    assert_eq!(
        (&pickups[0]["productId"], &pickups[0]["visible"]),
        (&json!("prd_kettle"), &json!(true))
    );
    let offset = pickups[0]["offset"].as_f64().unwrap();
    assert!(
        offset >= recorded_before + 1.0 && offset <= seconds_in(&replay),
        "picked up {offset} s into a replay of {} s, whose last session began at {recorded_before} s",
        seconds_in(&replay)
    );
    let status = stream_status(&app, "studio").await;
    assert_eq!(
        (&status["state"], &status["archiveUrl"]),
        (&json!("ENDED"), &json!("/media/studio/recording/master.m3u8")),
        "{status}"
    );
    let (ok, said) = ended(broadcaster(&format!("{rtmp_url}/{key}"), 3)).await;
    assert!(!ok && said.contains("the show has ended"), "{said}");
    let unknown = app.graphql_as_operator(END, json!({ "eventId": "evt_nope" })).await;
    assert_eq!(unknown["errors"][0]["errorType"], "BadRequestException", "{unknown}");
}

/// Whether ffprobe found H.264 video.
fn has_video(probed: &Value) -> bool {
    probed["streams"]
        .as_array()
        .is_some_and(|streams| streams.iter().any(|s| s["codec_name"] == "h264"))
}

/// The seconds a playlist's segments last.
fn seconds_in(playlist: &str) -> f64 {
    playlist
        .lines()
        .filter_map(|line| line.strip_prefix("#EXTINF:"))
        .filter_map(|value| value.trim_end_matches(',').parse::<f64>().ok())
        .sum()
}

fn segments_in(playlist: &str) -> usize {
    playlist.matches("#EXTINF").count()
}

/// The media sequence numbers of a playlist's segments, in order.
fn sequence(playlist: &str) -> Vec<u64> {
    let first: u64 = playlist
        .lines()
        .find_map(|line| line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let count = playlist.matches("#EXTINF").count() as u64;
    (first..first + count).collect()
}

#[tokio::test]
async fn when_the_primary_encoder_stops_the_backup_carries_the_show_on_in_the_same_stream() {
    let app = TestApp::spawn_configured(|config| config.ingest_ladder = "180:150:64".into()).await;
    let now = chrono::Utc::now();
    let show = EventRecord::new("evt_backup", "backup", "Backup", now - chrono::Duration::minutes(5));
    app.store.create_event(&show, &[]).await.unwrap();
    let mut urls = Vec::new();
    for role in ["PRIMARY", "BACKUP"] {
        let issued = app
            .graphql_as_operator(ISSUE, json!({ "eventId": "evt_backup", "role": role }))
            .await;
        let key = &issued["data"]["issueStreamKey"];
        urls.push(format!(
            "{}/{}",
            key["rtmpUrl"].as_str().unwrap(),
            key["key"].as_str().unwrap()
        ));
    }
    let playlist = app.dir.path().join("data/media/backup/live/180p/index.m3u8");
    let wait_for = |segments_wanted: usize| {
        let playlist = playlist.clone();
        async move {
            for _ in 0..300 {
                if segments(&playlist) >= segments_wanted {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("fewer than {segments_wanted} segments after 15 s");
        }
    };

    // A viewer's page follows the stream live.
    let mut page = app
        .subscribe(
            "status",
            "subscription($e: ID!) { onStreamStatus(eventId: $e) { eventId state liveUrl } }",
            json!({ "e": "evt_backup" }),
        )
        .await;
    let mut primary = broadcaster(&urls[0], 60);
    let told = page.recv_data().await;
    assert_eq!(
        told["payload"]["data"]["onStreamStatus"],
        json!({ "eventId": "evt_backup", "state": "LIVE", "liveUrl": "/media/backup/live/master.m3u8" }),
        "{told}"
    );
    wait_for(3).await;
    let backup = broadcaster(&urls[1], 60);
    // The backup publishes too, off air, while the primary carries the show.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let before = std::fs::read_to_string(&playlist).unwrap();
    let on_air_before = segments(&playlist);

    // The primary's encoder dies; the stream goes on from the backup, with no gap a player would notice.
    primary.start_kill().unwrap();
    let killed = std::time::Instant::now();
    let mut last_change = killed;
    let mut longest_gap = Duration::ZERO;
    let mut count = on_air_before;
    while segments(&playlist) < on_air_before + 5 {
        assert!(
            killed.elapsed() < Duration::from_secs(20),
            "the stream stopped after the primary did"
        );
        let now_count = segments(&playlist);
        if now_count != count {
            longest_gap = longest_gap.max(last_change.elapsed());
            last_change = std::time::Instant::now();
            count = now_count;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        longest_gap < Duration::from_millis(2_500),
        "a segment took {longest_gap:?} at the switch"
    );
    let status = stream_status_when(&app, "backup", |s| {
        s["encoders"].as_array().is_some_and(|e| e.len() == 1)
    })
    .await;
    assert_eq!(
        (
            &status["state"],
            &status["encoders"][0]["role"],
            &status["encoders"][0]["onAir"]
        ),
        (&json!("LIVE"), &json!("BACKUP"), &json!(true)),
        "{status}"
    );
    let after = std::fs::read_to_string(&playlist).unwrap();
    assert!(
        !after.contains("#EXT-X-DISCONTINUITY\n"),
        "one continuous stream:\n{after}"
    );
    // The same transcoder went on: the numbering carries on from before the switch.
    let (before, after) = (sequence(&before), sequence(&after));
    assert!(
        after.first() >= before.first() && after.last() > before.last(),
        "{before:?} then {after:?}"
    );

    // Everything on air decodes cleanly across the switch (read as a finished playlist: a live one is followed).
    drop(backup);
    // The page hears that the show is interrupted (and puts up its slate).
    loop {
        let told = page.recv_data().await;
        if told["payload"]["data"]["onStreamStatus"]["state"] == "INTERRUPTED" {
            break;
        }
    }
    let finished = playlist.with_file_name("finished.m3u8");
    std::fs::write(
        &finished,
        std::fs::read_to_string(&playlist).unwrap() + "#EXT-X-ENDLIST\n",
    )
    .unwrap();
    let decoded = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&finished)
        .args(["-f", "null", "-"])
        .output()
        .await
        .unwrap();
    let errors = String::from_utf8_lossy(&decoded.stderr);
    assert!(decoded.status.success() && errors.trim().is_empty(), "{errors}");
}

#[tokio::test]
async fn a_stream_without_sound_gets_a_silent_track_and_one_without_a_picture_is_refused() {
    let app = TestApp::spawn_configured(|config| config.ingest_ladder = "180:150:64".into()).await;
    let show = EventRecord::new("evt_quiet", "quiet", "Quiet", chrono::Utc::now());
    app.store.create_event(&show, &[]).await.unwrap();
    let issued = app
        .graphql_as_operator(ISSUE, json!({ "eventId": "evt_quiet", "role": "PRIMARY" }))
        .await;
    let key = &issued["data"]["issueStreamKey"];
    let url = format!("{}/{}", key["rtmpUrl"].as_str().unwrap(), key["key"].as_str().unwrap());

    // Sound only: after 5 s without a picture the encoder is told why, and nothing went on air.
    let (ok, said) = ended(broadcaster_of(&url, 20, false, true)).await;
    assert!(!ok && said.contains("the stream has no video"), "{said}");
    assert_eq!(stream_status(&app, "quiet").await["state"], "WAITING");

    // A picture only: the ladder has a silent AAC track, as its playlist says, and plays.
    let silent = broadcaster_of(&url, 8, true, false);
    let rung = app.dir.path().join("data/media/quiet/live/180p/index.m3u8");
    let mut waited = 0;
    while segments(&rung) < 3 {
        waited += 1;
        assert!(waited < 200, "no segments after 20 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stream_status_when(&app, "quiet", |s| s["state"] == "LIVE").await;
    let probed = probe(&app.url("/media/quiet/live/180p/index.m3u8")).await;
    let streams = probed["streams"].as_array().unwrap();
    assert!(streams.iter().any(|s| s["codec_name"] == "h264"), "{probed}");
    assert!(streams.iter().any(|s| s["codec_name"] == "aac"), "{probed}");
    let (ok, said) = ended(silent).await;
    assert!(ok, "{said}");
    // The silence ended with the picture: the show is interrupted, not left running.
    stream_status_when(&app, "quiet", |s| s["state"] == "INTERRUPTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_srt_caller_with_the_key_and_the_passphrase_goes_on_air_and_others_are_refused() {
    const PASSPHRASE: &str = "correct horse battery";
    let app = TestApp::spawn_configured(|config| {
        config.ingest_ladder = "360:500:96,180:150:64".into();
        config.srt_passphrase = Some(caravan_server::secret::Secret::new(PASSPHRASE.into()));
    })
    .await;
    let show = EventRecord::new("evt_srt", "srt", "SRT", chrono::Utc::now());
    app.store.create_event(&show, &[]).await.unwrap();
    let issued = app
        .graphql_as_operator(ISSUE, json!({ "eventId": "evt_srt", "role": "PRIMARY" }))
        .await;
    let srt_url = issued["data"]["issueStreamKey"]["srtUrl"].as_str().unwrap().to_owned();
    let with = |url: &str, passphrase: &str| format!("{url}&passphrase={passphrase}&pbkeylen=16");

    // A wrong key, a wrong passphrase, no passphrase, a caller that wants to watch: refused in the handshake.
    let wrong_key = srt_url.replace("r=live/", "r=live/not");
    let watcher = srt_url.replace("m=publish", "m=request");
    for (refused, because) in [
        (with(&wrong_key, PASSPHRASE), "Application-defined rejection reason"),
        (with(&srt_url, "not the passphrase at all"), "Incorrect passphrase"),
        (srt_url.clone(), "Password required"),
        (with(&watcher, PASSPHRASE), "Application-defined rejection reason"),
    ] {
        let (ok, said) = ended(srt_broadcaster(&refused, 3)).await;
        assert!(
            !ok && said.contains(because),
            "{refused} was refused ({because}): {said}"
        );
    }
    assert_eq!(stream_status(&app, "srt").await["state"], "WAITING");

    // Garbage datagrams (no handshake, broken handshakes, oversized) harm nothing.
    let port: u16 = srt_url["srt://127.0.0.1:".len()..]
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let garbage = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..500u32 {
        let mut datagram = vec![0u8; (i as usize * 37) % 1500 + 1];
        for (j, byte) in datagram.iter_mut().enumerate() {
            *byte = (i.wrapping_mul(2_654_435_761) >> (j % 24)) as u8 ^ j as u8;
        }
        // Every fourth looks like a control packet (the high bit), a handshake's type in its second word.
        if i % 4 == 0 && datagram.len() > 16 {
            datagram[0] = 0x80;
            datagram[1] = 0x00;
        }
        garbage.send_to(&datagram, ("127.0.0.1", port)).unwrap();
    }

    // The right key and passphrase: on air, in the ladder, the picture measured as over RTMP.
    let on_air = srt_broadcaster(&with(&srt_url, PASSPHRASE), 30);
    let status = stream_status_when(&app, "srt", |s| {
        s["state"] == "LIVE" && s["encoders"][0]["frameRate"].is_number()
    })
    .await;
    let encoder = &status["encoders"][0];
    assert_eq!(
        (&encoder["width"], &encoder["height"]),
        (&json!(640), &json!(360)),
        "{status}"
    );
    let frame_rate = encoder["frameRate"].as_f64().unwrap();
    assert!((29.0..=31.0).contains(&frame_rate), "{status}");
    assert_eq!(encoder["keyframeInterval"], 1.0, "{status}");
    for rung in ["360p", "180p"] {
        let probed = probe(&app.url(&format!("/media/srt/live/{rung}/index.m3u8"))).await;
        let codecs: Vec<&str> = probed["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["codec_name"].as_str())
            .collect();
        assert_eq!(codecs, ["h264", "aac"], "{rung}: {probed}");
    }

    // A second caller on the key in use: refused, and the first stays on air.
    let (ok, said) = ended(srt_broadcaster(&with(&srt_url, PASSPHRASE), 3)).await;
    assert!(!ok, "a second publisher is refused: {said}");
    assert_eq!(stream_status(&app, "srt").await["state"], "LIVE");

    // The caller goes: the show is interrupted, not over.
    drop(on_air);
    stream_status_when(&app, "srt", |s| s["state"] == "INTERRUPTED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4k_encoder_is_transcoded_below_its_size_and_the_other_shows_go_on() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now();
    for (id, slug) in [("evt_uhd", "uhd"), ("evt_small", "small")] {
        app.store
            .create_event(&EventRecord::new(id, slug, slug, now), &[])
            .await
            .unwrap();
    }
    let url_for = |id: &'static str| {
        let app = &app;
        async move {
            let issued = app
                .graphql_as_operator(ISSUE, json!({ "eventId": id, "role": "PRIMARY" }))
                .await;
            let key = &issued["data"]["issueStreamKey"];
            format!("{}/{}", key["rtmpUrl"].as_str().unwrap(), key["key"].as_str().unwrap())
        }
    };
    // A 4K clip at a few frames a second: the picture is 4K, and the test leaves the machine's cores to the others.
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("uhd.flv");
    let made = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin"])
        .args(["-f", "lavfi", "-i", "testsrc2=size=3840x2160:rate=5"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-t",
            "3",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "5",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-c:a", "aac", "-f", "flv"])
        .arg(&clip)
        .status()
        .await
        .unwrap();
    assert!(made.success());
    let small = broadcaster(&url_for("evt_small").await, 60);
    let uhd = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-re",
            "-stream_loop",
            "-1",
            "-i",
        ])
        .arg(&clip)
        .args(["-c", "copy", "-f", "flv", &url_for("evt_uhd").await])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // The 4K encoder is on air, read as what it is, and made into the ladder below it.
    let mut status = Value::Null;
    for _ in 0..300 {
        status = stream_status(&app, "uhd").await;
        if status["state"] == "LIVE"
            && status["encoders"][0]["width"].is_number()
            && status["transcoder"]["speed"].is_number()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status["state"], "LIVE", "{status}");
    assert_eq!(
        (&status["encoders"][0]["width"], &status["encoders"][0]["height"]),
        (&json!(3840), &json!(2160)),
        "{status}"
    );
    let master = app.get("/media/uhd/live/master.m3u8").await.text().await.unwrap();
    assert!(
        master.contains("RESOLUTION=1280x720") && master.contains("RESOLUTION=640x360"),
        "{master}"
    );
    assert!(!master.contains("2160"), "no rung above the default ladder: {master}");
    let probed = probe(&app.url("/media/uhd/live/720p/index.m3u8")).await;
    assert_eq!(probed["streams"][0]["height"], 720, "{probed}");
    // A transcoder that cannot keep up says so to the operator.
    if status["transcoder"]["speed"].as_f64().unwrap() < 0.97 {
        assert!(
            status["warnings"]
                .as_array()
                .unwrap()
                .contains(&json!("TRANSCODER_TOO_SLOW")),
            "{status}"
        );
    }

    // The other show goes on beside it: live, its playlist moving.
    let small_status = stream_status_when(&app, "small", |s| s["state"] == "LIVE").await;
    assert_eq!(small_status["encoders"][0]["height"], 360, "{small_status}");
    let count = |text: String| text.matches("#EXTINF").count();
    let before = app.get("/media/small/live/360p/index.m3u8").await.text().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = app.get("/media/small/live/360p/index.m3u8").await.text().await.unwrap();
    let last = |text: &str| text.lines().rfind(|l| l.ends_with(".ts")).map(str::to_owned);
    assert_ne!(last(&before), last(&after), "new segments: {after}");
    assert!(count(after) >= 3);
    assert_eq!(app.get("/healthz").await.status(), 200);
    drop((small, uhd));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passthrough_rung_carries_the_encoders_own_picture_above_the_encoded_ones() {
    let app = TestApp::spawn_configured(|config| {
        config.ingest_ladder = "360:500:96,180:150:64".into();
        config.ingest_passthrough = true;
    })
    .await;
    let show = EventRecord::new("evt_copy", "copy", "Copy", chrono::Utc::now());
    app.store.create_event(&show, &[]).await.unwrap();
    let issued = app
        .graphql_as_operator(ISSUE, json!({ "eventId": "evt_copy", "role": "PRIMARY" }))
        .await;
    let key = &issued["data"]["issueStreamKey"];
    let on_air = broadcaster(
        &format!("{}/{}", key["rtmpUrl"].as_str().unwrap(), key["key"].as_str().unwrap()),
        30,
    );
    stream_status_when(&app, "copy", |s| s["state"] == "LIVE").await;

    // The encoder's picture on top, with its own profile and level (x264 ultrafast: Constrained Baseline, level 3.0);
    // no encoded rung at its height; the encoded one below it, High.
    let master = app.get("/media/copy/live/master.m3u8").await.text().await.unwrap();
    let rungs: Vec<&str> = master.lines().filter(|line| line.ends_with(".m3u8")).collect();
    assert_eq!(rungs, ["source/index.m3u8", "180p/index.m3u8"], "{master}");
    assert!(
        master.contains("RESOLUTION=640x360,CODECS=\"avc1.42c01e,mp4a.40.2\"\nsource/index.m3u8"),
        "{master}"
    );
    let profile = |probed: &Value| probed["streams"][0]["profile"].as_str().map(str::to_owned);
    let source = probe_profile(&app.url("/media/copy/live/source/index.m3u8")).await;
    assert_eq!(
        (profile(&source).as_deref(), &source["streams"][0]["height"]),
        (Some("Constrained Baseline"), &json!(360)),
        "{source}"
    );
    let encoded = probe_profile(&app.url("/media/copy/live/180p/index.m3u8")).await;
    assert_eq!(
        (profile(&encoded).as_deref(), &encoded["streams"][0]["height"]),
        (Some("High"), &json!(180)),
        "{encoded}"
    );
    drop(on_air);
}

/// What ffprobe says of a stream's video: its profile and height.
async fn probe_profile(url: &str) -> Value {
    let output = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=profile,height",
            "-of",
            "json",
            url,
        ])
        .output()
        .await
        .expect("ffprobe runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}
