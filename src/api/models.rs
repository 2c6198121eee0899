//! What components work with. Responses of every operation decode into these (fields by their GraphQL names), so
//! a product is the same type in the shop list, in the pick-up banner and in a live update.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub description: Option<String>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339, when the show has a planned end.
    #[serde(default)]
    pub ends_at: Option<String>,
    /// The live stream's HLS master playlist.
    pub live_url: Option<String>,
    /// The recording's HLS master playlist, played once the show has ended.
    pub archive_url: Option<String>,
    pub status: EventStatus,
    pub products: Vec<Product>,
    pub pickup: Option<Pickup>,
    #[serde(default)]
    pub likes: LikeTotal,
    /// The newest posts of the hashtag feed, newest first.
    #[serde(default)]
    pub feed: Vec<FeedPost>,
    /// Where its stream stands (the page follows it live).
    #[serde(default)]
    pub stream_status: StreamStatus,
    /// The pick-up banner's changes placed on its replay, in order (once it has ended with a recording).
    #[serde(default)]
    pub replay_pickups: Vec<ReplayPickup>,
}

/// A change of the pick-up banner, placed on the show's replay.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayPickup {
    pub product_id: Option<String>,
    pub visible: bool,
    /// Seconds from the replay's start.
    pub offset: f64,
}

/// Where a show's stream stands: what its page plays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStatus {
    pub state: StreamState,
    pub live_url: Option<String>,
    pub archive_url: Option<String>,
    /// RFC 3339: when the server last said (the newest wins).
    #[serde(default)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StreamState {
    /// Nothing is on air yet.
    Waiting,
    Live,
    /// Every encoder dropped before the end: back in a moment.
    Interrupted,
    Ended,
    /// Not said (a server without stream status), or a state this build does not know yet.
    #[default]
    #[serde(other)]
    Unknown,
}

impl StreamState {
    /// What the page's badge says of a show planned as `planned`: on air while its stream is (an interruption
    /// included), upcoming until it starts, ended once it has.
    pub fn show_status(self, planned: EventStatus) -> EventStatus {
        match self {
            StreamState::Live | StreamState::Interrupted => EventStatus::Live,
            StreamState::Waiting => EventStatus::Scheduled,
            StreamState::Ended => EventStatus::Ended,
            StreamState::Unknown => planned,
        }
    }
}

/// A post of the show's hashtag feed. Its text is plain text (`crate::feed_text` finds the links in it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedPost {
    pub id: String,
    pub source: FeedSource,
    pub text: String,
    pub author_name: String,
    pub author_handle: Option<String>,
    pub author_avatar_url: Option<String>,
    pub author_url: Option<String>,
    pub url: Option<String>,
    /// RFC 3339, UTC.
    pub posted_at: String,
    /// The operator hid it: take it away.
    pub hidden: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeedSource {
    X,
    Mastodon,
    /// The show's own post.
    Local,
    /// A source this build does not know yet.
    #[serde(other)]
    Unknown,
}

/// An event's like total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LikeTotal {
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventStatus {
    Scheduled,
    Live,
    Ended,
    /// A status this build does not know yet.
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Product {
    pub id: String,
    pub title: String,
    pub title_en: Option<String>,
    pub description: Option<String>,
    pub image_url: String,
    /// Tax included, in the currency's minor units.
    pub price: i64,
    pub currency: String,
    pub tax_rate_basis_points: i64,
    pub sold_out: bool,
    /// Sizes or colours, each with its own price and stock; empty for a product sold as one thing.
    #[serde(default)]
    pub variants: Vec<Variant>,
}

/// A variant of a product (a size, a colour).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variant {
    pub id: String,
    pub title: String,
    /// Tax included, in the product's currency's minor units.
    pub price: i64,
    pub sold_out: bool,
}

impl Product {
    /// The variant a buyer starts from: the first one on sale (or none for a product without variants).
    pub fn first_variant_on_sale(&self) -> Option<&Variant> {
        self.variants.iter().find(|v| !v.sold_out)
    }
}

#[cfg(test)]
impl Product {
    /// A product for unit tests: ¥100 at 10 %, on sale.
    pub fn sample(id: &str) -> Self {
        Product {
            id: id.into(),
            title: id.into(),
            title_en: None,
            description: None,
            image_url: String::new(),
            price: 100,
            currency: "JPY".into(),
            tax_rate_basis_points: 1000,
            sold_out: false,
            variants: Vec::new(),
        }
    }
}

/// The pick-up banner: what the operator presents now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pickup {
    pub event_id: String,
    pub visible: bool,
    /// RFC 3339; later changes have later values.
    pub updated_at: String,
    pub product: Option<Product>,
}

impl Pickup {
    /// The product to show, when the banner is visible.
    pub fn shown_product(&self) -> Option<&Product> {
        self.product.as_ref().filter(|_| self.visible)
    }

    /// Whether `other` is a later state than this one (deliveries and re-reads can cross).
    pub fn is_superseded_by(&self, other: &Pickup) -> bool {
        other.updated_at >= self.updated_at
    }
}
