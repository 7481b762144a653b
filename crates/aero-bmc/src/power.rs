//! Power: the state a BMC reports, the changes a step asks for, and what a request did.

use std::fmt;
use std::str::FromStr;

use crate::ParseValueError;

/// The power state of a machine as its BMC reports it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PowerState {
    /// Powered on.
    On,
    /// Powered off.
    Off,
    /// On its way to on.
    PoweringOn,
    /// On its way to off.
    PoweringOff,
    /// Anything else the BMC reported (`Paused`, a vendor value), or `absent` when it
    /// reported nothing.
    Other(String),
}

impl PowerState {
    /// A short name: `On`, `Off`, `PoweringOn`, `PoweringOff` or the reported value.
    pub fn as_str(&self) -> &str {
        match self {
            PowerState::On => "On",
            PowerState::Off => "Off",
            PowerState::PoweringOn => "PoweringOn",
            PowerState::PoweringOff => "PoweringOff",
            PowerState::Other(value) => value,
        }
    }

    /// Whether the machine is at `target` or on its way there.
    pub fn is_at_or_heading_to(&self, target: &PowerState) -> bool {
        self == target
            || matches!(
                (self, target),
                (PowerState::PoweringOn, PowerState::On)
                    | (PowerState::PoweringOff, PowerState::Off)
            )
    }
}

impl fmt::Display for PowerState {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A power change a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PowerAction {
    /// Power on.
    On,
    /// Graceful shutdown (the operating system is asked to stop). A driver uses a forced
    /// power off when the BMC offers no graceful one.
    Off,
    /// Immediate power off.
    ForceOff,
    /// Immediate restart; just power on when the machine is off.
    Restart,
}

impl PowerAction {
    /// The state the machine ends in.
    pub fn target(self) -> PowerState {
        match self {
            PowerAction::On | PowerAction::Restart => PowerState::On,
            PowerAction::Off | PowerAction::ForceOff => PowerState::Off,
        }
    }

    /// The spelling [`FromStr`] reads: `on`, `off`, `force-off`, `restart`.
    pub fn as_str(self) -> &'static str {
        match self {
            PowerAction::On => "on",
            PowerAction::Off => "off",
            PowerAction::ForceOff => "force-off",
            PowerAction::Restart => "restart",
        }
    }
}

impl fmt::Display for PowerAction {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for PowerAction {
    type Err = ParseValueError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "on" => Ok(PowerAction::On),
            "off" => Ok(PowerAction::Off),
            "force-off" | "forceoff" => Ok(PowerAction::ForceOff),
            "restart" | "reboot" => Ok(PowerAction::Restart),
            _ => Err(ParseValueError::new(
                "power action",
                value,
                "on, off, force-off or restart",
            )),
        }
    }
}

/// What [`crate::Bmc::request_power`] did: at most one command, without waiting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerRequested {
    /// The state read before deciding.
    pub before: PowerState,
    /// The command the BMC was sent, in the driver's words (Redfish: the reset type, e.g.
    /// `ForceOff`); `None` when the machine was already at the target or on its way there.
    pub sent: Option<String>,
}

impl PowerRequested {
    /// Whether a command was sent.
    pub fn changed(&self) -> bool {
        self.sent.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_and_name_their_target() {
        for action in [
            PowerAction::On,
            PowerAction::Off,
            PowerAction::ForceOff,
            PowerAction::Restart,
        ] {
            assert_eq!(action.as_str().parse::<PowerAction>(), Ok(action));
        }
        assert_eq!(PowerAction::Restart.target(), PowerState::On);
        assert_eq!(PowerAction::Off.target(), PowerState::Off);
        let error = "cycle".parse::<PowerAction>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid power action \"cycle\"; expected on, off, force-off or restart"
        );
    }

    #[test]
    fn transitions_count_as_heading_there() {
        assert!(PowerState::PoweringOn.is_at_or_heading_to(&PowerState::On));
        assert!(PowerState::Off.is_at_or_heading_to(&PowerState::Off));
        assert!(!PowerState::PoweringOff.is_at_or_heading_to(&PowerState::On));
        assert!(!PowerState::Other("Paused".to_string()).is_at_or_heading_to(&PowerState::On));
    }
}
