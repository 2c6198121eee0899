use leptos::prelude::*;

use crate::{api::EventStatus, components::PreferenceSwitches, preferences::use_texts};

/// The show's title, whether it is on air, and the language and theme switches.
#[component]
pub fn ShowHeader(title: String, #[prop(into)] status: Signal<EventStatus>) -> impl IntoView {
    let t = use_texts();
    let label = move || {
        let t = t.get();
        match status.get() {
            EventStatus::Live => t.status_live,
            EventStatus::Scheduled => t.status_upcoming,
            EventStatus::Ended => t.status_ended,
            EventStatus::Unknown => "",
        }
    };
    let class = move || match status.get() {
        EventStatus::Live => "status-badge status-live",
        _ => "status-badge",
    };
    view! {
        <header class="show-header">
            <a class="brand" href="/" aria-label=move || t.get().brand_home>
                "Caravan"
            </a>
            <h1 class="show-title">{title}</h1>
            <span class=class>{label}</span>
            <PreferenceSwitches />
        </header>
    }
}
