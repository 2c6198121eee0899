//! Rust types for the custom scalars the operations use (the code generator looks them up here).

/// An RFC 3339 timestamp (AppSync's `AWSDateTime`).
pub type AWSDateTime = String;
