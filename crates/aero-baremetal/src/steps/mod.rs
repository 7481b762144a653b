//! Provisioning steps for the workflow engine: a node's BMC driven through the BMC port
//! (`aero_bmc`), one observed change at a time.
//!
//! # Flow
//!
//! Per node, as specs (persisted with the action, node name and non-secret parameters
//! only) and as the steps a worker builds from them:
//!
//! ```text
//! preflight/<node>                       inventory matches the documents
//! provision/<node>/power-off             ─┐
//! provision/<node>/eject-media            │ each after the previous one succeeded
//! provision/<node>/insert-media           │ (Dependency::success)
//! provision/<node>/boot-once              │
//! provision/<node>/power-on               │
//! provision/<node>/wait-phone-home        │
//! provision/<node>/release-media          │
//! provision/<node>/record                ─┘ site fact `baremetal`/<node>
//! deprovision/<node>/power-off, clear-boot, eject-media
//! ```
//!
//! The planner (`aero-deploy`) hangs a node's provision chain on its preflight and on its
//! group; the chains here have no edge outside themselves.
//!
//! # Guarantees
//!
//! - Every step observes before it acts, decides in a pure function, and sends at most one
//!   BMC request per act. A step resumed after a crash between an intent and its result
//!   (a [`aero_workflow::Pending`]) acts again only when the observed state does not show
//!   the effect after the convergence window.
//! - No secret reaches a spec, an intent or an output: specs name the node, intents name a
//!   slot and *which* image (never its URL, which holds a token), and the tokens and BMC
//!   passwords are registered with the environment's redactor when a step first uses them.
//! - Nodes that are externally provisioned get no spec at all (no preflight either: their
//!   BMC may not even be reachable from Aerostat, and nothing would be done with the
//!   answer). Their builders refuse them too, so a hand-written spec cannot touch them.
//!
//! # Assumptions
//!
//! - The worker's clock and the store's clock agree to within seconds: the phone-home
//!   wait compares the store's receive time with the worker's power-on time.
//! - A resuming worker builds the steps from the same pinned revision (the registry
//!   provider renders it with its own key), so it derives the same tokens and URLs.

mod bmc;
mod boot;
mod media;
mod phone_home;
mod power;
mod preflight;
mod record;

pub use record::NodeRecord;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use aero_bmc::BmcConnector;
use aero_redact::SharedRedactor;
use aero_workflow::{BuildError, Dependency, DynStep, Registry, RetryPolicy, StepSpec, erase};

use crate::model::{HostModel, Node};

use bmc::NodeBmc;

/// How long provisioning steps may take, and how often they look.
#[derive(Debug, Clone, PartialEq)]
pub struct StepTiming {
    /// Budget of each preparation step (preflight, power, media, boot override).
    pub prepare_node_timeout: Duration,
    /// How long a node has to phone home after it was powered on (Shipyard's
    /// `deploy_interval`-style deployment timeout).
    pub deploy_timeout: Duration,
    /// Budget of each deprovisioning step.
    pub destroy_timeout: Duration,
    /// How often a step observes a change in progress (power, phone-home).
    pub power_poll: Duration,
    /// How long a step waits for a change it requested (or may have requested before a
    /// crash) to show before it requests it again.
    pub convergence_window: Duration,
    /// Retries of transient BMC failures (unreachable, busy).
    pub bmc_retry: RetryPolicy,
}

impl Default for StepTiming {
    /// 30 min per preparation step, 60 min to phone home, 15 min per teardown step, a 2 s
    /// poll, a 60 s convergence window (sushy applies power changes within 11 s, real
    /// BMCs within a minute), and 5 attempts of transient BMC failures.
    fn default() -> Self {
        StepTiming {
            prepare_node_timeout: Duration::from_secs(1800),
            deploy_timeout: Duration::from_secs(3600),
            destroy_timeout: Duration::from_secs(900),
            power_poll: Duration::from_secs(2),
            convergence_window: Duration::from_secs(60),
            bmc_retry: RetryPolicy {
                max_attempts: 5,
                ..RetryPolicy::default()
            },
        }
    }
}

