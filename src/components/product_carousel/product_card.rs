use leptos::prelude::*;

use crate::{
    api::Product,
    components::{AddToCart, product_anchor},
    format::{format_price, format_tax_rate},
    images,
};

/// One product: image, titles, price with tax, whether it is sold out or on air now, and "Add to cart".
#[component]
pub fn ProductCard(product: Product, #[prop(into)] picked_up: Signal<bool>) -> impl IntoView {
    let price = format_price(product.price, &product.currency);
    let tax_rate = format!(
        "Includes {} consumption tax",
        format_tax_rate(product.tax_rate_basis_points)
    );
    let sold_out = product.sold_out;
    view! {
        <article
            class="product-card"
            class:sold-out=sold_out
            class:picked-up=picked_up
            id=product_anchor(&product)
            data-product-id=product.id.clone()
        >
            <img
                class="product-image"
                src=product.image_url.clone()
                srcset=images::srcset(&product.image_url)
                sizes="(min-width: 960px) 130px, 80px"
                alt=""
                width="160"
                height="160"
                loading="lazy"
                decoding="async"
                draggable="false"
            />
            <div class="product-body">
                <h3 class="product-title" lang="ja">
                    {product.title.clone()}
                </h3>
                {product.title_en.clone().map(|en| view! { <p class="product-title-en" lang="en">{en}</p> })}
                <p class="product-price">
                    <span class="price">{price}</span>
                    " "
                    <span class="tax-note" title=tax_rate>"(税込)"</span>
                </p>
                {sold_out.then(|| view! { <p class="sold-out-badge">"売り切れ · Sold out"</p> })}
                <Show when=move || picked_up.get()>
                    <p class="on-air-badge">"紹介中 · On air"</p>
                </Show>
                <AddToCart product=product.clone() />
            </div>
        </article>
    }
}
