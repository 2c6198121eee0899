#[cfg(feature = "browser")]
use std::time::Duration;

use leptos::prelude::*;

use super::action_message::ActionMessage;
use crate::api::waiting_room::RoomFigures;

/// How often the room's counters are read again.
#[cfg(feature = "browser")]
const REFRESH: Duration = Duration::from_secs(2);

/// The show's waiting room, as the operator runs it: open or close it (with its inlet: by hand, at most N in
/// checkout, or N a minute), let the next viewers in, start it over; and its counters, kept fresh. It calls the
/// room's operator endpoints with the console's session, so it needs JavaScript (the room only matters live).
#[component]
pub fn WaitingRoomControls(event_id: String) -> impl IntoView {
    let figures = RwSignal::new(None::<RoomFigures>);
    let loaded = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let inlet = RwSignal::new("manual".to_string());
    let size = RwSignal::new(String::from("50"));
    let admit_count = RwSignal::new(String::from("10"));
    let event_id = StoredValue::new(event_id);
    #[cfg(not(feature = "browser"))]
    let _ = (event_id, loaded);

    // The inlet the room has, into the form, when it is first read.
    let take_settings = move |room: &RoomFigures| {
        inlet.set(room.inlet.clone());
        if room.inlet_size > 0 {
            size.set(room.inlet_size.to_string());
        }
    };
    #[cfg(feature = "browser")]
    let read = move || {
        leptos::task::spawn_local(async move {
            if let Ok(room) = crate::api::waiting_room::room(&event_id.get_value()).await {
                if !loaded.get_untracked() {
                    if let Some(room) = &room {
                        take_settings(room);
                    }
                    loaded.set(true);
                }
                figures.set(room);
            }
        });
    };
    #[cfg(feature = "browser")]
    Effect::new(move |_| {
        read();
        if let Ok(handle) = set_interval_with_handle(read, REFRESH) {
            on_cleanup(move || handle.clear());
        }
    });
    #[cfg(not(feature = "browser"))]
    let _ = take_settings;

    // One operator action: what it did, or what the server said was wrong; the counters are read again after it.
    #[cfg_attr(not(feature = "browser"), allow(unused_variables))]
    let act = move |action: Action| {
        message.set(None);
        #[cfg(feature = "browser")]
        leptos::task::spawn_local(async move {
            use crate::api::waiting_room::{admit, configure, reset};
            let event_id = event_id.get_value();
            let outcome = match action {
                Action::Set(armed) => {
                    let inlet = inlet.get_untracked();
                    let size = if inlet == "manual" {
                        Ok(0)
                    } else {
                        size.get_untracked()
                            .trim()
                            .parse::<i64>()
                            .map_err(|_| "The inlet's size is a whole number.".to_string())
                    };
                    match size {
                        Ok(size) => configure(&event_id, armed, &inlet, size)
                            .await
                            .map(|room| {
                                let done = if room.armed {
                                    "The waiting room is open."
                                } else {
                                    "The waiting room is closed."
                                };
                                figures.set(Some(room));
                                done.to_string()
                            })
                            .map_err(|e| e.to_string()),
                        Err(problem) => Err(problem),
                    }
                }
                Action::Admit => match admit_count.get_untracked().trim().parse::<i64>() {
                    Ok(by) => admit(&event_id, by)
                        .await
                        .map(|()| format!("Let {by} more in."))
                        .map_err(|e| e.to_string()),
                    Err(_) => Err("How many to let in is a whole number.".to_string()),
                },
                Action::Reset => reset(&event_id)
                    .await
                    .map(|room| {
                        figures.set(Some(room));
                        "The waiting room starts over: no one waits, the counters are at 0.".to_string()
                    })
                    .map_err(|e| e.to_string()),
            };
            message.set(Some(outcome));
            read();
        });
    };

    let armed = move || figures.with(|room| room.as_ref().is_some_and(|room| room.armed));
    let count = move |pick: fn(&RoomFigures) -> i64| move || figures.with(|room| room.as_ref().map_or(0, pick));
    view! {
        <section class="console-waiting-room" aria-labelledby="console-waiting-room-title">
            <h2 id="console-waiting-room-title">"Waiting room"</h2>
            <p class="waiting-room-state" data-testid="waiting-room-state">
                {move || if armed() { "Open: viewers queue before checkout." } else { "Closed: viewers go straight to checkout." }}
            </p>
            <dl class="console-figures">
                <div>
                    <dt>"Serving"</dt>
                    <dd data-testid="room-serving">{count(|room| room.serving_counter)}</dd>
                </div>
                <div>
                    <dt>"Last number"</dt>
                    <dd>{count(|room| room.last_number)}</dd>
                </div>
                <div>
                    <dt>"Waiting"</dt>
                    <dd data-testid="room-waiting">{count(|room| room.waiting_num)}</dd>
                </div>
                <div>
                    <dt>"In checkout"</dt>
                    <dd data-testid="room-in-checkout">{count(|room| room.active_tokens)}</dd>
                </div>
            </dl>
            <div class="console-waiting-room-form">
                <label>
                    "Let viewers in"
                    <select prop:value=move || inlet.get() on:change=move |ev| inlet.set(event_target_value(&ev))>
                        <option value="manual">"By hand"</option>
                        <option value="max_size">"Keep at most N in checkout"</option>
                        <option value="per_minute">"N a minute"</option>
                    </select>
                </label>
                <label hidden=move || inlet.get() == "manual">
                    "N"
                    <input
                        type="number"
                        min="1"
                        max="1000000"
                        inputmode="numeric"
                        prop:value=move || size.get()
                        on:input=move |ev| size.set(event_target_value(&ev))
                    />
                </label>
                <button type="button" on:click=move |_| act(Action::Set(true))>
                    {move || if armed() { "Update the waiting room" } else { "Open the waiting room" }}
                </button>
                <button type="button" class="secondary" hidden=move || !armed() on:click=move |_| act(Action::Set(false))>
                    "Close the waiting room"
                </button>
            </div>
            <div class="console-waiting-room-form">
                <label>
                    "Let in"
                    <input
                        type="number"
                        min="1"
                        max="1000000"
                        inputmode="numeric"
                        aria-label="How many to let in"
                        prop:value=move || admit_count.get()
                        on:input=move |ev| admit_count.set(event_target_value(&ev))
                    />
                </label>
                <button type="button" on:click=move |_| act(Action::Admit)>"Let them in"</button>
                <button type="button" class="secondary" on:click=move |_| act(Action::Reset)>"Start over"</button>
            </div>
            <ActionMessage result=message />
        </section>
    }
}

/// What the operator asked the room to do.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "browser"), allow(dead_code))]
enum Action {
    /// Open (or update) the room with the form's inlet, or close it.
    Set(bool),
    /// Move the serving counter by the form's count.
    Admit,
    /// No places, counters at 0.
    Reset,
}
