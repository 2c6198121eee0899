//! Checkout: placing an order, paying it with the local test provider, and the operator's fulfilment. The order
//! endpoints (`commerce::http::orders`) parse, authorize and map; the rules are here.
//!
//! Placing checks every line against today's price and stock (taking the stock, held until the order is paid or
//! expires: `commerce::expiry`). The same Idempotency-Key and body again answer the same order; the same key with
//! another body is refused. While a show's waiting room is armed, an order needs the admission the room gives
//! (`Admission`: commerce asks, the waiting room answers).

use std::{collections::HashMap, sync::Arc};

use axum::http::StatusCode;
use caravan::api::{
    Refusal, RefusalCode,
    orders::{OrderLineRequest, PlacedOrder},
};
use chrono::Utc;
use futures_util::future::BoxFuture;

use super::{CommerceState, pipeline};
use crate::{
    access::{playback::event, viewer::Viewer},
    error::AppError,
    secret::random_token,
    store::{LineRequest, NewOrder, OrderRecord, OrderState, PaymentProvider, PlaceError, Store},
};

/// At most this many lines, and this many of one product (over all its lines), in an order.
pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 99;
/// A viewer's unpaid orders at most (each holds its stock until it is paid or expires).
pub const MAX_OPEN_ORDERS: i64 = 3;

/// Whether a viewer may order at a show now: the waiting room's answer while it is armed.
pub trait Admission: Send + Sync + 'static {
    /// `Ok(None)`: no room is armed; `Ok(Some(place))`: admitted by the viewer's place in the line (`token`, their
    /// pass); `Err`: refused (403 `waiting_room`: queue first).
    fn admit<'a>(
        &'a self,
        event_id: &'a str,
        viewer_id: &'a str,
        token: Option<&'a str>,
    ) -> BoxFuture<'a, Result<Option<String>, AppError>>;

    /// The order the place admitted was placed: in a room of limited size, the next in line may go in.
    fn completed<'a>(&'a self, event_id: &'a str, place: &'a str) -> BoxFuture<'a, ()>;
}

/// An order as the buyer asks for it.
#[derive(Debug, Clone)]
pub struct PlaceOrder {
    pub slug: String,
    pub lines: Vec<OrderLineRequest>,
    pub email: Option<String>,
    pub idempotency_key: String,
    /// The request's hash: the same key with another request is refused.
    pub request_hash: String,
    pub viewer_id: String,
    /// The viewer's waiting-room pass, when they have one.
    pub waiting_room_token: Option<String>,
}

/// A placed order: new, or the same one again (a retried request).
#[derive(Debug)]
pub enum Placed {
    New(PlacedOrder),
    Again(PlacedOrder),
}

#[derive(Clone)]
pub struct Checkout {
    store: Store,
    commerce: CommerceState,
    admission: Arc<dyn Admission>,
}

/// A 409: what changed, and what is true now (`detail` fills it in).
fn conflict(code: RefusalCode, message: String, detail: impl FnOnce(&mut Refusal)) -> AppError {
    let mut refusal = Refusal::new(code, message);
    detail(&mut refusal);
    AppError::refused(StatusCode::CONFLICT, refusal)
}

/// The order as the buyer is answered (without what a provider adds).
pub fn placed(order: &OrderRecord) -> PlacedOrder {
    PlacedOrder {
        order_id: order.id.clone(),
        state: order.state.as_str().to_owned(),
        total: order.total,
        tax: order.tax,
        currency: order.currency.clone(),
        provider: order.provider.as_str().to_owned(),
        test_mode: order.provider == PaymentProvider::Local,
        checkout_url: None,
        client_secret: None,
        stripe: None,
    }
}

/// 400 unless the lines are 1 to `MAX_LINES`, each for at least one, and at most `MAX_QUANTITY` of a product.
fn check_lines(lines: &[OrderLineRequest]) -> Result<(), AppError> {
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(AppError::BadRequest(format!("an order has 1 to {MAX_LINES} lines")));
    }
    let mut per_product = HashMap::<&str, i64>::new();
    for line in lines {
        let total = per_product.entry(&line.product_id).or_default();
        *total = total.saturating_add(line.quantity);
        if line.quantity < 1 || *total > MAX_QUANTITY {
            return Err(AppError::BadRequest(format!(
                "the quantity of {} must be 1 to {MAX_QUANTITY} over all its lines",
                line.product_id
            )));
        }
    }
    Ok(())
}

impl Checkout {
    pub fn new(store: Store, commerce: CommerceState, admission: Arc<dyn Admission>) -> Self {
        Self {
            store,
            commerce,
            admission,
        }
    }

