//! `use_playback_authorization`: the player's right to watch. While the programme wants a stream it asks
//! `POST /api/playback/{slug}` (which sets the signed cookies the media needs), renews the authorization before it
//! ends so a long show plays on without a break, and reports a refusal (terms to accept, no ticket, access ended)
//! so the page can say why. Inert during server rendering; when the server authorized the viewer while rendering the
//! page, it starts `Granted` (and asks again only when that is due for renewal).

use leptos::prelude::*;

use crate::api::{Refusal, playback::PlaybackGrant};

#[derive(Debug, Clone, PartialEq)]
pub enum Authorization {
    /// Nothing to authorize (no stream wanted), or not asked yet.
    Idle,
    Pending,
    Granted(PlaybackGrant),
    Refused(Refusal),
    /// The server could not be asked.
    Failed(String),
}

#[derive(Clone, Copy)]
pub struct UsePlaybackAuthorization {
    pub state: Signal<Authorization>,
    #[cfg(feature = "browser")]
    ask: StoredValue<std::sync::Arc<dyn Fn(bool) + Send + Sync>>,
}

impl UsePlaybackAuthorization {
    /// Accepts the show's terms and asks again.
    pub fn accept_terms(&self) {
        #[cfg(feature = "browser")]
        self.ask.with_value(|ask| ask(true));
    }

    /// Asks again (after a purchase or a grant).
    pub fn retry(&self) {
        #[cfg(feature = "browser")]
        self.ask.with_value(|ask| ask(false));
    }
}

/// Renews this long before the authorization ends (or halfway, when it is shorter than twice this).
#[cfg(feature = "browser")]
const RENEW_BEFORE_MS: f64 = 60_000.0;

/// Asks for the stream `wanted` names ("live", "replay"; `None`: no stream), and again when it names another.
/// `granted`: what the server granted while it rendered the page (nothing to ask until it is due for renewal).
pub fn use_playback_authorization(
    slug: String,
    wanted: Signal<Option<&'static str>>,
    granted: Option<PlaybackGrant>,
) -> UsePlaybackAuthorization {
    let state = RwSignal::new(granted.map_or(Authorization::Idle, Authorization::Granted));
    #[cfg(not(feature = "browser"))]
    {
        let _ = (slug, wanted);
        UsePlaybackAuthorization { state: state.into() }
    }
    #[cfg(feature = "browser")]
    {
        use std::{sync::Arc, time::Duration};

        use crate::api::playback::{PlaybackAnswer, authorize_playback};

        let renewal = StoredValue::new(None::<TimeoutHandle>);
        // Each request has a number; an answer to an older one (the viewer pressed twice) is dropped.
        let latest = StoredValue::new(0u64);
        // The renewal timer calls `ask` again, so it lives in a stored value the closure can reach.
        let ask = StoredValue::new(Arc::new(|_: bool| {}) as Arc<dyn Fn(bool) + Send + Sync>);
        // Asks again a while before `grant` ends.
        let schedule_renewal = move |grant: &PlaybackGrant| {
            let ends = web_sys::js_sys::Date::parse(&grant.expires_at);
            let left = ends - web_sys::js_sys::Date::now();
            let wait = if left > 2.0 * RENEW_BEFORE_MS {
                left - RENEW_BEFORE_MS
            } else {
                left / 2.0
            };
            if let Some(previous) = renewal.get_value() {
                previous.clear();
            }
            let renew = move || ask.with_value(|ask| ask(false));
            let wait = Duration::from_millis(wait.max(1_000.0) as u64);
            renewal.set_value(set_timeout_with_handle(renew, wait).ok());
        };
        let request = move |accept_terms: bool| {
            let slug = slug.clone();
            let number = latest.get_value() + 1;
            latest.set_value(number);
            if !matches!(state.get_untracked(), Authorization::Granted(_)) {
                state.set(Authorization::Pending);
            }
            leptos::task::spawn_local(async move {
                let answer = authorize_playback(&slug, accept_terms).await;
                if latest.get_value() != number {
                    return;
                }
                let next = match answer {
                    Ok(PlaybackAnswer::Granted(grant)) => {
                        schedule_renewal(&grant);
                        Authorization::Granted(grant)
                    }
                    Ok(PlaybackAnswer::Refused(refusal)) => Authorization::Refused(refusal),
                    Err(error) => Authorization::Failed(error.to_string()),
                };
                // A renewal that changes nothing leaves the signal alone (the stream keeps playing).
                if state.get_untracked() != next {
                    state.set(next);
                }
            });
        };
        ask.set_value(Arc::new(request));
        if let Authorization::Granted(grant) = state.get_untracked() {
            schedule_renewal(&grant);
        }
        Effect::new(move |before: Option<Option<&'static str>>| {
            let now = wanted.get();
            if now.is_some() {
                let another = before.flatten().is_some_and(|before| Some(before) != now);
                if another || state.get_untracked() == Authorization::Idle {
                    ask.with_value(|ask| ask(false));
                }
            } else {
                state.set(Authorization::Idle);
            }
            now
        });
        on_cleanup(move || {
            if let Some(renewal) = renewal.try_get_value().flatten() {
                renewal.clear();
            }
        });
        UsePlaybackAuthorization {
            state: state.into(),
            ask,
        }
    }
}
