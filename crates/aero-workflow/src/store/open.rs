//! Opening a store: look before touching, then migrate.
//!
//! An existing SQLite file is first read through a read-only connection that changes
//! nothing (no journal mode, no pragma write): its header must say SQLite, its tables must
//! be an Aerostat store's (or none), and its schema version must not be newer than this
//! build's. Only then is it opened for writing (WAL mode) and migrated. A file that fails
//! any check gives an error and keeps every byte. PostgreSQL gets the same checks on its
//! current schema before any migration.

use std::borrow::Cow;
use std::path::Path;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, SqlSafeStr};

use super::{Dialect, SCHEMA_VERSION, Store, StoreOptions};
use crate::error::StoreError;

/// The format marker of the `aero_meta` table.
const FORMAT: &str = "aerostat-workflow-store";

/// The bytes every SQLite database file starts with.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The migrations of `dialect`, embedded at build time.
fn migrator(dialect: Dialect) -> Migrator {
    let initial = match dialect {
        Dialect::Sqlite => include_str!("../../migrations/sqlite/0001_initial.sql"),
        Dialect::Postgres => include_str!("../../migrations/postgres/0001_initial.sql"),
    };
    Migrator::with_migrations(vec![Migration::new(
        1,
        Cow::Borrowed("initial"),
        MigrationType::Simple,
        initial.into_sql_str(),
        false,
    )])
}

/// What a look at an existing database found.
enum Found {
    /// No table at all (or only sqlx's migration table): a new store.
    Empty,
    /// An Aerostat store of this schema version or an older one.
    Store,
}

/// Judges the tables and `aero_meta` rows of a database.
fn judge(
    location: &str,
    tables: &[String],
    meta: Option<(Option<String>, Option<String>)>,
) -> Result<Found, StoreError> {
    let Some((format, version)) = meta else {
        let foreign: Vec<&str> = tables
            .iter()
            .map(String::as_str)
            .filter(|name| *name != "_sqlx_migrations" && !name.starts_with("sqlite_"))
            .collect();
        if foreign.is_empty() {
            return Ok(Found::Empty);
        }
        return Err(StoreError::NotAStore {
            location: location.to_string(),
            detail: format!("it holds other tables: {}", foreign.join(", ")),
        });
    };
    if format.as_deref() != Some(FORMAT) {
        return Err(StoreError::NotAStore {
            location: location.to_string(),
            detail: format!("its format is {:?}", format.unwrap_or_default()),
        });
    }
    let version_text = version.unwrap_or_default();
    let found: i64 = version_text.parse().map_err(|_| StoreError::Corrupt {
        location: location.to_string(),
        detail: format!("unreadable schema version {version_text:?}"),
    })?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            location: location.to_string(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(Found::Store)
}

fn corrupt_or(location: &str, operation: &'static str, error: sqlx::Error) -> StoreError {
    match StoreError::database(operation, error) {
        StoreError::Corrupt { detail, .. } => StoreError::Corrupt {
            location: location.to_string(),
            detail,
        },
        StoreError::Database { source, .. } => StoreError::Corrupt {
            location: location.to_string(),
            detail: source.to_string(),
        },
        other => other,
    }
}

/// Reads an existing SQLite file without changing it.
async fn probe_sqlite(path: &Path, location: &str) -> Result<Found, StoreError> {
    let io_error = |source| StoreError::Io {
        path: location.to_string(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io_error)?;
    if !metadata.is_file() {
        return Err(StoreError::NotAStore {
            location: location.to_string(),
            detail: "it is not a regular file".to_string(),
        });
    }
    if metadata.len() == 0 {
        // SQLite's own representation of an empty database: nothing to lose.
        return Ok(Found::Empty);
    }
    let mut header = [0u8; 16];
    {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(io_error)?;
        let read = file.read(&mut header).map_err(io_error)?;
        if read < header.len() || &header != SQLITE_HEADER {
            return Err(StoreError::NotAStore {
                location: location.to_string(),
                detail: "it is not an SQLite database".to_string(),
            });
        }
    }
    // Without a WAL file (the store was closed cleanly), read the file as immutable: no
    // lock, no `-shm` or `-wal` file created. With one (a process died while using it),
    // its content matters: read it normally, read-only.
    let wal = {
        let mut name = path.as_os_str().to_owned();
        name.push("-wal");
        std::path::PathBuf::from(name)
    };
    let has_wal = std::fs::metadata(&wal).is_ok_and(|metadata| metadata.len() > 0);
    let mut connection = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .immutable(!has_wal)
        .connect()
        .await
        .map_err(|error| match StoreError::database("opening", error) {
            StoreError::Corrupt { detail, .. } => StoreError::Corrupt {
                location: location.to_string(),
                detail,
            },
            other => other,
        })?;
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut connection)
            .await
            .map_err(|error| corrupt_or(location, "listing tables", error))?;
    let meta = if tables.iter().any(|name| name == "aero_meta") {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM aero_meta")
            .fetch_all(&mut connection)
            .await
            .map_err(|error| corrupt_or(location, "reading aero_meta", error))?;
        Some(meta_fields(&rows))
    } else {
        None
    };
    let _ = connection.close().await;
    judge(location, &tables, meta)
}

fn meta_fields(rows: &[(String, String)]) -> (Option<String>, Option<String>) {
    let get = |key: &str| {
        rows.iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.clone())
    };
    (get("format"), get("schema_version"))
}

