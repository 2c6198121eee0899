use leptos::prelude::*;

use crate::api::EventStatus;

/// The show's title and whether it is on air.
#[component]
pub fn ShowHeader(title: String, status: EventStatus) -> impl IntoView {
    let (label, class) = match status {
        EventStatus::LIVE => ("LIVE", "status-badge status-live"),
        EventStatus::SCHEDULED => ("Upcoming", "status-badge"),
        EventStatus::ENDED => ("Ended", "status-badge"),
        EventStatus::Other(_) => ("", "status-badge"),
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
