//! The durable store: an embedded SQLite file by default, PostgreSQL for teams, one
//! logical schema (see `migrations/`).
//!
//! Both backends run through sqlx's `Any` driver with the same SQL text (numbered `$N`
//! parameters, `ON CONFLICT`, `RETURNING`, partial unique indexes); the few dialect
//! differences live in the migrations (the `aero_clock` view, identity columns, blobs) and
//! in [`Dialect`] (how a write transaction begins, how a fencing guard locks its row).
//!
//! # Durability (SQLite)
//!
//! The file runs in WAL mode with `synchronous = FULL`: every commit fsyncs the WAL before
//! it returns, so a committed transaction survives a crash of the process *and* of the
//! machine. (`NORMAL` would only fsync at checkpoints: a commit could vanish with a power
//! loss, and an intent must be on disk before its side effect.) Commits are few because
//! the journal is group-committed (see `writer`): one transaction carries every entry
//! queued since the last one, and only an intent (or another durable write) forces a
//! commit at once; everything queued before it is committed with it, in order. A crash
//! can therefore lose only the last few milliseconds of lazy entries, never an entry that
//! precedes a durable one. PostgreSQL commits are durable with its default
//! `synchronous_commit = on`.
//!
//! # What is never written
//!
//! Every text and JSON value passes through the store's [`SharedRedactor`] before it is
//! written; snapshots (binary, content-addressed) are refused if they hold a registered
//! secret in clear.

mod control;
mod data;
pub(crate) mod lease;
mod open;
mod records;
pub(crate) mod writer;

use std::sync::Arc;
use std::time::Duration;

use aero_redact::SharedRedactor;
use sqlx::AnyPool;
use sqlx::{Any, Transaction};

use crate::error::StoreError;

pub use data::{Deployment, PhoneHome, PhoneHomeRecord, SiteFact, snapshot_id};
pub(crate) use lease::LeaseCandidate;
pub use lease::WorkerRecord;
pub(crate) use records::LoadedAction;
pub use records::{
    ActionDetail, ActionFilter, ActionSummary, JournalRecord, LogFilter, StepSummary,
};
pub(crate) use writer::{Fence, WriteOp};

/// The newest schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = 1;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

impl Dialect {
    /// The statement that opens a write transaction. SQLite takes the write lock at once
    /// (`IMMEDIATE`), so a transaction never has to upgrade a read snapshot (which fails
    /// with `SQLITE_BUSY` instead of waiting when another writer went first).
    fn begin_write(self) -> &'static str {
        match self {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        }
    }

    /// The fencing guard: whether the lease (action, owner, token) is still the current
    /// one. On PostgreSQL the row is locked `FOR SHARE` until the transaction ends, so a
    /// concurrent claim (an `UPDATE` of the row) waits for the writes it fences, and a
    /// write waiting behind a claim sees the new token and fails. SQLite serializes write
    /// transactions already.
    fn fence_guard(self) -> &'static str {
        match self {
            Dialect::Sqlite => {
                "SELECT 1 FROM actions WHERE id = $1 AND lease_owner = $2 AND lease_token = $3"
            }
            Dialect::Postgres => {
                "SELECT 1 FROM actions WHERE id = $1 AND lease_owner = $2 AND lease_token = $3 \
                 FOR SHARE"
            }
        }
    }
}

/// Settings of a store connection.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Scrubs everything written.
    pub redactor: SharedRedactor,
    /// How long lazy journal entries may wait to be group-committed.
    pub flush_interval: Duration,
    /// How long a SQLite write waits for another process's write lock.
    pub busy_timeout: Duration,
    /// How long connecting to PostgreSQL may take.
    pub connect_timeout: Duration,
    /// How long PostgreSQL keeps a session that sits idle inside a transaction before it
    /// ends it (`idle_in_transaction_session_timeout`). Every write holds the action's
    /// row lock (the fencing guard) until it commits, so a worker frozen mid-transaction
    /// (SIGSTOP, a paused VM, a partitioned host) would otherwise block the claim of its
    /// lapsed lease for as long as it stays frozen. Rolling its transaction back is safe:
    /// the fencing token refuses whatever it tries after it thaws.
    pub idle_transaction_timeout: Duration,
    /// Connections in the pool.
    pub max_connections: u32,
}

impl StoreOptions {
    /// Defaults: 20 ms group commit, 30 s SQLite busy timeout, 10 s connect timeout,
    /// 5 s idle-in-transaction timeout, 8 connections.
    pub fn new(redactor: SharedRedactor) -> Self {
        StoreOptions {
            redactor,
            flush_interval: Duration::from_millis(20),
            busy_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            idle_transaction_timeout: Duration::from_secs(5),
            max_connections: 8,
        }
    }
}

/// A handle on the workflow store; clones share one connection pool and one journal
/// writer.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    dialect: Dialect,
    location: String,
    redactor: SharedRedactor,
    writer: writer::Handle,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Store")
            .field("location", &self.inner.location)
            .field("dialect", &self.inner.dialect)
            .finish()
    }
}

