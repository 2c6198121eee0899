//! The buyer's order endpoints:
//! - `POST /api/orders` with an `Idempotency-Key` header and `{"slug", "lines": [{"productId", "quantity",
//!   "price"}], "email"?}` (`caravan::api::orders::PlaceOrderRequest`): answers 201 with the order
//!   (`PlacedOrder`); the same key and body again answers 200 with the same order. Refusals (`caravan::api::Refusal`)
//!   are `commerce::checkout`'s: 409 sold out, price changed, too many unpaid orders; 422 a key reused; 403 the
//!   waiting room; 502 a payment that cannot start.
//! - `POST /api/orders/{id}/pay` (the local test provider): `{"outcome": "succeed" | "decline"}` pays the order (its
//!   pipeline starts in the same transaction) or fails it (the stock comes back).
//! - `GET /api/orders/{id}`: the buyer's own order, its lines and its moves.
//! - `POST /api/admin/orders/{id}/fulfil` (the operator, once the warehouse has shipped): `{"carrier"?,
//!   "trackingNumber"?}` moves a paid order to fulfilled; anything else is 409.
//!
//! Orders belong to the viewer who placed them (the viewer cookie or a member's login); another viewer gets 404.

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRef, Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use caravan::api::orders::PlaceOrderRequest;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{
    access::viewer::Identity,
    client_address::{ClientAddress, Family},
    commerce::{
        CommerceHttp,
        checkout::{PlaceOrder, Placed, placed},
    },
    error::AppError,
    extract::{MaybeViewer, Operator, Viewer},
    waiting_room::TOKEN_HEADER,
};

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

/// A refusal, like an order, goes out with the cookie of a viewer made by this request.
async fn place(
    State(state): State<CommerceHttp>,
    Viewer(viewer, new_viewer): Viewer,
    axum::Extension(client): axum::Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    state.address_limits.limit(Family::Orders, client)?;
    let key = idempotency_key(&headers)?;
    let request: PlaceOrderRequest = crate::hardening::json_body(&headers, &body, "order")?;
    let order = PlaceOrder {
        slug: request.slug,
        lines: request.lines,
        email: request.email,
        idempotency_key: key,
        request_hash: URL_SAFE_NO_PAD.encode(Sha256::digest(&body)),
        viewer_id: viewer.id,
        waiting_room_token: headers
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let response = match state.checkout.place(order).await {
        Ok(Placed::New(order)) => (StatusCode::CREATED, Json(order)).into_response(),
        Ok(Placed::Again(order)) => Json(order).into_response(),
        Err(refused) => refused.into_response(),
    };
    Ok((new_viewer, response).into_response())
}

/// The buyer's own order, with its lines and its moves.
async fn show(
    State(state): State<CommerceHttp>,
    MaybeViewer(viewer): MaybeViewer,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let order = state.checkout.own_order(viewer.as_ref(), &id).await?;
    let lines = state.store.order_lines(&id).await?;
    let moves = state.store.order_transitions(&id).await?;
    let mut body = serde_json::to_value(placed(&order)).map_err(|e| AppError::Internal(e.into()))?;
    body["lines"] = lines
        .iter()
        .map(|l| json!({ "productId": l.product_id, "title": l.title, "unitPrice": l.unit_price, "quantity": l.quantity }))
        .collect();
    body["history"] = moves
        .iter()
        .map(|m| json!({ "from": m.from_state, "to": m.to_state, "cause": m.cause }))
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
    let succeed = matches!(request.outcome, Outcome::Succeed);
    let order = state.checkout.pay_locally(viewer.as_ref(), &id, succeed).await?;
    Ok(Json(order).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FulfilRequest {
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    tracking_number: Option<String>,
}

/// The operator marks a paid order shipped (an empty body: no carrier or tracking number).
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
    let order = state
        .checkout
        .fulfil(&id, &[request.carrier, request.tracking_number])
        .await?;
    Ok(Json(order).into_response())
}
