//! In-memory BMCs for tests (feature `test-support`): [`FakeBmc`] implements [`Bmc`] the
//! way real BMCs behave, and [`FakeConnector`] hands them out by endpoint.
//!
//! Faithful where steps could get it wrong:
//! * power changes apply after a configurable delay, lazily, when the state is next read
//!   (as sushy-emulator does); a restart reads `Off` at once and `On` after the delay;
//! * inserting into a slot that holds another image is refused (real BMCs answer 409 or
//!   500), ejecting an empty slot is fine, inserting the image a slot already holds sends
//!   nothing;
//! * a boot target or mode outside the allowed values is refused.
//!
//! Every call is recorded ([`FakeBmc::calls`], [`FakeBmc::count`]), power commands
//! actually sent too ([`FakeBmc::power_commands`]), and a test can make the next call of an
//! operation fail with any [`BmcError`] ([`FakeBmc::fail_next`]).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::{
    Bmc, BmcConnector, BmcError, BmcTarget, BootApplied, BootMode, BootOverride, BootPersistence,
    BootSettings, BootTarget, Cause, Credentials, Inventory, LogEntry, MacAddress, MediaSlot,
    MediaType, Nic, PowerAction, PowerRequested, PowerState, newest_since,
};

/// What a [`FakeBmc`] starts as. The default is shaped like a sushy-emulator system: off,
/// boot from `Hdd` continuously in UEFI mode, slots `Cd` (CD, DVD) and `Floppy` (Floppy,
/// USBStick), one NIC, no logs, power changes applied at once.
#[derive(Debug, Clone)]
pub struct FakeBmcConfig {
    /// Base URL reported by [`Bmc::endpoint`] and matched by [`FakeConnector`].
    pub endpoint: String,
    /// The system id.
    pub system_id: String,
    /// Manufacturer.
    pub manufacturer: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Serial number.
    pub serial_number: Option<String>,
    /// UUID.
    pub uuid: Option<String>,
    /// Network interfaces.
    pub nics: Vec<Nic>,
    /// BIOS version.
    pub bios_version: Option<String>,
    /// BMC firmware version.
    pub bmc_firmware: Option<String>,
    /// Power state at start.
    pub power: PowerState,
    /// How long a power change takes to show.
    pub power_delay: Duration,
    /// Boot override at start, with its allowed values.
    pub boot: BootSettings,
    /// Virtual media slots.
    pub slots: Vec<MediaSlot>,
    /// Log entries.
    pub logs: Vec<LogEntry>,
}

impl Default for FakeBmcConfig {
    fn default() -> Self {
        let slot = |id: &str, types: [MediaType; 2], boots_cd: bool| MediaSlot {
            id: id.to_string(),
            name: Some(format!("Virtual {id}")),
            media_types: types.to_vec(),
            image: None,
            inserted: false,
            write_protected: Some(true),
            can_insert: true,
            boots_cd,
        };
        FakeBmcConfig {
            endpoint: "https://fake-bmc.invalid:443".to_string(),
            system_id: "1".to_string(),
            manufacturer: Some("Aerostat".to_string()),
            model: Some("Fake BMC".to_string()),
            serial_number: Some("FAKE0001".to_string()),
            uuid: Some("00000000-0000-0000-0000-000000000001".to_string()),
            nics: vec![Nic {
                id: "1".to_string(),
                mac: Some(MacAddress([0x52, 0x54, 0x00, 0x00, 0x00, 0x01])),
                permanent_mac: None,
                link_up: Some(true),
            }],
            bios_version: Some("1.0".to_string()),
            bmc_firmware: Some("1.0".to_string()),
            power: PowerState::Off,
            power_delay: Duration::ZERO,
            boot: BootSettings {
                target: Some(BootTarget::Hdd),
                persistence: Some(BootPersistence::Continuous),
                mode: Some(BootMode::Uefi),
                allowed_targets: vec![
                    BootTarget::Pxe,
                    BootTarget::Cd,
                    BootTarget::Hdd,
                    BootTarget::UefiHttp,
                ],
                allowed_modes: vec![BootMode::Uefi, BootMode::Legacy],
            },
            slots: vec![
                slot("Cd", [MediaType::Cd, MediaType::Dvd], true),
                slot("Floppy", [MediaType::Floppy, MediaType::UsbStick], false),
            ],
            logs: Vec::new(),
        }
    }
}

