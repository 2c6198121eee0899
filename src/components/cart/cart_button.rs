use leptos::prelude::*;

use crate::{hooks::use_cart, preferences::use_texts};

/// Opens and closes the cart sheet; shows how many items it holds.
#[component]
pub fn CartButton() -> impl IntoView {
    let cart = use_cart()?;
    let count = move || cart.count();
    let t = use_texts();
    Some(view! {
        <button
            type="button"
            class="cart-button"
            aria-controls="cart"
            aria-expanded=move || cart.open.get().to_string()
            on:click=move |_| cart.open.update(|open| *open = !*open)
        >
            {move || t.get().cart}
            <span class="cart-count" data-testid="cart-count" aria-label=move || t.get().items(count())>
                {count}
            </span>
        </button>
    })
}
