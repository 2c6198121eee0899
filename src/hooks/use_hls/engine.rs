//! The browser side of `use_hls`: owns the hls.js instance (or the native source), listens to it and to the media
//! element, feeds the state machine and carries out its commands.

use std::{
    cell::RefCell,
    rc::{Rc, Weak},
    time::Duration,
};

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::HtmlVideoElement;

use super::{
    Backend, HlsSource, QualityLevel, Setters,
    machine::{Command, Input, Machine},
};
use crate::bindings::hls::{Hls, HlsErrorData, HlsLevel, HlsLevelLoadedData, HlsLevelSwitchedData, HlsSubtitleTrack};

/// Media element events the machine hears.
const MEDIA_EVENTS: [&str; 5] = ["playing", "pause", "waiting", "ended", "error"];

type HlsListener = Closure<dyn FnMut(JsValue, JsValue)>;
type MediaListener = Closure<dyn FnMut(web_sys::Event)>;

pub struct Engine {
    video: HtmlVideoElement,
    setters: Setters,
    state: RefCell<State>,
    this: Weak<Engine>,
}

#[derive(Default)]
struct State {
    machine: Machine,
    source: Option<HlsSource>,
    hls: Option<(Hls, Vec<HlsListener>)>,
    native: bool,
    retry: Option<TimeoutHandle>,
    tick: Option<IntervalHandle>,
    media_listeners: Vec<(&'static str, MediaListener)>,
}

impl Engine {
    pub fn new(video: HtmlVideoElement, setters: Setters) -> Rc<Self> {
        let engine = Rc::new_cyclic(|this| Self {
            video,
            setters,
            state: RefCell::new(State::default()),
            this: this.clone(),
        });
        engine.listen_to_media();
        let weak = engine.this.clone();
        let tick = set_interval_with_handle(
            move || {
                if let Some(engine) = weak.upgrade() {
                    let (position, paused) = (engine.video.current_time(), engine.video.paused());
                    engine.input(Input::Tick { position, paused });
                }
            },
            Duration::from_secs(1),
        )
        .ok();
        engine.state.borrow_mut().tick = tick;
        engine
    }

    fn listen_to_media(&self) {
        let mut listeners = Vec::new();
        for name in MEDIA_EVENTS {
            let weak = self.this.clone();
            let listener = MediaListener::new(move |_: web_sys::Event| {
                let Some(engine) = weak.upgrade() else { return };
                let input = match name {
                    "playing" => Input::Playing,
                    "pause" => Input::Paused,
                    "waiting" => Input::Waiting,
                    "ended" => Input::Ended,
                    // hls.js reports its own errors; the element's matter with native playback.
                    _ if engine.state.borrow().native => Input::OtherError,
                    _ => return,
                };
                engine.input(input);
            });
            let _ = self
                .video
                .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
            listeners.push((name, listener));
        }
        self.state.borrow_mut().media_listeners = listeners;
    }

    /// Attaches `source` (detaching what played before); `None` only detaches.
    pub fn set_source(&self, source: Option<HlsSource>) {
        if self.state.borrow().source == source {
            return;
        }
        self.detach();
        self.state.borrow_mut().source = source;
        self.attach();
    }

    fn attach(&self) {
        let Some(source) = self.state.borrow().source.clone() else {
            return;
        };
        self.input(Input::Load);
        if hls_js_available() {
            self.attach_hls(&source);
        } else if source.drm.is_none() && !self.video.can_play_type("application/vnd.apple.mpegurl").is_empty() {
            // Encrypted streams go through hls.js's EME support: only clear streams play natively.
            self.state.borrow_mut().native = true;
            self.setters.backend.set(Backend::Native);
            // The page's bootstrap may have started it already.
            if self.video.get_attribute("src").as_deref() != Some(source.url.as_str()) {
                self.video.set_src(&source.url);
            }
            self.play();
        } else {
            self.setters.backend.set(Backend::Unsupported);
        }
    }

