//! The database. One [`Store`] per process wraps the connection pool; each capability adds its queries in a file
//! of this folder (`store/events.rs`, `store/products.rs`, …) as methods on `Store`.

mod access;
mod demo;
pub use demo::{DEMO_PAID_EVENT_ID, DEMO_SLUG};
mod events;
mod feed;
mod jobs;
mod likes;
mod orders;
mod pickups;
mod playback;
mod products;

use std::{str::FromStr, time::Duration};

pub use access::{EntitlementKind, EntitlementRecord};
pub use events::{Access, EventRecord, EventStatus};
pub use feed::{FeedPostRecord, FeedSource, NewFeedPost};
pub use jobs::{DeadJob, Effect, JobRecord, MailRecord, MailState, NewMail};
pub use orders::{JobStart, LineRequest, NewOrder, OrderLine, OrderRecord, OrderState, PaymentProvider, PlaceError};
pub use pickups::{PickupError, PickupRecord};
pub use playback::{PlaybackDelta, PlaybackStats};
pub use products::{CatalogChanges, CatalogEntry, ProductRecord, VariantRecord};
use sqlx::{
    SqlitePool,
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::sync::broadcast;

use crate::secret::Secret;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("{0} exists already: a backup never overwrites a file")]
    BackupExists(String),
    #[error("the backup's path must be UTF-8: {0}")]
    BackupPath(String),
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    products_changed: broadcast::Sender<ProductChange>,
}

/// A product whose state as viewers see it changed (sold out, or back in stock), sent once its transaction has
/// committed. The real-time layer turns these into `publishProduct` deliveries (`realtime::catalog`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductChange {
    pub event_id: String,
    pub product_id: String,
}

/// Changes a slow listener may fall behind by before it misses some (it then re-announces the whole catalog).
const PRODUCT_CHANGES_BACKLOG: usize = 1024;

impl Store {
    /// Opens (creating when missing) the database, in WAL mode, and brings its schema up to date.
    pub async fn open(url: &Secret<String>) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url.expose())?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        MIGRATOR.run(&pool).await?;
        let (products_changed, _) = broadcast::channel(PRODUCT_CHANGES_BACKLOG);
        Ok(Self { pool, products_changed })
    }

    /// Every product change from now on (see `ProductChange`).
    pub fn product_changes(&self) -> broadcast::Receiver<ProductChange> {
        self.products_changed.subscribe()
    }

    /// Tells the listeners, after the commit, that these products of `event_id` changed.
    pub(crate) fn announce_products(&self, event_id: &str, product_ids: impl IntoIterator<Item = String>) {
        for product_id in product_ids {
            // Fails only when nobody listens (no server running: tools and tests of the store alone).
            let _ = self.products_changed.send(ProductChange {
                event_id: event_id.to_owned(),
                product_id,
            });
        }
    }

    /// A transaction that reads and then writes: it takes SQLite's write lock at once (`BEGIN IMMEDIATE`), so that
    /// concurrent ones wait their turn (the busy timeout) instead of failing when a read lock cannot be upgraded.
    pub(crate) async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
    }

    /// Writes a consistent copy of the whole database to the new file `path` while the database stays in use: SQLite's
    /// `VACUUM INTO` reads one snapshot (writers go on meanwhile; the copy has every transaction committed before it
    /// began and none after) and writes it compacted. An existing file is never overwritten.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        let shown = path.display().to_string();
        let target = path.to_str().ok_or_else(|| StoreError::BackupPath(shown.clone()))?;
        if path.exists() {
            return Err(StoreError::BackupExists(shown));
        }
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// Answers when the database does: for `/healthz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) async fn fresh_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = Secret::new(format!("sqlite://{}", dir.path().join("test.db").display()));
        (Store::open(&url).await.expect("store opens"), dir)
    }

    #[tokio::test]
    async fn migrations_create_the_schema_on_a_fresh_database() {
        let (store, _dir) = fresh_store().await;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\' \
             AND name NOT LIKE 'sqlite%' ORDER BY name",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap();
        assert_eq!(
            tables,
            [
                "content_keys",
                "entitlements",
                "events",
                "feed_cursors",
                "feed_posts",
                "jobs",
                "like_totals",
                "mail_outbox",
                "order_history",
                "order_lines",
                "order_transitions",
                "orders",
                "pickups",
                "playback_sessions",
                "product_variants",
                "products",
                "terms_acceptances",
                "webhook_events"
            ]
        );
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        store.ping().await.expect("ping");
    }

    #[tokio::test]
    async fn reopening_applies_no_migration_twice() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = Secret::new(format!("sqlite://{}", dir.path().join("test.db").display()));
        drop(Store::open(&url).await.expect("first open"));
        let store = Store::open(&url).await.expect("second open");
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(applied, MIGRATOR.iter().count() as i64);
    }
}
