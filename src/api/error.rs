use serde::{Deserialize, Serialize};

/// Why a GraphQL operation gave no data. It travels inside resources from the server to the hydrating browser, so it
/// is serializable and carries only messages safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ApiError {
    /// The request got no answer: offline, server down, or the page moved on and aborted it.
    #[error("could not reach the server: {0}")]
    Network(String),
    /// The server answered with GraphQL errors (messages joined with "; ").
    #[error("{0}")]
    Graphql(String),
    /// The server refused the request (a REST endpoint's refusal body; the page words it from its code).
    #[error("{}", .0.message)]
    Refused(Box<crate::api::Refusal>),
    /// The answer was not the JSON the operation expects.
    #[error("unexpected answer from the server: {0}")]
    Decode(String),
}