    fn attach_hls(&self, source: &HlsSource) {
        // The page's bootstrap may have started this very stream before the app loaded: carry on with it.
        let hls = match adopt_started(&self.video, &source.url) {
            Some(hls) => hls,
            None => {
                let config = crate::api::playback::hls_config(source.drm.as_ref()).to_string();
                let Some(hls) = js_sys::JSON::parse(&config)
                    .ok()
                    .and_then(|config| Hls::new(&config).ok())
                else {
                    self.setters.backend.set(Backend::Unsupported);
                    return;
                };
                hls.load_source(&source.url);
                hls.attach_media(&self.video);
                hls
            }
        };
        let mut listeners = Vec::new();
        let mut on = |event: &str, handle: fn(&Engine, JsValue)| {
            let weak = self.this.clone();
            let listener = HlsListener::new(move |_: JsValue, data: JsValue| {
                if let Some(engine) = weak.upgrade() {
                    handle(&engine, data);
                }
            });
            hls.on(event, listener.as_ref().unchecked_ref());
            listeners.push(listener);
        };
        on("hlsManifestParsed", |engine, _| engine.on_manifest());
        on("hlsLevelSwitched", |engine, data| {
            let level = data.unchecked_into::<HlsLevelSwitchedData>().level();
            engine.setters.playing_level.set(usize::try_from(level).ok());
        });
        on("hlsLevelLoaded", |engine, data| {
            let details = data.unchecked_into::<HlsLevelLoadedData>().details();
            let low_latency = details.live() && details.part_list().is_some_and(|parts| parts.length() > 0);
            if engine.setters.low_latency.get_untracked() != low_latency {
                engine.setters.low_latency.set(low_latency);
            }
        });
        on("hlsSubtitleTracksUpdated", |engine, _| engine.read_subtitles());
        on("hlsError", |engine, data| {
            let error = data.unchecked_into::<HlsErrorData>();
            if !error.fatal() {
                return;
            }
            leptos::logging::warn!("stream error: {} ({})", error.details(), error.kind());
            let input = match error.kind().as_str() {
                "networkError" => Input::NetworkError,
                "mediaError" => Input::MediaError,
                _ => Input::OtherError,
            };
            engine.input(input);
        });
        self.setters.backend.set(Backend::HlsJs);
        let parsed = hls.levels().length() > 0;
        self.state.borrow_mut().hls = Some((hls, listeners));
        // What the adopted player did before the app listened.
        if parsed {
            self.on_manifest();
        }
        if !self.video.paused() && self.video.ready_state() >= HAVE_FUTURE_DATA {
            self.input(Input::Playing);
        }
    }

