//! The store's other data: snapshots of pinned revisions, site facts, deployments and
//! phone-home records.

use sha2::{Digest, Sha256};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, db};
use crate::error::StoreError;
use crate::state::ActionState;

/// A small fact about a site (for instance a node's provisioned fingerprint).
#[derive(Clone, Debug, PartialEq)]
pub struct SiteFact {
    /// The site.
    pub site: String,
    /// Who owns the fact (`baremetal`, ...).
    pub domain: String,
    /// Its key within the domain.
    pub key: String,
    /// Its value.
    pub value: serde_json::Value,
    /// The action that wrote it.
    pub action_id: Option<String>,
    /// When (store clock).
    pub updated_ms: i64,
}

/// The last successful action of a kind on a site.
#[derive(Clone, Debug, PartialEq)]
pub struct Deployment {
    /// The site.
    pub site: String,
    /// The action kind.
    pub action_kind: String,
    /// The action.
    pub action_id: String,
    /// Its pinned revision.
    pub revision_id: String,
    /// Its snapshot.
    pub snapshot_id: String,
    /// Succeeded or SucceededWithFailures.
    pub state: ActionState,
    /// When it ended (store clock).
    pub finished_ms: i64,
}

/// What a node reported when it booted, as received.
#[derive(Clone, Debug, PartialEq)]
pub struct PhoneHome {
    /// The site.
    pub site: String,
    /// The node.
    pub node: String,
    /// The action whose per-node URL was used, if known.
    pub action_id: Option<String>,
    /// The revision the node was built from, if known.
    pub revision_id: Option<String>,
    /// What it sent (JSON, scrubbed before it is stored).
    pub data: serde_json::Value,
}

/// A stored phone-home record.
#[derive(Clone, Debug, PartialEq)]
pub struct PhoneHomeRecord {
    /// Sequence number (increasing).
    pub seq: i64,
    /// When it was received (store clock).
    pub received_ms: i64,
    /// What was received.
    pub record: PhoneHome,
}

fn decode(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |error| StoreError::Decode {
        what: what.to_string(),
        detail: error.to_string(),
    }
}

fn json(text: &str, what: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Decode {
        what: what.to_string(),
        detail: error.to_string(),
    })
}

fn fact_from_row(row: &AnyRow) -> Result<SiteFact, StoreError> {
    let value: String = row.try_get("value").map_err(decode("site fact"))?;
    Ok(SiteFact {
        site: row.try_get("site").map_err(decode("site fact"))?,
        domain: row.try_get("domain").map_err(decode("site fact"))?,
        key: row.try_get("key").map_err(decode("site fact"))?,
        value: json(&value, "site fact")?,
        action_id: row.try_get("action_id").map_err(decode("site fact"))?,
        updated_ms: row.try_get("updated_ms").map_err(decode("site fact"))?,
    })
}

fn deployment_from_row(row: &AnyRow) -> Result<Deployment, StoreError> {
    let state: String = row.try_get("state").map_err(decode("deployment"))?;
    Ok(Deployment {
        site: row.try_get("site").map_err(decode("deployment"))?,
        action_kind: row.try_get("action_kind").map_err(decode("deployment"))?,
        action_id: row.try_get("action_id").map_err(decode("deployment"))?,
        revision_id: row.try_get("revision_id").map_err(decode("deployment"))?,
        snapshot_id: row.try_get("snapshot_id").map_err(decode("deployment"))?,
        state: ActionState::from_name(&state).unwrap_or(ActionState::Succeeded),
        finished_ms: row.try_get("finished_ms").map_err(decode("deployment"))?,
    })
}

