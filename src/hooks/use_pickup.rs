//! `use_pickup`: what the operator presents now, shared by the pick-up banner and the carousel (which shows the
//! picked-up product first). Starts from the server-rendered state, then follows the subscription; after a
//! reconnection it re-reads the current state. Deliveries and re-reads can cross, so a state only replaces an older one.

use leptos::prelude::*;

use crate::{
    api::{self, Pickup},
    hooks::use_live_subscription,
};

/// The pick-up state components below follow (the show's, or its replay's: `provide_replay`).
#[derive(Debug, Clone, Copy)]
pub(super) struct PickupContext(pub(super) Signal<Option<Pickup>>);

/// Starts following the event's pick-up state for the components below.
pub fn provide_pickup(event_id: String, initial: Option<Pickup>) {
    let (pickup, set_pickup) = signal(initial);
    let accept = move |next: Option<Pickup>| {
        set_pickup.update(|current| {
            let newer = match (current.as_ref(), next.as_ref()) {
                (Some(current), Some(next)) => current.is_superseded_by(next),
                _ => true,
            };
            if newer {
                *current = next;
            }
        })
    };
    let resync_id = event_id.clone();
    use_live_subscription(api::on_pickup_changed(event_id), accept, move || {
        let event_id = resync_id.clone();
        leptos::task::spawn_local(async move {
            if let Ok(current) = api::pickup(event_id).await {
                accept(current);
            }
        });
    });
    provide_context(PickupContext(pickup.into()));
}

/// A pick-up state that follows no show: what the designers' gallery shows its banners with (a live one would re-read
/// its show at its start and hide a specimen that no show has).
pub fn provide_still_pickup(pickup: Option<Pickup>) {
    provide_context(PickupContext(signal(pickup).0.into()));
}

/// The current pick-up state (`provide_pickup` must run above).
pub fn use_pickup() -> Signal<Option<Pickup>> {
    expect_context::<PickupContext>().0
}

/// The id of the product the banner shows now, if any.
pub fn use_picked_up_id() -> Memo<Option<String>> {
    let pickup = use_pickup();
    Memo::new(move |_| {
        pickup.with(|p| {
            p.as_ref()
                .and_then(Pickup::shown_product)
                .map(|product| product.id.clone())
        })
    })
}
