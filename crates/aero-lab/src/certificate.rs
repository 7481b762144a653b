//! The lab's TLS certificate: one self-signed certificate for every emulated BMC of a lab,
//! made at start, as `openssl req -x509` makes one (`CA:TRUE`, no key usage extensions),
//! for `127.0.0.1` and `localhost`. The deploy path trusts it as the BMCs' CA PEM (the
//! Redfish client accepts a certificate listed in its CA file itself, after checking its
//! dates and names); the node simulators pin it byte for byte.

use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::{Duration, OffsetDateTime};

use crate::error::LabError;

/// A certificate and its key.
pub(crate) struct LabCertificate {
    /// The certificate, PEM.
    pub(crate) certificate_pem: String,
    /// The private key, PEM (PKCS#8).
    pub(crate) key_pem: String,
    /// The certificate, DER.
    pub(crate) der: Vec<u8>,
}

/// How long a lab certificate is valid (a lab runs for days at most).
const VALIDITY_DAYS: i64 = 90;

/// Makes a self-signed `CA:TRUE` certificate for 127.0.0.1 and localhost, valid from an
/// hour before `now` (clock skew) for [`VALIDITY_DAYS`].
pub(crate) fn generate(now: OffsetDateTime) -> Result<LabCertificate, LabError> {
    let failed = |error: rcgen::Error| LabError::Certificate {
        reason: error.to_string(),
    };
    let mut params = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .map_err(failed)?;
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "Aerostat local lab");
    name.push(
        DnType::CommonName,
        "Aerostat lab emulated BMC (stand-in, not a real BMC)",
    );
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.not_before = now - Duration::hours(1);
    params.not_after = now + Duration::days(VALIDITY_DAYS);
    let key = KeyPair::generate().map_err(failed)?;
    let certificate = params.self_signed(&key).map_err(failed)?;
    Ok(LabCertificate {
        certificate_pem: certificate.pem(),
        key_pem: key.serialize_pem(),
        der: certificate.der().to_vec(),
    })
}

/// An HTTP client that trusts exactly the lab's certificate (byte for byte) over HTTPS,
/// and speaks plain HTTP to anything else it is pointed at.
pub(crate) fn pinned_client(
    certificate_der: Vec<u8>,
    timeout: std::time::Duration,
) -> Result<reqwest::Client, LabError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = PinnedCertificate {
        der: certificate_der,
        provider: provider.clone(),
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| LabError::Network {
            action: "set up the lab's HTTPS client".to_string(),
            reason: error.to_string(),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(config)
        .timeout(timeout)
        .connect_timeout(std::time::Duration::from_secs(5))
        .no_proxy()
        .build()
        .map_err(|error| LabError::Network {
            action: "set up the lab's HTTPS client".to_string(),
            reason: error.without_url().to_string(),
        })
}

/// Accepts the one certificate the lab made, whatever its name or issuer; handshake
/// signatures are still verified against its key.
#[derive(Debug)]
struct PinnedCertificate {
    der: Vec<u8>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_a_self_signed_ca_for_the_loopback_address() {
        let now = OffsetDateTime::now_utc();
        let made = generate(now).unwrap();
        assert!(
            made.certificate_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(made.key_pem.contains("PRIVATE KEY"));
        let (_, parsed) = x509_parser::parse_x509_certificate(&made.der).unwrap();
        assert_eq!(parsed.subject(), parsed.issuer(), "self-signed");
        let constraints = parsed.basic_constraints().unwrap().unwrap();
        assert!(constraints.value.ca, "CA:TRUE, as openssl req -x509 makes");
        assert!(parsed.key_usage().unwrap().is_none());
        let names = parsed.subject_alternative_name().unwrap().unwrap();
        use x509_parser::extensions::GeneralName;
        let general = &names.value.general_names;
        assert!(
            general.iter().any(
                |name| matches!(name, GeneralName::IPAddress(bytes) if *bytes == [127, 0, 0, 1])
            ),
            "{general:?}"
        );
        assert!(
            general
                .iter()
                .any(|name| matches!(name, GeneralName::DNSName("localhost"))),
            "{general:?}"
        );
        let validity = parsed.validity();
        assert!(validity.not_before.timestamp() < now.unix_timestamp());
        assert!(validity.not_after.timestamp() > now.unix_timestamp() + 80 * 86_400);
        let other = generate(now).unwrap();
        assert_ne!(other.der, made.der, "each lab makes its own key");
    }
}
