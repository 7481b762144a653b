//! Why a site's host model, a node's config or its image could not be made.
//!
//! Model errors are located: each names the document (`schema/name`), the `file:line:column`
//! where the offending value was written (through layering and substitution, so often a
//! parent's file), and the JSON path in the document's data.

use aero_error::{Classify, ErrorClass};

/// A problem in the site's host documents, located.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{place}: {document} {path}: {problem}")]
pub struct ModelError {
    /// `schema/name` of the document at fault, e.g. `drydock/BaremetalNode/v1/lon1-cp01`.
    pub document: String,
    /// `file:line:column` where the value (or, without one, the document) was written.
    pub place: String,
    /// JSON path in the document's data, e.g. `.host_profile` (`.` for all of it).
    pub path: String,
    /// What is wrong.
    pub problem: Problem,
}

impl Classify for ModelError {
    fn class(&self) -> ErrorClass {
        ErrorClass::InvalidInput
    }
}

/// What is wrong with a host document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// The data does not have the kind's shape (a wrong type or enum value).
    #[error("{message}")]
    Malformed {
        /// What the decoder said.
        message: String,
    },
    /// A node or host profile names a host profile that does not exist.
    #[error(
        "host profile `{name}` does not exist ({})",
        known_list("host profiles", known)
    )]
    MissingHostProfile {
        /// The name given.
        name: String,
        /// The host profiles of the site.
        known: Vec<String>,
    },
    /// Host profiles name each other in a loop.
    #[error("host profiles name each other in a loop: {}", chain.join(" -> "))]
    HostProfileCycle {
        /// The names, from the node's profile to the repeated one.
        chain: Vec<String>,
    },
    /// Neither the node nor its host profiles name a hardware profile.
    #[error("no hardware profile: set hardware_profile in the node or one of its host profiles")]
    NoHardwareProfile,
    /// A hardware profile named does not exist.
    #[error(
        "hardware profile `{name}` does not exist ({})",
        known_list("hardware profiles", known)
    )]
    MissingHardwareProfile {
        /// The name given.
        name: String,
        /// The hardware profiles of the site.
        known: Vec<String>,
    },
    /// A network link named does not exist.
    #[error(
        "network link `{name}` does not exist ({})",
        known_list("network links", known)
    )]
    MissingNetworkLink {
        /// The name given.
        name: String,
        /// The links of the site.
        known: Vec<String>,
    },
    /// A network named does not exist.
    #[error("network `{name}` does not exist ({})", known_list("networks", known))]
    MissingNetwork {
        /// The name given.
        name: String,
        /// The networks of the site.
        known: Vec<String>,
    },
    /// An OS image named does not exist.
    #[error(
        "no aerostat/OsImage/v1 document named `{name}` ({}): add one with the image's url and sha256",
        known_list("OS images", known)
    )]
    MissingOsImage {
        /// The name given (`platform.image`).
        name: String,
        /// The OS images of the site.
        known: Vec<String>,
    },
    /// An interface has no `device_link`.
    #[error("interface `{interface}` has no device_link")]
    NoDeviceLink {
        /// The interface.
        interface: String,
    },
    /// An interface has no slaves (NICs).
    #[error("interface `{interface}` has no slaves: list its NICs (device aliases or names)")]
    NoSlaves {
        /// The interface.
        interface: String,
    },
    /// An unbonded link carries an interface with several NICs.
    #[error(
        "interface `{interface}` has {count} slaves but link `{link}` does not bond them (bonding.mode disabled)"
    )]
    SlavesWithoutBond {
        /// The interface.
        interface: String,
        /// The link.
        link: String,
        /// How many slaves.
        count: usize,
    },
    /// A network is attached to an interface whose link does not allow it.
    #[error("network `{network}` is not in the allowed_networks of link `{link}`")]
    NetworkNotAllowed {
        /// The network.
        network: String,
        /// The link.
        link: String,
    },
    /// An untrunked link carries several networks.
    #[error(
        "interface `{interface}` carries {count} networks but link `{link}` is not trunked (trunking.mode disabled): one network per untagged link"
    )]
    UntaggedNetworks {
        /// The interface.
        interface: String,
        /// The link.
        link: String,
        /// How many networks.
        count: usize,
    },
    /// A network that must be tagged on a trunk has no VLAN id.
    #[error(
        "network `{network}` needs a vlan: on link `{link}` only `{untagged}` is untagged (trunking.default_network)"
    )]
    NoVlan {
        /// The network.
        network: String,
        /// The link.
        link: String,
        /// The link's untagged network, or `-`.
        untagged: String,
    },
    /// A network's MTU is larger than its link's.
    #[error(
        "network `{network}` has mtu {network_mtu}, more than link `{link}` carries ({link_mtu})"
    )]
    MtuAboveLink {
        /// The network.
        network: String,
        /// Its MTU.
        network_mtu: u32,
        /// The link.
        link: String,
        /// The link's MTU.
        link_mtu: u32,
    },
    /// A value that should be an IP address is not one.
    #[error("`{value}` is not an IP address{}", if *dhcp_allowed { " or dhcp" } else { "" })]
    InvalidAddress {
        /// The value.
        value: String,
        /// Whether `dhcp` is accepted here.
        dhcp_allowed: bool,
    },
    /// A value that should be a CIDR is not one.
    #[error("`{value}` is not a CIDR such as 10.23.2.0/24")]
    InvalidCidr {
        /// The value.
        value: String,
    },
    /// A VLAN id out of range.
    #[error("`{value}` is not a VLAN id (0 to 4094)")]
    InvalidVlan {
        /// The value.
        value: String,
    },
    /// A value that should be a MAC address is not one.
    #[error("`{value}` is not a MAC address such as b4:96:91:3a:17:0b")]
    InvalidMac {
        /// The value.
        value: String,
    },
    /// A UUID that is not one.
    #[error("`{value}` is not a UUID such as 4c4c4544-0042-3510-8052-b3c04f4d4d32")]
    InvalidUuid {
        /// The value.
        value: String,
    },
    /// A name that cannot be a Linux interface name.
    #[error("`{name}` cannot name a network interface (1 to 15 characters, no `/`, `:` or spaces)")]
    InvalidInterfaceName {
        /// The name.
        name: String,
    },
    /// A static address outside its network's CIDR.
    #[error("address {address} is outside network `{network}` ({cidr})")]
    AddressOutsideNetwork {
        /// The address.
        address: String,
        /// The network.
        network: String,
        /// Its CIDR.
        cidr: String,
    },
    /// A static address on a network without a CIDR (no prefix length).
    #[error(
        "static address on network `{network}`, which has no cidr to take the prefix length from"
    )]
    StaticAddressWithoutCidr {
        /// The network.
        network: String,
    },
    /// An address on a network no interface of the node carries.
    #[error(
        "address on network `{network}`, but no interface of the node carries it (interfaces carry: {})",
        if carried.is_empty() { "nothing".to_string() } else { carried.join(", ") }
    )]
    AddressOnUnattachedNetwork {
        /// The network.
        network: String,
        /// The networks the node's interfaces carry.
        carried: Vec<String>,
    },
    /// Two addressing entries for one network.
    #[error("second address on network `{network}`")]
    DuplicateAddress {
        /// The network.
        network: String,
    },
    /// The primary network is not carried by any interface.
    #[error("primary network `{network}` is not carried by any interface of the node")]
    PrimaryNetworkNotAttached {
        /// The network.
        network: String,
    },
    /// A Redfish BMC without an address.
    #[error(
        "no BMC address: set oob.address (e.g. https://10.23.0.11) or an addressing entry on the oob network{}",
        network.as_ref().map(|network| format!(" `{network}`")).unwrap_or_default()
    )]
    NoBmcAddress {
        /// The oob network, if named.
        network: Option<String>,
    },
    /// A Redfish BMC without credentials.
    #[error("no BMC {field}: substitute oob.{field} from a deckhand/Passphrase/v1 document")]
    NoBmcCredentials {
        /// `account` or `credential`.
        field: &'static str,
    },
    /// A BMC address that is not a URL or host.
    #[error("`{value}` is not a BMC address: a URL such as https://10.23.0.11 or a bare host")]
    InvalidBmcAddress {
        /// The value.
        value: String,
    },
    /// A certificate fingerprint or checksum that is not SHA-256 hex.
    #[error("`{value}` is not a SHA-256 digest (64 hex digits, colons allowed)")]
    InvalidSha256 {
        /// The value.
        value: String,
    },
    /// Several TLS trust settings at once.
    #[error("several TLS trust settings ({}): give one of ca_pem, fingerprint, insecure", settings.join(", "))]
    ConflictingTls {
        /// The settings given.
        settings: Vec<String>,
    },
    /// A config slot and config over HTTP at once.
    #[error("config_slot and config_over_http: true exclude each other")]
    ConflictingConfigMedia,
    /// A companion document names a node or profile that does not exist.
    #[error("names {kind} `{name}`, which does not exist ({})", known_list(&format!("{kind}s"), known))]
    CompanionOfNothing {
        /// `node` or `hardware profile`.
        kind: &'static str,
        /// The name.
        name: String,
        /// What exists.
        known: Vec<String>,
    },
    /// A MAC for a NIC the node does not have.
    #[error(
        "`{name}` is neither a device alias of hardware profile `{hardware_profile}` nor a slave of the node's interfaces"
    )]
    UnknownNic {
        /// The key.
        name: String,
        /// The node's hardware profile.
        hardware_profile: String,
    },
    /// A kind the site may hold once holds several documents.
    #[error("second {schema} document (the first is `{first}`): a site has one")]
    Duplicate {
        /// The kind.
        schema: &'static str,
        /// The first document's name.
        first: String,
    },
    /// A token key too short to key HMAC tokens.
    #[error(
        "token_key has {length} characters; at least 32 are needed (generate it as a passphrase)"
    )]
    ShortTokenKey {
        /// Its length.
        length: usize,
    },
    /// A bind address that is not `IP:port`.
    #[error("`{value}` is not IP:port such as 0.0.0.0:8080 or [::]:8443")]
    InvalidBindAddress {
        /// The value.
        value: String,
    },
    /// A URL that is not an http(s) URL of the expected form.
    #[error("`{value}` is not {expected}")]
    InvalidUrl {
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A kernel parameter that is neither a string, a number nor a boolean.
    #[error("kernel parameter `{name}` must be a string, a number or a boolean")]
    InvalidKernelParameter {
        /// The parameter.
        name: String,
    },
    /// TLS configured but the public URL is plain HTTP (or the other way round).
    #[error("public_url is {scheme}:// but tls is {}", if *tls { "set" } else { "not set" })]
    TlsSchemeMismatch {
        /// The URL's scheme.
        scheme: String,
        /// Whether tls is set.
        tls: bool,
    },
}

