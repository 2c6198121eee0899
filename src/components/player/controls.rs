//! The control bar: play/pause, sound, the live badge or the seek bar, captions, quality and full screen. Every
//! control is a real button or slider with an accessible name, reachable with Tab.

use leptos::prelude::*;

use crate::{format::format_clock, preferences::use_texts};

use super::{
    PlayerActions,
    icons::{Icon, PlayerIcon},
    quality_menu::QualityMenu,
};

#[component]
pub fn ControlBar() -> impl IntoView {
    let actions = expect_context::<PlayerActions>();
    let media = actions.media;
    let hls = actions.hls;
    let live = move || actions.programme.read().is_live();
    let on_demand = move || *actions.programme.read() == super::Programme::Archive;

    let t = use_texts();
    let play_label = move || {
        if media.paused.get() {
            t.get().play
        } else {
            t.get().pause
        }
    };
    let mute_label = move || {
        if media.muted.get() {
            t.get().unmute
        } else {
            t.get().mute
        }
    };
    let fullscreen_label = move || {
        if media.fullscreen.get() {
            t.get().exit_full_screen
        } else {
            t.get().full_screen
        }
    };
    let captions_on = move || hls.subtitle.get().is_some();

    view! {
        <div class="player-controls" role="group" aria-label=move || t.get().player_controls>
            <Show when=on_demand>
                <input
                    type="range"
                    class="player-seek"
                    aria-label=move || t.get().seek
                    min="0"
                    step="0.1"
                    prop:max=move || {
                        let duration = media.duration.get();
                        if duration.is_finite() { duration } else { 0.0 }
                    }
                    prop:value=move || media.position.get()
                    aria-valuetext=move || {
                        t.get().position(format_clock(media.position.get()), format_clock(media.duration.get()))
                    }
                    on:input=move |ev| {
                        if let Ok(position) = event_target_value(&ev).parse::<f64>() {
                            actions.seek_to(position);
                        }
                    }
                />
            </Show>
            <div class="player-controls-row">
                <button
                    type="button"
                    class="player-button"
                    data-control="play"
                    aria-label=play_label
                    title=move || format!("{} (k)", play_label())
                    on:click=move |_| actions.toggle_play()
                >
                    {move || {
                        let icon = if media.paused.get() { Icon::Play } else { Icon::Pause };
                        view! { <PlayerIcon icon /> }
                    }}
                </button>
                <button
                    type="button"
                    class="player-button"
                    data-control="mute"
                    aria-label=mute_label
                    title=move || format!("{} (m)", mute_label())
                    on:click=move |_| actions.toggle_mute()
                >
                    {move || {
                        let icon = if media.muted.get() { Icon::Muted } else { Icon::Volume };
                        view! { <PlayerIcon icon /> }
                    }}
                </button>
                <input
                    type="range"
                    class="player-volume"
                    aria-label=move || t.get().volume
                    min="0"
                    max="1"
                    step="0.05"
                    prop:value=move || if media.muted.get() { 0.0 } else { media.volume.get() }
                    aria-valuetext=move || {
                        let volume = if media.muted.get() { 0.0 } else { media.volume.get() };
                        format!("{:.0}%", volume * 100.0)
                    }
                    on:input=move |ev| {
                        if let Ok(volume) = event_target_value(&ev).parse::<f64>() {
                            actions.set_volume(volume);
                        }
                    }
                />
                <Show when=live>
                    <Show
                        when=move || media.behind_live.get()
                        fallback=|| view! { <span class="player-live" data-state="live">"LIVE"</span> }
                    >
                        <button
                            type="button"
                            class="player-live"
                            data-state="behind"
                            on:click=move |_| actions.back_to_live()
                        >
                            {move || t.get().back_to_live}
                        </button>
                    </Show>
                </Show>
                <Show when=on_demand>
                    <span class="player-time">
                        {move || format_clock(media.position.get())}
                        " / "
                        {move || format_clock(media.duration.get())}
                    </span>
                </Show>
                <span class="player-spacer"></span>
                <Show when=move || !hls.subtitles.get().is_empty()>
                    <button
                        type="button"
                        class="player-button"
                        data-control="captions"
                        aria-label=move || t.get().captions
                        title=move || t.get().captions_shortcut
                        aria-pressed=move || captions_on().to_string()
                        on:click=move |_| actions.toggle_captions()
                    >
                        <PlayerIcon icon=Icon::Captions />
                    </button>
                </Show>
                <Show when=move || !hls.levels.get().is_empty()>
                    <QualityMenu />
                </Show>
                <button
                    type="button"
                    class="player-button"
                    data-control="fullscreen"
                    aria-label=fullscreen_label
                    title=move || format!("{} (f)", fullscreen_label())
                    on:click=move |_| actions.toggle_fullscreen()
                >
                    {move || {
                        let icon = if media.fullscreen.get() { Icon::ExitFullscreen } else { Icon::Fullscreen };
                        view! { <PlayerIcon icon /> }
                    }}
                </button>
            </div>
        </div>
    }
    .into_any()
}
