//! Small value types of the host model, parsed once from document strings: MAC addresses,
//! CIDRs, certificate fingerprints. Each parser returns `None` on bad input; the caller
//! turns that into a located [`crate::Problem`].

use std::fmt;
use std::net::IpAddr;

/// A MAC address, printed lower-case with colons (as netplan and Redfish compare them).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddress(pub [u8; 6]);

impl MacAddress {
    /// Parses six hex pairs separated by `:` or `-`, either case.
    pub fn parse(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 6];
        let parts: Vec<&str> = text.trim().split([':', '-']).collect();
        if parts.len() != 6 {
            return None;
        }
        for (byte, part) in bytes.iter_mut().zip(parts) {
            if part.len() != 2 {
                return None;
            }
            *byte = u8::from_str_radix(part, 16).ok()?;
        }
        Some(MacAddress(bytes))
    }
}

impl fmt::Display for MacAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, f] = self.0;
        write!(formatter, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{f:02x}")
    }
}

impl fmt::Debug for MacAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "MacAddress({self})")
    }
}

/// An IP network: an address and a prefix length.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Cidr {
    /// The network address as written.
    pub address: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `address/prefix`.
    pub fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = text.trim().split_once('/')?;
        let address: IpAddr = address.parse().ok()?;
        let prefix: u8 = prefix.parse().ok()?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { address, prefix })
    }

    /// Whether `address` is inside this network.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.address, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }

    /// Whether this is a default route's destination (`0.0.0.0/0` or `::/0`).
    pub fn is_default(&self) -> bool {
        self.prefix == 0
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}/{}", self.address, self.prefix)
    }
}

/// A SHA-256 digest (of a certificate, or of an image file).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sha256Digest(pub [u8; 32]);

impl Sha256Digest {
    /// Parses 64 hex digits, optionally separated by colons and prefixed with `sha256:`
    /// (`openssl x509 -noout -fingerprint -sha256` output is accepted as printed).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let text = text.rsplit_once('=').map_or(text, |(_, rest)| rest);
        let text = text
            .strip_prefix("sha256:")
            .or_else(|| text.strip_prefix("SHA256:"))
            .unwrap_or(text);
        let digits: Vec<u8> = text.bytes().filter(|byte| *byte != b':').collect();
        if digits.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Sha256Digest(bytes))
    }

    /// Lower-case hex without separators.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for Sha256Digest {
    /// Lower-case hex without separators.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "Sha256Digest({self})")
    }
}

/// Whether `name` can be a Linux network interface name (IFNAMSIZ is 16 with the NUL).
pub(crate) fn is_interface_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'/' && byte != b':')
}

/// Whether `text` is a UUID in its 8-4-4-4-12 hex form.
pub(crate) fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, length)| {
            group.len() == length && group.bytes().all(|byte| byte.is_ascii_hexdigit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_either_separator_and_print_lower_case() {
        let mac = MacAddress::parse("B4-96-91-3A-17-0B").unwrap();
        assert_eq!(mac.to_string(), "b4:96:91:3a:17:0b");
        assert_eq!(MacAddress::parse("b4:96:91:3a:17:0b"), Some(mac));
        for bad in [
            "",
            "b4:96:91:3a:17",
            "b4:96:91:3a:17:0b:00",
            "b4:96:91:3a:17:0",
            "zz:96:91:3a:17:0b",
        ] {
            assert_eq!(MacAddress::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn cidrs_contain_their_addresses_only() {
        let cidr = Cidr::parse("10.23.2.0/24").unwrap();
        assert!(cidr.contains("10.23.2.11".parse().unwrap()));
        assert!(!cidr.contains("10.23.3.11".parse().unwrap()));
        assert!(!cidr.contains("::1".parse().unwrap()));
        assert!(
            Cidr::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        assert!(Cidr::parse("0.0.0.0/0").unwrap().is_default());
        assert!(
            Cidr::parse("fd00::/64")
                .unwrap()
                .contains("fd00::5".parse().unwrap())
        );
        for bad in [
            "10.23.2.0",
            "10.23.2.0/33",
            "x/24",
            "10.23.2.0/-1",
            "::/129",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn digests_take_openssl_output_as_printed() {
        let hex = "ab".repeat(32);
        let colons = vec!["AB"; 32].join(":");
        let digest = Sha256Digest::parse(&hex).unwrap();
        assert_eq!(Sha256Digest::parse(&colons), Some(digest));
        assert_eq!(
            Sha256Digest::parse(&format!("sha256 Fingerprint={colons}")),
            Some(digest)
        );
        assert_eq!(Sha256Digest::parse(&format!("sha256:{hex}")), Some(digest));
        assert_eq!(digest.to_string(), hex);
        assert_eq!(Sha256Digest::parse(&"ab".repeat(31)), None);
        assert_eq!(Sha256Digest::parse(&"zz".repeat(32)), None);
        assert_eq!(Sha256Digest::parse(&"é".repeat(32)), None);
    }

    #[test]
    fn interface_names_fit_the_kernel() {
        assert!(is_interface_name("bond0.103"));
        assert!(is_interface_name("data_nic01"));
        assert!(!is_interface_name("a-name-longer-than-15"));
        assert!(!is_interface_name("eth 0"));
        assert!(!is_interface_name(""));
        assert!(!is_interface_name("a/b"));
    }

    #[test]
    fn uuids_have_five_hex_groups() {
        assert!(is_uuid("4c4c4544-0042-3510-8052-b3c04f4d4d32"));
        assert!(!is_uuid("4c4c4544-0042-3510-8052"));
        assert!(!is_uuid("4c4c4544-0042-3510-8052-b3c04f4d4dzz"));
    }
}
