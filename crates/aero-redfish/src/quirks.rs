//! Vendor quirks as data.
//!
//! A [`QuirkTable`] is a list of [`QuirkRule`]s keyed by regular expressions on the
//! manufacturer, model and BMC firmware version. Every matching rule sets some
//! [`QuirkFlags`]; the client's control flow only ever reads the resolved [`Quirks`]. Adding a
//! vendor quirk means adding a row to [`QuirkTable::builtin`] (or to a table given in the
//! client configuration), never editing an operation.
//!
//! Each built-in row names where the behaviour is documented.

use regex::Regex;

use crate::retry::{BusyCondition, TransientRule};

/// Where the client looks for virtual media first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VirtualMediaPreference {
    /// The system's `VirtualMedia`, then its managers' (default, as Ironic does).
    #[default]
    SystemFirst,
    /// The managers' `VirtualMedia`, then the system's.
    ManagersFirst,
}

/// Behaviour switches one rule sets; `None` leaves the value of earlier rules (or the default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuirkFlags {
    /// PATCH always sends `BootSourceOverrideEnabled`, even when unchanged.
    pub boot_always_send_enabled: Option<bool>,
    /// PATCH always sends Target, Enabled and Mode together.
    pub boot_full_body: Option<bool>,
    /// Boot target to use instead of `Cd`, when the BMC lists it as allowed.
    pub cd_boot_target: Option<String>,
    /// One-time boot from virtual CD through the vendor's configuration import job.
    pub boot_once_via_dell_scp: Option<bool>,
    /// Where to look for virtual media first.
    pub virtual_media: Option<VirtualMediaPreference>,
    /// `EjectMedia` needs a `{}` body (no body is rejected).
    pub eject_with_empty_object: Option<bool>,
    /// Paths the client constructs (no `@odata.id` to follow) end with `/`.
    pub trailing_slash_paths: Option<bool>,
    /// No keep-alive: one connection per request.
    pub connection_close: Option<bool>,
    /// Extra error conditions that are transient for this vendor.
    pub transient: Vec<TransientRule>,
    /// Answers (or failed tasks) of a configuration job that mean "busy, try again later",
    /// some after one reboot of the host; retried per [`crate::config::Timing`]'s
    /// `busy_retry_*` settings.
    pub config_job_busy: Vec<BusyCondition>,
    /// A `BootSourceOverrideMode` change is applied by a BIOS job at the next boot: it is
    /// PATCHed on its own first and, when it does not read back, the host is rebooted and
    /// the mode polled (see [`crate::config::Timing::boot_mode_apply_timeout`]).
    pub boot_mode_applies_at_reboot: Option<bool>,
    /// Only these virtual media slot ids may take an image, in this order.
    pub virtual_media_slots: Option<Vec<String>>,
}

/// One row of the quirk table.
#[derive(Debug, Clone)]
pub struct QuirkRule {
    /// Short name, for logs.
    pub name: String,
    /// Regex on the manufacturer (system `Manufacturer`, or the service root `Vendor`).
    pub manufacturer: String,
    /// Regex on the system model; `None` matches any.
    pub model: Option<String>,
    /// Regex on the BMC firmware version; `None` matches any.
    pub firmware: Option<String>,
    /// Behaviour switches.
    pub flags: QuirkFlags,
    /// Where the vendor behaviour is documented.
    pub source: String,
}

/// What a BMC says it is, for matching quirk rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BmcIdentity {
    /// Manufacturer or vendor.
    pub manufacturer: Option<String>,
    /// System model.
    pub model: Option<String>,
    /// BMC firmware version.
    pub firmware: Option<String>,
}

/// Resolved behaviour for one BMC (defaults plus every matching rule, in table order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quirks {
    /// Names of the matching rules.
    pub matched: Vec<String>,
    /// See [`QuirkFlags::boot_always_send_enabled`].
    pub boot_always_send_enabled: bool,
    /// See [`QuirkFlags::boot_full_body`].
    pub boot_full_body: bool,
    /// See [`QuirkFlags::cd_boot_target`].
    pub cd_boot_target: Option<String>,
    /// See [`QuirkFlags::boot_once_via_dell_scp`].
    pub boot_once_via_dell_scp: bool,
    /// See [`QuirkFlags::virtual_media`].
    pub virtual_media: VirtualMediaPreference,
    /// See [`QuirkFlags::eject_with_empty_object`].
    pub eject_with_empty_object: bool,
    /// See [`QuirkFlags::trailing_slash_paths`].
    pub trailing_slash_paths: bool,
    /// See [`QuirkFlags::connection_close`].
    pub connection_close: bool,
    /// See [`QuirkFlags::transient`].
    pub transient: Vec<TransientRule>,
    /// See [`QuirkFlags::config_job_busy`].
    pub config_job_busy: Vec<BusyCondition>,
    /// See [`QuirkFlags::boot_mode_applies_at_reboot`].
    pub boot_mode_applies_at_reboot: bool,
    /// See [`QuirkFlags::virtual_media_slots`].
    pub virtual_media_slots: Option<Vec<String>>,
}

