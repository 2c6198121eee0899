//! The buyer's order endpoints:
//! - `POST /api/orders` with an `Idempotency-Key` header and `{"slug", "lines": [{"productId", "quantity",
//!   "price"}], "email"?}`: checks every line against today's price and stock (taking the stock, held until the
//!   order is paid or expires: `commerce::expiry`), and answers 201 `{order}`; the same key and body again answers
//!   200 with the same order, the same key with another body 422. Sold out and price changed are 409 with `code`,
//!   the product and what is true now; so is a viewer with `MAX_OPEN_ORDERS` unpaid orders already.
//! - `POST /api/orders/{id}/pay` (the local test provider): `{"outcome": "succeed" | "decline"}` pays the order (its
//!   pipeline starts in the same transaction) or fails it (the stock comes back).
//! - `GET /api/orders/{id}`: the buyer's own order, its lines and its moves.
//! - `POST /api/admin/orders/{id}/fulfil` (the operator, once the warehouse has shipped): `{"carrier"?,
//!   "trackingNumber"?}` moves a paid order to fulfilled; anything else is 409.
//!
//! Orders belong to the viewer who placed them (the viewer cookie or a member's login); another viewer gets 404.

use crate::commerce::CommerceHttp;
use crate::extract::{MaybeViewer, Operator, Viewer};
use axum::{
    Json, Router,
    body::Bytes,
    extract::FromRef,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use caravan::api::{Refusal, RefusalCode};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::commerce::pipeline;
use crate::{
    access::{
        playback::event,
        viewer::{self, Identity},
    },
    client_address::{ClientAddress, Family},
    error::AppError,
    secret::random_token,
    store::{LineRequest, NewOrder, OrderRecord, OrderState, PaymentProvider, PlaceError, PlaceState},
    waiting_room::{TOKEN_HEADER, TokenError},
};

/// At most this many lines, and this many of one product (over all its lines), in an order.
const MAX_LINES: usize = 50;
const MAX_QUANTITY: i64 = 99;
/// A viewer's unpaid orders at most (each holds its stock until it is paid or expires).
pub const MAX_OPEN_ORDERS: i64 = 3;

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CommerceHttp: FromRef<S>,
    Identity: FromRef<S>,
{
    Router::new()
        .route("/api/orders", post(place))
        .route("/api/orders/{id}", get(show))
        .route("/api/orders/{id}/pay", post(pay))
        .route("/api/admin/orders/{id}/fulfil", post(fulfil))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlaceRequest {
    slug: String,
    lines: Vec<LineBody>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LineBody {
    product_id: String,
    /// Which variant (size, colour), for a product that has them.
    #[serde(default)]
    variant_id: Option<String>,
    quantity: i64,
    /// The tax-included unit price the buyer saw.
    price: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct OrderAnswer {
    order_id: String,
    state: &'static str,
    total: i64,
    tax: i64,
    currency: String,
    provider: &'static str,
    /// The local provider takes no money: the page says so.
    test_mode: bool,
    /// Stripe: what the Payment Element confirms the payment with.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    /// Stripe: the publishable key and Stripe.js, for the Payment Element.
    #[serde(skip_serializing_if = "Option::is_none")]
    stripe: Option<crate::commerce::stripe::StripePage>,
    /// Shopify: where the buyer pays (in a new tab: the show goes on here).
    #[serde(skip_serializing_if = "Option::is_none")]
    checkout_url: Option<String>,
}

impl From<&OrderRecord> for OrderAnswer {
    fn from(order: &OrderRecord) -> Self {
        Self {
            order_id: order.id.clone(),
            state: order.state.as_str(),
            total: order.total,
            tax: order.tax,
            currency: order.currency.clone(),
            provider: order.provider.as_str(),
            test_mode: order.provider == PaymentProvider::Local,
            client_secret: None,
            stripe: None,
            checkout_url: None,
        }
    }
}

/// A 409 the page turns into a message: what changed, for which product, and what is true now (`detail` fills it in).
fn conflict(code: RefusalCode, message: String, detail: impl FnOnce(&mut Refusal)) -> Response {
    let mut refusal = Refusal::new(code, message);
    detail(&mut refusal);
    AppError::refused(StatusCode::CONFLICT, refusal).into_response()
}

fn new_order_id() -> Result<String, AppError> {
    Ok(format!("ord_{}", random_token(12)?))
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, AppError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or_default();
    if key.is_empty() || key.len() > 255 {
        return Err(AppError::BadRequest(
            "an Idempotency-Key header (1 to 255 characters) is required".into(),
        ));
    }
    Ok(key.to_string())
}

async fn place(
    State(state): State<CommerceHttp>,
    Viewer(viewer, new_viewer): Viewer,
    axum::Extension(client): axum::Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    state.address_limits.limit(Family::Orders, client)?;
    let key = idempotency_key(&headers)?;
    let request: PlaceRequest = crate::hardening::json_body(&headers, &body, "order")?;
    if request.lines.is_empty() || request.lines.len() > MAX_LINES {
        return Err(AppError::BadRequest(format!("an order has 1 to {MAX_LINES} lines")));
    }
    if let Some(line) = request.lines.iter().find(|l| l.quantity < 1) {
        return Err(AppError::BadRequest(format!(
            "the quantity of {} must be 1 to {MAX_QUANTITY}",
            line.product_id
        )));
    }
    let mut per_product = std::collections::HashMap::<&str, i64>::new();
    for line in &request.lines {
        let total = per_product.entry(&line.product_id).or_default();
        *total = total.saturating_add(line.quantity);
        if *total > MAX_QUANTITY {
            return Err(AppError::BadRequest(format!(
                "the quantity of {} must be 1 to {MAX_QUANTITY} over all its lines",
                line.product_id
            )));
        }
    }
    let email = crate::mail::optional_address(request.email.as_deref())?;
    let show = event(&state.store, &request.slug).await?;
    let admitted = match waiting_room_pass(&state, &headers, &show.id, &viewer.id).await? {
        Ok(admitted) => admitted,
        Err(refusal) => return Ok(refusal),
    };
    let show_id = show.id.clone();
    let provider = state.commerce.provider_for(&request.slug);
    let id = new_order_id()?;
    let now = Utc::now();
    // Stock held here is given back when the order is not paid in time (Shopify holds its own).
    let hold_until = provider.counts_stock_here().then(|| now + state.commerce.hold);
    let new = NewOrder {
        id,
        event_id: show.id,
        viewer_id: viewer.id,
        provider,
        email: email.map(str::to_string),
        idempotency_key: key,
        request_hash: URL_SAFE_NO_PAD.encode(Sha256::digest(&body)),
        lines: request
            .lines
            .into_iter()
            .map(|l| LineRequest {
                product_id: l.product_id,
                variant_id: l.variant_id,
                quantity: l.quantity,
                expected_price: l.price,
            })
            .collect(),
        hold_until,
        max_open: MAX_OPEN_ORDERS,
    };
    let response = match state.store.place_order(&new, now).await {
        Ok(order) => match with_payment(&state, &order).await? {
            Ok(answer) => (StatusCode::CREATED, Json(answer)).into_response(),
            Err(refusal) => refusal,
        },
        Err(PlaceError::Replay(order)) => match with_payment(&state, &order).await? {
            Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
            Err(refusal) => refusal,
        },
        Err(PlaceError::KeyReused) => AppError::refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            Refusal::new(
                RefusalCode::IdempotencyKeyReused,
                "this Idempotency-Key was used for another order",
            ),
        )
        .into_response(),
        Err(PlaceError::SoldOut {
            product_id,
            title,
            left,
        }) => conflict(RefusalCode::SoldOut, format!("{title} is sold out"), |r| {
            r.product_id = Some(product_id);
            r.left = Some(left);
        }),
        Err(PlaceError::PriceChanged {
            product_id,
            title,
            price,
        }) => conflict(
            RefusalCode::PriceChanged,
            format!("The price of {title} has changed"),
            |r| {
                r.product_id = Some(product_id);
                r.price = Some(price);
            },
        ),
        Err(PlaceError::UnknownProduct(id)) => {
            return Err(AppError::BadRequest(format!("no product {id} in this show")));
        }
        Err(refused @ (PlaceError::VariantRequired { .. } | PlaceError::UnknownVariant { .. })) => {
            return Err(AppError::BadRequest(refused.to_string()));
        }
        Err(PlaceError::TooManyOpen(open)) => conflict(
            RefusalCode::TooManyOpenOrders,
            format!(
                "{open} of your orders are waiting for payment. Pay one of them, or try again once they have expired"
            ),
            |r| r.open = Some(open),
        ),
        Err(PlaceError::MixedCurrencies) => {
            return Err(AppError::BadRequest(
                "the products are in more than one currency".into(),
            ));
        }
        Err(PlaceError::Store(e)) => return Err(AppError::Unavailable(e.into())),
    };
    if let Some(request_id) = admitted
        && response.status().is_success()
    {
        // The place did its job: in a `max_size` room, the next in the queue may go in.
        if let Err(e) = state
            .store
            .finish_waiting_position(&show_id, &request_id, PlaceState::Completed)
            .await
        {
            tracing::error!(error = %e, "cannot complete the waiting-room place");
        }
    }
    Ok((new_viewer, response).into_response())
}

/// While the show's waiting room is armed, an order needs the viewer's own token (`x-waiting-room-token`): the
/// place it admits (its request id), or the refusal (403 `waiting_room`). `None` when the room is not armed.
async fn waiting_room_pass(
    state: &CommerceHttp,
    headers: &HeaderMap,
    event_id: &str,
    viewer_id: &str,
) -> Result<Result<Option<String>, Response>, AppError> {
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    let room = state.store.waiting_room(event_id).await.map_err(unavailable)?;
    if !room.is_some_and(|room| room.armed) {
        return Ok(Ok(None));
    }
    let refuse = |error: TokenError| {
        let mut refusal = Refusal::new(RefusalCode::WaitingRoom, error.to_string());
        refusal.event_id = Some(event_id.to_owned());
        AppError::refused(StatusCode::FORBIDDEN, refusal).into_response()
    };
    let Some(token) = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()) else {
        return Ok(Err(refuse(TokenError::Missing)));
    };
    let claims = match state.waiting_room.verify(token, event_id, Utc::now()) {
        Ok(claims) => claims,
        Err(error) => return Ok(Err(refuse(error))),
    };
    // The token is the viewer's own, and its place was not given up. It stays good for its validity after an order
    // (a payment declined is tried again without queueing again).
    let place = state
        .store
        .waiting_position(event_id, &claims.sub)
        .await
        .map_err(unavailable)?;
    match place {
        Some(place) if place.viewer_id == viewer_id && place.state != PlaceState::Abandoned => Ok(Ok(Some(claims.sub))),
        _ => Ok(Err(refuse(TokenError::Invalid))),
    }
}

/// The order's answer with what its provider needs to take the payment: for Stripe, the PaymentIntent (made once
/// per order; Stripe replays it); for Shopify, the cart to pay at (made once; its `checkoutUrl` is kept with the
/// order). When the provider cannot start the payment the order fails (its stock comes back) and the buyer gets 502
/// with a message; a new attempt is a new order.
async fn with_payment(state: &CommerceHttp, order: &OrderRecord) -> Result<Result<OrderAnswer, Response>, AppError> {
    let mut answer = OrderAnswer::from(order);
    if order.state != OrderState::Created {
        return Ok(Ok(answer));
    }
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    let started: Result<(), String> = match order.provider {
        PaymentProvider::Local => Ok(()),
        PaymentProvider::Stripe => match &state.commerce.stripe {
            None => Err("Stripe is not configured".into()),
            Some(stripe) => match stripe.payment_intent(order).await {
                Ok(intent) => {
                    if order.payment_ref.as_deref() != Some(intent.id.as_str()) {
                        state
                            .store
                            .set_payment_ref(&order.id, &intent.id)
                            .await
                            .map_err(unavailable)?;
                    }
                    answer.client_secret = Some(intent.client_secret);
                    answer.stripe = Some(stripe.page.clone());
                    Ok(())
                }
                Err(error) => Err(error.to_string()),
            },
        },
        PaymentProvider::Shopify => match (&order.checkout_url, &state.commerce.shopify_catalogs) {
            (Some(url), _) => {
                answer.checkout_url = Some(url.clone());
                Ok(())
            }
            (None, None) => Err("Shopify is not configured".into()),
            (None, Some(shopify)) => {
                let mut lines = Vec::new();
                for line in state.store.order_lines(&order.id).await.map_err(unavailable)? {
                    let variant = state
                        .store
                        .shopify_variant(&line.product_id, line.variant_id.as_deref())
                        .await
                        .map_err(unavailable)?;
                    lines.push((variant.unwrap_or_default(), line.quantity));
                }
                match shopify
                    .storefront()
                    .create_cart(&order.id, &lines, order.email.as_deref())
                    .await
                {
                    Ok(cart) => {
                        state
                            .store
                            .set_checkout(&order.id, &cart.id, &cart.checkout_url)
                            .await
                            .map_err(unavailable)?;
                        answer.checkout_url = Some(cart.checkout_url);
                        Ok(())
                    }
                    Err(error) => Err(error.to_string()),
                }
            }
        },
    };
    let Err(error) = started else {
        return Ok(Ok(answer));
    };
    state
        .store
        .transition_order(
            &order.id,
            &[OrderState::Created],
            OrderState::Failed,
            &error,
            &[],
            Utc::now(),
        )
        .await
        .map_err(unavailable)?;
    let refusal = Refusal::new(
        RefusalCode::PaymentUnavailable,
        format!("The payment could not be started: {error}. Nothing was charged; please try again."),
    );
    Ok(Err(AppError::refused(StatusCode::BAD_GATEWAY, refusal).into_response()))
}

/// The viewer's own order, or 404 (for anyone else's too: an order id says nothing to a stranger).
async fn own_order(state: &CommerceHttp, viewer: Option<viewer::Viewer>, id: &str) -> Result<OrderRecord, AppError> {
    let viewer = viewer.ok_or(AppError::NotFound)?;
    let order = state
        .store
        .order(id)
        .await
        .map_err(|e| AppError::Unavailable(e.into()))?
        .ok_or(AppError::NotFound)?;
    let mine = order.viewer_id == viewer.id || viewer.anonymous_id.as_deref() == Some(order.viewer_id.as_str());
    if mine { Ok(order) } else { Err(AppError::NotFound) }
}

async fn show(
    State(state): State<CommerceHttp>,
    MaybeViewer(viewer): MaybeViewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let order = own_order(&state, viewer, &id).await?;
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    let lines = state.store.order_lines(&id).await.map_err(unavailable)?;
    let moves = state.store.order_transitions(&id).await.map_err(unavailable)?;
    let mut body = serde_json::to_value(OrderAnswer::from(&order)).map_err(|e| AppError::Internal(e.into()))?;
    body["lines"] = lines
        .iter()
        .map(|l| json!({ "productId": l.product_id, "title": l.title, "unitPrice": l.unit_price, "quantity": l.quantity }))
        .collect();
    body["history"] = moves
        .iter()
        .map(|(from, to, cause)| json!({ "from": from, "to": to, "cause": cause }))
        .collect();
    Ok(Json(body).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Outcome {
    Succeed,
    Decline,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayRequest {
    outcome: Outcome,
}

async fn pay(
    State(state): State<CommerceHttp>,
    MaybeViewer(viewer): MaybeViewer,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: PayRequest = crate::hardening::json_body(&headers, &body, "payment")?;
    let order = own_order(&state, viewer, &id).await?;
    if order.provider != PaymentProvider::Local {
        return Err(AppError::BadRequest("this order is paid through its provider".into()));
    }
    let now = Utc::now();
    let moved = match request.outcome {
        Outcome::Succeed => {
            state
                .store
                .transition_order(
                    &id,
                    &[OrderState::Created],
                    OrderState::Paid,
                    "paid with the local test provider",
                    &pipeline::jobs_for(&id),
                    now,
                )
                .await
        }
        Outcome::Decline => {
            state
                .store
                .transition_order(
                    &id,
                    &[OrderState::Created],
                    OrderState::Failed,
                    "declined by the local test provider",
                    &[],
                    now,
                )
                .await
        }
    }
    .map_err(|e| AppError::Unavailable(e.into()))?;
    match moved {
        Some(order) => Ok(Json(OrderAnswer::from(&order)).into_response()),
        // A repeated "pay" of a paid order is harmless: it answers the order.
        None if order.state == OrderState::Paid && matches!(request.outcome, Outcome::Succeed) => {
            Ok(Json(OrderAnswer::from(&order)).into_response())
        }
        None => Ok(conflict(
            RefusalCode::OrderState,
            format!("this order is already {}", order.state.as_str()),
            |r| r.state = Some(order.state.as_str().to_owned()),
        )),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FulfilRequest {
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    tracking_number: Option<String>,
}

/// The operator marks a paid order shipped: the move records the carrier and tracking number given.
async fn fulfil(
    _: Operator,
    State(state): State<CommerceHttp>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let request: FulfilRequest = if body.is_empty() {
        FulfilRequest::default()
    } else {
        crate::hardening::json_body(&headers, &body, "request")?
    };
    let shipment: Vec<String> = [request.carrier, request.tracking_number]
        .into_iter()
        .flatten()
        .map(|part| part.trim().chars().take(100).collect::<String>())
        .filter(|part| !part.is_empty())
        .collect();
    let cause = if shipment.is_empty() {
        "shipped (the operator)".to_string()
    } else {
        format!("shipped (the operator): {}", shipment.join(" "))
    };
    let unavailable = |e: crate::store::StoreError| AppError::Unavailable(e.into());
    let order = state
        .store
        .order(&id)
        .await
        .map_err(unavailable)?
        .ok_or(AppError::NotFound)?;
    let moved = state
        .store
        .transition_order(&id, &[OrderState::Paid], OrderState::Fulfilled, &cause, &[], Utc::now())
        .await
        .map_err(unavailable)?;
    match moved {
        Some(order) => Ok(Json(OrderAnswer::from(&order)).into_response()),
        None => Ok(conflict(
            RefusalCode::OrderState,
            format!(
                "only a paid order can be fulfilled; this one is {}",
                order.state.as_str()
            ),
            |r| r.state = Some(order.state.as_str().to_owned()),
        )),
    }
}
