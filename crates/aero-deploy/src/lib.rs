//! Site actions, as Shipyard defines them, on Aerostat's workflow engine.
//!
//! - [`configuration`]: `shipyard/DeploymentConfiguration/v1`, the timeouts and the name
//!   of the deployment strategy.
//! - [`strategy`]: `shipyard/DeploymentStrategy/v1`, node groups by selectors, their
//!   dependency order, criticality and success criteria, with Shipyard's semantics
//!   (its code, where its documentation differs).
//! - [`plan`]: what an action would do, node by node, as a pure function of the pinned
//!   revision, the request and what is [`observe`]d; and the DAG of steps that does it.
//! - [`DeploySite`]: a pinned revision prepared for planning (typed host model with the
//!   lab's overrides applied, configuration, strategy).
//! - [`provider`]: how a worker rebuilds an action's steps from its pinned sources with
//!   its own key ([`DeployProvider`]).

pub mod action;
pub mod configuration;
mod error;
pub mod gate;
mod nodes;
pub mod observe;
pub mod plan;
pub mod provider;
mod site;
pub mod strategy;

pub use error::DeployError;
pub use nodes::{BaremetalNodeSteps, step_timing};
pub use observe::{NodeRecord, ObserveError, observe};
pub use provider::{ArtifactHost, DeployProvider, NoOverrides, OverridesSource, WorkerSetup};
pub use site::DeploySite;
