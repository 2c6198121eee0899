//! What the player says over the picture: loading, reconnecting, the error with its retry button, a refused
//! autoplay, the end of a recording, nothing to play; and the "tap to unmute" prompt of a muted autoplay.

use leptos::prelude::*;

use super::{
    PlayerActions, Programme,
    icons::{Icon, PlayerIcon},
};
use crate::hooks::{Authorization, Backend, Failure, Phase};

#[component]
pub fn PlayerOverlay() -> impl IntoView {
    let actions = expect_context::<PlayerActions>();
    let hls = actions.hls;
    move || {
        if let Programme::Nothing(reason) = actions.programme.get() {
            return view! { <div class="player-overlay player-message" role="status">{reason}</div> }.into_any();
        }
        match actions.authorization.state.get() {
            Authorization::Refused(refusal) => {
                let authorization = actions.authorization;
                let terms = refusal.reason == "terms";
                return view! {
                    <div class="player-overlay player-message player-access" role="alert" data-reason=refusal.reason.clone()>
                        <p>{refusal.message.clone()}</p>
                        {if terms {
                            view! {
                                <p class="player-note-text">"Watching means you accept this show's terms of viewing."</p>
                                <button
                                    type="button"
                                    class="player-button-text"
                                    on:click=move |_| authorization.accept_terms()
                                >
                                    "Accept the terms and watch"
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <p class="player-note-text">
                                    "Your viewer code: " <code data-testid="viewer-id">{refusal.viewer_id.clone()}</code>
                                </p>
                                <button type="button" class="player-button-text" on:click=move |_| authorization.retry()>
                                    "I have a ticket: try again"
                                </button>
                                {refusal
                                    .sign_in_url
                                    .clone()
                                    .map(|href| {
                                        view! {
                                            <a class="player-button-text" href=href>
                                                "Sign in as a member"
                                            </a>
                                        }
                                    })}
                            }
                                .into_any()
                        }}
                    </div>
                }
                .into_any();
            }
            Authorization::Failed(error) => {
                let authorization = actions.authorization;
                return view! {
                    <div class="player-overlay player-message player-error" role="alert">
                        <p>"The video cannot be started: " {error}</p>
                        <button type="button" class="player-button-text" on:click=move |_| authorization.retry()>
                            "Retry now"
                        </button>
                    </div>
                }
                .into_any();
            }
            Authorization::Pending => {
                return view! {
                    <div class="player-overlay player-spinner" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        <span class="visually-hidden">"Loading the video"</span>
                    </div>
                }
                .into_any();
            }
            Authorization::Idle | Authorization::Granted(_) => {}
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
