//! Entitlements, accepted terms, content keys, and which media folders are guarded.

use chrono::{DateTime, Utc};

use super::{At, MaybeAt, Store, StoreError};

crate::text_enum! {
    /// How a viewer came to be entitled.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum EntitlementKind {
        /// A purchase of the event.
        Ticket = "ticket",
        /// A purchase valid for a while (48 h).
        Rental = "rental",
        /// Given by the operator.
        Grant = "grant",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntitlementRecord {
    pub viewer_id: String,
    pub event_id: String,
    pub kind: EntitlementKind,
    #[sqlx(try_from = "At")]
    pub granted_at: DateTime<Utc>,
    /// `None`: as long as the event.
    #[sqlx(try_from = "MaybeAt")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A content key of an event (hex), as the license server hands it out.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredKey {
    pub key_id: String,
    pub key: String,
}

impl Store {
    /// Gives (or renews) a viewer's entitlement to an event.
    pub async fn grant(&self, entitlement: &EntitlementRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO entitlements (viewer_id, event_id, kind, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (viewer_id, event_id) DO UPDATE SET kind = excluded.kind, granted_at = excluded.granted_at, \
             expires_at = excluded.expires_at",
        )
        .bind(&entitlement.viewer_id)
        .bind(&entitlement.event_id)
        .bind(entitlement.kind)
        .bind(At(entitlement.granted_at))
        .bind(entitlement.expires_at.map(At))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a viewer's entitlement back (a refund); whether there was one.
    pub async fn revoke(&self, viewer_id: &str, event_id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM entitlements WHERE viewer_id = $1 AND event_id = $2")
            .bind(viewer_id)
            .bind(event_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn entitlement(&self, viewer_id: &str, event_id: &str) -> Result<Option<EntitlementRecord>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT viewer_id, event_id, kind, granted_at, expires_at FROM entitlements \
             WHERE viewer_id = $1 AND event_id = $2",
        )
        .bind(viewer_id)
        .bind(event_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn accept_terms(&self, viewer_id: &str, event_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO terms_acceptances (viewer_id, event_id, accepted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (viewer_id, event_id) DO NOTHING",
        )
        .bind(viewer_id)
        .bind(event_id)
        .bind(At(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn terms_accepted(&self, viewer_id: &str, event_id: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT 1 FROM terms_acceptances WHERE viewer_id = $1 AND event_id = $2")
                .bind(viewer_id)
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// Keeps an encrypted stream's key (hex) for the license server.
    pub async fn put_content_key(&self, event_id: &str, key_id: &str, key: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO content_keys (key_id, event_id, key) VALUES ($1, $2, $3) \
             ON CONFLICT (key_id) DO UPDATE SET event_id = excluded.event_id, key = excluded.key",
        )
        .bind(key_id)
        .bind(event_id)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The event's keys among `key_ids` (hex), as (key id, key).
    pub async fn content_keys(&self, event_id: &str, key_ids: &[String]) -> Result<Vec<StoredKey>, StoreError> {
        let all: Vec<StoredKey> = sqlx::query_as("SELECT key_id, key FROM content_keys WHERE event_id = $1")
            .bind(event_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(all.into_iter().filter(|key| key_ids.contains(&key.key_id)).collect())
    }

    /// The ids (hex) of the event's content keys.
    pub async fn content_key_ids(&self, event_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT key_id FROM content_keys WHERE event_id = $1 ORDER BY key_id")
                .bind(event_id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn has_content_keys(&self, event_id: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT 1 FROM content_keys WHERE event_id = $1 LIMIT 1")
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }

    /// The media folders of events that are not free: the gate guards them.
    pub async fn guarded_media_prefixes(&self) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT media_prefix FROM events WHERE access != 'free' AND media_prefix IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn entitlements_terms_and_keys() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        let now = Utc::now();
        assert_eq!(store.entitlement("v1", "evt_demo_paid").await.unwrap(), None);
        let rental = EntitlementRecord {
            viewer_id: "v1".into(),
            event_id: "evt_demo_paid".into(),
            kind: EntitlementKind::Rental,
            granted_at: now,
            expires_at: Some(now + Duration::hours(48)),
        };
        store.grant(&rental).await.unwrap();
        let found = store.entitlement("v1", "evt_demo_paid").await.unwrap().unwrap();
        assert_eq!(
            (found.kind, found.expires_at.is_some()),
            (EntitlementKind::Rental, true)
        );
        store
            .grant(&EntitlementRecord {
                kind: EntitlementKind::Ticket,
                expires_at: None,
                ..rental.clone()
            })
            .await
            .unwrap();
        assert_eq!(
            store.entitlement("v1", "evt_demo_paid").await.unwrap().unwrap().kind,
            EntitlementKind::Ticket,
            "a purchase replaces the earlier entitlement"
        );

        assert!(store.revoke("v1", "evt_demo_paid").await.unwrap());
        assert!(!store.revoke("v1", "evt_demo_paid").await.unwrap());
        assert_eq!(store.entitlement("v1", "evt_demo_paid").await.unwrap(), None);

        assert!(!store.terms_accepted("v1", "evt_demo_paid").await.unwrap());
        store.accept_terms("v1", "evt_demo_paid", now).await.unwrap();
        store.accept_terms("v1", "evt_demo_paid", now).await.unwrap();
        assert!(store.terms_accepted("v1", "evt_demo_paid").await.unwrap());
        assert!(!store.terms_accepted("v2", "evt_demo_paid").await.unwrap());

        store.put_content_key("evt_demo_paid", "aa", "11").await.unwrap();
        store.put_content_key("evt_demo", "bb", "22").await.unwrap();
        let keys = store
            .content_keys("evt_demo_paid", &["aa".into(), "bb".into()])
            .await
            .unwrap();
        assert_eq!(
            keys,
            [StoredKey {
                key_id: "aa".into(),
                key: "11".into()
            }],
            "only the event's own keys"
        );
        assert_eq!(store.content_key_ids("evt_demo_paid").await.unwrap(), ["aa"]);
        assert_eq!(store.guarded_media_prefixes().await.unwrap(), ["demo/clearkey"]);
    }
}
