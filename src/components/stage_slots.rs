//! The places on the stage that the player and the like button fill. They keep the layout's shape
//! (the 16:9 video box does not jump when the player arrives) and say what will appear.

use leptos::prelude::*;

#[component]
pub fn PlayerSlot() -> impl IntoView {
    view! {
        <div class="player-slot" role="region" aria-label="Video player">
            <p class="slot-note">"The live video plays here."</p>
        </div>
    }
}

#[component]
pub fn LikeSlot() -> impl IntoView {
    view! {
        <div class="like-slot" role="region" aria-label="Likes">
            <span class="slot-note">"♥"</span>
        </div>
    }
}
