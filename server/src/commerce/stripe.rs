//! Stripe's PaymentIntents API, as far as checkout needs it: `POST /v1/payment_intents` and, for an order not paid in
//! time, `POST /v1/payment_intents/{id}/cancel`; form-encoded, HTTP Basic
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

/// What the page loads the Payment Element with (both public): the page's own type.
pub use caravan::api::orders::StripePage;

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

/// What became of a cancellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// The PaymentIntent is cancelled (now or before): it can no longer be paid.
    Yes,
    /// Too late: it succeeded or is being processed; its webhook will tell.
    PaymentUnderWay,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    code: Option<String>,
    /// The PaymentIntent as it is, on `payment_intent_unexpected_state`.
    #[serde(default)]
    payment_intent: Option<IntentStatus>,
}

#[derive(Deserialize)]
struct IntentStatus {
    status: String,
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
        let bytes = self
            .post("/v1/payment_intents", &order.id, &form)
            .await
            .map_err(|(status, error)| {
                let kind = error.map_or_else(|| format!("status {status}"), |e| e.kind);
                tracing::warn!(%status, %kind, order = %order.id, "Stripe refused a PaymentIntent");
                if status.is_server_error() {
                    StripeError::Unreachable
                } else {
                    StripeError::Refused(kind)
                }
            })?;
        serde_json::from_slice(&bytes).map_err(|_| StripeError::Refused("an answer we cannot read".into()))
    }

    /// Cancels the PaymentIntent `id` (an order that was not paid in time), so it can no longer be paid. Cancelling
    /// one already cancelled is done; one that succeeded or is processing is `PaymentUnderWay`.
    pub async fn cancel(&self, id: &str) -> Result<Cancelled, StripeError> {
        let path = format!(
            "/v1/payment_intents/{}/cancel",
            utf8_percent_encode(id, NON_ALPHANUMERIC)
        );
        let key = format!("cancel-{id}");
        match self
            .post(&path, &key, &[("cancellation_reason", "abandoned".into())])
            .await
        {
            Ok(_) => Ok(Cancelled::Yes),
            Err((status, Some(error))) if error.code.as_deref() == Some("payment_intent_unexpected_state") => {
                match error.payment_intent.map(|intent| intent.status).as_deref() {
                    Some("canceled") => Ok(Cancelled::Yes),
                    _ => {
                        tracing::info!(%status, payment_intent = id, "too late to cancel: the payment is under way");
                        Ok(Cancelled::PaymentUnderWay)
                    }
                }
            }
            Err((status, error)) => {
                let kind = error.map_or_else(|| format!("status {status}"), |e| e.kind);
                tracing::warn!(%status, %kind, payment_intent = id, "Stripe refused a cancellation");
                Err(if status.is_server_error() {
                    StripeError::Unreachable
                } else {
                    StripeError::Refused(kind)
                })
            }
        }
    }

    /// A form POST to Stripe's API under `idempotency_key`: the answer's bytes, or its status and error (`None`
    /// when Stripe could not be reached or its error could not be read).
    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(&str, String)],
    ) -> Result<Vec<u8>, (reqwest::StatusCode, Option<ErrorDetail>)> {
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
        let unreachable = (reqwest::StatusCode::SERVICE_UNAVAILABLE, None);
        let response = self
            .client
            .post(format!("{}{path}", self.api_base))
            .basic_auth(self.secret_key.expose(), Some(""))
            .header("idempotency-key", idempotency_key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e.without_url(), "cannot reach Stripe");
                unreachable
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|_| (reqwest::StatusCode::SERVICE_UNAVAILABLE, None))?;
        if status.is_success() {
            Ok(bytes.to_vec())
        } else {
            Err((
                status,
                serde_json::from_slice::<ErrorBody>(&bytes).ok().map(|e| e.error),
            ))
        }
    }
}
