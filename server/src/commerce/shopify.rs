//! Shopify's Storefront API, as far as a show needs it: the products of a collection, by handle, page by page
//! (`collection(handle:)`, 50 products a page), with their first variant's price and availability; and a cart for
//! an order (`cartCreate`, its lines naming the variants, our order id as a cart attribute, which Shopify carries
//! into the order's `note_attributes`), whose `checkoutUrl` the buyer pays at. Requests go
//! to `{api base}/api/{version}/graphql.json` with the Storefront access token; errors name what failed, never the
//! token. Amounts arrive as decimal strings ("1980.0") and become minor units (JPY is zero-decimal).

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::{
    secret::Secret,
    store::{CatalogEntry, ProductRecord, VariantRecord},
};

/// The Storefront API version the queries are written against.
pub const API_VERSION: &str = "2025-01";
/// Products per page of a collection.
const PAGE: u32 = 50;
/// Most products one show's catalog takes from a collection (a guard against a wrong, huge collection).
pub const MAX_PRODUCTS: usize = 500;

const COLLECTION_QUERY: &str = "query($handle: String!, $n: Int!, $after: String) {
  collection(handle: $handle) {
    id title
    products(first: $n, after: $after) {
      edges { node { id handle title description
        featuredImage { url altText }
        variants(first: 10) { edges { node { id title availableForSale quantityAvailable
          price { amount currencyCode } } } } } }
      pageInfo { hasNextPage endCursor } } } }";

const CART_CREATE: &str = "mutation($input: CartInput!) {
  cartCreate(input: $input) { cart { id checkoutUrl } userErrors { field message code } } }";

/// The cart attribute (and so the Shopify order's note attribute) that names our order.
pub const ORDER_ATTRIBUTE: &str = "caravan_order";

#[derive(Clone)]
pub struct Storefront {
    client: reqwest::Client,
    endpoint: String,
    token: Secret<String>,
}

impl std::fmt::Debug for Storefront {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storefront")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Why the catalog could not be read. Shopify's own words are not passed on (they can name the shop's setup).
#[derive(Debug, thiserror::Error)]
pub enum ShopifyError {
    #[error("Shopify cannot be reached")]
    Unreachable,
    #[error("Shopify answered {0}")]
    Status(u16),
    #[error("Shopify's answer cannot be read")]
    Malformed,
    #[error("Shopify has no collection \"{0}\"")]
    NoCollection(String),
    #[error("the collection has more than {MAX_PRODUCTS} products")]
    TooMany,
    #[error("Shopify refused the cart ({0})")]
    CartRefused(String),
}

/// A cart to pay at Shopify.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cart {
    pub id: String,
    pub checkout_url: String,
}

#[derive(Deserialize)]
struct CartResponse {
    data: Option<CartData>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CartData {
    cart_create: Option<CartPayload>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CartPayload {
    cart: Option<Cart>,
    #[serde(default)]
    user_errors: Vec<UserError>,
}

#[derive(Deserialize)]
struct UserError {
    code: Option<String>,
}

/// A product of a collection, as the catalog keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopifyProduct {
    /// `shp_` and the number of Shopify's product GID.
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub image_url: String,
    /// Tax included (as Japanese shops price), in minor units.
    pub price: i64,
    pub currency: String,
    /// Units available; without the inventory scope, 1 for available and 0 for not.
    pub stock: i64,
    /// The variant a cart line names (`merchandiseId`) for a product sold as one thing.
    pub variant_id: String,
    /// Its sizes or colours, when it has more than Shopify's one "Default Title" variant.
    pub variants: Vec<ShopifyVariant>,
}

/// A variant of a Shopify product, as the catalog keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopifyVariant {
    /// `shpv_` and the number of Shopify's variant GID.
    pub id: String,
    pub title: String,
    pub price: i64,
    pub stock: i64,
    /// The variant's GID, which a cart line names.
    pub shopify_id: String,
}

