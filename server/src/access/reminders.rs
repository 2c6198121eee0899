//! The rental reminder: mailed 5 h before a rental ends, scheduled when the rental is granted and cancelled when it
//! is revoked (refunded) or replaced. A durable job (`crate::jobs` runs it).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{EntitlementKind, EntitlementRecord, MailState, NewMail, Store, StoreError};

/// The rental reminder's kind.
pub const RENTAL_REMINDER: &str = "rental_reminder";
/// How long before a rental's end its reminder goes out.
pub const REMINDER_BEFORE_END: Duration = Duration::hours(5);
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RentalReminder {
    viewer_id: String,
    event_id: String,
    email: String,
    /// The end the reminder is about: a rental renewed since has its own reminder.
    expires_at: DateTime<Utc>,
}

/// The job key of the rental reminder of a viewer and event.
pub fn reminder_key(viewer_id: &str, event_id: &str) -> String {
    format!("{RENTAL_REMINDER}:{event_id}:{viewer_id}")
}

/// Schedules the reminder of a rental, 5 h before its end, to `email` (replacing an earlier one for the same viewer
/// and event). Other entitlements cancel the reminder instead: a ticket has no end to remind of.
#[tracing::instrument(skip_all, fields(show = %entitlement.event_id))]
pub async fn schedule(
    store: &Store,
    entitlement: &EntitlementRecord,
    email: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let key = reminder_key(&entitlement.viewer_id, &entitlement.event_id);
    let (EntitlementKind::Rental, Some(expires_at), Some(email)) = (entitlement.kind, entitlement.expires_at, email)
    else {
        store.cancel_job(&key, now).await?;
        return Ok(());
    };
    let payload = RentalReminder {
        viewer_id: entitlement.viewer_id.clone(),
        event_id: entitlement.event_id.clone(),
        email: email.to_string(),
        expires_at,
    };
    let payload = serde_json::to_string(&payload).unwrap_or_default();
    store
        .schedule_job(RENTAL_REMINDER, &key, &payload, expires_at - REMINDER_BEFORE_END, now)
        .await
}

/// Cancels a rental's reminder (the rental was refunded).
pub async fn cancel(store: &Store, viewer_id: &str, event_id: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    store.cancel_job(&reminder_key(viewer_id, event_id), now).await
}

/// Runs a reminder job: the mail to send, or `None` when there is nothing to remind of any more (the rental was
/// refunded or renewed meanwhile, or has ended).
pub async fn run(
    store: &Store,
    site_url: &str,
    mail_state: MailState,
    payload: &str,
    now: DateTime<Utc>,
) -> Result<Option<NewMail>, String> {
    let reminder: RentalReminder = serde_json::from_str(payload).map_err(|e| format!("payload: {e}"))?;
    let store_error = |e: StoreError| e.to_string();
    let current = store
        .entitlement(&reminder.viewer_id, &reminder.event_id)
        .await
        .map_err(store_error)?;
    let still_this_rental = current
        .is_some_and(|rental| rental.kind == EntitlementKind::Rental && rental.expires_at == Some(reminder.expires_at));
    let event = store.event_by_id(&reminder.event_id).await.map_err(store_error)?;
    let (true, Some(event)) = (still_this_rental && reminder.expires_at > now, event) else {
        return Ok(None);
    };
    let left = reminder.expires_at - now;
    let hours = (left.num_minutes() as f64 / 60.0).round().max(1.0);
    let link = format!("{}/live/{}", site_url.trim_end_matches('/'), event.slug);
    let ends = reminder.expires_at.format("%Y-%m-%d %H:%M UTC");
    Ok(Some(NewMail {
        recipient: reminder.email,
        subject: format!("Your rental of “{}” ends in {hours} hours", event.title),
        body: format!(
            "Your rental of “{}” ends at {ends}.\n\nWatch it before then: {link}\n\n\
             — Caravan\n(You get this message because you rented this show.)\n",
            event.title
        ),
        state: mail_state,
    }))
}