    /// Places the order (201 `Placed::New`), or answers the one this key placed (`Placed::Again`). Refusals: 400 for
    /// lines that cannot be ordered, 409 sold out, price changed or too many unpaid orders, 422 a key reused for
    /// another order, 403 the waiting room, 502 a provider that cannot start the payment.
    #[tracing::instrument(skip_all, fields(show = %order.slug))]
    pub async fn place(&self, order: PlaceOrder) -> Result<Placed, AppError> {
        check_lines(&order.lines)?;
        let email = crate::mail::optional_address(order.email.as_deref())?.map(str::to_owned);
        let show = event(&self.store, &order.slug).await?;
        let admitted = self
            .admission
            .admit(&show.id, &order.viewer_id, order.waiting_room_token.as_deref())
            .await?;
        let provider = self.commerce.provider_for(&order.slug);
        let now = Utc::now();
        let new = NewOrder {
            id: format!("ord_{}", random_token(12)?),
            event_id: show.id.clone(),
            viewer_id: order.viewer_id,
            provider,
            email,
            idempotency_key: order.idempotency_key,
            request_hash: order.request_hash,
            lines: order
                .lines
                .into_iter()
                .map(|l| LineRequest {
                    product_id: l.product_id,
                    variant_id: l.variant_id,
                    quantity: l.quantity,
                    expected_price: l.price,
                })
                .collect(),
            // Stock held here is given back when the order is not paid in time (Shopify holds its own).
            hold_until: provider.counts_stock_here().then(|| now + self.commerce.hold),
            max_open: MAX_OPEN_ORDERS,
        };
        let placed = match self.store.place_order(&new, now).await {
            Ok(order) => Placed::New(self.with_payment(&order).await?),
            Err(PlaceError::Replay(order)) => Placed::Again(self.with_payment(&order).await?),
            Err(refused) => return Err(refusal(refused)),
        };
        if let Some(place) = admitted {
            self.admission.completed(&show.id, &place).await;
        }
        Ok(placed)
    }

    /// The order's answer with what its provider needs to take the payment: for Stripe, the PaymentIntent (made once
    /// per order; Stripe replays it); for Shopify, the cart to pay at (made once; its `checkoutUrl` is kept with the
    /// order). When the provider cannot start the payment the order fails (its stock comes back): 502
    /// `payment_unavailable`; a new attempt is a new order.
    async fn with_payment(&self, order: &OrderRecord) -> Result<PlacedOrder, AppError> {
        let mut answer = placed(order);
        if order.state != OrderState::Created {
            return Ok(answer);
        }
        let started = match order.provider {
            PaymentProvider::Local => Ok(()),
            PaymentProvider::Stripe => self.start_stripe(order, &mut answer).await?,
            PaymentProvider::Shopify => self.start_shopify(order, &mut answer).await?,
        };
        let Err(error) = started else {
            return Ok(answer);
        };
        self.store
            .transition_order(
                &order.id,
                &[OrderState::Created],
                OrderState::Failed,
                &error,
                &[],
                Utc::now(),
            )
            .await?;
        let refusal = Refusal::new(
            RefusalCode::PaymentUnavailable,
            format!("The payment could not be started: {error}. Nothing was charged; please try again."),
        );
        Err(AppError::refused(StatusCode::BAD_GATEWAY, refusal))
    }

    /// The order's PaymentIntent; `Ok(Err(why))` when Stripe cannot make it.
    async fn start_stripe(
        &self,
        order: &OrderRecord,
        answer: &mut PlacedOrder,
    ) -> Result<Result<(), String>, AppError> {
        let Some(stripe) = &self.commerce.stripe else {
            return Ok(Err("Stripe is not configured".into()));
        };
        let intent = match stripe.payment_intent(order).await {
            Ok(intent) => intent,
            Err(error) => return Ok(Err(error.to_string())),
        };
        if order.payment_ref.as_deref() != Some(intent.id.as_str()) {
            self.store.set_payment_ref(&order.id, &intent.id).await?;
        }
        answer.client_secret = Some(intent.client_secret);
        answer.stripe = Some(stripe.page.clone());
        Ok(Ok(()))
    }

    /// The Shopify cart the order is paid at; `Ok(Err(why))` when Shopify cannot make it.
    async fn start_shopify(
        &self,
        order: &OrderRecord,
        answer: &mut PlacedOrder,
    ) -> Result<Result<(), String>, AppError> {
        if let Some(url) = &order.checkout_url {
            answer.checkout_url = Some(url.clone());
            return Ok(Ok(()));
        }
        let Some(shopify) = &self.commerce.shopify_catalogs else {
            return Ok(Err("Shopify is not configured".into()));
        };
        let mut lines = Vec::new();
        for line in self.store.order_lines(&order.id).await? {
            let variant = self
                .store
                .shopify_variant(&line.product_id, line.variant_id.as_deref())
                .await?;
            lines.push((variant.unwrap_or_default(), line.quantity));
        }
        let cart = match shopify
            .storefront()
            .create_cart(&order.id, &lines, order.email.as_deref())
            .await
        {
            Ok(cart) => cart,
            Err(error) => return Ok(Err(error.to_string())),
        };
        self.store.set_checkout(&order.id, &cart.id, &cart.checkout_url).await?;
        answer.checkout_url = Some(cart.checkout_url);
        Ok(Ok(()))
    }

