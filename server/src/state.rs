use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{graphql::CaravanSchema, store::Store};

/// What handlers share. Each handler extracts only the part it needs (`State<Store>`, `State<CaravanSchema>`).
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub store: Store,
    pub schema: CaravanSchema,
}
