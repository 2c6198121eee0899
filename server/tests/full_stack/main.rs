//! The server's full-stack tests, one module per area, linked into one test binary: one link of the server instead
//! of one per file, and one process whose test servers share a runtime (see `support`).
//! `cargo test -p caravan-server --test full_stack <area>::` runs one area.

mod support;

mod access;
mod address_limits;
mod analytics;
mod assets;
mod auth;
mod backup;
mod catalog_live;
mod cloudfront_cookies;
mod connections;
mod console;
mod docs;
mod feed;
mod first_run;
mod graphql;
mod graphql_limits;
mod health;
mod ingest;
mod license_proxy;
mod likes;
mod likes_crash;
mod live_page;
mod media;
mod media_store;
mod oidc;
mod orders;
mod pickup;
mod pipeline_crash;
mod realtime_appsync;
mod realtime_transport_ws;
mod rental_reminders;
mod replicas;
mod rooms;
mod schema;
mod shopify;
mod stripe_checkout;
mod waiting_room;
mod webhooks;
