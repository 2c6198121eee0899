//! `POST /api/analytics/{slug}`: the player's batches of playback events (play, pause, error, quality change,
//! rebuffer, watch time), summed per page view and counted per event for the operator console.
//!
//! Body (JSON, at most 16 KiB; sent with `fetch` or `navigator.sendBeacon`, so any content type is read):
//! `{"session": "<8–64 of A-Z a-z 0-9 _ ->", "playing": true, "watchedMs": 15000,
//!   "events": [{"kind": "play"}, {"kind": "rebuffer", "durationMs": 800}, {"kind": "quality", "level": "720p"}]}`
//! Answers 204; 400 with a JSON message for a malformed batch, 404 for an unknown show, 413 over the size limit.

use axum::{
    Router,
    body::Body,
    extract::{FromRef, Path, State},
    http::StatusCode,
    routing::post,
};
use chrono::Utc;
use serde::Deserialize;

use crate::{
    client_address::{AddressLimits, ClientAddress, Family},
    error::AppError,
    store::{PlaybackDelta, Store},
};

/// Largest batch body.
const MAX_BODY: usize = 16 * 1024;
/// Most events in one batch (the player sends far fewer).
const MAX_EVENTS: usize = 100;
/// Most watch time or rebuffering one batch may report: a background tab's timers can be slowed to once a minute,
/// so a batch can cover minutes, but not more than this.
const MAX_SPAN_MS: i64 = 10 * 60 * 1000;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Store: FromRef<S>,
    AddressLimits: FromRef<S>,
{
    Router::new().route("/api/analytics/{slug}", post(record))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Batch {
    session: String,
    playing: bool,
    #[serde(default)]
    watched_ms: i64,
    #[serde(default)]
    events: Vec<PlaybackEvent>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", rename_all_fields = "camelCase")]
enum PlaybackEvent {
    Play,
    Pause,
    /// `detail`: what failed, for the log.
    Error {
        detail: Option<String>,
    },
    /// `level`: the rendition now playing, for the log.
    Quality {
        level: Option<String>,
    },
    Rebuffer {
        duration_ms: i64,
    },
}

impl Batch {
    fn parse(body: &[u8]) -> Result<Self, AppError> {
        let batch: Batch =
            serde_json::from_slice(body).map_err(|e| AppError::BadRequest(format!("invalid analytics batch: {e}")))?;
        let session_ok = (8..=64).contains(&batch.session.len())
            && batch
                .session
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !session_ok {
            return Err(AppError::BadRequest(
                "session must be 8 to 64 letters, digits, '_' or '-'".into(),
            ));
        }
        if batch.events.len() > MAX_EVENTS {
            return Err(AppError::BadRequest(format!("at most {MAX_EVENTS} events per batch")));
        }
        let spans = std::iter::once(batch.watched_ms).chain(batch.events.iter().filter_map(|e| match e {
            PlaybackEvent::Rebuffer { duration_ms } => Some(*duration_ms),
            _ => None,
        }));
        for span in spans {
            if !(0..=MAX_SPAN_MS).contains(&span) {
                return Err(AppError::BadRequest(format!(
                    "durations must be between 0 and {MAX_SPAN_MS} ms"
                )));
            }
        }
        Ok(batch)
    }

    fn delta(&self) -> PlaybackDelta {
        let mut delta = PlaybackDelta {
            watched_ms: self.watched_ms,
            playing: self.playing,
            ..PlaybackDelta::default()
        };
        for event in &self.events {
            match event {
                PlaybackEvent::Play => delta.plays += 1,
                PlaybackEvent::Pause => delta.pauses += 1,
                PlaybackEvent::Error { .. } => delta.errors += 1,
                PlaybackEvent::Quality { .. } => delta.quality_changes += 1,
                PlaybackEvent::Rebuffer { duration_ms } => {
                    delta.rebuffers += 1;
                    delta.rebuffer_ms += duration_ms;
                }
            }
        }
        delta
    }
}

async fn record(
    State(store): State<Store>,
    State(limits): State<AddressLimits>,
    axum::Extension(client): axum::Extension<ClientAddress>,
    Path(slug): Path<String>,
    body: Body,
) -> Result<StatusCode, AppError> {
    // Forged batches from fresh cookies would fill the console's figures ("watching now").
    limits.limit(Family::Analytics, client)?;
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::PayloadTooLarge(MAX_BODY))?;
    let batch = Batch::parse(&body)?;
    for event in &batch.events {
        match event {
            PlaybackEvent::Error { detail } => tracing::info!(?slug, ?detail, "a viewer's player failed"),
            PlaybackEvent::Quality { level } => tracing::debug!(?slug, ?level, "a viewer's quality changed"),
            _ => {}
        }
    }
    let event = crate::access::playback::event(&store, &slug).await?;
    store
        .record_playback(&event.id, &batch.session, &batch.delta(), Utc::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_sums_its_events() {
        let batch = Batch::parse(
            br#"{"session":"abcdef0123","playing":true,"watchedMs":15000,"events":[{"kind":"play"},
                {"kind":"rebuffer","durationMs":700},{"kind":"rebuffer","durationMs":300},{"kind":"pause"},
                {"kind":"quality","level":"360p"},{"kind":"error","detail":"network"},{"kind":"play"}]}"#,
        )
        .unwrap();
        assert_eq!(
            batch.delta(),
            PlaybackDelta {
                plays: 2,
                pauses: 1,
                errors: 1,
                rebuffers: 2,
                rebuffer_ms: 1000,
                quality_changes: 1,
                watched_ms: 15000,
                playing: true,
            }
        );
    }

    #[test]
    fn malformed_batches_say_what_is_wrong() {
        let message = |body: &str| match Batch::parse(body.as_bytes()) {
            Err(AppError::BadRequest(message)) => message,
            other => panic!("{other:?}"),
        };
        assert!(message("{").contains("invalid analytics batch"));
        assert!(message(r#"{"session":"abcdefgh","playing":true,"events":[{"kind":"dance"}]}"#).contains("dance"));
        assert!(message(r#"{"session":"short","playing":true}"#).contains("session"));
        assert!(message(r#"{"session":"abc def ghi","playing":true}"#).contains("session"));
        assert!(message(r#"{"session":"abcdefgh","playing":true,"watchedMs":-1}"#).contains("durations"));
        assert!(message(r#"{"session":"abcdefgh","playing":true,"watchedMs":3600000}"#).contains("durations"));
        let many = format!(
            r#"{{"session":"abcdefgh","playing":true,"events":[{}]}}"#,
            vec![r#"{"kind":"play"}"#; 101].join(",")
        );
        assert!(message(&many).contains("at most 100"));
        assert!(message(r#"{"session":"abcdefgh","playing":true,"extra":1}"#).contains("extra"));
    }
}
