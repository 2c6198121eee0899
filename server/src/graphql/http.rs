use axum::{
    Json, Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

use super::CaravanSchema;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/graphql", post(execute))
}

/// `POST /graphql`: a JSON GraphQL request. A body that is not one gets 400 with a GraphQL-shaped error.
async fn execute(State(schema): State<CaravanSchema>, headers: HeaderMap, body: Bytes) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/graphql+json")
        });
    if !is_json {
        return bad_request("Content-Type must be application/json".into());
    }
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => Json(schema.execute(request).await).into_response(),
        Err(e) => bad_request(format!("invalid GraphQL request: {e}")),
    }
}

fn bad_request(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "errors": [{ "errorType": "BadRequestException", "message": message }] })),
    )
        .into_response()
}
