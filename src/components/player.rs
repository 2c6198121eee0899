//! The video player: the show's stream through `use_hls`, with controls of our own (no browser chrome), the
//! before/live/ended states and the overlays that say what is happening.
//!
//! The server renders the frame (16:9, the state, the controls) so nothing jumps; the stream attaches after
//! hydration. Keyboard: space or k play/pause, m mute, f fullscreen, c captions, ←/→ 5 s, ↑/↓ volume.

mod controls;
mod countdown;
mod icons;
mod overlay;
mod quality_menu;

use std::time::Duration;

use leptos::{
    ev,
    html::{Div, Video},
    prelude::*,
};
use wasm_bindgen::JsCast;

use crate::{
    api::{
        Event, EventStatus, StreamState, StreamStatus,
        playback::{PlaybackGrant, PlayerStart},
    },
    hooks::{
        Authorization, Backend, HlsSource, Phase, UseHls, UsePlaybackAuthorization, use_hls, use_playback_analytics,
        use_playback_authorization,
    },
    preferences::use_texts,
};
use controls::ControlBar;
use countdown::Countdown;
use overlay::{PlayerOverlay, UnmutePrompt};

/// Controls hide after this long without pointer or keyboard activity while the video plays.
const CONTROLS_IDLE: Duration = Duration::from_secs(3);
/// Seconds behind the live position that count as "behind live".
const BEHIND_LIVE_SECONDS: f64 = 4.0;
/// Seconds the arrow keys seek.
const SEEK_STEP: f64 = 5.0;

/// Where a live show's picture stands against `live`, the position hls.js would play it at now.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LiveStance {
    AtLive,
    /// The viewer stepped back (paused, or sought back): "Back to live" offers the way back.
    Behind,
    /// Behind although the viewer never stepped back (a stall, a slow network, a busy phone, an encoder's burst):
    /// the player catches up to `live`, so the show and its pick-ups stay in step.
    CatchUp(f64),
}

/// The stance of a picture at `position`; `follows_live`: the viewer has not stepped back since last at live.
fn live_stance(live: Option<f64>, position: f64, follows_live: bool) -> LiveStance {
    match live {
        Some(live) if is_behind(live, position) && follows_live => LiveStance::CatchUp(live),
        Some(live) if is_behind(live, position) => LiveStance::Behind,
        _ => LiveStance::AtLive,
    }
}

fn is_behind(live: f64, position: f64) -> bool {
    live - position > BEHIND_LIVE_SECONDS
}

/// What the player shows for the event.
#[derive(Debug, Clone, PartialEq)]
pub enum Programme {
    /// The show has not started: a countdown.
    Upcoming,
    /// On air: the live stream.
    Live,
    /// Ended, with a recording: played on demand.
    Archive,
    /// Nothing to play, and why.
    Nothing(Unavailable),
}

/// Why a show has nothing to play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// It ended, and no recording is offered.
    Ended,
    /// It has no stream at all.
    NoVideo,
    /// Its time has come, and its stream has not started yet.
    Starting,
}

impl Programme {
    /// What to play for an event whose status is `status` and whose stream stands as `stream` says (`started`: the
    /// countdown has reached the start). The stream decides: the show goes live when its encoder does, even before
    /// its planned start, and its replay comes when it ends. An interruption stays live (the player waits for the
    /// stream under its "back in a moment" slate).
    pub fn of(event: &Event, status: EventStatus, stream: &StreamStatus, started: bool) -> Self {
        let live = stream.live_url.is_some() || event.live_url.is_some();
        let archive = stream.archive_url.is_some() || event.archive_url.is_some();
        match stream.state {
            StreamState::Live | StreamState::Interrupted if live => return Programme::Live,
            StreamState::Ended if archive => return Programme::Archive,
            StreamState::Ended => return Programme::Nothing(Unavailable::Ended),
            StreamState::Waiting if !live && (status == EventStatus::Live || started) => {
                return Programme::Nothing(Unavailable::Starting);
            }
            _ => {}
        }
        match (status, live, archive) {
            (EventStatus::Scheduled, _, _) if !started => Programme::Upcoming,
            (EventStatus::Live | EventStatus::Scheduled, true, _) => Programme::Live,
            (EventStatus::Ended, _, true) => Programme::Archive,
            (EventStatus::Ended, _, false) => Programme::Nothing(Unavailable::Ended),
            _ => Programme::Nothing(Unavailable::NoVideo),
        }
    }

