//! `/media/…`: the media store's objects over HTTP, behind the media gate, as a CDN's origin serves them: typed for
//! HLS, with entity tags (`304` for a copy that is current) and single byte ranges (`206`, `416`).

use axum::{
    Router,
    body::Body,
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use caravan::api::{Refusal, RefusalCode};

use crate::{
    access::http::{AccessHttp, gate::guard},
    error::AppError,
    media_store::{Fetched, MediaStore, Read, ReadError, Wanted},
};

/// `/media/…`: objects of the media store. Playlists change every segment and must not be cached; segments never
/// change. Guarded events' folders pass the media gate first (`access::gate`).
pub fn router<S: Clone + Send + Sync + 'static>(media: MediaStore, gate: AccessHttp) -> Router<S> {
    Router::new()
        .route("/media/{*key}", get(serve))
        .with_state(media)
        .layer(middleware::from_fn(hls_headers))
        .layer(middleware::from_fn_with_state(gate, guard))
}

async fn serve(State(media): State<MediaStore>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let wanted = Wanted {
        range: match byte_range(&headers) {
            Ok(range) => range,
            Err(()) => return not_satisfiable(None),
        },
        if_none_match: headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let partial = wanted.range.is_some();
    match media.read(&key, wanted).await {
        Ok(Read::Object(fetched)) => respond(fetched, partial),
        Ok(Read::NotModified) => StatusCode::NOT_MODIFIED.into_response(),
        Ok(Read::Missing) => AppError::refused(
            StatusCode::NOT_FOUND,
            Refusal::new(RefusalCode::NotFound, "no such media"),
        )
        .into_response(),
        Err(ReadError::RangeNotSatisfiable(size)) => not_satisfiable(Some(size)),
        Err(ReadError::Store(e)) => {
            tracing::error!(error = %e, %key, "cannot read media");
            let refusal = Refusal::new(RefusalCode::Unavailable, "the media cannot be read now; try again");
            AppError::refused(StatusCode::SERVICE_UNAVAILABLE, refusal).into_response()
        }
    }
}

/// The object's bytes with what a cache and a player need to know of them.
fn respond(fetched: Fetched, partial: bool) -> Response {
    let mut response = Response::new(Body::from_stream(fetched.body));
    let out = response.headers_mut();
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(
        header::CONTENT_LENGTH,
        HeaderValue::from(fetched.range.end - fetched.range.start),
    );
    if let Some(Ok(e_tag)) = fetched.e_tag.as_deref().map(HeaderValue::from_str) {
        out.insert(header::ETAG, e_tag);
    }
    let modified = fetched.last_modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    if let Ok(modified) = HeaderValue::from_str(&modified) {
        out.insert(header::LAST_MODIFIED, modified);
    }
    if partial {
        let (first, last) = (fetched.range.start, fetched.range.end - 1);
        if let Ok(range) = HeaderValue::from_str(&format!("bytes {first}-{last}/{}", fetched.size)) {
            out.insert(header::CONTENT_RANGE, range);
        }
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    response
}

/// 416, with the object's size when known.
fn not_satisfiable(size: Option<u64>) -> Response {
    let mut response = AppError::refused(
        StatusCode::RANGE_NOT_SATISFIABLE,
        Refusal::new(RefusalCode::BadRequest, "the byte range is not in the object"),
    )
    .into_response();
    if let Some(Ok(range)) = size.map(|size| HeaderValue::from_str(&format!("bytes */{size}"))) {
        response.headers_mut().insert(header::CONTENT_RANGE, range);
    }
    response
}

/// The one byte range a request asks for (`bytes=A-B`, `bytes=A-`); `None` for the whole object, including for
/// several ranges or a unit other than bytes (served whole, as RFC 9110 allows); `Err` for a range that cannot be
/// (`B < A`). A suffix range (`bytes=-N`) is served whole too: players do not send one.
fn byte_range(headers: &HeaderMap) -> Result<Option<std::ops::Range<u64>>, ()> {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Ok(None);
    };
    let Ok(first) = first.trim().parse::<u64>() else {
        return Ok(None);
    };
    match last.trim() {
        "" => Ok(Some(first..u64::MAX)),
        last => match last.parse::<u64>() {
            Ok(last) if last >= first => Ok(Some(first..last.saturating_add(1))),
            Ok(_) => Err(()),
            Err(_) => Ok(None),
        },
    }
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
        ("application/octet-stream", "public, max-age=3600")
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(value: &str) -> Result<Option<std::ops::Range<u64>>, ()> {
        let mut headers = HeaderMap::new();
        headers.insert(header::RANGE, HeaderValue::from_str(value).unwrap());
        byte_range(&headers)
    }

    #[test]
    fn one_byte_range_is_read_and_anything_else_is_the_whole() {
        assert_eq!(byte_range(&HeaderMap::new()), Ok(None));
        assert_eq!(range("bytes=0-99"), Ok(Some(0..100)));
        assert_eq!(range("bytes=100-"), Ok(Some(100..u64::MAX)));
        assert_eq!(range("bytes=5-4"), Err(()));
        for whole in ["bytes=0-1,5-6", "items=0-1", "bytes=-500", "bytes=x-1", "bytes=0-y"] {
            assert_eq!(range(whole), Ok(None), "{whole}");
        }
        assert_eq!(range("bytes=0-18446744073709551615"), Ok(Some(0..u64::MAX)));
    }
}