/// The operations of [`Bmc`], for counting calls and injecting failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FakeOperation {
    /// [`Bmc::inventory`].
    Inventory,
    /// [`Bmc::power_state`].
    PowerState,
    /// [`Bmc::request_power`].
    RequestPower,
    /// [`Bmc::set_power_and_wait`].
    SetPowerAndWait,
    /// [`Bmc::boot_override`].
    BootOverride,
    /// [`Bmc::set_boot_override`].
    SetBootOverride,
    /// [`Bmc::media_slots`].
    MediaSlots,
    /// [`Bmc::insert_media`].
    InsertMedia,
    /// [`Bmc::eject_media`].
    EjectMedia,
    /// [`Bmc::log_entries`].
    LogEntries,
    /// [`Bmc::close`].
    Close,
}

/// One call made to a [`FakeBmc`], with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeCall {
    /// [`Bmc::inventory`].
    Inventory,
    /// [`Bmc::power_state`].
    PowerState,
    /// [`Bmc::request_power`].
    RequestPower(PowerAction),
    /// [`Bmc::set_power_and_wait`].
    SetPowerAndWait(PowerAction),
    /// [`Bmc::boot_override`].
    BootOverride,
    /// [`Bmc::set_boot_override`].
    SetBootOverride(BootOverride),
    /// [`Bmc::media_slots`].
    MediaSlots,
    /// [`Bmc::insert_media`].
    InsertMedia {
        /// The slot.
        slot: String,
        /// The image.
        image_url: String,
    },
    /// [`Bmc::eject_media`].
    EjectMedia {
        /// The slot.
        slot: String,
    },
    /// [`Bmc::log_entries`].
    LogEntries {
        /// The time asked for.
        since: SystemTime,
    },
    /// [`Bmc::close`].
    Close,
}

impl FakeCall {
    /// The operation called.
    pub fn operation(&self) -> FakeOperation {
        match self {
            FakeCall::Inventory => FakeOperation::Inventory,
            FakeCall::PowerState => FakeOperation::PowerState,
            FakeCall::RequestPower(_) => FakeOperation::RequestPower,
            FakeCall::SetPowerAndWait(_) => FakeOperation::SetPowerAndWait,
            FakeCall::BootOverride => FakeOperation::BootOverride,
            FakeCall::SetBootOverride(_) => FakeOperation::SetBootOverride,
            FakeCall::MediaSlots => FakeOperation::MediaSlots,
            FakeCall::InsertMedia { .. } => FakeOperation::InsertMedia,
            FakeCall::EjectMedia { .. } => FakeOperation::EjectMedia,
            FakeCall::LogEntries { .. } => FakeOperation::LogEntries,
            FakeCall::Close => FakeOperation::Close,
        }
    }
}

struct FakeState {
    config: FakeBmcConfig,
    power: PowerState,
    /// A power change not applied yet, and when it applies.
    pending: Option<(PowerState, Instant)>,
    calls: Vec<FakeCall>,
    power_commands: Vec<String>,
    failures: VecDeque<(FakeOperation, BmcError)>,
}

impl FakeState {
    /// The power state now, applying a pending change that is due.
    fn power_now(&mut self) -> PowerState {
        if let Some((target, at)) = &self.pending
            && Instant::now() >= *at
        {
            self.power = target.clone();
            self.pending = None;
        }
        self.power.clone()
    }

