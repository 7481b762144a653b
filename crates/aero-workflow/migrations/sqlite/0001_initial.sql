-- Aerostat workflow store, schema version 1 (SQLite dialect).
-- Times are milliseconds since the Unix epoch, always taken from the database's clock
-- (the aero_clock view), never from a worker's. JSON is stored as TEXT.

-- What this database is and which schema version it holds.
CREATE TABLE aero_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO aero_meta (key, value) VALUES ('format', 'aerostat-workflow-store');
INSERT INTO aero_meta (key, value) VALUES ('schema_version', '1');

-- The database's clock: one definition per dialect, so every query reads it the same way.
CREATE VIEW aero_clock AS
    SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now_ms;

-- Worker processes, for lease display and for breaking the lease of a dead local process.
CREATE TABLE workers (
    id            TEXT PRIMARY KEY NOT NULL,
    hostname      TEXT NOT NULL,
    boot_id       TEXT NOT NULL,
    pid_ns        TEXT NOT NULL,
    pid           BIGINT NOT NULL,
    process_start BIGINT NOT NULL,
    started_ms    BIGINT NOT NULL,
    heartbeat_ms  BIGINT NOT NULL
);

-- Actions. `active` is 1 while the action holds its site; the partial unique index
-- below makes the store itself refuse a second active action on a site.
-- The lease: `lease_owner` (a worker id), `lease_token` (the fencing token, incremented
-- by every claim), `lease_expires_ms` (database clock).
CREATE TABLE actions (
    id               TEXT PRIMARY KEY NOT NULL,
    kind             TEXT NOT NULL,
    site             TEXT NOT NULL,
    revision_id      TEXT NOT NULL,
    snapshot_id      TEXT NOT NULL,
    params           TEXT NOT NULL,
    limits           TEXT NOT NULL,
    state            TEXT NOT NULL,
    active           BIGINT NOT NULL,
    control          TEXT,
    error            TEXT,
    step_count       BIGINT NOT NULL,
    created_ms       BIGINT NOT NULL,
    updated_ms       BIGINT NOT NULL,
    started_ms       BIGINT,
    ended_ms         BIGINT,
    lease_owner      TEXT,
    lease_token      BIGINT NOT NULL DEFAULT 0,
    lease_expires_ms BIGINT
);
CREATE UNIQUE INDEX actions_one_active_per_site ON actions (site) WHERE active = 1;
CREATE INDEX actions_by_created ON actions (created_ms);
CREATE INDEX actions_by_state ON actions (state);

-- Steps of an action, in spec order (`idx`); `spec` is the persisted StepSpec.
-- `open_intent` is the journal sequence number of an intent without a result.
CREATE TABLE steps (
    action_id    TEXT NOT NULL REFERENCES actions (id),
    idx          BIGINT NOT NULL,
    step_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL,
    grp          TEXT,
    node         TEXT,
    spec         TEXT NOT NULL,
    state        TEXT NOT NULL,
    attempts     BIGINT NOT NULL DEFAULT 0,
    started_ms   BIGINT,
    ended_ms     BIGINT,
    output       TEXT,
    error        TEXT,
    reason       TEXT,
    tolerated_by TEXT,
    open_intent  BIGINT,
    PRIMARY KEY (action_id, idx)
);
CREATE UNIQUE INDEX steps_by_id ON steps (action_id, step_id);

-- The journal: every transition and event of every action, in order.
-- An intent (kind 'intent') is followed by its result (kind 'result', ref_seq = the
-- intent's seq) unless the worker died in between.
CREATE TABLE journal (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id TEXT NOT NULL,
    step_id   TEXT,
    at_ms     BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    state     TEXT,
    attempt   BIGINT,
    ref_seq   BIGINT,
    message   TEXT NOT NULL,
    data      TEXT,
    token     BIGINT
);
CREATE INDEX journal_by_action ON journal (action_id, seq);
CREATE INDEX journal_by_step ON journal (action_id, step_id, seq);

-- Content-addressed blobs: the encrypted source files of pinned revisions.
CREATE TABLE snapshots (
    id         TEXT PRIMARY KEY NOT NULL,
    size       BIGINT NOT NULL,
    data       BLOB NOT NULL,
    created_ms BIGINT NOT NULL
);

-- Small facts about a site, written by steps (fenced), read by plans and steps.
CREATE TABLE site_facts (
    site       TEXT NOT NULL,
    domain     TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    action_id  TEXT,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (site, domain, key)
);

-- The last successful revision per site and action kind.
CREATE TABLE deployments (
    site        TEXT NOT NULL,
    action_kind TEXT NOT NULL,
    action_id   TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    snapshot_id TEXT NOT NULL,
    state       TEXT NOT NULL,
    finished_ms BIGINT NOT NULL,
    PRIMARY KEY (site, action_kind)
);

-- What nodes reported when they booted (written by the artifact server).
CREATE TABLE phone_home (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    site        TEXT NOT NULL,
    node        TEXT NOT NULL,
    action_id   TEXT,
    revision_id TEXT,
    received_ms BIGINT NOT NULL,
    data        TEXT NOT NULL
);
CREATE INDEX phone_home_by_node ON phone_home (site, node, seq);
