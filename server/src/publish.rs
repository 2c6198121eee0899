//! The publishing port: what the capabilities tell open pages, as typed announcements. The real-time hub delivers
//! them to subscribers (`realtime::Hub` implements [`Publish`]); a capability holds a [`Publisher`] and never names
//! the hub. Each announcement is the result of the AppSync mutation its subscription field listens to (`@aws_subscribe`
//! in `graphql/schema.graphql`), so the same pages run against AppSync, where the back office calls those mutations.

use std::sync::Arc;

use serde_json::Value;

use crate::store::{FeedPostRecord, LikeRecord, PickupRecord, ProductRecord, StreamStatusRecord};

/// The mutations whose results pages subscribe to.
pub const SET_PICKUP: &str = "setPickup";
pub const PUBLISH_PRODUCT: &str = "publishProduct";
pub const PUBLISH_LIKE_COUNT: &str = "publishLikeCount";
pub const POST_FEED: &str = "postFeed";
pub const HIDE_FEED_POST: &str = "hideFeedPost";
pub const PUBLISH_FEED_POST: &str = "publishFeedPost";
pub const PUBLISH_STREAM_STATUS: &str = "publishStreamStatus";

/// How a feed post came to be announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedChange {
    /// The operator posted it.
    Posted,
    /// A moderator hid it.
    Hidden,
    /// Polled from X or Mastodon, or sent again.
    Published,
}

/// What a capability tells open pages.
#[derive(Debug, Clone)]
pub enum Announcement {
    /// A show's picked-up product changed (or was put away).
    Pickup(PickupRecord),
    /// A product as it is now: price, stock, sold out.
    Product(ProductRecord),
    /// A show's like total.
    LikeCount(LikeRecord),
    /// A post of a show's feed.
    FeedPost(FeedChange, FeedPostRecord),
    /// Where a show's stream stands, with its readings.
    StreamStatus(StreamStatusRecord),
}

impl Announcement {
    /// The mutation this is the result of.
    pub fn mutation(&self) -> &'static str {
        match self {
            Self::Pickup(_) => SET_PICKUP,
            Self::Product(_) => PUBLISH_PRODUCT,
            Self::LikeCount(_) => PUBLISH_LIKE_COUNT,
            Self::FeedPost(FeedChange::Posted, _) => POST_FEED,
            Self::FeedPost(FeedChange::Hidden, _) => HIDE_FEED_POST,
            Self::FeedPost(FeedChange::Published, _) => PUBLISH_FEED_POST,
            Self::StreamStatus(_) => PUBLISH_STREAM_STATUS,
        }
    }

    /// The result as the subscription field reads it.
    pub fn payload(&self) -> serde_json::Result<Value> {
        match self {
            Self::Pickup(record) => serde_json::to_value(record),
            Self::Product(record) => serde_json::to_value(record),
            Self::LikeCount(record) => serde_json::to_value(record),
            Self::FeedPost(_, record) => serde_json::to_value(record),
            Self::StreamStatus(record) => serde_json::to_value(record),
        }
    }
}

/// Something that delivers announcements (the real-time hub). Returns at once: delivery never delays the caller.
pub trait Publish: Send + Sync + 'static {
    fn publish(&self, announcement: Announcement);
}

/// A function delivers too (a test that notes what was announced).
impl<F: Fn(Announcement) + Send + Sync + 'static> Publish for F {
    fn publish(&self, announcement: Announcement) {
        self(announcement);
    }
}

/// The port the capabilities hold.
#[derive(Clone)]
pub struct Publisher(Arc<dyn Publish>);

impl Publisher {
    pub fn new(delivery: impl Publish) -> Self {
        Self(Arc::new(delivery))
    }

    pub fn publish(&self, announcement: Announcement) {
        self.0.publish(announcement);
    }
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Publisher")
    }
}
