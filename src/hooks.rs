//! Browser APIs behind leptos-use-shaped hooks; each is inert during server rendering.

mod use_cart;
mod use_catalog;
mod use_embed;
mod use_feed;
mod use_hls;
mod use_likes;
mod use_live_subscription;
mod use_pickup;
mod use_playback_analytics;
mod use_playback_authorization;
mod use_replay;
mod use_stream_status;
mod use_stripe_elements;
mod use_swipe;
mod use_waiting_room;

pub use use_cart::{Cart, CartLine, MAX_QUANTITY, provide_cart, use_cart};
pub use use_catalog::use_catalog;
pub use use_embed::{EmbedHost, PlayerSlot, provide_embed, use_embed_host};
pub use use_feed::{UseFeed, use_feed};
pub use use_hls::{Backend, Failure, HlsSource, Phase, QualityLevel, UseHls, use_hls};
pub use use_likes::{UseLikes, use_likes};
pub use use_live_subscription::{UseLiveSubscriptionReturn, use_live_subscription};
pub use use_pickup::{provide_pickup, provide_still_pickup, use_picked_up_id, use_pickup};
pub use use_playback_analytics::use_playback_analytics;
pub use use_playback_authorization::{Authorization, UsePlaybackAuthorization, use_playback_authorization};
pub use use_replay::{ReplayClock, ReplayMoments, provide_replay};
pub use use_stream_status::use_stream_status;
pub use use_stripe_elements::{UseStripeElements, use_stripe_elements};
pub use use_swipe::{UseSwipe, use_swipe};
pub use use_waiting_room::{Queue, WaitingRoom, provide_waiting_room, use_waiting_room};
