use leptos::prelude::*;

use crate::{
    format::group_thousands,
    hooks::{Queue, use_waiting_room},
    preferences::use_texts,
};

/// Where the viewer stands in the show's waiting room, over the top of the stage while they queue: their number, the
/// number being served, how many are ahead and how many wait. It moves on by itself (the room is polled) and goes
/// when the turn comes; the show plays on under it. A lapsed place offers a new number.
#[component]
pub fn WaitingRoomOverlay() -> impl IntoView {
    let room = use_waiting_room()?;
    let t = use_texts();
    let leave = move |_| room.leave();
    let figure = |count: i64| group_thousands(count.max(0).unsigned_abs());
    Some(move || {
        let body = match room.queue.get() {
            Queue::Outside | Queue::Admitted => return None,
            Queue::Joining => view! { <p>{move || t.get().taking_number}</p> }.into_any(),
            Queue::Waiting {
                number,
                serving,
                waiting,
            } => view! {
                <dl class="waiting-room-figures">
                    <div>
                        <dt>{move || t.get().your_number}</dt>
                        <dd data-testid="queue-number">{figure(number)}</dd>
                    </div>
                    <div>
                        <dt>{move || t.get().now_serving}</dt>
                        <dd data-testid="serving-number">{figure(serving)}</dd>
                    </div>
                    <div>
                        <dt>{move || t.get().ahead_of_you}</dt>
                        <dd data-testid="ahead-count">{figure(number - serving - 1)}</dd>
                    </div>
                    <div>
                        <dt>{move || t.get().waiting_in_all}</dt>
                        <dd data-testid="waiting-count">{figure(waiting)}</dd>
                    </div>
                </dl>
                <div class="waiting-room-footer">
                    <p class="waiting-room-note">
                        {move || if room.unreachable.get() { t.get().reconnecting } else { t.get().waiting_room_note }}
                    </p>
                    <button type="button" class="secondary" on:click=leave>{move || t.get().leave_queue}</button>
                </div>
            }
            .into_any(),
            Queue::Lapsed => view! {
                <p role="alert">
                    {move || if room.unreachable.get() { t.get().queue_unreachable } else { t.get().place_lapsed }}
                </p>
                <div class="waiting-room-actions">
                    <button type="button" on:click=move |_| room.join()>{move || t.get().take_new_number}</button>
                    <button type="button" class="secondary" on:click=leave>{move || t.get().leave_queue}</button>
                </div>
            }
            .into_any(),
        };
        Some(view! {
            <aside class="waiting-room" aria-live="polite" aria-labelledby="waiting-room-title" data-testid="waiting-room">
                <h2 id="waiting-room-title">{move || t.get().waiting_room_title}</h2>
                {body}
            </aside>
        })
    })
}
