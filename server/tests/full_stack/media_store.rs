//! The S3 media path, against a real S3 protocol server (moto_server, which `./dev test` starts): the store does
//! what the local disk does, and two replicas on one PostgreSQL database and one bucket serve one stream: the
//! replica an encoder publishes to makes it (the show's lead), the other serves the same bytes, refuses a second
//! encoder for that show, and can end the show.

use std::time::Duration;

use caravan_server::{
    config::Config,
    media_store::{MediaStore, MediaStoreSettings, Read, ReadError, S3Settings, Wanted},
    secret::Secret,
    store::EventRecord,
};
use chrono::Utc;
use serde_json::json;

use crate::{
    ingest::{ISSUE, broadcaster, ended, stream_status_when},
    support::{TestApp, new_postgres_database, new_s3_bucket},
};

const ACCESS_KEY_ID: &str = "caravan-test-key";
const SECRET_ACCESS_KEY: &str = "caravan-test-secret";

fn s3_settings(endpoint: &str, bucket: &str) -> S3Settings {
    S3Settings {
        bucket: bucket.to_owned(),
        prefix: "caravan".into(),
        endpoint: Some(endpoint.to_owned()),
        region: "us-east-1".into(),
        access_key_id: ACCESS_KEY_ID.into(),
        secret_access_key: Secret::new(SECRET_ACCESS_KEY.into()),
    }
}