impl ShopifyProduct {
    /// The catalog entry for show `event_id` at `position`, taxed at `tax_rate_bp` (the Storefront API does not
    /// say).
    pub fn entry(&self, event_id: &str, position: i64, tax_rate_bp: i64) -> CatalogEntry {
        let variants = self
            .variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let record = VariantRecord {
                    id: v.id.clone(),
                    product_id: self.id.clone(),
                    position: i as i64,
                    title: v.title.clone(),
                    price: v.price,
                    stock: v.stock,
                };
                (record, Some(v.shopify_id.clone()))
            })
            .collect();
        CatalogEntry {
            product: self.record(event_id, position, tax_rate_bp),
            shopify_variant_id: Some(self.variant_id.clone()),
            variants,
        }
    }

    fn record(&self, event_id: &str, position: i64, tax_rate_bp: i64) -> ProductRecord {
        ProductRecord {
            id: self.id.clone(),
            event_id: event_id.to_owned(),
            position,
            title: self.title.clone(),
            title_en: None,
            description: self.description.clone(),
            image_url: self.image_url.clone(),
            price: self.price,
            currency: self.currency.clone(),
            tax_rate_bp,
            stock: self.stock,
        }
    }
}

#[derive(Deserialize)]
struct Response {
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    collection: Option<Collection>,
}

