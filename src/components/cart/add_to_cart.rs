use leptos::prelude::*;

use crate::{
    api::{Product, Variant},
    hooks::use_cart,
};

/// "Add to cart" for one product, in the chosen `variant` for a product with variants; sold-out products (or a
/// sold-out choice) say so instead. Nothing without a cart (outside a show).
#[component]
pub fn AddToCart(product: Product, #[prop(into)] variant: Signal<Option<Variant>>) -> impl IntoView {
    let cart = use_cart()?;
    if product.sold_out {
        return Some(view! { <button type="button" class="add-to-cart" disabled>"Sold out"</button> }.into_any());
    }
    // The name starts with what the button shows, then says which product (WCAG 2.5.3, label in name).
    let title = product.title.clone();
    let in_cart = Signal::derive({
        let id = product.id.clone();
        move || cart.quantity_of(&id)
    });
    let label = move || match in_cart.get() {
        0 => format!("カートに入れる · Add to cart: {title}"),
        n => format!("カートに入れる · Add to cart: {title} ({n} in cart)"),
    };
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
                <span lang="ja">"カートに入れる"</span>
                <span class="add-to-cart-en" lang="en">" · Add to cart"</span>
                {move || (in_cart.get() > 0).then(|| view! { <span class="in-cart">{format!(" ({} in cart)", in_cart.get())}</span> })}
            </button>
        }
        .into_any(),
    )
}
