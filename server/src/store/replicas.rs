//! What replicas sharing one PostgreSQL database need of it beyond tables: messages to every replica (NOTIFY and
//! LISTEN), and leadership of a task that must run on one replica at a time (a session advisory lock). On SQLite
//! there is one server: a message goes nowhere else and every task is led here.

use chrono::{Duration, Utc};
use sqlx::{
    AnyConnection, Connection,
    postgres::{PgListener, PgNotification},
};

use super::{At, Backend, Store, StoreError, advisory_key};

/// The longest message a notification carries (PostgreSQL's limit is 8000 bytes); a longer one is stored in
/// `replica_messages` and the notification carries its row id after [`BY_REFERENCE`].
const NOTIFICATION_LIMIT: usize = 7900;
const BY_REFERENCE: char = '@';
/// How long a stored message stays for listeners to read it.
const STORED_MESSAGE_LIFETIME: Duration = Duration::seconds(60);

/// The messages of one channel, as every replica receives them (this one included).
pub struct Listener {
    listener: PgListener,
    store: Store,
}

impl Listener {
    /// The next message. A connection lost meanwhile is opened again; what was sent while it was down is missed.
    pub async fn recv(&mut self) -> Result<String, StoreError> {
        let notification: PgNotification = self.listener.recv().await?;
        let payload = notification.payload();
        match payload.strip_prefix(BY_REFERENCE).map(str::parse::<i64>) {
            Some(Ok(id)) => {
                let body: Option<String> = sqlx::query_scalar("SELECT body FROM replica_messages WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.store.pool)
                    .await?;
                body.ok_or(StoreError::MessageGone(id))
            }
            _ => Ok(payload.to_owned()),
        }
    }
}

/// Leadership of a task across replicas: held while this lives (and its connection does).
pub struct Lead {
    /// The connection holding the advisory lock; none on SQLite.
    holder: Option<AnyConnection>,
}

impl Lead {
    /// Whether the lead is still held: on PostgreSQL, whether the connection holding the lock still answers (when
    /// it broke, the lock went with it and another replica may lead now).
    pub async fn held(&mut self) -> bool {
        match &mut self.holder {
            None => true,
            Some(holder) => holder.ping().await.is_ok(),
        }
    }
}

impl Store {
    /// Sends `message` on `channel` to every replica listening (itself included). Returns once PostgreSQL has it.
    /// On SQLite it goes nowhere: callers deliver locally.
    pub async fn notify(&self, channel: &str, message: &str) -> Result<(), StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let payload = if message.len() <= NOTIFICATION_LIMIT {
            message.to_owned()
        } else {
            let now = Utc::now();
            sqlx::query("DELETE FROM replica_messages WHERE created_at < $1")
                .bind(At(now - STORED_MESSAGE_LIFETIME))
                .execute(&self.pool)
                .await?;
            let id: i64 =
                sqlx::query_scalar("INSERT INTO replica_messages (body, created_at) VALUES ($1, $2) RETURNING id")
                    .bind(message)
                    .bind(At(now))
                    .fetch_one(&self.pool)
                    .await?;
            format!("{BY_REFERENCE}{id}")
        };
        // `pg_notify` returns void, which the Any driver cannot read: selected from, it is a row of nothing.
        // postgres only
        sqlx::query("SELECT 1 FROM pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Listens on `channel` (PostgreSQL only: `None` on SQLite). Listening has begun when this returns.
    pub async fn listen(&self, channel: &str) -> Result<Option<Listener>, StoreError> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url.expose()).await?;
        listener.listen(channel).await?;
        Ok(Some(Listener {
            listener,
            store: self.clone(),
        }))
    }

    /// Takes the lead of `task` when no replica holds it: `None` when another one does. On SQLite, always led here.
    pub async fn try_lead(&self, task: &str) -> Result<Option<Lead>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(Some(Lead { holder: None }));
        }
        // A connection of its own, out of the pool: the session lock lives as long as it does.
        let mut holder = self.pool.acquire().await?.detach();
        // postgres only
        let (taken,): (i64,) = sqlx::query_as("SELECT CAST(pg_try_advisory_lock($1) AS INTEGER)")
            .bind(advisory_key(task))
            .fetch_one(&mut holder)
            .await?;
        Ok((taken == 1).then_some(Lead { holder: Some(holder) }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::fresh_store;

    #[tokio::test]
    async fn one_lead_at_a_time_and_messages_of_any_size_reach_every_listener() {
        let (store, _db) = fresh_store().await;
        let mut first = store.try_lead("task").await.unwrap().expect("led");
        assert!(first.held().await);
        let second = store.try_lead("task").await.unwrap();
        let mut listener = store.listen("channel").await.unwrap();
        match store.backend() {
            Backend::Sqlite => {
                assert!(second.is_some(), "one server leads everything");
                assert!(listener.is_none());
            }
            Backend::Postgres => {
                assert!(second.is_none(), "held by the first");
                drop(first);
                // The lock goes with its connection, closed in the background.
                let mut third = None;
                for _ in 0..100 {
                    third = store.try_lead("task").await.unwrap();
                    if third.is_some() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                assert!(third.is_some(), "taken once the first let go");
                let listener = listener.as_mut().expect("listening");
                let long = "é".repeat(6000);
                store.notify("channel", "short").await.unwrap();
                store.notify("channel", &long).await.unwrap();
                store.notify("other", "not for us").await.unwrap();
                assert_eq!(listener.recv().await.unwrap(), "short");
                assert_eq!(listener.recv().await.unwrap(), long);
            }
        }
    }
}
