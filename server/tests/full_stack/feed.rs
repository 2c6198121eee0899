//! The hashtag feed against local fakes of X API v2 recent search and a Mastodon hashtag timeline that answer in
//! their real shapes (X: `data`/`includes.users`/`meta` with `newest_id` and `next_token`, `x-rate-limit-*` headers
//! in epoch seconds, 429; Mastodon: an array of statuses with HTML `content`, `min_id` paging, `X-RateLimit-*`):
//! posts arrive once each and in order, across pages and a restart; rate limits and failures make the poller wait;
//! a thousand readers cause no upstream call; the operator posts and hides, and pages are told.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use caravan_server::{config::Config, secret::Secret};
use serde_json::{Value, json};

use crate::support::{TestApp, ws::Ws};

const X_TOKEN: &str = "AAAAAAAAAAAAAAAAAAAAAx-test-bearer";
const MASTODON_TOKEN: &str = "mastodon-app-token";
const FEED_SUBSCRIPTION: &str =
    "subscription($e: ID!) { onFeedPost(eventId: $e) { id source text authorName authorHandle url hidden } }";

/// What the fake answers next, before answering normally again.
#[derive(Clone, Copy, Debug)]
enum Answer {
    /// 429 with `x-rate-limit-reset` this many seconds from now.
    RateLimited(i64),
    Fail(u16),
    Malformed,
}

#[derive(Default)]
pub(crate) struct Upstream {
    /// (id, text), any order.
    pub(crate) posts: Vec<(u64, String)>,
    /// Each request's query parameters, with when it came.
    pub(crate) requests: Vec<(Instant, HashMap<String, String>)>,
    script: Vec<Answer>,
    /// Reblogs and other statuses the timeline holds but a feed skips (Mastodon only): ids.
    reblogs: Vec<u64>,
}

pub(crate) type Shared = Arc<Mutex<Upstream>>;

fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The scripted answer for this request, if one is due.
fn scripted(upstream: &mut Upstream) -> Option<Response> {
    if upstream.script.is_empty() {
        return None;
    }
    Some(match upstream.script.remove(0) {
        Answer::RateLimited(seconds) => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                ("x-rate-limit-remaining", "0".to_string()),
                ("x-rate-limit-reset", (epoch_now() + seconds).to_string()),
            ],
            Json(json!({ "title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429 })),
        )
            .into_response(),
        Answer::Fail(status) => (StatusCode::from_u16(status).unwrap(), "upstream trouble").into_response(),
        Answer::Malformed => (StatusCode::OK, [("content-type", "application/json")], "{\"data\": [ {\"id\": ").into_response(),
    })
}

/// X API v2 `GET /2/tweets/search/recent`: posts newer than `since_id`, newest first, `max_results` a page.
async fn x_search(
    State(x): State<Shared>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut x = x.lock().unwrap();
    x.requests.push((Instant::now(), query.clone()));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {X_TOKEN}")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "title": "Unauthorized", "status": 401 })),
        )
            .into_response();
    }
    if let Some(answer) = scripted(&mut x) {
        return answer;
    }
    let since: u64 = query.get("since_id").map_or(0, |s| s.parse().unwrap());
    let max: usize = query["max_results"].parse().unwrap();
    let offset: usize = query
        .get("next_token")
        .map_or(0, |t| t.trim_start_matches('p').parse().unwrap());
    let mut matching: Vec<_> = x.posts.iter().filter(|(id, _)| *id > since).cloned().collect();
    matching.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let page: Vec<_> = matching.iter().skip(offset).take(max).collect();
    let more = offset + page.len() < matching.len();
    let mut meta = json!({ "result_count": page.len() });
    if let (Some(first), Some(last)) = (page.first(), page.last()) {
        meta["newest_id"] = json!(first.0.to_string());
        meta["oldest_id"] = json!(last.0.to_string());
    }
    if more {
        meta["next_token"] = json!(format!("p{}", offset + page.len()));
    }
    let data: Vec<Value> = page
        .iter()
        .map(|(id, text)| {
            json!({ "id": id.to_string(), "text": text, "author_id": "2244994945",
                    "created_at": format!("2026-11-22T10:{:02}:{:02}.000Z", id / 60 % 60, id % 60),
                    "edit_history_tweet_ids": [id.to_string()] })
        })
        .collect();
    let mut body = json!({ "meta": meta });
    if !data.is_empty() {
        body["data"] = json!(data);
        body["includes"] = json!({ "users": [{ "id": "2244994945", "name": "Aiko 🎪", "username": "aiko_live",
            "profile_image_url": "https://pbs.twimg.com/profile_images/1/aiko_normal.jpg" }] });
    }
    (
        [("x-rate-limit-limit", "450"), ("x-rate-limit-remaining", "449")],
        Json(body),
    )
        .into_response()
}

