//! Media: the demo's streams, made on this machine, and the `/media` files.
//!
//! In demo mode the server runs ffmpeg as a supervised child process writing a live stream (`live`), and makes the
//! on-demand recording and its ClearKey-encrypted variant once (`demo_vod`).

mod demo_vod;
pub mod http;
mod live;

pub use demo_vod::{ContentKey, DemoVod, MediaError};
pub use live::supervise_demo_live;

pub use crate::store::{DEMO_ARCHIVE, DEMO_CLEARKEY, DEMO_LIVE, demo_url};
