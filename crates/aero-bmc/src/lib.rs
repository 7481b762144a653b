//! The port workflow steps drive a machine's BMC through.
//!
//! Provisioning steps (power, boot override, virtual media, "what does the BMC log say")
//! need a handful of operations on a machine's BMC, and nothing about how a BMC is spoken
//! to. This crate is that seam: the object-safe [`Bmc`] trait, the [`BmcConnector`] that
//! opens one from a [`BmcTarget`], neutral types, and [`BmcError`], classified with
//! [`aero_error::Classify`] so the engine retries only what may pass. It does no I/O and
//! knows no protocol; `aero-redfish` implements it over Redfish, and the feature
//! `test-support` adds [`FakeBmc`] and [`FakeConnector`], in-memory BMCs for other crates'
//! tests.
//!
//! How steps use it (observe, decide, act; the engine journals each act):
//! * read state with [`Bmc::power_state`], [`Bmc::boot_override`], [`Bmc::media_slots`],
//!   [`Bmc::inventory`];
//! * change it with one request per act: [`Bmc::request_power`] sends at most one power
//!   command and does not wait (BMCs apply power changes seconds later; sushy-emulator 1 to
//!   11 s, lazily), so the step observes until the state converges;
//!   [`Bmc::set_power_and_wait`] is the converging convenience for callers without a loop;
//! * virtual media by slot: [`pick_slots`] chooses a CD slot for the OS image and a second
//!   slot (a floppy/USB slot such as sushy's `Floppy` or iDRAC's `RemovableDisk`) for a
//!   configuration image; [`Bmc::insert_media`] refuses a slot that holds another image
//!   ([`BmcError::SlotOccupied`]), as real BMCs do: eject first;
//! * [`Bmc::log_entries`] for diagnostics (a BMC without logs gives an empty list).
//!
//! ```
//! use std::sync::Arc;
//! use aero_bmc::{Bmc, BmcError, FakeBmc, PowerAction, PowerState, pick_slots};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), BmcError> {
//! let fake = Arc::new(FakeBmc::new());
//! let bmc: Arc<dyn Bmc> = fake.clone();
//!
//! // One power command, no waiting; the state converges later.
//! let requested = bmc.request_power(PowerAction::On).await?;
//! assert_eq!(requested.before, PowerState::Off);
//! assert_eq!(bmc.power_state().await?, PowerState::On);
//!
//! // The OS image in the CD slot, the configuration image in the second slot.
//! let choice = pick_slots(&bmc.media_slots().await?);
//! let (os_slot, config_slot) = (choice.os.unwrap(), choice.config.unwrap());
//! bmc.insert_media(&os_slot, "http://10.0.0.1/os.iso").await?;
//! bmc.insert_media(&config_slot, "http://10.0.0.1/node-1/config.img").await?;
//!
//! // An occupied slot is refused until ejected.
//! let refused = bmc.insert_media(&os_slot, "http://10.0.0.1/other.iso").await;
//! assert!(matches!(refused, Err(BmcError::SlotOccupied { .. })));
//! bmc.eject_media(&os_slot).await?;
//! assert_eq!(fake.count(aero_bmc::FakeOperation::InsertMedia), 3);
//! # Ok(())
//! # }
//! ```

mod boot;
mod error;
#[cfg(feature = "test-support")]
mod fake;
mod inventory;
mod log;
mod media;
mod power;
mod target;

use std::sync::Arc;
use std::time::SystemTime;

pub use boot::{BootApplied, BootMode, BootOverride, BootPersistence, BootSettings, BootTarget};
pub use error::{BmcError, BoxError, Cause};
#[cfg(feature = "test-support")]
pub use fake::{FakeBmc, FakeBmcConfig, FakeCall, FakeConnector, FakeOperation};
pub use inventory::{Inventory, MacAddress, Nic};
pub use log::{LogEntry, LogOrigin, Severity, newest_since};
pub use media::{MediaSlot, MediaType, SlotChoice, pick_slots};
pub use power::{PowerAction, PowerRequested, PowerState};
pub use target::{BmcTarget, CertificateFingerprint, Credentials, Secret, TlsBackend, TlsTrust};