    /// The stream to play, if any (the server then says where, for this viewer): "live" or "replay".
    pub fn stream(&self) -> Option<&'static str> {
        match self {
            Programme::Live => Some("live"),
            Programme::Archive => Some("replay"),
            _ => None,
        }
    }

    pub fn is_live(&self) -> bool {
        matches!(self, Programme::Live)
    }
}

/// What the media element reports, kept in signals for the controls.
#[derive(Clone, Copy)]
pub struct MediaState {
    pub paused: RwSignal<bool>,
    pub muted: RwSignal<bool>,
    pub volume: RwSignal<f64>,
    pub position: RwSignal<f64>,
    pub duration: RwSignal<f64>,
    pub behind_live: RwSignal<bool>,
    pub fullscreen: RwSignal<bool>,
    /// The viewer has touched the sound (so the unmute prompt is not needed).
    pub sound_chosen: RwSignal<bool>,
}

/// What the controls and the keyboard do; shared with the control bar through context.
#[derive(Clone, Copy)]
pub struct PlayerActions {
    video: NodeRef<Video>,
    container: NodeRef<Div>,
    pub hls: UseHls,
    pub authorization: UsePlaybackAuthorization,
    pub media: MediaState,
    pub programme: Signal<Programme>,
    /// Every encoder dropped before the end: "back in a moment".
    pub interrupted: Signal<bool>,
    /// The quality menu is open (controls stay visible).
    pub menu_open: RwSignal<bool>,
    /// The viewer (or the partner's page) has not paused or sought back since the picture was last at live.
    follows_live: StoredValue<bool>,
}

impl PlayerActions {
    /// Plays (a partner's command; the viewer uses `toggle_play`).
    pub fn play(&self) {
        if self.video.get_untracked().is_some() {
            self.hls.play();
        }
    }

    pub fn pause(&self) {
        if let Some(video) = self.video.get_untracked() {
            self.follows_live.set_value(false);
            let _ = video.pause();
        }
    }

    /// Sound off or on, as the partner asks.
    pub fn set_muted(&self, muted: bool) {
        let Some(video) = self.video.get_untracked() else {
            return;
        };
        self.media.sound_chosen.set(true);
        video.set_muted(muted);
        if !muted && video.volume() == 0.0 {
            video.set_volume(0.5);
        }
    }

    pub fn toggle_play(&self) {
        let Some(video) = self.video.get_untracked() else {
            return;
        };
        if video.paused() || video.ended() {
            if video.ended() {
                video.set_current_time(0.0);
            }
            self.hls.play();
        } else {
            self.follows_live.set_value(false);
            let _ = video.pause();
        }
    }

    pub fn toggle_mute(&self) {
        let Some(video) = self.video.get_untracked() else {
            return;
        };
        self.media.sound_chosen.set(true);
        let unmute = video.muted() || video.volume() == 0.0;
        video.set_muted(!unmute);
        if unmute && video.volume() == 0.0 {
            video.set_volume(0.5);
        }
    }

    pub fn set_volume(&self, volume: f64) {
        let Some(video) = self.video.get_untracked() else {
            return;
        };
        self.media.sound_chosen.set(true);
        let volume = volume.clamp(0.0, 1.0);
        video.set_volume(volume);
        video.set_muted(volume == 0.0);
    }

    pub fn seek_to(&self, position: f64) {
        if let Some(video) = self.video.get_untracked() {
            // Sought back on a live show: the viewer steps back; anywhere near live: they follow it again.
            let live = self
                .hls
                .live_position()
                .filter(|_| self.programme.get_untracked().is_live());
            self.follows_live
                .set_value(!live.is_some_and(|live| is_behind(live, position)));
            video.set_current_time(position.max(0.0));
        }
    }

    fn seek_by(&self, seconds: f64) {
        let Some(video) = self.video.get_untracked() else {
            return;
        };
        let target = video.current_time() + seconds;
        // Live: not past where the stream should play.
        let target = match self.hls.live_position() {
            Some(live) if self.programme.get_untracked().is_live() => target.min(live),
            _ => target,
        };
        self.seek_to(target);
    }

    pub fn back_to_live(&self) {
        if let Some(live) = self.hls.live_position() {
            self.seek_to(live);
        }
        self.hls.play();
    }

    pub fn toggle_fullscreen(&self) {
        let document = document();
        if document.fullscreen_element().is_some() {
            document.exit_fullscreen();
            return;
        }
        let Some(container) = self.container.get_untracked() else {
            return;
        };
        if container.request_fullscreen().is_err() {
            // iOS Safari: only the video element itself can go full screen.
            if let Some(video) = self.video.get_untracked()
                && let Ok(enter) = js_sys_function(&video, "webkitEnterFullscreen")
            {
                let _ = enter.call0(&video);
            }
        }
    }

