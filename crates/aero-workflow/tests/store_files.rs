//! The SQLite store file: created with its directory, durable settings, and bad files
//! (foreign, damaged, from a newer schema) refused with a clear error and left untouched.

mod support;

use std::path::{Path, PathBuf};

use aero_error::{Classify, ErrorClass};
use aero_workflow::{SCHEMA_VERSION, Store, StoreError, StoreOptions};
use sqlx::{ConnectOptions, Connection};

fn options() -> StoreOptions {
    StoreOptions::new(support::redactor())
}

/// Every file of `dir` with its size and the SHA-256 of its bytes, sorted by name.
fn snapshot(dir: &Path) -> Vec<(PathBuf, usize, String)> {
    let mut files: Vec<(PathBuf, usize, String)> = std::fs::read_dir(dir)
        .expect("list")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_file())
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read");
            let digest = aero_workflow::snapshot_id(&bytes);
            (path, bytes.len(), digest)
        })
        .collect();
    files.sort();
    files
}

/// Opens `path` expecting an error, and checks the directory did not change at all.
#[track_caller]
fn refused(path: &Path) -> StoreError {
    let dir = path.parent().expect("dir");
    let before = snapshot(dir);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let error = runtime
        .block_on(Store::open(path.to_str().expect("utf-8"), options()))
        .expect_err("refused");
    drop(runtime);
    assert_eq!(snapshot(dir), before, "the refused store was touched");
    error
}

/// A closed store with one submitted action, at `dir/workflow.db`.
fn make_store(dir: &Path) -> PathBuf {
    let path = dir.join("workflow.db");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store = Store::open(path.to_str().expect("utf-8"), options())
            .await
            .expect("open");
        store
            .submit(&support::action(
                "lon1",
                vec![support::probe("a", &[], serde_json::json!({}))],
            ))
            .await
            .expect("submit");
        store.close().await.expect("close");
    });
    path
}

async fn raw(path: &Path) -> sqlx::SqliteConnection {
    sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .expect("raw connection")
}

#[tokio::test]
async fn a_new_store_is_created_with_its_directory_in_wal_mode_with_full_sync() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("state").join("nested").join("workflow.db");
    let store = Store::open(path.to_str().expect("utf-8"), options())
        .await
        .expect("open");
    assert!(path.exists());
    store.close().await.expect("close");
    let mut connection = raw(&path).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut connection)
        .await
        .expect("journal mode");
    assert_eq!(mode, "wal");
    let version: String =
        sqlx::query_scalar("SELECT value FROM aero_meta WHERE key = 'schema_version'")
            .fetch_one(&mut connection)
            .await
            .expect("version");
    assert_eq!(version, SCHEMA_VERSION.to_string());
    connection.close().await.expect("close");
    // Reopening an existing store works and keeps its data.
    let store = Store::open(path.to_str().expect("utf-8"), options())
        .await
        .expect("reopen");
    assert!(
        store
            .list(&Default::default())
            .await
            .expect("list")
            .is_empty()
    );
    store.check_integrity().await.expect("intact");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_store_connection_syncs_each_commit() {
    // `synchronous = FULL` on the store's own connections: read it back through a
    // statement run by the store (the value is per connection).
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("workflow.db");
    let store = Store::open(path.to_str().expect("utf-8"), options())
        .await
        .expect("open");
    for _ in 0..4 {
        assert_eq!(
            store.sqlite_synchronous().await.expect("pragma"),
            Some(2),
            "FULL"
        );
    }
}

#[test]
fn a_foreign_file_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("workflow.db");
    std::fs::write(&path, "operators' notes, not a database\n".repeat(200)).expect("write");
    let error = refused(&path);
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error}");
    assert!(
        error.to_string().contains("it is not an SQLite database"),
        "{error}"
    );
    assert_eq!(error.class(), ErrorClass::Permanent);
}

#[test]
fn a_foreign_sqlite_database_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("workflow.db");
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let mut connection = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .connect()
                .await
                .expect("create");
            sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
                .execute(&mut connection)
                .await
                .expect("table");
            connection.close().await.expect("close");
        });
    let error = refused(&path);
    assert_eq!(
        error.to_string(),
        format!(
            "{} is not an Aerostat workflow store (it holds other tables: invoices); it was left untouched",
            path.display()
        )
    );
}

#[test]
fn a_damaged_store_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = make_store(dir.path());
    // Overwrite the schema page (page 1 after the 100-byte header) with garbage.
    let mut bytes = std::fs::read(&path).expect("read");
    for (offset, byte) in bytes[100..4096].iter_mut().enumerate() {
        *byte = (offset * 7 % 251) as u8;
    }
    std::fs::write(&path, &bytes).expect("write");
    let error = refused(&path);
    assert!(matches!(error, StoreError::Corrupt { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("is damaged"), "{message}");
    assert!(message.contains("left untouched"), "{message}");
}

#[test]
fn a_truncated_store_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = make_store(dir.path());
    let bytes = std::fs::read(&path).expect("read");
    std::fs::write(&path, &bytes[..10]).expect("truncate");
    let error = refused(&path);
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error}");
}

#[test]
fn a_store_from_a_newer_schema_is_refused_untouched() {
    let dir = tempfile::tempdir().expect("dir");
    let path = make_store(dir.path());
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let mut connection = raw(&path).await;
            sqlx::query("UPDATE aero_meta SET value = '7' WHERE key = 'schema_version'")
                .execute(&mut connection)
                .await
                .expect("bump");
            sqlx::query("CREATE TABLE from_the_future (x INTEGER)")
                .execute(&mut connection)
                .await
                .expect("table");
            connection.close().await.expect("close");
        });
    let error = refused(&path);
    assert!(
        matches!(
            error,
            StoreError::NewerSchema {
                found: 7,
                supported: SCHEMA_VERSION,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("use a newer aero"), "{error}");
}

#[test]
fn a_directory_is_not_a_store() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("workflow.db");
    std::fs::create_dir(&path).expect("mkdir");
    std::fs::write(path.join("keep"), "x").expect("write");
    let error = refused(&path);
    assert!(matches!(error, StoreError::NotAStore { .. }), "{error}");
}
