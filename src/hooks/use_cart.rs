//! `use_cart`: the show's cart. Lines keep what the buyer saw (title, picture, tax-included price and its rate) so the
//! cart and its totals need no request, and the order sends those prices for the server to check. The cart lives in
//! the browser's localStorage per show, so it survives a reload; it is loaded after hydration (the server renders an
//! empty cart, and the first browser render agrees with it).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    api::{Product, Variant, orders::OrderLineRequest},
    money::included_tax,
};

/// The most of one product in a cart (the server's limit too).
pub const MAX_QUANTITY: i64 = 99;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub product_id: String,
    /// The size or colour chosen, for a product with variants.
    #[serde(default)]
    pub variant_id: Option<String>,
    #[serde(default)]
    pub variant_title: Option<String>,
    pub title: String,
    pub image_url: String,
    /// Tax included, in minor units.
    pub price: i64,
    pub currency: String,
    pub tax_rate_bp: i64,
    pub quantity: i64,
}

/// The cart and whether its sheet is open.
#[derive(Debug, Clone, Copy)]
pub struct Cart {
    pub lines: RwSignal<Vec<CartLine>>,
    pub open: RwSignal<bool>,
    /// The partner page to tell about additions, in an embed.
    embed: Option<crate::hooks::EmbedHost>,
}

impl CartLine {
    /// What tells lines apart: the product and its variant.
    pub fn key(&self) -> String {
        line_key(&self.product_id, self.variant_id.as_deref())
    }
}

fn line_key(product_id: &str, variant_id: Option<&str>) -> String {
    format!("{product_id}/{}", variant_id.unwrap_or_default())
}

impl Cart {
    /// One more of `product` in `variant` (a new line, or one more on its line).
    pub fn add(&self, product: &Product, variant: Option<&Variant>) {
        let key = line_key(&product.id, variant.map(|v| v.id.as_str()));
        if let Some(embed) = self.embed {
            let detail = serde_json::json!({ "productId": product.id, "variantId": variant.map(|v| v.id.clone()),
                "title": product.title, "price": variant.map_or(product.price, |v| v.price), "currency": product.currency });
            embed.emit("addToCart", detail);
        }
        self.lines
            .update(|lines| match lines.iter_mut().find(|l| l.key() == key) {
                Some(line) => line.quantity = (line.quantity + 1).min(MAX_QUANTITY),
                None => lines.push(CartLine {
                    product_id: product.id.clone(),
                    variant_id: variant.map(|v| v.id.clone()),
                    variant_title: variant.map(|v| v.title.clone()),
                    title: product.title.clone(),
                    image_url: product.image_url.clone(),
                    price: variant.map_or(product.price, |v| v.price),
                    currency: product.currency.clone(),
                    tax_rate_bp: product.tax_rate_basis_points,
                    quantity: 1,
                }),
            });
    }

    /// Sets the quantity of the line with `key` (1 to 99; 0 removes the line).
    pub fn set_quantity(&self, key: &str, quantity: i64) {
        if quantity <= 0 {
            return self.remove(key);
        }
        self.lines.update(|lines| {
            if let Some(line) = lines.iter_mut().find(|l| l.key() == key) {
                line.quantity = quantity.min(MAX_QUANTITY);
            }
        });
    }

    /// Removes the line with `key`.
    pub fn remove(&self, key: &str) {
        self.lines.update(|lines| lines.retain(|l| l.key() != key));
    }

    /// How many of `product_id` (all its variants) the cart holds.
    pub fn quantity_of(&self, product_id: &str) -> i64 {
        self.lines.with(|lines| {
            lines
                .iter()
                .filter(|l| l.product_id == product_id)
                .map(|l| l.quantity)
                .sum()
        })
    }

    /// The title of `product_id` as the buyer saw it, when the cart holds it.
    pub fn title_of(&self, product_id: &str) -> Option<String> {
        self.lines.with_untracked(|lines| {
            lines
                .iter()
                .find(|l| l.product_id == product_id)
                .map(|l| l.title.clone())
        })
    }

    pub fn clear(&self) {
        self.lines.set(Vec::new());
    }

    /// The price the server says is right now, for the lines of `product_id`.
    pub fn reprice(&self, product_id: &str, price: i64) {
        self.lines.update(|lines| {
            for line in lines.iter_mut().filter(|l| l.product_id == product_id) {
                line.price = price;
            }
        });
    }

    /// How many items (not lines).
    pub fn count(&self) -> i64 {
        self.lines.with(|lines| lines.iter().map(|l| l.quantity).sum())
    }

