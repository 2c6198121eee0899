//! Access to paid shows: CloudFront-compatible signed cookies (signing and the embedded gate's checking) and the key
//! that signs them.

pub mod cloudfront;
pub mod signing_key;
