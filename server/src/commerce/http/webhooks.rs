//! Payment providers tell us what happened:
//! - `POST /webhooks/stripe`: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=…]`, the lowercase hex HMAC-SHA256 of
//!   `"<t>.<raw body>"` with the endpoint's secret; any `v1` may match (secret rolling), other schemes are ignored (no
//!   downgrade to `v0`), and a `t` older than 300 s is stale. `payment_intent.succeeded` pays the order of that
//!   PaymentIntent (starting its pipeline) and `charge.refunded` refunds it. `payment_intent.payment_failed` leaves
//!   it waiting: the buyer may try another card on the same PaymentIntent (the Payment Element says what failed).
//! - `POST /webhooks/shopify` (or `/webhooks/shopify/{topic}`, which then must be the `X-Shopify-Topic`):
//!   `X-Shopify-Hmac-Sha256`, the base64 HMAC-SHA256 of the raw body with the app's secret. A delivery id
//!   (`X-Shopify-Webhook-Id`) seen before is not acted on again.
//!   `orders/paid` (or `orders/create` already paid) pays our order named by its `caravan_order` note attribute,
//!   `orders/fulfilled` marks it shipped;
//!   `products/*` and `collections/*` refresh the Shopify catalogs.
//!
//! Unverified or stale: 400, and nothing changes. Every accepted delivery is answered 200 once handled; handling is
//! idempotent (an order moves only from the states an event can move it from), and the event ids are recorded, so
//! a repeated delivery changes nothing.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRef, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use caravan::api::{Refusal, RefusalCode};
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::{
    commerce::{
        CommerceHttp,
        provider_events::{self, ShopifyDelivery, StripeEvent},
    },
    error::AppError,
    secret::Secret,
};

/// How old a Stripe signature may be (Stripe's libraries' default).
pub const STRIPE_TOLERANCE_SECONDS: i64 = 300;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CommerceHttp: FromRef<S>,
{
    Router::new()
        .route("/webhooks/stripe", post(stripe))
        .route("/webhooks/shopify", post(shopify))
        .route("/webhooks/shopify/{*topic}", post(shopify_topic))
}

/// Why a delivery is not believed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    #[error("no signature")]
    Missing,
    #[error("the signature header cannot be read")]
    Malformed,
    #[error("the signature is older than {STRIPE_TOLERANCE_SECONDS} s")]
    Stale,
    #[error("no signature matches")]
    Mismatch,
}

