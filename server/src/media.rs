//! Media: the demo's streams, made on this machine, and the `/media` files.
//!
//! In demo mode the server runs ffmpeg as a supervised child process writing a live stream (`live`), and makes the
//! on-demand recording and its ClearKey-encrypted variant once (`demo_vod`).

mod demo_vod;
mod live;

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::{self, Next},
    response::Response,
};
use tower_http::services::ServeDir;

pub use demo_vod::{ContentKey, DemoVod, MediaError};
pub use live::supervise_demo_live;

use crate::state::AppState;

/// Where the demo's media is written, under the media directory: the live stream, the recording, and the recording
/// encrypted for ClearKey.
pub const DEMO_LIVE: &str = "demo/live";
pub const DEMO_ARCHIVE: &str = "demo/archive";
pub const DEMO_CLEARKEY: &str = "demo/clearkey";

/// The URL of one of the demo's master playlists.
pub fn demo_url(media: &str) -> String {
    format!("/media/{media}/master.m3u8")
}

/// `/media/…`: files of the media directory, typed for HLS. Playlists change every segment and must not be cached;
/// segments never change.
/// Guarded events' folders pass the media gate first (`access::gate`).
pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .nest_service("/media", ServeDir::new(state.media_dir.clone()))
        .layer(middleware::from_fn(hls_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::access::gate::guard,
        ))
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
