//! Stripe's PaymentIntents API, as far as checkout needs it: `POST /v1/payment_intents`, form-encoded, HTTP Basic
//! with the secret key, with the order id as the `Idempotency-Key` (asking again for the same order replays Stripe's
//! first answer: one PaymentIntent per order, however often the buyer's page retries). Amounts are in the currency's
//! smallest unit, as our minor units are (JPY is zero-decimal: 1980 is ¥1,980).

use std::time::Duration;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use crate::{secret::Secret, store::OrderRecord};

#[derive(Clone)]
pub struct Stripe {
    client: reqwest::Client,
    secret_key: Secret<String>,
    api_base: String,
    /// What the page's Payment Element is loaded with (public values).
    pub page: StripePage,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe")
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

/// What the page loads the Payment Element with (both public).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StripePage {
    pub publishable_key: String,
    pub js_url: String,
}

/// What the page needs to confirm the payment with the Payment Element.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    pub client_secret: String,
}

/// Why no PaymentIntent was made. The message is Stripe's error type, never its words about our account.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    #[error("Stripe cannot be reached")]
    Unreachable,
    #[error("Stripe refused the payment ({0})")]
    Refused(String),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: String,
}

impl Stripe {
    pub fn new(secret_key: Secret<String>, api_base: &str, page: StripePage) -> reqwest::Result<Self> {
        Ok(Self {
            client: crate::outbound::client(Duration::from_secs(20))?,
            secret_key,
            api_base: api_base.trim_end_matches('/').to_string(),
            page,
        })
    }

    /// The PaymentIntent of `order` (made the first time, replayed by Stripe after).
    pub async fn payment_intent(&self, order: &OrderRecord) -> Result<PaymentIntent, StripeError> {
        let form = [
            ("amount", order.total.to_string()),
            ("currency", order.currency.to_ascii_lowercase()),
            ("automatic_payment_methods[enabled]", "true".into()),
            ("metadata[order_id]", order.id.clone()),
        ];
        let body = form
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, NON_ALPHANUMERIC),
                    utf8_percent_encode(v, NON_ALPHANUMERIC)
                )
            })
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .client
            .post(format!("{}/v1/payment_intents", self.api_base))
            .basic_auth(self.secret_key.expose(), Some(""))
            .header("idempotency-key", &order.id)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e.without_url(), "cannot reach Stripe");
                StripeError::Unreachable
            })?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(|_| StripeError::Unreachable)?;
        if !status.is_success() {
            let kind = serde_json::from_slice::<ErrorBody>(&bytes)
                .map(|e| e.error.kind)
                .unwrap_or_else(|_| format!("status {status}"));
            tracing::warn!(%status, %kind, order = %order.id, "Stripe refused a PaymentIntent");
            return Err(if status.is_server_error() {
                StripeError::Unreachable
            } else {
                StripeError::Refused(kind)
            });
        }
        serde_json::from_slice(&bytes).map_err(|_| StripeError::Refused("an answer we cannot read".into()))
    }
}
