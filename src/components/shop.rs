use leptos::prelude::*;

use crate::{
    api::Product,
    components::{CartButton, CartSheet, ProductCarousel},
};

/// The show's shop: the cart button, the product carousel, and the cart sheet, which opens over them (never over
/// the video). The live page's shop tab and the full widget's.
#[component]
pub fn Shop(slug: String, #[prop(into)] products: Signal<Vec<Product>>) -> impl IntoView {
    view! {
        <div class="shop">
            <div class="shop-bar">
                <CartButton />
            </div>
            <ProductCarousel products />
            <CartSheet slug />
        </div>
    }
}
