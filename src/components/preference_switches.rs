use leptos::{ev::MouseEvent, prelude::*};

use crate::{
    i18n::Locale,
    preferences::{Theme, use_preferences, use_texts},
};

/// The language switch (named in the other language, for whoever cannot read this one) and the light-theme toggle.
/// Both are links to `?lang=`/`?theme=`, so they work without JavaScript; with it, they switch in place and the video
/// keeps playing (`data-in-place`: a tap before the app has loaded waits for it rather than loading the page, see
/// `AppScript`).
#[component]
pub fn PreferenceSwitches() -> impl IntoView {
    let preferences = use_preferences();
    let t = use_texts();
    let other_locale = move || match preferences.locale.get() {
        Locale::Ja => Locale::En,
        Locale::En => Locale::Ja,
    };
    let other_theme = move || preferences.theme.get().other();
    let switch_locale = move |ev: MouseEvent| {
        ev.prevent_default();
        preferences.set_locale(other_locale());
    };
    let switch_theme = move |ev: MouseEvent| {
        ev.prevent_default();
        preferences.set_theme(other_theme());
    };
    view! {
        <nav class="preference-switches" aria-label=move || t.get().preferences>
            <a
                class="preference-switch"
                href=move || format!("?lang={}", other_locale().tag())
                hreflang=move || other_locale().tag()
                lang=move || other_locale().tag()
                aria-label=move || t.get().switch_to(other_locale())
                on:click=switch_locale
                data-in-place=""
                data-testid="language-switch"
            >
                {move || other_locale().name()}
            </a>
            <a
                class="preference-switch"
                href=move || format!("?theme={}", other_theme().tag())
                role="switch"
                aria-label=move || t.get().light_theme
                aria-checked=move || (preferences.theme.get() == Theme::Light).to_string()
                on:click=switch_theme
                data-in-place=""
                data-testid="theme-switch"
            >
                <span class="theme-icon" aria-hidden="true">
                    {move || if preferences.theme.get() == Theme::Light { "☀" } else { "☾" }}
                </span>
                <span class="theme-label">{move || t.get().light_theme}</span>
            </a>
        </nav>
    }
}
