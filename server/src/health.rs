use axum::{
    Json, Router,
    extract::{FromRef, State},
    routing::get,
};
use serde_json::{Value, json};

use crate::{error::AppError, store::Store};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Store: FromRef<S>,
{
    Router::new().route("/healthz", get(healthz))
}

/// `GET /healthz`: 200 `{"status":"ok"}` when the server and its database answer, 503 otherwise.
async fn healthz(State(store): State<Store>) -> Result<Json<Value>, AppError> {
    store.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}
