//! Caravan's Leptos app: the live-commerce page.
//!
//! The same crate is built three ways (see `Cargo.toml` features): `ssr` inside `caravan-server`, `hydrate` as the
//! WebAssembly bundle that brings server-rendered pages to life, and `csr` for designers' `trunk serve`.
// Leptos views are nested types; the cart sheet (lines, totals, checkout) is deeper than the default limit of 128
// allows when the release build lays out its hydration future.
#![recursion_limit = "256"]

// Server-rendered HTML and the hydrate bundle must be built alike (see `.cargo/config.toml`).
#[cfg(not(erase_components))]
compile_error!("build with `--cfg erase_components` (.cargo/config.toml sets it; a RUSTFLAGS variable replaces it)");

pub mod api;
pub mod app;
#[cfg(feature = "browser")]
pub mod bindings;
pub mod components;
pub mod feed_text;
pub mod format;
pub mod hooks;
pub mod i18n;
pub mod images;
pub mod money;
pub mod preferences;
pub mod routes;
#[cfg(any(feature = "browser", test))]
pub mod scheduler;
pub mod share;

pub use app::{App, shell};

/// Entry point of the hydrate bundle, called by the script that `HydrationScripts` puts in the page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    scheduler::install();
    leptos::mount::hydrate_body(App);
}
