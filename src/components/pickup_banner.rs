mod pickup_card;

use std::time::Duration;

use leptos::prelude::*;
use pickup_card::PickupCard;

use crate::{
    api::{Pickup, Product},
    hooks::use_pickup,
    preferences::use_texts,
};

/// How long the banner takes to leave (style/pickup_banner.css); its content is cleared after.
const EXIT: Duration = Duration::from_millis(350);

/// The product the operator presents now (`use_pickup`). Rendered on the server from the current state (no flash),
/// then live: each change arrives through the subscription, and the banner animates in and out. Every appearance shows the
/// product as the server sent it with that change, never content kept from an earlier one.
#[component]
pub fn PickupBanner() -> impl IntoView {
    let pickup = use_pickup();
    let t = use_texts();
    let shown = Memo::new(move |_| pickup.with(|p| p.as_ref().and_then(Pickup::shown_product).cloned()));
    // What the banner displays: the shown product, kept through the exit animation only.
    let displayed = RwSignal::new(shown.get_untracked());
    Effect::new(move |_| match shown.get() {
        Some(product) => displayed.set(Some(product)),
        None => set_timeout(
            move || {
                if shown.get_untracked().is_none() {
                    displayed.set(None);
                }
            },
            EXIT,
        ),
    });
    let state = move || if shown.with(Option::is_some) { "shown" } else { "hidden" };

    view! {
        <div class="pickup-banner" data-state=state role="region" aria-label=move || t.get().pickup_region aria-live="polite">
            {move || match displayed.get() {
                Some(product) => view! { <PickupCard product hidden=Signal::derive(move || shown.with(Option::is_none)) /> }.into_any(),
                None => view! { <p class="slot-note">{move || t.get().pickup_waiting}</p> }.into_any(),
            }}
        </div>
    }
}

/// For `Product` links from the banner to the shop list.
pub fn product_anchor(product: &Product) -> String {
    format!("product-{}", product.id)
}
