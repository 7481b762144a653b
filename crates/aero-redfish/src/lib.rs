//! A typed, resilient Redfish BMC client.
//!
//! Aerostat drives bare metal only through Redfish. This crate is the driver: it talks to one
//! BMC per [`client::BmcClient`], discovers what the BMC offers by following links from
//! `/redfish/v1`, and implements the BMC port workflow steps use, `aero_bmc::Bmc`, for
//! [`system::RedfishSystem`], with [`port::RedfishConnector`] as its
//! `aero_bmc::BmcConnector` ([`port`] maps types and errors). It never reads site
//! documents: callers build a [`config::BmcConfig`] or an `aero_bmc::BmcTarget`.
//!
//! Layers, bottom up:
//! * [`transport`]: an HTTP client per BMC with its TLS settings (system roots, CA bundle,
//!   pinned SHA-256 fingerprint, or explicitly insecure) on one of two backends: rustls
//!   (`reqwest`, the default) or OpenSSL (hyper over `tokio-openssl`, TLS 1.0 and legacy
//!   suites for old firmware), behind the same request/answer boundary;
//! * [`auth`]: session login with fallback to Basic, one re-login after a 401, logout;
//! * [`retry`]: which failures are transient ([`retry::error_policy`], pure) and the backoff
//!   between attempts ([`retry::Backoff`]); [`client`] applies them with an overall
//!   deadline per operation;
//! * [`discovery`] and [`model`]: links and tolerant typed resources;
//! * operations: [`inventory`], [`power`], [`boot`], [`vmedia`], [`bios`], [`logs`], with
//!   [`task`] monitors for `202 Accepted`;
//! * [`quirks`]: vendor behaviour as a data table; operations read flags, never vendor names.
//!
//! ```no_run
//! use aero_redfish::auth::Credentials;
//! use aero_redfish::client::BmcClient;
//! use aero_redfish::config::BmcConfig;
//! use aero_redfish::power::PowerRequest;
//!
//! # async fn example() -> Result<(), aero_redfish::error::RedfishError> {
//! let config = BmcConfig::new("https://10.0.0.5", Credentials::new("admin", "secret"))?;
//! let client = BmcClient::connect(config).await?;
//! let system = client.system(None).await?;
//! system.insert_media("http://10.0.0.1/deploy.iso").await?;
//! system.set_power(PowerRequest::Restart).await?;
//! client.close().await?;
//! # Ok(())
//! # }
//! ```

pub mod auth;
pub mod bios;
pub mod boot;
pub mod client;
pub mod config;
pub mod discovery;
pub mod error;
pub mod inventory;
pub mod logs;
pub mod model;
pub mod port;
pub mod power;
pub mod quirks;
pub mod retry;
pub mod system;
pub mod task;
pub mod transport;
pub mod vmedia;
