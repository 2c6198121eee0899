//! What the player says over the picture: loading, reconnecting, the error with its retry button, a refused
//! autoplay, the end of a recording, nothing to play; and the "tap to unmute" prompt of a muted autoplay.

use leptos::prelude::*;

use super::{
    PlayerActions, Programme,
    icons::{Icon, PlayerIcon},
};
use crate::hooks::{Backend, Failure, Phase};

#[component]
pub fn PlayerOverlay() -> impl IntoView {
    let actions = expect_context::<PlayerActions>();
    let hls = actions.hls;
    move || {
        if let Programme::Nothing(reason) = actions.programme.get() {
            return view! { <div class="player-overlay player-message" role="status">{reason}</div> }.into_any();
        }
        if hls.backend.get() == Backend::Unsupported {
            return view! {
                <div class="player-overlay player-message" role="alert">
                    "This browser cannot play the video. Try a current version of Chrome, Edge, Firefox or Safari."
                </div>
            }
            .into_any();
        }
        match hls.phase.get() {
            Phase::Loading | Phase::Buffering => view! {
                <div class="player-overlay player-spinner" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    <span class="visually-hidden">"Loading the video"</span>
                </div>
            }
            .into_any(),
            Phase::Reconnecting => view! {
                <div class="player-overlay player-spinner" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    <span class="player-note">"Reconnecting…"</span>
                </div>
            }
            .into_any(),
            Phase::Failed(failure) => {
                let reason = match failure {
                    Failure::Network => "The video cannot be reached.",
                    Failure::Media => "The video cannot be played.",
                    Failure::Stalled => "The video has stopped.",
                };
                view! {
                    <div class="player-overlay player-message player-error" role="alert">
                        <p>{reason}" We keep trying, and the show resumes by itself when it is back."</p>
                        <button type="button" class="player-button-text" on:click=move |_| hls.retry()>
                            "Retry now"
                        </button>
                    </div>
                }
                .into_any()
            }
            Phase::Blocked => view! {
                <div class="player-overlay">
                    <button type="button" class="player-big-button" aria-label="Play" on:click=move |_| hls.play()>
                        <PlayerIcon icon=Icon::Play />
                    </button>
                </div>
            }
            .into_any(),
            Phase::Ended if !actions.programme.get().is_live() => view! {
                <div class="player-overlay">
                    <button
                        type="button"
                        class="player-big-button"
                        aria-label="Watch again"
                        on:click=move |_| actions.toggle_play()
                    >
                        <PlayerIcon icon=Icon::Replay />
                    </button>
                </div>
            }
            .into_any(),
            Phase::Ended => view! {
                <div class="player-overlay player-message" role="status">"The live stream has ended."</div>
            }
            .into_any(),
            Phase::Idle | Phase::Playing | Phase::Paused => ().into_any(),
        }
    }
}

/// Autoplay starts muted (browsers allow nothing else); this asks once, clearly, for the sound.
#[component]
pub fn UnmutePrompt() -> impl IntoView {
    let actions = expect_context::<PlayerActions>();
    let media = actions.media;
    let shown = move || {
        media.muted.get()
            && !media.sound_chosen.get()
            && matches!(actions.hls.phase.get(), Phase::Playing | Phase::Buffering)
    };
    view! {
        <Show when=shown>
            <button type="button" class="player-unmute" on:click=move |_| actions.toggle_mute()>
                <PlayerIcon icon=Icon::Muted />
                "Tap to unmute"
            </button>
        </Show>
    }
}
