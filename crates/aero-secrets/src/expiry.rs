//! `check-expiry`: which certificates of a site expire within a window.
//!
//! Every `deckhand/Certificate/v1` and `deckhand/CertificateAuthority/v1` document of the
//! site (all layers) is parsed (the first certificate of its PEM data); encrypted ones are
//! decrypted in memory when an identity is given, else listed as unreadable.

use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::document;
use crate::envelope;
use crate::error::SecretsError;
use crate::keys::Identities;
use crate::kinds;
use crate::site::LoadedSite;

/// One certificate and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryEntry {
    /// `schema/name`.
    pub document: String,
    /// File shown to a person.
    pub file: String,
    /// Line of the document.
    pub line: u32,
    /// Subject, as `openssl` prints it (`CN=...`).
    pub subject: String,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// End of validity in RFC 3339 form.
    pub not_after_text: String,
    /// Whole days from now to `not_after` (negative when expired).
    pub days_left: i64,
    /// Whether it expires within the window (or has expired).
    pub expiring: bool,
}

/// A certificate document that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableCertificate {
    /// `schema/name`.
    pub document: String,
    /// File shown to a person.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// The result of `check-expiry`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryReport {
    /// Every readable certificate, soonest expiry first.
    pub entries: Vec<ExpiryEntry>,
    /// Certificates that could not be read.
    pub unreadable: Vec<UnreadableCertificate>,
}

impl ExpiryReport {
    /// Entries expiring within the window.
    pub fn expiring(&self) -> impl Iterator<Item = &ExpiryEntry> {
        self.entries.iter().filter(|entry| entry.expiring)
    }
}

/// Options of [`check_expiry`].
#[derive(Clone, Copy, Debug)]
pub struct ExpiryOptions {
    /// Certificates whose end of validity is before `now + within` are expiring.
    pub within: Duration,
    /// The time "now" (tests fix it).
    pub now: OffsetDateTime,
}

impl Default for ExpiryOptions {
    /// A 30-day window from the current time.
    fn default() -> Self {
        Self {
            within: Duration::days(30),
            now: OffsetDateTime::now_utc(),
        }
    }
}

/// A window given on the command line (`30d`), see [`parse_window`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window(pub Duration);

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_window(text).map(Window)
    }
}

/// Parses a window such as `30d`, `12h`, `2w` or `90` (days).
pub fn parse_window(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text
        .char_indices()
        .find(|(_, character)| !character.is_ascii_digit())
    {
        Some((index, _)) => text.split_at(index),
        None => (text, "d"),
    };
    let amount: i64 = number
        .parse()
        .map_err(|_| format!("invalid window `{text}`: expected a number and a unit, e.g. 30d"))?;
    match unit {
        "d" => Ok(Duration::days(amount)),
        "h" => Ok(Duration::hours(amount)),
        "w" => Ok(Duration::weeks(amount)),
        "m" => Ok(Duration::minutes(amount)),
        _ => Err(format!(
            "invalid window unit `{unit}` in `{text}`: use m, h, d or w"
        )),
    }
}

/// Checks every certificate of the site against `now + within`.
pub fn check_expiry(
    site: &LoadedSite,
    options: ExpiryOptions,
    identities: Option<&Identities>,
) -> Result<ExpiryReport, SecretsError> {
    let mut report = ExpiryReport::default();
    let now = options.now;
    let deadline = now + options.within;
    for (file, loaded) in site.documents() {
        let schema = document::schema(&loaded.value);
        if schema != Some(kinds::CERTIFICATE) && schema != Some(kinds::CERTIFICATE_AUTHORITY) {
            continue;
        }
        let described = document::describe(&loaded.value);
        let unreadable = |reason: String| UnreadableCertificate {
            document: described.clone(),
            file: file.display(),
            reason,
        };
        let data = loaded.value.get("data").cloned().unwrap_or(Value::Null);
        let data = if envelope::is_encrypted_data(&data) {
            match identities {
                None => {
                    report
                        .unreadable
                        .push(unreadable("encrypted; give --identity to check it".into()));
                    continue;
                }
                Some(identities) => crate::crypt::decrypt_document(
                    file,
                    loaded.line,
                    &loaded.value,
                    &data,
                    identities,
                )?,
            }
        } else {
            data
        };
        let Some(pem) = data.as_str() else {
            report
                .unreadable
                .push(unreadable("data is not a PEM string".into()));
            continue;
        };
        match read_certificate(pem) {
            Ok((subject, not_after)) => {
                let days_left = (not_after - now).whole_days();
                report.entries.push(ExpiryEntry {
                    document: described.clone(),
                    file: file.display(),
                    line: loaded.line,
                    subject,
                    not_after,
                    not_after_text: not_after
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    days_left,
                    expiring: not_after <= deadline,
                });
            }
            Err(reason) => report.unreadable.push(unreadable(reason)),
        }
    }
    report.entries.sort_by(|left, right| {
        left.not_after
            .cmp(&right.not_after)
            .then(left.document.cmp(&right.document))
    });
    Ok(report)
}

/// Subject and end of validity of the first certificate in `pem`.
pub fn read_certificate(pem: &str) -> Result<(String, OffsetDateTime), String> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|_| "no PEM certificate in data".to_string())?;
    if block.label != "CERTIFICATE" {
        return Err(format!("PEM block is {}, not CERTIFICATE", block.label));
    }
    let certificate = block
        .parse_x509()
        .map_err(|error| format!("invalid X.509 certificate ({error})"))?;
    let not_after = certificate.validity().not_after.to_datetime();
    Ok((certificate.subject().to_string(), not_after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_parse_with_units() {
        assert_eq!(parse_window("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_window("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_window("2w").unwrap(), Duration::days(14));
        assert_eq!(parse_window("90").unwrap(), Duration::days(90));
        assert!(parse_window("soon").unwrap_err().contains("invalid window"));
        assert!(parse_window("3y").unwrap_err().contains("unit `y`"));
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(read_certificate("hello").is_err());
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert!(read_certificate(key).unwrap_err().contains("PRIVATE KEY"));
    }
}
