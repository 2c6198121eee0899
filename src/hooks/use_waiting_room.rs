//! `use_waiting_room`: the viewer's place in a show's waiting room. The checkout joins it when the server says the
//! room is armed (its order answer); from then on the place is polled every 2 s (the number being served, how many
//! wait, the place's own status) until its turn comes; then its token is fetched and kept, and every order sends it.
//! The show plays on throughout: nothing here touches the player or reloads the page.

#[cfg(feature = "browser")]
use std::time::Duration;

use leptos::prelude::*;

/// How often a waiting viewer's place is read again.
#[cfg(feature = "browser")]
const POLL: Duration = Duration::from_secs(2);

/// Where the viewer is with the queue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Queue {
    /// Not queueing.
    #[default]
    Outside,
    /// Taking a number.
    Joining,
    /// Holding number `number`; `serving` is being served and `waiting` wait in all.
    Waiting { number: i64, serving: i64, waiting: i64 },
    /// The viewer's turn has come (or the room was disarmed meanwhile): the checkout goes on.
    Admitted,
    /// The place lapsed (not claimed in time) or the room was reset: a new number is needed.
    Lapsed,
}

/// The viewer's waiting room, shared by the checkout and the overlay over the show.
#[derive(Debug, Clone, Copy)]
pub struct WaitingRoom {
    pub queue: RwSignal<Queue>,
    /// The last poll failed: the figures may be old (polling goes on).
    pub unreachable: RwSignal<bool>,
    /// The show.
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    event_id: StoredValue<String>,
    /// The held place's request id.
    place: StoredValue<Option<String>>,
    /// The access token of a served place.
    pass: StoredValue<Option<String>>,
    poll: StoredValue<Option<IntervalHandle>>,
}

/// Makes the waiting room of the show `event_id` available to its components.
pub fn provide_waiting_room(event_id: String) {
    let room = WaitingRoom {
        event_id: StoredValue::new(event_id),
        queue: RwSignal::new(Queue::Outside),
        unreachable: RwSignal::new(false),
        place: StoredValue::new(None),
        pass: StoredValue::new(None),
        poll: StoredValue::new(None),
    };
    on_cleanup(move || room.stop_polling());
    provide_context(room);
}

/// The show's waiting room (`None` outside a show).
pub fn use_waiting_room() -> Option<WaitingRoom> {
    use_context()
}

impl WaitingRoom {
    /// The token the viewer holds, which their orders carry.
    pub fn token(&self) -> Option<String> {
        self.pass.get_value()
    }

    /// Forgets a token the server no longer takes (expired, or the room was reset).
    pub fn forget_token(&self) {
        self.pass.set_value(None);
    }

    /// Takes a number (or gets the viewer's own back) and waits for its turn.
    pub fn join(&self) {
        self.stop_polling();
        self.queue.set(Queue::Joining);
        self.unreachable.set(false);
        #[cfg(feature = "browser")]
        {
            let room = *self;
            leptos::task::spawn_local(async move {
                match crate::api::waiting_room::assign(&room.event_id.get_value()).await {
                    Ok(Some(place)) => {
                        room.place.set_value(Some(place.api_request_id));
                        room.queue.set(Queue::Waiting {
                            number: place.queue_number,
                            serving: 0,
                            waiting: 0,
                        });
                        room.check();
                        if let Ok(handle) = set_interval_with_handle(move || room.check(), POLL) {
                            room.poll.set_value(Some(handle));
                        }
                    }
                    // Disarmed meanwhile: straight to checkout.
                    Ok(None) => room.queue.set(Queue::Admitted),
                    Err(_) => {
                        room.unreachable.set(true);
                        room.queue.set(Queue::Lapsed);
                    }
                }
            });
        }
    }

    /// Leaves the queue: the place is given up, and the overlay goes.
    pub fn leave(&self) {
        self.stop_polling();
        self.queue.set(Queue::Outside);
        #[cfg_attr(not(feature = "browser"), allow(unused_variables))]
        if let Some(request_id) = self.place.try_update_value(Option::take).flatten() {
            #[cfg(feature = "browser")]
            let event_id = self.event_id.get_value();
            #[cfg(feature = "browser")]
            leptos::task::spawn_local(async move {
                // A leave that does not arrive only keeps the number until it lapses.
                let _ = crate::api::waiting_room::leave(&event_id, &request_id).await;
            });
        }
    }

    /// The checkout has moved on (or given up): the queue state is back to outside; the token stays.
    pub fn done(&self) {
        self.stop_polling();
        self.queue.set(Queue::Outside);
    }

    fn stop_polling(&self) {
        if let Some(handle) = self.poll.try_update_value(Option::take).flatten() {
            handle.clear();
        }
    }

    /// One poll: the place's status, and the counters while it waits; the token once it is served.
    #[cfg(feature = "browser")]
    fn check(&self) {
        use crate::api::waiting_room::{Standing, TokenAnswer, serving, standing, token, waiting};

        let room = *self;
        let Some(request_id) = room.place.get_value() else {
            return;
        };
        let event_id = room.event_id.get_value();
        leptos::task::spawn_local(async move {
            let status = match standing(&event_id, &request_id).await {
                Ok(status) => status,
                Err(_) => return room.unreachable.set(true),
            };
            // The viewer may have left while the answer travelled.
            let still_held = room.place.with_value(|place| place.as_ref() == Some(&request_id));
            if !still_held {
                return;
            }
            match status {
                Some(Standing::Waiting) => {
                    let (counter, count) = (serving(&event_id).await, waiting(&event_id).await);
                    room.unreachable.set(counter.is_err() || count.is_err());
                    room.queue.update(|queue| {
                        if let Queue::Waiting { serving, waiting, .. } = queue {
                            *serving = counter.unwrap_or(*serving);
                            *waiting = count.unwrap_or(*waiting);
                        }
                    });
                }
                Some(Standing::Served) => match token(&event_id, &request_id).await {
                    Ok(TokenAnswer::Granted(access_token)) => {
                        room.stop_polling();
                        room.unreachable.set(false);
                        room.pass.set_value(Some(access_token));
                        room.queue.set(Queue::Admitted);
                    }
                    Ok(TokenAnswer::NotYet) => {}
                    Ok(TokenAnswer::Lapsed) => room.lapse(),
                    Err(_) => room.unreachable.set(true),
                },
                Some(Standing::Expired | Standing::Completed | Standing::Abandoned) | None => room.lapse(),
            }
        });
    }

    #[cfg(feature = "browser")]
    fn lapse(&self) {
        self.stop_polling();
        self.place.set_value(None);
        self.unreachable.set(false);
        self.queue.set(Queue::Lapsed);
    }
}
