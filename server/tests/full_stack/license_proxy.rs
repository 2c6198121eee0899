//! The DRM license proxy against a local fake license server that records what reaches it: the viewer's entitlement
//! is checked first, the challenge goes byte for byte with our credential, the answer comes back unchanged, and every
//! failure (upstream 5xx, timeout, oversized body, no entitlement, unconfigured system) is a clear JSON error.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::support::TestApp;
use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use caravan_server::{
    config::{Config, DrmUpstreamAuth},
    secret::Secret,
};
use serde_json::Value;

const SECRET: &str = "vendor-secret-7f3a";

/// What the fake license server received: the path, the headers and the body of each request.
type Seen = Arc<Mutex<Vec<(String, HeaderMap, Bytes)>>>;

/// A license server on a free port: `/widevine`, `/playready` and `/fairplay` answer like their vendors, `/broken`
/// fails with our secret in its body, `/refusing` answers 401, `/slow` takes 3 s, `/cert` is the FairPlay certificate.
async fn fake_license_server() -> (SocketAddr, Seen) {
    let seen = Seen::default();
    async fn record(State(seen): State<Seen>, uri: axum::http::Uri, headers: HeaderMap, body: Bytes) -> Bytes {
        seen.lock()
            .unwrap()
            .push((uri.path().to_string(), headers, body.clone()));
        body
    }
    let app = Router::new()
        .route(
            "/widevine",
            post(|state, uri, headers, body| async move {
                let body = record(state, uri, headers, body).await;
                let mut license = b"\x08\x02license-for:".to_vec();
                license.extend_from_slice(&body);
                ([(header::CONTENT_TYPE, "application/x-widevine-license")], license)
            }),
        )
        .route(
            "/playready",
            post(|state, uri, headers, body| async move {
                record(state, uri, headers, body).await;
                (
                    [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                    "<soap:Envelope><AcquireLicenseResponse/></soap:Envelope>",
                )
            }),
        )
        .route(
            "/fairplay",
            post(|state, uri, headers, body| async move {
                record(state, uri, headers, body).await;
                "<ckc>Q0tD</ckc>"
            }),
        )
        .route(
            "/cert",
            get(|State(seen): State<Seen>| async move {
                seen.lock()
                    .unwrap()
                    .push(("/cert".into(), HeaderMap::new(), Bytes::new()));
                vec![0x30u8, 0x82, 0x01, 0x0a]
            }),
        )
        .route(
            "/broken",
            post(|state, uri, headers, body| async move {
                record(state, uri, headers, body).await;
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("failure for credential {SECRET}"),
                )
            }),
        )
        .route(
            "/refusing",
            post(|| async { (StatusCode::UNAUTHORIZED, "bad credential").into_response() }),
        )
        .route(
            "/slow",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "too late"
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// The proxy configured for the fake server with a header credential, `widevine_path` as Widevine's license URL.
fn configure(config: &mut Config, upstream: SocketAddr, widevine_path: &str) {
    config.drm_widevine_license_url = Some(format!("http://{upstream}{widevine_path}"));
    config.drm_playready_license_url = Some(format!("http://{upstream}/playready"));
    config.drm_fairplay_license_url = Some(format!("http://{upstream}/fairplay"));
    config.drm_fairplay_certificate_url = Some(format!("http://{upstream}/cert"));
    config.drm_upstream_auth = DrmUpstreamAuth::Header;
    config.drm_upstream_header = Some("x-dt-custom-data".into());
    config.drm_upstream_secret = Some(Secret::new(SECRET.to_string()));
    config.drm_upstream_timeout_ms = 500;
    config.drm_license_max_bytes = 1024;
}

async fn license(
    app: &TestApp,
    path: &str,
    cookies: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).header("cookie", cookies).body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn json_error(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A Widevine challenge as a CDM sends it: binary, not valid UTF-8.
fn challenge() -> Vec<u8> {
    vec![0x08, 0x04, 0xff, 0xfe, 0x00, 0x80, b'c', b'h', b'a', b'l']
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licenses_go_byte_for_byte_with_our_credential_and_come_back_unchanged() {
    let (upstream, seen) = fake_license_server().await;
    let app = TestApp::spawn_configured(|config| configure(config, upstream, "/widevine")).await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "ticket").await;
    app.put_demo_key().await;

    // The playback answer offers every configured system through the proxy.
    let answer: Value = license(&app, "/api/playback/demo-paid", &viewer, &[], Vec::new())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["drm"]["widevine"]["licenseUrl"], "/drm/widevine/demo-paid",
        "{answer}"
    );
    assert_eq!(answer["drm"]["playready"]["licenseUrl"], "/drm/playready/demo-paid");
    assert_eq!(answer["drm"]["fairplay"]["licenseUrl"], "/drm/fairplay/demo-paid");
    assert_eq!(answer["drm"]["fairplay"]["certificateUrl"], "/drm/fairplay/certificate");
    assert_eq!(answer["drm"]["clearkey"]["licenseUrl"], "/drm/clearkey/demo-paid");

    let response = license(
        &app,
        "/drm/widevine/demo-paid",
        &viewer,
        &[("content-type", "application/octet-stream")],
        challenge(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-widevine-license");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let mut expected = b"\x08\x02license-for:".to_vec();
    expected.extend_from_slice(&challenge());
    assert_eq!(response.bytes().await.unwrap(), expected);
    {
        let seen = seen.lock().unwrap();
        let (path, headers, body) = seen.last().unwrap();
        assert_eq!((path.as_str(), body.as_ref()), ("/widevine", challenge().as_slice()));
        assert_eq!(headers["x-dt-custom-data"], SECRET);
        assert_eq!(headers["content-type"], "application/octet-stream");
        assert!(headers.get("cookie").is_none(), "the viewer's cookies stay here");
    }

    // PlayReady: SOAP in, SOAP out, with its SOAPAction.
    let soap = b"<soap:Envelope><AcquireLicense/></soap:Envelope>".to_vec();
    let action = "\"http://schemas.microsoft.com/DRM/2007/03/protocols/AcquireLicense\"";
    let response = license(
        &app,
        "/drm/playready/demo-paid",
        &viewer,
        &[("content-type", "text/xml; charset=utf-8"), ("soapaction", action)],
        soap.clone(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/xml; charset=utf-8");
    assert!(response.text().await.unwrap().contains("AcquireLicenseResponse"));
    assert_eq!(seen.lock().unwrap().last().unwrap().1["soapaction"], action);

    // FairPlay: the certificate is fetched once and kept; the SPC goes like the others.
    for _ in 0..2 {
        let response = app.get("/drm/fairplay/certificate").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.bytes().await.unwrap().as_ref(), [0x30, 0x82, 0x01, 0x0a]);
    }
    assert_eq!(
        seen.lock().unwrap().iter().filter(|(path, ..)| path == "/cert").count(),
        1
    );
    let response = license(&app, "/drm/fairplay/demo-paid", &viewer, &[], b"spc=AAAA".to_vec()).await;
    assert_eq!(response.text().await.unwrap(), "<ckc>Q0tD</ckc>");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_entitled_viewers_reach_the_license_server() {
    let (upstream, seen) = fake_license_server().await;
    let app = TestApp::spawn_configured(|config| configure(config, upstream, "/widevine")).await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "ticket").await;

    // A viewer of another show, with the terms accepted but no ticket.
    let stranger = app
        .client
        .post(app.url("/api/playback/demo-paid"))
        .json(&serde_json::json!({ "acceptTerms": true }))
        .send()
        .await
        .unwrap();
    let stranger = crate::support::cookie_header(&crate::support::set_cookies(&stranger));
    let (status, body) = json_error(license(&app, "/drm/widevine/demo-paid", &stranger, &[], challenge()).await).await;
    assert_eq!((status, body["reason"].as_str()), (403, Some("entitlement")), "{body}");
    let (status, _) = json_error(license(&app, "/drm/widevine/demo-paid", "", &[], challenge()).await).await;
    assert_eq!(status, 401, "no viewer session");
    let (status, _) = json_error(license(&app, "/drm/widevine/nope", &viewer, &[], challenge()).await).await;
    assert_eq!(status, 404);

    // Too large, or empty: refused before anything is forwarded.
    let (status, body) = json_error(license(&app, "/drm/widevine/demo-paid", &viewer, &[], vec![7; 1025]).await).await;
    assert_eq!(status, 413, "{body}");
    let (status, _) = json_error(license(&app, "/drm/widevine/demo-paid", &viewer, &[], Vec::new()).await).await;
    assert_eq!(status, 400);
    assert!(seen.lock().unwrap().is_empty(), "nothing reached the license server");

    // The rental of another viewer ends: refused from then on.
    let (renter, renter_id) = app.entitled_viewer("demo-paid", "rental").await;
    let mut rental = app
        .store
        .entitlement(&renter_id, "evt_demo_paid")
        .await
        .unwrap()
        .unwrap();
    rental.expires_at = Some(chrono::Utc::now() - chrono::Duration::seconds(1));
    app.store.grant(&rental).await.unwrap();
    let (status, body) = json_error(license(&app, "/drm/playready/demo-paid", &renter, &[], challenge()).await).await;
    assert_eq!((status, body["reason"].as_str()), (403, Some("expired")));
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_license_server_is_a_502_without_its_words() {
    let (upstream, seen) = fake_license_server().await;
    let app = TestApp::spawn_configured(|config| configure(config, upstream, "/broken")).await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "grant").await;
    let response = license(&app, "/drm/widevine/demo-paid", &viewer, &[], challenge()).await;
    let text = response.text().await.unwrap();
    assert!(!text.contains(SECRET), "the upstream's body is never passed on: {text}");
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["upstreamStatus"], 500, "{body}");
    assert_eq!(seen.lock().unwrap().len(), 1);

    let app = TestApp::spawn_configured(|config| configure(config, upstream, "/refusing")).await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "grant").await;
    let (status, body) = json_error(license(&app, "/drm/widevine/demo-paid", &viewer, &[], challenge()).await).await;
    assert_eq!((status, body["upstreamStatus"].as_u64()), (502, Some(401)), "{body}");

    // Nobody listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = TestApp::spawn_configured(|config| configure(config, closed, "/widevine")).await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "grant").await;
    let (status, body) = json_error(license(&app, "/drm/widevine/demo-paid", &viewer, &[], challenge()).await).await;
    assert_eq!(status, 502, "{body}");
    let (status, _) = json_error(app.get("/drm/fairplay/certificate").await).await;
    assert_eq!(status, 502);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_license_server_is_a_504_at_the_timeout() {
    let (upstream, _) = fake_license_server().await;
    let app = TestApp::spawn_configured(|config| configure(config, upstream, "/slow")).await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "grant").await;
    let started = Instant::now();
    let (status, body) = json_error(license(&app, "/drm/widevine/demo-paid", &viewer, &[], challenge()).await).await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"], "the license server did not answer in time");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the 500 ms timeout, not the server's 3 s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfigured_systems_and_axinom_tokens() {
    let app = TestApp::spawn().await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "grant").await;
    let (status, body) = json_error(license(&app, "/drm/widevine/demo-paid", &viewer, &[], challenge()).await).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("widevine is not configured on this server"))
    );
    assert_eq!(app.get("/drm/fairplay/certificate").await.status(), 404);

    // Axinom: a token per request, signed with the communication key, naming this show's keys.
    let (upstream, seen) = fake_license_server().await;
    let com_key = b"0123456789abcdef0123456789abcdef";
    let app = TestApp::spawn_configured(|config| {
        configure(config, upstream, "/widevine");
        config.drm_upstream_auth = DrmUpstreamAuth::Axinom;
        config.drm_axinom_com_key_id = Some("69e54088-e9e0-4530-8c1a-1eb6dcd0d14e".into());
        config.drm_upstream_secret = Some(Secret::new(base64_of(com_key)));
    })
    .await;
    app.put_demo_key().await;
    let (viewer, _) = app.entitled_viewer("demo-paid", "grant").await;
    assert_eq!(
        license(&app, "/drm/widevine/demo-paid", &viewer, &[], challenge())
            .await
            .status(),
        200
    );
    let token = seen.lock().unwrap()[0].1["x-axdrm-message"]
        .to_str()
        .unwrap()
        .to_string();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<Value>(&token, &jsonwebtoken::DecodingKey::from_secret(com_key), &validation)
        .expect("signed with the communication key")
        .claims;
    assert_eq!(claims["com_key_id"], "69e54088-e9e0-4530-8c1a-1eb6dcd0d14e");
    assert_eq!(
        claims["message"]["content_keys_source"]["inline"],
        serde_json::json!([{ "id": "01234567-89ab-cdef-0123-456789abcdef" }])
    );
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
