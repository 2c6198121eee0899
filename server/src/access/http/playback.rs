//! `POST /api/playback/{slug}`: a viewer asks to watch. The server checks the entitlement (recording the terms when
//! the body says `{"acceptTerms": true}`), and answers `{manifestUrl, expiresAt, drm}` while setting the CloudFront
//! signed cookies that open the event's media folder until `expiresAt` (`caravan::api::playback::PlaybackGrant`; the
//! rules are `access::playback`'s). Refusals are 403 `not_entitled` with `{"error", "reason": "terms" | "entitlement"
//! | "expired" | "plan", "viewerId"}`; the viewer cookie is set either way, so what is bought or granted later belongs
//! to this viewer.
//!
//! `POST /api/admin/entitlements` (operator): `{"slug", "viewerId", "kind": "ticket" | "rental" | "grant", "email"?}`
//! gives a viewer the right to watch (until commerce sells it); a rental with an e-mail address gets its reminder
//! scheduled. `DELETE /api/admin/entitlements` with `{"slug", "viewerId"}` takes it back (a refund), cancelling the
//! reminder.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRef, Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{AppendHeaders, IntoResponse, Response},
    routing::post,
};
use chrono::Utc;
use serde::Deserialize;

use crate::{
    access::{
        http::AccessHttp,
        playback::{self, grant_entitlement, revoke_entitlement},
        viewer::Identity,
    },
    client_address::{ClientAddress, Family},
    error::AppError,
    extract::{Operator, Viewer},
    store::EntitlementKind,
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
    Identity: FromRef<S>,
{
    Router::new()
        .route("/api/playback/{slug}", post(authorize))
        .route("/api/admin/entitlements", post(grant).delete(revoke))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaybackRequest {
    #[serde(default)]
    accept_terms: bool,
}

/// One ask to watch, from the player or from a render of the show's page.
struct Asked<'a> {
    slug: &'a str,
    viewer: &'a crate::access::viewer::Viewer,
    /// The request made the viewer (it had no cookie).
    new_viewer: bool,
    accept_terms: bool,
    client: ClientAddress,
}

impl Asked<'_> {
    fn request(&self) -> playback::PlaybackRequest<'_> {
        playback::PlaybackRequest {
            slug: self.slug,
            viewer: self.viewer,
            accept_terms: self.accept_terms,
            viewer_ip: match self.client.0 {
                std::net::IpAddr::V4(ip) => Some(ip),
                std::net::IpAddr::V6(_) => None,
            },
            now: Utc::now(),
        }
    }
}

/// Per viewer: a request without a viewer cookie is not limited (it cannot be entitled, so it never costs a
/// signature; limiting by address would shut out everyone behind one carrier NAT at the start of a show). Per address:
/// accepting terms (each acceptance is a row: a fresh cookie per call must not write without end).
fn limit(state: &AccessHttp, asked: &Asked<'_>) -> Result<(), AppError> {
    if !asked.new_viewer {
        let taken = state
            .access
            .playback_limit
            .take(&asked.viewer.id, std::time::Instant::now());
        taken.map_err(AppError::TooManyRequests)?;
    }
    if asked.accept_terms {
        state.address_limits.limit(Family::Terms, asked.client)?;
    }
    Ok(())
}

async fn authorize(
    State(state): State<AccessHttp>,
    Viewer(viewer, new_viewer): Viewer,
    Path(slug): Path<String>,
    axum::Extension(client): axum::Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: PlaybackRequest = if body.iter().all(u8::is_ascii_whitespace) {
        PlaybackRequest::default()
    } else {
        crate::hardening::json_body(&headers, &body, "playback request")?
    };
    let asked = Asked {
        slug: &slug,
        viewer: &viewer,
        new_viewer: new_viewer.is_new(),
        accept_terms: request.accept_terms,
        client,
    };
    limit(&state, &asked)?;
    let response = match playback::authorize(&state.store, &state.access, asked.request()).await {
        Ok(authorized) => {
            let cookies = authorized
                .cookies
                .into_iter()
                .map(|cookie| (header::SET_COOKIE, cookie));
            (AppendHeaders(cookies), Json(authorized.grant)).into_response()
        }
        Err(refused) => refused.into_response(),
    };
    Ok((new_viewer, response).into_response())
}

/// The same authorization, asked by the server itself while it renders a show's page for `request` (the player's
/// first ask, answered before the page is sent): the grant, and the cookies for the page's response (the viewer's
/// when the request made one, and the media's). `None` when the viewer may not watch, or cannot be told now: the
/// player then asks as usual and says why.
pub async fn authorize_at_render(
    state: &AccessHttp,
    slug: &str,
    request: &axum::http::request::Parts,
) -> Option<(caravan::api::playback::PlaybackGrant, Vec<axum::http::HeaderValue>)> {
    let client = *request.extensions.get::<ClientAddress>()?;
    let (viewer, new_viewer) = crate::access::viewer::identify_or_new(&state.identity, &request.headers)
        .await
        .ok()?;
    let asked = Asked {
        slug,
        viewer: &viewer,
        new_viewer: new_viewer.is_some(),
        accept_terms: false,
        client,
    };
    limit(state, &asked).ok()?;
    let authorized = playback::authorize(&state.store, &state.access, asked.request())
        .await
        .ok()?;
    Some((
        authorized.grant,
        new_viewer.into_iter().chain(authorized.cookies).collect(),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GrantRequest {
    slug: String,
    viewer_id: String,
    kind: EntitlementKind,
    /// Where the rental's reminder goes.
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RevokeRequest {
    slug: String,
    viewer_id: String,
}

async fn grant(
    _: Operator,
    State(state): State<AccessHttp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let request: GrantRequest = crate::hardening::json_body(&headers, &body, "request")?;
    grant_entitlement(
        &state.store,
        &request.slug,
        request.viewer_id,
        request.kind,
        request.email.as_deref(),
        Utc::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn revoke(
    _: Operator,
    State(state): State<AccessHttp>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, AppError> {
    let request: RevokeRequest = crate::hardening::json_body(&headers, &body, "request")?;
    revoke_entitlement(&state.store, &request.slug, &request.viewer_id, Utc::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
