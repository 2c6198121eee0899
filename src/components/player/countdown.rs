//! Before the show: the time left until it starts, counting down each second. The server renders the start time;
//! the countdown begins after hydration, and at zero the player switches to the live stream. The start time is
//! written in the page's language: in UTC on the server, then in the viewer's own time zone once the page runs.

use leptos::prelude::*;

use crate::{i18n::Texts, preferences::use_texts};

/// "3d 04:05:06" ("3日 04:05:06"), "04:05:06" or "05:06" for a number of seconds.
pub fn format_remaining(seconds: i64, t: &Texts) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes, secs) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes:02}:{secs:02}"),
        (0, _) => format!("{hours:02}:{minutes:02}:{secs:02}"),
        _ => t.days_and_clock(days, &format!("{hours:02}:{minutes:02}:{secs:02}")),
    }
}

/// An RFC 3339 UTC time (as the API gives it) in the locale's words, in UTC: "Nov 29, 2026, 14:10 UTC".
pub fn format_start(rfc3339: &str, t: &Texts) -> String {
    let number = |range: std::ops::Range<usize>| rfc3339.get(range)?.parse::<u32>().ok();
    match (
        number(0..4),
        number(5..7),
        number(8..10),
        number(11..13),
        number(14..16),
    ) {
        (Some(year), Some(month), Some(day), Some(hour), Some(minute)) if rfc3339.ends_with('Z') => {
            t.date_time((i64::from(year), month, day), (hour, minute), "UTC")
        }
        _ => rfc3339.to_string(),
    }
}

#[component]
pub fn Countdown(starts_at: String, on_start: impl Fn() + Send + Sync + 'static) -> impl IntoView {
    let remaining = RwSignal::new(None::<i64>);
    #[cfg(feature = "browser")]
    {
        let start_ms = web_sys::js_sys::Date::parse(&starts_at);
        let update = std::sync::Arc::new(move || {
            let left = ((start_ms - web_sys::js_sys::Date::now()) / 1000.0).ceil() as i64;
            remaining.set(Some(left.max(0)));
            if left <= 0 {
                on_start();
            }
        });
        Effect::new(move |_| {
            if start_ms.is_nan() {
                return;
            }
            update();
            let tick = update.clone();
            if let Ok(handle) = set_interval_with_handle(move || tick(), std::time::Duration::from_secs(1)) {
                on_cleanup(move || handle.clear());
            }
        });
    }
    #[cfg(not(feature = "browser"))]
    let _ = on_start;
    let t = use_texts();
    // The server's words until the page runs (so hydration finds them), then the viewer's time zone.
    let running = RwSignal::new(false);
    Effect::new(move |_| running.set(true));
    let start_label = {
        let starts_at = starts_at.clone();
        move || {
            let t = t.get();
            #[cfg(feature = "browser")]
            if running.get()
                && let Some(local) = crate::format::local_date_time(&starts_at, t.locale.tag())
            {
                return local;
            }
            format_start(&starts_at, t)
        }
    };
    view! {
        <div class="player-countdown" role="timer" aria-live="off">
            <p class="player-countdown-label">{move || t.get().starts_in}</p>
            <p class="player-countdown-time">
                {move || remaining.get().map(|left| format_remaining(left, t.get())).unwrap_or_else(|| "…".into())}
            </p>
            <p class="player-countdown-start">
                <time datetime=starts_at>{start_label}</time>
            </p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Locale;

    #[test]
    fn remaining_time_reads_naturally() {
        let (en, ja) = (Locale::En.texts(), Locale::Ja.texts());
        assert_eq!(format_remaining(0, en), "00:00");
        assert_eq!(format_remaining(-5, en), "00:00");
        assert_eq!(format_remaining(65, en), "01:05");
        assert_eq!(format_remaining(3 * 3600 + 4 * 60 + 5, en), "03:04:05");
        assert_eq!(
            format_remaining(6 * 86_400 + 23 * 3600 + 59 * 60 + 58, en),
            "6d 23:59:58"
        );
        assert_eq!(format_remaining(86_400, ja), "1日 00:00:00");
    }

    #[test]
    fn start_times_show_in_utc_in_the_locale_s_words() {
        let (en, ja) = (Locale::En.texts(), Locale::Ja.texts());
        assert_eq!(format_start("2026-11-29T14:10:00.000Z", en), "Nov 29, 2026, 14:10 UTC");
        assert_eq!(format_start("2026-11-29T14:10:00.000Z", ja), "2026年11月29日 14:10 UTC");
        assert_eq!(format_start("soon", en), "soon");
        assert_eq!(
            format_start("2026-11-29T14:10:00+09:00", en),
            "2026-11-29T14:10:00+09:00"
        );
    }
}
