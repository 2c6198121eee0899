use leptos::prelude::*;

use crate::{
    api::{Product, Variant},
    hooks::use_cart,
    preferences::use_texts,
};

/// "Add to cart" for one product, in the chosen `variant` for a product with variants; sold-out products (or a
/// sold-out choice) say so instead. Nothing without a cart (outside a show).
#[component]
pub fn AddToCart(product: Product, #[prop(into)] variant: Signal<Option<Variant>>) -> impl IntoView {
    let cart = use_cart()?;
    let t = use_texts();
    if product.sold_out {
        return Some(
            view! { <button type="button" class="add-to-cart" disabled>{move || t.get().sold_out}</button> }.into_any(),
        );
    }
    // The name starts with what the button shows, then says which product (WCAG 2.5.3, label in name).
    let title = product.title.clone();
    let in_cart = Signal::derive({
        let id = product.id.clone();
        move || cart.quantity_of(&id)
    });
    let label = move || t.get().add_to_cart_label(&title, in_cart.get());
    let unavailable = move || variant.with(|v| v.as_ref().is_some_and(|v| v.sold_out));
    Some(
        view! {
            <button
                type="button"
                class="add-to-cart"
                aria-label=label
                disabled=unavailable
                on:click=move |_| cart.add(&product, variant.get_untracked().as_ref())
            >
                {move || t.get().add_to_cart}
                {move || (in_cart.get() > 0).then(|| view! { <span class="in-cart">{format!(" ({})", in_cart.get())}</span> })}
            </button>
        }
        .into_any(),
    )
}
