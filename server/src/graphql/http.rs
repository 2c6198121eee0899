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
use crate::{
    auth::{AuthError, Credentials},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/graphql", post(execute))
}

/// `POST /graphql`: a JSON GraphQL request, authorized as AppSync does (`x-api-key` or `Authorization`).
/// Unauthorized: 401 `UnauthorizedException`; a body that is not a GraphQL request: 400.
async fn execute(
    State(schema): State<CaravanSchema>,
    State(credentials): State<Credentials>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let caller = match credentials.from_headers(&headers) {
        Ok(caller) => caller,
        Err(refused) => return unauthorized(refused),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/graphql+json"));
    if !is_json {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "Content-Type must be application/json",
        );
    }
    match serde_json::from_slice::<async_graphql::Request>(&body) {
        Ok(request) => Json(super::execute(&schema, request, caller).await).into_response(),
        Err(e) => error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            &format!("invalid GraphQL request: {e}"),
        ),
    }
}

fn unauthorized(refused: AuthError) -> Response {
    error(StatusCode::UNAUTHORIZED, AuthError::ERROR_TYPE, &refused.to_string())
}

fn error(status: StatusCode, error_type: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "errors": [{ "errorType": error_type, "message": message }] })),
    )
        .into_response()
}
