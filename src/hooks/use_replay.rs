//! The replay of an ended show, with its pick-ups: the banner (and the carousel's first card) follow the moment of
//! the recording that plays, as they followed the show on air, and each product that was on offers to jump to when
//! it was. The player tells where it is (`ReplayClock`); the moments come with the show (`Event.replayPickups`).

use std::collections::HashMap;

use leptos::prelude::*;

use crate::{
    api::{Pickup, Product, ReplayPickup},
    hooks::use_pickup::{PickupContext, use_pickup},
};

/// Where the replay plays (seconds from its start), told by the player while the programme is the replay.
#[derive(Debug, Clone, Copy)]
pub struct ReplayClock(pub RwSignal<f64>);

/// The first moment each product was on in the replay (seconds), while the page plays the replay.
#[derive(Debug, Clone, Copy)]
pub struct ReplayMoments(pub Signal<Option<StoredValue<HashMap<String, f64>>>>);

/// The banner's state at `position` of the replay: the last change at or before it (none before the first).
pub fn pickup_at(timeline: &[(f64, Option<Pickup>)], position: f64) -> Option<Pickup> {
    timeline
        .iter()
        .take_while(|(offset, _)| *offset <= position)
        .last()
        .and_then(|(_, pickup)| pickup.clone())
}

/// The banner's states on the replay, from its changes and the show's products.
pub fn timeline(event_id: &str, changes: &[ReplayPickup], products: &[Product]) -> Vec<(f64, Option<Pickup>)> {
    changes
        .iter()
        .map(|change| {
            let product = change
                .product_id
                .as_ref()
                .and_then(|id| products.iter().find(|p| &p.id == id))
                .cloned();
            let pickup = Pickup {
                event_id: event_id.to_owned(),
                visible: change.visible,
                updated_at: String::new(),
                product,
            };
            (change.offset, Some(pickup))
        })
        .collect()
}

/// While `replaying`, the pick-up state below is the replay's at the player's position, and products offer their
/// moments; otherwise the show's own (`provide_pickup` runs above).
pub fn provide_replay(event_id: &str, changes: &[ReplayPickup], products: &[Product], replaying: Signal<bool>) {
    let clock = ReplayClock(RwSignal::new(0.0));
    let on_air = use_pickup();
    let states = StoredValue::new(timeline(event_id, changes, products));
    let pickup = Memo::new(move |_| {
        if replaying.get() {
            let position = clock.0.get();
            states.with_value(|states| pickup_at(states, position))
        } else {
            on_air.get()
        }
    });
    let mut first = HashMap::new();
    for change in changes.iter().filter(|c| c.visible) {
        if let Some(id) = &change.product_id {
            first.entry(id.clone()).or_insert(change.offset);
        }
    }
    let first = StoredValue::new(first);
    provide_context(clock);
    provide_context(ReplayMoments(Signal::derive(move || replaying.get().then_some(first))));
    provide_context(PickupContext(pickup.into()));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str) -> Product {
        serde_json::from_value(serde_json::json!({
            "id": id, "title": id, "imageUrl": "/p.svg", "price": 1000, "currency": "JPY",
            "taxRateBasisPoints": 1000, "soldOut": false
        }))
        .unwrap()
    }

    #[test]
    fn the_banner_on_the_replay_is_the_last_change_before_the_moment() {
        let products = [product("a"), product("b")];
        let change = |offset, id: Option<&str>, visible| ReplayPickup {
            product_id: id.map(Into::into),
            visible,
            offset,
        };
        let states = timeline(
            "e",
            &[
                change(3.0, Some("a"), true),
                change(7.5, Some("a"), false),
                change(9.0, Some("b"), true),
            ],
            &products,
        );
        let shown = |position| pickup_at(&states, position).and_then(|p| p.shown_product().map(|p| p.id.clone()));
        assert_eq!(shown(0.0), None, "before the first pick-up");
        assert_eq!(shown(3.0).as_deref(), Some("a"));
        assert_eq!(shown(7.0).as_deref(), Some("a"));
        assert_eq!(shown(8.0), None, "hidden");
        assert_eq!(shown(120.0).as_deref(), Some("b"));
        assert_eq!(shown(2.9), None);
    }
}
