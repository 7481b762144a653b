//! Site actions, as Shipyard defines them, on Aerostat's workflow engine.
//!
//! - [`configuration`]: `shipyard/DeploymentConfiguration/v1`, the timeouts and the name
//!   of the deployment strategy.
//! - [`strategy`]: `shipyard/DeploymentStrategy/v1`, node groups by selectors, their
//!   dependency order, criticality and success criteria, with Shipyard's semantics
//!   (its code, where its documentation differs).

pub mod action;
pub mod configuration;
mod error;
pub mod gate;
pub mod plan;
pub mod strategy;

pub use error::DeployError;