    /// Sends the command for `action` unless the machine is there or on its way (a restart
    /// of a running machine is always sent).
    fn send_power(&mut self, action: PowerAction) -> PowerRequested {
        let before = self.power_now();
        let restarting = action == PowerAction::Restart && before != PowerState::Off;
        if !restarting && before.is_at_or_heading_to(&action.target()) {
            return PowerRequested { before, sent: None };
        }
        let (command, at_once) = power_command(action, &before);
        self.power_commands.push(command.to_string());
        if let Some(now) = at_once {
            self.power = now;
        }
        self.schedule(action.target());
        PowerRequested {
            before,
            sent: Some(command.to_string()),
        }
    }

    fn schedule(&mut self, target: PowerState) {
        let at = Instant::now() + self.config.power_delay;
        match &self.pending {
            // A repeated request keeps the first one's time, as a BMC would.
            Some((pending, _)) if *pending == target => {}
            _ => self.pending = Some((target, at)),
        }
        self.power_now();
    }
}

/// An in-memory BMC (see the module documentation). Cheap to share: `Arc<FakeBmc>`.
pub struct FakeBmc {
    endpoint: String,
    system_id: String,
    state: Mutex<FakeState>,
}

impl std::fmt::Debug for FakeBmc {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("FakeBmc")
            .field("endpoint", &self.endpoint)
            .field("system_id", &self.system_id)
            .finish_non_exhaustive()
    }
}

impl Default for FakeBmc {
    fn default() -> Self {
        FakeBmc::new()
    }
}

impl FakeBmc {
    /// A fake with the default configuration.
    pub fn new() -> Self {
        FakeBmc::with_config(FakeBmcConfig::default())
    }

