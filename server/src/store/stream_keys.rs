//! Each show's stream keys, kept as their SHA-256: what an encoder publishes with, and whose show it is.

use chrono::{DateTime, Utc};

use super::{At, Store, StoreError};

crate::text_enum! {
    /// Which of a show's two encoders a key is for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum KeyRole {
        Primary = "primary",
        /// Takes over when the primary drops.
        Backup = "backup",
    }
}

/// The show and role a key publishes for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StreamKeyOwner {
    pub event_id: String,
    pub role: KeyRole,
}

impl Store {
    /// Makes `key_hash` the key of `event_id`'s `role`, replacing the one before (which no longer publishes).
    pub async fn replace_stream_key(
        &self,
        event_id: &str,
        role: KeyRole,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO stream_keys (event_id, role, key_hash, issued_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (event_id, role) DO UPDATE SET key_hash = excluded.key_hash, issued_at = excluded.issued_at",
        )
        .bind(event_id)
        .bind(role)
        .bind(key_hash)
        .bind(At(now))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whose key `key_hash` is.
    pub async fn stream_key_owner(&self, key_hash: &str) -> Result<Option<StreamKeyOwner>, StoreError> {
        Ok(
            sqlx::query_as("SELECT event_id, role FROM stream_keys WHERE key_hash = $1")
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{EventRecord, tests::fresh_store};

    #[tokio::test]
    async fn a_key_belongs_to_its_show_and_role_until_replaced() {
        let (store, _db) = fresh_store().await;
        let now = Utc::now();
        store
            .create_event(&EventRecord::new("evt_1", "one", "One", now), &[])
            .await
            .unwrap();
        store
            .replace_stream_key("evt_1", KeyRole::Primary, "aa", now)
            .await
            .unwrap();
        store
            .replace_stream_key("evt_1", KeyRole::Backup, "bb", now)
            .await
            .unwrap();
        let owner = |event_id: &str, role| StreamKeyOwner {
            event_id: event_id.into(),
            role,
        };
        assert_eq!(
            store.stream_key_owner("aa").await.unwrap(),
            Some(owner("evt_1", KeyRole::Primary))
        );
        assert_eq!(
            store.stream_key_owner("bb").await.unwrap(),
            Some(owner("evt_1", KeyRole::Backup))
        );
        store
            .replace_stream_key("evt_1", KeyRole::Primary, "cc", now)
            .await
            .unwrap();
        assert_eq!(
            store.stream_key_owner("aa").await.unwrap(),
            None,
            "the old key no longer publishes"
        );
        assert_eq!(
            store.stream_key_owner("cc").await.unwrap(),
            Some(owner("evt_1", KeyRole::Primary))
        );
    }
}