#[tokio::test]
async fn the_s3_store_writes_reads_lists_and_serves_ranges_like_the_disk() {
    let (endpoint, bucket) = new_s3_bucket().await;
    let store = MediaStore::open(&MediaStoreSettings::S3(s3_settings(&endpoint, &bucket))).unwrap();
    assert_eq!(store.to_string(), format!("s3://{bucket}/caravan"));
    store.put("show/live/720p/index.m3u8", "#EXTM3U\n").await.unwrap();
    store.put("show/live/360p/1.ts", vec![0x47u8; 10]).await.unwrap();
    assert_eq!(
        store.text("show/live/720p/index.m3u8").await.unwrap().as_deref(),
        Some("#EXTM3U\n")
    );
    assert_eq!(store.text("show/nothing.m3u8").await.unwrap(), None);
    assert_eq!(store.folders("show/live").await.unwrap(), ["360p", "720p"]);
    assert!(store.exists("show/live/360p/1.ts").await.unwrap());

    // Under the prefix, as S3 itself lists it.
    let listed = reqwest::get(format!(
        "{endpoint}/{bucket}?list-type=2&prefix=caravan/show/live/360p/"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(listed.contains("<Key>caravan/show/live/360p/1.ts</Key>"), "{listed}");

    let wanted = |range| Wanted {
        range,
        ..Wanted::default()
    };
    let Ok(Read::Object(part)) = store.read("show/live/360p/1.ts", wanted(Some(2..5))).await else {
        panic!("the segment is there");
    };
    assert_eq!((part.range.clone(), part.size), (2..5, 10));
    let current = Wanted {
        if_none_match: part.e_tag.clone(),
        ..Wanted::default()
    };
    assert!(matches!(
        store.read("show/live/360p/1.ts", current).await,
        Ok(Read::NotModified)
    ));
    assert!(matches!(
        store.read("show/live/360p/1.ts", wanted(Some(10..20))).await,
        Err(ReadError::RangeNotSatisfiable(10))
    ));
    assert!(matches!(
        store.read("show/none.ts", wanted(None)).await,
        Ok(Read::Missing)
    ));
    store.delete("show/live/360p/1.ts").await.unwrap();
    assert!(!store.exists("show/live/360p/1.ts").await.unwrap());

    // Wrong credentials: an error that names no secret.
    let mut wrong = s3_settings(&endpoint, "no-such-bucket-here");
    wrong.secret_access_key = Secret::new("another-secret-value".into());
    let store = MediaStore::open(&MediaStoreSettings::S3(wrong)).unwrap();
    let error = store.put("x", "y").await.unwrap_err().to_string();
    assert!(!error.contains("another-secret-value"), "{error}");
}

/// A new key for the show `evt_s3`, issued through `app`: the URL its encoder publishes to (that replica's).
async fn issue(app: &TestApp, role: &str) -> String {
    let answer = app
        .graphql_as_operator(ISSUE, json!({ "eventId": "evt_s3", "role": role }))
        .await;
    let key = &answer["data"]["issueStreamKey"];
    format!("{}/{}", key["rtmpUrl"].as_str().unwrap(), key["key"].as_str().unwrap())
}

/// A replica on the database `url` keeping its media in `bucket`.
async fn replica(url: &str, (endpoint, bucket): (&str, &str)) -> TestApp {
    let (url, endpoint, bucket) = (url.to_owned(), endpoint.to_owned(), bucket.to_owned());
    TestApp::spawn_configured(move |config: &mut Config| {
        config.database_url = Some(Secret::new(url));
        config.session_secret = Some(Secret::new("replicas share this session secret, 32+ bytes".into()));
        config.media_store = format!("s3://{bucket}/shows");
        config.s3_endpoint = Some(endpoint);
        config.s3_access_key_id = Some(ACCESS_KEY_ID.into());
        config.s3_secret_access_key = Some(Secret::new(SECRET_ACCESS_KEY.into()));
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_serve_one_stream_from_the_object_store() {
    let url = new_postgres_database().await;
    let (endpoint, bucket) = new_s3_bucket().await;
    let (a, b) = tokio::join!(replica(&url, (&endpoint, &bucket)), replica(&url, (&endpoint, &bucket)));
    a.store
        .create_event(
            &EventRecord::new("evt_s3", "s3-show", "On every replica", Utc::now()),
            &[],
        )
        .await
        .unwrap();
    let primary = issue(&a, "PRIMARY").await;
    let publisher = broadcaster(&primary, 60);

    // B reads what A reported: the stream is live, and where it is.
    let status = stream_status_when(&b, "s3-show", |s| s["state"] == "LIVE").await;
    let master = status["liveUrl"].as_str().unwrap().to_owned();
    assert_eq!(master, "/media/s3-show/live/master.m3u8");

    // The same bytes from either replica: the master, each rung's window, a segment.
    let rung = "/media/s3-show/live/360p/index.m3u8";
    let mut same = None;
    for _ in 0..50 {
        let (from_a, from_b) = tokio::join!(a.get(rung), b.get(rung));
        let (from_a, from_b) = (from_a.text().await.unwrap(), from_b.text().await.unwrap());
        if from_a == from_b && from_a.contains(".ts") {
            same = Some(from_a);
            break;
        }
        // A new segment landed between the two reads: read again.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let playlist = same.expect("both replicas serve the same playlist");
    let master_a = a.get(&master).await.bytes().await.unwrap();
    assert_eq!(master_a, b.get(&master).await.bytes().await.unwrap());
    let segment = playlist.lines().rfind(|line| line.ends_with(".ts")).unwrap();
    let segment_path = format!("/media/s3-show/live/360p/{segment}");
    let (seg_a, seg_b) = tokio::join!(a.get(&segment_path), b.get(&segment_path));
    assert_eq!(seg_b.status(), 200);
    assert_eq!(seg_b.headers()["content-type"], "video/mp2t");
    let seg_b = seg_b.bytes().await.unwrap();
    assert!(seg_b.len() > 1000 && seg_b[0] == 0x47, "an MPEG-TS segment");
    assert_eq!(seg_a.bytes().await.unwrap(), seg_b);
    // Nothing of the stream on either replica's disk: it is all in the bucket.
    for app in [&a, &b] {
        assert!(!app.dir.path().join("data/media/s3-show").exists());
    }

    // The show's stream is A's: an encoder that reaches B for it is refused, in words it shows.
    let backup = issue(&b, "BACKUP").await;
    let (succeeded, said) = ended(broadcaster(&backup, 5)).await;
    assert!(!succeeded, "refused");
    assert!(said.contains("another server"), "{said}");

    // The operator ends the show through B: A ends its encoder and makes the recording final, the replay for both.
    let ended_show = b
        .graphql_as_operator(
            "mutation($e: ID!) { endShow(eventId: $e) { archiveUrl } }",
            json!({ "e": "evt_s3" }),
        )
        .await;
    let replay = ended_show["data"]["endShow"]["archiveUrl"].as_str().unwrap().to_owned();
    assert_eq!(replay, "/media/s3-show/recording/master.m3u8", "{ended_show}");
    let (succeeded, said) = ended(publisher).await;
    assert!(!succeeded, "the encoder was ended before its 60 s: {said}");
    stream_status_when(&a, "s3-show", |s| s["state"] == "ENDED").await;
    let vod = "/media/s3-show/recording/360p/index.m3u8";
    let mut last = String::new();
    for _ in 0..100 {
        last = a.get(vod).await.text().await.unwrap();
        if last.contains("#EXT-X-ENDLIST") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        last.contains("#EXT-X-PLAYLIST-TYPE:VOD") && last.contains("#EXT-X-ENDLIST"),
        "{last}"
    );
    assert_eq!(last, b.get(vod).await.text().await.unwrap());
}