/// The step kinds [`BaremetalSteps::register`] registers.
pub const STEP_KINDS: &[&str] = &[
    PREFLIGHT,
    POWER,
    EJECT_MEDIA,
    INSERT_MEDIA,
    BOOT_OVERRIDE,
    WAIT_PHONE_HOME,
    RECORD,
];

const PREFLIGHT: &str = "baremetal.preflight";
const POWER: &str = "baremetal.power";
const EJECT_MEDIA: &str = "baremetal.eject-media";
const INSERT_MEDIA: &str = "baremetal.insert-media";
const BOOT_OVERRIDE: &str = "baremetal.boot-override";
const WAIT_PHONE_HOME: &str = "baremetal.wait-phone-home";
const RECORD: &str = "baremetal.record";

/// The site fact domain the record step writes (key: the node's name).
pub const FACT_DOMAIN: &str = "baremetal";

/// The resource key of a node's BMC: steps holding it never run at once.
fn bmc_resource(node: &Node) -> Vec<String> {
    node.bmc
        .as_ref()
        .map(|bmc| vec![format!("bmc:{}", bmc.endpoint)])
        .unwrap_or_default()
}

/// A step of `node`: its parameters are the node's name and the pace of observation
/// (so a resumed step polls as the action was planned), never a secret.
fn spec(
    node: &Node,
    timing: &StepTiming,
    id: String,
    kind: &str,
    title: String,
    timeout: Duration,
) -> StepSpec {
    let mut spec = StepSpec::new(&id, kind, &title);
    spec.node = Some(node.name.clone());
    spec.resources = bmc_resource(node);
    spec.params = serde_json::json!({
        "node": node.name,
        "poll_ms": millis(timing.power_poll),
        "convergence_window_ms": millis(timing.convergence_window),
    });
    spec.timeout_ms = Some(millis(timeout));
    spec.retry = timing.bmc_retry.clone();
    spec
}

/// How often a built step observes, and how long it lets a requested change take.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Pace {
    poll: Duration,
    convergence_window: Duration,
}