/// Mastodon `GET /api/v1/timelines/tag/:hashtag`: with `min_id`, the `limit` statuses just after it; without, the
/// newest; newest first either way.
async fn mastodon_tag(
    State(m): State<Shared>,
    Path(tag): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut m = m.lock().unwrap();
    let mut seen = query.clone();
    seen.insert("tag".into(), tag);
    m.requests.push((Instant::now(), seen));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {MASTODON_TOKEN}")) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "This API requires an authenticated user" })),
        )
            .into_response();
    }
    if let Some(answer) = scripted(&mut m) {
        return answer;
    }
    let limit: usize = query["limit"].parse().unwrap();
    let mut all: Vec<_> = m.posts.clone();
    all.sort_by_key(|(id, _)| *id);
    let page: Vec<_> = match query.get("min_id") {
        Some(min) => {
            let min: u64 = min.parse().unwrap();
            all.into_iter().filter(|(id, _)| *id > min).take(limit).collect()
        }
        None => all.into_iter().rev().take(limit).rev().collect(),
    };
    let statuses: Vec<Value> = page
        .iter()
        .rev()
        .map(|(id, content)| {
            let reblog = m.reblogs.contains(id).then(|| json!({ "id": "1", "content": "<p>boosted</p>" }));
            json!({ "id": id.to_string(), "created_at": format!("2026-11-22T11:{:02}:{:02}.000Z", id / 60 % 60, id % 60),
                "content": content, "url": format!("https://m.example/@kenji/{id}"), "uri": format!("https://m.example/users/kenji/statuses/{id}"),
                "visibility": "public", "sensitive": false, "spoiler_text": "", "reblog": reblog, "language": "ja",
                "account": { "id": "42", "username": "kenji", "acct": "kenji", "display_name": "Kenji",
                    "avatar": "https://m.example/a.png", "avatar_static": "https://m.example/a.png", "url": "https://m.example/@kenji" },
                "media_attachments": [], "mentions": [], "tags": [], "emojis": [] })
        })
        .collect();
    (
        [
            ("X-RateLimit-Limit", "300"),
            ("X-RateLimit-Remaining", "299"),
            ("X-RateLimit-Reset", "2026-11-22T11:05:00.000Z"),
        ],
        Json(json!(statuses)),
    )
        .into_response()
}