    /// Tax included, and the tax within it.
    pub fn totals(&self) -> (i64, i64) {
        self.lines.with(|lines| {
            let total = lines.iter().map(|l| l.price * l.quantity).sum();
            (
                total,
                included_tax(lines.iter().map(|l| (l.price * l.quantity, l.tax_rate_bp))),
            )
        })
    }

    pub fn currency(&self) -> String {
        self.lines.with(|lines| {
            lines
                .first()
                .map(|l| l.currency.clone())
                .unwrap_or_else(|| "JPY".into())
        })
    }

    pub fn order_lines(&self) -> Vec<OrderLineRequest> {
        self.lines.with(|lines| {
            lines
                .iter()
                .map(|l| OrderLineRequest {
                    product_id: l.product_id.clone(),
                    variant_id: l.variant_id.clone(),
                    quantity: l.quantity,
                    price: l.price,
                })
                .collect()
        })
    }
}

/// Makes the show's cart and provides it to the components below; kept across reloads in the browser.
pub fn provide_cart(slug: &str) -> Cart {
    let cart = Cart {
        lines: RwSignal::new(Vec::new()),
        open: RwSignal::new(false),
        embed: crate::hooks::use_embed_host(),
    };
    #[cfg(feature = "browser")]
    {
        let key = format!("caravan-cart:{slug}");
        Effect::new(move |loaded: Option<()>| {
            if loaded.is_none()
                && let Some(saved) = storage::read(&key)
            {
                cart.lines.set(saved);
            }
            let lines = cart.lines.get();
            storage::write(&key, &lines);
        });
    }
    #[cfg(not(feature = "browser"))]
    let _ = slug;
    provide_context(cart);
    cart
}

/// The cart of the show this component is in, when there is one.
pub fn use_cart() -> Option<Cart> {
    use_context::<Cart>()
}

#[cfg(feature = "browser")]
mod storage {
    use super::CartLine;

    fn local_storage() -> Option<web_sys::Storage> {
        web_sys::window()?.local_storage().ok()?
    }

    /// The saved lines; `None` when nothing (or nothing readable) is saved.
    pub fn read(key: &str) -> Option<Vec<CartLine>> {
        let text = local_storage()?.get_item(key).ok()??;
        serde_json::from_str(&text).ok()
    }

    /// Saves the lines; a full or blocked storage only loses the cart across reloads.
    pub fn write(key: &str, lines: &[CartLine]) {
        if let (Some(storage), Ok(text)) = (local_storage(), serde_json::to_string(lines)) {
            let _ = storage.set_item(key, &text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(id: &str, price: i64, rate: i64) -> Product {
        Product {
            price,
            tax_rate_basis_points: rate,
            ..Product::sample(id)
        }
    }

    fn empty_cart() -> Cart {
        Cart {
            lines: RwSignal::new(Vec::new()),
            open: RwSignal::new(false),
            embed: None,
        }
    }

    #[test]
    fn lines_quantities_and_totals() {
        let owner = Owner::new();
        owner.with(|| {
            let cart = empty_cart();
            let tea = product("tea", 1980, 800);
            cart.add(&tea, None);
            cart.add(&tea, None);
            cart.add(&product("cup", 1100, 1000), None);
            assert_eq!(cart.count(), 3);
            assert_eq!(cart.totals(), (1980 * 2 + 1100, 293 + 100));
            cart.set_quantity("tea/", 500);
            assert_eq!(cart.lines.with(|l| l[0].quantity), MAX_QUANTITY);
            cart.set_quantity("tea/", 0);
            assert_eq!(cart.order_lines().len(), 1);
            cart.reprice("cup", 1200);
            assert_eq!(cart.order_lines()[0].price, 1200);
            cart.clear();
            assert_eq!(cart.count(), 0);
        });
    }

    #[test]
    fn each_variant_is_its_own_line() {
        let owner = Owner::new();
        owner.with(|| {
            let cart = empty_cart();
            let variant = |id: &str, price| Variant {
                id: id.into(),
                title: id.into(),
                price,
                sold_out: false,
            };
            let bag = product("bag", 2200, 1000);
            cart.add(&bag, Some(&variant("black", 2200)));
            cart.add(&bag, Some(&variant("natural", 2400)));
            cart.add(&bag, Some(&variant("black", 2200)));
            assert_eq!(cart.lines.with(Vec::len), 2);
            assert_eq!(cart.quantity_of("bag"), 3);
            assert_eq!(cart.totals().0, 2200 * 2 + 2400);
            let lines = cart.order_lines();
            assert_eq!(lines[1].variant_id.as_deref(), Some("natural"));
            cart.remove("bag/black");
            assert_eq!(cart.count(), 1);
        });
    }
}
