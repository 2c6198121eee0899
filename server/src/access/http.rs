//! The access endpoints over HTTP.

pub mod playback;
