//! Paid shows end to end over HTTP: the playback authorization and its signed cookies, the operator's grant, the
//! media gate and the ClearKey license server.

use crate::support::{TestApp, cookie_header, set_cookies};
use caravan_server::store::{Access, EventRecord};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, cookies: &str, body: Value) -> (u16, Vec<String>, Value) {
    let response = app
        .client
        .post(app.url(path))
        .header("cookie", cookies)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let set = set_cookies(&response);
    let text = response.text().await.unwrap();
    (status, set, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn get_response(app: &TestApp, path: &str, cookies: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("cookie", cookies)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, path: &str, cookies: &str) -> (u16, String) {
    let response = get_response(app, path, cookies).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The policy JSON of the `CloudFront-Policy` cookie among `set`.
fn policy_of(set: &[String]) -> String {
    let policy = set
        .iter()
        .find_map(|c| c.strip_prefix("CloudFront-Policy="))
        .and_then(|c| c.split(';').next())
        .expect("a CloudFront-Policy cookie");
    String::from_utf8(caravan_server::access::cloudfront::decode(policy).unwrap()).unwrap()
}

async fn grant(app: &TestApp, token: Option<&str>, body: Value) -> u16 {
    let mut request = app.client.post(app.url("/api/admin/entitlements")).json(&body);
    if let Some(token) = token {
        request = request.header("authorization", token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_show_opens_with_terms_and_a_ticket_and_its_media_and_keys_only_then() {
    let app = TestApp::spawn().await;
    let media = app.dir.path().join("data/media/demo/clearkey");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("master.m3u8"), "#EXTM3U\n").unwrap();
    app.put_demo_key().await;

    // A free show plays at once.
    let (status, set, answer) = post(&app, "/api/playback/demo", "", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["manifestUrl"], "/media/demo/live/master.m3u8");
    assert!(answer["drm"].is_null());
    assert!(
        set.iter()
            .any(|c| c.starts_with("caravan_viewer=") && c.contains("HttpOnly")),
        "{set:?}"
    );

    // The paid show: terms first, then a ticket.
    let (status, set, answer) = post(&app, "/api/playback/demo-paid", "", json!({})).await;
    assert_eq!((status, answer["reason"].as_str()), (403, Some("terms")), "{answer}");
    let viewer = cookie_header(&set);
    let viewer_id = answer["viewerId"].as_str().unwrap().to_string();
    let (status, set, answer) = post(&app, "/api/playback/demo-paid", &viewer, json!({ "acceptTerms": true })).await;
    assert_eq!(
        (status, answer["reason"].as_str()),
        (403, Some("entitlement")),
        "{answer}"
    );
    assert!(set.is_empty(), "the viewer keeps their id");
    assert_eq!(answer["viewerId"], viewer_id.as_str());
    assert_eq!(get(&app, "/media/demo/clearkey/master.m3u8", &viewer).await.0, 403);

    // Only the operator grants.
    let ticket = json!({ "slug": "demo-paid", "viewerId": viewer_id, "kind": "ticket" });
    assert_eq!(grant(&app, None, ticket.clone()).await, 401);
    assert_eq!(grant(&app, Some("wrong"), ticket.clone()).await, 401);
    assert_eq!(
        grant(
            &app,
            Some(&app.operator_token),
            json!({ "slug": "demo-paid", "viewerId": "x", "kind": "ticket" })
        )
        .await,
        400
    );
    assert_eq!(
        grant(
            &app,
            Some(&app.operator_token),
            json!({ "slug": "nope", "viewerId": viewer_id, "kind": "ticket" })
        )
        .await,
        404
    );
    assert_eq!(grant(&app, Some(&app.operator_token), ticket).await, 204);

    let (status, set, answer) = post(&app, "/api/playback/demo-paid", &viewer, json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["manifestUrl"], "/media/demo/clearkey/master.m3u8");
    assert_eq!(answer["drm"]["clearkey"]["licenseUrl"], "/drm/clearkey/demo-paid");
    let expires = chrono::DateTime::parse_from_rfc3339(answer["expiresAt"].as_str().unwrap()).unwrap();
    let left = expires.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((3500..=3600).contains(&left), "the configured hour: {left}");
    for name in ["CloudFront-Policy=", "CloudFront-Signature=", "CloudFront-Key-Pair-Id="] {
        let cookie = set
            .iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} in {set:?}"));
        assert!(
            cookie.contains("; Path=/media/") && cookie.contains("HttpOnly"),
            "{cookie}"
        );
    }
    let signed = format!("{viewer}; {}", cookie_header(&set));

    // The gate: the cookies open the show's folder, nothing else opens it.
    assert_eq!(get(&app, "/media/demo/clearkey/master.m3u8", &signed).await.0, 200);
    let (status, body) = get(&app, "/media/demo/clearkey/master.m3u8", &viewer).await;
    assert_eq!(status, 403);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "missing signed cookies"
    );
    for sneaky in [
        "/media/demo/clear%6Bey/master.m3u8",
        "/media/demo//clearkey/master.m3u8",
        "/media/demo/live/../clearkey/master.m3u8",
    ] {
        let (status, _) = get(&app, sneaky, &viewer).await;
        assert!(status == 403 || status == 400, "{sneaky}: {status}");
    }
    let tampered = signed.replace("CloudFront-Signature=", "CloudFront-Signature=AAAA");
    assert_eq!(get(&app, "/media/demo/clearkey/master.m3u8", &tampered).await.0, 403);

    // The license server: this show's keys, to this entitled viewer.
    let request = json!({ "kids": ["ASNFZ4mrze8BI0VniavN7w"], "type": "temporary" });
    let (status, _, license) = post(&app, "/drm/clearkey/demo-paid", &viewer, request.clone()).await;
    assert_eq!(status, 200, "{license}");
    assert_eq!(
        license,
        json!({ "keys": [{ "kty": "oct", "kid": "ASNFZ4mrze8BI0VniavN7w", "k": "ABEiM0RVZneImaq7zN3u_w" }], "type": "temporary" })
    );
    let (status, _, _) = post(&app, "/drm/clearkey/demo-paid", "", request.clone()).await;
    assert_eq!(status, 401, "no viewer session");
    let (status, _, _) = post(&app, "/drm/clearkey/demo", &viewer, request.clone()).await;
    assert_eq!(status, 404, "another show's license server has no such key");
    let (status, _, _) = post(&app, "/drm/clearkey/demo-paid", &viewer, json!({ "kids": ["short"] })).await;
    assert_eq!(status, 400);
    let big = json!({ "kids": vec!["ASNFZ4mrze8BI0VniavN7w"; 500] });
    let (status, _, _) = post(&app, "/drm/clearkey/demo-paid", &viewer, big).await;
    assert_eq!(status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rental_authorizes_until_it_ends() {
    let app = TestApp::spawn().await;
    let (_, set, answer) = post(&app, "/api/playback/demo-paid", "", json!({ "acceptTerms": true })).await;
    let viewer = cookie_header(&set);
    let rental = json!({ "slug": "demo-paid", "viewerId": answer["viewerId"], "kind": "rental" });
    assert_eq!(grant(&app, Some(&app.operator_token), rental).await, 204);
    let entitlement = app
        .store
        .entitlement(answer["viewerId"].as_str().unwrap(), "evt_demo_paid")
        .await
        .unwrap()
        .unwrap();
    let ends = entitlement.expires_at.unwrap();
    assert_eq!(ends - entitlement.granted_at, chrono::Duration::hours(48));
    let (status, _, answer) = post(&app, "/api/playback/demo-paid", &viewer, json!({})).await;
    assert_eq!(status, 200, "{answer}");

    // The rental is past its end (as if 48 h went by): refused, with the reason.
    app.store
        .grant(&caravan_server::store::EntitlementRecord {
            expires_at: Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
            ..entitlement
        })
        .await
        .unwrap();
    let (status, _, answer) = post(&app, "/api/playback/demo-paid", &viewer, json!({})).await;
    assert_eq!((status, answer["reason"].as_str()), (403, Some("expired")), "{answer}");
    let (status, _, _) = post(&app, "/api/playback/demo-paid", &viewer, json!({ "surprise": 1 })).await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_can_be_bound_to_the_viewers_address() {
    let app = TestApp::spawn_configured(|config| config.cf_bind_viewer_ip = true).await;
    let media = app.dir.path().join("data/media/demo/clearkey");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("master.m3u8"), "#EXTM3U\n").unwrap();
    let (_, set, answer) = post(&app, "/api/playback/demo-paid", "", json!({ "acceptTerms": true })).await;
    let viewer = cookie_header(&set);
    let grant_body = json!({ "slug": "demo-paid", "viewerId": answer["viewerId"], "kind": "ticket" });
    assert_eq!(grant(&app, Some(&app.operator_token), grant_body).await, 204);
    let (status, set, _) = post(&app, "/api/playback/demo-paid", &viewer, json!({})).await;
    assert_eq!(status, 200);
    let policy = policy_of(&set);
    assert!(
        policy.contains(r#""IpAddress":{"AWS:SourceIp":"127.0.0.1/32"}"#),
        "{policy}"
    );
    // The test client is that address: the gate lets it in.
    let signed = format!("{viewer}; {}", cookie_header(&set));
    assert_eq!(get(&app, "/media/demo/clearkey/master.m3u8", &signed).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_asking_in_a_loop_is_slowed_down() {
    let app = TestApp::spawn().await;
    app.put_demo_key().await;
    let (_, set, answer) = post(&app, "/api/playback/demo-paid", "", json!({ "acceptTerms": true })).await;
    let viewer = cookie_header(&set);
    let ticket = json!({ "slug": "demo-paid", "viewerId": answer["viewerId"], "kind": "ticket" });
    assert_eq!(grant(&app, Some(&app.operator_token), ticket).await, 204);

    // 20 authorizations a minute per viewer (the first one, without a cookie, did not count).
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(post(&app, "/api/playback/demo-paid", &viewer, json!({})).await.0);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 20, "{statuses:?}");
    let response = app
        .client
        .post(app.url("/api/playback/demo-paid"))
        .header("cookie", &viewer)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=4).contains(&wait), "{wait}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().starts_with("too many requests"),
        "{body}"
    );

    // 10 license requests a minute.
    let request = json!({ "kids": ["ASNFZ4mrze8BI0VniavN7w"], "type": "temporary" });
    let mut statuses = Vec::new();
    for _ in 0..11 {
        statuses.push(post(&app, "/drm/clearkey/demo-paid", &viewer, request.clone()).await.0);
    }
    assert_eq!(statuses, [vec![200; 10], vec![429]].concat());
}

/// A ticketed show starting in an hour, with a playlist under `/media/later/`.
async fn later_show(app: &TestApp) -> chrono::DateTime<chrono::Utc> {
    let starts_at = chrono::Utc::now() + chrono::Duration::hours(1);
    let event = EventRecord {
        live_url: Some("/media/later/master.m3u8".into()),
        access: Access::Ticketed,
        media_prefix: Some("later".into()),
        ..EventRecord::new("evt_later", "later", "Later", starts_at)
    };
    app.store.create_event(&event, &[]).await.unwrap();
    let media = app.dir.path().join("data/media/later");
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("master.m3u8"), "#EXTM3U\n").unwrap();
    starts_at
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_for_a_show_not_yet_on_air_open_its_media_shortly_before_the_start() {
    for (open_before, opens_now) in [(300, false), (7200, true)] {
        let app = TestApp::spawn_configured(|config| config.cf_open_before_start_seconds = open_before).await;
        let starts_at = later_show(&app).await;
        let (viewer, _) = app.entitled_viewer("later", "ticket").await;
        let (status, set, answer) = post(&app, "/api/playback/later", &viewer, json!({})).await;
        assert_eq!(status, 200, "{answer}");
        let policy = policy_of(&set);
        let after = starts_at.timestamp() - i64::try_from(open_before).unwrap();
        assert!(
            policy.contains(&format!(r#""DateGreaterThan":{{"AWS:EpochTime":{after}}}"#)),
            "{policy}"
        );
        let signed = format!("{viewer}; {}", cookie_header(&set));
        let (status, body) = get(&app, "/media/later/master.m3u8", &signed).await;
        assert_eq!(
            status == 200,
            opens_now,
            "{open_before} s before the start: {status} {body}"
        );
    }
}

/// A request written by hand, so its `Host` is exactly `host`: (status, head and body as text).
async fn raw_post(app: &TestApp, host: &str, path: &str, cookies: &str, body: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookies}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, answer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_host_header_widens_a_ticket_to_another_paid_show() {
    let app = TestApp::spawn().await;
    // A second paid show, its media beside the first's.
    let other = EventRecord {
        live_url: Some("/media/other/master.m3u8".into()),
        access: Access::Ticketed,
        media_prefix: Some("other".into()),
        ..EventRecord::new(
            "evt_other",
            "other",
            "Other",
            chrono::Utc::now() - chrono::Duration::minutes(5),
        )
    };
    app.store.create_event(&other, &[]).await.unwrap();
    for folder in ["demo/clearkey", "other"] {
        let media = app.dir.path().join("data/media").join(folder);
        std::fs::create_dir_all(&media).unwrap();
        std::fs::write(media.join("master.m3u8"), "#EXTM3U\n").unwrap();
    }
    let (viewer, _) = app.entitled_viewer("demo-paid", "ticket").await;

    // The attack: a Host that is a wildcard, or carries a path or a wildcard, is refused before anything is signed.
    let host = app.addr.to_string();
    for forged in ["*", "*/media/*", "x?", "a/media/other", "user@x", &format!("{host} x")] {
        let (status, answer) = raw_post(&app, forged, "/api/playback/demo-paid", &viewer, "{}").await;
        assert_eq!(status, 400, "{forged}: {answer}");
        assert!(answer.contains(r#""code":"bad_host""#), "{answer}");
        assert!(!answer.contains("CloudFront-Policy"), "{answer}");
    }

    // A well-formed Host of any name signs the configured origin, never the Host's.
    let (status, answer) = raw_post(&app, "evil.example:8080", "/api/playback/demo-paid", &viewer, "{}").await;
    assert_eq!(status, 200, "{answer}");
    let set: Vec<String> = answer
        .lines()
        .filter_map(|line| line.strip_prefix("set-cookie: "))
        .map(str::to_owned)
        .collect();
    let policy: Value = serde_json::from_str(&policy_of(&set)).unwrap();
    assert_eq!(
        policy["Statement"][0]["Resource"],
        "http://127.0.0.1:3000/media/demo/clearkey/*"
    );

    // The ticket's cookies open its show's folder, and the other show's stays shut, whatever Host asks.
    let signed = format!("{viewer}; {}", cookie_header(&set));
    assert_eq!(get(&app, "/media/demo/clearkey/master.m3u8", &signed).await.0, 200);
    assert_eq!(get(&app, "/media/other/master.m3u8", &signed).await.0, 403);
    let response = app
        .client
        .get(app.url("/media/other/master.m3u8"))
        .header("cookie", &signed)
        .header("host", "*")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
}

/// The page's response, its cookies and what its `<video>` starts (`data-start`), if anything.
async fn page(app: &TestApp, path: &str, cookies: &str) -> (u16, Vec<String>, Option<Value>) {
    let response = get_response(app, path, cookies).await;
    let (status, set) = (response.status().as_u16(), set_cookies(&response));
    let html = response.text().await.unwrap();
    let start = html.split_once(" data-start=\"").map(|(_, rest)| {
        let attribute = rest.split('"').next().unwrap();
        serde_json::from_str(&html_escape::decode_html_entities(attribute)).unwrap()
    });
    (status, set, start)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_show_page_authorizes_its_viewer_as_it_renders_so_the_stream_starts_before_the_app() {
    let app = TestApp::spawn().await;
    app.put_demo_key().await;

    // A free show on air, for a newcomer: the page starts its stream, and makes the viewer.
    let (status, set, start) = page(&app, "/live/demo", "").await;
    assert_eq!(status, 200);
    let start = start.expect("the live show's page starts its stream");
    assert_eq!(start["src"], "/media/demo/live/master.m3u8");
    assert_eq!(start["config"]["liveSyncDurationCount"], 2, "the player's own settings");
    assert!(start["config"].get("drmSystems").is_none());
    assert!(set.iter().any(|c| c.starts_with("caravan_viewer=")), "{set:?}");
    let viewer = cookie_header(&set);
    // The widget too; a known viewer stays who they are.
    let (_, set, start) = page(&app, "/embed/demo", &viewer).await;
    assert_eq!(start.unwrap()["src"], "/media/demo/live/master.m3u8");
    assert!(set.iter().all(|c| !c.starts_with("caravan_viewer=")), "{set:?}");
    // The ended show's recording.
    let (_, _, start) = page(&app, "/live/demo-archive", &viewer).await;
    assert_eq!(start.unwrap()["src"], "/media/demo/archive/master.m3u8");
    // Nothing to play yet: nothing started.
    assert_eq!(page(&app, "/live/demo-upcoming", &viewer).await.2, None);

    // The paid show without a ticket: nothing started, and no cookie opens its media (the player asks, and says why).
    let (status, set, start) = page(&app, "/live/demo-paid", &viewer).await;
    assert_eq!((status, start), (200, None));
    assert!(set.iter().all(|c| !c.starts_with("CloudFront-")), "{set:?}");
    // With the terms accepted and a ticket: its encrypted stream, its license server, and the cookies of its folder.
    let (_, _, answer) = post(&app, "/api/playback/demo-paid", &viewer, json!({ "acceptTerms": true })).await;
    let ticket = json!({ "slug": "demo-paid", "viewerId": answer["viewerId"], "kind": "ticket" });
    assert_eq!(grant(&app, Some(&app.operator_token), ticket).await, 204);
    let (_, set, start) = page(&app, "/live/demo-paid", &viewer).await;
    let start = start.expect("the paid show's page starts its stream for a ticket holder");
    assert_eq!(start["src"], "/media/demo/clearkey/master.m3u8");
    assert_eq!(
        start["config"]["drmSystems"]["org.w3.clearkey"]["licenseUrl"],
        "/drm/clearkey/demo-paid"
    );
    assert!(policy_of(&set).contains("demo/clearkey"), "{set:?}");
}
