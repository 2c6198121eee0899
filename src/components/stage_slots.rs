//! The place on the stage the like button will fill; it keeps the layout's shape.

use leptos::prelude::*;

#[component]
pub fn LikeSlot() -> impl IntoView {
    view! {
        <div class="like-slot" role="region" aria-label="Likes">
            <span class="slot-note">"♥"</span>
        </div>
    }
}
