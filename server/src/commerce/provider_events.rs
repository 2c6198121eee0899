//! What the payment providers tell us, applied: a Stripe event pays or refunds the order of its PaymentIntent; a
//! Shopify delivery pays or ships the order its note names, or has the Shopify catalogs read again. The webhooks
//! (`commerce::http::webhooks`) verify the signatures first; handling here is idempotent (an order moves only from
//! the states an event can move it from) and every delivery is recorded, so one delivered twice changes nothing.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{CommerceState, pipeline};
use crate::{
    error::AppError,
    store::{OrderState, Store},
};

#[derive(Debug, Deserialize)]
pub struct StripeEvent {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: StripeData,
}

#[derive(Debug, Deserialize)]
struct StripeData {
    object: serde_json::Value,
}

/// Applies a verified Stripe event: `payment_intent.succeeded` pays the order of that PaymentIntent (its pipeline
/// starts in the same transaction), `charge.refunded` refunds it. Whether the event was new.
#[tracing::instrument(skip_all, fields(event = %event.id, kind = %event.kind))]
pub async fn stripe(store: &Store, event: &StripeEvent, now: DateTime<Utc>) -> Result<bool, AppError> {
    let object = &event.data.object;
    // The PaymentIntent the event is about: the object itself, or a charge's.
    let intent = match event.kind.as_str() {
        "charge.refunded" => object.get("payment_intent"),
        _ => object.get("id"),
    }
    .and_then(|v| v.as_str());
    let change = match event.kind.as_str() {
        "payment_intent.succeeded" => Some((&[OrderState::Created][..], OrderState::Paid)),
        "charge.refunded" => Some((&[OrderState::Paid, OrderState::Fulfilled][..], OrderState::Refunded)),
        _ => None,
    };
    if let (Some((from, to)), Some(intent)) = (change, intent) {
        match store.order_by_payment_ref(intent).await? {
            Some(order) => {
                let cause = format!("stripe {} ({})", event.kind, event.id);
                move_order(store, &order.id, from, to, &cause, now).await?;
            }
            None => tracing::warn!("a Stripe event for no order of ours"),
        }
    }
    store
        .record_webhook("stripe", &event.id, now)
        .await
        .map_err(AppError::from)
}

/// A verified Shopify delivery: its id (`X-Shopify-Webhook-Id`), topic (`X-Shopify-Topic`) and body.
#[derive(Debug)]
pub struct ShopifyDelivery<'a> {
    pub id: &'a str,
    pub topic: &'a str,
    pub body: &'a [u8],
}

/// Applies a verified Shopify delivery, once: a delivery id seen before is not acted on again (a captured one
/// replayed, under any topic). Whether it was new. A product or collection change has the catalogs read again,
/// after the answer (Shopify wants one within seconds).
#[tracing::instrument(skip_all, fields(topic = %delivery.topic))]
pub async fn shopify(
    store: &Store,
    commerce: &CommerceState,
    delivery: ShopifyDelivery<'_>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    if delivery.id.is_empty() {
        return Err(AppError::BadRequest("X-Shopify-Webhook-Id is missing".into()));
    }
    if store.webhook_recorded("shopify", delivery.id).await? {
        tracing::info!("a Shopify webhook seen before: nothing done");
        return Ok(false);
    }
    let payload: serde_json::Value = serde_json::from_slice(delivery.body)
        .map_err(|e| AppError::BadRequest(format!("invalid Shopify payload: {e}")))?;
    let topic = delivery.topic;
    if let Some((order_id, from, to)) = shopify_order_change(topic, &payload) {
        let cause = format!("shopify {topic} ({})", payload["name"].as_str().unwrap_or("an order"));
        if !move_order(store, &order_id, from, to, &cause, now).await? {
            tracing::info!(order = %order_id, "a Shopify order event that moves nothing");
        }
    }
    let first = store.record_webhook("shopify", delivery.id, now).await?;
    tracing::info!(duplicate = !first, "a Shopify webhook");
    if first
        && (topic.starts_with("products/") || topic.starts_with("collections/"))
        && let Some(catalogs) = commerce.shopify_catalogs.clone()
    {
        let store = store.clone();
        tokio::spawn(async move { catalogs.refresh_all(&store).await });
    }
    Ok(first)
}

/// Moves an order (a payment starts its pipeline in the same transaction); whether it moved.
async fn move_order(
    store: &Store,
    id: &str,
    from: &[OrderState],
    to: OrderState,
    cause: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let jobs = if to == OrderState::Paid {
        pipeline::jobs_for(id)
    } else {
        Vec::new()
    };
    let moved = store.transition_order(id, from, to, cause, &jobs, now).await?;
    Ok(moved.is_some())
}

/// What a Shopify order event does to our order (named by the order's `caravan_order` note attribute, which came
/// from the cart): `orders/paid` (or `orders/create` already paid) pays it, `orders/fulfilled` marks it shipped. The
/// signed order must say so itself (`financial_status`, `fulfillment_status`): the topic header is not signed, so an
/// unpaid order's delivery replayed as `orders/paid` pays nothing.
fn shopify_order_change(topic: &str, order: &serde_json::Value) -> Option<(String, &'static [OrderState], OrderState)> {
    let paid = order["financial_status"] == "paid";
    let fulfilled = order["fulfillment_status"] == "fulfilled";
    let (from, to): (&'static [OrderState], OrderState) = match topic {
        "orders/paid" | "orders/create" if paid => (&[OrderState::Created], OrderState::Paid),
        "orders/fulfilled" if fulfilled => (&[OrderState::Paid], OrderState::Fulfilled),
        _ => return None,
    };
    let ours = order["note_attributes"]
        .as_array()?
        .iter()
        .find(|attribute| attribute["name"] == super::shopify::ORDER_ATTRIBUTE)?["value"]
        .as_str()?;
    Some((ours.to_owned(), from, to))
}
