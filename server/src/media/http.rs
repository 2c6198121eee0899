//! `/media/…`: the media directory's files over HTTP, behind the media gate.

use std::path::Path;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::services::ServeDir;

use crate::access::http::{AccessHttp, gate::guard};

/// `/media/…`: files of the media directory, typed for HLS. Playlists change every segment and must not be cached;
/// segments never change.
/// Guarded events' folders pass the media gate first (`access::gate`).
pub fn router<S: Clone + Send + Sync + 'static>(media_dir: &Path, gate: AccessHttp) -> Router<S> {
    Router::new()
        .nest_service("/media", ServeDir::new(media_dir))
        .layer(middleware::from_fn(hls_headers))
        .layer(middleware::from_fn_with_state(gate, guard))
}

async fn hls_headers(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if !response.status().is_success() {
        return response;
    }
    let (content_type, cache) = if path.ends_with(".m3u8") {
        ("application/vnd.apple.mpegurl", "no-cache")
    } else if path.ends_with(".ts") {
        ("video/mp2t", "public, max-age=3600")
    } else if path.ends_with(".m4s") {
        ("video/iso.segment", "public, max-age=3600")
    } else if path.ends_with(".mp4") {
        ("video/mp4", "public, max-age=3600")
    } else if path.ends_with(".vtt") {
        ("text/vtt; charset=utf-8", "public, max-age=3600")
    } else {
        return response;
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
