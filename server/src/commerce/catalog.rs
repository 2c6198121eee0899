//! Catalogs from Shopify: the shows configured with a collection (`shopify_collections`) take their products from
//! it through the Storefront API. The products are kept in the store (the page, orders and the pick-up banner read
//! them from there, so viewers never cause a Shopify call) and refreshed when the server starts, when Shopify says a
//! product or collection changed (`/webhooks/shopify`), and when the operator asks
//! (`POST /api/admin/events/{slug}/catalog/refresh`). Refreshes run one at a time. Products whose state as viewers
//! see it changed reach open pages through `onProductChanged`.

use std::sync::Arc;

use tokio::sync::Mutex;

use super::shopify::{ShopifyError, Storefront};
use crate::store::{CatalogChanges, Store, StoreError};

/// Why a refresh did not happen.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("the show's catalog does not come from Shopify")]
    NotShopify,
    #[error("there is no show {0}")]
    NoShow(String),
    #[error(transparent)]
    Shopify(#[from] ShopifyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct ShopifyCatalogs {
    storefront: Storefront,
    /// (slug, collection handle).
    collections: Arc<Vec<(String, String)>>,
    tax_rate_bp: i64,
    running: Arc<Mutex<()>>,
}

impl ShopifyCatalogs {
    pub fn new(storefront: Storefront, collections: Vec<(String, String)>, tax_rate_bp: i64) -> Self {
        Self {
            storefront,
            collections: Arc::new(collections),
            tax_rate_bp,
            running: Arc::default(),
        }
    }

    /// The Shopify collection the show `slug` sells, if it sells one.
    pub fn collection_of(&self, slug: &str) -> Option<&str> {
        self.collections
            .iter()
            .find(|(s, _)| s == slug)
            .map(|(_, handle)| handle.as_str())
    }

    /// The Storefront API, for carts.
    pub fn storefront(&self) -> &Storefront {
        &self.storefront
    }

    /// Reads the show's collection and makes it the show's catalog.
    #[tracing::instrument(name = "catalog_refresh", skip(self, store))]
    pub async fn refresh(&self, store: &Store, slug: &str) -> Result<CatalogChanges, RefreshError> {
        let handle = self.collection_of(slug).ok_or(RefreshError::NotShopify)?.to_owned();
        let _one_at_a_time = self.running.lock().await;
        let event = store
            .event_by_slug(slug)
            .await?
            .ok_or_else(|| RefreshError::NoShow(slug.to_owned()))?;
        let products = self.storefront.collection(&handle).await?;
        let entries: Vec<_> = products
            .iter()
            .enumerate()
            .map(|(i, p)| p.entry(&event.id, i as i64, self.tax_rate_bp))
            .collect();
        let changes = store.replace_catalog(&event.id, &entries).await?;
        tracing::info!(slug, ?changes, "refreshed a catalog from Shopify");
        Ok(changes)
    }

    /// Refreshes every Shopify show; failures are logged (the catalogs keep what they had).
    pub async fn refresh_all(&self, store: &Store) {
        for (slug, _) in self.collections.iter() {
            if let Err(e) = self.refresh(store, slug).await {
                tracing::warn!(slug, error = %e, "cannot refresh a catalog from Shopify");
            }
        }
    }
}
