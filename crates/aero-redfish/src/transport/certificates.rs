//! Certificate checks and refusals shared by both TLS backends.
//!
//! * [`check_listed_certificate`]: the checks for a BMC certificate that is itself listed in
//!   the CA file (a self-signed BMC certificate, which `openssl req -x509` marks `CA:TRUE`).
//!   A chain check refuses such a certificate as an end entity (webpki's
//!   `CaUsedAsEndEntity`), although the operator trusted exactly it; OpenSSL accepts it
//!   because it is a trust anchor. Here it is accepted when it is byte-identical to a listed
//!   certificate, still valid now, allowed for TLS servers by its key usages (when it has
//!   any), and issued for the host the client connects to.
//!
//!   Why that is safe: byte identity is the strongest statement of trust an operator can
//!   make (a pinned fingerprint, which checks nothing else, is no stronger), and the TLS
//!   handshake still proves the BMC holds the certificate's private key. The name check
//!   keeps one BMC from impersonating another when a CA file lists several BMCs'
//!   certificates; the date and usage checks keep what a chain check would have checked.
//!   Names are matched on subjectAltName DNS and IP entries; a certificate without
//!   subjectAltName is matched on its common name (as OpenSSL does for host names; for IP
//!   addresses too, since many BMC certificates carry only `CN=<address>` and this one is
//!   listed by the operator).
//! * [`CertificateProblem`] and [`refusal_text`]: what was wrong with a refused certificate
//!   and, for the verification in use, what to configure instead (the CA file, a pinned
//!   fingerprint, the openssl backend where it helps, or no verification).

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{Sha256Fingerprint, TlsVerification};

/// Why a certificate was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertificateProblem {
    /// Not issued by a CA the verification trusts (or self-signed and not listed).
    UntrustedIssuer,
    /// A CA certificate (`CA:TRUE`) presented as the BMC's own, and not listed as such.
    CaAsEndEntity,
    /// Issued for other names than the host.
    WrongName {
        /// The names it carries, when known.
        presented: Vec<String>,
    },
    /// Past its end date.
    Expired {
        /// When it expired, when known.
        not_after: Option<SystemTime>,
    },
    /// Before its start date.
    NotYetValid {
        /// When it becomes valid, when known.
        not_before: Option<SystemTime>,
    },
    /// Its key usages exclude TLS server authentication.
    WrongPurpose(String),
    /// Signed with an algorithm or key the backend refuses (SHA-1, short RSA keys).
    WeakSignature,
    /// Anything else, as the TLS library said it.
    Other(String),
}

/// A refused certificate, explained: why, and what to configure instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertificateRefusal(pub String);

