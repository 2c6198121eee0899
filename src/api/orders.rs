//! The shop's calls: `POST /api/orders` (with an Idempotency-Key, so a retried click never orders twice), the
//! local test provider's `POST /api/orders/{id}/pay`, and `GET /api/orders/{id}`. The request and answer types are
//! the server's too (`caravan-server` reads and writes these), so the two cannot drift.

use serde::{Deserialize, Serialize};

use crate::api::Refusal;

/// A line of an order, at the price the buyer sees (the server checks it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderLineRequest {
    pub product_id: String,
    /// Which variant (size, colour), for a product that has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
    pub quantity: i64,
    /// The tax-included unit price the buyer saw.
    pub price: i64,
}

/// `POST /api/orders`'s body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlaceOrderRequest {
    pub slug: String,
    pub lines: Vec<OrderLineRequest>,
    /// Where the receipt goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// An order as the server answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedOrder {
    pub order_id: String,
    /// `created`, `paid`, `failed`, …
    pub state: String,
    pub total: i64,
    pub tax: i64,
    pub currency: String,
    /// `local`, `stripe`, `shopify`.
    pub provider: String,
    /// The local test provider: no money moves.
    pub test_mode: bool,
    /// Shopify: the cart's checkout, where the buyer pays (in a new tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkout_url: Option<String>,
    /// Stripe: the PaymentIntent's client secret, which the Payment Element confirms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Stripe: what the Payment Element is loaded with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripe: Option<StripePage>,
}

/// Stripe's publishable key and Stripe.js (public values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StripePage {
    pub publishable_key: String,
    pub js_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAnswer {
    Done(PlacedOrder),
    /// Refused: sold out, price changed, the waiting room, the payment unavailable… (`crate::api::Refusal`).
    Refused(Refusal),
}

#[cfg(feature = "browser")]
pub use browser::{order, pay_with_test_provider, place_order};

#[cfg(feature = "browser")]
mod browser {
    use super::{OrderAnswer, OrderLineRequest, PlaceOrderRequest, PlacedOrder};
    use crate::api::{ApiError, Refusal};

    async fn answer(response: gloo_net::http::Response) -> Result<OrderAnswer, ApiError> {
        if response.ok() {
            let order = response
                .json::<PlacedOrder>()
                .await
                .map_err(|e| ApiError::Decode(e.to_string()))?;
            return Ok(OrderAnswer::Done(order));
        }
        let status = response.status();
        match response.json::<Refusal>().await {
            Ok(problem) if status < 500 || status == 502 => Ok(OrderAnswer::Refused(problem)),
            _ => Err(ApiError::Network(format!("the server answered {status}"))),
        }
    }

    /// Orders `lines` of the show at `slug`; `key` is this attempt's Idempotency-Key (the same on a retry), and
    /// `waiting_room_token` the viewer's pass while the show's waiting room is armed.
    pub async fn place_order(
        slug: &str,
        lines: &[OrderLineRequest],
        email: Option<&str>,
        key: &str,
        waiting_room_token: Option<&str>,
    ) -> Result<OrderAnswer, ApiError> {
        let mut request = gloo_net::http::Request::post("/api/orders").header("idempotency-key", key);
        if let Some(token) = waiting_room_token {
            request = request.header(crate::api::waiting_room::TOKEN_HEADER, token);
        }
        let response = request
            .json(&PlaceOrderRequest {
                slug: slug.to_owned(),
                lines: lines.to_vec(),
                email: email.map(str::to_owned),
            })
            .map_err(|e| ApiError::Network(e.to_string()))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        answer(response).await
    }

    /// The buyer's order as it is now (to see a payment that a provider confirms by webhook).
    pub async fn order(order_id: &str) -> Result<OrderAnswer, ApiError> {
        let response = gloo_net::http::Request::get(&format!("/api/orders/{order_id}"))
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        answer(response).await
    }

    /// Pays (or, with `succeed` false, declines) an order with the local test provider.
    pub async fn pay_with_test_provider(order_id: &str, succeed: bool) -> Result<OrderAnswer, ApiError> {
        let outcome = if succeed { "succeed" } else { "decline" };
        let response = gloo_net::http::Request::post(&format!("/api/orders/{order_id}/pay"))
            .json(&serde_json::json!({ "outcome": outcome }))
            .map_err(|e| ApiError::Network(e.to_string()))?
            .send()
            .await
            .map_err(|e| ApiError::Network(e.to_string()))?;
        answer(response).await
    }
}
