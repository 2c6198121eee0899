use axum::{
    Json, Router,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRef, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::post,
};
use serde_json::json;

use super::{CaravanSchema, ClientKey};
use crate::{
    access::viewer::{Identity, identify},
    auth::{AuthError, Credentials},
    client_address::{AddressLimits, ClientAddress},
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CaravanSchema: FromRef<S>,
    Credentials: FromRef<S>,
    Identity: FromRef<S>,
    AddressLimits: FromRef<S>,
{
    Router::new()
        .route("/graphql", post(execute))
        .layer(DefaultBodyLimit::max(super::limits::MAX_REQUEST_BYTES))
}

/// `POST /graphql`: a JSON GraphQL request, authorized as AppSync does (`x-api-key` or `Authorization`), with who
/// sent it (`ClientKey`) for per-viewer limits.
/// Unauthorized: 401 `UnauthorizedException`; a body that is not a GraphQL request: 400; a body over
/// [`super::limits::MAX_REQUEST_BYTES`]: 413 `PayloadTooLarge`.
async fn execute(
    State(identity): State<Identity>,
    State(limits): State<AddressLimits>,
    State(schema): State<CaravanSchema>,
    State(credentials): State<Credentials>,
    axum::Extension(client_address): axum::Extension<ClientAddress>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let caller = match credentials.from_headers(&headers) {
        Ok(caller) => caller,
        Err(refused) => return unauthorized(refused),
    };
    let request = match graphql_request(&headers, body) {
        Ok(request) => request,
        Err((status, error_type, message)) => return error(status, error_type, &message),
    };
    // Per-viewer limits (likes) key on the viewer's cookie, else on the address.
    let viewer = identify(&identity, &headers).await.ok().flatten();
    let client = ClientKey(viewer.map_or_else(|| client_address.0.to_string(), |viewer| viewer.id));
    let request = request.data(client).data(client_address).data(limits);
    Json(super::execute(&schema, request, caller).await).into_response()
}

/// The GraphQL request of a body: JSON (`application/json` or `application/graphql+json`) within
/// [`super::limits::MAX_REQUEST_BYTES`]; otherwise the error to answer: its status, `errorType` and message (400, or
/// 413 `PayloadTooLarge`).
fn graphql_request(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<async_graphql::Request, (StatusCode, &'static str, String)> {
    let body = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let message = format!("the request is over {} KiB", super::limits::MAX_REQUEST_BYTES / 1024);
            return Err((StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", message));
        }
        Err(rejection) => return Err((rejection.status(), "BadRequestException", rejection.body_text())),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("application/graphql+json"));
    if !is_json {
        let message = "Content-Type must be application/json".to_owned();
        return Err((StatusCode::BAD_REQUEST, "BadRequestException", message));
    }
    serde_json::from_slice::<async_graphql::Request>(&body).map_err(|e| {
        let message = format!("invalid GraphQL request: {e}");
        (StatusCode::BAD_REQUEST, "BadRequestException", message)
    })
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
