//! `use_catalog`: the show's products, live. Starts from the server-rendered list; each `onProductChanged` delivery
//! replaces that product (sold out, back in stock, a new price) in place, and after a reconnection the whole list is
//! read again, so a change made while the link was down is not missed.

use leptos::prelude::*;

use crate::{
    api::{self, Product},
    hooks::use_live_subscription,
};

/// The products of the event `event_id` (shown at `/live/{slug}`), kept current.
pub fn use_catalog(event_id: String, slug: String, initial: Vec<Product>) -> ReadSignal<Vec<Product>> {
    let (products, set_products) = signal(initial);
    use_live_subscription(
        api::on_product_changed(event_id),
        move |changed: Option<Product>| {
            if let Some(changed) = changed {
                set_products.update(|products| replace_product(products, changed));
            }
        },
        move || {
            let slug = slug.clone();
            leptos::task::spawn_local(async move {
                if let Ok(Some(event)) = api::live_event(slug).await {
                    set_products.set(event.products);
                }
            });
        },
    );
    products
}

/// Puts `changed` in the place of the product with its id; a product the list does not have is ignored (the list's
/// order and membership come from the show, not from deliveries).
fn replace_product(products: &mut [Product], changed: Product) {
    if let Some(slot) = products.iter_mut().find(|p| p.id == changed.id) {
        *slot = changed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, sold_out: bool) -> Product {
        Product {
            sold_out,
            ..Product::sample(id)
        }
    }

    #[test]
    fn a_change_replaces_its_product_in_place() {
        let mut products = vec![product("a", false), product("b", false), product("c", false)];
        replace_product(&mut products, product("b", true));
        assert_eq!(products, [product("a", false), product("b", true), product("c", false)]);
        replace_product(&mut products, product("z", true));
        assert_eq!(products.len(), 3);
    }
}
