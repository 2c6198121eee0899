//! The license servers' endpoints for encrypted shows: `POST /drm/clearkey/{slug}` (`super::clearkey`, the embedded
//! default), and the proxy to the vendors' (`access::license_proxy`): `POST /drm/widevine/{slug}`,
//! `POST /drm/playready/{slug}`, `POST /drm/fairplay/{slug}` and `GET /drm/fairplay/certificate`. Every license
//! request is checked the same way first (`licensee`): the event exists, the request carries a viewer session, the
//! viewer is within the license rate limit and may watch the event now.

use axum::{
    Router,
    body::Body,
    extract::{FromRef, Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use caravan::api::{Refusal, RefusalCode};
use chrono::Utc;

use super::AccessHttp;
use crate::{
    access::{
        license_proxy::{DrmSystem, License},
        playback::{decide, event},
        viewer::identify,
    },
    error::AppError,
    store::EventRecord,
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
{
    Router::new()
        .route("/drm/clearkey/{slug}", post(super::clearkey::license))
        .route("/drm/widevine/{slug}", post(widevine))
        .route("/drm/playready/{slug}", post(playready))
        .route("/drm/fairplay/certificate", get(fairplay_certificate))
        .route("/drm/fairplay/{slug}", post(fairplay))
}

/// Checks a license request for the show at `slug`: 404 for an unknown show, 401 without a viewer (session cookie or
/// a member's token), 429 over the rate limit, and 403 with the reason (as from `/api/playback`) when the viewer may
/// not watch now. The event whose keys the viewer may have.
pub async fn licensee(state: &AccessHttp, slug: &str, headers: &HeaderMap) -> Result<EventRecord, Response> {
    let event = event(&state.store, slug).await.map_err(IntoResponse::into_response)?;
    let viewer = identify(&state.identity, headers)
        .await
        .map_err(IntoResponse::into_response)?
        .ok_or_else(|| AppError::Unauthorized.into_response())?;
    state
        .access
        .license_limit
        .take(&viewer.id, std::time::Instant::now())
        .map_err(|wait| AppError::TooManyRequests(wait).into_response())?;
    match decide(&state.store, &event, &viewer, Utc::now()).await {
        Ok(Ok(_)) => Ok(event),
        Ok(Err(denial)) => Err(AppError::refused(StatusCode::FORBIDDEN, denial.refusal()).into_response()),
        Err(e) => Err(e.into_response()),
    }
}

async fn widevine(state: State<AccessHttp>, slug: Path<String>, headers: HeaderMap, body: Body) -> Reply {
    proxied(DrmSystem::Widevine, state, slug, headers, body).await
}

async fn playready(state: State<AccessHttp>, slug: Path<String>, headers: HeaderMap, body: Body) -> Reply {
    proxied(DrmSystem::PlayReady, state, slug, headers, body).await
}

async fn fairplay(state: State<AccessHttp>, slug: Path<String>, headers: HeaderMap, body: Body) -> Reply {
    proxied(DrmSystem::FairPlay, state, slug, headers, body).await
}

type Reply = Result<Response, AppError>;

/// A license request, checked and forwarded to the system's license server; its answer unchanged.
async fn proxied(
    system: DrmSystem,
    State(state): State<AccessHttp>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let proxy = &state.access.license_proxy;
    let Some(upstream) = proxy.upstream(system) else {
        let message = format!("{} is not configured on this server", system.name());
        return Err(AppError::refused(
            StatusCode::NOT_FOUND,
            Refusal::new(RefusalCode::NotConfigured, message),
        ));
    };
    let body = axum::body::to_bytes(body, proxy.max_body())
        .await
        .map_err(|_| AppError::PayloadTooLarge(proxy.max_body()))?;
    if body.is_empty() {
        return Err(AppError::BadRequest("the license request is empty".into()));
    }
    let event = match licensee(&state, &slug, &headers).await {
        Ok(event) => event,
        Err(refusal) => return Ok(refusal),
    };
    let key_ids = proxy.key_ids(&state.store, &event.id).await?;
    let License { content_type, bytes } = proxy.forward(upstream, &headers, body, &key_ids).await?;
    let no_store = HeaderValue::from_static("no-store");
    Ok((
        [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, no_store)],
        bytes,
    )
        .into_response())
}

async fn fairplay_certificate(State(state): State<AccessHttp>) -> Reply {
    let bytes = state.access.license_proxy.fairplay_certificate().await?;
    let content_type = HeaderValue::from_static("application/octet-stream");
    let cache = HeaderValue::from_static("public, max-age=3600");
    Ok((
        [(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, cache)],
        bytes,
    )
        .into_response())
}