async fn fake(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

pub(crate) async fn fake_x(posts: impl IntoIterator<Item = u64>) -> (String, Shared) {
    let x: Shared = Arc::new(Mutex::new(Upstream {
        posts: posts
            .into_iter()
            .map(|id| (id, format!("post {id} #caravan")))
            .collect(),
        ..Upstream::default()
    }));
    let url = fake(
        Router::new()
            .route("/2/tweets/search/recent", get(x_search))
            .with_state(x.clone()),
    )
    .await;
    (url, x)
}

pub(crate) fn with_x(url: &str, poll_ms: u64) -> impl Fn(&mut Config) + Clone {
    let url = url.to_owned();
    move |config: &mut Config| {
        config.feed_x_queries = "demo=#caravan -is:retweet".into();
        config.feed_x_bearer_token = Some(Secret::new(X_TOKEN.into()));
        config.feed_x_api_base = url.clone();
        config.feed_poll_ms = poll_ms;
    }
}

/// The texts of `GET /api/feed/demo`, newest first.
async fn feed_texts(app: &TestApp) -> Vec<String> {
    let page: Value = app.get("/api/feed/demo").await.json().await.unwrap();
    page["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits (10 s at most) until the feed holds `count` posts; their texts.
pub(crate) async fn feed_of(app: &TestApp, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let texts = feed_texts(app).await;
        if texts.len() >= count || Instant::now() > deadline {
            return texts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deliveries on `ws` for `ms` milliseconds: the posts.
async fn deliveries(ws: &mut Ws, ms: u64) -> Vec<Value> {
    let mut posts = Vec::new();
    let deadline = Instant::now() + Duration::from_millis(ms);
    while let Ok(message) = tokio::time::timeout_at(deadline.into(), ws.recv_data()).await {
        if message["type"] == "data" {
            posts.push(message["payload"]["data"]["onFeedPost"].clone());
        }
    }
    posts
}

fn since_ids(upstream: &Shared) -> Vec<Option<String>> {
    upstream
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|(_, q)| q.get("since_id").or(q.get("min_id")).cloned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_posts_arrive_once_in_order_across_pages_and_a_restart() {
    let (url, x) = fake_x(1001..=1003).await;
    let configure = with_x(&url, 100);
    let app = TestApp::spawn_configured(configure.clone()).await;
    let texts = feed_of(&app, 3).await;
    assert_eq!(
        texts,
        ["post 1003 #caravan", "post 1002 #caravan", "post 1001 #caravan"]
    );
    let mut ws = app
        .subscribe("feed", FEED_SUBSCRIPTION, json!({ "e": "evt_demo" }))
        .await;
    let page: Value = app.get("/api/feed/demo").await.json().await.unwrap();
    let first = &page["posts"][0];
    assert_eq!(first["source"], "X");
    assert_eq!(first["authorName"], "Aiko 🎪");
    assert_eq!(first["authorHandle"], "@aiko_live");
    assert_eq!(first["url"], "https://x.com/aiko_live/status/1003");
    {
        let x = x.lock().unwrap();
        let (_, first_call) = &x.requests[0];
        assert_eq!(first_call["query"], "#caravan -is:retweet");
        assert_eq!(first_call["max_results"], "100");
        assert!(first_call["expansions"].contains("author_id"));
        assert!(
            !first_call.contains_key("since_id"),
            "a first poll reads the newest page"
        );
    }
    // 250 more: three pages of one poll, all of them, and the cursor moves to the newest only then.
    x.lock()
        .unwrap()
        .posts
        .extend((1004..=1253).map(|id| (id, format!("post {id} #caravan"))));
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.store.feed("evt_demo", 50).await.unwrap()[0].text != "post 1253 #caravan" {
        assert!(Instant::now() < deadline, "the new posts did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Pages get the newest 20 of the burst (a burst never floods their connections), once each and oldest first.
    let delivered = deliveries(&mut ws, 500).await;
    let texts: Vec<_> = delivered
        .iter()
        .map(|p| p["text"].as_str().unwrap().to_owned())
        .collect();
    let expected: Vec<_> = (1234..=1253).map(|id| format!("post {id} #caravan")).collect();
    assert_eq!(texts, expected);
    let paged = x
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|(_, q)| q.contains_key("next_token"))
        .count();
    assert!(paged >= 2, "the poll read the later pages");

    // A restart resumes after the newest stored post: the posts written meanwhile, none twice.
    let (result, dir) = app.shut_down().await;
    result.unwrap();
    x.lock()
        .unwrap()
        .posts
        .extend([(1254, "while down 1".into()), (1255, "while down 2".into())]);
    let before = x.lock().unwrap().requests.len();
    let app = TestApp::spawn_in_configured(dir, configure).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.store.feed("evt_demo", 1).await.unwrap()[0].text != "while down 2" {
        assert!(Instant::now() < deadline, "the posts written while down did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        since_ids(&x)[before].as_deref(),
        Some("1253"),
        "resumed from the stored cursor"
    );
    let stored = app.store.feed("evt_demo", 10_000).await.unwrap();
    assert_eq!(stored.len(), 255, "no post stored twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_failures_make_the_poller_wait_and_nothing_repeats() {
    let (url, x) = fake_x([]).await;
    x.lock().unwrap().script = vec![
        Answer::RateLimited(1),
        Answer::Fail(503),
        Answer::Fail(500),
        Answer::Malformed,
    ];
    let app = TestApp::spawn_configured(with_x(&url, 100)).await;
    let mut ws = app
        .subscribe("feed", FEED_SUBSCRIPTION, json!({ "e": "evt_demo" }))
        .await;
    x.lock()
        .unwrap()
        .posts
        .extend([(2001, "one".into()), (2002, "two".into())]);
    // 429, 503, 500, malformed, then an answer: 5 calls, spaced by the reset and the doubling backoff.
    let deadline = Instant::now() + Duration::from_secs(15);
    while x.lock().unwrap().requests.len() < 5 {
        assert!(Instant::now() < deadline, "the poller gave up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let times: Vec<Instant> = x.lock().unwrap().requests.iter().map(|(at, _)| *at).collect();
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps[0] >= Duration::from_millis(950),
        "waited for the rate limit's reset: {gaps:?}"
    );
    assert!(
        gaps[1] >= Duration::from_millis(190),
        "backed off after a failure: {gaps:?}"
    );
    assert!(
        gaps[2] >= Duration::from_millis(390),
        "twice as long after two: {gaps:?}"
    );
    assert!(
        gaps[3] >= Duration::from_millis(790),
        "a malformed answer is a failure too: {gaps:?}"
    );
    assert_eq!(feed_of(&app, 2).await, ["two", "one"]);
    // Back to the interval, and no post delivered twice across all of it.
    x.lock().unwrap().posts.push((2003, "three".into()));
    assert_eq!(feed_of(&app, 3).await, ["three", "two", "one"]);
    let texts: Vec<_> = deliveries(&mut ws, 300)
        .await
        .iter()
        .map(|p| p["text"].clone())
        .collect();
    assert_eq!(texts, [json!("one"), json!("two"), json!("three")]);
    // The last cursor is the newest post.
    assert_eq!(since_ids(&x).last().unwrap().as_deref(), Some("2003"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_statuses_become_text_and_are_read_forward_page_by_page() {
    let m: Shared = Arc::new(Mutex::new(Upstream {
        posts: vec![
            (
                113_000_000_000_000_001,
                "<p>配信中！ <a href=\"https://m.example/tags/caravan\" class=\"mention hashtag\" rel=\"tag\">#<span>caravan</span></a><br>Tom &amp; Jerry<script>alert(1)</script></p>".into(),
            ),
            (113_000_000_000_000_002, "<p>boost</p>".into()),
        ],
        reblogs: vec![113_000_000_000_000_002],
        ..Upstream::default()
    }));
    let url = fake(
        Router::new()
            .route("/api/v1/timelines/tag/{tag}", get(mastodon_tag))
            .with_state(m.clone()),
    )
    .await;
    let app = TestApp::spawn_configured(|config| {
        config.feed_mastodon_url = Some(url);
        config.feed_mastodon_token = Some(Secret::new(MASTODON_TOKEN.into()));
        config.feed_mastodon_tags = "demo=キャラバン".into();
        config.feed_poll_ms = 100;
    })
    .await;
    assert_eq!(feed_of(&app, 1).await, ["配信中！ #caravan\nTom & Jerry"]);
    let post = &app.store.feed("evt_demo", 1).await.unwrap()[0];
    assert_eq!(post.author_handle.as_deref(), Some("@kenji@127.0.0.1"));
    assert_eq!(post.url.as_deref(), Some("https://m.example/@kenji/113000000000000001"));
    assert_eq!(
        m.lock().unwrap().requests[0].1["tag"],
        "キャラバン",
        "the tag, percent-encoded in the path"
    );

    // 45 new statuses: read forward 40 at a time from the cursor, so none is skipped.
    m.lock()
        .unwrap()
        .posts
        .extend((3..=47).map(|n| (113_000_000_000_000_000 + n, format!("<p>status {n}</p>"))));
    let texts = feed_of(&app, 46).await;
    assert_eq!(texts.len(), 46, "{texts:?}");
    assert_eq!(texts[0], "status 47");
    assert_eq!(texts[44], "status 3");
    let cursors = since_ids(&m);
    assert!(
        cursors.contains(&Some("113000000000000002".into())),
        "the reblog moved the cursor: {cursors:?}"
    );
    assert!(
        cursors.contains(&Some("113000000000000042".into())),
        "the second page started after the first: {cursors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_readers_cause_no_upstream_call_and_share_the_etag() {
    let (url, x) = fake_x(1..=5).await;
    // One poll at start, the next a minute later: every upstream call during the reads would be theirs.
    let app = TestApp::spawn_configured(with_x(&url, 60_000)).await;
    assert_eq!(feed_of(&app, 5).await.len(), 5);
    let calls = x.lock().unwrap().requests.len();
    assert_eq!(calls, 1);

    let first = app.get("/api/feed/demo").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "application/json");
    assert!(first.headers()["cache-control"].to_str().unwrap().contains("max-age="));
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let readers: Vec<_> = (0..1000)
        .map(|i| {
            let (client, url, etag) = (app.client.clone(), app.url("/api/feed/demo"), etag.clone());
            tokio::spawn(async move {
                let mut request = client.get(url);
                if i % 2 == 0 {
                    request = request.header("if-none-match", etag);
                }
                let response = request.send().await.unwrap();
                (response.status().as_u16(), response.bytes().await.unwrap().len())
            })
        })
        .collect();
    let mut statuses = HashMap::new();
    for reader in readers {
        let (status, length) = reader.await.unwrap();
        *statuses.entry(status).or_insert(0) += 1;
        if status == 304 {
            assert_eq!(length, 0);
        }
    }
    assert_eq!(statuses, HashMap::from([(200, 500), (304, 500)]));
    assert_eq!(
        x.lock().unwrap().requests.len(),
        calls,
        "readers never reach the upstream"
    );

    // A new post changes the page and its ETag at once.
    let posted = app
        .graphql_as_operator(
            "mutation { postFeed(eventId: \"evt_demo\", text: \"Welcome!\") { id } }",
            json!({}),
        )
        .await;
    assert!(posted.get("errors").is_none(), "{posted}");
    let again = app
        .client
        .get(app.url("/api/feed/demo"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_ne!(again.headers()["etag"].to_str().unwrap(), etag);
    let missing = app.get("/api/feed/no-such-show").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({ "error": "not found", "code": "not_found" })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_posts_and_hides_and_every_page_is_told() {
    let app = TestApp::spawn().await;
    let mut ws = app
        .subscribe("feed", FEED_SUBSCRIPTION, json!({ "e": "evt_demo" }))
        .await;
    let post = "mutation($e: ID!, $t: String!, $a: String) { postFeed(eventId: $e, text: $t, author: $a) { id source text authorName hidden } }";

    // Viewers may not post.
    let refused = app.graphql(post, json!({ "e": "evt_demo", "t": "spam" })).await;
    assert_eq!(refused["errors"][0]["errorType"], "Unauthorized", "{refused}");
    // Nothing, too long, no such show: a clear error, and nothing stored.
    for (event, text, expected) in [
        ("evt_demo", " \n ".to_owned(), "the post has no text"),
        ("evt_demo", "あ".repeat(1001), "the post is longer than 1000 characters"),
        ("evt_nope", "hi".to_owned(), "there is no event evt_nope"),
    ] {
        let answer = app.graphql_as_operator(post, json!({ "e": event, "t": text })).await;
        assert_eq!(answer["errors"][0]["message"], expected, "{answer}");
        assert_eq!(answer["errors"][0]["errorType"], "BadRequestException");
    }
    assert!(feed_texts(&app).await.is_empty());

    let answer = app
        .graphql_as_operator(
            post,
            json!({ "e": "evt_demo", "t": "<script>alert(1)</script> 今夜20時から！\u{202e}", "a": " Caravan\n公式 " }),
        )
        .await;
    let created = &answer["data"]["postFeed"];
    assert_eq!(created["source"], "LOCAL");
    assert_eq!(
        created["text"], "<script>alert(1)</script> 今夜20時から！",
        "text as typed, minus the override"
    );
    assert_eq!(created["authorName"], "Caravan 公式");
    let delivered = deliveries(&mut ws, 500).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["id"], created["id"]);

    // Hidden: every page is told, and it leaves the feed.
    let hide = "mutation($e: ID!, $p: ID!) { hideFeedPost(eventId: $e, postId: $p) { id hidden } }";
    let hidden = app
        .graphql_as_operator(hide, json!({ "e": "evt_demo", "p": created["id"] }))
        .await;
    assert_eq!(hidden["data"]["hideFeedPost"]["hidden"], true, "{hidden}");
    let delivered = deliveries(&mut ws, 500).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(
        (&delivered[0]["id"], &delivered[0]["hidden"]),
        (&created["id"], &json!(true))
    );
    assert!(feed_texts(&app).await.is_empty());
    let unknown = app
        .graphql_as_operator(hide, json!({ "e": "evt_demo", "p": "999999" }))
        .await;
    assert_eq!(unknown["errors"][0]["message"], "the event has no post 999999");
    let viewer = app.graphql(hide, json!({ "e": "evt_demo", "p": created["id"] })).await;
    assert_eq!(viewer["errors"][0]["errorType"], "Unauthorized");

    // publishFeedPost sends a stored post again (the back office's way in AppSync).
    let republished = app
        .graphql_as_operator(
            "mutation($e: ID!, $p: ID!) { publishFeedPost(eventId: $e, postId: $p) { id hidden } }",
            json!({ "e": "evt_demo", "p": created["id"] }),
        )
        .await;
    assert_eq!(republished["data"]["publishFeedPost"]["id"], created["id"]);
    assert_eq!(deliveries(&mut ws, 500).await.len(), 1);

    // The page's first render carries the feed.
    app.graphql_as_operator(post, json!({ "e": "evt_demo", "t": "Thanks for watching" }))
        .await;
    let event = app
        .graphql("query { event(slug: \"demo\") { feed { text } } }", json!({}))
        .await;
    assert_eq!(
        event["data"]["event"]["feed"],
        json!([{ "text": "Thanks for watching" }])
    );
    let bad = app
        .graphql("query { feed(eventId: \"evt_demo\", limit: 0) { id } }", json!({}))
        .await;
    assert_eq!(bad["errors"][0]["message"], "limit must be 1 to 50");
}
