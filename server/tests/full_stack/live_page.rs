//! The live page as the server renders it: what a viewer without JavaScript, and a search engine, gets.

use crate::support::TestApp;

const DEMO_TITLES: [&str; 12] = [
    "オリジナルTシャツ",
    "キャンバストートバッグ",
    "抹茶ラテセット",
    "静岡煎茶 100g",
    "有田焼マグカップ",
    "手ぬぐい",
    "金箔カステラ",
    "ワイヤレスイヤホン",
    "北海道ミルクキャラメル",
    "帆布キャップ",
    "ドリップコーヒー 10袋",
    "限定ステッカーパック",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_show_is_rendered_with_its_products() {
    let app = TestApp::spawn().await;
    let response = app.get("/live/demo").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();

    assert!(
        html.contains("<title>Caravan Live Demo · Caravan</title>"),
        "title in the head"
    );
    assert!(html.contains("Caravan Live Demo"));
    let mut last = 0;
    for title in DEMO_TITLES {
        let at = html.find(title).unwrap_or_else(|| panic!("{title} is missing"));
        assert!(at > last, "{title} is out of order");
        last = at;
    }
    assert!(html.contains("Original T-shirt"), "English titles too");
    // No Accept-Language: the site's own language, Japanese, with yen written the Japanese way.
    assert!(html.contains(r#"<html lang="ja" data-theme="dark">"#));
    assert!(html.contains("3,300円"), "prices formatted in yen");
    assert!(html.contains("648円"));
    assert!(html.contains("(税込)"), "prices marked tax-included");
    assert_eq!(
        html.matches(r#"class="sold-out-badge">売り切れ<"#).count(),
        3,
        "a badge on each sold-out product"
    );
    assert_eq!(
        html.matches(r#"disabled class="add-to-cart">売り切れ<"#).count(),
        3,
        "and no way to add it to the cart"
    );
    assert_eq!(html.matches(">カートに入れる<").count(), 9);
    // The carousel is whole without JavaScript: its region, each slide's place, the position.
    assert!(html.contains(r#"aria-roledescription="carousel""#));
    assert_eq!(html.matches(r#"aria-roledescription="slide""#).count(), 12);
    assert!(html.contains(r#"aria-label="12 / 12""#));
    assert!(html.contains("/demo/product-01.svg"));
    let count = html
        .find(r#"data-testid="like-count""#)
        .map(|at| &html[at..(at + 80).min(html.len())]);
    assert!(
        count.is_some_and(|c| c.contains(">0<")),
        "the like count is in the HTML: {count:?}"
    );
    for place in ["動画プレーヤー", "ピックアップ", "いいね", "panel-feed"] {
        assert!(html.contains(place), "the layout has a place for {place}");
    }
    assert!(html.contains("aria-selected=\"true\""), "the shop tab starts selected");
}

/// The page as a client asks for it, with these request headers.
async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (reqwest::header::HeaderMap, String) {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path} {headers:?}");
    (response.headers().clone(), response.text().await.unwrap())
}

/// The page's bytes as sent, for `accept_encoding`.
async fn sent(
    app: &TestApp,
    path: &str,
    accept_encoding: &str,
) -> (reqwest::StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
    let response = app
        .client
        .get(app.url(path))
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_sent_compressed_to_browsers_that_accept_it() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let (_, headers, plain) = sent(&app, "/live/demo", "identity").await;
    assert!(headers.get("content-encoding").is_none(), "no encoding unless asked");
    let plain = String::from_utf8(plain).unwrap();
    assert!(plain.contains("オリジナルTシャツ") && plain.contains("</html>"));

    let (status, headers, bytes) = sent(&app, "/live/demo", "gzip, deflate, br").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-encoding"], "br", "brotli when the browser takes it");
    assert!(
        headers["vary"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    let mut html = String::new();
    brotli_decompressor::Decompressor::new(bytes.as_slice(), 4096)
        .read_to_string(&mut html)
        .unwrap();
    assert!(
        html.contains("オリジナルTシャツ") && html.contains("</html>"),
        "the whole page"
    );
    // The two renders differ only in their nonce and timestamps: the same length within a few bytes.
    assert!(
        html.len().abs_diff(plain.len()) < 200,
        "{} against {}",
        html.len(),
        plain.len()
    );
    assert!(
        bytes.len() * 3 < html.len(),
        "{} bytes sent for a page of {}",
        bytes.len(),
        html.len()
    );

    let (_, headers, bytes) = sent(&app, "/live/demo", "gzip").await;
    assert_eq!(headers["content-encoding"], "gzip");
    let mut html = String::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_string(&mut html)
        .unwrap();
    assert!(html.contains("オリジナルTシャツ") && html.contains("</html>"));

    // The 404 page too, with its status.
    let (status, headers, _) = sent(&app, "/no/such/page", "br").await;
    assert_eq!(status, 404);
    assert_eq!(headers["content-encoding"], "br");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_speaks_the_viewer_s_language_and_keeps_their_theme() {
    let app = TestApp::spawn().await;

    // English readers get English, with the same products and their prices in the English way.
    let (headers, html) = page(&app, "/live/demo", &[("accept-language", "en-GB,en;q=0.9,ja;q=0.5")]).await;
    assert!(html.contains(r#"<html lang="en" data-theme="dark">"#));
    assert!(html.contains("¥3,300") && !html.contains("3,300円"));
    assert_eq!(html.matches(r#"class="sold-out-badge">Sold out<"#).count(), 3);
    assert_eq!(html.matches(">Add to cart<").count(), 9);
    assert!(html.contains(r#"aria-label="12 of 12""#));
    assert!(html.contains("Products picked up during the show appear here."));
    assert!(
        html.contains(r#"aria-label="日本語で表示""#),
        "the way back, in the other language"
    );
    // Without JavaScript the switches still work: they are links to the other choice.
    assert!(html.contains(r#"href="?lang=ja""#) && html.contains(r#"href="?theme=light""#));
    // Shared caches keep a copy per language and per preference cookie.
    let vary = headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect::<Vec<_>>();
    assert!(
        vary.iter()
            .any(|v| v.contains("Accept-Language") && v.contains("Cookie")),
        "{vary:?}"
    );

    // The viewer's switch (a cookie) beats the browser's languages; the address beats both (a partner's widget).
    let chosen = [
        ("accept-language", "en"),
        ("cookie", "other=1; caravan_lang=ja; caravan_theme=light"),
    ];
    let (_, html) = page(&app, "/live/demo", &chosen).await;
    assert!(html.contains(r#"<html lang="ja" data-theme="light">"#));
    assert!(html.contains(r#"<meta name="color-scheme" content="light">"#));
    assert!(html.contains("3,300円"));
    let (_, html) = page(&app, "/live/demo?lang=en&theme=dark", &chosen).await;
    assert!(html.contains(r#"<html lang="en" data-theme="dark">"#));
    let (_, html) = page(&app, "/embed/demo?mode=full&lang=en", &[]).await;
    assert!(
        html.contains(r#"<html lang="en""#) && html.contains("Open \u{201c}Caravan Live Demo\u{201d} in a new tab")
    );

    // Nonsense in any of them is ignored, never an error.
    for junk in [
        [
            ("accept-language", ";;q=,*;q=9"),
            ("cookie", "caravan_lang=<script>; caravan_theme=\""),
        ],
        [("accept-language", "xx-YY"), ("cookie", "caravan_lang=")],
    ] {
        let (_, html) = page(&app, "/live/demo?lang=%3Cb%3E&theme=", &junk).await;
        assert!(html.contains(r#"data-theme="dark""#), "{junk:?}");
        assert!(!html.contains("<script>;") && !html.contains("<b>"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_describe_themselves_and_keep_their_outline() {
    let app = TestApp::spawn().await;
    let description =
        r#"<meta name="description" content="A live show with a shop: watch and buy without leaving the page.">"#;
    for path in ["/live/demo", "/embed/demo?mode=full"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains(description), "{path}");
        // No level skipped: the show (h1), its products (h2), then each product (h3).
        let at = |tag: &str| html.find(tag).unwrap_or_else(|| panic!("{path}: no {tag}"));
        assert!(at("<h1") < at("<h2") && at("<h2") < at("<h3"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_loads_the_hydrate_bundle_of_the_built_site() {
    let app = TestApp::spawn_with(|dir| {
        std::fs::write(dir.join("site/manifest.json"), r#"{"pkg":"pkg/0123abcd"}"#).unwrap();
    })
    .await;
    // Viewers' pages load the viewers' bundle, never the console's.
    for path in ["/live/demo", "/embed/demo", "/"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(
            html.contains("/pkg/0123abcd/caravan.js"),
            "{path}: hydration script from the build's folder"
        );
        assert!(html.contains("/pkg/0123abcd/caravan_bg.wasm"), "{path}");
        assert!(html.contains("/pkg/0123abcd/caravan.css"), "{path}");
        assert!(!html.contains("caravan_console"), "{path}");
    }
    // The console's pages (and the designers' gallery) load the console's, which has their code.
    for path in ["/admin/demo", "/dev/gallery"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains("/pkg/0123abcd/caravan_console.js"), "{path}");
        assert!(html.contains("/pkg/0123abcd/caravan_console_bg.wasm"), "{path}");
        assert!(!html.contains("/pkg/0123abcd/caravan.js"), "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_show_is_a_real_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/live/no-such-show").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("見つかりません"));
    assert!(!html.contains("Caravan Live Demo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_path_is_a_real_404() {
    let app = TestApp::spawn().await;
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    assert!(response.text().await.unwrap().contains("見つかりません"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_redirects_to_the_show_on_air() {
    let app = TestApp::spawn().await;
    // A browser's navigation (leptos answers 302 to requests that accept HTML).
    let response = app
        .client
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "status {}", response.status());
    assert_eq!(response.headers()["location"], "/live/demo");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_pickup_and_the_client_configuration_are_in_the_html() {
    let app = TestApp::spawn().await;
    let html = app.get("/live/demo").await.text().await.unwrap();
    assert!(
        html.contains("番組中に紹介する商品がここに表示されます。"),
        "an empty banner before any pick-up"
    );
    assert!(html.contains(r#"id="caravan-config""#));
    assert!(
        html.contains(&format!(r#""apiKey":"{}""#, app.api_key)),
        "the page knows its API key"
    );
    assert!(!html.contains(&app.operator_token), "never the operator token");

    app.set_pickup("evt_demo", Some("prd_demo_07"), true).await;
    let html = app.get("/live/demo").await.text().await.unwrap();
    let class = html.find(r#"class="pickup-banner""#).expect("the banner");
    let banner = &html[html[..class].rfind("<div").expect("its opening tag")..];
    let banner = &banner[..banner.find("</article>").expect("the card")];
    assert!(banner.contains(r#"data-state="shown""#), "{banner}");
    assert!(
        banner.contains("金箔カステラ") && banner.contains("2,160円"),
        "{banner}"
    );

    app.set_pickup("evt_demo", None, false).await;
    let html = app.get("/live/demo").await.text().await.unwrap();
    assert!(html.contains(r#"data-state="hidden""#));
    assert!(!html.contains("PICK UP"), "a hidden banner renders no stale product");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_configuration_is_served_for_trunk() {
    let app = TestApp::spawn().await;
    let config: serde_json::Value = app.get("/api/client-config").await.json().await.unwrap();
    assert_eq!(
        config,
        serde_json::json!({ "graphqlUrl": "/graphql", "realtimeUrl": "", "apiKey": app.api_key,
            "siteUrl": "http://127.0.0.1:3000", "devGallery": false })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_component_gallery_is_for_development_only() {
    let app = TestApp::spawn().await;
    let response = app.get("/dev/gallery").await;
    assert_eq!(response.status(), 404, "not served unless asked for");
    assert!(!response.text().await.unwrap().contains("Component gallery"));

    let app = TestApp::spawn_configured(|config| config.dev_gallery = true).await;
    let response = app.get("/dev/gallery").await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    for specimen in [
        "Header: live",
        "Pick-up banner",
        "Product cards",
        "Like button",
        "Hashtag feed",
        "Player",
        "Loading, error",
    ] {
        assert!(html.contains(specimen), "{specimen}");
    }
    // Its states, rendered: a sold-out card, an on-air badge, a banner with its product, posts, a count, an error.
    assert!(html.contains(r#"class="sold-out-badge""#) && html.contains(r#"class="on-air-badge""#));
    assert!(
        html.contains(r#"data-state="shown""#) && html.contains(r#"data-product-id="gallery_1" class="pickup-card""#)
    );
    assert!(html.contains("Watching from Berlin") && html.contains("12,345"));
    assert!(html.contains("the demo is offline"));
}

/// Servers starting in the same process (each lists the app's routes, which once suppressed resource loading for the
/// whole process) never leave another server's render waiting (leptos-rs/leptos#4773).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_finish_while_other_servers_start() {
    let app = TestApp::spawn().await;
    let starting = tokio::spawn(async {
        for _ in 0..12 {
            drop(TestApp::spawn().await);
        }
    });
    let mut rendered = 0;
    while !starting.is_finished() {
        let page = tokio::time::timeout(std::time::Duration::from_secs(20), app.get("/live/demo"))
            .await
            .expect("the render finishes");
        assert_eq!(page.status(), 200);
        rendered += 1;
    }
    starting.await.unwrap();
    assert!(rendered > 0);
}

/// The `content` of the `<meta>` with `attribute="key"` in `html`.
fn meta<'a>(html: &'a str, attribute: &str, key: &str) -> Option<&'a str> {
    let at = html.find(&format!(r#"{attribute}="{key}""#))?;
    let tag = &html[html[..at].rfind('<')?..];
    let tag = &tag[..tag.find('>')?];
    let content = &tag[tag.find(r#"content=""#)? + 9..];
    Some(&content[..content.find('"')?])
}

/// The text of the page's `<script type="application/ld+json">`.
fn json_ld(html: &str) -> serde_json::Value {
    let open = html.find(r#"<script type="application/ld+json">"#).expect("JSON-LD");
    let body = &html[open + r#"<script type="application/ld+json">"#.len()..];
    serde_json::from_str(&body[..body.find("</script>").expect("its end")]).expect("valid JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_link_shows_the_show_and_search_engines_read_its_offers() {
    let app = TestApp::spawn_configured(|config| config.public_site_url = "https://live.example/".into()).await;
    let html = app.get("/live/demo").await.text().await.unwrap();
    assert_eq!(meta(&html, "property", "og:title"), Some("Caravan Live Demo"));
    assert_eq!(
        meta(&html, "property", "og:url"),
        Some("https://live.example/live/demo")
    );
    assert_eq!(meta(&html, "property", "og:type"), Some("video.other"));
    let image = meta(&html, "property", "og:image").expect("a picture");
    assert!(image.starts_with("https://live.example/"), "{image}");
    assert_eq!(meta(&html, "name", "twitter:card"), Some("summary_large_image"));
    assert_eq!(meta(&html, "name", "twitter:image"), Some(image));
    assert!(meta(&html, "name", "description").is_some_and(|d| !d.is_empty()));
    assert!(html.contains(r#"<link href="https://live.example/live/demo" rel="canonical">"#));

    let ld = json_ld(&html);
    assert_eq!(ld["@context"], "https://schema.org");
    assert_eq!(ld["@type"], "BroadcastEvent");
    assert_eq!(ld["name"], "Caravan Live Demo");
    assert_eq!(ld["isLiveBroadcast"], true);
    let offers = ld["offers"].as_array().unwrap();
    assert_eq!(offers.len(), 12);
    let tee = offers
        .iter()
        .find(|o| o["itemOffered"]["name"] == DEMO_TITLES[0])
        .unwrap();
    assert_eq!(
        (&tee["price"], &tee["priceCurrency"]),
        (&serde_json::json!("3300"), &serde_json::json!("JPY"))
    );
    assert_eq!(tee["availability"], "https://schema.org/InStock");

    // The picked-up product is the picture of the show.
    app.set_pickup("evt_demo", Some("prd_demo_07"), true).await;
    let html = app.get("/live/demo").await.text().await.unwrap();
    assert!(
        meta(&html, "property", "og:image").unwrap().contains("product-07"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_title_cannot_break_out_of_the_structured_data() {
    let app = TestApp::spawn().await;
    let title = r#"</title></script><script>window.pwned=1</script> "Live" & more"#;
    let event = caravan_server::store::EventRecord::new("evt_hostile", "hostile", title, chrono::Utc::now());
    app.store.create_event(&event, &[]).await.unwrap();
    let html = app.get("/live/hostile").await.text().await.unwrap();
    if let Some(at) = html.find("<script>window.pwned") {
        panic!("the title became markup: {}", &html[at.saturating_sub(300)..at + 60]);
    }
    assert_eq!(json_ld(&html)["name"], title);
    assert_eq!(
        meta(&html, "property", "og:title"),
        Some("&lt;/title&gt;&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt; &quot;Live&quot; &amp; more")
    );
    // The document's title too (leptos_meta writes it unescaped; the app escapes it on the server).
    assert!(
        html.contains("<title>&lt;/title&gt;&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt; \"Live\" &amp; more · Caravan</title>"),
        "{}",
        &html[html.find("<title>").unwrap()..][..200]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_allowed_partners_may_frame_the_widget_and_nobody_the_page() {
    let app = TestApp::spawn_configured(|config| {
        config.embed_allowed_origins = "https://partner.example".into();
        config.embed_show_origins = "demo-paid=https://vip.example".into();
    })
    .await;
    let embed = app.get("/embed/demo?mode=full").await;
    assert_eq!(embed.status(), 200);
    assert_eq!(
        frame_ancestors(&embed),
        "frame-ancestors 'self' https://partner.example"
    );
    assert!(embed.headers().get("x-frame-options").is_none());
    let html = embed.text().await.unwrap();
    let layout = html
        .find("embed-layout")
        .map(|at| &html[at.saturating_sub(50)..(at + 300).min(html.len())]);
    assert!(
        html.contains(r#"data-mode="full""#) && html.contains("embed-shop"),
        "the shop too: {layout:?}"
    );
    assert!(
        html.contains(r#"href="/live/demo" target="_blank""#),
        "a way out to the show's page"
    );
    let own = app.get("/embed/demo-paid").await;
    assert_eq!(frame_ancestors(&own), "frame-ancestors 'self' https://vip.example");
    assert_eq!(app.get("/embed/no-such-show").await.status(), 404);
    for path in ["/live/demo", "/admin/demo", "/api/feed/demo"] {
        let response = app.get(path).await;
        assert_eq!(frame_ancestors(&response), "frame-ancestors 'self'", "{path}");
        assert_eq!(response.headers()["x-frame-options"], "SAMEORIGIN", "{path}");
    }
}

/// The `frame-ancestors` policy among a response's `Content-Security-Policy` headers.
fn frame_ancestors(response: &reqwest::Response) -> String {
    let policies: Vec<_> = response
        .headers()
        .get_all("content-security-policy")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    policies
        .iter()
        .find(|p| p.starts_with("frame-ancestors"))
        .unwrap_or_else(|| panic!("no frame-ancestors in {policies:?}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_run_only_their_own_scripts_and_every_response_is_hardened() {
    let app = TestApp::spawn().await;
    let page = app.get("/live/demo").await;
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert_eq!(page.headers()["referrer-policy"], "strict-origin-when-cross-origin");
    assert!(
        page.headers().get("strict-transport-security").is_none(),
        "not over plain HTTP"
    );
    let scripts = page
        .headers()
        .get_all("content-security-policy")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|p| p.starts_with("script-src"))
        .expect("a script policy");
    let nonce = scripts
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce")
        .to_owned();
    assert!(nonce.len() >= 22, "{nonce}");
    let html = page.text().await.unwrap();
    // Every inline script that runs carries this response's nonce; data blocks (JSON) need none.
    for script in html.split("<script").skip(1) {
        let tag = &script[..script.find('>').unwrap()];
        if tag.contains(" src=") || tag.contains("application/json") || tag.contains("application/ld+json") {
            continue;
        }
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "an inline script without the nonce: <script{tag}>"
        );
    }
    // Another request, another nonce.
    let again = app.get("/live/demo").await;
    let other = again
        .headers()
        .get_all("content-security-policy")
        .iter()
        .any(|v| v.to_str().unwrap().contains(&nonce));
    assert!(!other, "nonces are per response");
    // JSON and media carry no script policy, but the same hardening.
    let api = app.get("/api/feed/demo").await;
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(
        !api.headers()
            .get_all("content-security-policy")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("script-src"))
    );

    // Over HTTPS, HSTS.
    let secure = TestApp::spawn_configured(|config| {
        config.cookie_secure = true;
        config.public_site_url = "https://live.example.com".into();
        config.operator_token = caravan_server::secret::Secret::new("an-operator-token-long-enough".into());
        config.allow_test_checkout = true;
    })
    .await;
    assert_eq!(
        secure.get("/healthz").await.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}
