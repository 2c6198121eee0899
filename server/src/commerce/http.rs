//! The commerce endpoints over HTTP.

pub mod catalog;
pub mod orders;
pub mod webhooks;
