mod product_card;

use leptos::prelude::*;
pub use product_card::ProductCard;

use crate::api::Product;

/// The event's products in display order.
#[component]
pub fn ProductList(products: Vec<Product>) -> impl IntoView {
    let count = products.len();
    if count == 0 {
        return view! { <p class="slot-note product-list-empty">"Nothing is on sale in this show."</p> }.into_any();
    }
    view! {
        <ul class="product-list" aria-label=format!("{count} products")>
            {products
                .into_iter()
                .map(|product| view! { <li><ProductCard product /></li> })
                .collect_view()}
        </ul>
    }
    .into_any()
}