fn known_list(what: &str, known: &[String]) -> String {
    if known.is_empty() {
        format!("the site has no {what}")
    } else {
        format!("{what}: {}", known.join(", "))
    }
}

/// Every problem found in the site's host documents (the model is not built while any
/// remains). Never empty.
#[derive(Debug)]
pub struct ModelErrors {
    errors: Vec<ModelError>,
}

impl ModelErrors {
    pub(crate) fn new(errors: Vec<ModelError>) -> Self {
        Self { errors }
    }

    /// The problems, in document order.
    pub fn errors(&self) -> &[ModelError] {
        &self.errors
    }
}

impl std::fmt::Display for ModelErrors {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.errors.as_slice() {
            [one] => write!(formatter, "{one}"),
            all => {
                write!(formatter, "{} problems in the host documents:", all.len())?;
                for error in all {
                    write!(formatter, "\n  {error}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ModelErrors {}

impl Classify for ModelErrors {
    fn class(&self) -> ErrorClass {
        ErrorClass::InvalidInput
    }
}

/// A node name that is not in the site.
#[derive(Debug, thiserror::Error)]
#[error("no node `{name}` in the site ({})", known_list("nodes", known))]
pub struct UnknownNode {
    /// The name asked for.
    pub name: String,
    /// The site's nodes.
    pub known: Vec<String>,
}

impl Classify for UnknownNode {
    fn class(&self) -> ErrorClass {
        ErrorClass::NotFound
    }
}

/// Why a node's NoCloud config could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The site has no provisioning server, whose URL and token key the config needs.
    #[error(
        "the site has no aerostat/ProvisioningServer/v1 document: a node's config needs its public_url (phone-home) and token_key"
    )]
    NoProvisioningServer,
    /// No revision to derive the instance id and token from.
    #[error("no revision id: the node's config is made for a rendered, valid revision")]
    NoRevision,
    /// A template failed: a bug in the templates, not in the documents.
    #[error("cannot render {part}: {message}")]
    Template {
        /// The file (`user-data`, `meta-data`, `network-config`).
        part: &'static str,
        /// tera's error chain.
        message: String,
    },
}

impl Classify for ConfigError {
    fn class(&self) -> ErrorClass {
        match self {
            ConfigError::NoProvisioningServer => ErrorClass::InvalidInput,
            ConfigError::NoRevision => ErrorClass::Usage,
            ConfigError::Template { .. } => ErrorClass::Permanent,
        }
    }
}

/// Why a config image could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write the config image: {reason}")]
pub struct ImageError {
    /// What the ISO writer said.
    pub reason: String,
}

impl Classify for ImageError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }
}
