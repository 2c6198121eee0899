//! hls.js 1.7 (`window.Hls`, from `hls.min.js`, which the page loads before the app): the parts Caravan uses.
//! <https://github.com/video-dev/hls.js/blob/master/docs/API.md>

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// A player instance: loads a playlist and feeds a media element through Media Source Extensions.
    #[derive(Clone)]
    pub type Hls;

    #[wasm_bindgen(constructor, catch)]
    pub fn new(config: &JsValue) -> Result<Hls, JsValue>;

    /// Whether this browser has the Media Source Extensions hls.js needs.
    #[wasm_bindgen(static_method_of = Hls, js_name = isSupported)]
    pub fn is_supported() -> bool;

    #[wasm_bindgen(method, js_name = loadSource)]
    pub fn load_source(this: &Hls, url: &str);

    #[wasm_bindgen(method, js_name = attachMedia)]
    pub fn attach_media(this: &Hls, media: &web_sys::HtmlMediaElement);

    /// Resumes loading; -1 starts at the live edge or where it stopped.
    #[wasm_bindgen(method, js_name = startLoad)]
    pub fn start_load(this: &Hls, start_position: f64);

    #[wasm_bindgen(method, js_name = recoverMediaError)]
    pub fn recover_media_error(this: &Hls);

    #[wasm_bindgen(method, js_name = swapAudioCodec)]
    pub fn swap_audio_codec(this: &Hls);

    #[wasm_bindgen(method)]
    pub fn destroy(this: &Hls);

    /// `hls.on(Hls.Events.X, (event, data) => …)`; events are named by their string values (`hlsError`, …).
    #[wasm_bindgen(method)]
    pub fn on(this: &Hls, event: &str, listener: &js_sys::Function);

    /// The renditions of the master playlist, lowest index first (`HlsLevel`s).
    #[wasm_bindgen(method, getter)]
    pub fn levels(this: &Hls) -> js_sys::Array;

    /// The rendition playing now; -1 before one is chosen.
    #[wasm_bindgen(method, getter, js_name = currentLevel)]
    pub fn current_level(this: &Hls) -> i32;

    /// Switches now (flushing the buffer); -1 returns to automatic selection.
    #[wasm_bindgen(method, setter, js_name = currentLevel)]
    pub fn set_current_level(this: &Hls, level: i32);

    /// Where a live stream should play to keep the configured latency; null for on-demand streams.
    #[wasm_bindgen(method, getter, js_name = liveSyncPosition)]
    pub fn live_sync_position(this: &Hls) -> Option<f64>;

    /// The subtitle tracks of the master playlist (`HlsSubtitleTrack`s).
    #[wasm_bindgen(method, getter, js_name = subtitleTracks)]
    pub fn subtitle_tracks(this: &Hls) -> js_sys::Array;

    /// The subtitle track shown; -1 for none.
    #[wasm_bindgen(method, setter, js_name = subtitleTrack)]
    pub fn set_subtitle_track(this: &Hls, track: i32);

    #[wasm_bindgen(method, setter, js_name = subtitleDisplay)]
    pub fn set_subtitle_display(this: &Hls, display: bool);

    /// An entry of `Hls.levels`.
    pub type HlsLevel;

    #[wasm_bindgen(method, getter)]
    pub fn height(this: &HlsLevel) -> u32;

    #[wasm_bindgen(method, getter)]
    pub fn bitrate(this: &HlsLevel) -> f64;

    /// An entry of `Hls.subtitleTracks`.
    pub type HlsSubtitleTrack;

    #[wasm_bindgen(method, getter)]
    pub fn name(this: &HlsSubtitleTrack) -> String;

    /// The data of `hlsError`.
    pub type HlsErrorData;

    /// `networkError`, `mediaError`, `keySystemError`, `muxError` or `otherError`.
    #[wasm_bindgen(method, getter, js_name = type)]
    pub fn kind(this: &HlsErrorData) -> String;

    #[wasm_bindgen(method, getter)]
    pub fn details(this: &HlsErrorData) -> String;

    #[wasm_bindgen(method, getter)]
    pub fn fatal(this: &HlsErrorData) -> bool;

    /// The data of `hlsLevelSwitched`.
    pub type HlsLevelSwitchedData;

    #[wasm_bindgen(method, getter)]
    pub fn level(this: &HlsLevelSwitchedData) -> i32;

    /// The data of `hlsLevelLoaded`.
    pub type HlsLevelLoadedData;

    #[wasm_bindgen(method, getter)]
    pub fn details(this: &HlsLevelLoadedData) -> HlsLevelDetails;

    /// A media playlist as hls.js parsed it.
    pub type HlsLevelDetails;

    #[wasm_bindgen(method, getter)]
    pub fn live(this: &HlsLevelDetails) -> bool;

    /// The partial segments (`EXT-X-PART`) of a low-latency playlist; null otherwise.
    #[wasm_bindgen(method, getter, js_name = partList)]
    pub fn part_list(this: &HlsLevelDetails) -> Option<js_sys::Array>;
}
