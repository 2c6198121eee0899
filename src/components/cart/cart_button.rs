use leptos::prelude::*;

use crate::hooks::use_cart;

/// Opens and closes the cart sheet; shows how many items it holds.
#[component]
pub fn CartButton() -> impl IntoView {
    let cart = use_cart()?;
    let count = move || cart.count();
    Some(view! {
        <button
            type="button"
            class="cart-button"
            aria-controls="cart"
            aria-expanded=move || cart.open.get().to_string()
            on:click=move |_| cart.open.update(|open| *open = !*open)
        >
            "Cart"
            <span class="cart-count" data-testid="cart-count" aria-label=move || format!("{} items", count())>
                {count}
            </span>
        </button>
    })
}
