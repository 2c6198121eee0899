//! The operator console: sign-in with the token, a signed HttpOnly session, and server functions that act only for
//! a signed-in operator.

use crate::support::TestApp;

async fn sign_in(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/admin/login"))
        .form(&[("token", token), ("next", "/admin/demo")])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_the_console_asks_for_the_token() {
    let app = TestApp::spawn().await;
    let response = app.get("/admin/demo").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"action="/api/admin/login""#) && html.contains(r#"name="token""#));
    assert!(!html.contains("Pick up"), "no controls before signing in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_token_signs_in_with_a_strict_httponly_cookie() {
    let app = TestApp::spawn().await;
    let response = sign_in(&app, &app.operator_token.clone()).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/demo");
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("caravan_operator=v1."), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(
        !cookie.contains(&app.operator_token),
        "the token itself is not the cookie"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_turned_back_without_a_cookie() {
    let app = TestApp::spawn().await;
    let response = sign_in(&app, "not-the-token").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/demo?login=failed");
    assert!(response.headers().get("set-cookie").is_none());
    let html = app.get("/admin/demo?login=failed").await.text().await.unwrap();
    assert!(html.contains("That token is not right"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_in_operator_sees_the_products_and_the_viewer_count() {
    let app = TestApp::spawn().await;
    let cookie = app.operator_cookie().await;
    let html = app.console_html("demo", &cookie).await;
    assert!(html.contains("Operator console") && html.contains("Caravan Live Demo"));
    assert_eq!(html.matches(">Pick up<").count(), 12, "a button per product");
    assert!(html.contains(r#"data-testid="viewer-count">0<"#), "no viewers yet");
    assert!(html.contains("The banner is hidden"));
}

/// The console's "Pick up" form for 静岡煎茶 (`prd_demo_04`), posted with or without a session cookie.
async fn pick_up_tea(app: &TestApp, cookie: Option<&str>) -> reqwest::Response {
    pick_up_tea_from(app, cookie, None).await
}

/// The same form, from a page of `origin` (as the browser says in `Origin`).
async fn pick_up_tea_from(app: &TestApp, cookie: Option<&str>, origin: Option<&str>) -> reqwest::Response {
    let form = [
        ("event_id", "evt_demo"),
        ("product_id", "prd_demo_04"),
        ("visible", "true"),
    ];
    let mut request = app
        .client
        .post(app.url("/api/console/set_pickup"))
        .header("accept", "application/json");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.form(&form).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pickup_action_needs_a_session() {
    let app = TestApp::spawn().await;
    let refused = pick_up_tea(&app, None).await;
    assert_eq!(refused.status(), 401, "a client's error, not the server's");
    assert!(refused.text().await.unwrap().contains("Sign in as the operator"));
    assert!(app.store.pickup("evt_demo").await.unwrap().is_none());

    let cookie = app.operator_cookie().await;
    let done = pick_up_tea(&app, Some(&cookie)).await;
    assert!(done.status().is_success(), "{}", done.status());
    let pickup = app.store.pickup("evt_demo").await.unwrap().expect("set");
    assert_eq!(
        (pickup.product_id.as_deref(), pickup.visible),
        (Some("prd_demo_04"), true)
    );

    let html = app.console_html("demo", &cookie).await;
    assert!(
        html.contains("Showing: 静岡煎茶 100g"),
        "the console shows the banner now"
    );
}

/// Leptos keeps the current reactive owner in a thread-local: a page's render makes its own current and leaves it so
/// while the page streams, and a server function's owner becomes the child of whatever is current, reading its
/// contexts. Here one thread runs both: the operator's console page, still streaming, and an anonymous pick-up.
#[tokio::test(flavor = "current_thread")]
async fn a_server_function_never_borrows_the_session_of_a_page_rendering_on_its_thread() {
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    let app = TestApp::spawn().await;
    let cookie = app.operator_cookie().await;
    let router = app.router();
    let console = Request::get("/admin/demo")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let console = router.clone().oneshot(TestApp::in_process(console)).await.unwrap();
    assert_eq!(console.status(), 200, "the console renders for its operator");

    // The console's body is not read yet: its render is under way when the pick-up arrives.
    let pick_up = Request::post("/api/console/set_pickup")
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("event_id=evt_demo&product_id=prd_demo_04&visible=true"))
        .unwrap();
    let refused = router.oneshot(TestApp::in_process(pick_up)).await.unwrap();
    assert_eq!(refused.status(), 401, "no session, no operator's powers");
    assert!(app.store.pickup("evt_demo").await.unwrap().is_none());

    let page = axum::body::to_bytes(console.into_body(), usize::MAX).await.unwrap();
    assert!(
        String::from_utf8_lossy(&page).contains("</html>"),
        "the console's page completes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session() {
    let app = TestApp::spawn().await;
    // Two browsers signed in; a copy of the first's cookie is kept (as a thief would).
    let (laptop, phone) = (app.operator_cookie().await, app.operator_cookie().await);
    assert!(pick_up_tea(&app, Some(&phone)).await.status().is_success());
    // Someone without a session cannot end the operator's sessions.
    let stranger = app
        .client
        .post(app.url("/api/admin/logout"))
        .form(&[("next", "/admin/demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 303);
    assert!(pick_up_tea(&app, Some(&phone)).await.status().is_success());

    let response = app
        .client
        .post(app.url("/api/admin/logout"))
        .header("cookie", &laptop)
        .form(&[("next", "/admin/demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("caravan_operator=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    // The kept copy and the other browser's session are over too: the server no longer honours them.
    for ended in [&laptop, &phone] {
        let refused = pick_up_tea(&app, Some(ended)).await;
        assert!(refused.status().is_client_error(), "{}", refused.status());
        assert!(
            app.console_html("demo", ended)
                .await
                .contains("Sign in as the operator")
        );
    }
    // Signing in again works.
    let again = app.operator_cookie().await;
    assert!(pick_up_tea(&app, Some(&again)).await.status().is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sites_pages_change_nothing_even_with_the_operators_cookie() {
    let app = TestApp::spawn().await;
    let operator = app.operator_cookie().await;
    // A form on a sibling subdomain (same site, so SameSite cookies go with it) picking up for every viewer.
    let refused = pick_up_tea_from(&app, Some(&operator), Some("http://evil.127.0.0.1.example")).await;
    assert_eq!(refused.status(), 403);
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap()["code"],
        "cross_origin"
    );
    assert!(app.store.pickup("evt_demo").await.unwrap().is_none());

    // JSON in a text/plain body (which any page can send without asking) grants nothing, even from this site.
    let grant = app
        .client
        .post(app.url("/api/admin/entitlements"))
        .header("cookie", &operator)
        .header("content-type", "text/plain")
        .body(r#"{"slug":"demo-paid","viewerId":"abcdefghijklmnopqrstuv","kind":"ticket"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(grant.status(), 415);
    assert_eq!(
        grant.json::<serde_json::Value>().await.unwrap()["code"],
        "unsupported_media_type"
    );

    // Another site cannot sign the operator out.
    let logout = app
        .client
        .post(app.url("/api/admin/logout"))
        .header("cookie", &operator)
        .header("origin", "https://evil.example")
        .form(&[("next", "/admin/demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 403);
    assert!(
        pick_up_tea(&app, Some(&operator)).await.status().is_success(),
        "still signed in"
    );

    // The site's own pages (the Origin the browser sends for them) go through.
    let own = pick_up_tea_from(&app, Some(&operator), Some(&format!("http://{}", app.addr))).await;
    assert!(own.status().is_success(), "{}", own.status());
}

/// A console action's form, posted with or without a session cookie.
async fn console_action(app: &TestApp, action: &str, form: &[(&str, &str)], cookie: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/api/console/{action}")))
        .header("accept", "application/json");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.form(form).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broadcast_keys_and_the_end_of_the_show_are_the_operators() {
    let app = TestApp::spawn().await;
    let key_form = [("event_id", "evt_demo_upcoming"), ("role", "backup")];
    let refused = console_action(&app, "issue_stream_key", &key_form, None).await;
    assert_eq!(refused.status(), 401);
    let refused = console_action(&app, "end_show", &[("event_id", "evt_demo_upcoming")], None).await;
    assert_eq!(refused.status(), 401);
    let upcoming = app.store.event_by_id("evt_demo_upcoming").await.unwrap().unwrap();
    assert!(upcoming.ends_at.is_none(), "a refused action changes nothing");

    let cookie = app.operator_cookie().await;
    let html = app.console_html("demo-upcoming", &cookie).await;
    assert!(html.contains("Waiting for the encoder"), "the broadcast's state");
    assert!(html.contains("New backup key"));

    let issued = console_action(&app, "issue_stream_key", &key_form, Some(&cookie)).await;
    assert!(issued.status().is_success(), "{}", issued.status());
    let issued: serde_json::Value = issued.json().await.unwrap();
    assert_eq!(issued["role"], "BACKUP", "{issued}");
    assert!(
        issued["rtmpUrl"].as_str().unwrap().starts_with("rtmp://127.0.0.1:"),
        "{issued}"
    );
    assert!(issued["key"].as_str().unwrap().len() >= 32, "{issued}");
    let sideways = console_action(
        &app,
        "issue_stream_key",
        &[("event_id", "evt_demo_upcoming"), ("role", "sideways")],
        Some(&cookie),
    )
    .await;
    assert!(!sideways.status().is_success());
    assert!(sideways.text().await.unwrap().contains("primary or backup"));

    let ended = console_action(&app, "end_show", &[("event_id", "evt_demo_upcoming")], Some(&cookie)).await;
    assert!(ended.status().is_success(), "{}", ended.status());
    let upcoming = app.store.event_by_id("evt_demo_upcoming").await.unwrap().unwrap();
    assert!(upcoming.ends_at.is_some(), "the show has ended");
    let html = app.console_html("demo-upcoming", &cookie).await;
    assert!(html.contains("Ended: the page plays the replay"));
}
