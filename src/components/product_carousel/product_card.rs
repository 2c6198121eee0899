use leptos::prelude::*;

use super::variant_choice::VariantChoice;

use crate::{
    api::Product,
    components::{AddToCart, ProductPicture, product_anchor},
    format::format_tax_rate,
    hooks::{PlayerSlot, ReplayMoments},
    preferences::use_texts,
};

/// One product: image, titles, price with tax, whether it is sold out or on air now, the choice of its variant
/// (when it has some), and "Add to cart".
#[component]
pub fn ProductCard(product: Product, #[prop(into)] picked_up: Signal<bool>) -> impl IntoView {
    // The variant chosen (sizes, colours); its price is the one shown.
    let chosen = RwSignal::new(product.first_variant_on_sale().cloned());
    let (base_price, currency) = (product.price, product.currency.clone());
    let t = use_texts();
    let price = move || {
        t.get()
            .price(chosen.with(|v| v.as_ref().map_or(base_price, |v| v.price)), &currency)
    };
    let rate = format_tax_rate(product.tax_rate_basis_points);
    let tax_rate = move || t.get().includes_tax(&rate);
    let sold_out = product.sold_out;
    view! {
        <article
            class="product-card"
            class:sold-out=sold_out
            class:picked-up=picked_up
            id=product_anchor(&product)
            data-product-id=product.id.clone()
        >
            <ProductPicture
                url=product.image_url.clone()
                class="product-image"
                size=160
                sizes="(min-width: 960px) 130px, 80px"
                lazy=true
                no_drag=true
            />
            <div class="product-body">
                <h3 class="product-title" lang="ja">
                    {product.title.clone()}
                </h3>
                {product.title_en.clone().map(|en| view! { <p class="product-title-en" lang="en">{en}</p> })}
                <p class="product-price">
                    <span class="price">{price}</span>
                    " "
                    <span class="tax-note" title=tax_rate>{move || t.get().tax_included}</span>
                </p>
                {sold_out.then(|| view! { <p class="sold-out-badge">{move || t.get().sold_out}</p> })}
                <Show when=move || picked_up.get()>
                    <p class="on-air-badge">{move || t.get().on_air}</p>
                </Show>
                <JumpToMoment product_id=product.id.clone() />
                {(!product.variants.is_empty()).then(|| view! { <VariantChoice product=product.clone() chosen /> })}
                <AddToCart product=product.clone() variant=chosen />
            </div>
        </article>
    }
}

/// On a replay, for a product that was on: a button that plays the replay from when it was ("Jump to when this was
/// on 1:05"). Nothing elsewhere.
#[component]
fn JumpToMoment(product_id: String) -> impl IntoView {
    let t = use_texts();
    let (moments, slot) = (use_context::<ReplayMoments>(), use_context::<PlayerSlot>());
    let moment = move || moments?.0.get()?.with_value(|first| first.get(&product_id).copied());
    move || {
        let offset = moment()?;
        let jump = move |_| {
            if let Some(player) = slot.and_then(|slot| slot.0.get_untracked()) {
                player.seek_to(offset);
                player.play();
            }
        };
        let at = crate::format::format_clock(offset);
        Some(view! {
            <button type="button" class="jump-to-moment" on:click=jump>
                {move || t.get().jump_to_moment}
                " "
                <span class="jump-time">{at.clone()}</span>
            </button>
        })
    }
}
