//! The server's HTTP error type. Every variant documents what the client sees. Every body is a
//! [`caravan::api::Refusal`] (`{"error": "not found", "code": "not_found"}`): the type the page reads it with, so a
//! code cannot drift between the two. 5xx bodies never carry the cause, which goes to the log inside the request's
//! span.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use caravan::api::{Refusal, RefusalCode};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400 with `{"error": "<message>"}`: the request could not be understood; the message says why.
    #[error("{0}")]
    BadRequest(String),
    /// 401 with `{"error": "unauthorized"}`: the operator's token or session, or the viewer's session where one is
    /// needed (license requests), is missing or wrong.
    #[error("unauthorized")]
    Unauthorized,
    /// 404 with `{"error": "not found"}`.
    #[error("not found")]
    NotFound,
    /// 413 with `{"error": "the body is larger than <n> bytes"}`.
    #[error("body over {0} bytes")]
    PayloadTooLarge(usize),
    /// 415 with `{"error": "the body must be JSON (Content-Type: application/json)"}`.
    #[error("not JSON")]
    NotJson,
    /// 429 with `{"error": "too many requests; try again in <n> s"}` and `Retry-After`.
    #[error("rate limited")]
    TooManyRequests(std::time::Duration),
    /// 502 with `{"error": "<message>"}`: a server we call (a DRM license server) failed; the message is ours, never
    /// the other server's words.
    #[error("bad gateway: {0}")]
    BadGateway(String),
    /// 504 with `{"error": "<message>"}`: a server we call did not answer in time.
    #[error("gateway timeout: {0}")]
    GatewayTimeout(String),
    /// 503 with `{"error": "unavailable"}`: a dependency (the database) does not answer.
    #[error("unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// 500 with `{"error": "internal server error"}`; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(#[from] anyhow::Error),
    /// A refusal with what is true now (a checkout's 409, the waiting room's 403, …), at its status.
    #[error("{}", .1.message)]
    Refused(StatusCode, Box<Refusal>),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            AppError::GatewayTimeout(_) => StatusCode::GATEWAY_TIMEOUT,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Refused(status, _) => *status,
        }
    }

    /// A refusal at `status`.
    pub fn refused(status: StatusCode, refusal: Refusal) -> Self {
        AppError::Refused(status, Box::new(refusal))
    }

    /// The body's `code`: what a client branches on (the `error` text is for people).
    pub fn code(&self) -> RefusalCode {
        match self {
            AppError::BadRequest(_) => RefusalCode::BadRequest,
            AppError::Unauthorized => RefusalCode::Unauthorized,
            AppError::NotFound => RefusalCode::NotFound,
            AppError::PayloadTooLarge(_) => RefusalCode::PayloadTooLarge,
            AppError::NotJson => RefusalCode::UnsupportedMediaType,
            AppError::TooManyRequests(_) => RefusalCode::RateLimited,
            AppError::BadGateway(_) => RefusalCode::BadGateway,
            AppError::GatewayTimeout(_) => RefusalCode::GatewayTimeout,
            AppError::Unavailable(_) => RefusalCode::Unavailable,
            AppError::Internal(_) => RefusalCode::Internal,
            AppError::Refused(_, refusal) => refusal.code,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            AppError::TooManyRequests(wait) => Some(wait.as_secs() + 1),
            _ => None,
        };
        if let AppError::Refused(status, refusal) = self {
            return (status, Json(*refusal)).into_response();
        }
        let message = match &self {
            AppError::BadRequest(message) | AppError::BadGateway(message) | AppError::GatewayTimeout(message) => {
                message.clone()
            }
            AppError::Unauthorized => "unauthorized".into(),
            AppError::NotFound => "not found".into(),
            AppError::PayloadTooLarge(limit) => format!("the body is larger than {limit} bytes"),
            AppError::NotJson => "the body must be JSON (Content-Type: application/json)".into(),
            AppError::TooManyRequests(_) => {
                format!("too many requests; try again in {} s", retry_after.unwrap_or(1))
            }
            AppError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable");
                "unavailable".into()
            }
            AppError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                "internal server error".into()
            }
            AppError::Refused(_, refusal) => refusal.message.clone(),
        };
        let mut response = (status, Json(Refusal::new(self.code(), message))).into_response();
        if let Some(seconds) = retry_after
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        response
    }
}

/// The database does not answer: 503 (the cause is logged, never sent).
impl From<crate::store::StoreError> for AppError {
    fn from(error: crate::store::StoreError) -> Self {
        AppError::Unavailable(error.into())
    }
}

/// Turns a failure inside a GraphQL resolver into the opaque error clients see, logging the cause.
/// (async-graphql converts any `Display` error with `?`, which would send database details to clients.)
pub trait OrInternal<T> {
    fn or_internal(self) -> async_graphql::Result<T>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self) -> async_graphql::Result<T> {
        self.map_err(|cause| {
            tracing::error!(error = %cause, "GraphQL resolver failed");
            async_graphql::Error::new("Internal server error")
        })
    }
}