impl Store {
    /// Opens the store at `location`: a `postgres://` (or `postgresql://`) URL, or the
    /// path of a SQLite file (created, with its directory, if missing; `sqlite://` prefix
    /// allowed).
    ///
    /// A file or database that is not an Aerostat store, is damaged, or comes from a newer
    /// schema version gives an error and is left untouched.
    pub async fn open(location: &str, options: StoreOptions) -> Result<Store, StoreError> {
        if location.starts_with("postgres://") || location.starts_with("postgresql://") {
            open::postgres(location, options).await
        } else {
            let path = location.strip_prefix("sqlite://").unwrap_or(location);
            open::sqlite(std::path::Path::new(path), options).await
        }
    }

    fn from_parts(
        pool: AnyPool,
        dialect: Dialect,
        location: String,
        options: &StoreOptions,
    ) -> Store {
        let writer = writer::spawn(
            pool.clone(),
            dialect,
            options.flush_interval,
            options.redactor.clone(),
        );
        Store {
            inner: Arc::new(Inner {
                pool,
                dialect,
                location,
                redactor: options.redactor.clone(),
                writer,
            }),
        }
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.inner.dialect
    }

    /// Where the store is (a path, or a URL without its password).
    pub fn location(&self) -> &str {
        &self.inner.location
    }

    /// The redactor everything written passes through.
    pub fn redactor(&self) -> &SharedRedactor {
        &self.inner.redactor
    }

    /// Commits every journal entry queued so far.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.inner
            .writer
            .write(None, Vec::new(), true)
            .await
            .map(|_| ())
    }

    /// Flushes the journal and closes the connections.
    pub async fn close(&self) -> Result<(), StoreError> {
        self.flush().await?;
        self.inner.pool.close().await;
        Ok(())
    }

    /// The database's clock, in milliseconds since the Unix epoch.
    pub async fn now_ms(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar::<Any, i64>("SELECT now_ms FROM aero_clock")
            .fetch_one(&self.inner.pool)
            .await
            .map_err(|error| StoreError::database("reading the clock", error))
    }

    /// Runs SQLite's full integrity check (slow on large stores); PostgreSQL checks its
    /// own pages.
    pub async fn check_integrity(&self) -> Result<(), StoreError> {
        if self.inner.dialect == Dialect::Sqlite {
            let verdict: String = sqlx::query_scalar::<Any, String>("PRAGMA integrity_check(1)")
                .fetch_one(&self.inner.pool)
                .await
                .map_err(|error| self.located(StoreError::database("checking integrity", error)))?;
            if verdict != "ok" {
                return Err(StoreError::Corrupt {
                    location: self.inner.location.clone(),
                    detail: verdict,
                });
            }
        }
        Ok(())
    }

    /// The `synchronous` setting of a pooled SQLite connection (2 is `FULL`: every commit
    /// is synced); `None` on PostgreSQL.
    pub async fn sqlite_synchronous(&self) -> Result<Option<i64>, StoreError> {
        if self.inner.dialect != Dialect::Sqlite {
            return Ok(None);
        }
        sqlx::query_scalar::<Any, i64>("PRAGMA synchronous")
            .fetch_one(&self.inner.pool)
            .await
            .map(Some)
            .map_err(|error| self.located(StoreError::database("reading a setting", error)))
    }

    /// Every row of every table, as text (for tests that scan the store for secrets).
    pub async fn dump_all_text(&self) -> Result<Vec<(String, String)>, StoreError> {
        records::dump_all_text(self).await
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.inner.pool
    }

    pub(crate) fn writer(&self) -> &writer::Handle {
        &self.inner.writer
    }

    /// A write transaction (see [`Dialect::begin_write`]).
    pub(crate) async fn begin(&self) -> Result<Transaction<'static, Any>, StoreError> {
        self.inner
            .pool
            .begin_with(self.inner.dialect.begin_write())
            .await
            .map_err(|error| self.located(StoreError::database("beginning a transaction", error)))
    }

    /// Adds the store's location to a `Corrupt` error.
    pub(crate) fn located(&self, error: StoreError) -> StoreError {
        match error {
            StoreError::Corrupt { detail, .. } => StoreError::Corrupt {
                location: self.inner.location.clone(),
                detail,
            },
            other => other,
        }
    }

    pub(crate) fn scrub(&self, text: &str) -> String {
        crate::scrub::text(&self.inner.redactor, text)
    }

    pub(crate) fn scrub_json(&self, value: &serde_json::Value) -> String {
        crate::scrub::json_text(&self.inner.redactor, value)
    }
}

/// Maps a query error, with the store's location for damage reports.
pub(crate) fn db<'a>(
    store: &'a Store,
    operation: &'static str,
) -> impl Fn(sqlx::Error) -> StoreError + 'a {
    move |error| store.located(StoreError::database(operation, error))
}
