use leptos::prelude::*;

use crate::{api::Product, hooks::use_cart};

/// "Add to cart" for one product; sold-out products say so instead. Nothing without a cart (outside a show).
#[component]
pub fn AddToCart(product: Product) -> impl IntoView {
    let cart = use_cart()?;
    if product.sold_out {
        return Some(view! { <button type="button" class="add-to-cart" disabled>"Sold out"</button> }.into_any());
    }
    let label = format!("Add {} to the cart", product.title);
    let in_cart = Signal::derive({
        let id = product.id.clone();
        move || {
            cart.lines
                .with(|lines| lines.iter().find(|l| l.product_id == id).map_or(0, |l| l.quantity))
        }
    });
    Some(
        view! {
            <button type="button" class="add-to-cart" aria-label=label on:click=move |_| cart.add(&product)>
                <span lang="ja">"カートに入れる"</span>
                <span class="add-to-cart-en" lang="en">" · Add to cart"</span>
                {move || (in_cart.get() > 0).then(|| view! { <span class="in-cart">{format!(" ({} in cart)", in_cart.get())}</span> })}
            </button>
        }
        .into_any(),
    )
}
