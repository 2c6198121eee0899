//! The database. One [`Store`] per process wraps the connection pool; each capability adds its queries in a file
//! of this folder (`store/events.rs`, `store/products.rs`, …) as methods on `Store`.
//!
//! Two backends run the same queries through sqlx's `Any` driver: the embedded SQLite (the default, one server) and
//! PostgreSQL (several replicas). The SQL is what both accept (`$1` parameters, `ON CONFLICT`, `RETURNING`); the
//! few places where they must differ ask [`Store::backend`]. Each has its own migrations (`migrations/sqlite`,
//! `migrations/postgres`) building the same tables.

mod access;
mod column;
pub use column::{At, Flag, MaybeAt};
pub use likes::LikeRecord;
mod demo;
pub use demo::{DEMO_ARCHIVE, DEMO_CLEARKEY, DEMO_LIVE, DEMO_PAID_EVENT_ID, DEMO_SLUG, demo_url};
mod events;
mod feed;
mod jobs;
mod likes;
mod operator_sessions;
mod orders;
mod pickups;
mod playback;
mod products;
mod replicas;
mod waiting_room;
pub use replicas::{Lead, Listener};
pub use waiting_room::{Inlet, Lifetimes, PlaceState, PlaceStatus, PositionRecord, RoomRecord, RoomSettings};

use std::{str::FromStr, time::Duration};

pub use access::{EntitlementKind, EntitlementRecord};
pub use events::{Access, EventRecord, EventStatus};
pub use feed::{FeedPostRecord, FeedSource, NewFeedPost};
pub use jobs::{DeadJob, Effect, JobRecord, MailRecord, MailState, NewMail};
pub use orders::{
    JobStart, LineRequest, NewOrder, ORDER_EXPIRY, OrderLine, OrderRecord, OrderState, PaymentProvider, PlaceError,
};
pub use pickups::{PickupError, PickupRecord};
pub use playback::{PlaybackDelta, PlaybackStats};
pub use products::{CatalogChanges, CatalogEntry, ProductRecord, VariantRecord};
use sqlx::{
    AnyPool, ConnectOptions, Connection, Executor,
    any::AnyPoolOptions,
    migrate::Migrator,
    sqlite::{SqliteConnectOptions, SqliteJournalMode},
};
use tokio::sync::broadcast;

use crate::secret::Secret;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database the URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file, one server.
    Sqlite,
    /// Shared by several replicas.
    Postgres,
}

impl Backend {
    /// The backend of `url` (`sqlite:…`, `postgres://…` or `postgresql://…`).
    pub fn of(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Backend::Sqlite),
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            _ => Err(StoreError::UnknownBackend(scheme.chars().take(16).collect())),
        }
    }

    fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }
}