    fn on_manifest(&self) {
        let levels: Vec<QualityLevel> = self
            .with_hls(|hls| {
                hls.levels()
                    .iter()
                    .enumerate()
                    .map(|(index, level)| {
                        let level = level.unchecked_into::<HlsLevel>();
                        QualityLevel {
                            index,
                            height: level.height(),
                            bitrate: level.bitrate(),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        // A reload keeps the viewer's choice when the stream still has it.
        let chosen = self.setters.chosen_level.get_untracked().filter(|&i| i < levels.len());
        self.setters.levels.set(levels);
        self.setters.chosen_level.set(chosen);
        if let Some(level) = chosen {
            self.with_hls(|hls| hls.set_current_level(level as i32));
        }
        self.read_subtitles();
        self.play();
    }

    fn read_subtitles(&self) {
        let names: Vec<String> = self
            .with_hls(|hls| {
                hls.subtitle_tracks()
                    .iter()
                    .map(|track| track.unchecked_into::<HlsSubtitleTrack>().name())
                    .collect()
            })
            .unwrap_or_default();
        self.setters.subtitles.set(names);
        if let Some(track) = self.setters.subtitle.get_untracked() {
            self.set_subtitle(Some(track));
        }
    }

    /// Calls `f` with the hls.js instance, if any. No borrow is held during the call: hls.js may call listeners
    /// synchronously, and they feed the engine.
    fn with_hls<T>(&self, f: impl FnOnce(&Hls) -> T) -> Option<T> {
        let hls = self.state.borrow().hls.as_ref().map(|(hls, _)| hls.clone());
        hls.map(|hls| f(&hls))
    }

    fn detach(&self) {
        let (hls, retry, native) = {
            let mut state = self.state.borrow_mut();
            (state.hls.take(), state.retry.take(), std::mem::take(&mut state.native))
        };
        if let Some(retry) = retry {
            retry.clear();
        }
        if let Some((hls, listeners)) = hls {
            hls.destroy();
            drop(listeners);
        }
        if native {
            self.video.remove_attribute("src").ok();
            self.video.load();
        }
        self.setters.playing_level.set(None);
    }

    /// Feeds the machine and carries out what it says.
    fn input(&self, input: Input) {
        let (commands, phase) = {
            let mut state = self.state.borrow_mut();
            let commands = state.machine.step(input, js_sys::Date::now());
            (commands, state.machine.phase())
        };
        if self.setters.phase.get_untracked() != phase {
            self.setters.phase.set(phase);
        }
        for command in commands {
            self.run(command);
        }
    }

    fn run(&self, command: Command) {
        let native = self.state.borrow().native;
        match command {
            Command::StartLoad if !native => {
                self.with_hls(|hls| hls.start_load(-1.0));
            }
            Command::RecoverMedia if !native => {
                self.with_hls(|hls| hls.recover_media_error());
            }
            Command::SwapCodecAndRecover if !native => {
                self.with_hls(|hls| {
                    hls.swap_audio_codec();
                    hls.recover_media_error();
                });
            }
            Command::ScheduleRetry { after_ms } => {
                let weak = self.this.clone();
                let handle = set_timeout_with_handle(
                    move || {
                        if let Some(engine) = weak.upgrade() {
                            engine.state.borrow_mut().retry = None;
                            engine.input(Input::RetryDue);
                        }
                    },
                    Duration::from_millis(u64::from(after_ms)),
                )
                .ok();
                self.state.borrow_mut().retry = handle;
            }
            // A reload, or what native playback can only do by reloading.
            _ => {
                self.detach();
                self.attach();
            }
        }
    }

    pub fn set_level(&self, level: Option<usize>) {
        self.setters.chosen_level.set(level);
        self.with_hls(|hls| hls.set_current_level(level.map_or(-1, |l| l as i32)));
    }

    pub fn set_subtitle(&self, track: Option<usize>) {
        self.setters.subtitle.set(track);
        self.with_hls(|hls| {
            hls.set_subtitle_display(track.is_some());
            hls.set_subtitle_track(track.map_or(-1, |t| t as i32));
        });
    }

    pub fn retry(&self) {
        self.input(Input::RetryNow);
    }

    /// `play()`, noting a refusal (autoplay policies) so the page can ask the viewer.
    pub fn play(&self) {
        let Ok(promise) = self.video.play() else { return };
        let weak = self.this.clone();
        leptos::task::spawn_local(async move {
            if let Err(error) = wasm_bindgen_futures::JsFuture::from(promise).await {
                let name = error
                    .dyn_ref::<web_sys::DomException>()
                    .map(|e| e.name())
                    .unwrap_or_default();
                // An AbortError only means a newer load replaced this one.
                if name == "NotAllowedError"
                    && let Some(engine) = weak.upgrade()
                {
                    engine.input(Input::AutoplayBlocked);
                }
            }
        });
    }

    pub fn live_position(&self) -> Option<f64> {
        if let Some(position) = self.with_hls(|hls| hls.live_sync_position()).flatten() {
            return Some(position);
        }
        // Native playback: a target duration or three behind the end of what can be seeked.
        let seekable = self.video.seekable();
        let end = seekable.end(seekable.length().checked_sub(1)?).ok()?;
        Some((end - 6.0).max(0.0))
    }

    /// Stops everything; the engine is unusable afterwards.
    pub fn teardown(&self) {
        self.detach();
        let mut state = self.state.borrow_mut();
        if let Some(tick) = state.tick.take() {
            tick.clear();
        }
        for (name, listener) in state.media_listeners.drain(..) {
            let _ = self
                .video
                .remove_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
        }
    }
}

/// `HTMLMediaElement.HAVE_FUTURE_DATA`: the element can play on.
const HAVE_FUTURE_DATA: u16 = 3;

/// The hls.js player the page's bootstrap (`start.js`) started on `video` with `url`, taken over (once); `None` when
/// it started nothing, another stream, or failed (then it is stopped, and the engine starts afresh).
fn adopt_started(video: &HtmlVideoElement, url: &str) -> Option<Hls> {
    let global = js_sys::global();
    let key = JsValue::from_str("caravanStartedPlayer");
    let started = js_sys::Reflect::get(&global, &key).ok().filter(|s| s.is_object())?;
    let _ = js_sys::Reflect::delete_property(&global, &key);
    let field = |name: &str| js_sys::Reflect::get(&started, &name.into()).ok();
    let hls: Hls = field("hls")?.unchecked_into();
    let same_video = field("video").is_some_and(|v| &v == AsRef::<JsValue>::as_ref(video));
    let failed = field("failed").is_none_or(|failed| failed.is_truthy());
    if same_video && !failed && field("src").and_then(|src| src.as_string()).as_deref() == Some(url) {
        Some(hls)
    } else {
        hls.destroy();
        None
    }
}

/// Whether hls.js is loaded (`window.Hls`) and this browser has what it needs.
fn hls_js_available() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"Hls".into()).is_ok_and(|hls| hls.is_function()) && Hls::is_supported()
}
