//! Unpaid orders give their stock back. Placing an order takes its stock and schedules its expiry, in the same
//! transaction, as a durable job (`crate::jobs` runs it, so a restart loses none). When the hold has passed and the
//! order is still unpaid, its Stripe PaymentIntent is cancelled first (so it can no longer be paid), then the order
//! fails with the cause "expired" and its stock comes back, announced to every page. A payment already under way at
//! Stripe wins: the order is left to its webhook.

use chrono::{DateTime, Utc};

use super::stripe::{Cancelled, Stripe};
use crate::store::{OrderState, PaymentProvider, Store};

/// What an expiry job came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expired {
    /// The order failed and its stock came back.
    Yes,
    /// Nothing to do: it was paid or failed meanwhile, or its payment is under way at Stripe.
    No,
}

/// Expires the order whose id is an `ORDER_EXPIRY` job's `payload`; an error (Stripe unreachable) is retried by the
/// worker.
pub async fn run(store: &Store, stripe: Option<&Stripe>, payload: &str, now: DateTime<Utc>) -> Result<Expired, String> {
    let order_id = payload;
    let order = store.order(order_id).await.map_err(|e| e.to_string())?;
    let Some(order) = order.filter(|order| order.state == OrderState::Created) else {
        return Ok(Expired::No);
    };
    if let (PaymentProvider::Stripe, Some(intent)) = (order.provider, order.payment_ref.as_deref()) {
        let stripe = stripe.ok_or("Stripe is not configured: cannot cancel the PaymentIntent")?;
        if stripe.cancel(intent).await.map_err(|e| e.to_string())? == Cancelled::PaymentUnderWay {
            return Ok(Expired::No);
        }
    }
    let moved = store
        .transition_order(
            order_id,
            &[OrderState::Created],
            OrderState::Failed,
            "expired: not paid in time",
            &[],
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(if moved.is_some() { Expired::Yes } else { Expired::No })
}