impl Quirks {
    fn apply(&mut self, rule: &QuirkRule) {
        let flags = &rule.flags;
        self.matched.push(rule.name.clone());
        if let Some(value) = flags.boot_always_send_enabled {
            self.boot_always_send_enabled = value;
        }
        if let Some(value) = flags.boot_full_body {
            self.boot_full_body = value;
        }
        if let Some(value) = &flags.cd_boot_target {
            self.cd_boot_target = Some(value.clone());
        }
        if let Some(value) = flags.boot_once_via_dell_scp {
            self.boot_once_via_dell_scp = value;
        }
        if let Some(value) = flags.virtual_media {
            self.virtual_media = value;
        }
        if let Some(value) = flags.eject_with_empty_object {
            self.eject_with_empty_object = value;
        }
        if let Some(value) = flags.trailing_slash_paths {
            self.trailing_slash_paths = value;
        }
        if let Some(value) = flags.connection_close {
            self.connection_close = value;
        }
        self.transient.extend(flags.transient.iter().cloned());
        self.config_job_busy
            .extend(flags.config_job_busy.iter().cloned());
        if let Some(value) = flags.boot_mode_applies_at_reboot {
            self.boot_mode_applies_at_reboot = value;
        }
        if let Some(value) = &flags.virtual_media_slots {
            self.virtual_media_slots = Some(value.clone());
        }
    }

    /// `path` as the BMC wants constructed paths: with a trailing slash when the quirk says so.
    pub fn constructed_path(&self, path: &str) -> String {
        if self.trailing_slash_paths && !path.ends_with('/') {
            format!("{path}/")
        } else {
            path.to_string()
        }
    }
}

/// An ordered list of quirk rules.
#[derive(Debug, Clone)]
pub struct QuirkTable {
    rules: Vec<QuirkRule>,
}

impl Default for QuirkTable {
    fn default() -> Self {
        QuirkTable::builtin()
    }
}

impl QuirkTable {
    /// A table with the given rules.
    pub fn new(rules: Vec<QuirkRule>) -> Self {
        QuirkTable { rules }
    }

    /// The rules.
    pub fn rules(&self) -> &[QuirkRule] {
        &self.rules
    }

    /// Adds a rule at the end (it wins over earlier rules for the flags it sets).
    pub fn push(&mut self, rule: QuirkRule) {
        self.rules.push(rule);
    }

    /// Whether a rule matching manufacturer and model also needs the firmware version, so the
    /// client reads the manager only when some rule cares.
    pub fn needs_firmware(&self, identity: &BmcIdentity) -> bool {
        self.rules.iter().any(|rule| {
            rule.firmware.is_some()
                && matches(
                    &rule.manufacturer,
                    identity.manufacturer.as_deref(),
                    &rule.name,
                )
                && rule
                    .model
                    .as_ref()
                    .is_none_or(|pattern| matches(pattern, identity.model.as_deref(), &rule.name))
        })
    }

    /// The behaviour for a BMC: defaults, then every matching rule in order.
    pub fn resolve(&self, identity: &BmcIdentity) -> Quirks {
        let mut quirks = Quirks::default();
        for rule in &self.rules {
            let manufacturer_matches = matches(
                &rule.manufacturer,
                identity.manufacturer.as_deref(),
                &rule.name,
            );
            let model_matches = rule
                .model
                .as_ref()
                .is_none_or(|pattern| matches(pattern, identity.model.as_deref(), &rule.name));
            let firmware_matches = rule
                .firmware
                .as_ref()
                .is_none_or(|pattern| matches(pattern, identity.firmware.as_deref(), &rule.name));
            if manufacturer_matches && model_matches && firmware_matches {
                quirks.apply(rule);
            }
        }
        quirks
    }

