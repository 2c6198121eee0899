mod carousel_controls;
mod product_card;
mod variant_choice;

use carousel_controls::CarouselControls;
use leptos::{html, prelude::*};
pub use product_card::ProductCard;

use crate::{
    api::Product,
    hooks::{use_picked_up_id, use_swipe},
    preferences::use_texts,
};

/// The show's products (live: `use_catalog`) as a swipeable carousel (`use_swipe`): about one card and a bit on a phone, three and a bit
/// in the desktop panel. While the operator picks a product up, it comes first. A labelled region with
/// `aria-roledescription="carousel"`; each slide is labelled "n of N"; the strip itself takes focus for the arrow keys.
#[component]
pub fn ProductCarousel(#[prop(into)] products: Signal<Vec<Product>>) -> impl IntoView {
    let t = use_texts();
    if products.with_untracked(Vec::is_empty) {
        return view! { <p class="slot-note product-list-empty">{move || t.get().nothing_on_sale}</p> }.into_any();
    }
    let count = Memo::new(move |_| products.with(Vec::len));
    let picked = use_picked_up_id();
    let ordered = Memo::new(move |_| products.with(|all| picked_first(all, picked.get().as_deref())));
    let track = NodeRef::<html::Ul>::new();
    let swipe = use_swipe(track);
    keep_in_view_when_reordered(ordered, swipe);

    view! {
        <section class="product-carousel" aria-roledescription="carousel" aria-label=move || t.get().products>
            // The page's outline: the show's title (h1), then its products (h2), each product's name (h3).
            <h2 class="visually-hidden">{move || t.get().products}</h2>
            <CarouselControls swipe count controls="product-strip" />
            <ul
                class="product-list carousel-track"
                class:dragging=swipe.dragging
                id="product-strip"
                aria-label=move || t.get().products_count(count.get())
                tabindex="0"
                node_ref=track
                on:scroll=move |_| swipe.on_scroll()
                on:keydown=move |ev| swipe.on_keydown(ev)
                on:pointerdown=move |ev| swipe.on_pointerdown(ev)
                on:pointermove=move |ev| swipe.on_pointermove(ev)
                on:pointerup=move |ev| swipe.on_pointerup(ev)
                on:pointercancel=move |ev| swipe.on_pointerup(ev)
            >
                <ForEnumerate
                    each=move || ordered.get()
                    // A product's card is made again when what it shows changes (sold out, back, a new price).
                    key=|product| {
                        let variants: Vec<_> = product.variants.iter().map(|v| (v.price, v.sold_out)).collect();
                        (product.id.clone(), product.sold_out, product.price, variants)
                    }
                    children=move |index, product| {
                        let id = product.id.clone();
                        let picked_up = Signal::derive(move || picked.with(|p| p.as_deref() == Some(id.as_str())));
                        view! {
                            <li
                                class="carousel-slide"
                                aria-roledescription="slide"
                                aria-label=move || t.get().position(index.get() + 1, count.get())
                            >
                                <ProductCard product picked_up />
                            </li>
                        }
                    }
                />
            </ul>
        </section>
    }
    .into_any()
}

/// The products in the show's order, with the picked-up one (if any) moved to the front.
fn picked_first(products: &[Product], picked: Option<&str>) -> Vec<Product> {
    let mut ordered = products.to_vec();
    if let Some(at) = picked.and_then(|id| ordered.iter().position(|p| p.id == id)) {
        let product = ordered.remove(at);
        ordered.insert(0, product);
    }
    ordered
}

/// When a pick-up reorders the strip, a viewer at its start sees the picked-up product; a viewer who has swiped along
/// keeps the card they were looking at in view instead of being moved.
fn keep_in_view_when_reordered(ordered: Memo<Vec<Product>>, swipe: crate::hooks::UseSwipe) {
    Effect::new(move |previous: Option<Vec<String>>| {
        let ids: Vec<String> = ordered.with(|products| products.iter().map(|p| p.id.clone()).collect());
        let index = swipe.index.get_untracked();
        if let Some(previous) = previous.filter(|previous| *previous != ids && index > 0)
            && let Some(now) = previous
                .get(index)
                .and_then(|looked_at| ids.iter().position(|id| id == looked_at))
        {
            swipe.jump_to(now);
        }
        ids
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str) -> Product {
        Product::sample(id)
    }

    fn ids(products: &[Product]) -> Vec<&str> {
        products.iter().map(|p| p.id.as_str()).collect()
    }

    #[test]
    fn the_picked_up_product_comes_first_and_the_rest_keep_their_order() {
        let all = [product("a"), product("b"), product("c"), product("d")];
        assert_eq!(ids(&picked_first(&all, Some("c"))), ["c", "a", "b", "d"]);
        assert_eq!(ids(&picked_first(&all, Some("a"))), ["a", "b", "c", "d"]);
        assert_eq!(ids(&picked_first(&all, None)), ["a", "b", "c", "d"]);
        // A product of another show (or one removed since) changes nothing.
        assert_eq!(ids(&picked_first(&all, Some("zz"))), ["a", "b", "c", "d"]);
    }
}