fn hmac_sha256(secret: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Checks a `Stripe-Signature` header for `body` at `now` (Unix seconds).
pub fn verify_stripe(
    header: Option<&str>,
    body: &[u8],
    secret: &Secret<String>,
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for pair in header.split(',') {
        let (key, value) = pair.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?),
            "v1" => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Missing);
    }
    if now - timestamp > STRIPE_TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let expected = crate::secret::hex(&hmac_sha256(
        secret.expose().as_bytes(),
        &[timestamp.to_string().as_bytes(), b".", body],
    ));
    let matches = signatures.iter().fold(false, |found, candidate| {
        found | bool::from(subtle::ConstantTimeEq::ct_eq(candidate.as_bytes(), expected.as_bytes()))
    });
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Checks an `X-Shopify-Hmac-Sha256` header for `body`.
pub fn verify_shopify(header: Option<&str>, body: &[u8], secret: &Secret<String>) -> Result<(), SignatureError> {
    let given = STANDARD
        .decode(header.ok_or(SignatureError::Missing)?.trim())
        .map_err(|_| SignatureError::Malformed)?;
    let expected = hmac_sha256(secret.expose().as_bytes(), &[body]);
    if bool::from(subtle::ConstantTimeEq::ct_eq(given.as_slice(), expected.as_slice())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

fn refused(error: SignatureError) -> Response {
    let refusal = Refusal::new(RefusalCode::BadSignature, format!("webhook refused: {error}"));
    AppError::refused(StatusCode::BAD_REQUEST, refusal).into_response()
}

fn not_configured(provider: &str) -> Response {
    let message = format!("{provider} webhooks are not configured on this server");
    AppError::refused(StatusCode::NOT_FOUND, Refusal::new(RefusalCode::NotConfigured, message)).into_response()
}

async fn stripe(State(state): State<CommerceHttp>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let Some(secret) = state.commerce.stripe_webhook_secret.as_ref() else {
        return Ok(not_configured("Stripe"));
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    if let Err(error) = verify_stripe(header, &body, secret, Utc::now().timestamp()) {
        tracing::warn!(%error, "a Stripe webhook was refused");
        return Ok(refused(error));
    }
    let event: StripeEvent =
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest(format!("invalid Stripe event: {e}")))?;
    let first = provider_events::stripe(&state.store, &event, Utc::now()).await?;
    Ok(Json(json!({ "received": true, "duplicate": !first })).into_response())
}

/// A Shopify subscription registered at its own address (`/webhooks/shopify/orders/paid`): the topic Shopify sends
/// (`X-Shopify-Topic`, which its signature does not cover) must be the one the address names.
async fn shopify_topic(
    State(state): State<CommerceHttp>,
    axum::extract::Path(topic): axum::extract::Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let sent = headers.get("x-shopify-topic").and_then(|v| v.to_str().ok());
    if sent != Some(topic.as_str()) {
        return Err(AppError::BadRequest(format!(
            "this address takes {topic} deliveries, and X-Shopify-Topic says otherwise"
        )));
    }
    shopify(State(state), headers, body).await
}

async fn shopify(State(state): State<CommerceHttp>, headers: HeaderMap, body: Bytes) -> Result<Response, AppError> {
    let Some(secret) = state.commerce.shopify_webhook_secret.as_ref() else {
        return Ok(not_configured("Shopify"));
    };
    let header = headers.get("x-shopify-hmac-sha256").and_then(|v| v.to_str().ok());
    if let Err(error) = verify_shopify(header, &body, secret) {
        tracing::warn!(%error, "a Shopify webhook was refused");
        return Ok(refused(error));
    }
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let delivery = ShopifyDelivery {
        id: text("x-shopify-webhook-id"),
        topic: text("x-shopify-topic"),
        body: &body,
    };
    let first = provider_events::shopify(&state.store, &state.commerce, delivery, Utc::now()).await?;
    Ok(Json(json!({ "received": true, "duplicate": !first })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripe_signatures_as_stripe_makes_them() {
        // A header as stripe-node's generateTestHeaderString makes it; v1 computed apart, with Python's hmac module.
        let secret = Secret::new("whsec_test_secret".to_string());
        let body = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
        let t = 1_700_000_000;
        let v1 = "22d8dc182f5c588077683bd378368e29765bfe5df2560112b4f28fef120f0e31";
        let header = format!("t={t},v1={v1}");
        assert_eq!(verify_stripe(Some(&header), body, &secret, t + 10), Ok(()));
        // Rolling secrets: any v1 may match; v0 is ignored.
        let rolled = format!("t={t},v1={},v1={v1}", "0".repeat(64));
        assert_eq!(verify_stripe(Some(&rolled), body, &secret, t), Ok(()));
        let downgrade = format!("t={t},v0={v1}");
        assert_eq!(
            verify_stripe(Some(&downgrade), body, &secret, t),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify_stripe(Some(&header), body, &secret, t + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_stripe(Some(&header), b"{}", &secret, t),
            Err(SignatureError::Mismatch)
        );
        let other = Secret::new("whsec_other".to_string());
        assert_eq!(
            verify_stripe(Some(&header), body, &other, t),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe(Some("t=abc,v1=00"), body, &secret, t),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify_stripe(None, body, &secret, t), Err(SignatureError::Missing));
    }

    #[test]
    fn shopify_signatures_are_base64() {
        let secret = Secret::new("shpss_secret".to_string());
        let body = br#"{"id":1}"#;
        // Computed apart, with Python's hmac module.
        let header = "xocA3LkeJ/RvNrkxep1EUtFHuj7rIoIqZYaLU26LyPQ=";
        assert_eq!(verify_shopify(Some(header), body, &secret), Ok(()));
        assert_eq!(
            verify_shopify(Some(header), b"{\"id\":2}", &secret),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_shopify(Some("not base64!"), body, &secret),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify_shopify(None, body, &secret), Err(SignatureError::Missing));
    }
}