    /// The built-in rules.
    pub fn builtin() -> Self {
        let rule = |name: &str, manufacturer: &str, flags: QuirkFlags, source: &str| QuirkRule {
            name: name.to_string(),
            manufacturer: manufacturer.to_string(),
            model: None,
            firmware: None,
            flags,
            source: source.to_string(),
        };
        QuirkTable::new(vec![
            rule(
                "dell-idrac",
                r"(?i)^dell",
                QuirkFlags {
                    virtual_media: Some(VirtualMediaPreference::ManagersFirst),
                    boot_once_via_dell_scp: Some(true),
                    transient: vec![TransientRule::new(
                        "ActionParameterValueConflict",
                        &[409],
                        &["POST"],
                    )],
                    config_job_busy: vec![
                        BusyCondition::reboot_first("LC068"),
                        BusyCondition::retry("RAC0679"),
                    ],
                    boot_mode_applies_at_reboot: Some(true),
                    ..QuirkFlags::default()
                },
                "iDRAC keeps virtual media under Managers/iDRAC.Embedded.1 and boots the virtual \
                 CD once only through ImportSystemConfiguration (ServerBoot.1#BootOnce, \
                 FirstBootDevice VCD-DVD), an asynchronous job: openstack/ironic \
                 drivers/modules/drac/boot.py (DracRedfishVirtualMediaBoot) and \
                 openstack/sushy-oem-idrac resources/manager/manager.py, which retries the \
                 import 35 times 15 s apart while iDRAC answers LC068 (configuration pending: \
                 reboot once) or RAC0679 (a job is running); iDRAC 10 answers 409 \
                 ActionParameterValueConflict to Reset On just after a power off (Ironic \
                 redfish/power.py retries it); a BootSourceOverrideMode change becomes a BIOS \
                 job applied at the next boot (Ironic redfish/management.py \
                 _wait_for_boot_mode: reboot, poll up to boot_mode_config_timeout). See also \
                 the bmc-toolbox idrac9 dump",
            ),
            QuirkRule {
                name: "dell-idrac10".to_string(),
                manufacturer: r"(?i)^dell".to_string(),
                model: None,
                firmware: Some(r"^1\.\d+\.\d+\.\d+$".to_string()),
                flags: QuirkFlags {
                    virtual_media_slots: Some(vec!["1".to_string()]),
                    ..QuirkFlags::default()
                },
                source: "iDRAC 10 (firmware 1.x, PowerEdge 17G) lists \
                         Systems/System.Embedded.1/VirtualMedia/2 before /1, both for CD/DVD, \
                         but the host boots only from slot 1 (Remote File Share 1): \
                         dell/iDRAC-Redfish-Scripting issue 324; Ironic uses slot 1 only"
                    .to_string(),
            },
            rule(
                "hpe-ilo",
                r"(?i)^(hpe|hp|hewlett)",
                QuirkFlags {
                    trailing_slash_paths: Some(true),
                    eject_with_empty_object: Some(true),
                    transient: vec![TransientRule::new(
                        "UnableToModifyDuringSystemPOST",
                        &[400],
                        &["PATCH", "POST"],
                    )],
                    ..QuirkFlags::default()
                },
                "iLO lists every @odata.id and action target with a trailing '/' (bmc-toolbox \
                 hpegen10 dump; the DMTF mockup server answers 404 without it); EjectMedia \
                 needs a '{}' body (openstack/sushy resources/manager/virtual_media.py \
                 eject_media); 400 UnableToModifyDuringSystemPOST while the host is in POST is \
                 retried (openstack/ironic drivers/modules/redfish/management.py)",
            ),
            rule(
                "supermicro",
                r"(?i)^supermicro",
                QuirkFlags {
                    boot_always_send_enabled: Some(true),
                    cd_boot_target: Some("UsbCd".to_string()),
                    ..QuirkFlags::default()
                },
                "X11/X12 boot virtual media only as 'UsbCd' when it is offered (openstack/sushy \
                 resources/system/system.py set_system_boot_options; the bmc-toolbox \
                 supermicroX10 dump lists UsbCd/UefiCd); BootSourceOverrideEnabled must always \
                 be sent (openstack/ironic drivers/modules/redfish/management.py). Their \
                 rejection of Inserted/WriteProtected in InsertMedia needs no rule: the client \
                 never sends them in the action (sushy's choice for every BMC)",
            ),
            rule(
                "ami-asrockrack",
                r"(?i)^(ami|american megatrends|asrockrack)",
                QuirkFlags {
                    boot_full_body: Some(true),
                    ..QuirkFlags::default()
                },
                "AMI MegaRAC based BMCs need Target, Enabled and Mode in one PATCH \
                 (openstack/ironic drivers/modules/redfish/management.py _set_boot_device)",
            ),
            rule(
                "sushy-emulator",
                r"^Sushy Emulator$",
                QuirkFlags {
                    connection_close: Some(true),
                    ..QuirkFlags::default()
                },
                "sushy-tools' emulator (Werkzeug) closes the connection after every answer \
                 (Connection: close), so keep-alive only costs failed reuses",
            ),
        ])
    }
}

