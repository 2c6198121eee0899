//! `use_hls`: plays an HLS stream in a `<video>` with hls.js, or natively where hls.js cannot run but the browser
//! plays HLS itself (iOS Safari), and keeps it playing (see `machine` for the recovery rules).
//!
//! During server rendering it does nothing: the signals keep their initial values.

#[cfg(feature = "browser")]
mod engine;
#[cfg(any(feature = "browser", test))]
mod machine;

use leptos::{html::Video, prelude::*};

/// What the viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// No stream attached.
    Idle,
    /// A stream is attached; no picture yet.
    Loading,
    Playing,
    /// Paused by the viewer.
    Paused,
    /// Playing, waiting for data.
    Buffering,
    /// The browser refused to start playback by itself: the viewer has to press play.
    Blocked,
    /// Recovering from an error or a stall.
    Reconnecting,
    /// Recovery has not worked for a while; retries go on.
    Failed(Failure),
    /// An on-demand stream played to its end (or a live stream ended).
    Ended,
}

impl Phase {
    /// A stable name, for styling (`data-phase`) and tests.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Loading => "loading",
            Phase::Playing => "playing",
            Phase::Paused => "paused",
            Phase::Buffering => "buffering",
            Phase::Blocked => "blocked",
            Phase::Reconnecting => "reconnecting",
            Phase::Failed(_) => "failed",
            Phase::Ended => "ended",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The stream cannot be fetched.
    Network,
    /// The stream cannot be decoded.
    Media,
    /// The picture stopped and reloading has not brought it back.
    Stalled,
}

/// What to play: an HLS master playlist, and its license servers when the stream is encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlsSource {
    pub url: String,
    pub drm: Option<crate::api::playback::Drm>,
}

/// A rendition of the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityLevel {
    /// Its index in the master playlist.
    pub index: usize,
    pub height: u32,
    /// Bits per second.
    pub bitrate: f64,
}

impl QualityLevel {
    /// "720p", or the bitrate for audio-only renditions.
    pub fn label(&self) -> String {
        if self.height > 0 {
            format!("{}p", self.height)
        } else {
            format!("{:.0} kbps", self.bitrate / 1000.0)
        }
    }
}

/// How the stream is played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Not decided yet (server rendering, or before a stream is attached).
    Pending,
    HlsJs,
    /// The browser's own HLS: no quality menu, captions by the browser.
    Native,
    /// Neither hls.js nor the browser can play HLS here.
    Unsupported,
}

#[derive(Clone, Copy)]
pub struct UseHls {
    pub phase: Signal<Phase>,
    pub backend: Signal<Backend>,
    /// The renditions, lowest first; empty with native playback.
    pub levels: Signal<Vec<QualityLevel>>,
    /// The rendition the viewer chose; `None` is automatic.
    pub chosen_level: Signal<Option<usize>>,
    /// The rendition playing now.
    pub playing_level: Signal<Option<usize>>,
    /// Names of the stream's subtitle tracks.
    pub subtitles: Signal<Vec<String>>,
    /// The subtitle track shown.
    pub subtitle: Signal<Option<usize>>,
    /// Whether the stream is low-latency HLS (partial segments), played in hls.js's low-latency mode.
    pub low_latency: Signal<bool>,
    #[cfg(feature = "browser")]
    engine: StoredValue<Option<std::rc::Rc<engine::Engine>>, LocalStorage>,
}

/// The writable side of `UseHls`'s signals, for the engine.
#[derive(Clone, Copy)]
struct Setters {
    phase: RwSignal<Phase>,
    backend: RwSignal<Backend>,
    levels: RwSignal<Vec<QualityLevel>>,
    chosen_level: RwSignal<Option<usize>>,
    playing_level: RwSignal<Option<usize>>,
    subtitles: RwSignal<Vec<String>>,
    subtitle: RwSignal<Option<usize>>,
    low_latency: RwSignal<bool>,
}

/// Plays `source` (`None` detaches) in the `<video>` of `video`.
pub fn use_hls(video: NodeRef<Video>, source: Signal<Option<HlsSource>>) -> UseHls {
    let setters = Setters {
        phase: RwSignal::new(Phase::Idle),
        backend: RwSignal::new(Backend::Pending),
        levels: RwSignal::new(Vec::new()),
        chosen_level: RwSignal::new(None),
        playing_level: RwSignal::new(None),
        subtitles: RwSignal::new(Vec::new()),
        subtitle: RwSignal::new(None),
        low_latency: RwSignal::new(false),
    };
    #[cfg(feature = "browser")]
    let engine = {
        let engine = StoredValue::new_local(None::<std::rc::Rc<engine::Engine>>);
        Effect::new(move |_| {
            let Some(element) = video.get() else { return };
            let url = source.get();
            let current = engine.get_value();
            let current = current.unwrap_or_else(|| {
                let created = engine::Engine::new(element, setters);
                engine.set_value(Some(created.clone()));
                created
            });
            current.set_source(url);
        });
        on_cleanup(move || {
            if let Some(engine) = engine.try_get_value().flatten() {
                engine.teardown();
            }
        });
        engine
    };
    #[cfg(not(feature = "browser"))]
    let _ = (video, source);
    UseHls {
        phase: setters.phase.into(),
        backend: setters.backend.into(),
        levels: setters.levels.into(),
        chosen_level: setters.chosen_level.into(),
        playing_level: setters.playing_level.into(),
        subtitles: setters.subtitles.into(),
        subtitle: setters.subtitle.into(),
        low_latency: setters.low_latency.into(),
        #[cfg(feature = "browser")]
        engine,
    }
}

impl UseHls {
    #[cfg(feature = "browser")]
    fn with_engine(&self, f: impl FnOnce(&engine::Engine)) {
        if let Some(engine) = self.engine.try_get_value().flatten() {
            f(&engine);
        }
    }

    /// Chooses a rendition (switching now), or automatic selection with `None`.
    pub fn set_level(&self, level: Option<usize>) {
        #[cfg(feature = "browser")]
        self.with_engine(|engine| engine.set_level(level));
        #[cfg(not(feature = "browser"))]
        let _ = level;
    }

    /// Shows a subtitle track, or none.
    pub fn set_subtitle(&self, track: Option<usize>) {
        #[cfg(feature = "browser")]
        self.with_engine(|engine| engine.set_subtitle(track));
        #[cfg(not(feature = "browser"))]
        let _ = track;
    }

    /// Reloads the stream now (the error overlay's button).
    pub fn retry(&self) {
        #[cfg(feature = "browser")]
        self.with_engine(|engine| engine.retry());
    }

    /// Starts playback at the viewer's request (after a refused autoplay, or a pause).
    pub fn play(&self) {
        #[cfg(feature = "browser")]
        self.with_engine(|engine| engine.play());
    }

    /// Where a live stream plays at its intended latency ("back to live" seeks there).
    pub fn live_position(&self) -> Option<f64> {
        #[cfg(feature = "browser")]
        {
            let mut position = None;
            self.with_engine(|engine| position = engine.live_position());
            position
        }
        #[cfg(not(feature = "browser"))]
        None
    }
}
