use axum::extract::FromRef;
use caravan::api::ClientConfig;
use leptos::config::LeptosOptions;

use crate::{
    access::{http::AccessHttp, viewer::Identity},
    auth::Credentials,
    commerce::CommerceHttp,
    graphql::CaravanSchema,
    realtime::Realtime,
    session::Sessions,
    store::Store,
    waiting_room::WaitingRoomHttp,
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
    /// The media served at `/media` (the local disk or an object store).
    pub media: crate::media_store::MediaStore,
    /// Playback authorization, signed cookies and the media gate.
    pub access: crate::access::AccessState,
    /// Checkout providers and their webhooks.
    pub commerce: crate::commerce::CommerceState,
    /// The hashtag feed's posts and the pages viewers read.
    pub feed: crate::feed::Feed,
    /// Queue numbers and tokens for checkout in a rush.
    pub waiting_room: crate::waiting_room::WaitingRoom,
    /// Placing and paying orders (asks the waiting room whom it admits).
    pub checkout: crate::commerce::checkout::Checkout,
    /// Where a request's client address comes from.
    pub addresses: crate::client_address::AddressPolicy,
    /// What one client address may do per minute without an account.
    pub address_limits: crate::client_address::AddressLimits,
    /// Who is asking (the extractors of `crate::extract`).
    pub identity: Identity,
}

impl FromRef<AppState> for AccessHttp {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            access: state.access.clone(),
            sessions: state.sessions.clone(),
            identity: state.identity.clone(),
            address_limits: state.address_limits.clone(),
        }
    }
}

impl FromRef<AppState> for CommerceHttp {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            commerce: state.commerce.clone(),
            checkout: state.checkout.clone(),
            identity: state.identity.clone(),
            address_limits: state.address_limits.clone(),
        }
    }
}

impl FromRef<AppState> for WaitingRoomHttp {
    fn from_ref(state: &AppState) -> Self {
        Self {
            store: state.store.clone(),
            rooms: crate::waiting_room::Rooms {
                store: state.store.clone(),
                room: state.waiting_room.clone(),
            },
            identity: state.identity.clone(),
            address_limits: state.address_limits.clone(),
        }
    }
}
