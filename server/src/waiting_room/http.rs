//! The waiting room's endpoints. The viewers' ones keep the AWS solution's paths and JSON (under `/waiting-room/`),
//! so its clients and load tests work against them:
//! - `POST /waiting-room/assign_queue_num` `{event_id}` → `{api_request_id, queue_number, entry_time, event_id}`
//!   (AWS answers the number later, through `queue_num`; here it is given at once). A viewer who holds a place gets
//!   it back. 409 `not_armed` when the room is not open.
//! - `GET /waiting-room/queue_num?event_id&request_id` → `{entry_time, queue_number, event_id, status}`, status
//!   `waiting`, `served`, `expired`, `completed` or `abandoned`.
//! - `GET /waiting-room/serving_num?event_id` → `{serving_counter}`; `GET /waiting-room/waiting_num?event_id` →
//!   `{waiting_num}`.
//! - `POST /waiting-room/generate_token` `{event_id, request_id}` → the tokens; 202 before the counter reaches the
//!   place, 410 once it lapsed, 404 for a place that is not the caller's.
//! - `GET /waiting-room/public_key?event_id` → the RS256 key as a JWK.
//! - `GET /waiting-room/queue_pos_expiry?event_id&request_id` → `{expires_in}`: seconds left to claim a served place
//!   (410 once lapsed).
//! - `POST /waiting-room/update_session` `{event_id, request_id, status: -1}`: the viewer leaves the queue.
//!
//! The operator's (its token or console session):
//! - `GET /api/admin/waiting-room/{event_id}` → the room and its counts; `PUT` `{armed, inlet, inlet_size}` sets it.
//! - `POST /api/admin/waiting-room/{event_id}/increment_serving_counter` `{increment_by}` → `{serving_num}`.
//! - `POST /api/admin/waiting-room/{event_id}/reset`: no places, counters at 0.
//!
//! A place belongs to the viewer who took it (the viewer cookie or a member's login).

