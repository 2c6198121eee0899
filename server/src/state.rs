use axum::extract::FromRef;
use caravan::api::ClientConfig;
use leptos::config::LeptosOptions;

use crate::{auth::Credentials, graphql::CaravanSchema, realtime::Realtime, session::Sessions, store::Store};

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
}
