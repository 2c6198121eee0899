//! `POST /api/playback/{slug}`: a viewer asks to watch. The server checks the entitlement (recording the terms when
//! the body says `{"acceptTerms": true}`), and answers `{manifestUrl, expiresAt, drm}` while setting the CloudFront
//! signed cookies that open the event's media folder until `expiresAt`. Refusals are 403 `not_entitled` with
//! `{"error", "reason": "terms" | "entitlement" | "expired", "viewerId"}`; the viewer cookie is set either way, so
//! what is bought or granted later belongs to this viewer.
//!
//! `POST /api/admin/entitlements` (operator): `{"slug", "viewerId", "kind": "ticket" | "rental" | "grant", "email"?}`
//! gives a viewer the right to watch (until commerce sells it); a rental with an e-mail address gets its reminder
//! scheduled. `DELETE /api/admin/entitlements` with `{"slug", "viewerId"}` takes it back (a refund), cancelling the
//! reminder.

use crate::access::AccessHttp;
use axum::{
    Json, Router,
    body::Bytes,
    extract::FromRef,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::access::{
    cloudfront::{Ipv4Cidr, Policy, folder_resource},
    drm::proxy::DrmSystem,
    entitlement,
    playback::{decide, event, grant_entitlement},
    reminders,
    viewer::identify_or_new,
};
use crate::client_address::{ClientAddress, Family};
use crate::{
    error::AppError,
    store::{Access, EntitlementKind, EventRecord, EventStatus},
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
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

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PlaybackAnswer {
    manifest_url: String,
    expires_at: DateTime<Utc>,
    drm: Option<Drm>,
}

/// The license servers of an encrypted stream: ClearKey always (built in), the vendors' systems when configured. The
/// player offers them all to the browser, which uses the one its CDM has.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Drm {
    clearkey: LicenseServer,
    #[serde(skip_serializing_if = "Option::is_none")]
    widevine: Option<LicenseServer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    playready: Option<LicenseServer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fairplay: Option<LicenseServer>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct LicenseServer {
    license_url: String,
    /// FairPlay's application certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_url: Option<String>,
}

impl LicenseServer {
    fn at(license_url: String) -> Self {
        Self {
            license_url,
            certificate_url: None,
        }
    }
}

async fn authorize(
    State(state): State<AccessHttp>,
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
    let event = event(&state.store, &slug).await?;
    let (viewer, new_viewer) = identify_or_new(&state.identity, &headers).await?;
    // Per viewer. A request without a viewer cookie is not limited: it cannot be entitled, so it never costs a
    // signature (limiting by address would shut out everyone behind one carrier NAT at the start of a show).
    if new_viewer.is_none() {
        state
            .access
            .playback_limit
            .take(&viewer.id, std::time::Instant::now())
            .map_err(AppError::TooManyRequests)?;
    }
    let now = Utc::now();
    if request.accept_terms {
        // Each acceptance is a row: a fresh cookie per call must not write without end.
        state.address_limits.limit(Family::Terms, client)?;
        state
            .store
            .accept_terms(&viewer.id, &event.id, now)
            .await
            .map_err(|e| AppError::Unavailable(e.into()))?;
    }
    let mut response = match decide(&state.store, &event, &viewer, now).await? {
        Err(denial) => {
            // Members of the OIDC provider may have what this show needs: offer the sign-in to those not signed in.
            let sign_in = (state.access.oidc.is_some() && !viewer.member)
                .then(|| format!("/auth/login?next=/live/{}", event.slug));
            let mut refusal = denial.refusal();
            refusal.viewer_id = Some(viewer.id.clone());
            refusal.sign_in_url = sign_in;
            AppError::refused(StatusCode::FORBIDDEN, refusal).into_response()
        }
        Ok(allowed) => {
            let viewer_ip = match client.0 {
                std::net::IpAddr::V4(ip) => Some(ip),
                std::net::IpAddr::V6(_) => None,
            };
            allow(&state, &event, allowed, viewer_ip, now).await?
        }
    };
    if let Some(cookie) = new_viewer {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn allow(
    state: &AccessHttp,
    event: &EventRecord,
    allowed: entitlement::Allowed,
    viewer_ip: Option<std::net::Ipv4Addr>,
    now: DateTime<Utc>,
) -> Result<Response, AppError> {
    let access = &state.access;
    let url = match event.status_at(now) {
        EventStatus::Ended => event.archive_url.as_ref(),
        EventStatus::Live | EventStatus::Scheduled => event.live_url.as_ref(),
    }
    .ok_or_else(|| AppError::BadRequest("this show has no video to play now".into()))?;
    let mut expires_at = now + access.authorization;
    if let Some(until) = allowed.until {
        expires_at = expires_at.min(until);
    }
    let drm = state
        .store
        .has_content_keys(&event.id)
        .await
        .map_err(|e| AppError::Unavailable(e.into()))?
        .then(|| {
            let proxy = &access.license_proxy;
            let vendor = |system| proxy.license_url(system, &event.slug).map(LicenseServer::at);
            Drm {
                clearkey: LicenseServer::at(format!("/drm/clearkey/{}", event.slug)),
                widevine: vendor(DrmSystem::Widevine),
                playready: vendor(DrmSystem::PlayReady),
                fairplay: vendor(DrmSystem::FairPlay).map(|server| LicenseServer {
                    certificate_url: proxy.certificate_url().map(str::to_string),
                    ..server
                }),
            }
        });
    let answer = PlaybackAnswer {
        manifest_url: access.public_url(url),
        expires_at,
        drm,
    };
    let mut response = Json(answer).into_response();
    // Only guarded folders need cookies (a free show's media is open, and signing is the expensive part).
    if let Some(prefix) = event.media_prefix.as_ref().filter(|_| event.access != Access::Free) {
        let resource = folder_resource(access.media_origin(), &format!("media/{prefix}"))
            .ok_or_else(|| anyhow::anyhow!("show {} has a media folder no policy can name: {prefix:?}", event.slug))?;
        let policy = Policy {
            resource,
            date_less_than: expires_at.timestamp(),
            // A show not yet on air opens its media only shortly before its start, whenever the cookies were issued.
            date_greater_than: (event.status_at(now) == EventStatus::Scheduled)
                .then(|| (event.starts_at - access.open_before_start).timestamp()),
            // Bound to the viewer's address when configured (IPv4 only, as CloudFront's condition).
            ip_address: viewer_ip
                .filter(|_| access.bind_viewer_ip)
                .map(|address| Ipv4Cidr { address, prefix: 32 }),
        };
        for cookie in access.cookies(&access.signer.sign(&policy)) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    Ok(response)
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

/// The JSON body of an operator's request (by token or console session), or 401/400.
fn operator_request<T: serde::de::DeserializeOwned>(
    state: &AccessHttp,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, AppError> {
    state.identity.require_operator(headers)?;
    crate::hardening::json_body(headers, body, "request")
}

async fn grant(State(state): State<AccessHttp>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, AppError> {
    let request: GrantRequest = operator_request(&state, &headers, &body)?;
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

async fn revoke(State(state): State<AccessHttp>, headers: HeaderMap, body: Bytes) -> Result<StatusCode, AppError> {
    let request: RevokeRequest = operator_request(&state, &headers, &body)?;
    let event = event(&state.store, &request.slug).await?;
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    let now = Utc::now();
    let revoked = state
        .store
        .revoke(&request.viewer_id, &event.id)
        .await
        .map_err(unavailable)?;
    reminders::cancel(&state.store, &request.viewer_id, &event.id, now)
        .await
        .map_err(unavailable)?;
    if revoked {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}
