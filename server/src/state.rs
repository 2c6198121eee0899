use axum::extract::FromRef;
use caravan::api::ClientConfig;
use leptos::config::LeptosOptions;

use axum::http::HeaderMap;

use crate::{
    auth::{Caller, Credentials},
    error::AppError,
    graphql::CaravanSchema,
    realtime::Realtime,
    session::Sessions,
    store::Store,
};

/// What handlers share. Each handler extracts only the part it needs (`State<Store>`, `State<CaravanSchema>`).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub store: Store,
    pub schema: CaravanSchema,
    pub credentials: Credentials,
    pub realtime: Realtime,
    /// Where pages find the API (rendered into every page).
    pub client: ClientConfig,
    pub sessions: Sessions,
    /// The media files served at `/media`.
    pub media_dir: std::path::PathBuf,
    /// Playback authorization, signed cookies and the media gate.
    pub access: crate::access::AccessState,
    /// Checkout providers and their webhooks.
    pub commerce: crate::commerce::CommerceState,
    /// The hashtag feed's posts and the pages viewers read.
    pub feed: crate::feed::Feed,
    /// Queue numbers and tokens for checkout in a rush.
    pub waiting_room: crate::waiting_room::WaitingRoom,
    /// Where a request's client address comes from.
    pub addresses: crate::client_address::AddressPolicy,
    /// What one client address may do per minute without an account.
    pub address_limits: crate::client_address::AddressLimits,
}

impl AppState {
    /// Takes one of `family` from the client's per-address budget; 429 with the wait when it is spent.
    pub fn limit_address(
        &self,
        family: crate::client_address::Family,
        client: crate::client_address::ClientAddress,
    ) -> Result<(), AppError> {
        self.address_limits
            .check(family, client.0, std::time::Instant::now())
            .map_err(AppError::TooManyRequests)
    }

    /// Whether the request is the operator's (the token in `Authorization`, or the console's session cookie);
    /// `AppError::Unauthorized` otherwise.
    pub fn require_operator(&self, headers: &HeaderMap) -> Result<(), AppError> {
        if self.credentials.from_headers(headers) == Ok(Caller::Operator) || self.sessions.operator_in(headers) {
            Ok(())
        } else {
            Err(AppError::Unauthorized)
        }
    }
}