/// The id of a snapshot: `sha256:` and the hex digest of its bytes.
pub fn snapshot_id(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

impl Store {
    /// Stores a snapshot (idempotent) and returns its id. Refuses bytes holding a
    /// registered secret in clear: snapshots hold encrypted sources only.
    pub async fn put_snapshot(&self, bytes: &[u8]) -> Result<String, StoreError> {
        if self.redactor().read().scrub_bytes(bytes).as_ref() != bytes {
            return Err(StoreError::SnapshotHoldsSecret);
        }
        let id = snapshot_id(bytes);
        sqlx::query(
            "INSERT INTO snapshots (id, size, data, created_ms) \
             VALUES ($1, $2, $3, (SELECT now_ms FROM aero_clock)) ON CONFLICT (id) DO NOTHING",
        )
        .bind(&id)
        .bind(bytes.len() as i64)
        .bind(bytes.to_vec())
        .execute(self.pool())
        .await
        .map_err(db(self, "storing a snapshot"))?;
        Ok(id)
    }

    /// Loads a snapshot, checking its bytes against its id.
    pub async fn snapshot(&self, id: &str) -> Result<Vec<u8>, StoreError> {
        let bytes: Vec<u8> = sqlx::query_scalar("SELECT data FROM snapshots WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(db(self, "loading a snapshot"))?
            .ok_or_else(|| StoreError::SnapshotNotFound(id.to_string()))?;
        if snapshot_id(&bytes) != id {
            return Err(StoreError::SnapshotDamaged(id.to_string()));
        }
        Ok(bytes)
    }

    /// One site fact.
    pub async fn fact(
        &self,
        site: &str,
        domain: &str,
        key: &str,
    ) -> Result<Option<SiteFact>, StoreError> {
        let row = sqlx::query(
            "SELECT site, domain, key, value, action_id, updated_ms FROM site_facts \
             WHERE site = $1 AND domain = $2 AND key = $3",
        )
        .bind(site)
        .bind(domain)
        .bind(key)
        .fetch_optional(self.pool())
        .await
        .map_err(db(self, "reading a site fact"))?;
        row.as_ref().map(fact_from_row).transpose()
    }

    /// Writes a fact of `site` on an operator's word, outside any action (`aero node
    /// adopt`): committed when this returns, scrubbed like every write. Steps write facts
    /// through their context instead, fenced by the action's lease.
    pub async fn put_fact(
        &self,
        site: &str,
        domain: &str,
        key: &str,
        value: serde_json::Value,
    ) -> Result<(), StoreError> {
        // Anything queued before (this process's journal) lands first.
        self.flush().await?;
        sqlx::query(
            "INSERT INTO site_facts (site, domain, key, value, action_id, updated_ms) \
             VALUES ($1, $2, $3, $4, NULL, (SELECT now_ms FROM aero_clock)) \
             ON CONFLICT (site, domain, key) DO UPDATE SET value = excluded.value, \
             action_id = NULL, updated_ms = excluded.updated_ms",
        )
        .bind(self.scrub(site))
        .bind(self.scrub(domain))
        .bind(self.scrub(key))
        .bind(self.scrub_json(&value))
        .execute(self.pool())
        .await
        .map_err(db(self, "writing a site fact"))?;
        Ok(())
    }

    /// Removes a fact of `site` on an operator's word (`aero node release`).
    pub async fn delete_fact(&self, site: &str, domain: &str, key: &str) -> Result<(), StoreError> {
        self.flush().await?;
        sqlx::query("DELETE FROM site_facts WHERE site = $1 AND domain = $2 AND key = $3")
            .bind(self.scrub(site))
            .bind(self.scrub(domain))
            .bind(self.scrub(key))
            .execute(self.pool())
            .await
            .map_err(db(self, "deleting a site fact"))?;
        Ok(())
    }

    /// Every fact of a site in a domain, by key.
    pub async fn facts(&self, site: &str, domain: &str) -> Result<Vec<SiteFact>, StoreError> {
        let rows = sqlx::query(
            "SELECT site, domain, key, value, action_id, updated_ms FROM site_facts \
             WHERE site = $1 AND domain = $2 ORDER BY key",
        )
        .bind(site)
        .bind(domain)
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "reading site facts"))?;
        rows.iter().map(fact_from_row).collect()
    }

    /// The last successful action of `kind` on `site`.
    pub async fn deployment(
        &self,
        site: &str,
        kind: &str,
    ) -> Result<Option<Deployment>, StoreError> {
        let row = sqlx::query(
            "SELECT site, action_kind, action_id, revision_id, snapshot_id, state, finished_ms \
             FROM deployments WHERE site = $1 AND action_kind = $2",
        )
        .bind(site)
        .bind(kind)
        .fetch_optional(self.pool())
        .await
        .map_err(db(self, "reading a deployment"))?;
        row.as_ref().map(deployment_from_row).transpose()
    }

    /// The last successful action of each kind on `site`.
    pub async fn deployments(&self, site: &str) -> Result<Vec<Deployment>, StoreError> {
        let rows = sqlx::query(
            "SELECT site, action_kind, action_id, revision_id, snapshot_id, state, finished_ms \
             FROM deployments WHERE site = $1 ORDER BY action_kind",
        )
        .bind(site)
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "reading deployments"))?;
        rows.iter().map(deployment_from_row).collect()
    }

    /// Stores what a node reported (scrubbed); returns its sequence number.
    pub async fn record_phone_home(&self, record: &PhoneHome) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO phone_home (site, node, action_id, revision_id, received_ms, data) \
             VALUES ($1, $2, $3, $4, (SELECT now_ms FROM aero_clock), $5) RETURNING seq",
        )
        .bind(self.scrub(&record.site))
        .bind(self.scrub(&record.node))
        .bind(record.action_id.as_deref().map(|id| self.scrub(id)))
        .bind(record.revision_id.as_deref().map(|id| self.scrub(id)))
        .bind(self.scrub_json(&record.data))
        .fetch_one(self.pool())
        .await
        .map_err(db(self, "recording a phone-home"))
    }

    /// What `node` of `site` reported since `since_ms` (store clock), oldest first.
    pub async fn phone_home_records(
        &self,
        site: &str,
        node: &str,
        since_ms: i64,
    ) -> Result<Vec<PhoneHomeRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, site, node, action_id, revision_id, received_ms, data FROM phone_home \
             WHERE site = $1 AND node = $2 AND received_ms >= $3 ORDER BY seq",
        )
        .bind(site)
        .bind(node)
        .bind(since_ms)
        .fetch_all(self.pool())
        .await
        .map_err(db(self, "reading phone-home records"))?;
        rows.iter()
            .map(|row| {
                let data: String = row.try_get("data").map_err(decode("phone-home"))?;
                Ok(PhoneHomeRecord {
                    seq: row.try_get("seq").map_err(decode("phone-home"))?,
                    received_ms: row.try_get("received_ms").map_err(decode("phone-home"))?,
                    record: PhoneHome {
                        site: row.try_get("site").map_err(decode("phone-home"))?,
                        node: row.try_get("node").map_err(decode("phone-home"))?,
                        action_id: row.try_get("action_id").map_err(decode("phone-home"))?,
                        revision_id: row.try_get("revision_id").map_err(decode("phone-home"))?,
                        data: json(&data, "phone-home")?,
                    },
                })
            })
            .collect()
    }
}

impl Store {
    /// A site fact and, in the same statement, whether `fence` still holds the lease.
    pub(crate) async fn fenced_fact(
        &self,
        fence: &super::Fence,
        site: &str,
        domain: &str,
        key: &str,
    ) -> Result<(bool, Option<serde_json::Value>), StoreError> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM actions WHERE id = $4 AND lease_owner = $5 \
             AND lease_token = $6) AS holds, \
             (SELECT value FROM site_facts WHERE site = $1 AND domain = $2 AND key = $3) AS value",
        )
        .bind(site)
        .bind(domain)
        .bind(key)
        .bind(fence.action_id())
        .bind(fence.worker_id())
        .bind(fence.token())
        .fetch_one(self.pool())
        .await
        .map_err(db(self, "reading a site fact"))?;
        let holds: i64 = row.try_get("holds").map_err(decode("site fact"))?;
        let value: Option<String> = row.try_get("value").map_err(decode("site fact"))?;
        let value = value.map(|text| json(&text, "site fact")).transpose()?;
        Ok((holds > 0, value))
    }
}