/// The advisory lock every PostgreSQL write transaction takes (see [`Store::write_transaction`]).
const WRITE_LOCK: i64 = 0x6361_7261_7661_6e00; // "caravan\0"

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
    #[error("the backup command copies the embedded SQLite database; back PostgreSQL up with pg_dump (docs/DEPLOY.md)")]
    BackupPostgres,
    #[error("the database URL must start with sqlite: or postgres:// (it starts with {0:?})")]
    UnknownBackend(String),
    #[error("replica message {0} was removed before it was read")]
    MessageGone(i64),
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// PostgreSQL's URL, for connections of their own (listeners).
    postgres_url: Option<Secret<String>>,
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
    /// Opens the database and brings its schema up to date (replicas starting together take turns: sqlx's
    /// migrator holds PostgreSQL's migration lock). SQLite's file is created when missing and put in WAL mode.
    pub async fn open(url: &Secret<String>) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of(url.expose())?;
        let options = AnyPoolOptions::new();
        let pool = match backend {
            Backend::Sqlite => {
                // WAL is a property of the file, set once; the rest is per connection.
                SqliteConnectOptions::from_str(url.expose())?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .connect()
                    .await?
                    .close()
                    .await?;
                options
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA busy_timeout = 5000").await?;
                            Ok(())
                        })
                    })
                    .connect(url.expose())
                    .await?
            }
            Backend::Postgres => {
                options
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url.expose())
                    .await?
            }
        };
        backend.migrator().run(&pool).await?;
        let (products_changed, _) = broadcast::channel(PRODUCT_CHANGES_BACKLOG);
        Ok(Self {
            pool,
            backend,
            postgres_url: (backend == Backend::Postgres).then(|| url.clone()),
            products_changed,
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
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

    /// A transaction that reads and then writes, run as if alone. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so that concurrent ones wait their turn (the busy timeout) instead of failing when a read
    /// lock cannot be upgraded. On PostgreSQL every such transaction, on every replica, takes one advisory lock for
    /// its duration: the same one-writer-at-a-time order, so a stock checked is a stock still there when the order is
    /// written. Single statements that are atomic by themselves (a like total's `total + n`) need none of this.
    pub(crate) async fn write_transaction(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }

    /// Writes a consistent copy of the whole database to the new file `path` while the database stays in use: SQLite's
    /// `VACUUM INTO` reads one snapshot (writers go on meanwhile; the copy has every transaction committed before it
    /// began and none after) and writes it compacted. An existing file is never overwritten.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::BackupPostgres);
        }
        let shown = path.display().to_string();
        let target = path.to_str().ok_or_else(|| StoreError::BackupPath(shown.clone()))?;
        if path.exists() {
            return Err(StoreError::BackupExists(shown));
        }
        sqlx::query("VACUUM INTO ?").bind(target).execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection, once those in use come back; the store answers nothing after. The end of serving.
    pub async fn close(&self) {
        self.pool.close().await;
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

    /// What a test store lives in; dropping it removes SQLite's folder (PostgreSQL's test databases go with the
    /// throwaway cluster `./dev test` starts).
    pub(crate) struct TestDatabase {
        _dir: Option<tempfile::TempDir>,
    }

    /// The backend the store's tests run on: SQLite, or PostgreSQL when `TEST_DATABASE=postgres` (`./dev
    /// test` runs them both ways).
    pub(crate) fn test_backend() -> Backend {
        match std::env::var("TEST_DATABASE").as_deref() {
            Ok("postgres") => Backend::Postgres,
            Ok("sqlite") | Err(_) => Backend::Sqlite,
            Ok(other) => panic!("TEST_DATABASE must be sqlite or postgres, not {other:?}"),
        }
    }

    /// A store on a database of its own, on the tests' backend.
    pub(crate) async fn fresh_store() -> (Store, TestDatabase) {
        fresh_store_on(test_backend()).await
    }

    pub(crate) async fn fresh_store_on(backend: Backend) -> (Store, TestDatabase) {
        let (url, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                (format!("sqlite://{}", dir.path().join("test.db").display()), Some(dir))
            }
            Backend::Postgres => (new_postgres_database().await, None),
        };
        let store = Store::open(&Secret::new(url)).await.expect("store opens");
        (store, TestDatabase { _dir: dir })
    }

    /// A new, empty database in the server `TEST_POSTGRES_URL` names.
    async fn new_postgres_database() -> String {
        let server = std::env::var("TEST_POSTGRES_URL")
            .expect("TEST_POSTGRES_URL names the PostgreSQL server of the tests (./dev test starts one)");
        let mut name = [0u8; 8];
        getrandom::fill(&mut name).expect("random");
        let name = format!("caravan_test_{}", crate::secret::hex(&name));
        sqlx::any::install_default_drivers();
        let mut admin = sqlx::AnyConnection::connect(&server)
            .await
            .expect("the tests' PostgreSQL answers");
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .expect("database created");
        let (base, _) = server.rsplit_once('/').expect("a database in the URL");
        format!("{base}/{name}")
    }

    /// Every table and its columns, in order, as the database describes them.
    async fn schema(store: &Store) -> Vec<(String, String)> {
        let query = match store.backend {
            Backend::Sqlite => {
                "SELECT m.name, c.name FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND m.name NOT LIKE '\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite%' \
                 ORDER BY m.name, c.name"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns \
                 WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' ORDER BY 1, 2"
            }
        };
        sqlx::query_as(query).fetch_all(&store.pool).await.expect("schema")
    }

    #[tokio::test]
    async fn migrations_create_the_schema_on_a_fresh_database() {
        let (store, _db) = fresh_store().await;
        let mut tables: Vec<String> = schema(&store).await.into_iter().map(|(table, _)| table).collect();
        tables.dedup();
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
                "operator_session_generation",
                "order_history",
                "order_lines",
                "order_transitions",
                "orders",
                "pickups",
                "playback_sessions",
                "product_variants",
                "products",
                "replica_messages",
                "terms_acceptances",
                "waiting_positions",
                "waiting_rooms",
                "webhook_events"
            ]
        );
        if store.backend == Backend::Sqlite {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&store.pool)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
        }
        store.ping().await.expect("ping");
    }

    /// The two migration folders build the same tables with the same columns (run in the PostgreSQL pass).
    #[tokio::test]
    async fn both_backends_build_the_same_schema() {
        if test_backend() != Backend::Postgres {
            return;
        }
        let (sqlite, _a) = fresh_store_on(Backend::Sqlite).await;
        let (postgres, _b) = fresh_store_on(Backend::Postgres).await;
        let sqlite = schema(&sqlite).await;
        assert!(sqlite.len() > 100, "{} columns", sqlite.len());
        assert_eq!(schema(&postgres).await, sqlite);
    }

    #[test]
    fn backends_by_url() {
        assert_eq!(Backend::of("sqlite://data/caravan.db").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(Backend::of("postgres://u:p@db/caravan").unwrap(), Backend::Postgres);
        assert_eq!(Backend::of("postgresql://db/caravan").unwrap(), Backend::Postgres);
        let error = Backend::of("mysql://root:hunter2@db/caravan").unwrap_err().to_string();
        assert!(error.contains("\"mysql\"") && !error.contains("hunter2"), "{error}");
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
        assert_eq!(applied, SQLITE_MIGRATOR.iter().count() as i64);
    }
}
