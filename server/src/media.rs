//! Media: the demo's streams, made on this machine, and `/media`.
//!
//! In demo mode the server broadcasts the demo's live show into its own ingest (`live`), and makes the on-demand
//! recording and its ClearKey-encrypted variant once (`demo_vod`).

mod demo_vod;
pub mod http;
mod live;

pub use demo_vod::{ContentKey, DemoVod, MediaError};
pub use live::broadcast_demo;

pub use crate::store::{DEMO_ARCHIVE, DEMO_CLEARKEY};
