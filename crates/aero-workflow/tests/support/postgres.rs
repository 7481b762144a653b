//! A PostgreSQL server for the tests: `AERO_TEST_POSTGRES_URL` when set, else a throwaway
//! cluster started with `ci/postgres/start.sh` (which stops when this test process exits).
//! Each test gets a database of its own.

use std::sync::OnceLock;

use sqlx::Connection;

/// The server's URL (any database; the user may create databases).
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("AERO_TEST_POSTGRES_URL")
            && !url.is_empty()
        {
            return url;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ci/postgres/start.sh");
        let output = std::process::Command::new("bash")
            .arg(script)
            .arg("--owner-pid")
            .arg(std::process::id().to_string())
            .output()
            .unwrap_or_else(|error| panic!("cannot run {script}: {error}"));
        assert!(
            output.status.success(),
            "PostgreSQL tests need a server: set AERO_TEST_POSTGRES_URL to a URL whose user \
             may CREATE DATABASE, or install PostgreSQL (Debian: apt-get install postgresql) so \
             that {script} can start one.\n{script} said:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap_or_default()
            .trim()
            .to_string()
    })
}

/// `url` with its database replaced by `database`.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map_or("", |start| &tail[start..]);
    format!("{scheme}://{authority}/{database}{query}")
}

/// A new, empty database on the test server; returns its URL.
pub async fn fresh_database() -> String {
    let server = server_url();
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).expect("random");
    let name: String = std::iter::once("aero_test_".to_string())
        .chain(bytes.iter().map(|byte| format!("{byte:02x}")))
        .collect();
    let mut connection = sqlx::PgConnection::connect(server)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the test PostgreSQL server: {error}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut connection)
        .await
        .expect("create database");
    let _ = connection.close().await;
    with_database(server, &name)
}

#[test]
fn database_names_replace_the_path() {
    assert_eq!(
        with_database("postgres://a:b@127.0.0.1:5/postgres?sslmode=disable", "x"),
        "postgres://a:b@127.0.0.1:5/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h:5", "x"), "postgres://h:5/x");
}