/// Whether `pattern` matches `value`; an absent value matches nothing. A rule with an invalid
/// pattern never matches (and is reported once per use).
fn matches(pattern: &str, value: Option<&str>, rule: &str) -> bool {
    let Some(value) = value else {
        return false;
    };
    match Regex::new(pattern) {
        Ok(regex) => regex.is_match(value),
        Err(error) => {
            tracing::warn!(rule, pattern, error = %error, "ignoring quirk rule with an invalid pattern");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(manufacturer: &str, model: &str, firmware: Option<&str>) -> BmcIdentity {
        BmcIdentity {
            manufacturer: Some(manufacturer.to_string()),
            model: Some(model.to_string()),
            firmware: firmware.map(str::to_string),
        }
    }

    #[test]
    fn builtin_patterns_compile_and_cite_sources() {
        for rule in QuirkTable::builtin().rules() {
            Regex::new(&rule.manufacturer).expect("manufacturer pattern");
            for pattern in [&rule.model, &rule.firmware].into_iter().flatten() {
                Regex::new(pattern).expect("model or firmware pattern");
            }
            assert!(rule.source.len() > 40, "{} needs a source", rule.name);
        }
    }

    #[test]
    fn vendors_resolve_to_their_flags() {
        let table = QuirkTable::builtin();
        let dell = table.resolve(&identity("Dell Inc.", "PowerEdge R640", Some("7.00.00.00")));
        assert_eq!(dell.matched, vec!["dell-idrac"]);
        assert!(dell.boot_once_via_dell_scp);
        assert!(dell.boot_mode_applies_at_reboot);
        assert_eq!(dell.config_job_busy.len(), 2);
        assert_eq!(dell.virtual_media, VirtualMediaPreference::ManagersFirst);
        assert_eq!(dell.virtual_media_slots, None);
        let idrac10 = table.resolve(&identity("Dell Inc.", "PowerEdge R770", Some("1.20.25.00")));
        assert_eq!(idrac10.matched, vec!["dell-idrac", "dell-idrac10"]);
        assert_eq!(idrac10.virtual_media_slots, Some(vec!["1".to_string()]));
        assert!(table.needs_firmware(&identity("Dell Inc.", "PowerEdge R770", None)));

        let hpe = table.resolve(&identity("HPE", "ProLiant DL360 Gen10", None));
        assert!(hpe.trailing_slash_paths);
        assert_eq!(
            hpe.constructed_path("/redfish/v1/SessionService/Sessions"),
            "/redfish/v1/SessionService/Sessions/"
        );

        let supermicro = table.resolve(&identity("Supermicro", "X11DPU", None));
        assert_eq!(supermicro.cd_boot_target.as_deref(), Some("UsbCd"));
        assert!(supermicro.boot_always_send_enabled);

        let contoso = table.resolve(&identity("Contoso", "3500", None));
        assert_eq!(contoso, Quirks::default());
        assert_eq!(contoso.constructed_path("/a"), "/a");
    }

    #[test]
    fn adding_a_row_changes_behaviour_and_later_rows_win() {
        let mut table = QuirkTable::builtin();
        table.push(QuirkRule {
            name: "supermicro-x13".to_string(),
            manufacturer: "(?i)^supermicro".to_string(),
            model: Some("^X13".to_string()),
            firmware: Some(r"^1\.".to_string()),
            flags: QuirkFlags {
                cd_boot_target: Some("UefiUsbCd".to_string()),
                ..QuirkFlags::default()
            },
            source: "test".to_string(),
        });
        let x13_old = identity("Supermicro", "X13SEW", Some("1.04"));
        assert!(table.needs_firmware(&x13_old));
        let quirks = table.resolve(&x13_old);
        assert_eq!(quirks.matched, vec!["supermicro", "supermicro-x13"]);
        assert_eq!(quirks.cd_boot_target.as_deref(), Some("UefiUsbCd"));
        assert!(quirks.boot_always_send_enabled);

        let x13_new = identity("Supermicro", "X13SEW", Some("2.01"));
        assert_eq!(
            table.resolve(&x13_new).cd_boot_target.as_deref(),
            Some("UsbCd")
        );
        assert!(!table.needs_firmware(&identity("Supermicro", "X11", None)));
    }

    #[test]
    fn invalid_pattern_never_matches() {
        let table = QuirkTable::new(vec![QuirkRule {
            name: "broken".to_string(),
            manufacturer: "(".to_string(),
            model: None,
            firmware: None,
            flags: QuirkFlags {
                boot_full_body: Some(true),
                ..QuirkFlags::default()
            },
            source: "test".to_string(),
        }]);
        assert!(!table.resolve(&identity("(", "x", None)).boot_full_body);
    }
}
