//! `use_playback_analytics`: what the viewer's player does (play, pause, error, quality change, rebuffer, watch
//! time), sent in batches to `POST /api/analytics/{slug}`: at the first play, every 15 s while there is something to
//! say (a playing page's batch is also its heartbeat for "watching now"), and when the page goes away
//! (`sendBeacon`). Inert during server rendering.

#[cfg(any(feature = "browser", test))]
mod playback_log;

#[cfg(feature = "browser")]
pub use browser::use_playback_analytics;

/// Inert during server rendering.
#[cfg(not(feature = "browser"))]
pub fn use_playback_analytics(
    _slug: String,
    _phase: leptos::prelude::Signal<crate::hooks::Phase>,
    _quality: leptos::prelude::Signal<Option<String>>,
) {
}

#[cfg(feature = "browser")]
mod browser {
    use std::{cell::RefCell, rc::Rc, time::Duration};

    use leptos::prelude::*;

    use super::playback_log::PlaybackLog;
    use crate::hooks::Phase;

    /// How often a batch goes out (the server counts a page as watching for 40 s after its last batch).
    const FLUSH_EVERY: Duration = Duration::from_secs(15);

    /// Reports the player's `phase` and the rendition playing (`quality`) for the show at `slug`.
    pub fn use_playback_analytics(slug: String, phase: Signal<Phase>, quality: Signal<Option<String>>) {
        let url = format!("/api/analytics/{slug}");
        let log = Rc::new(RefCell::new(PlaybackLog::new(session_id())));
        let now = || web_sys::js_sys::Date::now();
        let send = {
            let (log, url) = (log.clone(), url.clone());
            move |beacon: bool| {
                let Some(batch) = log.borrow_mut().take_batch(now()) else {
                    return;
                };
                let Ok(body) = serde_json::to_string(&batch) else {
                    return;
                };
                if beacon {
                    let _ = window().navigator().send_beacon_with_opt_str(&url, Some(&body));
                } else {
                    let url = url.clone();
                    leptos::task::spawn_local(async move {
                        // Analytics never bother the viewer: a lost batch is only a lost figure.
                        if let Ok(request) = gloo_net::http::Request::post(&url)
                            .header("content-type", "application/json")
                            .body(body)
                        {
                            let _ = request.send().await;
                        }
                    });
                }
            }
        };
        let send = Rc::new(send);

        Effect::new({
            let (log, send) = (log.clone(), send.clone());
            move |_| {
                if log.borrow_mut().on_phase(phase.get(), now()) {
                    send(false);
                }
            }
        });
        Effect::new({
            let log = log.clone();
            move |previous: Option<Option<String>>| {
                let current = quality.get();
                // The first rendition is the start, not a change.
                if let (Some(Some(_)), Some(level)) = (&previous, &current)
                    && previous.as_ref() != Some(&current)
                {
                    log.borrow_mut().on_quality(level.clone());
                }
                current
            }
        });
        let interval = {
            let send = send.clone();
            set_interval_with_handle(move || send(false), FLUSH_EVERY).ok()
        };
        let page_hide = {
            let send = send.clone();
            window_event_listener(leptos::ev::pagehide, move |_| send(true))
        };
        // The page's last batch; cleanup runs on this thread (the browser has one), SendWrapper says so.
        let last = send_wrapper::SendWrapper::new(send.clone());
        on_cleanup(move || {
            if let Some(interval) = interval {
                interval.clear();
            }
            page_hide.remove();
            last(true);
        });
    }

    /// A random id for this page view (not a secret; it only groups a viewer's batches).
    fn session_id() -> String {
        (0..4)
            .map(|_| format!("{:08x}", (web_sys::js_sys::Math::random() * f64::from(u32::MAX)) as u32))
            .collect()
    }
}
