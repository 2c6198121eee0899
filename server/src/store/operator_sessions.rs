//! The operator sessions' generation: a session cookie is good only in the generation it was issued in.

use super::{Store, StoreError};

impl Store {
    /// The current generation.
    pub async fn operator_session_generation(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT generation FROM operator_session_generation WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Ends every operator session issued so far: the next generation, returned.
    pub async fn end_operator_sessions(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE operator_session_generation SET generation = generation + 1 WHERE id = 1 RETURNING generation",
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn signing_out_moves_the_generation_on() {
        let (store, _db) = fresh_store().await;
        assert_eq!(store.operator_session_generation().await.unwrap(), 0);
        assert_eq!(store.end_operator_sessions().await.unwrap(), 1);
        assert_eq!(store.operator_session_generation().await.unwrap(), 1);
    }
}
