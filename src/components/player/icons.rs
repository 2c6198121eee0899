//! The player's icons: 24×24 outlines, drawn with `currentColor` so they follow the theme. Decorative: every
//! button that shows one has its own accessible name.

use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icon {
    Play,
    Pause,
    Volume,
    Muted,
    Fullscreen,
    ExitFullscreen,
    Captions,
    Settings,
    Replay,
}

impl Icon {
    fn path(self) -> &'static str {
        match self {
            Icon::Play => "M8 5.5v13l10.5-6.5z",
            Icon::Pause => "M7 5h3.5v14H7zM13.5 5H17v14h-3.5z",
            Icon::Volume => "M4 9.5h3.5L12 5.5v13l-4.5-4H4zM15 9a4 4 0 0 1 0 6M17.5 6.5a7.5 7.5 0 0 1 0 11",
            Icon::Muted => "M4 9.5h3.5L12 5.5v13l-4.5-4H4zM15.5 9.5l5 5M20.5 9.5l-5 5",
            Icon::Fullscreen => "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5",
            Icon::ExitFullscreen => "M9 4v5H4M20 9h-5V4M15 20v-5h5M4 15h5v5",
            Icon::Captions => "M3.5 6h17v12h-17zM10.5 10.5a2 2 0 1 0 0 3M17 10.5a2 2 0 1 0 0 3",
            Icon::Settings => {
                "M12 8.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7zM12 2.5v3M12 18.5v3M2.5 12h3M18.5 12h3M5.3 5.3l2.1 2.1\
                 M16.6 16.6l2.1 2.1M5.3 18.7l2.1-2.1M16.6 7.4l2.1-2.1"
            }
            Icon::Replay => "M5 12a7 7 0 1 0 2.05-4.95M5 4v4h4",
        }
    }

    fn filled(self) -> bool {
        matches!(self, Icon::Play | Icon::Pause)
    }
}

#[component]
pub fn PlayerIcon(icon: Icon) -> impl IntoView {
    let (fill, stroke) = if icon.filled() {
        ("currentColor", "none")
    } else {
        ("none", "currentColor")
    };
    view! {
        <svg
            class="player-icon"
            viewBox="0 0 24 24"
            width="24"
            height="24"
            aria-hidden="true"
            focusable="false"
            fill=fill
            stroke=stroke
            stroke-width="2"
            stroke-linecap="round"
            stroke-linejoin="round"
        >
            <path d=icon.path() />
        </svg>
    }
}
