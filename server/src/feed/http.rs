//! `GET /api/feed/{slug}`: the show's newest visible posts, newest first, as `{"eventId", "slug", "posts": [...]}`
//! (each post as the schema's `FeedPost`). Served from the feed's page cache, never from an upstream, with a strong
//! ETag (`If-None-Match` gets 304) and `Cache-Control` letting a CDN keep it a few seconds. 404 for an unknown show.

use axum::{
    Router,
    extract::{FromRef, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::Feed;
use crate::error::AppError;

/// How long browsers and CDNs may reuse a page without asking (new posts also arrive through `onFeedPost`).
const CACHE_CONTROL: &str = "public, max-age=5, stale-while-revalidate=10";

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Feed: FromRef<S>,
{
    Router::new().route("/api/feed/{slug}", get(feed_page))
}

async fn feed_page(
    State(feed): State<Feed>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let page = feed.page(&slug).await?.ok_or(AppError::NotFound)?;
    let cached = [
        (
            header::ETAG,
            HeaderValue::from_str(&page.etag).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
    ];
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == page.etag || tag.trim() == "*"));
    if unchanged {
        return Ok((StatusCode::NOT_MODIFIED, cached).into_response());
    }
    let content_type = (header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok((cached, [content_type], page.body.clone()).into_response())
}
