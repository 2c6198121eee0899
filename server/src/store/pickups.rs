use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{At, Flag, Scope, Store, StoreError};

/// The pick-up banner of an event. Serialized with the schema's field names: it is also what real-time
/// subscribers are matched and served from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct PickupRecord {
    pub event_id: String,
    pub product_id: Option<String>,
    #[sqlx(try_from = "Flag")]
    pub visible: bool,
    #[sqlx(try_from = "At")]
    pub updated_at: DateTime<Utc>,
}

/// Why a pickup could not be set; each is the operator's mistake, reported to them as such.
#[derive(Debug, thiserror::Error)]
pub enum PickupError {
    #[error("no event with id {0}")]
    UnknownEvent(String),
    #[error("product {product} is not sold in event {event}")]
    ForeignProduct { product: String, event: String },
    #[error("showing the banner needs a productId")]
    NothingToShow,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Store {
    pub async fn pickup(&self, event_id: &str) -> Result<Option<PickupRecord>, StoreError> {
        Ok(
            sqlx::query_as("SELECT event_id, product_id, visible, updated_at FROM pickups WHERE event_id = $1")
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Sets the banner: `visible` with a product of the event shows it; not `visible` hides the banner (keeping the
    /// product, or the one given, for next time).
    pub async fn set_pickup(
        &self,
        event_id: &str,
        product_id: Option<&str>,
        visible: bool,
    ) -> Result<PickupRecord, PickupError> {
        let mut tx = self
            .write_transaction(&[Scope::Show(event_id)])
            .await
            .map_err(StoreError::from)?;
        let event_exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if event_exists.is_none() {
            return Err(PickupError::UnknownEvent(event_id.into()));
        }
        if let Some(product) = product_id {
            let owner: Option<String> = sqlx::query_scalar("SELECT event_id FROM products WHERE id = $1")
                .bind(product)
                .fetch_optional(&mut *tx)
                .await
                .map_err(StoreError::from)?;
            if owner.as_deref() != Some(event_id) {
                return Err(PickupError::ForeignProduct {
                    product: product.into(),
                    event: event_id.into(),
                });
            }
        }
        let current: Option<String> = sqlx::query_scalar("SELECT product_id FROM pickups WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from)?
            .flatten();
        let product_id = product_id.map(str::to_owned).or(current);
        if visible && product_id.is_none() {
            return Err(PickupError::NothingToShow);
        }
        let record = PickupRecord {
            event_id: event_id.into(),
            product_id,
            visible,
            updated_at: Utc::now(),
        };
        sqlx::query(
            "INSERT INTO pickups (event_id, product_id, visible, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (event_id) DO UPDATE SET product_id = excluded.product_id, visible = excluded.visible, \
             updated_at = excluded.updated_at",
        )
        .bind(&record.event_id)
        .bind(&record.product_id)
        .bind(Flag(record.visible))
        .bind(At(record.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
        sqlx::query("INSERT INTO pickup_log (event_id, product_id, visible, at) VALUES ($1, $2, $3, $4)")
            .bind(&record.event_id)
            .bind(&record.product_id)
            .bind(Flag(record.visible))
            .bind(At(record.updated_at))
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(record)
    }

    /// Every change of the show's pick-up banner, in the order they happened.
    pub async fn pickup_log(&self, event_id: &str) -> Result<Vec<PickupRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT event_id, product_id, visible, at AS updated_at FROM pickup_log WHERE event_id = $1 ORDER BY id",
        )
        .bind(event_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn shows_hides_and_remembers_the_product() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        assert_eq!(
            store.pickup("evt_demo").await.unwrap(),
            None,
            "nothing before the first pick-up"
        );

        let shown = store.set_pickup("evt_demo", Some("prd_demo_03"), true).await.unwrap();
        assert!(shown.visible);
        assert_eq!(shown.product_id.as_deref(), Some("prd_demo_03"));
        assert_eq!(store.pickup("evt_demo").await.unwrap(), Some(shown.clone()));

        let hidden = store.set_pickup("evt_demo", None, false).await.unwrap();
        assert!(!hidden.visible);
        assert_eq!(
            hidden.product_id.as_deref(),
            Some("prd_demo_03"),
            "the product is kept while hidden"
        );
        assert!(hidden.updated_at >= shown.updated_at);

        let again = store.set_pickup("evt_demo", None, true).await.unwrap();
        assert_eq!(again.product_id.as_deref(), Some("prd_demo_03"));

        // Each change is kept, in order, for the replay's timeline.
        assert_eq!(store.pickup_log("evt_demo").await.unwrap(), [shown, hidden, again]);
    }

    #[tokio::test]
    async fn refuses_what_is_not_the_events() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        assert!(matches!(
            store.set_pickup("evt_nope", Some("prd_demo_01"), true).await,
            Err(PickupError::UnknownEvent(_))
        ));
        assert!(matches!(
            store.set_pickup("evt_demo", Some("prd_other"), true).await,
            Err(PickupError::ForeignProduct { .. })
        ));
        assert!(matches!(
            store.set_pickup("evt_demo", None, true).await,
            Err(PickupError::NothingToShow)
        ));
        assert_eq!(
            store.pickup("evt_demo").await.unwrap(),
            None,
            "a refused change writes nothing"
        );
        assert_eq!(store.pickup_log("evt_demo").await.unwrap(), []);
    }
}
