//! The quality menu: Auto and every rendition, highest first, with the one playing now shown on the button.

use leptos::{ev, html::Div, prelude::*};
use wasm_bindgen::JsCast;

use super::{
    PlayerActions,
    icons::{Icon, PlayerIcon},
};
use crate::preferences::use_texts;

const MENU_ID: &str = "player-quality-menu";

#[component]
pub fn QualityMenu() -> impl IntoView {
    let actions = expect_context::<PlayerActions>();
    let hls = actions.hls;
    let open = actions.menu_open;
    let wrapper = NodeRef::<Div>::new();
    let t = use_texts();

    let playing_label = move || {
        let levels = hls.levels.get();
        hls.playing_level
            .get()
            .and_then(|i| levels.get(i).map(|level| level.label()))
    };
    let current = move || match hls.chosen_level.get() {
        None => match playing_label() {
            Some(playing) => t.get().auto_playing(&playing),
            None => t.get().quality_auto.into(),
        },
        Some(i) => hls.levels.get().get(i).map(|level| level.label()).unwrap_or_default(),
    };
    let focus_checked = move || {
        if let Some(wrapper) = wrapper.get_untracked()
            && let Ok(Some(item)) = wrapper.query_selector("[aria-checked=\"true\"]")
            && let Ok(item) = item.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = item.focus();
        }
    };
    let toggle = move |_| {
        open.update(|open| *open = !*open);
        if open.get_untracked() {
            request_animation_frame(focus_checked);
        }
    };
    let choose = move |level: Option<usize>| {
        hls.set_level(level);
        open.set(false);
        if let Some(wrapper) = wrapper.get_untracked()
            && let Ok(Some(button)) = wrapper.query_selector("button[aria-haspopup]")
            && let Ok(button) = button.dyn_into::<web_sys::HtmlElement>()
        {
            let _ = button.focus();
        }
    };
    // Leaving the menu with Tab or a click elsewhere closes it.
    let on_focus_out = move |event: ev::FocusEvent| {
        let inside = event
            .related_target()
            .and_then(|target| target.dyn_into::<web_sys::Node>().ok())
            .zip(wrapper.get_untracked())
            .is_some_and(|(node, wrapper)| wrapper.contains(Some(&node)));
        if !inside {
            open.set(false);
        }
    };

    view! {
        <div class="player-quality" node_ref=wrapper on:focusout=on_focus_out>
            <button
                type="button"
                class="player-button player-quality-button"
                data-control="quality"
                aria-haspopup="menu"
                aria-controls=MENU_ID
                aria-expanded=move || open.get().to_string()
                aria-label=move || t.get().quality(&current())
                on:click=toggle
            >
                <PlayerIcon icon=Icon::Settings />
                <span class="player-quality-current" aria-hidden="true">{current}</span>
            </button>
            <Show when=move || open.get()>
                <ul class="player-menu" role="menu" id=MENU_ID aria-label=move || t.get().quality>
                    <li role="none">
                        <button
                            type="button"
                            role="menuitemradio"
                            aria-checked=move || hls.chosen_level.get().is_none().to_string()
                            on:click=move |_| choose(None)
                        >
                            {move || t.get().quality_auto}
                        </button>
                    </li>
                    <For
                        each=move || hls.levels.get().into_iter().rev()
                        key=|level| level.index
                        let(level)
                    >
                        <li role="none">
                            <button
                                type="button"
                                role="menuitemradio"
                                data-level=level.index
                                aria-checked=move || (hls.chosen_level.get() == Some(level.index)).to_string()
                                on:click=move |_| choose(Some(level.index))
                            >
                                {level.label()}
                            </button>
                        </li>
                    </For>
                </ul>
            </Show>
        </div>
    }
    .into_any()
}
