//! Where a BMC is and how to trust it: endpoint, credentials, TLS trust and backend, system.

use std::fmt;
use std::str::FromStr;

use crate::ParseValueError;

/// A secret string (a password). `Debug` and `Display` print `***`; only [`Secret::expose`]
/// gives the value, for putting it on the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("***")
    }
}

/// A BMC user name and password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
}

impl Credentials {
    /// Credentials from a user name and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: Secret::new(password),
        }
    }
}

/// A SHA-256 certificate fingerprint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertificateFingerprint(pub [u8; 32]);

impl FromStr for CertificateFingerprint {
    type Err = ParseValueError;

    /// Parses 64 hex digits, optionally separated by colons and prefixed with `sha256:`;
    /// `openssl x509 -noout -fingerprint -sha256` output is accepted as printed.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let invalid = || {
            ParseValueError::new(
                "SHA-256 certificate fingerprint",
                value,
                "64 hex digits, colons allowed",
            )
        };
        let trimmed = value.trim();
        let without_label = trimmed.rsplit_once('=').map_or(trimmed, |(_, rest)| rest);
        let without_prefix = without_label
            .strip_prefix("sha256:")
            .or_else(|| without_label.strip_prefix("SHA256:"))
            .unwrap_or(without_label);
        let digits: String = without_prefix
            .chars()
            .filter(|character| *character != ':')
            .collect();
        if digits.len() != 64 || !digits.chars().all(|digit| digit.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let mut bytes = [0u8; 32];
        for (index, byte) in bytes.iter_mut().enumerate() {
            let pair = digits.get(index * 2..index * 2 + 2).ok_or_else(invalid)?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| invalid())?;
        }
        Ok(CertificateFingerprint(bytes))
    }
}

impl fmt::Display for CertificateFingerprint {
    /// Upper-case hex pairs separated by colons, as `openssl` prints them.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 {
                formatter.write_str(":")?;
            }
            write!(formatter, "{byte:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CertificateFingerprint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "CertificateFingerprint({self})")
    }
}

/// How the BMC's TLS certificate is trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TlsTrust {
    /// The system's trust store (default).
    #[default]
    SystemRoots,
    /// Only these PEM certificates: the CA that signed the BMC's certificate, or the BMC's
    /// own self-signed certificate.
    CaPem(String),
    /// The BMC's certificate must have this SHA-256 fingerprint; chain, name and dates are
    /// not checked (the pin is the trust decision).
    Fingerprint(CertificateFingerprint),
    /// No verification at all. Only by an explicit per-BMC setting.
    Insecure,
}

/// Which TLS implementation talks to the BMC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum TlsBackend {
    /// rustls (default): TLS 1.2 and 1.3 with modern cipher suites.
    #[default]
    Rustls,
    /// The system's OpenSSL, with TLS 1.0/1.1 and legacy suites for old BMC firmware.
    OpenSsl,
}

impl TlsBackend {
    /// `rustls` or `openssl`.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsBackend::Rustls => "rustls",
            TlsBackend::OpenSsl => "openssl",
        }
    }
}

impl fmt::Display for TlsBackend {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for TlsBackend {
    type Err = ParseValueError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "rustls" => Ok(TlsBackend::Rustls),
            "openssl" => Ok(TlsBackend::OpenSsl),
            _ => Err(ParseValueError::new(
                "TLS backend",
                value,
                "rustls or openssl",
            )),
        }
    }
}

/// Everything needed to reach one machine's BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BmcTarget {
    /// The BMC's URL, e.g. `https://10.23.0.11` (a bare host means HTTPS).
    pub endpoint: String,
    /// User name and password.
    pub credentials: Credentials,
    /// How the BMC's certificate is trusted.
    pub tls: TlsTrust,
    /// Which TLS implementation to use.
    pub tls_backend: TlsBackend,
    /// The system on the BMC (its id, name or UUID); `None` when the BMC has one system.
    pub system: Option<String>,
}

impl BmcTarget {
    /// A target with system roots, the default backend and no system id.
    pub fn new(endpoint: impl Into<String>, credentials: Credentials) -> Self {
        BmcTarget {
            endpoint: endpoint.into(),
            credentials,
            tls: TlsTrust::default(),
            tls_backend: TlsBackend::default(),
            system: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let target = BmcTarget::new("https://10.0.0.5", Credentials::new("root", "calvin"));
        let debug = format!("{target:?}");
        assert!(!debug.contains("calvin"), "{debug}");
        assert!(debug.contains("root"), "{debug}");
        assert_eq!(target.credentials.password.to_string(), "***");
        assert_eq!(target.credentials.password.expose(), "calvin");
    }

    #[test]
    fn fingerprints_parse_common_spellings() {
        let colon = "AB:".repeat(31) + "AB";
        let plain = "ab".repeat(32);
        let openssl = format!("sha256 Fingerprint={colon}");
        let prefixed = format!("sha256:{plain}");
        for text in [&colon, &plain, &openssl, &prefixed] {
            assert_eq!(
                text.parse::<CertificateFingerprint>(),
                Ok(CertificateFingerprint([0xAB; 32])),
                "{text}"
            );
        }
        assert_eq!(CertificateFingerprint([0xAB; 32]).to_string(), colon);
        assert!("abcd".parse::<CertificateFingerprint>().is_err());
        assert!("zz".repeat(32).parse::<CertificateFingerprint>().is_err());
        assert_eq!("OpenSSL".parse(), Ok(TlsBackend::OpenSsl));
        assert!("gnutls".parse::<TlsBackend>().is_err());
    }
}