    pub fn toggle_captions(&self) {
        let next = if self.hls.subtitle.get_untracked().is_some() {
            None
        } else {
            Some(0)
        };
        if !self.hls.subtitles.get_untracked().is_empty() {
            self.hls.set_subtitle(next);
        }
    }
}

/// `object[name]` as a function.
fn js_sys_function(object: &wasm_bindgen::JsValue, name: &str) -> Result<web_sys::js_sys::Function, ()> {
    web_sys::js_sys::Reflect::get(object, &name.into())
        .ok()
        .and_then(|f| f.dyn_into().ok())
        .ok_or(())
}

/// The player of `event`, following where its stream stands (`stream`; the event's own status when not given).
/// `start`: the server's authorization while it rendered the page; the stream starts with it, before the app loads.
#[component]
pub fn Player(
    event: Event,
    #[prop(optional, into)] stream: Option<Signal<StreamStatus>>,
    #[prop(default = None)] start: Option<PlaybackGrant>,
) -> impl IntoView {
    let video = NodeRef::<Video>::new();
    let container = NodeRef::<Div>::new();
    let started = RwSignal::new(false);
    let t = use_texts();
    let status = event.status;
    let starts_at = event.starts_at.clone();
    let slug = event.slug.clone();
    let stream = stream.unwrap_or_else(|| Signal::stored(event.stream_status.clone()));
    let programme = Signal::derive(move || stream.with(|stream| Programme::of(&event, status, stream, started.get())));
    let interrupted = Signal::derive(move || stream.with(|stream| stream.state == StreamState::Interrupted));
    // What the page's bootstrap plays until the app takes over (src/hooks/use_hls/start.js), and its playlist, which
    // the browser fetches while hls.js downloads (as hls.js asks for it: same origin, no credentials flag).
    let data_start = start
        .as_ref()
        .and_then(|grant| serde_json::to_string(&PlayerStart::of(grant)).ok());
    let playlist_preload = start.as_ref().map(|grant| {
        view! { <leptos_meta::Link rel="preload" href=grant.manifest_url.clone() as_="fetch" crossorigin="anonymous" /> }
    });
    // The server says where the stream is and sets the cookies it needs (paid shows), once the programme has one,
    // and again when it changes (from the show to its replay); `start` is its first answer, given with the page.
    let authorization =
        use_playback_authorization(slug.clone(), Signal::derive(move || programme.read().stream()), start);
    let source = Signal::derive(move || match authorization.state.get() {
        Authorization::Granted(grant) => Some(HlsSource {
            url: grant.manifest_url,
            drm: grant.drm,
        }),
        _ => None,
    });
    let hls = use_hls(video, source);
    let quality = Signal::derive(move || {
        let level = hls.playing_level.get()?;
        hls.levels.with(|levels| levels.get(level).map(|level| level.label()))
    });
    use_playback_analytics(slug, hls.phase, quality);
    let media = MediaState {
        paused: RwSignal::new(true),
        muted: RwSignal::new(true),
        volume: RwSignal::new(1.0),
        position: RwSignal::new(0.0),
        duration: RwSignal::new(f64::NAN),
        behind_live: RwSignal::new(false),
        fullscreen: RwSignal::new(false),
        sound_chosen: RwSignal::new(false),
    };
    let actions = PlayerActions {
        video,
        container,
        hls,
        authorization,
        media,
        programme,
        interrupted,
        menu_open: RwSignal::new(false),
        follows_live: StoredValue::new(true),
    };
    // The stream is back after an interruption: play it now rather than at the player's next retry.
    Effect::new(move |was_interrupted: Option<bool>| {
        let now = interrupted.get();
        if was_interrupted == Some(true) && !now && programme.get_untracked().is_live() {
            hls.retry();
        }
        now
    });
    provide_context(actions);
    // An embed page takes the partner's commands through these actions.
    if let Some(slot) = use_context::<crate::hooks::PlayerSlot>() {
        slot.0.set(Some(actions));
    }

    // Controls show on activity and hide after a while of playing without it.
    let active = RwSignal::new(true);
    let idle_timer = StoredValue::new(None::<TimeoutHandle>);
    let wake = move || {
        active.set(true);
        if let Some(timer) = idle_timer.get_value() {
            timer.clear();
        }
        let timer = set_timeout_with_handle(move || active.set(false), CONTROLS_IDLE).ok();
        idle_timer.set_value(timer);
    };
    // After hydration the idle clock starts, as if the pointer had just moved.
    Effect::new(move |_| wake());
    let controls_shown = move || {
        active.get()
            || media.paused.get()
            || actions.menu_open.get()
            || !matches!(hls.phase.get(), Phase::Playing | Phase::Buffering)
    };

    let replay_clock = use_context::<crate::hooks::ReplayClock>();
    let read_time = move || {
        let Some(element) = video.get_untracked() else { return };
        let position = element.current_time();
        media.position.set(position);
        if let Some(clock) = replay_clock
            && programme.get_untracked() == Programme::Archive
        {
            clock.0.set(position);
        }
        if programme.get_untracked().is_live() {
            let behind = match live_stance(hls.live_position(), position, actions.follows_live.get_value()) {
                LiveStance::CatchUp(live) if !element.paused() => {
                    actions.seek_to(live);
                    false
                }
                stance => stance != LiveStance::AtLive,
            };
            if media.behind_live.get_untracked() != behind {
                media.behind_live.set(behind);
            }
        }
    };
    let read_volume = move || {
        if let Some(element) = video.get_untracked() {
            media.muted.set(element.muted() || element.volume() == 0.0);
            media.volume.set(element.volume());
        }
    };
    // The page's bootstrap may have started the video before the app listened: start from where it stands.
    Effect::new(move |_| {
        let Some(element) = video.get() else { return };
        media.paused.set(element.paused());
        media.duration.set(element.duration());
        read_volume();
        read_time();
    });
    let on_key = move |event: ev::KeyboardEvent| {
        if event.ctrl_key() || event.meta_key() || event.alt_key() {
            return;
        }
        let tag = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .map(|element| element.tag_name())
            .unwrap_or_default();
        let (on_button, on_input) = (tag == "BUTTON", tag == "INPUT");
        wake();
        match event.key().as_str() {
            // Space on a focused button presses that button.
            " " if on_button || on_input => return,
            " " | "k" | "K" => actions.toggle_play(),
            "m" | "M" => actions.toggle_mute(),
            "f" | "F" => actions.toggle_fullscreen(),
            "c" | "C" => actions.toggle_captions(),
            // Sliders use their own arrow keys.
            "ArrowLeft" if !on_input => actions.seek_by(-SEEK_STEP),
            "ArrowRight" if !on_input => actions.seek_by(SEEK_STEP),
            "ArrowUp" if !on_input => actions.set_volume(media.volume.get_untracked() + 0.1),
            "ArrowDown" if !on_input => actions.set_volume(media.volume.get_untracked() - 0.1),
            "Escape" if actions.menu_open.get_untracked() => actions.menu_open.set(false),
            _ => return,
        }
        event.prevent_default();
    };

    view! {
        {playlist_preload}
        <div
            class="player"
            node_ref=container
            role="region"
            aria-label=move || t.get().video_player
            aria-keyshortcuts="Space K M F C ArrowLeft ArrowRight ArrowUp ArrowDown"
            tabindex="0"
            data-phase=move || hls.phase.get().name()
            data-programme=move || match programme.get() {
                Programme::Upcoming => "upcoming",
                Programme::Live if interrupted.get() => "interrupted",
                Programme::Live => "live",
                Programme::Archive => "replay",
                Programme::Nothing(_) => "nothing",
            }
            data-latency=move || if hls.low_latency.get() { "low" } else { "standard" }
            data-backend=move || match hls.backend.get() {
                Backend::Pending => "pending",
                Backend::HlsJs => "hls.js",
                Backend::Native => "native",
                Backend::Unsupported => "unsupported",
            }
            data-controls=move || if controls_shown() { "shown" } else { "hidden" }
            on:pointermove=move |_| wake()
            on:pointerdown=move |_| wake()
            on:focusin=move |_| wake()
            on:keydown=on_key
            on:fullscreenchange=move |_| media.fullscreen.set(document().fullscreen_element().is_some())
        >
            <video
                class="player-video"
                node_ref=video
                data-start=data_start
                playsinline=true
                autoplay=true
                muted=true
                preload="auto"
                on:play=move |_| media.paused.set(false)
                on:pause=move |_| media.paused.set(true)
                on:volumechange=move |_| read_volume()
                on:timeupdate=move |_| read_time()
                on:durationchange=move |_| {
                    if let Some(element) = video.get_untracked() {
                        media.duration.set(element.duration());
                    }
                }
                on:click=move |_| actions.toggle_play()
            ></video>
            <Show when=move || programme.get() == Programme::Upcoming>
                <Countdown starts_at=starts_at.clone() on_start=move || started.set(true) />
            </Show>
            <PlayerOverlay />
            // How to watch, for a page without JavaScript (style/player.css shows it only then).
            <p class="player-overlay player-message player-needs-js">{move || t.get().needs_javascript}</p>
            <UnmutePrompt />
            <ControlBar />
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(live: Option<&str>, archive: Option<&str>) -> Event {
        Event {
            id: "e".into(),
            slug: "s".into(),
            title: "t".into(),
            description: None,
            starts_at: "2026-11-22T10:00:00Z".into(),
            ends_at: None,
            live_url: live.map(Into::into),
            archive_url: archive.map(Into::into),
            status: EventStatus::Live,
            products: Vec::new(),
            pickup: None,
            likes: Default::default(),
            feed: Vec::new(),
            stream_status: StreamStatus::default(),
            replay_pickups: Vec::new(),
        }
    }

    fn stream(state: StreamState, live: Option<&str>, archive: Option<&str>) -> StreamStatus {
        StreamStatus {
            state,
            live_url: live.map(Into::into),
            archive_url: archive.map(Into::into),
            updated_at: "2026-11-22T10:00:00Z".into(),
        }
    }

    #[test]
    fn a_live_picture_left_behind_catches_up_unless_the_viewer_stepped_back() {
        assert_eq!(live_stance(Some(100.0), 97.0, true), LiveStance::AtLive);
        assert_eq!(
            live_stance(Some(100.0), 97.0, false),
            LiveStance::AtLive,
            "near live either way"
        );
        assert_eq!(live_stance(Some(100.0), 90.0, true), LiveStance::CatchUp(100.0));
        assert_eq!(live_stance(Some(100.0), 90.0, false), LiveStance::Behind);
        assert_eq!(
            live_stance(None, 0.0, true),
            LiveStance::AtLive,
            "no live position known yet"
        );
    }

    #[test]
    fn the_programme_follows_the_event() {
        let unsaid = StreamStatus::default();
        let both = event(Some("/live.m3u8"), Some("/archive.m3u8"));
        let of = |event: &Event, status, started| Programme::of(event, status, &unsaid, started);
        assert_eq!(of(&both, EventStatus::Scheduled, false), Programme::Upcoming);
        assert_eq!(
            of(&both, EventStatus::Scheduled, true),
            Programme::Live,
            "the countdown reached the start"
        );
        assert_eq!(of(&both, EventStatus::Live, false), Programme::Live);
        assert_eq!(of(&both, EventStatus::Ended, false), Programme::Archive);
        let none = event(None, None);
        assert!(matches!(
            of(&none, EventStatus::Ended, false),
            Programme::Nothing(Unavailable::Ended)
        ));
        assert!(matches!(
            of(&none, EventStatus::Live, false),
            Programme::Nothing(Unavailable::NoVideo)
        ));
    }

    #[test]
    fn the_programme_follows_the_stream_from_the_countdown_to_the_replay() {
        let show = event(None, None);
        let of = |status, stream: &StreamStatus, started| Programme::of(&show, status, stream, started);
        let waiting = stream(StreamState::Waiting, None, None);
        assert_eq!(of(EventStatus::Scheduled, &waiting, false), Programme::Upcoming);
        assert_eq!(
            of(EventStatus::Scheduled, &waiting, true),
            Programme::Nothing(Unavailable::Starting),
            "its time has come, not its stream"
        );
        assert_eq!(
            of(EventStatus::Live, &waiting, false),
            Programme::Nothing(Unavailable::Starting)
        );
        let on_air = stream(StreamState::Live, Some("/media/s/live/master.m3u8"), None);
        assert_eq!(
            of(EventStatus::Scheduled, &on_air, false),
            Programme::Live,
            "the encoder decides, even before the planned start"
        );
        let interrupted = stream(StreamState::Interrupted, Some("/media/s/live/master.m3u8"), None);
        assert_eq!(of(EventStatus::Live, &interrupted, false), Programme::Live);
        let ended = stream(
            StreamState::Ended,
            Some("/media/s/live/master.m3u8"),
            Some("/media/s/recording/master.m3u8"),
        );
        assert_eq!(of(EventStatus::Live, &ended, false), Programme::Archive);
        assert_eq!(
            of(EventStatus::Live, &stream(StreamState::Ended, None, None), false),
            Programme::Nothing(Unavailable::Ended)
        );
        assert_eq!(Programme::Live.stream(), Some("live"));
        assert_eq!(Programme::Archive.stream(), Some("replay"));
        assert_eq!(Programme::Upcoming.stream(), None);
    }
}
