use leptos::prelude::*;

use crate::{api::console::PlaybackSummary, format::format_clock};

/// The show's playback as the players report it: plays, who is watching now, watch time, rebuffers and errors.
#[component]
pub fn PlaybackFigures(playback: PlaybackSummary) -> impl IntoView {
    let figures = [
        ("Plays", "plays", playback.plays.to_string()),
        ("Watching now", "watching", playback.watching.to_string()),
        (
            "Watch time",
            "watch-time",
            format_clock(playback.watched_seconds as f64),
        ),
        ("Rebuffers", "rebuffers", playback.rebuffers.to_string()),
        ("Player errors", "player-errors", playback.errors.to_string()),
    ];
    view! {
        <dl class="playback-figures" aria-label="Playback">
            {figures
                .into_iter()
                .map(|(label, id, value)| {
                    view! {
                        <div class="playback-figure">
                            <dt>{label}</dt>
                            <dd data-testid=id>{value}</dd>
                        </div>
                    }
                })
                .collect_view()}
        </dl>
    }
}
