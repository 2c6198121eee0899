//! The access endpoints over HTTP: playback authorization (`playback`), the license servers (`drm`: ClearKey built
//! in, the proxy to the vendors'), the media gate in front of the media files (`gate`), and members' sign-in
//! (`login`).

pub mod clearkey;
pub mod drm;
pub mod gate;
pub mod login;
pub mod playback;

use axum::{Router, extract::FromRef};

use super::{AccessState, viewer::Identity};

/// What the access endpoints need (given by the root).
#[derive(Clone)]
pub struct AccessHttp {
    pub store: crate::store::Store,
    pub access: AccessState,
    pub sessions: crate::session::Sessions,
    pub identity: Identity,
    pub address_limits: crate::client_address::AddressLimits,
}

/// Every access endpoint but the gate, which goes in front of the media files (`media::http`).
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    AccessHttp: FromRef<S>,
    Identity: FromRef<S>,
{
    playback::router().merge(drm::router()).merge(login::router())
}
