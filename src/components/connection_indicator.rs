use leptos::prelude::*;

use crate::{
    api::realtime::{self, LinkStatus},
    preferences::use_texts,
};

/// A small notice, shown only while the live link is down: the page still works, live changes resume by themselves.
#[component]
pub fn ConnectionIndicator() -> impl IntoView {
    let status = realtime::status();
    let t = use_texts();
    view! {
        <Show when=move || status.get() == LinkStatus::Reconnecting>
            <p class="connection-indicator" role="status">
                {move || t.get().reconnecting}
            </p>
        </Show>
    }
}