    /// A fake with `config`.
    pub fn with_config(config: FakeBmcConfig) -> Self {
        FakeBmc {
            endpoint: config.endpoint.clone(),
            system_id: config.system_id.clone(),
            state: Mutex::new(FakeState {
                power: config.power.clone(),
                config,
                pending: None,
                calls: Vec::new(),
                power_commands: Vec::new(),
                failures: VecDeque::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        match self.state.lock() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Records a call; the injected failure for its operation, if any.
    fn enter(&self, call: FakeCall) -> Result<MutexGuard<'_, FakeState>, BmcError> {
        let mut state = self.lock();
        let operation = call.operation();
        state.calls.push(call);
        let injected = state
            .failures
            .iter()
            .position(|(failing, _)| *failing == operation);
        match injected.and_then(|index| state.failures.remove(index)) {
            Some((_, error)) => Err(error),
            None => Ok(state),
        }
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<FakeCall> {
        self.lock().calls.clone()
    }

    /// How many times `operation` was called (failed calls included).
    pub fn count(&self, operation: FakeOperation) -> usize {
        self.lock()
            .calls
            .iter()
            .filter(|call| call.operation() == operation)
            .count()
    }

    /// The power commands actually sent (`On`, `GracefulShutdown`, `ForceOff`,
    /// `ForceRestart`), in order; requests that found the machine there send none.
    pub fn power_commands(&self) -> Vec<String> {
        self.lock().power_commands.clone()
    }

    /// Makes the next call of `operation` fail with `error` (queued: several failures of
    /// one operation fail its next calls in order).
    pub fn fail_next(&self, operation: FakeOperation, error: BmcError) {
        self.lock().failures.push_back((operation, error));
    }

    /// Changes the power state at once, as someone at the machine would (no call recorded).
    pub fn set_power_now(&self, power: PowerState) {
        let mut state = self.lock();
        state.power = power;
        state.pending = None;
    }

    /// The power change that has not shown yet, if any.
    pub fn pending_power(&self) -> Option<PowerState> {
        let mut state = self.lock();
        state.power_now();
        state.pending.as_ref().map(|(target, _)| target.clone())
    }

    /// Adds a log entry.
    pub fn push_log(&self, entry: LogEntry) {
        self.lock().config.logs.push(entry);
    }

    /// A slot as it is now (no call recorded).
    pub fn slot(&self, id: &str) -> Option<MediaSlot> {
        self.lock()
            .config
            .slots
            .iter()
            .find(|slot| slot.id == id)
            .cloned()
    }

    /// The boot override as it is now (no call recorded).
    pub fn boot(&self) -> BootSettings {
        self.lock().config.boot.clone()
    }

    fn slot_index(&self, state: &FakeState, slot: &str) -> Result<usize, BmcError> {
        state
            .config
            .slots
            .iter()
            .position(|candidate| candidate.id == slot)
            .ok_or_else(|| BmcError::SlotNotFound {
                bmc: self.endpoint.clone(),
                slot: slot.to_string(),
                available: state
                    .config
                    .slots
                    .iter()
                    .map(|slot| slot.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    fn not_allowed(&self, property: &str, value: &str, allowed: Vec<&str>) -> BmcError {
        BmcError::NotAllowed {
            bmc: self.endpoint.clone(),
            operation: "setting the boot override".to_string(),
            property: property.to_string(),
            value: value.to_string(),
            allowed: allowed.join(", "),
        }
    }
}

/// The command a power action sends from `current`, and the state it changes to at once
/// (before the delay), if any.
fn power_command(action: PowerAction, current: &PowerState) -> (&'static str, Option<PowerState>) {
    match action {
        PowerAction::On => ("On", None),
        PowerAction::Off => ("GracefulShutdown", None),
        PowerAction::ForceOff => ("ForceOff", None),
        PowerAction::Restart if *current == PowerState::Off => ("On", None),
        PowerAction::Restart => ("ForceRestart", Some(PowerState::Off)),
    }
}

#[async_trait::async_trait]
impl Bmc for FakeBmc {
    fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn system_id(&self) -> &str {
        &self.system_id
    }

    async fn inventory(&self) -> Result<Inventory, BmcError> {
        let mut state = self.enter(FakeCall::Inventory)?;
        let power_state = state.power_now();
        let config = &state.config;
        Ok(Inventory {
            system_id: config.system_id.clone(),
            manufacturer: config.manufacturer.clone(),
            model: config.model.clone(),
            serial_number: config.serial_number.clone(),
            uuid: config.uuid.clone(),
            power_state,
            nics: config.nics.clone(),
            boot: config.boot.clone(),
            bios_version: config.bios_version.clone(),
            bmc_firmware: config.bmc_firmware.clone(),
            warnings: Vec::new(),
        })
    }

    async fn power_state(&self) -> Result<PowerState, BmcError> {
        Ok(self.enter(FakeCall::PowerState)?.power_now())
    }

    async fn request_power(&self, action: PowerAction) -> Result<PowerRequested, BmcError> {
        Ok(self
            .enter(FakeCall::RequestPower(action))?
            .send_power(action))
    }

    async fn set_power_and_wait(&self, action: PowerAction) -> Result<PowerState, BmcError> {
        self.enter(FakeCall::SetPowerAndWait(action))?
            .send_power(action);
        loop {
            let due = {
                let mut state = self.lock();
                let now = state.power_now();
                match &state.pending {
                    None => return Ok(now),
                    Some((_, at)) => *at,
                }
            };
            tokio::time::sleep_until(due).await;
        }
    }

    async fn boot_override(&self) -> Result<BootSettings, BmcError> {
        Ok(self.enter(FakeCall::BootOverride)?.config.boot.clone())
    }

    async fn set_boot_override(&self, request: &BootOverride) -> Result<BootApplied, BmcError> {
        let mut state = self.enter(FakeCall::SetBootOverride(request.clone()))?;
        let boot = &state.config.boot;
        if !boot.allowed_targets.is_empty()
            && request.target != BootTarget::None
            && !boot.allowed_targets.contains(&request.target)
        {
            let allowed = boot
                .allowed_targets
                .iter()
                .map(BootTarget::as_str)
                .collect();
            return Err(self.not_allowed("boot target", request.target.as_str(), allowed));
        }
        if let Some(mode) = request.mode
            && !boot.allowed_modes.is_empty()
            && !boot.allowed_modes.contains(&mode)
        {
            let allowed = boot
                .allowed_modes
                .iter()
                .map(|mode| mode.as_str())
                .collect();
            return Err(self.not_allowed("boot mode", mode.as_str(), allowed));
        }
        let boot = &mut state.config.boot;
        boot.target = Some(request.target.clone());
        boot.persistence = Some(request.persistence);
        if request.mode.is_some() {
            boot.mode = request.mode;
        }
        Ok(BootApplied {
            target: request.target.as_str().to_string(),
            persistence: request.persistence,
            mode: request.mode,
            fell_back_to_once: false,
            reads_back: true,
            notes: Vec::new(),
        })
    }

    async fn media_slots(&self) -> Result<Vec<MediaSlot>, BmcError> {
        Ok(self.enter(FakeCall::MediaSlots)?.config.slots.clone())
    }

    async fn insert_media(&self, slot: &str, image_url: &str) -> Result<MediaSlot, BmcError> {
        let mut state = self.enter(FakeCall::InsertMedia {
            slot: slot.to_string(),
            image_url: image_url.to_string(),
        })?;
        let index = self.slot_index(&state, slot)?;
        let current = &mut state.config.slots[index];
        if current.holds(image_url) {
            return Ok(current.clone());
        }
        if !current.can_insert {
            return Err(BmcError::NotSupported {
                bmc: self.endpoint.clone(),
                operation: format!("inserting {image_url} into slot {slot}"),
                what: format!("inserting media into slot {slot}"),
                source: None,
            });
        }
        if current.inserted {
            return Err(BmcError::SlotOccupied {
                bmc: self.endpoint.clone(),
                slot: slot.to_string(),
                image: current
                    .image
                    .clone()
                    .unwrap_or_else(|| "an image".to_string()),
            });
        }
        current.image = Some(image_url.to_string());
        current.inserted = true;
        Ok(current.clone())
    }

    async fn eject_media(&self, slot: &str) -> Result<MediaSlot, BmcError> {
        let mut state = self.enter(FakeCall::EjectMedia {
            slot: slot.to_string(),
        })?;
        let index = self.slot_index(&state, slot)?;
        let current = &mut state.config.slots[index];
        current.image = None;
        current.inserted = false;
        Ok(current.clone())
    }

    async fn log_entries(&self, since: SystemTime) -> Result<Vec<LogEntry>, BmcError> {
        let state = self.enter(FakeCall::LogEntries { since })?;
        Ok(newest_since(state.config.logs.clone(), since))
    }

    async fn close(&self) -> Result<(), BmcError> {
        drop(self.enter(FakeCall::Close)?);
        Ok(())
    }
}

/// Hands out [`FakeBmc`]s by endpoint, checking credentials and the system id as a BMC
/// would: an unknown endpoint is unreachable, a wrong password is refused (HTTP 401), an
/// unknown system is not found.
#[derive(Debug, Default)]
pub struct FakeConnector {
    bmcs: Mutex<Vec<(Credentials, Arc<FakeBmc>)>>,
    connections: AtomicUsize,
}

impl FakeConnector {
    /// A connector with no BMCs.
    pub fn new() -> Self {
        FakeConnector::default()
    }

    /// Serves `bmc` at its endpoint to whoever presents `credentials`.
    pub fn add(&self, bmc: Arc<FakeBmc>, credentials: Credentials) {
        match self.bmcs.lock() {
            Ok(mut bmcs) => bmcs.push((credentials, bmc)),
            Err(poisoned) => poisoned.into_inner().push((credentials, bmc)),
        }
    }

    /// Successful connections so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl BmcConnector for FakeConnector {
    async fn connect(&self, target: &BmcTarget) -> Result<Arc<dyn Bmc>, BmcError> {
        let wanted = target.endpoint.trim_end_matches('/');
        let found = {
            let bmcs = match self.bmcs.lock() {
                Ok(bmcs) => bmcs,
                Err(poisoned) => poisoned.into_inner(),
            };
            bmcs.iter()
                .find(|(_, bmc)| bmc.endpoint.trim_end_matches('/') == wanted)
                .cloned()
        };
        let Some((credentials, bmc)) = found else {
            return Err(BmcError::Unreachable {
                bmc: target.endpoint.clone(),
                operation: "connecting".to_string(),
                source: Cause::boxed("connection refused (no fake BMC at this endpoint)"),
            });
        };
        if credentials != target.credentials {
            return Err(BmcError::CredentialsRefused {
                bmc: bmc.endpoint.clone(),
                operation: "connecting".to_string(),
                status: 401,
                source: Cause::boxed("the fake BMC answered HTTP 401 Unauthorized"),
            });
        }
        if let Some(system) = &target.system
            && *system != bmc.system_id
        {
            return Err(BmcError::SystemNotFound {
                bmc: bmc.endpoint.clone(),
                wanted: system.clone(),
                available: bmc.system_id.clone(),
            });
        }
        self.connections.fetch_add(1, Ordering::SeqCst);
        Ok(bmc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{LogOrigin, Severity, pick_slots};
    use aero_error::{Classify, ErrorClass};
    use std::time::UNIX_EPOCH;

    fn delayed(delay: Duration) -> Arc<FakeBmc> {
        Arc::new(FakeBmc::with_config(FakeBmcConfig {
            power_delay: delay,
            ..FakeBmcConfig::default()
        }))
    }

    #[tokio::test(start_paused = true)]
    async fn power_requests_do_not_wait_and_converge_later() {
        let fake = delayed(Duration::from_secs(5));
        let bmc: Arc<dyn Bmc> = fake.clone();
        let requested = bmc.request_power(PowerAction::On).await.unwrap();
        assert_eq!(requested.before, PowerState::Off);
        assert_eq!(requested.sent.as_deref(), Some("On"));
        assert_eq!(bmc.power_state().await.unwrap(), PowerState::Off);
        assert_eq!(fake.pending_power(), Some(PowerState::On));
        // Asking again while the change is pending sends it again, and keeps its time.
        tokio::time::advance(Duration::from_secs(3)).await;
        bmc.request_power(PowerAction::On).await.unwrap();
        tokio::time::advance(Duration::from_secs(2)).await;
        assert_eq!(bmc.power_state().await.unwrap(), PowerState::On);
        // Already on: nothing sent.
        let again = bmc.request_power(PowerAction::On).await.unwrap();
        assert!(!again.changed());
        assert_eq!(fake.power_commands(), ["On", "On"]);
        assert_eq!(fake.count(FakeOperation::RequestPower), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn restart_reads_off_at_once_then_on() {
        let fake = delayed(Duration::from_secs(4));
        fake.set_power_now(PowerState::On);
        let requested = fake.request_power(PowerAction::Restart).await.unwrap();
        assert_eq!(requested.sent.as_deref(), Some("ForceRestart"));
        assert_eq!(fake.power_state().await.unwrap(), PowerState::Off);
        let started = Instant::now();
        assert_eq!(
            fake.set_power_and_wait(PowerAction::On).await.unwrap(),
            PowerState::On
        );
        assert_eq!(started.elapsed(), Duration::from_secs(4));
        // A restart of a machine that is off powers it on.
        fake.set_power_now(PowerState::Off);
        let state = fake.set_power_and_wait(PowerAction::Restart).await.unwrap();
        assert_eq!(state, PowerState::On);
        // Waiting for On while the restart is pending sends On again, as a driver reading Off would.
        assert_eq!(fake.power_commands(), ["ForceRestart", "On", "On"]);
    }

    #[tokio::test]
    async fn slots_behave_like_real_bmcs() {
        let bmc = FakeBmc::new();
        let choice = pick_slots(&bmc.media_slots().await.unwrap());
        assert_eq!(choice.os.as_deref(), Some("Cd"));
        assert_eq!(choice.config.as_deref(), Some("Floppy"));
        let inserted = bmc
            .insert_media("Floppy", "http://x/config.img")
            .await
            .unwrap();
        assert!(inserted.holds("http://x/config.img"));
        // The same image again: fine, nothing changes.
        bmc.insert_media("Floppy", "http://x/config.img")
            .await
            .unwrap();
        let occupied = bmc
            .insert_media("Floppy", "http://x/other.img")
            .await
            .unwrap_err();
        assert_eq!(occupied.class(), ErrorClass::Conflict);
        assert!(
            occupied.to_string().contains("eject it first"),
            "{occupied}"
        );
        let missing = bmc.insert_media("Usb", "http://x/a.iso").await.unwrap_err();
        assert_eq!(missing.class(), ErrorClass::NotFound);
        assert!(
            missing.to_string().contains("it has: Cd, Floppy"),
            "{missing}"
        );
        bmc.eject_media("Floppy").await.unwrap();
        let empty = bmc.eject_media("Floppy").await.unwrap();
        assert!(!empty.inserted);
        bmc.insert_media("Floppy", "http://x/other.img")
            .await
            .unwrap();
        assert_eq!(bmc.count(FakeOperation::InsertMedia), 5);
        assert_eq!(bmc.count(FakeOperation::EjectMedia), 2);
    }

    #[tokio::test]
    async fn boot_values_are_checked() {
        let bmc = FakeBmc::new();
        let request = |target| BootOverride {
            target,
            persistence: BootPersistence::Once,
            mode: Some(BootMode::Uefi),
        };
        let applied = bmc
            .set_boot_override(&request(BootTarget::Cd))
            .await
            .unwrap();
        assert!(applied.reads_back);
        let settings = bmc.boot_override().await.unwrap();
        assert_eq!(settings.target, Some(BootTarget::Cd));
        assert_eq!(settings.persistence, Some(BootPersistence::Once));
        let refused = bmc
            .set_boot_override(&request(BootTarget::Other("Floppy42".to_string())))
            .await
            .unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("allowed: Pxe, Cd, Hdd, UefiHttp"),
            "{refused}"
        );
    }

    #[tokio::test]
    async fn logs_failures_and_the_connector() {
        let fake = Arc::new(FakeBmc::new());
        let entry = |id: &str, seconds: u64| LogEntry {
            id: id.to_string(),
            created: UNIX_EPOCH + Duration::from_secs(seconds),
            severity: Severity::Warning,
            message: "fan".to_string(),
            message_id: None,
            origin: LogOrigin::System,
            log: "SEL".to_string(),
        };
        fake.push_log(entry("1", 100));
        fake.push_log(entry("2", 200));
        let since = UNIX_EPOCH + Duration::from_secs(150);
        let entries = fake.log_entries(since).await.unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].id, "2");

        fake.fail_next(
            FakeOperation::PowerState,
            BmcError::Unreachable {
                bmc: fake.endpoint().to_string(),
                operation: "reading the power state".to_string(),
                source: Cause::boxed("connection reset"),
            },
        );
        let error = fake.power_state().await.unwrap_err();
        assert!(error.class().is_retryable());
        assert_eq!(fake.power_state().await.unwrap(), PowerState::Off);

        let connector = FakeConnector::new();
        let credentials = Credentials::new("admin", "secret");
        connector.add(fake.clone(), credentials.clone());
        let mut target = BmcTarget::new("https://fake-bmc.invalid:443/", credentials);
        let bmc = connector.connect(&target).await.unwrap();
        assert_eq!(bmc.system_id(), "1");
        target.credentials = Credentials::new("admin", "wrong");
        let Err(refused) = connector.connect(&target).await else {
            panic!("wrong password accepted");
        };
        assert_eq!(refused.status(), Some(401));
        assert!(!format!("{refused:?}").contains("wrong"), "{refused:?}");
        target.endpoint = "https://elsewhere.invalid".to_string();
        let Err(unreachable) = connector.connect(&target).await else {
            panic!("unknown endpoint reached");
        };
        assert!(unreachable.class().is_retryable());
        assert_eq!(connector.connections(), 1);
    }
}
