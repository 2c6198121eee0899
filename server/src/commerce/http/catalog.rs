//! `POST /api/admin/events/{slug}/catalog/refresh` (the operator): reads a Shopify show's collection again and
//! answers what changed.

use axum::{
    Json, Router,
    extract::{FromRef, Path, State},
    routing::post,
};

use crate::{
    access::viewer::Identity,
    commerce::{CommerceHttp, catalog::RefreshError},
    error::AppError,
    extract::Operator,
    store::CatalogChanges,
};

pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    CommerceHttp: FromRef<S>,
    Identity: FromRef<S>,
{
    Router::new().route("/api/admin/events/{slug}/catalog/refresh", post(refresh))
}

/// The operator's "refresh": the changes, or why not.
async fn refresh(
    _: Operator,
    State(state): State<CommerceHttp>,
    Path(slug): Path<String>,
) -> Result<Json<CatalogChanges>, AppError> {
    let catalogs = state.commerce.shopify_catalogs.as_ref().ok_or(AppError::NotFound)?;
    match catalogs.refresh(&state.store, &slug).await {
        Ok(changes) => Ok(Json(changes)),
        Err(RefreshError::NotShopify | RefreshError::NoShow(_)) => Err(AppError::NotFound),
        Err(RefreshError::Shopify(e)) => Err(AppError::BadGateway(e.to_string())),
        Err(RefreshError::Store(e)) => Err(AppError::Unavailable(e.into())),
    }
}
