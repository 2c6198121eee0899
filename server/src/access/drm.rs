//! License servers for encrypted shows. Every license request is checked the same way first: the event exists, the
//! request carries a viewer session, the viewer is within the license rate limit and may watch the event now.
//! Then `clearkey` answers from the keys kept in the database (the embedded default) and `proxy` forwards the CDM's
//! challenge to the configured Widevine, PlayReady or FairPlay license server.

pub mod clearkey;
pub mod proxy;

use crate::access::AccessHttp;
use axum::{
    Router,
    extract::FromRef,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::Utc;

use super::{
    playback::{decide, event},
    viewer::identify,
};
use crate::{error::AppError, store::EventRecord};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
{
    clearkey::router().merge(proxy::router())
}

/// Checks a license request for the show at `slug`: 404 for an unknown show, 401 without a viewer (session cookie or
/// a member's token), 429 over
/// the rate limit, and 403 with the reason (as from `/api/playback`) when the viewer may not watch now.
/// The event whose keys the viewer may have.
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
