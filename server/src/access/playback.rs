//! Who may watch a show now, the playback authorization that opens its media (the answer, and the CloudFront signed
//! cookies), and giving a viewer access: what the playback endpoint, the license servers, the console and checkout
//! ask.

use std::net::Ipv4Addr;

use axum::http::{HeaderValue, StatusCode};
use caravan::api::{
    Refusal,
    playback::{Drm, LicenseServer, PlaybackGrant},
};
use chrono::{DateTime, SecondsFormat, Utc};

use super::{
    AccessState,
    cloudfront::{Ipv4Cidr, Policy, folder_resource},
    entitlement::{self, Denial, RENTAL},
    license_proxy::DrmSystem,
    reminders,
    viewer::Viewer,
};
use crate::{
    error::AppError,
    store::{Access, EntitlementKind, EntitlementRecord, EventRecord, EventStatus, Store},
};

/// A viewer asks to watch.
#[derive(Debug)]
pub struct PlaybackRequest<'a> {
    pub slug: &'a str,
    pub viewer: &'a Viewer,
    /// The viewer accepts the show's terms with this request.
    pub accept_terms: bool,
    /// The viewer's IPv4 address, for policies bound to it.
    pub viewer_ip: Option<Ipv4Addr>,
    pub now: DateTime<Utc>,
}

/// Playback allowed: the answer, and the `Set-Cookie`s that open the show's media folder (none for a free show).
#[derive(Debug)]
pub struct Authorized {
    pub grant: PlaybackGrant,
    pub cookies: Vec<HeaderValue>,
}

/// Records the terms when the request accepts them, decides, and authorizes playback: 403 `not_entitled` (with the
/// viewer's code, and the sign-in for a viewer who is not a member yet) when the viewer may not watch.
#[tracing::instrument(skip_all, fields(show = %request.slug))]
pub async fn authorize(
    store: &Store,
    access: &AccessState,
    request: PlaybackRequest<'_>,
) -> Result<Authorized, AppError> {
    let event = event(store, request.slug).await?;
    let viewer = request.viewer;
    if request.accept_terms {
        store.accept_terms(&viewer.id, &event.id, request.now).await?;
    }
    match decide(store, &event, viewer, request.now).await? {
        Ok(allowed) => allow(store, access, &event, allowed, request.viewer_ip, request.now).await,
        Err(denial) => {
            let mut refusal: Refusal = denial.refusal();
            refusal.viewer_id = Some(viewer.id.clone());
            // Members of the OIDC provider may have what this show needs: offer the sign-in to those not signed in.
            refusal.sign_in_url =
                (access.oidc.is_some() && !viewer.member).then(|| format!("/auth/login?next=/live/{}", event.slug));
            Err(AppError::refused(StatusCode::FORBIDDEN, refusal))
        }
    }
}

/// The event of a slug, or 404.
pub async fn event(store: &Store, slug: &str) -> Result<EventRecord, AppError> {
    store.event_by_slug(slug).await?.ok_or(AppError::NotFound)
}

/// The grant for an allowed viewer: the stream now (the recording once the show has ended), until the entitlement or
/// the longest authorization ends, its license servers when it is encrypted, and the signed cookies of a guarded
/// folder.
async fn allow(
    store: &Store,
    access: &AccessState,
    event: &EventRecord,
    allowed: entitlement::Allowed,
    viewer_ip: Option<Ipv4Addr>,
    now: DateTime<Utc>,
) -> Result<Authorized, AppError> {
    let url = match event.status_at(now) {
        EventStatus::Ended => event.archive_url.as_ref(),
        EventStatus::Live | EventStatus::Scheduled => event.live_url.as_ref(),
    }
    .ok_or_else(|| AppError::BadRequest("this show has no video to play now".into()))?;
    let mut expires_at = now + access.authorization;
    if let Some(until) = allowed.until {
        expires_at = expires_at.min(until);
    }
    let drm = store.has_content_keys(&event.id).await?.then(|| {
        let proxy = &access.license_proxy;
        let vendor = |system| proxy.license_url(system, &event.slug).map(LicenseServer::at);
        Drm {
            clearkey: Some(LicenseServer::at(format!("/drm/clearkey/{}", event.slug))),
            widevine: vendor(DrmSystem::Widevine),
            playready: vendor(DrmSystem::PlayReady),
            fairplay: vendor(DrmSystem::FairPlay).map(|server| LicenseServer {
                certificate_url: proxy.certificate_url().map(str::to_string),
                ..server
            }),
        }
    });
    let grant = PlaybackGrant {
        manifest_url: access.public_url(url),
        expires_at: expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        drm,
    };
    let mut cookies = Vec::new();
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
        cookies = access.cookies(&access.signer.sign(&policy));
    }
    Ok(Authorized { grant, cookies })
}

/// Whether the viewer may watch the event now (a member also by what their browser's anonymous viewer holds).
pub async fn decide(
    store: &Store,
    event: &EventRecord,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<Result<entitlement::Allowed, Denial>, AppError> {
    let mut entitlement = None;
    let mut terms = !event.terms_required;
    for id in std::iter::once(&viewer.id).chain(viewer.anonymous_id.as_ref()) {
        if entitlement.is_none() {
            entitlement = store.entitlement(id, &event.id).await?;
        }
        if !terms {
            terms = store.terms_accepted(id, &event.id).await?;
        }
    }
    Ok(entitlement::decide(
        event,
        entitlement.as_ref(),
        terms,
        &viewer.plans,
        now,
    ))
}

/// Gives a viewer (by the code the player shows) the right to watch the show at `slug`: a ticket or a grant for as
/// long as the show, a rental for 48 h from `now`, whose reminder goes to `email` 5 h before its end. The operator's
/// REST call and the console both come here.
pub async fn grant_entitlement(
    store: &Store,
    slug: &str,
    viewer_id: String,
    kind: EntitlementKind,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<EntitlementRecord, AppError> {
    let email = crate::mail::optional_address(email)?;
    let is_code = viewer_id.len() == 22
        && viewer_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !is_code {
        return Err(AppError::BadRequest(
            "the viewer code is the 22 characters the player shows".into(),
        ));
    }
    let event = event(store, slug).await?;
    let entitlement = EntitlementRecord {
        viewer_id,
        event_id: event.id,
        kind,
        granted_at: now,
        expires_at: match kind {
            EntitlementKind::Rental => Some(now + RENTAL),
            EntitlementKind::Ticket | EntitlementKind::Grant => None,
        },
    };
    store.grant(&entitlement).await?;
    reminders::schedule(store, &entitlement, email, now).await?;
    Ok(entitlement)
}

/// Takes back a viewer's right to watch the show at `slug` (a refund), with its rental's reminder: 404 when there was
/// none to take back.
pub async fn revoke_entitlement(
    store: &Store,
    slug: &str,
    viewer_id: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let event = event(store, slug).await?;
    let revoked = store.revoke(viewer_id, &event.id).await?;
    reminders::cancel(store, viewer_id, &event.id, now).await?;
    if revoked { Ok(()) } else { Err(AppError::NotFound) }
}
