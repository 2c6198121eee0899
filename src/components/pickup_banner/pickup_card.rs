use leptos::prelude::*;

use super::product_anchor;
use crate::{api::Product, components::ProductPicture, preferences::use_texts};

/// The picked-up product: picture, titles, price with tax, and a way to it in the shop.
#[component]
pub fn PickupCard(product: Product, #[prop(into)] hidden: Signal<bool>) -> impl IntoView {
    let t = use_texts();
    let (amount, currency) = (product.price, product.currency.clone());
    let price = move || t.get().price(amount, &currency);
    let href = format!("#{}", product_anchor(&product));
    view! {
        <article class="pickup-card" aria-hidden=move || hidden.get().then_some("true") data-product-id=product.id.clone()>
            <ProductPicture url=product.image_url.clone() class="pickup-image" size=64 />
            <div class="pickup-body">
                <p class="pickup-label">{move || t.get().pick_up}</p>
                <h2 class="pickup-title" lang="ja">
                    {product.title.clone()}
                </h2>
                {product.title_en.clone().map(|en| view! { <p class="pickup-title-en" lang="en">{en}</p> })}
                <p class="pickup-price">
                    <span class="price">{price}</span>
                    " "
                    <span class="tax-note">{move || t.get().tax_included}</span>
                </p>
            </div>
            <a class="pickup-action" href=href tabindex=move || hidden.get().then_some("-1")>
                {move || t.get().view_product}
            </a>
        </article>
    }
}
