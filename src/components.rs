//! One component per file; a folder per feature.

mod cart;
mod connection_indicator;
#[cfg(feature = "console")]
pub(crate) mod console;
mod error_notice;
mod hashtag_feed;
mod like_button;
mod pickup_banner;
mod player;
mod preference_switches;
mod product_carousel;
mod product_picture;
mod share_meta;
mod shop;
mod show_header;
mod side_panel;
mod waiting_room_overlay;

pub use cart::{AddToCart, CartButton, CartSheet};
pub use connection_indicator::ConnectionIndicator;
#[cfg(feature = "console")]
pub use console::{ConsoleLogin, ConsolePanel};
pub use error_notice::ErrorNotice;
pub use hashtag_feed::HashtagFeed;
pub use like_button::LikeButton;
pub use pickup_banner::{PickupBanner, product_anchor};
pub use player::{Player, PlayerActions, Programme};
pub use preference_switches::PreferenceSwitches;
pub use product_carousel::{ProductCard, ProductCarousel};
pub use product_picture::ProductPicture;
pub use share_meta::ShareMeta;
pub use shop::Shop;
pub use show_header::ShowHeader;
pub use side_panel::SidePanel;
pub use waiting_room_overlay::WaitingRoomOverlay;
