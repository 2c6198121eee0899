//! The pure part of `use_playback_analytics`: batches from the player's phases.

use serde::Serialize;

use crate::hooks::Phase;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub enum PlaybackEvent {
    Play,
    Pause,
    Error { detail: String },
    Quality { level: String },
    Rebuffer { duration_ms: u64 },
}

/// The body of `POST /api/analytics/{slug}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Batch {
    pub session: String,
    pub playing: bool,
    pub watched_ms: u64,
    pub events: Vec<PlaybackEvent>,
}

/// What happened since the last batch, from the player's phases.
#[derive(Debug, Clone)]
pub struct PlaybackLog {
    session: String,
    phase: Phase,
    events: Vec<PlaybackEvent>,
    watched_ms: f64,
    playing_since: Option<f64>,
    stalled_since: Option<f64>,
    played: bool,
}

impl PlaybackLog {
    pub fn new(session: String) -> Self {
        Self {
            session,
            phase: Phase::Idle,
            events: Vec::new(),
            watched_ms: 0.0,
            playing_since: None,
            stalled_since: None,
            played: false,
        }
    }

    /// Notes the player's new phase at `now` (ms); returns whether this was the page's first play (worth sending
    /// at once).
    pub fn on_phase(&mut self, phase: Phase, now: f64) -> bool {
        let before = std::mem::replace(&mut self.phase, phase);
        if before == phase {
            return false;
        }
        if let Some(since) = self.playing_since.take() {
            self.watched_ms += now - since;
        }
        let mut first_play = false;
        match phase {
            Phase::Playing => {
                self.playing_since = Some(now);
                if let Some(since) = self.stalled_since.take() {
                    self.events.push(PlaybackEvent::Rebuffer {
                        duration_ms: (now - since).max(0.0) as u64,
                    });
                } else {
                    first_play = !self.played;
                    self.played = true;
                    self.events.push(PlaybackEvent::Play);
                }
            }
            Phase::Buffering | Phase::Reconnecting if before == Phase::Playing => self.stalled_since = Some(now),
            Phase::Paused if matches!(before, Phase::Playing | Phase::Buffering) => {
                self.stalled_since = None;
                self.events.push(PlaybackEvent::Pause);
            }
            Phase::Failed(failure) => self.events.push(PlaybackEvent::Error {
                detail: format!("{failure:?}").to_lowercase(),
            }),
            _ => {}
        }
        first_play
    }

    /// Notes a change of the rendition playing.
    pub fn on_quality(&mut self, label: String) {
        self.events.push(PlaybackEvent::Quality { level: label });
    }

    /// The batch to send now, if there is anything to say; the log starts over.
    pub fn take_batch(&mut self, now: f64) -> Option<Batch> {
        if let Some(since) = self.playing_since.as_mut() {
            self.watched_ms += now - *since;
            *since = now;
        }
        let playing = matches!(self.phase, Phase::Playing | Phase::Buffering);
        if self.events.is_empty() && self.watched_ms < 1.0 && !playing {
            return None;
        }
        let watched_ms = std::mem::take(&mut self.watched_ms).round() as u64;
        Some(Batch {
            session: self.session.clone(),
            playing,
            watched_ms,
            events: std::mem::take(&mut self.events),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::Failure;

    fn log() -> PlaybackLog {
        PlaybackLog::new("session-1".into())
    }

    #[test]
    fn a_page_that_never_plays_sends_nothing() {
        let mut log = log();
        log.on_phase(Phase::Loading, 0.0);
        log.on_phase(Phase::Blocked, 500.0);
        assert_eq!(log.take_batch(15_000.0), None);
    }

    #[test]
    fn play_rebuffer_quality_pause_and_watch_time() {
        let mut log = log();
        log.on_phase(Phase::Loading, 0.0);
        assert!(log.on_phase(Phase::Playing, 800.0), "the first play is sent at once");
        let first = log.take_batch(800.0).unwrap();
        assert_eq!(first.events, [PlaybackEvent::Play]);
        assert!(first.playing);

        log.on_phase(Phase::Buffering, 5_800.0);
        log.on_phase(Phase::Playing, 7_000.0);
        log.on_quality("360p".into());
        log.on_phase(Phase::Paused, 10_000.0);
        assert!(!log.on_phase(Phase::Playing, 12_000.0), "only the first play is urgent");
        let batch = log.take_batch(15_800.0).unwrap();
        assert_eq!(
            batch,
            Batch {
                session: "session-1".into(),
                playing: true,
                // 800→5800 playing, 5800→7000 buffering (not watched), 7000→10000, paused, 12000→15800.
                watched_ms: 5_000 + 3_000 + 3_800,
                events: vec![
                    PlaybackEvent::Rebuffer { duration_ms: 1_200 },
                    PlaybackEvent::Quality { level: "360p".into() },
                    PlaybackEvent::Pause,
                    PlaybackEvent::Play,
                ],
            }
        );
        // While it plays, every flush is a heartbeat.
        let heartbeat = log.take_batch(30_800.0).unwrap();
        assert_eq!((heartbeat.watched_ms, heartbeat.events.len()), (15_000, 0));
    }

    #[test]
    fn failures_are_reported_and_recovery_counts_as_rebuffering() {
        let mut log = log();
        log.on_phase(Phase::Playing, 0.0);
        log.take_batch(0.0);
        log.on_phase(Phase::Reconnecting, 1_000.0);
        log.on_phase(Phase::Failed(Failure::Network), 9_000.0);
        log.on_phase(Phase::Playing, 20_000.0);
        let batch = log.take_batch(20_000.0).unwrap();
        assert_eq!(
            batch.events,
            [
                PlaybackEvent::Error {
                    detail: "network".into()
                },
                PlaybackEvent::Rebuffer { duration_ms: 19_000 }
            ]
        );
        assert_eq!(batch.watched_ms, 1_000);
    }

    #[test]
    fn the_batch_is_what_the_server_reads() {
        let batch = Batch {
            session: "abcdefgh".into(),
            playing: false,
            watched_ms: 1,
            events: vec![PlaybackEvent::Rebuffer { duration_ms: 5 }, PlaybackEvent::Play],
        };
        assert_eq!(
            serde_json::to_string(&batch).unwrap(),
            r#"{"session":"abcdefgh","playing":false,"watchedMs":1,"events":[{"kind":"rebuffer","durationMs":5},{"kind":"play"}]}"#
        );
    }
}
