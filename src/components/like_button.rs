use std::time::Duration;

use leptos::prelude::*;

use crate::{format::format_count, hooks::use_likes, preferences::use_texts};

/// How long a heart flies (style/like_button.css).
const FLIGHT: Duration = Duration::from_millis(900);
/// Most hearts in the air at once.
const MAX_HEARTS: usize = 12;
/// Where successive hearts drift, in px, so a burst of taps spreads out.
const DRIFT: [i32; 8] = [-14, 6, -4, 12, 0, -9, 9, -2];

/// The like button: each tap counts at once and sends a heart up (no hearts when reduced motion is asked); the count
/// is the show's total, live. Rendered on the server with the total.
#[component]
pub fn LikeButton(event_id: String, initial: i64) -> impl IntoView {
    let likes = use_likes(event_id, initial);
    let t = use_texts();
    let embed = crate::hooks::use_embed_host();
    let hearts = RwSignal::new(Vec::<(u32, i32)>::new());
    let next = StoredValue::new(0u32);
    let tap = move |_| {
        likes.tap();
        if let Some(embed) = embed {
            embed.emit("like", serde_json::json!({ "count": likes.count.get_untracked() }));
        }
        let id = next.get_value();
        next.set_value(id.wrapping_add(1));
        hearts.update(|flying| {
            flying.push((id, DRIFT[id as usize % DRIFT.len()]));
            if flying.len() > MAX_HEARTS {
                flying.remove(0);
            }
        });
        set_timeout(move || hearts.update(|flying| flying.retain(|(i, _)| *i != id)), FLIGHT);
    };
    view! {
        <div class="like-button" role="region" aria-label=move || t.get().likes>
            <button type="button" class="like-tap" aria-label=move || t.get().like_the_show on:click=tap>
                <span aria-hidden="true">"♥"</span>
            </button>
            <output class="like-count" data-testid="like-count">{move || format_count(likes.count.get())}</output>
            <div class="like-hearts" aria-hidden="true">
                <For each=move || hearts.get() key=|(id, _)| *id let:heart>
                    <span class="like-heart" style=format!("--drift: {}px", heart.1)>"♥"</span>
                </For>
            </div>
        </div>
    }
}
