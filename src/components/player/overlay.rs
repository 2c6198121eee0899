//! What the player says over the picture: loading, reconnecting, the error with its retry button, a refused
//! autoplay, the end of a recording, nothing to play; and the "tap to unmute" prompt of a muted autoplay.

use leptos::prelude::*;

use super::Unavailable;
use super::{
    PlayerActions, Programme,
    icons::{Icon, PlayerIcon},
};
use crate::{
    api::refusal::Denial,
    hooks::{Authorization, Backend, Failure, Phase},
    preferences::use_texts,
};

#[component]
pub fn PlayerOverlay() -> impl IntoView {
    let actions = expect_context::<PlayerActions>();
    let hls = actions.hls;
    let t = use_texts();
    move || {
        let texts = t.get();
        if let Programme::Nothing(why) = actions.programme.get() {
            let reason = match why {
                Unavailable::Ended => texts.show_has_ended,
                Unavailable::NoVideo => texts.video_unavailable,
                Unavailable::Starting => texts.show_starting,
            };
            return view! { <div class="player-overlay player-message" role="status">{reason}</div> }.into_any();
        }
        match actions.authorization.state.get() {
            Authorization::Refused(refusal) => {
                let authorization = actions.authorization;
                let terms = refusal.reason == Some(Denial::Terms);
                let reason = refusal.reason.map(Denial::as_str);
                let message = texts.refusal(&refusal, None);
                return view! {
                    <div class="player-overlay player-message player-access" role="alert" data-reason=reason>
                        <p>{message}</p>
                        {if terms {
                            view! {
                                <p class="player-note-text">{texts.terms_note}</p>
                                <button
                                    type="button"
                                    class="player-button-text"
                                    on:click=move |_| authorization.accept_terms()
                                >
                                    {texts.accept_terms}
                                </button>
                            }
                                .into_any()
                        } else {
                            view! {
                                <p class="player-note-text">
                                    {texts.viewer_code} <code data-testid="viewer-id">{refusal.viewer_id.clone()}</code>
                                </p>
                                <button type="button" class="player-button-text" on:click=move |_| authorization.retry()>
                                    {texts.have_ticket}
                                </button>
                                {refusal
                                    .sign_in_url
                                    .clone()
                                    .map(|href| {
                                        view! {
                                            <a class="player-button-text" href=href>
                                                {texts.sign_in_member}
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
                        <p>{texts.cannot_start} {error}</p>
                        <button type="button" class="player-button-text" on:click=move |_| authorization.retry()>
                            {texts.retry_now}
                        </button>
                    </div>
                }
                .into_any();
            }
            Authorization::Pending => {
                return view! {
                    <div class="player-overlay player-spinner" role="status">
                        <span class="spinner" aria-hidden="true"></span>
                        <span class="visually-hidden">{texts.loading_video}</span>
                    </div>
                }
                .into_any();
            }
            Authorization::Idle | Authorization::Granted(_) => {}
        }
        if actions.interrupted.get() {
            return view! {
                <div class="player-overlay player-message player-slate" role="status">
                    <p class="player-slate-title">{texts.back_in_a_moment}</p>
                    <p class="player-note-text">{texts.back_in_a_moment_note}</p>
                </div>
            }
            .into_any();
        }
        if hls.backend.get() == Backend::Unsupported {
            return view! {
                <div class="player-overlay player-message" role="alert">
                    {texts.unsupported_browser}
                </div>
            }
            .into_any();
        }
        match hls.phase.get() {
            Phase::Loading | Phase::Buffering => view! {
                <div class="player-overlay player-spinner" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    <span class="visually-hidden">{texts.loading_video}</span>
                </div>
            }
            .into_any(),
            Phase::Reconnecting => view! {
                <div class="player-overlay player-spinner" role="status">
                    <span class="spinner" aria-hidden="true"></span>
                    <span class="player-note">{texts.reconnecting}</span>
                </div>
            }
            .into_any(),
            Phase::Failed(failure) => {
                let reason = match failure {
                    Failure::Network => texts.video_unreachable,
                    Failure::Media => texts.video_unplayable,
                    Failure::Stalled => texts.video_stalled,
                };
                view! {
                    <div class="player-overlay player-message player-error" role="alert">
                        <p>{reason} {texts.keep_trying}</p>
                        <button type="button" class="player-button-text" on:click=move |_| hls.retry()>
                            {texts.retry_now}
                        </button>
                    </div>
                }
                .into_any()
            }
            Phase::Blocked => view! {
                <div class="player-overlay">
                    <button type="button" class="player-big-button" aria-label=texts.play on:click=move |_| hls.play()>
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
                        aria-label=texts.watch_again
                        on:click=move |_| actions.toggle_play()
                    >
                        <PlayerIcon icon=Icon::Replay />
                    </button>
                </div>
            }
            .into_any(),
            Phase::Ended => view! {
                <div class="player-overlay player-message" role="status">{texts.live_stream_ended}</div>
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
    let t = use_texts();
    let shown = move || {
        media.muted.get()
            && !media.sound_chosen.get()
            && matches!(actions.hls.phase.get(), Phase::Playing | Phase::Buffering)
    };
    view! {
        <Show when=shown>
            <button type="button" class="player-unmute" on:click=move |_| actions.toggle_mute()>
                <PlayerIcon icon=Icon::Muted />
                {move || t.get().tap_to_unmute}
            </button>
        </Show>
    }
}
