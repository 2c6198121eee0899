//! Who may watch a show now, and giving a viewer access: what the playback endpoint, the license servers, the
//! console and checkout ask.

use chrono::{DateTime, Utc};

use super::{
    entitlement::{self, Denial, RENTAL},
    reminders,
    viewer::Viewer,
};
use crate::{
    error::AppError,
    store::{EntitlementKind, EntitlementRecord, EventRecord, Store},
};

/// The event of a slug, or 404.
pub async fn event(store: &Store, slug: &str) -> Result<EventRecord, AppError> {
    store
        .event_by_slug(slug)
        .await
        .map_err(|e| AppError::Unavailable(e.into()))?
        .ok_or(AppError::NotFound)
}

/// Whether the viewer may watch the event now (a member also by what their browser's anonymous viewer holds).
pub async fn decide(
    store: &Store,
    event: &EventRecord,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<Result<entitlement::Allowed, Denial>, AppError> {
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    let mut entitlement = None;
    let mut terms = !event.terms_required;
    for id in std::iter::once(&viewer.id).chain(viewer.anonymous_id.as_ref()) {
        if entitlement.is_none() {
            entitlement = store.entitlement(id, &event.id).await.map_err(unavailable)?;
        }
        if !terms {
            terms = store.terms_accepted(id, &event.id).await.map_err(unavailable)?;
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
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    store.grant(&entitlement).await.map_err(unavailable)?;
    reminders::schedule(store, &entitlement, email, now)
        .await
        .map_err(unavailable)?;
    Ok(entitlement)
}
