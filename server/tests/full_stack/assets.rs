//! The built site: the hydrate bundle is served from its content-hashed folder, precompressed and cached for a year;
//! the files of public/ are served as they are.

use crate::support::TestApp;

fn write_site(dir: &std::path::Path) {
    let pkg = dir.join("site/pkg/0123abcd");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(dir.join("site/manifest.json"), r#"{"pkg":"pkg/0123abcd"}"#).unwrap();
    std::fs::write(pkg.join("caravan.js"), "export default function init() {}").unwrap();
    std::fs::write(pkg.join("caravan.js.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("caravan.js.gz"), b"gzip bytes").unwrap();
    std::fs::create_dir_all(dir.join("site/demo")).unwrap();
    std::fs::write(dir.join("site/demo/product-01.svg"), "<svg/>").unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bundle_is_precompressed_and_immutable() {
    let app = TestApp::spawn_with(write_site).await;
    let url = app.url("/pkg/0123abcd/caravan.js");

    let response = app
        .client
        .get(&url)
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "br");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), b"brotli bytes");

    let response = app
        .client
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");

    let response = app.client.get(&url).send().await.unwrap();
    assert!(!response.headers().contains_key("content-encoding"));
    assert_eq!(response.text().await.unwrap(), "export default function init() {}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bundle_file_is_404() {
    let app = TestApp::spawn_with(write_site).await;
    assert_eq!(app.get("/pkg/0123abcd/nope.js").await.status(), 404);
    assert_eq!(app.get("/pkg/old-build/caravan.js").await.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_files_are_served() {
    let app = TestApp::spawn_with(write_site).await;
    let response = app.get("/demo/product-01.svg").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
}