use crate::waiting_room::WaitingRoomHttp;
use crate::{access::viewer::Identity, extract::Operator};
use axum::{
    Json, Router,
    extract::FromRef,
    extract::{Path, Query, State, rejection::QueryRejection},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use caravan::api::{Refusal, RefusalCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::{
    access::viewer::identify,
    error::AppError,
    extract::Viewer,
    hardening::json_body,
    store::{Inlet, PlaceState, PositionRecord, RoomSettings},
    waiting_room::MAX_INLET,
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    WaitingRoomHttp: FromRef<S>,
    Identity: FromRef<S>,
{
    Router::new()
        .route("/waiting-room/assign_queue_num", post(assign_queue_num))
        .route("/waiting-room/queue_num", get(queue_num))
        .route("/waiting-room/serving_num", get(serving_num))
        .route("/waiting-room/waiting_num", get(waiting_num))
        .route("/waiting-room/generate_token", post(generate_token))
        .route("/waiting-room/public_key", get(public_key))
        .route("/waiting-room/queue_pos_expiry", get(queue_pos_expiry))
        .route("/waiting-room/update_session", post(update_session))
        .route("/api/admin/waiting-room/{event_id}", get(room).put(configure))
        .route(
            "/api/admin/waiting-room/{event_id}/increment_serving_counter",
            post(increment_serving_counter),
        )
        .route("/api/admin/waiting-room/{event_id}/reset", post(reset))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    event_id: String,
}

#[derive(Debug, Deserialize)]
struct EventQuery {
    event_id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceBody {
    event_id: String,
    request_id: String,
}

#[derive(Debug, Deserialize)]
struct PlaceQuery {
    event_id: String,
    request_id: String,
}

/// The query's parameters, or a 400 in JSON like every other refusal (axum's own is plain text).
fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, AppError> {
    query
        .map(|Query(query)| query)
        .map_err(|e| AppError::BadRequest(e.body_text()))
}

fn refusal(status: StatusCode, code: RefusalCode, message: &str) -> Response {
    AppError::refused(status, Refusal::new(code, message)).into_response()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

async fn assign_queue_num(
    State(state): State<WaitingRoomHttp>,
    Viewer(viewer, new_viewer): Viewer,
    axum::Extension(client): axum::Extension<crate::client_address::ClientAddress>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    // A fresh cookie per call would otherwise put any number of places ahead of real buyers.
    state
        .address_limits
        .limit(crate::client_address::Family::WaitingRoom, client)?;
    let EventBody { event_id } = json_body(&headers, &body, "request")?;
    let response = match state.rooms.join(&event_id, &viewer.id, Utc::now()).await {
        Ok(place) => Json(json!({
            "api_request_id": place.request_id,
            "queue_number": place.queue_number,
            "entry_time": rfc3339(place.entered_at),
            "event_id": place.event_id,
        }))
        .into_response(),
        Err(refused) => refused.into_response(),
    };
    Ok((new_viewer, response).into_response())
}

/// The caller's place `request_id` of `event_id`; 404 when there is none, or it is another viewer's.
async fn own_place(
    state: &WaitingRoomHttp,
    headers: &HeaderMap,
    event_id: &str,
    request_id: &str,
) -> Result<PositionRecord, AppError> {
    let viewer = identify(&state.identity, headers).await?.ok_or(AppError::NotFound)?;
    let place = state.store.waiting_position(event_id, request_id).await?;
    place.filter(|p| p.viewer_id == viewer.id).ok_or(AppError::NotFound)
}

async fn queue_num(
    State(state): State<WaitingRoomHttp>,
    headers: HeaderMap,
    place_query: Result<Query<PlaceQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query(place_query)?;
    let place = own_place(&state, &headers, &query.event_id, &query.request_id).await?;
    Ok(Json(json!({
        "entry_time": rfc3339(place.entered_at),
        "queue_number": place.queue_number,
        "event_id": place.event_id,
        "status": place.status(Utc::now(), state.rooms.room.lifetimes).as_str(),
    }))
    .into_response())
}

async fn serving_num(
    State(state): State<WaitingRoomHttp>,
    event_query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query(event_query)?;
    let room = state
        .store
        .waiting_room(&query.event_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(json!({ "serving_counter": room.serving_counter })).into_response())
}

async fn waiting_num(
    State(state): State<WaitingRoomHttp>,
    event_query: Result<Query<EventQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query(event_query)?;
    let waiting = state.store.waiting_count(&query.event_id).await?;
    Ok(Json(json!({ "waiting_num": waiting })).into_response())
}

async fn generate_token(
    State(state): State<WaitingRoomHttp>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let PlaceBody { event_id, request_id } = json_body(&headers, &body, "request")?;
    let place = own_place(&state, &headers, &event_id, &request_id).await?;
    Ok(Json(state.rooms.tokens(&place, Utc::now()).await?).into_response())
}

async fn public_key(State(state): State<WaitingRoomHttp>) -> Response {
    Json(state.rooms.room.jwk().clone()).into_response()
}

async fn queue_pos_expiry(
    State(state): State<WaitingRoomHttp>,
    headers: HeaderMap,
    place_query: Result<Query<PlaceQuery>, QueryRejection>,
) -> Result<Response, AppError> {
    let query = query(place_query)?;
    let place = own_place(&state, &headers, &query.event_id, &query.request_id).await?;
    let now = Utc::now();
    if !place.live(now, state.rooms.room.lifetimes) {
        return Ok(refusal(
            StatusCode::GONE,
            RefusalCode::Expired,
            "this place has lapsed: take a new number",
        ));
    }
    // A place still waiting has its whole claim period ahead of it.
    let expires_in = place
        .claim_by(state.rooms.room.lifetimes)
        .map_or(state.rooms.room.lifetimes.position, |by| by - now);
    Ok(Json(json!({ "expires_in": expires_in.num_seconds().max(0) })).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    event_id: String,
    request_id: String,
    status: i64,
}

async fn update_session(
    State(state): State<WaitingRoomHttp>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let SessionBody {
        event_id,
        request_id,
        status,
    } = json_body(&headers, &body, "request")?;
    if status != -1 {
        return Err(AppError::BadRequest(
            "status -1 leaves the queue (a place is completed by its order)".into(),
        ));
    }
    own_place(&state, &headers, &event_id, &request_id).await?;
    let left = state
        .store
        .finish_waiting_position(&event_id, &request_id, PlaceState::Abandoned)
        .await?;
    Ok(Json(json!({ "event_id": event_id, "request_id": request_id, "left": left })).into_response())
}

async fn room(
    _: Operator,
    State(state): State<WaitingRoomHttp>,
    Path(event_id): Path<String>,
) -> Result<Response, AppError> {
    room_answer(&state, &event_id).await
}

async fn room_answer(state: &WaitingRoomHttp, event_id: &str) -> Result<Response, AppError> {
    let room = state.store.waiting_room(event_id).await?.ok_or(AppError::NotFound)?;
    let waiting = state.store.waiting_count(event_id).await?;
    let in_checkout = state
        .store
        .in_checkout(event_id, Utc::now(), state.rooms.room.lifetimes)
        .await?;
    Ok(Json(json!({
        "event_id": room.event_id,
        "armed": room.armed,
        "inlet": room.inlet,
        "inlet_size": room.inlet_size,
        "serving_counter": room.serving_counter,
        "last_number": room.last_number,
        "waiting_num": waiting,
        "active_tokens": in_checkout,
    }))
    .into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigureBody {
    armed: bool,
    #[serde(default = "manual")]
    inlet: Inlet,
    #[serde(default)]
    inlet_size: i64,
}

fn manual() -> Inlet {
    Inlet::Manual
}

async fn configure(
    _: Operator,
    State(state): State<WaitingRoomHttp>,
    headers: HeaderMap,
    Path(event_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let request: ConfigureBody = json_body(&headers, &body, "request")?;
    let settings = RoomSettings {
        armed: request.armed,
        inlet: request.inlet,
        inlet_size: request.inlet_size,
    };
    state.rooms.configure(&event_id, settings, Utc::now()).await?;
    room_answer(&state, &event_id).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IncrementBody {
    increment_by: i64,
}

async fn increment_serving_counter(
    _: Operator,
    State(state): State<WaitingRoomHttp>,
    headers: HeaderMap,
    Path(event_id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let IncrementBody { increment_by } = json_body(&headers, &body, "request")?;
    if !(-MAX_INLET..=MAX_INLET).contains(&increment_by) {
        return Err(AppError::BadRequest(format!(
            "increment_by is -{MAX_INLET} to {MAX_INLET}"
        )));
    }
    let counter = state
        .store
        .advance_serving_counter(&event_id, increment_by, Utc::now())
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(json!({ "serving_num": counter })).into_response())
}

async fn reset(
    _: Operator,
    State(state): State<WaitingRoomHttp>,
    Path(event_id): Path<String>,
) -> Result<Response, AppError> {
    state.store.reset_waiting_room(&event_id, Utc::now()).await?;
    room_answer(&state, &event_id).await
}
