//! `use_likes`: the show's like count and the viewer's taps. A tap counts at once on the page (optimistic); taps are
//! summed and sent as one delta at most every 500 ms; the count follows the server's total (its answers and the
//! coalesced `onLikeCount` broadcasts) plus the taps not yet acknowledged. A failed send drops its taps rather than
//! risk counting them twice (the mutation is not idempotent); the next broadcast sets the count right.

use std::time::Duration;

use leptos::prelude::*;

use crate::{
    api::{self, LikeTotal},
    hooks::use_live_subscription,
};

/// How long taps gather before they are sent as one delta.
const BATCH: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, Copy)]
pub struct UseLikes {
    /// What the page shows: the server's total and the taps on their way.
    pub count: Signal<i64>,
    server_total: RwSignal<i64>,
    waiting: RwSignal<i64>,
    in_flight: RwSignal<i64>,
    event_id: StoredValue<String>,
}

pub fn use_likes(event_id: String, initial: i64) -> UseLikes {
    let server_total = RwSignal::new(initial);
    let waiting = RwSignal::new(0);
    let in_flight = RwSignal::new(0);
    let count = Signal::derive(move || server_total.get() + waiting.get() + in_flight.get());
    let raise = move |total: i64| server_total.update(|t| *t = (*t).max(total));
    let resync_id = event_id.clone();
    use_live_subscription(
        api::on_like_count(event_id.clone()),
        move |LikeTotal { total }| raise(total),
        move || {
            let event_id = resync_id.clone();
            leptos::task::spawn_local(async move {
                if let Ok(answer) = api::like_total(event_id).await {
                    raise(answer);
                }
            });
        },
    );
    UseLikes {
        count,
        server_total,
        waiting,
        in_flight,
        event_id: StoredValue::new(event_id),
    }
}

impl UseLikes {
    /// One tap: counted now, sent with the others of the next 500 ms.
    pub fn tap(&self) {
        let first = self.waiting.get_untracked() == 0;
        self.waiting.update(|n| *n += 1);
        if first {
            let this = *self;
            set_timeout(move || this.send(), BATCH);
        }
    }

    fn send(&self) {
        let count = self.waiting.get_untracked();
        if count == 0 {
            return;
        }
        self.waiting.set(0);
        self.in_flight.update(|n| *n += count);
        let (event_id, server_total, in_flight) = (self.event_id.get_value(), self.server_total, self.in_flight);
        leptos::task::spawn_local(async move {
            let answer = api::like(event_id, count).await;
            in_flight.update(|n| *n -= count);
            if let Ok(answer) = answer {
                server_total.update(|t| *t = (*t).max(answer.total));
            }
        });
    }
}
