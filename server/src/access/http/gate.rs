//! The media gate in front of the media files (`access::gate` decides).

use std::net::Ipv4Addr;

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::AccessHttp;
use crate::{access::gate::admit, client_address::ClientAddress};

pub async fn guard(State(state): State<AccessHttp>, request: Request, next: Next) -> Response {
    let viewer_ip = client_ipv4(&request);
    match admit(&state.store, &state.access, request.uri(), request.headers(), viewer_ip).await {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// The viewer's IPv4 address (`client_address` has made an IPv4-mapped one plain); others match no address
/// condition, as with CloudFront.
fn client_ipv4(request: &Request) -> Ipv4Addr {
    match request.extensions().get::<ClientAddress>().map(|client| client.0) {
        Some(std::net::IpAddr::V4(ip)) => ip,
        _ => Ipv4Addr::UNSPECIFIED,
    }
}