impl std::fmt::Display for CertificateRefusal {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for CertificateRefusal {}

/// The text of a certificate that does not match the pinned fingerprint.
pub(crate) fn pin_mismatch_text(
    presented: Option<Sha256Fingerprint>,
    pin: &Sha256Fingerprint,
    host: &str,
) -> String {
    match presented {
        Some(presented) => format!(
            "certificate fingerprint {presented} does not match the pinned {pin}; if the \
             certificate of {host} was renewed, pin the new fingerprint after checking it out \
             of band (or set the BMC's CA file instead), or, not recommended, disable \
             certificate verification (insecure)"
        ),
        None => format!(
            "the BMC presented no certificate to compare with the pinned {pin}; check that \
             {host} is the BMC"
        ),
    }
}

/// The text of a refusal: the problem, then what to configure instead.
pub(crate) fn refusal_text(
    problem: &CertificateProblem,
    verification: &TlsVerification,
    host: &str,
    port: u16,
    presented: Option<Sha256Fingerprint>,
) -> String {
    let pin = |skips: &str| match presented {
        Some(fingerprint) => format!(
            "pin its SHA-256 fingerprint {fingerprint}{skips} (check it out of band first, e.g. \
             on the BMC's console)"
        ),
        None => format!(
            "pin its SHA-256 fingerprint{skips} (`openssl s_client -connect {host}:{port} \
             </dev/null | openssl x509 -noout -fingerprint -sha256` shows it; check it out of \
             band)"
        ),
    };
    let trust = match verification {
        TlsVerification::CaBundle(path) => format!("the CA file {}", path.display()),
        TlsVerification::CaPem(_) => "the BMC's CA certificate setting".to_string(),
        _ => "the system's trust store".to_string(),
    };
    let insecure = "or, not recommended, disable certificate verification (insecure)";
    let add_to_trust = match verification {
        TlsVerification::CaBundle(_) | TlsVerification::CaPem(_) => format!(
            "put the CA that issued it in {trust} (or exactly this certificate, when the BMC's \
             certificate is self-signed)"
        ),
        _ => "set the BMC's CA file to the CA that issued it (or to exactly this certificate, \
              when the BMC's certificate is self-signed)"
            .to_string(),
    };
    match problem {
        CertificateProblem::UntrustedIssuer => format!(
            "the BMC's certificate is not issued by a CA in {trust}; {add_to_trust}, {}, \
             {insecure}",
            pin("")
        ),
        CertificateProblem::CaAsEndEntity => format!(
            "the BMC presented a CA certificate (CA:TRUE, as `openssl req -x509` makes) as its \
             own, and {trust} does not list exactly this certificate; {add_to_trust}, {}, \
             {insecure}",
            pin("")
        ),
        CertificateProblem::WrongName { presented: names } => {
            let names = if names.is_empty() {
                "other names".to_string()
            } else {
                names.join(", ")
            };
            format!(
                "the BMC's certificate is issued for {names}, not {host}; reissue it on the BMC \
                 with subjectAltName {host}, or {}, {insecure}",
                pin(", which skips the name check")
            )
        }
        CertificateProblem::Expired { not_after } => format!(
            "the BMC's certificate expired{}; renew it on the BMC, or {}, {insecure}",
            when(" on ", *not_after),
            pin(", which skips the date check")
        ),
        CertificateProblem::NotYetValid { not_before } => format!(
            "the BMC's certificate is not valid yet{} (is the BMC's or this machine's clock \
             wrong?); fix the clock, or {}, {insecure}",
            when(" until ", *not_before),
            pin(", which skips the date check")
        ),
        CertificateProblem::WrongPurpose(detail) => format!(
            "the BMC's certificate may not be used by a TLS server ({detail}); reissue it on \
             the BMC, or {}, {insecure}",
            pin("")
        ),
        CertificateProblem::WeakSignature => format!(
            "the BMC's certificate is signed with an algorithm or key the rustls TLS backend \
             refuses (old firmware: SHA-1, 1024-bit RSA); choose the openssl TLS backend for \
             this BMC, or {}, {insecure}",
            pin("")
        ),
        CertificateProblem::Other(detail) => format!(
            "the BMC's certificate was refused: {detail}; {add_to_trust}, {}, {insecure}",
            pin("")
        ),
    }
}

fn when(prefix: &str, time: Option<SystemTime>) -> String {
    time.and_then(|time| {
        time::OffsetDateTime::from(time)
            .format(&time::format_description::well_known::Rfc3339)
            .ok()
    })
    .map(|time| format!("{prefix}{time}"))
    .unwrap_or_default()
}

/// The time of an X.509 timestamp.
fn system_time(seconds: i64) -> Option<SystemTime> {
    u64::try_from(seconds)
        .ok()
        .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds))
}

/// The host a client connects to: a DNS name or an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Host {
    /// A DNS name.
    Name(String),
    /// An IP address.
    Address(IpAddr),
}

impl Host {
    /// The host of a URL host string (`10.0.0.5`, `[::1]`, `bmc.example`).
    pub(crate) fn parse(host: &str) -> Host {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        match bare.parse::<IpAddr>() {
            Ok(address) => Host::Address(address),
            Err(_) => Host::Name(bare.to_ascii_lowercase()),
        }
    }
}

/// Whether DNS name `pattern` (possibly `*.example.com`) covers `name`.
fn dns_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let name = name.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(suffix) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == name,
    }
}

/// The names a certificate is issued for: subjectAltName DNS and IP entries, else its
/// common names (`CN=…`); empty when it cannot be read.
pub(crate) fn certificate_names(der: &[u8]) -> Vec<String> {
    let Ok((_, certificate)) = x509_parser::parse_x509_certificate(der) else {
        return Vec::new();
    };
    match certificate.subject_alternative_name().ok().flatten() {
        Some(names) => names
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => Some(dns.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                    ip_of(bytes).map(|address| address.to_string())
                }
                _ => None,
            })
            .collect(),
        None => certificate
            .subject()
            .iter_common_name()
            .filter_map(|name| name.as_str().ok())
            .map(|name| format!("CN={name}"))
            .collect(),
    }
}

