//! What the player does when things go wrong, as a pure state machine: inputs are what the media element and
//! hls.js report (and a clock tick), outputs are commands the hook carries out. Kept free of browser types so it is
//! unit-tested natively.
//!
//! - Network errors hls.js gives up on are retried with backoff: `startLoad` first, then a full reload. hls.js has
//!   stopped loading by then, so the picture that still plays from the buffer does not call the retry off: only a
//!   stall's retry is called off when the picture moves again.
//! - Media errors go through `recoverMediaError`; a second one soon after also swaps the audio codec; a third
//!   reloads.
//! - A stall watchdog notices when the picture stops although the viewer wants it to play (hls.js reports nothing
//!   when a live stream simply stops growing, native HLS reports nothing at all) and reloads with backoff.
//! - After a few failed attempts the viewer sees an error with a retry button, while retries go on in the
//!   background, so the show resumes by itself when the stream returns.

use super::{Failure, Phase};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Input {
    /// A stream was attached.
    Load,
    /// The media element's events.
    Playing,
    Paused,
    Waiting,
    Ended,
    /// `play()` was refused.
    AutoplayBlocked,
    /// Once a second: where playback is, and whether the element is paused.
    Tick {
        position: f64,
        paused: bool,
    },
    /// A fatal error hls.js could not handle itself.
    NetworkError,
    MediaError,
    OtherError,
    /// A retry scheduled by `Command::ScheduleRetry` is due.
    RetryDue,
    /// The viewer pressed "retry".
    RetryNow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `hls.startLoad(-1)`.
    StartLoad,
    /// `hls.recoverMediaError()`.
    RecoverMedia,
    /// `hls.swapAudioCodec()` then `hls.recoverMediaError()`.
    SwapCodecAndRecover,
    /// Tear the player down and attach the stream again.
    Reload,
    /// Call back with `Input::RetryDue` after this many milliseconds.
    ScheduleRetry { after_ms: u32 },
}

/// No progress for this long while the viewer wants playback counts as a stall.
pub const STALL_MS: f64 = 8_000.0;
/// Media errors closer together than this escalate.
const MEDIA_ERROR_WINDOW_MS: f64 = 3_000.0;
/// Attempts before the viewer is shown the error.
const ATTEMPTS_BEFORE_FAILED: u32 = 3;
/// Network retries by `startLoad` before reloading.
const START_LOAD_ATTEMPTS: u32 = 2;

/// Backoff before retry `attempt` (from 1): 1 s, 2 s, 4 s, 8 s, then every 10 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    1_000u32
        .saturating_mul(1 << attempt.saturating_sub(1).min(4))
        .min(10_000)
}

#[derive(Debug, Clone)]
pub struct Machine {
    phase: Phase,
    /// Failed attempts since playback last progressed.
    attempts: u32,
    /// What to do when the scheduled retry is due, and what it recovers from.
    pending: Option<(Command, Failure)>,
    /// Whether the viewer wants the stream to play (false after a pause or a refused autoplay).
    wants_play: bool,
    last_position: f64,
    last_progress_ms: f64,
    media_errors: u32,
    last_media_error_ms: f64,
}

impl Default for Machine {
    fn default() -> Self {
        Self::new()
    }
}

