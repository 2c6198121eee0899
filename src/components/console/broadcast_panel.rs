//! The console's broadcast: where the show's stream stands, each encoder's picture, frame rate, bitrate and keyframe
//! interval, the transcoder's pace, what needs attention; the encoders' stream keys (issued here, shown once, with
//! copy buttons); and ending the show. Plain forms posting to server functions, so it also works without JavaScript.

use leptos::{form::ActionForm, prelude::*};

use super::action_message::ActionMessage;
use crate::api::{
    StreamState,
    console::{EncoderHealth, EndShow, IssueStreamKey, IssuedKey, StreamHealth},
};

#[component]
pub fn BroadcastPanel(
    event_id: String,
    #[prop(into)] stream: Signal<StreamHealth>,
    issue: ServerAction<IssueStreamKey>,
    end: ServerAction<EndShow>,
) -> impl IntoView {
    let state = move || stream.with(|s| s.state);
    let state_label = move || match state() {
        StreamState::Waiting => "Waiting for the encoder",
        StreamState::Live => "On air",
        StreamState::Interrupted => "Interrupted: viewers see \u{201c}We'll be right back\u{201d}",
        StreamState::Ended => "Ended: the page plays the replay",
        StreamState::Unknown => "Not known",
    };
    let state_name = move || match state() {
        StreamState::Waiting => "waiting",
        StreamState::Live => "live",
        StreamState::Interrupted => "interrupted",
        StreamState::Ended => "ended",
        StreamState::Unknown => "unknown",
    };
    let end_id = event_id.clone();
    view! {
        <section class="console-broadcast" aria-labelledby="console-broadcast-title">
            <h2 id="console-broadcast-title">"Broadcast"</h2>
            <p class="broadcast-state" data-state=state_name data-testid="broadcast-state">
                {state_label}
            </p>
            // On a phone the table scrolls sideways in its own frame, which the keyboard reaches too.
            <div class="broadcast-encoders-frame" role="region" aria-label="Encoders" tabindex="0">
                <table class="broadcast-encoders">
                    <caption class="visually-hidden">"Encoders"</caption>
                    <thead>
                        <tr>
                            <th scope="col">"Encoder"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Picture"</th>
                            <th scope="col">"Frame rate"</th>
                            <th scope="col">"Bitrate"</th>
                            <th scope="col">"Keyframes"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {["PRIMARY", "BACKUP"]
                            .map(|role| {
                                let reading = move || stream.with(|s| s.encoders.iter().find(|e| e.role == role).cloned());
                                let segment = move || stream.with(|s| s.segment_seconds);
                                view! { <EncoderRow role reading=Signal::derive(reading) segment=Signal::derive(segment) /> }
                            })}
                    </tbody>
                </table>
            </div>
            <p class="broadcast-transcoder" data-testid="transcoder">
                {move || {
                    stream
                        .with(|s| s.transcoder.clone())
                        .map_or_else(
                            || "Transcoder: not running".to_string(),
                            |t| {
                                let speed = t.speed.map_or("…".to_string(), |speed| format!("{speed:.2}× real time"));
                                format!("Transcoder: {speed}, {} frames dropped", t.dropped_frames)
                            },
                        )
                }}
            </p>
            <ul class="broadcast-warnings" aria-label="Warnings">
                {move || {
                    stream
                        .with(|s| s.warnings.clone())
                        .into_iter()
                        .map(|warning| view! { <li role="alert">{warning_text(&warning)}</li> })
                        .collect_view()
                }}
            </ul>

            <h3>"Stream keys"</h3>
            <p class="console-note">
                "Give the server URL and a key to the encoder (OBS: Settings, Stream, Service \u{201c}Custom\u{201d}). "
                "A key is shown once; a new one replaces the old, which stops publishing."
            </p>
            <div class="broadcast-keys">
                {["primary", "backup"]
                    .map(|role| {
                        let label = if role == "primary" { "New primary key" } else { "New backup key" };
                        let event_id = event_id.clone();
                        view! {
                            <ActionForm action=issue>
                                <input type="hidden" name="event_id" value=event_id />
                                <input type="hidden" name="role" value=role />
                                <button type="submit" class="secondary">{label}</button>
                            </ActionForm>
                        }
                    })}
            </div>
            {move || {
                issue
                    .value()
                    .get()
                    .map(|answer| match answer {
                        Ok(key) => view! { <IssuedKeyView key /> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}

            <details class="broadcast-end">
                <summary>"End the show…"</summary>
                <p class="console-note">
                    "The encoders are cut off and none can publish again; the page plays the recording as the replay."
                </p>
                <ActionForm action=end>
                    <input type="hidden" name="event_id" value=end_id />
                    <button type="submit" class="danger">"End the show now"</button>
                </ActionForm>
            </details>
            <ActionMessage result=end.value() />
        </section>
    }
}

/// One encoder's line: what it sends, or that it is not connected.
#[component]
fn EncoderRow(role: &'static str, reading: Signal<Option<EncoderHealth>>, segment: Signal<i64>) -> impl IntoView {
    let name = if role == "PRIMARY" { "Primary" } else { "Backup" };
    let cells = move || match reading.get() {
        None => view! {
            <td>"Not connected"</td>
            <td>"–"</td>
            <td>"–"</td>
            <td>"–"</td>
            <td>"–"</td>
        }
        .into_any(),
        Some(e) => {
            let status = if e.on_air { "On air" } else { "Standing by" };
            let picture = match (e.width, e.height) {
                (Some(w), Some(h)) => format!("{w}×{h}"),
                _ => "–".to_string(),
            };
            let rate = e.frame_rate.map_or("–".to_string(), |fps| format!("{fps:.1} fps"));
            let bitrate = e.bitrate_kbps.map_or("–".to_string(), |kbps| format!("{kbps} kbit/s"));
            let long = e.keyframe_interval.is_some_and(|s| s > segment.get() as f64 + 0.05);
            let keyframes = e
                .keyframe_interval
                .map_or("–".to_string(), |s| format!("every {s:.1} s"));
            view! {
                <td>{status}</td>
                <td>{picture}</td>
                <td>{rate}</td>
                <td>{bitrate}</td>
                <td class:warning=long>{keyframes}</td>
            }
            .into_any()
        }
    };
    view! {
        <tr data-encoder=role data-on-air=move || reading.with(|r| r.as_ref().is_some_and(|r| r.on_air)).to_string()>
            <th scope="row">{name}</th>
            {cells}
        </tr>
    }
}

/// A key just issued: the server URL and the key, each with a copy button.
#[component]
fn IssuedKeyView(key: IssuedKey) -> impl IntoView {
    let role = if key.role == "BACKUP" { "backup" } else { "primary" };
    view! {
        <div class="issued-key" role="status" data-role=role>
            <p>{format!("The {role} encoder's key (shown this once):")}</p>
            <CopyField label="Server URL" value=key.rtmp_url.clone() />
            <CopyField label="Stream key" value=key.key.clone() />
            {key.srt_url.clone().map(|srt| view! { <CopyField label="SRT" value=srt /> })}
        </div>
    }
}

/// A read-only field with a button that copies it.
#[component]
fn CopyField(label: &'static str, value: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let text = value.clone();
    view! {
        <div class="copy-field">
            <label>
                <span>{label}</span>
                <input readonly value=value spellcheck="false" autocomplete="off" />
            </label>
            <button
                type="button"
                class="secondary"
                aria-label=format!("Copy the {}", label.to_lowercase())
                on:click=move |_| {
                    copy_to_clipboard(&text);
                    copied.set(true);
                }
            >
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </div>
    }
}

/// Puts `text` on the clipboard (`navigator.clipboard.writeText`); nothing where the browser has no clipboard.
fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "browser")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        use web_sys::js_sys::{Function, Reflect};

        let navigator = web_sys::window().map(|w| JsValue::from(w.navigator()));
        let clipboard = navigator.and_then(|n| Reflect::get(&n, &"clipboard".into()).ok());
        if let Some(clipboard) = clipboard.filter(|c| !c.is_undefined())
            && let Some(write) = Reflect::get(&clipboard, &"writeText".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok())
        {
            let _ = write.call1(&clipboard, &text.into());
        }
    }
    #[cfg(not(feature = "browser"))]
    let _ = text;
}

/// A warning in the operator's words.
fn warning_text(warning: &str) -> &'static str {
    match warning {
        "KEYFRAME_INTERVAL_TOO_LONG" => {
            "An encoder's keyframes are more than a segment apart: set its keyframe interval to 1 s, or a switch to \
             it waits for its next keyframe."
        }
        "TRANSCODER_TOO_SLOW" => {
            "The transcoder is slower than real time: viewers will stall. Lower the encoder's resolution or the ladder."
        }
        "NO_BACKUP" => "Only one encoder is publishing: nothing takes over if it drops.",
        _ => "Something needs attention in the broadcast.",
    }
}