/// Opens (or creates) the SQLite store at `path`.
pub(super) async fn sqlite(path: &Path, options: StoreOptions) -> Result<Store, StoreError> {
    install_default_drivers();
    let location = path.display().to_string();
    if path.exists() {
        probe_sqlite(path, &location).await?;
    } else if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| StoreError::Io {
            path: parent.display().to_string(),
            source,
        })?;
    }

    // WAL is a property of the file: set it once, on a connection of its own.
    let native = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    {
        let mut connection = native
            .clone()
            .connect()
            .await
            .map_err(|error| corrupt_or(&location, "opening", error))?;
        connection
            .execute("PRAGMA journal_mode = WAL")
            .await
            .map_err(|error| corrupt_or(&location, "enabling WAL", error))?;
        let _ = connection.close().await;
    }

    let busy_ms = options.busy_timeout.as_millis().min(i32::MAX as u128) as i64;
    let pool = AnyPoolOptions::new()
        .max_connections(options.max_connections.max(2))
        .acquire_timeout(options.busy_timeout)
        .after_connect(move |connection, _meta| {
            Box::pin(async move {
                // Every commit fsyncs the WAL before it returns (see the module docs).
                connection.execute("PRAGMA synchronous = FULL").await?;
                connection.execute("PRAGMA foreign_keys = ON").await?;
                let busy = format!("PRAGMA busy_timeout = {busy_ms}");
                connection.execute(sqlx::AssertSqlSafe(busy)).await?;
                Ok(())
            })
        })
        .connect_with(
            sqlx::any::AnyConnectOptions::from_url(&native.to_url_lossy()).map_err(|error| {
                StoreError::Database {
                    operation: "configuring the connection",
                    source: error,
                }
            })?,
        )
        .await
        .map_err(|error| corrupt_or(&location, "opening", error))?;

    migrate(&pool, Dialect::Sqlite, &location).await?;
    Ok(Store::from_parts(pool, Dialect::Sqlite, location, &options))
}

