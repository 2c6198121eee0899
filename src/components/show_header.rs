use leptos::prelude::*;

use crate::api::EventStatus;

/// The show's title and whether it is on air.
#[component]
pub fn ShowHeader(title: String, status: EventStatus) -> impl IntoView {
    let (label, class) = match status {
        EventStatus::Live => ("LIVE", "status-badge status-live"),
        EventStatus::Scheduled => ("Upcoming", "status-badge"),
        EventStatus::Ended => ("Ended", "status-badge"),
        EventStatus::Unknown => ("", "status-badge"),
    };
    view! {
        <header class="show-header">
            <a class="brand" href="/" aria-label="Caravan home">
                "Caravan"
            </a>
            <h1 class="show-title">{title}</h1>
            <span class=class>{label}</span>
        </header>
    }
}