fn ip_of(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

/// The checks for a certificate listed in the CA file and presented as the BMC's own (see
/// the module documentation): dates, key usages, and the host name.
pub(crate) fn check_listed_certificate(
    der: &[u8],
    host: &Host,
    now: SystemTime,
) -> Result<(), CertificateProblem> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der)
        .map_err(|error| CertificateProblem::Other(format!("unreadable certificate: {error}")))?;
    let validity = certificate.validity();
    let not_before = system_time(validity.not_before.timestamp());
    let not_after = system_time(validity.not_after.timestamp());
    if not_before.is_some_and(|start| now < start) {
        return Err(CertificateProblem::NotYetValid { not_before });
    }
    if not_after.is_none_or(|end| now > end) {
        return Err(CertificateProblem::Expired { not_after });
    }
    if let Ok(Some(key_usage)) = certificate.key_usage() {
        let usage = key_usage.value;
        if !(usage.digital_signature() || usage.key_encipherment() || usage.key_agreement()) {
            return Err(CertificateProblem::WrongPurpose(format!(
                "its key usage is only {usage}"
            )));
        }
    }
    if let Ok(Some(extended)) = certificate.extended_key_usage()
        && !(extended.value.any || extended.value.server_auth)
    {
        return Err(CertificateProblem::WrongPurpose(
            "its extended key usage excludes TLS server authentication".to_string(),
        ));
    }
    let mut presented = Vec::new();
    let alternative_names = certificate.subject_alternative_name().ok().flatten();
    match alternative_names {
        Some(names) => {
            for name in &names.value.general_names {
                match name {
                    x509_parser::extensions::GeneralName::DNSName(dns) => {
                        if let Host::Name(host) = host
                            && dns_matches(dns, host)
                        {
                            return Ok(());
                        }
                        presented.push(dns.to_string());
                    }
                    x509_parser::extensions::GeneralName::IPAddress(bytes) => {
                        if let Some(address) = ip_of(bytes) {
                            if *host == Host::Address(address) {
                                return Ok(());
                            }
                            presented.push(address.to_string());
                        }
                    }
                    _ => {}
                }
            }
        }
        None => {
            for common_name in certificate.subject().iter_common_name() {
                let Ok(text) = common_name.as_str() else {
                    continue;
                };
                let matched = match host {
                    Host::Name(host) => dns_matches(text, host),
                    Host::Address(address) => text.trim().parse::<IpAddr>().ok() == Some(*address),
                };
                if matched {
                    return Ok(());
                }
                presented.push(format!("CN={text}"));
            }
        }
    }
    Err(CertificateProblem::WrongName { presented })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_and_wildcards() {
        assert!(dns_matches("bmc.example", "bmc.example"));
        assert!(dns_matches("BMC.Example.", "bmc.example"));
        assert!(dns_matches("*.example", "bmc.example"));
        assert!(!dns_matches("*.example", "a.bmc.example"));
        assert!(!dns_matches("*.example", "example"));
        assert!(!dns_matches("other.example", "bmc.example"));
        assert_eq!(Host::parse("[::1]"), Host::Address("::1".parse().unwrap()));
        assert_eq!(
            Host::parse("BMC.example"),
            Host::Name("bmc.example".to_string())
        );
    }

    #[test]
    fn refusals_say_what_to_configure() {
        let ca_file = TlsVerification::CaBundle("/etc/aerostat/bmc-ca.pem".into());
        let fingerprint = Sha256Fingerprint([0xAB; 32]);
        let text = refusal_text(
            &CertificateProblem::CaAsEndEntity,
            &ca_file,
            "10.0.0.5",
            443,
            Some(fingerprint),
        );
        assert!(text.contains("CA:TRUE"), "{text}");
        assert!(
            text.contains("the CA file /etc/aerostat/bmc-ca.pem"),
            "{text}"
        );
        assert!(text.contains(&fingerprint.to_string()), "{text}");
        assert!(text.contains("insecure"), "{text}");
        let text = refusal_text(
            &CertificateProblem::UntrustedIssuer,
            &TlsVerification::SystemRoots,
            "10.0.0.5",
            443,
            None,
        );
        assert!(text.contains("set the BMC's CA file"), "{text}");
        assert!(
            text.contains("openssl s_client -connect 10.0.0.5:443"),
            "{text}"
        );
        let text = refusal_text(
            &CertificateProblem::WeakSignature,
            &TlsVerification::SystemRoots,
            "10.0.0.5",
            443,
            None,
        );
        assert!(text.contains("choose the openssl TLS backend"), "{text}");
        let text = refusal_text(
            &CertificateProblem::WrongName {
                presented: vec!["idrac-ABC123".to_string()],
            },
            &ca_file,
            "10.0.0.5",
            443,
            None,
        );
        assert!(
            text.contains("issued for idrac-ABC123, not 10.0.0.5"),
            "{text}"
        );
        let expired = refusal_text(
            &CertificateProblem::Expired {
                not_after: Some(UNIX_EPOCH + Duration::from_secs(1_331_131_440)),
            },
            &ca_file,
            "10.0.0.5",
            443,
            None,
        );
        assert!(
            expired.contains("expired on 2012-03-07T14:44:00Z; renew it on the BMC, or pin"),
            "{expired}"
        );
    }
}