/// `url` without its password, for messages.
pub(crate) fn display_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            format!("{scheme}://{user}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

/// Connects to the PostgreSQL store at `url`.
pub(super) async fn postgres(url: &str, options: StoreOptions) -> Result<Store, StoreError> {
    install_default_drivers();
    let location = display_url(url);
    let idle_ms = options
        .idle_transaction_timeout
        .as_millis()
        .clamp(1, i32::MAX as u128);
    let pool = AnyPoolOptions::new()
        .max_connections(options.max_connections.max(2))
        .acquire_timeout(options.connect_timeout)
        .after_connect(move |connection, _meta| {
            Box::pin(async move {
                let idle = format!("SET idle_in_transaction_session_timeout = {idle_ms}");
                connection.execute(sqlx::AssertSqlSafe(idle)).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|source| StoreError::Unreachable {
            location: location.clone(),
            source,
        })?;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::TEXT FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name",
    )
    .fetch_all(&pool)
    .await
    .map_err(|error| StoreError::database("listing tables", error))?;
    let meta = if tables.iter().any(|name| name == "aero_meta") {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM aero_meta")
            .fetch_all(&pool)
            .await
            .map_err(|error| StoreError::database("reading aero_meta", error))?;
        Some(meta_fields(&rows))
    } else {
        None
    };
    judge(&location, &tables, meta)?;
    migrate(&pool, Dialect::Postgres, &location).await?;
    Ok(Store::from_parts(
        pool,
        Dialect::Postgres,
        location,
        &options,
    ))
}

async fn migrate(pool: &sqlx::AnyPool, dialect: Dialect, location: &str) -> Result<(), StoreError> {
    let migrator = migrator(dialect);
    match migrator.run(pool).await {
        Ok(()) => Ok(()),
        // Two processes creating the same new store: the loser finds the work done.
        Err(_) if migrator.run(pool).await.is_ok() => Ok(()),
        Err(error) => Err(match error {
            sqlx::migrate::MigrateError::Execute(source) => {
                match StoreError::database("migrating", source) {
                    StoreError::Corrupt { detail, .. } => StoreError::Corrupt {
                        location: location.to_string(),
                        detail,
                    },
                    other => other,
                }
            }
            other => StoreError::Migrate(other),
        }),
    }
}

/// The integration tests' PostgreSQL server (its `start.sh` fallback included).
#[cfg(test)]
#[path = "../../tests/support/postgres.rs"]
mod test_server;

#[cfg(test)]
mod tests {
    use super::test_server;
    use super::*;

    /// A store session frozen inside a transaction (as a worker under SIGSTOP is) holds its
    /// row locks only until the idle-in-transaction timeout ends the session; the frozen
    /// handle's next statement fails and its pool goes on with a fresh connection.
    #[tokio::test]
    async fn a_session_frozen_inside_a_transaction_releases_its_locks() {
        let url = test_server::fresh_database().await;
        let redactor =
            aero_redact::SharedRedactor::with_key(aero_redact::RedactionKey::from_bytes([3; 32]));
        let mut options = StoreOptions::new(redactor);
        options.idle_transaction_timeout = std::time::Duration::from_secs(1);
        let frozen = Store::open(&url, options).await.expect("open");
        let mut transaction = frozen.begin().await.expect("begin");
        sqlx::query("SELECT value FROM aero_meta WHERE key = 'format' FOR SHARE")
            .execute(&mut *transaction)
            .await
            .expect("lock");

        let mut other = sqlx::PgConnection::connect(&url).await.expect("connect");
        let update = "UPDATE aero_meta SET value = value WHERE key = 'format'";
        sqlx::query("SET lock_timeout = 50")
            .execute(&mut other)
            .await
            .expect("set");
        let blocked = sqlx::query(update).execute(&mut other).await;
        assert!(blocked.is_err(), "the frozen session holds the row lock");
        sqlx::query("SET lock_timeout = 0")
            .execute(&mut other)
            .await
            .expect("set");
        tokio::time::timeout(
            std::time::Duration::from_secs(20),
            sqlx::query(update).execute(&mut other),
        )
        .await
        .expect("the lock is released once the frozen session times out")
        .expect("update");

        // The frozen handle thaws: its transaction is gone, the store still works.
        assert!(
            sqlx::query("SELECT 1")
                .execute(&mut *transaction)
                .await
                .is_err()
        );
        drop(transaction);
        frozen.workers().await.expect("a fresh connection");
    }

    #[test]
    fn passwords_never_appear_in_locations() {
        assert_eq!(
            display_url("postgres://aero:hunter2@db.example:5432/aero?sslmode=require"),
            "postgres://aero@db.example:5432/aero?sslmode=require"
        );
        assert_eq!(display_url("postgres://db/aero"), "postgres://db/aero");
        assert_eq!(display_url("postgres://a:b@c@h/d"), "postgres://a@h/d");
    }
}