impl Machine {
    pub fn new() -> Self {
        Self {
            phase: Phase::Idle,
            attempts: 0,
            pending: None,
            wants_play: true,
            last_position: f64::NAN,
            last_progress_ms: 0.0,
            media_errors: 0,
            last_media_error_ms: f64::NEG_INFINITY,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Feeds one input observed at `now_ms`; returns what to do.
    pub fn step(&mut self, input: Input, now_ms: f64) -> Vec<Command> {
        match input {
            Input::Load => {
                self.phase = Phase::Loading;
                self.pending = None;
                self.last_progress_ms = now_ms;
                self.last_position = f64::NAN;
                Vec::new()
            }
            Input::Playing => {
                self.wants_play = true;
                self.last_progress_ms = now_ms;
                if !self.recovering() {
                    self.phase = Phase::Playing;
                }
                Vec::new()
            }
            Input::Paused => {
                self.wants_play = false;
                if !matches!(self.phase, Phase::Ended | Phase::Blocked) && !self.recovering() {
                    self.phase = Phase::Paused;
                }
                Vec::new()
            }
            Input::Waiting => {
                if let Some((_, failure)) = self.pending {
                    // The buffer ran out while a retry waits.
                    self.phase = self.trouble(failure);
                } else if self.phase == Phase::Playing {
                    self.phase = Phase::Buffering;
                }
                Vec::new()
            }
            Input::Ended => {
                self.phase = Phase::Ended;
                self.pending = None;
                Vec::new()
            }
            Input::AutoplayBlocked => {
                self.wants_play = false;
                self.phase = Phase::Blocked;
                Vec::new()
            }
            Input::Tick { position, paused } => self.tick(position, paused, now_ms),
            Input::NetworkError => {
                let next = if self.attempts < START_LOAD_ATTEMPTS {
                    Command::StartLoad
                } else {
                    Command::Reload
                };
                self.fail(Failure::Network, next)
            }
            Input::MediaError => {
                let soon = now_ms - self.last_media_error_ms < MEDIA_ERROR_WINDOW_MS;
                self.media_errors = if soon { self.media_errors + 1 } else { 1 };
                self.last_media_error_ms = now_ms;
                self.last_progress_ms = now_ms;
                match self.media_errors {
                    1 => vec![Command::RecoverMedia],
                    2 => vec![Command::SwapCodecAndRecover],
                    _ => self.fail(Failure::Media, Command::Reload),
                }
            }
            Input::OtherError => self.fail(Failure::Media, Command::Reload),
            Input::RetryDue => {
                self.last_progress_ms = now_ms;
                self.pending.take().map(|(next, _)| next).into_iter().collect()
            }
            Input::RetryNow => {
                self.attempts = 0;
                self.pending = None;
                self.wants_play = true;
                self.phase = Phase::Loading;
                self.last_progress_ms = now_ms;
                vec![Command::Reload]
            }
        }
    }

    fn recovering(&self) -> bool {
        matches!(self.phase, Phase::Reconnecting | Phase::Failed(_))
    }

    /// Schedules `next` with backoff unless a retry is already waiting.
    fn fail(&mut self, failure: Failure, next: Command) -> Vec<Command> {
        if self.pending.is_some() {
            return Vec::new();
        }
        self.attempts += 1;
        self.phase = self.trouble(failure);
        self.pending = Some((next, failure));
        vec![Command::ScheduleRetry {
            after_ms: backoff_ms(self.attempts),
        }]
    }

    /// What the viewer is told while recovering from `failure`.
    fn trouble(&self, failure: Failure) -> Phase {
        if self.attempts > ATTEMPTS_BEFORE_FAILED {
            Phase::Failed(failure)
        } else {
            Phase::Reconnecting
        }
    }

    fn tick(&mut self, position: f64, paused: bool, now_ms: f64) -> Vec<Command> {
        if position != self.last_position && !paused {
            let first = self.last_position.is_nan();
            self.last_position = position;
            if !first {
                self.last_progress_ms = now_ms;
                match self.pending {
                    // The buffer plays on while a fatal error's retry waits: the viewer sees the picture, and the
                    // retry still runs (hls.js loads nothing until it does).
                    Some((_, Failure::Network | Failure::Media)) => {}
                    // The picture moves: whatever went wrong is over.
                    Some((_, Failure::Stalled)) | None => {
                        self.attempts = 0;
                        self.pending = None;
                    }
                }
                if matches!(
                    self.phase,
                    Phase::Loading | Phase::Buffering | Phase::Reconnecting | Phase::Failed(_)
                ) {
                    self.phase = Phase::Playing;
                }
                return Vec::new();
            }
        }
        let watching = matches!(
            self.phase,
            Phase::Loading | Phase::Playing | Phase::Buffering | Phase::Reconnecting | Phase::Failed(_)
        );
        if self.wants_play && watching && now_ms - self.last_progress_ms >= STALL_MS {
            self.last_progress_ms = now_ms;
            return self.fail(Failure::Stalled, Command::Reload);
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays from `from` for `seconds` ticks, one a second.
    fn play(machine: &mut Machine, from: f64, seconds: u32) -> f64 {
        let mut now = from;
        for i in 0..seconds {
            now += 1000.0;
            assert!(
                machine
                    .step(
                        Input::Tick {
                            position: f64::from(i),
                            paused: false
                        },
                        now
                    )
                    .is_empty()
            );
        }
        now
    }

    fn started() -> (Machine, f64) {
        let mut machine = Machine::new();
        machine.step(Input::Load, 0.0);
        machine.step(Input::Playing, 500.0);
        let now = play(&mut machine, 500.0, 3);
        assert_eq!(machine.phase(), Phase::Playing);
        (machine, now)
    }

    #[test]
    fn loads_then_plays() {
        let mut machine = Machine::new();
        assert_eq!(machine.phase(), Phase::Idle);
        machine.step(Input::Load, 0.0);
        assert_eq!(machine.phase(), Phase::Loading);
        machine.step(Input::Playing, 700.0);
        assert_eq!(machine.phase(), Phase::Playing);
        machine.step(Input::Waiting, 900.0);
        assert_eq!(machine.phase(), Phase::Buffering);
        play(&mut machine, 900.0, 2);
        assert_eq!(machine.phase(), Phase::Playing);
    }

    #[test]
    fn backoff_doubles_up_to_ten_seconds() {
        let delays: Vec<_> = (1..=7).map(backoff_ms).collect();
        assert_eq!(delays, [1000, 2000, 4000, 8000, 10000, 10000, 10000]);
    }

    #[test]
    fn network_errors_retry_with_start_load_then_reload_and_fail_visibly() {
        let (mut m, mut now) = started();
        let mut retries = Vec::new();
        for _ in 0..5 {
            let commands = m.step(Input::NetworkError, now);
            let [Command::ScheduleRetry { after_ms }] = commands[..] else {
                panic!("{commands:?}")
            };
            assert!(m.step(Input::NetworkError, now).is_empty(), "one retry at a time");
            now += f64::from(after_ms);
            retries.push((after_ms, m.step(Input::RetryDue, now)[0], m.phase()));
        }
        use Command::{Reload, StartLoad};
        use Phase::{Failed, Reconnecting};
        assert_eq!(
            retries,
            [
                (1000, StartLoad, Reconnecting),
                (2000, StartLoad, Reconnecting),
                (4000, Reload, Reconnecting),
                (8000, Reload, Failed(Failure::Network)),
                (10000, Reload, Failed(Failure::Network)),
            ]
        );
        // The stream is back: it plays, and the next error starts from the beginning again.
        m.step(Input::Playing, now);
        assert_eq!(m.phase(), Failed(Failure::Network), "not before the picture moves");
        play(&mut m, now, 2);
        assert_eq!(m.phase(), Phase::Playing);
        assert_eq!(
            m.step(Input::NetworkError, now),
            [Command::ScheduleRetry { after_ms: 1000 }]
        );
    }

    #[test]
    fn media_errors_recover_then_swap_codec_then_reload() {
        let (mut m, now) = started();
        assert_eq!(m.step(Input::MediaError, now), [Command::RecoverMedia]);
        assert_eq!(m.step(Input::MediaError, now + 500.0), [Command::SwapCodecAndRecover]);
        assert_eq!(
            m.step(Input::MediaError, now + 1000.0),
            [Command::ScheduleRetry { after_ms: 1000 }]
        );
        assert_eq!(m.step(Input::RetryDue, now + 2000.0), [Command::Reload]);
        // Far apart, each is a first one.
        assert_eq!(m.step(Input::MediaError, now + 10_000.0), [Command::RecoverMedia]);
    }

    #[test]
    fn a_stalled_picture_reloads_but_a_pause_is_not_a_stall() {
        let (mut m, now) = started();
        // Position stops while the viewer wants playback (a live stream that stopped growing).
        let mut t = now;
        let mut commands = Vec::new();
        while commands.is_empty() {
            t += 1000.0;
            commands = m.step(
                Input::Tick {
                    position: 2.0,
                    paused: false,
                },
                t,
            );
        }
        assert_eq!(t - now, STALL_MS);
        assert_eq!(commands, [Command::ScheduleRetry { after_ms: 1000 }]);
        assert_eq!(m.phase(), Phase::Reconnecting);
        assert_eq!(m.step(Input::RetryDue, t + 1000.0), [Command::Reload]);

        let (mut m, now) = started();
        m.step(Input::Paused, now);
        assert_eq!(m.phase(), Phase::Paused);
        for i in 1..30 {
            assert!(
                m.step(
                    Input::Tick {
                        position: 2.0,
                        paused: true
                    },
                    now + f64::from(i) * 1000.0
                )
                .is_empty()
            );
        }
    }

    #[test]
    fn a_stream_that_never_starts_is_retried() {
        let mut m = Machine::new();
        m.step(Input::Load, 0.0);
        let commands: Vec<_> = (1..=8)
            .flat_map(|s| {
                m.step(
                    Input::Tick {
                        position: 0.0,
                        paused: false,
                    },
                    f64::from(s) * 1000.0,
                )
            })
            .collect();
        assert_eq!(commands, [Command::ScheduleRetry { after_ms: 1000 }]);
    }

    #[test]
    fn refused_autoplay_waits_for_the_viewer() {
        let mut m = Machine::new();
        m.step(Input::Load, 0.0);
        m.step(Input::AutoplayBlocked, 100.0);
        assert_eq!(m.phase(), Phase::Blocked);
        for s in 1..20 {
            assert!(
                m.step(
                    Input::Tick {
                        position: 0.0,
                        paused: true
                    },
                    f64::from(s) * 1000.0
                )
                .is_empty()
            );
        }
        m.step(Input::Playing, 20_000.0);
        assert_eq!(m.phase(), Phase::Playing);
    }

    #[test]
    fn retry_now_reloads_at_once_and_forgets_the_attempts() {
        let (mut m, now) = started();
        for _ in 0..5 {
            m.step(Input::NetworkError, now);
            m.step(Input::RetryDue, now);
        }
        assert!(matches!(m.phase(), Phase::Failed(_)));
        assert_eq!(m.step(Input::RetryNow, now), [Command::Reload]);
        assert_eq!(m.phase(), Phase::Loading);
        assert_eq!(
            m.step(Input::NetworkError, now),
            [Command::ScheduleRetry { after_ms: 1000 }]
        );
    }

    #[test]
    fn other_fatal_errors_reload() {
        let (mut m, now) = started();
        assert_eq!(
            m.step(Input::OtherError, now),
            [Command::ScheduleRetry { after_ms: 1000 }]
        );
        assert_eq!(m.step(Input::RetryDue, now + 1000.0), [Command::Reload]);
    }

    #[test]
    fn the_buffer_playing_through_an_outage_does_not_call_the_retry_off() {
        let (mut m, now) = started();
        assert_eq!(
            m.step(Input::NetworkError, now),
            [Command::ScheduleRetry { after_ms: 1000 }]
        );
        // What was buffered plays on: the viewer sees the picture, not a notice.
        let now = play(&mut m, now, 3);
        assert_eq!(m.phase(), Phase::Playing);
        // The buffer runs out before the retry is due: now they are told.
        m.step(Input::Waiting, now);
        assert_eq!(m.phase(), Phase::Reconnecting);
        // hls.js loads nothing until told to: the retry still runs, and counts as the second attempt.
        assert_eq!(m.step(Input::RetryDue, now + 500.0), [Command::StartLoad]);
        assert_eq!(
            m.step(Input::NetworkError, now + 600.0),
            [Command::ScheduleRetry { after_ms: 2000 }]
        );
    }

    #[test]
    fn a_stall_that_clears_by_itself_is_not_reloaded() {
        let (mut m, now) = started();
        let mut t = now;
        while m
            .step(
                Input::Tick {
                    position: 2.0,
                    paused: false,
                },
                t,
            )
            .is_empty()
        {
            t += 1000.0;
        }
        assert_eq!(m.phase(), Phase::Reconnecting);
        // The live stream grows again before the reload is due.
        m.step(
            Input::Tick {
                position: 3.0,
                paused: false,
            },
            t + 500.0,
        );
        assert_eq!(m.phase(), Phase::Playing);
        assert!(m.step(Input::RetryDue, t + 1000.0).is_empty());
    }

    #[test]
    fn an_ended_stream_is_not_a_stall() {
        let (mut m, now) = started();
        m.step(Input::Ended, now);
        assert_eq!(m.phase(), Phase::Ended);
        for i in 1..20 {
            assert!(
                m.step(
                    Input::Tick {
                        position: 9.0,
                        paused: false
                    },
                    now + f64::from(i) * 1000.0
                )
                .is_empty()
            );
        }
    }
}
