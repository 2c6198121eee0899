//! Selling during the show: orders (`orders`: placing, the local test provider's payment, the buyer's view) and what
//! runs after a payment (`pipeline`: restart-safe steps as durable jobs).

pub mod orders;
pub mod pipeline;
