//! Errors of the store and of the engine, each with its [`ErrorClass`].

use aero_error::{Classify, ErrorClass};

use crate::dag::SpecError;
use crate::step::BuildError;

/// A failure of the workflow store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached (PostgreSQL down, wrong host or port, ...).
    #[error("cannot reach the workflow store at {location}: {source}")]
    Unreachable {
        /// Where (a URL without its password, or a path).
        location: String,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The file or database is something else than an Aerostat store.
    #[error("{location} is not an Aerostat workflow store ({detail}); it was left untouched")]
    NotAStore {
        /// The path or URL.
        location: String,
        /// What was found.
        detail: String,
    },
    /// The store is damaged.
    #[error(
        "the workflow store at {location} is damaged ({detail}); it was left untouched: \
         restore it from a backup or move it aside"
    )]
    Corrupt {
        /// The path or URL.
        location: String,
        /// What the database said.
        detail: String,
    },
    /// The store was written by a newer Aerostat.
    #[error(
        "the workflow store at {location} has schema version {found}, newer than this \
         version of aero understands ({supported}); it was left untouched: use a newer aero"
    )]
    NewerSchema {
        /// The path or URL.
        location: String,
        /// The store's version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A query failed.
    #[error("workflow store: {operation}: {source}")]
    Database {
        /// What was being done.
        operation: &'static str,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// A batch of journal writes failed (the same failure is given to every write of the
    /// batch).
    #[error("workflow store: writing the journal: {message}")]
    Write {
        /// The failure.
        message: String,
        /// Its class.
        class: ErrorClass,
    },
    /// Applying the schema migrations failed.
    #[error("workflow store: migrating the schema: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// The store's directory cannot be created or the file read.
    #[error("workflow store {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// This worker's lease on the action was taken over: it must stop writing.
    #[error(
        "action `{action}`: this worker's lease (fencing token {token}) is no longer valid; \
         another worker took the action over"
    )]
    LeaseLost {
        /// The action.
        action: String,
        /// The token that is no longer valid.
        token: i64,
    },
    /// Another action holds the site.
    #[error("site `{site}` is locked by action `{holder}` ({state}); wait for it, or stop it")]
    SiteBusy {
        /// The site.
        site: String,
        /// The action holding it.
        holder: String,
        /// The holder's state.
        state: String,
    },
    /// A live worker holds the action's lease.
    #[error(
        "action `{action}` is being run by worker `{worker}` (lease valid for {remaining_ms} ms)"
    )]
    ActionBusy {
        /// The action.
        action: String,
        /// The worker.
        worker: String,
        /// Time left on its lease.
        remaining_ms: i64,
    },
    /// No such action.
    #[error("no action `{0}`")]
    ActionNotFound(String),
    /// No such step.
    #[error("action `{action}` has no step `{step}`")]
    StepNotFound {
        /// The action.
        action: String,
        /// The step asked for.
        step: String,
    },
    /// The action's state does not allow the operation.
    #[error("action `{action}` is {state}: cannot {operation}")]
    InvalidState {
        /// The action.
        action: String,
        /// Its state.
        state: String,
        /// What was asked.
        operation: &'static str,
    },
    /// A step's state does not allow the operation.
    #[error("step `{step}` of action `{action}` {detail}")]
    InvalidStep {
        /// The action.
        action: String,
        /// The step.
        step: String,
        /// Why not.
        detail: String,
    },
    /// No snapshot with this id.
    #[error("no snapshot `{0}` in the workflow store")]
    SnapshotNotFound(String),
    /// A snapshot's bytes do not match its id.
    #[error("snapshot `{0}` in the workflow store does not match its content hash")]
    SnapshotDamaged(String),
    /// A snapshot holds a registered secret in clear.
    #[error(
        "refusing to store a snapshot that holds a registered secret in clear (snapshots \
         must hold encrypted sources)"
    )]
    SnapshotHoldsSecret,
    /// Stored data cannot be read back.
    #[error("workflow store: cannot read {what}: {detail}")]
    Decode {
        /// What.
        what: String,
        /// Why.
        detail: String,
    },
    /// The action spec is invalid.
    #[error(transparent)]
    Spec(#[from] SpecError),
}

impl StoreError {
    /// A query failure; the database's "damaged" answers become [`StoreError::Corrupt`].
    pub(crate) fn database(operation: &'static str, source: sqlx::Error) -> StoreError {
        if let sqlx::Error::Database(database_error) = &source {
            let code = database_error.code().unwrap_or_default();
            // SQLite: SQLITE_CORRUPT (11) and SQLITE_NOTADB (26), with extended codes.
            if let Ok(number) = code.parse::<i64>()
                && matches!(number & 0xff, 11 | 26)
            {
                return StoreError::Corrupt {
                    location: "(open store)".to_string(),
                    detail: database_error.message().to_string(),
                };
            }
        }
        StoreError::Database { operation, source }
    }
}

/// The class of a database failure: connection trouble, timeouts, busy or locked
/// databases, serialization failures and deadlocks pass; the rest does not.
pub(crate) fn sqlx_class(error: &sqlx::Error) -> ErrorClass {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => ErrorClass::Transient,
        sqlx::Error::Database(database_error) => {
            let code = database_error.code().unwrap_or_default();
            let sqlite_busy = code
                .parse::<i64>()
                .is_ok_and(|number| matches!(number & 0xff, 5 | 6));
            let postgres_transient = code.starts_with("08")
                || code == "40001"
                || code == "40P01"
                || code.starts_with("57P");
            if sqlite_busy || postgres_transient {
                ErrorClass::Transient
            } else {
                ErrorClass::Permanent
            }
        }
        _ => ErrorClass::Permanent,
    }
}

impl Classify for StoreError {
    fn class(&self) -> ErrorClass {
        match self {
            StoreError::Unreachable { .. } => ErrorClass::Transient,
            StoreError::Database { source, .. } => sqlx_class(source),
            StoreError::Write { class, .. } => *class,
            StoreError::NotAStore { .. }
            | StoreError::Corrupt { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::Migrate(_)
            | StoreError::SnapshotDamaged(_)
            | StoreError::Decode { .. } => ErrorClass::Permanent,
            StoreError::Io { source, .. } => source.class(),
            StoreError::LeaseLost { .. }
            | StoreError::SiteBusy { .. }
            | StoreError::ActionBusy { .. } => ErrorClass::Conflict,
            StoreError::ActionNotFound(_)
            | StoreError::StepNotFound { .. }
            | StoreError::SnapshotNotFound(_) => ErrorClass::NotFound,
            StoreError::InvalidState { .. } | StoreError::InvalidStep { .. } => ErrorClass::Usage,
            StoreError::SnapshotHoldsSecret | StoreError::Spec(_) => ErrorClass::InvalidInput,
        }
    }
}

/// A failure of the engine: of its store, or of preparing an action's steps.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The action's steps cannot be prepared on this worker; the action was left for
    /// another try (its lease released).
    #[error(transparent)]
    Build(#[from] BuildError),
}

impl Classify for EngineError {
    fn class(&self) -> ErrorClass {
        match self {
            EngineError::Store(error) => error.class(),
            EngineError::Build(error) => error.class(),
        }
    }
}
