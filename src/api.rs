//! Typed GraphQL operations (checked against `graphql/schema.graphql` at compile time by `graphql_client`) and the
//! one transport components use. Components call the functions re-exported here and never see the transport.

mod client;
mod error;
mod live_event;
mod live_events;
mod scalars;

#[cfg(feature = "ssr")]
pub use client::GraphqlExecutor;
pub use error::ApiError;
pub use live_event::{Event, EventStatus, Product, live_event};
pub use live_events::current_live_slug;
