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
pub use demo::{DEMO_ARCHIVE, DEMO_CLEARKEY, DEMO_EVENT_ID, DEMO_PAID_EVENT_ID, DEMO_SLUG};
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
mod stream_keys;
mod stream_status;
mod waiting_room;
pub use replicas::{Lead, Listener};
pub use stream_keys::{KeyRole, StreamKeyOwner};
pub use stream_status::{
    EncoderReading, StoredStreamStatus, StreamReadings, StreamState, StreamStatusRecord, TranscoderReading,
};
pub use waiting_room::{
    CounterMove, Inlet, Lifetimes, PlaceState, PlaceStatus, PositionRecord, RoomRecord, RoomSettings,
};

use std::{str::FromStr, time::Duration};

pub use access::{EntitlementKind, EntitlementRecord, StoredKey};
pub use events::{Access, EventRecord, EventStatus};
pub use feed::{FeedPostRecord, FeedSource, NewFeedPost};
pub use jobs::{DeadJob, Effect, JobRecord, JobState, MailRecord, MailState, NewMail};
pub use orders::{
    JobStart, LineRequest, NewOrder, ORDER_EXPIRY, OrderHistoryEntry, OrderLine, OrderRecord, OrderState,
    OrderTransition, PaymentProvider, PlaceError,
};
pub use pickups::{PickupError, PickupRecord};
pub use playback::{PlaybackDelta, PlaybackStats};
pub use products::{CatalogChanges, CatalogEntry, ProductRecord, VariantRecord};
use sqlx::{
    AnyConnection, AnyPool, ConnectOptions, Connection, Executor,
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

/// What a read-then-write transaction has to itself while it runs (see [`Store::write_transaction`]): the rows it
/// reads and then writes on what they said. Transactions of different scopes run side by side, on every replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope<'a> {
    /// A show's catalog: its products, their prices and stock, and the pick-up; its orders' moves (which give
    /// stock back).
    Show(&'a str),
    /// A viewer's orders: how many are unpaid, and the keys they were placed under.
    Viewer(&'a str),
    /// A show's feed: the posts stored per source, and each source's cursor.
    Feed(&'a str),
    /// A show's waiting room: its numbers, its counter and its places.
    Room(&'a str),
}

impl Scope<'_> {
    /// The PostgreSQL advisory lock of the scope: the same on every replica, of any version.
    fn key(self) -> i64 {
        let name = match self {
            Scope::Show(id) => format!("show:{id}"),
            Scope::Viewer(id) => format!("viewer:{id}"),
            Scope::Feed(id) => format!("feed:{id}"),
            Scope::Room(id) => format!("room:{id}"),
        };
        advisory_key(&name)
    }
}

/// The advisory-lock key of a name, stable across replicas and versions (the first 8 bytes of its SHA-256): a
/// scope's, or a task's that one replica at a time runs. Two names whose keys collide only wait for each other.
fn advisory_key(name: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(name.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

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
    #[error("a stored value cannot be read: {0}")]
    Corrupt(String),
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
/// committed. The real-time layer turns these into `publishProduct` deliveries (`commerce::product_news`).
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

    /// A transaction that reads and then writes, run as if alone in its `scopes`. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`: one writer at a time, whatever the scope), so that concurrent ones wait their turn
    /// (the busy timeout) instead of failing when a read lock cannot be upgraded. On PostgreSQL it takes one advisory
    /// lock per scope for its duration, in the order of their keys (so two transactions never wait for each other's
    /// second lock): a stock checked is a stock still there when the order is written, while other shows sell on.
    /// Single statements that are atomic by themselves (a like total's `total + n`) need no scope.
    pub(crate) async fn write_transaction(
        &self,
        scopes: &[Scope<'_>],
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        self.enter(&mut tx, scopes).await?;
        Ok(tx)
    }

    /// Takes `scopes` in a write transaction that holds none yet (one that had to read first what its scope is).
    pub(crate) async fn enter(&self, tx: &mut AnyConnection, scopes: &[Scope<'_>]) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Sqlite {
            return Ok(());
        }
        let mut keys: Vec<i64> = scopes.iter().map(|scope| scope.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            // postgres only
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock($1)")
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        Ok(())
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
        // sqlite only
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
                "pickup_log",
                "pickups",
                "playback_sessions",
                "product_variants",
                "products",
                "replica_messages",
                "stream_keys",
                "stream_status",
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

    /// A column as both backends can describe it: table, name, kind of type (integer, text, real, blob), whether it
    /// may be null, and its default (casts and quotes' types dropped).
    type Column = (String, String, String, bool, Option<String>);

    fn type_kind(declared: &str) -> String {
        let declared = declared.to_ascii_lowercase();
        let kind = if declared.contains("int") {
            "integer"
        } else if declared.contains("char") || declared.contains("text") || declared.contains("clob") {
            "text"
        } else if declared.contains("real") || declared.contains("floa") || declared.contains("doub") {
            "real"
        } else if declared.contains("blob") || declared.contains("bytea") {
            "blob"
        } else {
            return declared;
        };
        kind.to_owned()
    }

    fn default_value(default: Option<String>) -> Option<String> {
        default.map(|value| {
            // PostgreSQL writes `'free'::text` and `(0)::bigint`; SQLite writes `'free'` and `0`.
            let value = value.split("::").next().unwrap_or_default();
            value.trim_matches(|c| c == '(' || c == ')').to_owned()
        })
    }

    /// Every column of every table, as `Column`s.
    async fn columns(store: &Store) -> Vec<Column> {
        let query = match store.backend {
            Backend::Sqlite => {
                "SELECT m.name, c.name, c.type, CAST(c.\"notnull\" = 0 AND c.pk = 0 AS INTEGER), c.dflt_value \
                 FROM sqlite_master m JOIN pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND m.name NOT LIKE '\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite%' \
                 ORDER BY m.name, c.name"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), CAST(data_type AS TEXT), \
                 CAST(CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS INTEGER), CAST(column_default AS TEXT) \
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '\\_%' \
                 ORDER BY 1, 2"
            }
        };
        let rows: Vec<(String, String, String, i32, Option<String>)> =
            sqlx::query_as(query).fetch_all(&store.pool).await.expect("columns");
        rows.into_iter()
            .map(|(table, name, declared, nullable, default)| {
                (table, name, type_kind(&declared), nullable == 1, default_value(default))
            })
            .collect()
    }

    /// Every index that is not a primary key's: table, whether unique, and its columns in order (a UNIQUE constraint
    /// counts as a unique index on both backends).
    async fn indexes(store: &Store) -> Vec<(String, bool, String)> {
        let query = match store.backend {
            Backend::Sqlite => {
                "SELECT m.name, CAST(il.\"unique\" AS INTEGER), group_concat(ii.name, ',') \
                 FROM sqlite_master m JOIN pragma_index_list(m.name) il \
                 JOIN pragma_index_info(il.name) ii \
                 WHERE m.type = 'table' AND m.name NOT LIKE '\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite%' \
                 AND il.origin != 'pk' GROUP BY m.name, il.name ORDER BY 1, 2, 3"
            }
            Backend::Postgres => {
                "SELECT CAST(t.relname AS TEXT), CAST(CASE WHEN ix.indisunique THEN 1 ELSE 0 END AS INTEGER), \
                 CAST(string_agg(a.attname, ',' ORDER BY k.n) AS TEXT) \
                 FROM pg_index ix JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_class i ON i.oid = ix.indexrelid \
                 JOIN pg_namespace ns ON ns.oid = t.relnamespace \
                 CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n) \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                 WHERE ns.nspname = 'public' AND NOT ix.indisprimary AND t.relname NOT LIKE '\\_%' \
                 GROUP BY t.relname, i.relname, ix.indisunique ORDER BY 1, 2, 3"
            }
        };
        let rows: Vec<(String, i32, String)> = sqlx::query_as(query).fetch_all(&store.pool).await.expect("indexes");
        rows.into_iter()
            .map(|(table, unique, columns)| (table, unique == 1, columns))
            .collect()
    }

    /// The two migration folders build the same schema: the same tables and columns, each column of the same kind of
    /// type, nullability and default, and the same indexes (run in the PostgreSQL pass).
    #[tokio::test]
    async fn both_backends_build_the_same_schema() {
        if test_backend() != Backend::Postgres {
            return;
        }
        let (sqlite, _a) = fresh_store_on(Backend::Sqlite).await;
        let (postgres, _b) = fresh_store_on(Backend::Postgres).await;
        let (sqlite_columns, postgres_columns) = (columns(&sqlite).await, columns(&postgres).await);
        assert!(sqlite_columns.len() > 100, "{} columns", sqlite_columns.len());
        let differ: Vec<_> = sqlite_columns
            .iter()
            .zip(&postgres_columns)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("SQLite {a:?}\nPostgreSQL {b:?}"))
            .collect();
        assert!(differ.is_empty(), "columns that differ:\n{}", differ.join("\n"));
        assert_eq!(sqlite_columns.len(), postgres_columns.len());
        let sqlite_indexes = indexes(&sqlite).await;
        assert!(sqlite_indexes.len() > 5, "{sqlite_indexes:?}");
        assert_eq!(indexes(&postgres).await, sqlite_indexes);
    }

    /// A Rust string literal's text from just after its opening quote (`"…"`, with `\` line continuations and
    /// escapes), and how many bytes it took; raw strings (`r"…"`, `r#"…"#`) from their `r`.
    fn string_literal(text: &str) -> Option<(String, usize)> {
        if let Some(raw) = text.strip_prefix('r') {
            let hashes = raw.chars().take_while(|c| *c == '#').count();
            let body = raw[hashes..].strip_prefix('"')?;
            let end = body.find(&format!("\"{}", "#".repeat(hashes)))?;
            return Some((body[..end].to_owned(), 1 + hashes + 1 + end + 1 + hashes));
        }
        let body = text.strip_prefix('"')?;
        let mut out = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '"' => return Some((out, at + 2)),
                '\\' => match chars.next()?.1 {
                    '\n' => {
                        while chars.peek().is_some_and(|(_, c)| c.is_whitespace()) {
                            chars.next();
                        }
                    }
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    }

    /// Every SQL statement of the store's sources (tests excluded): where it is, its text (a `format!`'s `{NAME}`s
    /// filled from the `const NAME: &str`s of its file), and the one backend it is for when a `// postgres only` or
    /// `// sqlite only` comment precedes it. Panics on a statement it cannot read: a statement no test can prepare
    /// is not allowed.
    fn statements() -> Vec<(String, String, Option<Backend>)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![dir.join("store.rs")];
        files.extend(
            std::fs::read_dir(dir.join("store"))
                .unwrap()
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|e| e == "rs")),
        );
        let mut found = Vec::new();
        for file in files {
            let source = std::fs::read_to_string(&file).unwrap();
            let code = source.split("#[cfg(test)]").next().unwrap_or_default();
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let mut constants = std::collections::HashMap::new();
            let mut rest = code;
            while let Some(at) = rest.find("const ") {
                rest = &rest[at + 6..];
                let ident: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let Some(value) = rest.find(": &str =").map(|at| rest[at + 8..].trim_start()) else {
                    continue;
                };
                if let Some((text, _)) = string_literal(value) {
                    constants.insert(ident, text);
                }
            }
            let mut rest = code;
            while let Some(at) = rest.find("sqlx::query") {
                let before = &rest[..at];
                rest = &rest[at + "sqlx::query".len()..];
                let mut call = rest.trim_start_matches("_as").trim_start_matches("_scalar");
                if let Some(turbofish) = call.strip_prefix("::<") {
                    call = &turbofish[turbofish.find(">(").map_or(0, |end| end + 1)..];
                }
                let Some(after) = call.strip_prefix('(') else {
                    continue;
                };
                rest = after;
                let line = code.len() - rest.len();
                let line = code[..line].lines().count();
                let here = format!("{name}:{line}");
                let only = before.lines().rev().take(3).find_map(|l| {
                    if l.contains("// postgres only") {
                        Some(Backend::Postgres)
                    } else if l.contains("// sqlite only") {
                        Some(Backend::Sqlite)
                    } else {
                        None
                    }
                });
                let argument = rest.trim_start();
                let sql = if let Some(template) = argument.strip_prefix("&format!(") {
                    let (template, _) = string_literal(template.trim_start())
                        .unwrap_or_else(|| panic!("{here}: a format! of a string literal"));
                    let mut filled = template.clone();
                    for (ident, value) in &constants {
                        filled = filled.replace(&format!("{{{ident}}}"), value);
                    }
                    assert!(
                        !filled.contains('{'),
                        "{here}: a statement with a placeholder no constant of the file fills: {template}"
                    );
                    filled
                } else {
                    string_literal(argument)
                        .unwrap_or_else(|| panic!("{here}: a statement that is neither a literal nor a format!"))
                        .0
                };
                found.push((here, sql, only));
            }
        }
        found
    }

    #[test]
    fn a_scope_is_the_same_lock_on_every_replica_and_each_kind_its_own() {
        // Pinned: replicas of two versions during a rolling upgrade must still take the same lock for a show.
        assert_eq!(Scope::Show("evt_demo").key(), 6_770_895_303_797_018_204);
        assert_ne!(advisory_key("feed-poller"), advisory_key("waiting-room"));
        let mut keys: Vec<i64> = [
            Scope::Show("evt_demo"),
            Scope::Viewer("evt_demo"),
            Scope::Feed("evt_demo"),
            Scope::Room("evt_demo"),
            Scope::Show("evt_other"),
        ]
        .map(Scope::key)
        .to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 5);
    }

    #[tokio::test]
    async fn a_write_waits_for_its_own_scope_and_on_postgres_for_nothing_else() {
        let (store, _db) = fresh_store().await;
        let first = store.write_transaction(&[Scope::Show("evt_a")]).await.unwrap();
        let a_moment = Duration::from_millis(300);

        // Another show: on PostgreSQL it goes ahead; SQLite has one writer at a time, whatever the scope.
        let other = tokio::time::timeout(a_moment, store.write_transaction(&[Scope::Show("evt_b")])).await;
        match store.backend {
            Backend::Postgres => drop(other.expect("another show's sale does not wait").unwrap()),
            Backend::Sqlite => assert!(other.is_err(), "one writer at a time"),
        }

        // The same show (with a viewer's scope besides) waits until the first is done.
        let same = tokio::spawn({
            let store = store.clone();
            async move {
                let tx = store
                    .write_transaction(&[Scope::Viewer("viewer"), Scope::Show("evt_a")])
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        });
        tokio::time::sleep(a_moment).await;
        assert!(!same.is_finished(), "the same show waits its turn");
        first.commit().await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), same)
            .await
            .expect("its turn comes once the first is done")
            .unwrap();
    }

    #[tokio::test]
    async fn every_statement_prepares_against_the_schema() {
        let (store, _db) = fresh_store().await;
        let statements = statements();
        assert!(statements.len() > 100, "{} statements", statements.len());
        let mut conn = store.pool.acquire().await.unwrap();
        let mut failures = Vec::new();
        for (here, sql, only) in &statements {
            if only.is_some_and(|only| only != store.backend) {
                continue;
            }
            if let Err(e) = (&mut *conn).prepare(sql.as_str()).await {
                failures.push(format!("{here}: {e}\n    {sql}"));
            }
        }
        assert!(
            failures.is_empty(),
            "statements the schema refuses ({:?}):\n{}",
            store.backend,
            failures.join("\n")
        );
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
