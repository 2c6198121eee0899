//! Playback analytics: the player's batches summed per page view (session), and counted per event.

use chrono::{DateTime, Duration, Utc};

use super::{At, Flag, Store, StoreError};

/// What one batch adds to its session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaybackDelta {
    pub plays: i64,
    pub pauses: i64,
    pub errors: i64,
    pub rebuffers: i64,
    pub rebuffer_ms: i64,
    pub quality_changes: i64,
    pub watched_ms: i64,
    /// Whether the video was playing when the batch was sent.
    pub playing: bool,
}

/// An event's playback, as the console shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct PlaybackStats {
    /// Page views that started playback.
    pub plays: i64,
    /// Page views playing now (a batch within the last `WATCHING_WINDOW`, and playing then).
    pub watching: i64,
    pub watched_ms: i64,
    pub rebuffers: i64,
    pub errors: i64,
}

/// A playing page sends a batch every 15 s, so one not heard from for this long has gone.
const WATCHING_WINDOW: Duration = Duration::seconds(40);

impl Store {
    /// Adds a batch to its session (creating it); the session stays with the event it started on.
    pub async fn record_playback(
        &self,
        event_id: &str,
        session_id: &str,
        delta: &PlaybackDelta,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO playback_sessions (session_id, event_id, started_at, last_seen_at, playing, plays, pauses, \
             errors, rebuffers, rebuffer_ms, quality_changes, watched_ms) \
             VALUES ($1, $2, $3, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (session_id) DO UPDATE SET last_seen_at = $3, playing = $4, \
             plays = playback_sessions.plays + $5, pauses = playback_sessions.pauses + $6, \
             errors = playback_sessions.errors + $7, rebuffers = playback_sessions.rebuffers + $8, \
             rebuffer_ms = playback_sessions.rebuffer_ms + $9, \
             quality_changes = playback_sessions.quality_changes + $10, \
             watched_ms = playback_sessions.watched_ms + $11 \
             WHERE playback_sessions.event_id = $2",
        )
        .bind(session_id)
        .bind(event_id)
        .bind(At(now))
        .bind(Flag(delta.playing))
        .bind(delta.plays)
        .bind(delta.pauses)
        .bind(delta.errors)
        .bind(delta.rebuffers)
        .bind(delta.rebuffer_ms)
        .bind(delta.quality_changes)
        .bind(delta.watched_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn playback_stats(&self, event_id: &str, now: DateTime<Utc>) -> Result<PlaybackStats, StoreError> {
        Ok(sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE plays > 0) AS plays, \
                    COUNT(*) FILTER (WHERE playing = 1 AND last_seen_at >= $2) AS watching, \
                    CAST(COALESCE(SUM(watched_ms), 0) AS BIGINT) AS watched_ms, \
                    CAST(COALESCE(SUM(rebuffers), 0) AS BIGINT) AS rebuffers, \
                    CAST(COALESCE(SUM(errors), 0) AS BIGINT) AS errors \
             FROM playback_sessions WHERE event_id = $1",
        )
        .bind(event_id)
        .bind(At(now - WATCHING_WINDOW))
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How often a playing page reports.
    const HEARTBEAT: Duration = Duration::seconds(15);
    use crate::store::tests::fresh_store;

    fn delta(plays: i64, watched_ms: i64, playing: bool) -> PlaybackDelta {
        PlaybackDelta {
            plays,
            watched_ms,
            playing,
            ..PlaybackDelta::default()
        }
    }

    #[tokio::test]
    async fn batches_add_up_per_session_and_count_per_event() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let t0 = Utc::now();
        // Two page views play; one pauses; a third opened the page but never played.
        store
            .record_playback("evt_demo", "a", &delta(1, 0, true), t0)
            .await
            .unwrap();
        store
            .record_playback("evt_demo", "b", &delta(1, 0, true), t0)
            .await
            .unwrap();
        store
            .record_playback("evt_demo", "c", &delta(0, 0, false), t0)
            .await
            .unwrap();
        let rebuffer = PlaybackDelta {
            rebuffers: 1,
            rebuffer_ms: 800,
            errors: 1,
            ..delta(0, 15_000, true)
        };
        store
            .record_playback("evt_demo", "a", &rebuffer, t0 + HEARTBEAT)
            .await
            .unwrap();
        let paused = PlaybackDelta {
            pauses: 1,
            ..delta(0, 9_000, false)
        };
        store
            .record_playback("evt_demo", "b", &paused, t0 + HEARTBEAT)
            .await
            .unwrap();

        let stats = store.playback_stats("evt_demo", t0 + HEARTBEAT).await.unwrap();
        assert_eq!(
            stats,
            PlaybackStats {
                plays: 2,
                watching: 1,
                watched_ms: 24_000,
                rebuffers: 1,
                errors: 1,
            }
        );
        // Nobody heard from for a while is not watching any more; what they watched still counts.
        let later = store
            .playback_stats("evt_demo", t0 + Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!((later.plays, later.watching, later.watched_ms), (2, 0, 24_000));
        // Other events are counted apart.
        assert_eq!(
            store.playback_stats("evt_demo_archive", t0).await.unwrap(),
            PlaybackStats::default()
        );
    }

    #[tokio::test]
    async fn a_session_stays_with_its_event() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let now = Utc::now();
        store
            .record_playback("evt_demo", "s", &delta(1, 1000, true), now)
            .await
            .unwrap();
        store
            .record_playback("evt_demo_archive", "s", &delta(1, 5000, true), now)
            .await
            .unwrap();
        assert_eq!(store.playback_stats("evt_demo", now).await.unwrap().watched_ms, 1000);
        assert_eq!(store.playback_stats("evt_demo_archive", now).await.unwrap().plays, 0);
    }
}
