//! Before the show: the time left until it starts, counting down each second. The server renders the start time;
//! the countdown begins after hydration, and at zero the player switches to the live stream.

use leptos::prelude::*;

/// "3d 04:05:06", "04:05:06" or "05:06" for a number of seconds.
pub fn format_remaining(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes, secs) = (seconds / 86_400, seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
    match (days, hours) {
        (0, 0) => format!("{minutes:02}:{secs:02}"),
        (0, _) => format!("{hours:02}:{minutes:02}:{secs:02}"),
        _ => format!("{days}d {hours:02}:{minutes:02}:{secs:02}"),
    }
}

/// "2026-11-29 14:10 UTC" from an RFC 3339 UTC time (as the API gives it).
pub fn format_start(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.ends_with('Z') => format!("{date} {time} UTC"),
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
    let start_label = format_start(&starts_at);
    view! {
        <div class="player-countdown" role="timer" aria-live="off">
            <p class="player-countdown-label">"The show starts in"</p>
            <p class="player-countdown-time">
                {move || remaining.get().map(format_remaining).unwrap_or_else(|| "…".into())}
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

    #[test]
    fn remaining_time_reads_naturally() {
        assert_eq!(format_remaining(0), "00:00");
        assert_eq!(format_remaining(-5), "00:00");
        assert_eq!(format_remaining(65), "01:05");
        assert_eq!(format_remaining(3 * 3600 + 4 * 60 + 5), "03:04:05");
        assert_eq!(format_remaining(6 * 86_400 + 23 * 3600 + 59 * 60 + 58), "6d 23:59:58");
    }

    #[test]
    fn start_times_show_in_utc() {
        assert_eq!(format_start("2026-11-29T14:10:00.000Z"), "2026-11-29 14:10 UTC");
        assert_eq!(format_start("soon"), "soon");
    }
}
