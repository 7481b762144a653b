//! Preflight: the node's BMC answers, takes the documented credentials, and describes the
//! machine the documents describe.

use aero_bmc::Inventory;
use aero_workflow::{Decision, Pending, Step, StepContext, StepError};
use async_trait::async_trait;

use super::NoOp;
use super::bmc::NodeBmc;
use crate::model::Node;

/// Reads the inventory and compares it with the documents.
///
/// A value the documents give and the BMC reports differently fails the node with both
/// values. A value the BMC does not report passes (as the lab's sushy emulator has no
/// serial number): a preflight prefers a false pass to a false fail. An unreachable BMC
/// or refused credentials are errors with their class (retried if transient).
pub(super) struct Preflight {
    node: NodeBmc,
}

impl Preflight {
    pub(super) fn new(node: NodeBmc) -> Self {
        Preflight { node }
    }
}

#[async_trait]
impl Step for Preflight {
    type Observed = Inventory;
    type Op = NoOp;

    async fn observe(&self, _cx: &StepContext) -> Result<Inventory, StepError> {
        let bmc = self.node.bmc().await?;
        bmc.inventory()
            .await
            .map_err(|error| self.node.failure(error))
    }

    fn decide(&self, inventory: &Inventory, _pending: Option<&Pending<NoOp>>) -> Decision<NoOp> {
        match mismatches(&self.node.node, inventory) {
            problems if problems.is_empty() => Decision::done(serde_json::json!({
                "serial_number": inventory.serial_number,
                "uuid": inventory.uuid,
                "macs": inventory.macs().iter().map(ToString::to_string).collect::<Vec<_>>(),
                "power": inventory.power_state.as_str(),
            })),
            problems => Decision::fail(format!(
                "the BMC of {} describes another machine: {}",
                self.node.node.name,
                problems.join("; ")
            )),
        }
    }

    async fn act(&self, _cx: &StepContext, op: &NoOp) -> Result<serde_json::Value, StepError> {
        match *op {}
    }
}

/// What differs between the documents and the inventory, each with both values. Pure.
pub(super) fn mismatches(node: &Node, inventory: &Inventory) -> Vec<String> {
    let mut problems = Vec::new();
    if let (Some(expected), Some(reported)) =
        (&node.expected.serial_number, &inventory.serial_number)
        && expected.trim() != reported.trim()
    {
        problems.push(format!(
            "serial number: documents say {expected:?}, the BMC reports {reported:?}"
        ));
    }
    if let (Some(expected), Some(reported)) = (&node.expected.uuid, &inventory.uuid)
        && !same_uuid(expected, reported)
    {
        problems.push(format!(
            "UUID: documents say {expected}, the BMC reports {reported}"
        ));
    }
    if let Some(boot_mac) = node.boot_mac {
        let reported = inventory.macs();
        // A BMC that lists no MAC at all cannot contradict the documents.
        if !reported.is_empty() && !reported.iter().any(|mac| mac.0 == boot_mac.0) {
            let listed: Vec<String> = reported.iter().map(ToString::to_string).collect();
            problems.push(format!(
                "boot MAC: documents say {boot_mac}, the BMC reports {}",
                listed.join(", ")
            ));
        }
    }
    problems
}

/// Whether two UUIDs are the same, ignoring case, and accepting the first three fields
/// byte-swapped: SMBIOS stores them little-endian and some firmware reports them raw.
fn same_uuid(expected: &str, reported: &str) -> bool {
    let expected = expected.trim().to_ascii_lowercase();
    let reported = reported.trim().to_ascii_lowercase();
    expected == reported || swap_fields(&reported).is_some_and(|swapped| swapped == expected)
}

fn swap_fields(uuid: &str) -> Option<String> {
    let fields: Vec<&str> = uuid.split('-').collect();
    if fields.len() != 5 {
        return None;
    }
    let swap = |field: &str| -> Option<String> {
        if !field.len().is_multiple_of(2) || !field.is_ascii() {
            return None;
        }
        let pairs: Vec<&str> = (0..field.len())
            .step_by(2)
            .map(|index| &field[index..index + 2])
            .collect();
        Some(pairs.into_iter().rev().collect())
    };
    Some(format!(
        "{}-{}-{}-{}-{}",
        swap(fields[0])?,
        swap(fields[1])?,
        swap(fields[2])?,
        fields[3],
        fields[4]
    ))
}
