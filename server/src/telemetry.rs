//! Logging: one span per request (method, matched route, request id, client address), then the work inside it.

use std::{io::IsTerminal, time::Duration};

use axum::{extract::MatchedPath, http::Request};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing::{Level, Span};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. `RUST_LOG` wins over the configured filter.
pub fn init(default_filter: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    // A second init (tests that build several apps) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stdout().is_terminal())
        .try_init();
}

/// Adds the request id (`x-request-id`, made when the client sent none, echoed in the response) and the per-request
/// span. Only the path is logged, never the query string: realtime clients put credentials there.
pub fn layer(router: axum::Router) -> axum::Router {
    router
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map(MatchedPath::as_str)
                        .unwrap_or("");
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    // `client` is filled in by `client_address::identify`.
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        path = request.uri().path(),
                        route,
                        id,
                        client = tracing::field::Empty
                    )
                })
                .on_request(())
                .on_response(|response: &axum::response::Response, latency: Duration, _span: &Span| {
                    tracing::event!(Level::INFO, status = response.status().as_u16(), ?latency, "served");
                }),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
