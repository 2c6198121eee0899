//! The app's data: typed GraphQL operations (their documents in `graphql/operations/` are checked against
//! `graphql/schema.graphql` at compile time by `graphql_client`), the HTTP transport for queries and mutations, and
//! the real-time link for subscriptions. Components call the functions re-exported here and see no transport.

mod client;
pub mod config;
#[cfg(feature = "console")]
pub mod console;
mod error;
mod models;
mod operations;
pub mod orders;
pub mod playback;
pub mod realtime;
pub mod refusal;
mod scalars;
pub mod waiting_room;

#[cfg(feature = "ssr")]
pub use client::GraphqlExecutor;
pub use config::{ClientConfig, ELEMENT_ID as CONFIG_ELEMENT_ID};
pub use error::ApiError;
pub use models::{
    Event, EventStatus, FeedPost, FeedSource, LikeTotal, Pickup, Product, ReplayPickup, StreamState, StreamStatus,
    Variant,
};
pub use operations::{
    LikeAnswer, OnPickupChanged, current_live_slug, feed, like, like_total, live_event, on_feed_post, on_like_count,
    on_pickup_changed, on_product_changed, on_stream_status, pickup, stream_status,
};
pub use refusal::{Refusal, RefusalCode};