#[derive(Deserialize)]
struct Collection {
    products: Connection<Product>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Connection<T> {
    edges: Vec<Edge<T>>,
    #[serde(default)]
    page_info: Option<PageInfo>,
}

#[derive(Deserialize)]
struct Edge<T> {
    node: T,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    id: String,
    title: String,
    description: Option<String>,
    featured_image: Option<Image>,
    variants: Connection<Variant>,
}

#[derive(Deserialize)]
struct Image {
    url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Variant {
    id: String,
    title: String,
    available_for_sale: bool,
    quantity_available: Option<i64>,
    price: Money,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Money {
    amount: String,
    currency_code: String,
}

impl Storefront {
    /// A client for the shop at `api_base` (`https://example.myshopify.com`).
    pub fn new(api_base: &str, token: Secret<String>) -> reqwest::Result<Self> {
        Ok(Self {
            client: crate::outbound::client(Duration::from_secs(20))?,
            endpoint: format!("{}/api/{API_VERSION}/graphql.json", api_base.trim_end_matches('/')),
            token,
        })
    }

    /// A cart with `lines` (variant id, quantity) for our order `order_id`.
    pub async fn create_cart(
        &self,
        order_id: &str,
        lines: &[(String, i64)],
        email: Option<&str>,
    ) -> Result<Cart, ShopifyError> {
        let lines: Vec<_> = lines
            .iter()
            .map(|(variant, quantity)| json!({ "merchandiseId": variant, "quantity": quantity }))
            .collect();
        let mut input = json!({
            "lines": lines,
            "attributes": [{ "key": ORDER_ATTRIBUTE, "value": order_id }],
        });
        if let Some(email) = email {
            input["buyerIdentity"] = json!({ "email": email });
        }
        let body: CartResponse = self.post(CART_CREATE, json!({ "input": input })).await?;
        let payload = body.data.and_then(|d| d.cart_create).ok_or(ShopifyError::Malformed)?;
        if !payload.user_errors.is_empty() {
            let codes: Vec<String> = payload
                .user_errors
                .into_iter()
                .map(|e| e.code.unwrap_or_else(|| "INVALID".into()))
                .collect();
            return Err(ShopifyError::CartRefused(codes.join(", ")));
        }
        payload.cart.ok_or(ShopifyError::Malformed)
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<T, ShopifyError> {
        let response = self
            .client
            .post(&self.endpoint)
            .header("X-Shopify-Storefront-Access-Token", self.token.expose())
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .map_err(|_| ShopifyError::Unreachable)?;
        if !response.status().is_success() {
            return Err(ShopifyError::Status(response.status().as_u16()));
        }
        response.json().await.map_err(|_| ShopifyError::Malformed)
    }

    /// Every product of the collection `handle`, in the collection's order.
    pub async fn collection(&self, handle: &str) -> Result<Vec<ShopifyProduct>, ShopifyError> {
        let mut products = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let body: Response = self
                .post(COLLECTION_QUERY, json!({ "handle": handle, "n": PAGE, "after": after }))
                .await?;
            let collection = body
                .data
                .ok_or(ShopifyError::Malformed)?
                .collection
                .ok_or_else(|| ShopifyError::NoCollection(handle.to_owned()))?;
            for edge in collection.products.edges {
                if let Some(product) = catalog_product(edge.node)? {
                    products.push(product);
                }
            }
            if products.len() > MAX_PRODUCTS {
                return Err(ShopifyError::TooMany);
            }
            match collection.products.page_info {
                Some(PageInfo {
                    has_next_page: true,
                    end_cursor: Some(cursor),
                }) => after = Some(cursor),
                _ => return Ok(products),
            }
        }
    }
}

/// The catalog's view of a Shopify product: its first variant for sale (else its first), or `None` without variants.
fn catalog_product(product: Product) -> Result<Option<ShopifyProduct>, ShopifyError> {
    let variants: Vec<Variant> = product.variants.edges.into_iter().map(|edge| edge.node).collect();
    let Some(variant) = variants.iter().find(|v| v.available_for_sale).or(variants.first()) else {
        return Ok(None);
    };
    let price = minor_units(&variant.price.amount, &variant.price.currency_code).ok_or(ShopifyError::Malformed)?;
    let stock_of = |v: &Variant| match (v.available_for_sale, v.quantity_available) {
        (false, _) => 0,
        (true, Some(quantity)) => quantity.max(0),
        (true, None) => 1,
    };
    // Shopify gives every product one variant, "Default Title", when it has no options: that is no choice.
    let has_choice = variants.len() > 1 || variants.first().is_some_and(|v| v.title != "Default Title");
    let choices = if has_choice {
        variants
            .iter()
            .map(|v| {
                Ok(ShopifyVariant {
                    id: format!("shpv_{}", gid_number(&v.id).ok_or(ShopifyError::Malformed)?),
                    title: v.title.clone(),
                    price: minor_units(&v.price.amount, &v.price.currency_code).ok_or(ShopifyError::Malformed)?,
                    stock: stock_of(v),
                    shopify_id: v.id.clone(),
                })
            })
            .collect::<Result<Vec<_>, ShopifyError>>()?
    } else {
        Vec::new()
    };
    let stock = if choices.is_empty() {
        stock_of(variant)
    } else {
        choices.iter().map(|v| v.stock).sum()
    };
    Ok(Some(ShopifyProduct {
        id: format!("shp_{}", gid_number(&product.id).ok_or(ShopifyError::Malformed)?),
        title: product.title,
        description: product.description.filter(|d| !d.trim().is_empty()),
        image_url: product.featured_image.map(|image| image.url).unwrap_or_default(),
        price,
        currency: variant.price.currency_code.clone(),
        stock,
        variant_id: variant.id.clone(),
        variants: choices,
    }))
}

/// `gid://shopify/Product/123` → `123`.
fn gid_number(gid: &str) -> Option<&str> {
    let number = gid.rsplit('/').next()?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some(number)
}

/// Currencies without a minor unit (ISO 4217 exponent 0) among those Shopify sells in.
const ZERO_DECIMAL: &[&str] = &["JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG", "RWF"];

/// A decimal amount ("1980.0", "19.99") in the currency's minor units; `None` when it is not an exact amount.
pub fn minor_units(amount: &str, currency: &str) -> Option<i64> {
    let decimals: usize = if ZERO_DECIMAL.contains(&currency) { 0 } else { 2 };
    let (whole, fraction) = amount.trim().split_once('.').unwrap_or((amount.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Digits past the currency's own must be zeros ("1980.0" is ¥1,980; "1980.5" is no yen amount).
    let (kept, rest) = fraction.split_at(fraction.len().min(decimals));
    if rest.bytes().any(|b| b != b'0') {
        return None;
    }
    let scale = 10_i64.pow(decimals as u32);
    let kept_value: i64 = format!("{kept:0<decimals$}").parse().unwrap_or(0);
    whole.parse::<i64>().ok()?.checked_mul(scale)?.checked_add(kept_value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_become_minor_units() {
        assert_eq!(minor_units("1980.0", "JPY"), Some(1980));
        assert_eq!(minor_units("3300", "JPY"), Some(3300));
        assert_eq!(minor_units("19.99", "USD"), Some(1999));
        assert_eq!(minor_units("19.9", "USD"), Some(1990));
        assert_eq!(minor_units("20", "EUR"), Some(2000));
        assert_eq!(minor_units("1980.5", "JPY"), None);
        assert_eq!(minor_units("19.999", "USD"), None);
        assert_eq!(minor_units("-5", "USD"), None);
        assert_eq!(minor_units("abc", "USD"), None);
        assert_eq!(minor_units("", "JPY"), None);
        assert_eq!(minor_units("99999999999999999999", "JPY"), None);
    }

    #[test]
    fn gids_give_their_number() {
        assert_eq!(gid_number("gid://shopify/Product/7981"), Some("7981"));
        assert_eq!(gid_number("gid://shopify/Product/"), None);
        assert_eq!(gid_number("gid://shopify/Product/x1"), None);
    }
}