    /// The order `id`, or 404.
    async fn order(&self, id: &str) -> Result<OrderRecord, AppError> {
        self.store.order(id).await?.ok_or(AppError::NotFound)
    }

    /// The viewer's own order, or 404 (for anyone else's too: an order id says nothing to a stranger).
    pub async fn own_order(&self, viewer: Option<&Viewer>, id: &str) -> Result<OrderRecord, AppError> {
        let viewer = viewer.ok_or(AppError::NotFound)?;
        let order = self.order(id).await?;
        let mine = order.viewer_id == viewer.id || viewer.anonymous_id.as_deref() == Some(order.viewer_id.as_str());
        if mine { Ok(order) } else { Err(AppError::NotFound) }
    }

    /// The local test provider's payment of the viewer's order: paid (its pipeline starts in the same transaction),
    /// or declined (`succeed` false: the stock comes back). Paying a paid order again answers it; anything else that
    /// is not waiting for payment is 409 `order_state`.
    #[tracing::instrument(skip(self, viewer))]
    pub async fn pay_locally(&self, viewer: Option<&Viewer>, id: &str, succeed: bool) -> Result<PlacedOrder, AppError> {
        let order = self.own_order(viewer, id).await?;
        if order.provider != PaymentProvider::Local {
            return Err(AppError::BadRequest("this order is paid through its provider".into()));
        }
        let (to, cause, jobs) = if succeed {
            (
                OrderState::Paid,
                "paid with the local test provider",
                pipeline::jobs_for(id),
            )
        } else {
            (OrderState::Failed, "declined by the local test provider", Vec::new())
        };
        let moved = self
            .store
            .transition_order(id, &[OrderState::Created], to, cause, &jobs, Utc::now())
            .await?;
        match moved {
            Some(order) => Ok(placed(&order)),
            // A repeated "pay" of a paid order is harmless: it answers the order.
            None if order.state == OrderState::Paid && succeed => Ok(placed(&order)),
            None => Err(conflict(
                RefusalCode::OrderState,
                format!("this order is already {}", order.state.as_str()),
                |r| r.state = Some(order.state.as_str().to_owned()),
            )),
        }
    }

    /// The operator marks a paid order shipped; the move records the carrier and tracking number given. 409
    /// `order_state` for an order that is not paid.
    #[tracing::instrument(skip(self))]
    pub async fn fulfil(&self, id: &str, shipment: &[Option<String>]) -> Result<PlacedOrder, AppError> {
        let shipment: Vec<String> = shipment
            .iter()
            .flatten()
            .map(|part| part.trim().chars().take(100).collect::<String>())
            .filter(|part| !part.is_empty())
            .collect();
        let cause = if shipment.is_empty() {
            "shipped (the operator)".to_string()
        } else {
            format!("shipped (the operator): {}", shipment.join(" "))
        };
        let order = self.order(id).await?;
        let moved = self
            .store
            .transition_order(id, &[OrderState::Paid], OrderState::Fulfilled, &cause, &[], Utc::now())
            .await?;
        match moved {
            Some(order) => Ok(placed(&order)),
            None => Err(conflict(
                RefusalCode::OrderState,
                format!(
                    "only a paid order can be fulfilled; this one is {}",
                    order.state.as_str()
                ),
                |r| r.state = Some(order.state.as_str().to_owned()),
            )),
        }
    }
}

/// Why the store did not place an order, as the buyer is told.
fn refusal(refused: PlaceError) -> AppError {
    match refused {
        PlaceError::KeyReused => AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::new(
                RefusalCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for another order",
            ),
        ),
        PlaceError::SoldOut {
            product_id,
            title,
            left,
        } => conflict(RefusalCode::SoldOut, format!("{title} is sold out"), |r| {
            r.product_id = Some(product_id);
            r.left = Some(left);
        }),
        PlaceError::PriceChanged {
            product_id,
            title,
            price,
        } => conflict(
            RefusalCode::PriceChanged,
            format!("The price of {title} has changed"),
            |r| {
                r.product_id = Some(product_id);
                r.price = Some(price);
            },
        ),
        PlaceError::TooManyOpen(open) => conflict(
            RefusalCode::TooManyOpenOrders,
            format!(
                "{open} of your orders are waiting for payment. Pay one of them, or try again once they have expired"
            ),
            |r| r.open = Some(open),
        ),
        PlaceError::UnknownProduct(id) => AppError::BadRequest(format!("no product {id} in this show")),
        refused @ (PlaceError::VariantRequired { .. } | PlaceError::UnknownVariant { .. }) => {
            AppError::BadRequest(refused.to_string())
        }
        PlaceError::MixedCurrencies => AppError::BadRequest("the products are in more than one currency".into()),
        PlaceError::Store(e) => e.into(),
        // Placed orders are answered by `place`.
        PlaceError::Replay(order) => AppError::Internal(anyhow::anyhow!("order {} replayed as a refusal", order.id)),
    }
}