/// What workflow steps need from a machine's BMC. Object-safe: steps hold an
/// `Arc<dyn Bmc>`.
///
/// Every operation is safe to repeat: reads have no effect, and changes read the current
/// state first and send nothing when it is already what was asked for. Errors say whether
/// a later attempt may succeed ([`aero_error::Classify`]).
#[async_trait::async_trait]
pub trait Bmc: Send + Sync {
    /// The BMC's base URL (e.g. `https://10.23.0.11:443`), for messages and resource keys.
    fn endpoint(&self) -> &str;

    /// The system's id on the BMC.
    fn system_id(&self) -> &str;

    /// Identity, NICs with MAC addresses, firmware, power state and boot settings.
    async fn inventory(&self) -> Result<Inventory, BmcError>;

    /// The power state now.
    async fn power_state(&self) -> Result<PowerState, BmcError>;

    /// Sends at most one power command and returns without waiting for the state to
    /// change; nothing is sent when the machine is already at the action's target or on its
    /// way there. The caller observes [`Bmc::power_state`] until it converges. After a
    /// [`PowerAction::Restart`], reading `On` does not prove the restart happened (some BMCs
    /// apply it seconds later).
    async fn request_power(&self, action: PowerAction) -> Result<PowerRequested, BmcError>;

    /// Changes the power state and waits until it has converged (within the driver's
    /// deadline); a graceful [`PowerAction::Off`] becomes a forced one when the machine does
    /// not stop in time. Returns the state reached.
    async fn set_power_and_wait(&self, action: PowerAction) -> Result<PowerState, BmcError>;

    /// The boot override and the values the BMC allows.
    async fn boot_override(&self) -> Result<BootSettings, BmcError>;

    /// Sets the boot override. See [`BootApplied::reads_back`] before waiting for it to show.
    async fn set_boot_override(&self, request: &BootOverride) -> Result<BootApplied, BmcError>;

    /// The virtual media slots, in the order the BMC prefers them.
    async fn media_slots(&self) -> Result<Vec<MediaSlot>, BmcError>;

    /// Inserts `image_url` into the slot `slot` (a [`MediaSlot::id`]) and returns once the
    /// BMC reports it inserted. Nothing is sent when the slot already holds that image; a
    /// slot holding another image is refused with [`BmcError::SlotOccupied`].
    async fn insert_media(&self, slot: &str, image_url: &str) -> Result<MediaSlot, BmcError>;

    /// Ejects the slot `slot` and returns once the BMC reports it empty. An empty slot is
    /// fine (nothing is sent).
    async fn eject_media(&self, slot: &str) -> Result<MediaSlot, BmcError>;

    /// The BMC's log entries created at or after `since`, newest first. A BMC without logs
    /// gives an empty list; entries without a readable time are left out.
    async fn log_entries(&self, since: SystemTime) -> Result<Vec<LogEntry>, BmcError>;

    /// Ends the session with the BMC, if any. Safe to call more than once; other operations
    /// must not be called afterwards.
    async fn close(&self) -> Result<(), BmcError>;
}

/// Opens a [`Bmc`] for a target.
#[async_trait::async_trait]
pub trait BmcConnector: Send + Sync {
    /// Connects (and logs in) to the target's BMC and opens its system.
    async fn connect(&self, target: &BmcTarget) -> Result<Arc<dyn Bmc>, BmcError>;
}

/// A value that could not be parsed (a flag or document setting).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} {value:?}; expected {expected}")]
pub struct ParseValueError {
    what: &'static str,
    value: String,
    expected: &'static str,
}

impl ParseValueError {
    fn new(what: &'static str, value: &str, expected: &'static str) -> Self {
        ParseValueError {
            what,
            value: value.to_string(),
            expected,
        }
    }
}

impl aero_error::Classify for ParseValueError {
    fn class(&self) -> aero_error::ErrorClass {
        aero_error::ErrorClass::InvalidInput
    }
}