impl Pace {
    fn of(spec: &StepSpec) -> Pace {
        let defaults = StepTiming::default();
        let millis_param = |key: &str, default: Duration| {
            spec.params
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .map_or(default, Duration::from_millis)
        };
        Pace {
            poll: millis_param("poll_ms", defaults.power_poll),
            convergence_window: millis_param("convergence_window_ms", defaults.convergence_window),
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Chains `steps` with `Dependency::success`, the first one without dependencies.
fn chain(mut steps: Vec<StepSpec>) -> Vec<StepSpec> {
    for index in 1..steps.len() {
        let previous = steps[index - 1].id.clone();
        steps[index].after = vec![Dependency::success(&previous)];
    }
    steps
}

/// The preflight of `node`: its BMC answers with these credentials and its inventory
/// matches the documents. Id `preflight/<node>`, resource `bmc:<endpoint>`.
///
/// Only read, so retried like any BMC read; for an externally provisioned node the
/// caller should not add it (see [`provision_specs`]), and it is refused when built.
pub fn preflight_spec(node: &Node, timing: &StepTiming) -> StepSpec {
    spec(
        node,
        timing,
        format!("preflight/{}", node.name),
        PREFLIGHT,
        format!(
            "check the BMC of {} (reachable, credentials, inventory)",
            node.name
        ),
        timing.prepare_node_timeout,
    )
}

/// The provisioning chain of `node`, ids `provision/<node>/<step>`; empty for an
/// externally provisioned node (never powered off, never reprovisioned).
pub fn provision_specs(node: &Node, timing: &StepTiming) -> Vec<StepSpec> {
    if node.externally_provisioned {
        return Vec::new();
    }
    let name = &node.name;
    let id = |step: &str| format!("provision/{name}/{step}");
    let prepare = timing.prepare_node_timeout;
    let mut steps = vec![
        power_spec(node, timing, id("power-off"), "off", prepare),
        spec(
            node,
            timing,
            id("eject-media"),
            EJECT_MEDIA,
            format!("eject every virtual medium of {name}"),
            prepare,
        ),
        spec(
            node,
            timing,
            id("insert-media"),
            INSERT_MEDIA,
            format!("insert the OS image and the config image of {name}"),
            prepare,
        ),
        boot_spec(node, timing, id("boot-once"), "cd", prepare),
        power_spec(node, timing, id("power-on"), "on", prepare),
        {
            // The step enforces the deployment timeout itself (so that its failure can
            // carry the BMC's logs); the engine's budget is a backstop beyond it.
            let budget = timing.deploy_timeout + timing.convergence_window * 2;
            let mut wait = spec(
                node,
                timing,
                id("wait-phone-home"),
                WAIT_PHONE_HOME,
                format!("wait for {name} to phone home"),
                budget,
            );
            wait.params["power_on_step"] = serde_json::json!(id("power-on"));
            wait.params["deploy_timeout_ms"] = serde_json::json!(millis(timing.deploy_timeout));
            wait
        },
        spec(
            node,
            timing,
            id("release-media"),
            EJECT_MEDIA,
            format!("eject the installation media of {name}"),
            prepare,
        ),
        spec(
            node,
            timing,
            id("record"),
            RECORD,
            format!("record {name} as provisioned"),
            prepare,
        ),
    ];
    // Recording touches no BMC.
    if let Some(record) = steps.last_mut() {
        record.resources.clear();
    }
    chain(steps)
}

/// The teardown chain of `node` (power off, clear the boot override, eject every medium),
/// ids `deprovision/<node>/<step>`; empty for an externally provisioned node.
pub fn deprovision_specs(node: &Node, timing: &StepTiming) -> Vec<StepSpec> {
    if node.externally_provisioned {
        return Vec::new();
    }
    let name = &node.name;
    let id = |step: &str| format!("deprovision/{name}/{step}");
    let destroy = timing.destroy_timeout;
    let steps = vec![
        power_spec(node, timing, id("power-off"), "off", destroy),
        boot_spec(node, timing, id("clear-boot"), "none", destroy),
        spec(
            node,
            timing,
            id("eject-media"),
            EJECT_MEDIA,
            format!("eject every virtual medium of {name}"),
            destroy,
        ),
    ];
    chain(steps)
}

fn power_spec(
    node: &Node,
    timing: &StepTiming,
    id: String,
    target: &str,
    timeout: Duration,
) -> StepSpec {
    let mut spec = spec(
        node,
        timing,
        id,
        POWER,
        format!("power {target} {}", node.name),
        timeout,
    );
    spec.params["target"] = serde_json::json!(target);
    spec
}

fn boot_spec(
    node: &Node,
    timing: &StepTiming,
    id: String,
    target: &str,
    timeout: Duration,
) -> StepSpec {
    let title = if target == "cd" {
        format!("boot {} once from the virtual CD", node.name)
    } else {
        format!("clear the boot override of {}", node.name)
    };
    let mut spec = spec(node, timing, id, BOOT_OVERRIDE, title, timeout);
    spec.params["target"] = serde_json::json!(target);
    spec
}

/// What the provisioning steps of one action on one site work with.
pub struct BaremetalEnvironment {
    /// The site.
    pub site: String,
    /// The pinned revision the model was rendered from (tokens and URLs derive from it).
    pub revision_id: String,
    /// The host model of that revision.
    pub model: Arc<HostModel>,
    /// Opens BMCs (`aero_redfish::RedfishConnector` in production).
    pub connector: Arc<dyn BmcConnector>,
    /// Where tokens and BMC passwords are registered, so nothing the run writes shows
    /// them: the workflow store's redactor (the same shared one), since a BMC's error
    /// can quote an image URL and its token.
    pub redactor: SharedRedactor,
}

impl std::fmt::Debug for BaremetalEnvironment {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BaremetalEnvironment")
            .field("site", &self.site)
            .field("revision_id", &self.revision_id)
            .finish_non_exhaustive()
    }
}

/// The bare-metal step kinds, bound to one environment: register them in the registry of
/// an action whose revision the environment's model was rendered from.
#[derive(Clone, Debug)]
pub struct BaremetalSteps {
    env: Arc<bmc::Shared>,
}

impl BaremetalSteps {
    /// Steps over `env`. BMC sessions are opened on first use and shared by the steps of
    /// a node (one login per node and worker, not one per step).
    pub fn new(env: BaremetalEnvironment) -> Self {
        BaremetalSteps {
            env: Arc::new(bmc::Shared::new(env)),
        }
    }

    /// Ends every BMC session the steps opened (Redfish sessions otherwise stay open on
    /// the BMC until it expires them, and BMCs allow few at once). Call it when the
    /// action's run ends; steps built afterwards log in again.
    pub async fn close_sessions(&self) {
        self.env.close_all().await;
    }

    /// Registers every kind of [`STEP_KINDS`].
    pub fn register(&self, registry: &mut Registry) {
        for kind in STEP_KINDS {
            let env = self.env.clone();
            registry.register(kind, move |spec| build(&env, spec));
        }
    }
}

/// Builds the step of `spec`: the node it names, looked up in the environment's model.
fn build(env: &Arc<bmc::Shared>, spec: &StepSpec) -> Result<Box<dyn DynStep>, BuildError> {
    let invalid = |message: String| BuildError::InvalidParams {
        step: spec.id.clone(),
        message,
    };
    let name = spec
        .params
        .get("node")
        .and_then(serde_json::Value::as_str)
        .or(spec.node.as_deref())
        .ok_or_else(|| invalid("no `node` parameter".to_string()))?;
    let node = env
        .env
        .model
        .node(name)
        .map_err(|error| invalid(error.to_string()))?;
    if node.externally_provisioned {
        return Err(invalid(format!(
            "node `{name}` is externally provisioned: Aerostat never drives its BMC"
        )));
    }
    let handle = NodeBmc::new(env.clone(), node.clone());
    let param = |key: &str| spec.params.get(key).and_then(serde_json::Value::as_str);
    let step: Box<dyn DynStep> = match spec.kind.as_str() {
        PREFLIGHT => erase(preflight::Preflight::new(handle)),
        POWER => {
            let target = match param("target") {
                Some("on") => power::PowerTarget::On,
                Some("off") => power::PowerTarget::Off,
                other => return Err(invalid(format!("power target {other:?}: on or off"))),
            };
            erase(power::Power::new(handle, target, Pace::of(spec)))
        }
        EJECT_MEDIA => erase(media::Eject::new(handle)),
        INSERT_MEDIA => erase(media::Insert::new(handle)),
        BOOT_OVERRIDE => {
            let target = match param("target") {
                Some("cd") => boot::BootWanted::CdOnce,
                Some("none") => boot::BootWanted::Cleared,
                other => return Err(invalid(format!("boot target {other:?}: cd or none"))),
            };
            erase(boot::Boot::new(handle, target))
        }
        WAIT_PHONE_HOME => {
            let power_on_step = param("power_on_step")
                .ok_or_else(|| invalid("no `power_on_step` parameter".to_string()))?
                .to_string();
            let deploy_timeout = spec
                .params
                .get("deploy_timeout_ms")
                .and_then(serde_json::Value::as_u64)
                .map(Duration::from_millis)
                .ok_or_else(|| invalid("no `deploy_timeout_ms` parameter".to_string()))?;
            erase(phone_home::WaitPhoneHome::new(
                handle,
                power_on_step,
                deploy_timeout,
                Pace::of(spec).poll,
            ))
        }
        RECORD => erase(record::Record::new(handle)),
        other => {
            return Err(BuildError::UnknownKind {
                step: spec.id.clone(),
                kind: other.to_string(),
            });
        }
    };
    Ok(step)
}

/// The op of a step that only observes: it has no value, so such a step never acts.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
enum NoOp {}
