//! Raw `#[wasm_bindgen]` declarations of JavaScript libraries the page loads. Only hooks use them.

pub mod hls;
pub mod stripe;
