//! Like totals: one row per show, added to in batches (group commit: many viewers' deltas, one transaction).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// `LikeCount` of the schema, with its names (also what the hub is handed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LikeRecord {
    pub event_id: String,
    pub total: i64,
    /// On `like`'s answer: how many of that call's taps counted.
    pub accepted: Option<i64>,
}

impl LikeRecord {
    /// A show's total, as read or broadcast (no call's taps to report).
    pub fn total(event_id: impl Into<String>, total: i64) -> Self {
        Self {
            event_id: event_id.into(),
            total,
            accepted: None,
        }
    }
}

impl Store {
    /// Adds each show's delta to its total in one transaction; the totals after it. Nothing is added unless all
    /// are (the caller acknowledges the deltas only on success).
    pub async fn add_likes(&self, deltas: &HashMap<String, i64>) -> Result<HashMap<String, i64>, StoreError> {
        // Each addition is atomic by itself: no scope. In the order of the shows, so that two replicas adding to the
        // same shows never wait for each other's rows.
        let mut shows: Vec<(&String, &i64)> = deltas.iter().collect();
        shows.sort_unstable();
        let mut tx = self.write_transaction(&[]).await?;
        let mut totals = HashMap::with_capacity(deltas.len());
        for (event_id, delta) in shows {
            let total: i64 = sqlx::query_scalar(
                "INSERT INTO like_totals (event_id, total) VALUES ($1, $2) \
                 ON CONFLICT (event_id) DO UPDATE SET total = like_totals.total + excluded.total RETURNING total",
            )
            .bind(event_id)
            .bind(delta)
            .fetch_one(&mut *tx)
            .await?;
            totals.insert(event_id.clone(), total);
        }
        tx.commit().await?;
        Ok(totals)
    }

    /// A show's like total (0 before its first like).
    pub async fn likes(&self, event_id: &str) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT total FROM like_totals WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?
            .unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn deltas_add_up_per_show_and_a_failed_batch_adds_nothing() {
        let (store, _dir) = fresh_store().await;
        store.seed_demo().await.unwrap();
        assert_eq!(store.likes("evt_demo").await.unwrap(), 0);
        let batch = HashMap::from([("evt_demo".to_string(), 5), ("evt_demo_paid".to_string(), 2)]);
        let totals = store.add_likes(&batch).await.unwrap();
        assert_eq!((totals["evt_demo"], totals["evt_demo_paid"]), (5, 2));
        let totals = store
            .add_likes(&HashMap::from([("evt_demo".to_string(), 7)]))
            .await
            .unwrap();
        assert_eq!(totals["evt_demo"], 12);
        assert_eq!(store.likes("evt_demo").await.unwrap(), 12);
        // A show that does not exist: refused, and the batch adds nothing.
        let bad = HashMap::from([("evt_demo".to_string(), 1), ("evt_nope".to_string(), 1)]);
        assert!(store.add_likes(&bad).await.is_err());
        assert_eq!(store.likes("evt_demo").await.unwrap(), 12);
    }
}
