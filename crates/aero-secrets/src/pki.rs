//! `generate pki`: certificate authorities, certificates and key pairs from Promenade's
//! `promenade/PKICatalog/v1`, made with `rcgen`.
//!
//! ```yaml
//! schema: promenade/PKICatalog/v1
//! data:
//!   certificate_authorities:
//!     kubernetes:                       # CA name
//!       description: Kubernetes cluster CA
//!       certificates:
//!         - document_name: apiserver
//!           common_name: apiserver
//!           hosts: [localhost, 127.0.0.1, 10.96.0.1]     # DNS names and IPs -> SANs
//!           groups: [system:masters]                     # -> O= (at most two)
//!           kubernetes_service_names: [kubernetes.default.svc.cluster.local]
//!   keypairs:
//!     - name: service-account
//!       description: Service account signing key
//! ```
//!
//! As in Pegleg, each Kubernetes service name also gives every leading part of itself as
//! a DNS name (`kubernetes`, `kubernetes.default`, ...). Output, under `site/<site>/secrets/`
//! (dashes in file names become underscores, as in Pegleg):
//! - `certificate-authorities/<ca>_ca.yaml`: `deckhand/CertificateAuthority/v1` and
//!   `deckhand/CertificateAuthorityKey/v1`; CA validity `ca_days`; key usages keyCertSign
//!   and cRLSign; basic constraints CA:TRUE.
//! - `certificates/<ca>_<doc>_certificate.yaml` (`deckhand/Certificate/v1`) and
//!   `certificates/<ca>_<doc>_key.yaml` (`deckhand/CertificateKey/v1`): signed by the CA,
//!   validity `days`, key usages digitalSignature and keyEncipherment, extended key usages
//!   serverAuth and clientAuth.
//! - `keypairs/<name>.yaml`: `deckhand/PublicKey/v1` (SubjectPublicKeyInfo PEM) and
//!   `deckhand/PrivateKey/v1` (PKCS#8 PEM).
//!
//! Keys are ECDSA P-256 by default, RSA 2048 on request. Private key documents are
//! `storagePolicy: encrypted` (encrypted at once when recipients are known), the others
//! cleartext. Existing pairs (in any layer) are kept, and an existing CA signs new
//! certificates (its key is decrypted in memory if needed), unless `regenerate` is set.

use std::net::IpAddr;
use std::path::PathBuf;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType, SerialNumber,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::document;
use crate::envelope;
use crate::error::SecretsError;
use crate::keys::{Identities, Recipients};
use crate::kinds;
use crate::plan::{Action, ChangePlan, PlannedWrite};
use crate::random;
use crate::site::{LoadedFile, LoadedSite, render_file};

/// Schema of a PKI catalogue.
pub const PKI_CATALOG_SCHEMA: &str = "promenade/PKICatalog/v1";
/// Default validity of certificates, in days.
pub const DEFAULT_DAYS: u32 = 365;
/// Default validity of certificate authorities, in days (10 years).
pub const DEFAULT_CA_DAYS: u32 = 3650;

/// One certificate of a CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateSpec {
    /// Name of the Certificate and CertificateKey documents.
    pub document_name: String,
    /// Subject CN.
    pub common_name: String,
    /// DNS names and IP addresses.
    pub hosts: Vec<String>,
    /// Subject O entries.
    pub groups: Vec<String>,
    /// Kubernetes service names (each expanded to its leading parts).
    pub kubernetes_service_names: Vec<String>,
}

/// One certificate authority and the certificates it signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthoritySpec {
    /// CA name (document name of the CA documents, and its CN).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Certificates it signs.
    pub certificates: Vec<CertificateSpec>,
}

/// One key pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeypairSpec {
    /// Name of the PublicKey and PrivateKey documents.
    pub name: String,
    /// Free text.
    pub description: String,
}

/// Everything the site's PKI catalogues ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkiCatalog {
    /// Certificate authorities, in catalogue order.
    pub authorities: Vec<AuthoritySpec>,
    /// Key pairs, in catalogue order.
    pub keypairs: Vec<KeypairSpec>,
}

/// Key algorithm of generated keys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256 with SHA-256.
    #[default]
    EcdsaP256,
    /// RSA 2048 with SHA-256 (what Pegleg's cfssl and openssl made).
    Rsa2048,
}

/// Options of `generate pki`.
#[derive(Clone, Debug)]
pub struct PkiOptions {
    /// Generate everything again, CAs included.
    pub regenerate: bool,
    /// Validity of certificates in days.
    pub days: u32,
    /// Validity of CAs in days.
    pub ca_days: u32,
    /// Algorithm of new keys.
    pub key_algorithm: KeyAlgorithm,
    /// Recipients to encrypt private keys to; `None` writes them in clear (with a warning).
    pub recipients: Option<Recipients>,
    /// Identities to open an existing, encrypted CA key.
    pub identities: Option<Identities>,
    /// The time "now" (tests fix it).
    pub now: OffsetDateTime,
}

impl Default for PkiOptions {
    fn default() -> Self {
        Self {
            regenerate: false,
            days: DEFAULT_DAYS,
            ca_days: DEFAULT_CA_DAYS,
            key_algorithm: KeyAlgorithm::default(),
            recipients: None,
            identities: None,
            now: OffsetDateTime::now_utc(),
        }
    }
}

/// Reads every PKI catalogue of the site.
pub fn read_catalogs(site: &LoadedSite) -> Result<PkiCatalog, SecretsError> {
    let mut catalog = PkiCatalog::default();
    let mut found = false;
    for (file, loaded) in site.documents() {
        if document::schema(&loaded.value) != Some(PKI_CATALOG_SCHEMA) {
            continue;
        }
        found = true;
        let invalid = |reason: String| SecretsError::Catalog {
            catalog: PKI_CATALOG_SCHEMA.to_string(),
            name: document::name(&loaded.value).unwrap_or("?").to_string(),
            file: file.display(),
            line: loaded.line,
            reason,
        };
        parse_catalog(&loaded.value, &mut catalog).map_err(invalid)?;
    }
    if !found {
        return Err(SecretsError::NoCatalog {
            schema: PKI_CATALOG_SCHEMA.to_string(),
            site: site.name.clone(),
        });
    }
    Ok(catalog)
}

fn parse_catalog(document: &Value, catalog: &mut PkiCatalog) -> Result<(), String> {
    let data = document
        .get("data")
        .and_then(Value::as_object)
        .ok_or("data must be a mapping")?;
    match data.get("certificate_authorities") {
        None | Some(Value::Null) => {}
        Some(Value::Object(authorities)) => {
            for (ca_name, ca) in authorities {
                check_name(ca_name).map_err(|reason| format!("certificate authority {reason}"))?;
                if catalog
                    .authorities
                    .iter()
                    .any(|known| &known.name == ca_name)
                {
                    return Err(format!(
                        "certificate authority `{ca_name}` is defined twice"
                    ));
                }
                let where_ = format!("certificate_authorities.{ca_name}");
                let ca = ca
                    .as_object()
                    .ok_or(format!("{where_} must be a mapping"))?;
                let mut certificates = Vec::new();
                let list = match ca.get("certificates") {
                    None | Some(Value::Null) => &Vec::new(),
                    Some(Value::Array(list)) => list,
                    Some(_) => return Err(format!("{where_}.certificates must be a list")),
                };
                for (index, entry) in list.iter().enumerate() {
                    let spec = parse_certificate(entry)
                        .map_err(|reason| format!("{where_}.certificates[{index}]: {reason}"))?;
                    let taken = catalog
                        .authorities
                        .iter()
                        .flat_map(|authority| &authority.certificates)
                        .chain(&certificates)
                        .any(|known: &CertificateSpec| known.document_name == spec.document_name);
                    if taken {
                        return Err(format!(
                            "{where_}.certificates[{index}]: document_name `{}` is used twice",
                            spec.document_name
                        ));
                    }
                    certificates.push(spec);
                }
                catalog.authorities.push(AuthoritySpec {
                    name: ca_name.clone(),
                    description: string_field(ca.get("description"), "description")?
                        .unwrap_or_default(),
                    certificates,
                });
            }
        }
        Some(_) => return Err("certificate_authorities must be a mapping".into()),
    }
    match data.get("keypairs") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => {
            for (index, entry) in list.iter().enumerate() {
                let where_ = format!("keypairs[{index}]");
                let entry = entry
                    .as_object()
                    .ok_or(format!("{where_} must be a mapping"))?;
                let name = string_field(entry.get("name"), "name")
                    .map_err(|reason| format!("{where_}: {reason}"))?
                    .ok_or(format!("{where_}: name is required"))?;
                check_name(&name).map_err(|reason| format!("{where_}: {reason}"))?;
                if catalog.keypairs.iter().any(|known| known.name == name) {
                    return Err(format!("{where_}: keypair `{name}` is defined twice"));
                }
                catalog.keypairs.push(KeypairSpec {
                    name,
                    description: string_field(entry.get("description"), "description")?
                        .unwrap_or_default(),
                });
            }
        }
        Some(_) => return Err("keypairs must be a list".into()),
    }
    Ok(())
}

fn parse_certificate(entry: &Value) -> Result<CertificateSpec, String> {
    let entry = entry.as_object().ok_or("must be a mapping")?;
    let document_name = string_field(entry.get("document_name"), "document_name")?
        .ok_or("document_name is required")?;
    check_name(&document_name)?;
    let common_name =
        string_field(entry.get("common_name"), "common_name")?.ok_or("common_name is required")?;
    let groups = string_list(entry.get("groups"), "groups")?;
    if groups.len() > 2 {
        return Err("at most two groups are supported".into());
    }
    Ok(CertificateSpec {
        document_name,
        common_name,
        hosts: string_list(entry.get("hosts"), "hosts")?,
        groups,
        kubernetes_service_names: string_list(
            entry.get("kubernetes_service_names"),
            "kubernetes_service_names",
        )?,
    })
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(format!("name `{name}` cannot be used in a file name"));
    }
    Ok(())
}

fn string_field(value: Option<&Value>, key: &str) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(format!("{key} must be a string")),
    }
}

fn string_list(value: Option<&Value>, key: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .map(str::to_string)
                    .ok_or(format!("{key} must be a list of strings"))
            })
            .collect(),
        Some(_) => Err(format!("{key} must be a list of strings")),
    }
}

/// The SAN entries of a certificate: its hosts, then each service name's leading parts
/// (`a.b.c` gives `a`, `a.b`, `a.b.c`), without duplicates.
pub fn subject_alt_names(spec: &CertificateSpec) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |name: String| {
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    };
    for host in &spec.hosts {
        push(host.clone());
    }
    for service in &spec.kubernetes_service_names {
        let parts: Vec<&str> = service.split('.').collect();
        for end in 1..=parts.len() {
            push(parts[..end].join("."));
        }
    }
    names
}

/// File name part: dashes become underscores (Pegleg's convention).
fn file_part(name: &str) -> String {
    name.replace('-', "_")
}

/// Where the documents of one pair go, relative to `site/<site>/secrets/`.
fn ca_file(ca: &str) -> String {
    format!("certificate-authorities/{}_ca.yaml", file_part(ca))
}
fn certificate_file(ca: &str, document: &str) -> String {
    format!(
        "certificates/{}_{}_certificate.yaml",
        file_part(ca),
        file_part(document)
    )
}
fn certificate_key_file(ca: &str, document: &str) -> String {
    format!(
        "certificates/{}_{}_key.yaml",
        file_part(ca),
        file_part(document)
    )
}
fn keypair_file(name: &str) -> String {
    format!("keypairs/{}.yaml", file_part(name))
}

/// A document found in the site, with its file.
type Found<'a> = (&'a LoadedFile, &'a Value);

/// The documents of a pair found in the site (either may be missing).
struct FoundPair<'a> {
    first: Option<Found<'a>>,
    second: Option<Found<'a>>,
}

impl FoundPair<'_> {
    fn is_empty(&self) -> bool {
        self.first.is_none() && self.second.is_none()
    }

    fn both(&self) -> Option<(Found<'_>, Found<'_>)> {
        Some((self.first?, self.second?))
    }
}

fn find_pair<'a>(
    site: &'a LoadedSite,
    first_schema: &str,
    second_schema: &str,
    name: &str,
) -> FoundPair<'a> {
    let find = |schema| {
        site.find(schema, name)
            .map(|(file, loaded)| (file, &loaded.value))
    };
    FoundPair {
        first: find(first_schema),
        second: find(second_schema),
    }
}

/// Everything needed while planning.
struct Planner<'a> {
    site: &'a LoadedSite,
    options: &'a PkiOptions,
    plan: ChangePlan,
    /// Files to write, by path relative to `secrets/`, with their documents.
    files: Vec<(String, Vec<Value>)>,
}

/// A CA able to sign.
struct Signer {
    issuer: Issuer<'static, KeyPair>,
}

/// Plans `generate pki`.
pub fn plan_pki(site: &LoadedSite, options: &PkiOptions) -> Result<ChangePlan, SecretsError> {
    let catalog = read_catalogs(site)?;
    let mut planner = Planner {
        site,
        options,
        plan: ChangePlan::default(),
        files: Vec::new(),
    };
    for authority in &catalog.authorities {
        planner.authority(authority)?;
    }
    for keypair in &catalog.keypairs {
        planner.keypair(keypair)?;
    }
    let Planner {
        mut plan, files, ..
    } = planner;
    let secrets_dir = site.site_dir().join("secrets");
    for (relative, documents) in files {
        plan.writes.push(PlannedWrite {
            path: secrets_dir.join(&relative),
            display: format!(
                "{}/{}secrets/{relative}",
                site.site_repo.name,
                site.site_prefix()
            ),
            contents: render_file("# Generated by `aero secrets generate pki`\n", &documents),
        });
    }
    if options.recipients.is_none() && !plan.is_empty() {
        plan.warnings.push(format!(
            "no age recipients for site `{}`: private keys were written in clear; run `aero secrets encrypt {}` once recipients are set",
            site.name, site.name
        ));
    }
    Ok(plan)
}

impl Planner<'_> {
    fn display(&self, relative: &str) -> String {
        format!(
            "{}/{}secrets/{relative}",
            self.site.site_repo.name,
            self.site.site_prefix()
        )
    }

    fn target(&self, relative: &str) -> PathBuf {
        self.site.site_dir().join("secrets").join(relative)
    }

    /// Decides whether a pair is kept (both halves exist and no `--regenerate`); errors on
    /// half a pair, and when `--regenerate` would leave a copy in another file.
    fn keep_existing(
        &mut self,
        found: &FoundPair<'_>,
        schemas: [&str; 2],
        name: &str,
        targets: [&str; 2],
    ) -> Result<bool, SecretsError> {
        if found.is_empty() {
            return Ok(false);
        }
        if !self.options.regenerate {
            let Some((first, second)) = found.both() else {
                let (present, missing, file) = match found.first {
                    Some((file, _)) => (schemas[0], schemas[1], file),
                    None => match found.second {
                        Some((file, _)) => (schemas[1], schemas[0], file),
                        None => return Ok(false),
                    },
                };
                return Err(SecretsError::IncompletePair {
                    present: format!("{present}/{name}"),
                    missing: format!("{missing}/{name}"),
                    file: file.display(),
                });
            };
            for (file, value) in [first, second] {
                self.plan
                    .item(document::describe(value), file.display(), Action::Kept);
            }
            return Ok(true);
        }
        for (half, target) in [found.first, found.second].into_iter().zip(targets) {
            if let Some((file, value)) = half
                && file.source.path != self.target(target)
            {
                return Err(SecretsError::RegenerateConflict {
                    document: document::describe(value),
                    file: file.display(),
                    target: self.display(target),
                });
            }
        }
        Ok(false)
    }

    fn add(
        &mut self,
        relative: String,
        schema: &str,
        name: &str,
        data: String,
        regenerated: bool,
    ) -> Result<(), SecretsError> {
        let secret = kinds::is_secret_schema(schema);
        let described = format!("{schema}/{name}");
        let mut data = json!(data);
        if secret && let Some(recipients) = &self.options.recipients {
            data = envelope::encrypt_data(&data, recipients).map_err(|source| {
                SecretsError::Encrypt {
                    document: described.clone(),
                    file: self.display(&relative),
                    line: 1,
                    source,
                }
            })?;
        }
        let new_document = document::new_document(schema, name, secret, data);
        let action = if regenerated {
            Action::Regenerated
        } else {
            Action::Generated
        };
        self.plan.item(described, self.display(&relative), action);
        match self.files.iter_mut().find(|(path, _)| path == &relative) {
            Some((_, documents)) => documents.push(new_document),
            None => self.files.push((relative, vec![new_document])),
        }
        Ok(())
    }

    fn new_key(&self, document: &str) -> Result<KeyPair, SecretsError> {
        let generated = match self.options.key_algorithm {
            KeyAlgorithm::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256),
            KeyAlgorithm::Rsa2048 => {
                KeyPair::generate_rsa_for(&rcgen::PKCS_RSA_SHA256, rcgen::RsaKeySize::_2048)
            }
        };
        generated.map_err(|error| generate_error(document, &error))
    }

    fn base_params(&self, common_name: &str, days: u32) -> Result<CertificateParams, SecretsError> {
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, common_name);
        params.distinguished_name = name;
        params.not_before = self.options.now - Duration::minutes(5);
        params.not_after = self.options.now + Duration::days(i64::from(days));
        let mut serial = [0u8; 16];
        random::fill(&mut serial)?;
        serial[0] = (serial[0] & 0x7f) | 0x01;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        Ok(params)
    }

    fn authority(&mut self, authority: &AuthoritySpec) -> Result<(), SecretsError> {
        let ca_relative = ca_file(&authority.name);
        let schemas = [
            kinds::CERTIFICATE_AUTHORITY,
            kinds::CERTIFICATE_AUTHORITY_KEY,
        ];
        let found = find_pair(self.site, schemas[0], schemas[1], &authority.name);
        let regenerated = !found.is_empty();
        let mut signer: Option<Signer> = None;
        let needs_signing_later = |planner: &Self| {
            authority.certificates.iter().any(|certificate| {
                planner.options.regenerate
                    || planner
                        .site
                        .find(kinds::CERTIFICATE, &certificate.document_name)
                        .is_none()
            })
        };
        if self.keep_existing(
            &found,
            schemas,
            &authority.name,
            [&ca_relative, &ca_relative],
        )? {
            if needs_signing_later(self)
                && let Some((certificate, key)) = found.both()
            {
                signer = Some(self.existing_signer(authority, certificate, key)?);
            }
        } else {
            let described = format!("{}/{}", kinds::CERTIFICATE_AUTHORITY, authority.name);
            let key = self.new_key(&described)?;
            let mut params = self.base_params(&authority.name, self.options.ca_days)?;
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
            let certificate = params
                .self_signed(&key)
                .map_err(|error| generate_error(&described, &error))?;
            self.add(
                ca_relative.clone(),
                kinds::CERTIFICATE_AUTHORITY,
                &authority.name,
                certificate.pem(),
                regenerated,
            )?;
            self.add(
                ca_relative,
                kinds::CERTIFICATE_AUTHORITY_KEY,
                &authority.name,
                key.serialize_pem(),
                regenerated,
            )?;
            signer = Some(Signer {
                issuer: Issuer::new(params, key),
            });
        }
        for certificate in &authority.certificates {
            self.certificate(authority, certificate, signer.as_ref())?;
        }
        Ok(())
    }

    /// An existing CA's certificate and key, opened to sign new certificates.
    fn existing_signer(
        &self,
        authority: &AuthoritySpec,
        certificate: (&LoadedFile, &Value),
        key: (&LoadedFile, &Value),
    ) -> Result<Signer, SecretsError> {
        let described = format!("{}/{}", kinds::CERTIFICATE_AUTHORITY, authority.name);
        let certificate_pem = self.clear_string(certificate)?;
        let key_pem = self.clear_string(key)?;
        let key = KeyPair::from_pem(&key_pem).map_err(|error| SecretsError::Generate {
            document: described.clone(),
            reason: format!("cannot read the existing CA key ({error})"),
        })?;
        let issuer = Issuer::from_ca_cert_pem(&certificate_pem, key).map_err(|error| {
            SecretsError::Generate {
                document: described,
                reason: format!("cannot read the existing CA certificate ({error})"),
            }
        })?;
        Ok(Signer { issuer })
    }

    /// The clear string data of a document, decrypting it if needed.
    fn clear_string(&self, (file, value): (&LoadedFile, &Value)) -> Result<String, SecretsError> {
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        let line = file
            .documents
            .iter()
            .find(|loaded| &loaded.value == value)
            .map_or(1, |loaded| loaded.line);
        let data = if envelope::is_encrypted_data(&data) {
            let identities =
                self.options
                    .identities
                    .as_ref()
                    .ok_or_else(|| SecretsError::NoIdentity {
                        what: format!(
                            "signing new certificates with the existing {}",
                            document::describe(value)
                        ),
                    })?;
            crate::crypt::decrypt_document(file, line, value, &data, identities)?
        } else {
            data
        };
        data.as_str()
            .map(str::to_string)
            .ok_or_else(|| SecretsError::Generate {
                document: document::describe(value),
                reason: format!("{}: data must be a PEM string", file.display()),
            })
    }

    fn certificate(
        &mut self,
        authority: &AuthoritySpec,
        spec: &CertificateSpec,
        signer: Option<&Signer>,
    ) -> Result<(), SecretsError> {
        let certificate_relative = certificate_file(&authority.name, &spec.document_name);
        let key_relative = certificate_key_file(&authority.name, &spec.document_name);
        let schemas = [kinds::CERTIFICATE, kinds::CERTIFICATE_KEY];
        let found = find_pair(self.site, schemas[0], schemas[1], &spec.document_name);
        let regenerated = !found.is_empty();
        if self.keep_existing(
            &found,
            schemas,
            &spec.document_name,
            [&certificate_relative, &key_relative],
        )? {
            return Ok(());
        }
        let described = format!("{}/{}", kinds::CERTIFICATE, spec.document_name);
        let Some(signer) = signer else {
            return Err(SecretsError::Generate {
                document: described,
                reason: format!("certificate authority `{}` cannot sign", authority.name),
            });
        };
        let key = self.new_key(&described)?;
        let mut params = self.base_params(&spec.common_name, self.options.days)?;
        for (index, group) in spec.groups.iter().enumerate() {
            // rcgen keeps one value per attribute type; a second O uses the same OID
            // (2.5.4.10) spelled as a custom type, which encodes identically.
            let attribute = if index == 0 {
                DnType::OrganizationName
            } else {
                DnType::CustomDnType(vec![2, 5, 4, 10])
            };
            params.distinguished_name.push(attribute, group.as_str());
        }
        for name in subject_alt_names(spec) {
            let entry = match name.parse::<IpAddr>() {
                Ok(address) => SanType::IpAddress(address),
                Err(_) => SanType::DnsName(name.clone().try_into().map_err(|_| {
                    SecretsError::Generate {
                        document: described.clone(),
                        reason: format!(
                            "host `{name}` is neither an IP address nor an ASCII DNS name"
                        ),
                    }
                })?),
            };
            params.subject_alt_names.push(entry);
        }
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let certificate = params
            .signed_by(&key, &signer.issuer)
            .map_err(|error| generate_error(&described, &error))?;
        self.add(
            certificate_relative,
            kinds::CERTIFICATE,
            &spec.document_name,
            certificate.pem(),
            regenerated,
        )?;
        self.add(
            key_relative,
            kinds::CERTIFICATE_KEY,
            &spec.document_name,
            key.serialize_pem(),
            regenerated,
        )?;
        Ok(())
    }

    fn keypair(&mut self, spec: &KeypairSpec) -> Result<(), SecretsError> {
        let relative = keypair_file(&spec.name);
        let schemas = [kinds::PUBLIC_KEY, kinds::PRIVATE_KEY];
        let found = find_pair(self.site, schemas[0], schemas[1], &spec.name);
        let regenerated = !found.is_empty();
        if self.keep_existing(&found, schemas, &spec.name, [&relative, &relative])? {
            return Ok(());
        }
        let described = format!("{}/{}", kinds::PRIVATE_KEY, spec.name);
        let key = self.new_key(&described)?;
        self.add(
            relative.clone(),
            kinds::PUBLIC_KEY,
            &spec.name,
            key.public_key_pem(),
            regenerated,
        )?;
        self.add(
            relative,
            kinds::PRIVATE_KEY,
            &spec.name,
            key.serialize_pem(),
            regenerated,
        )?;
        Ok(())
    }
}

fn generate_error(document: &str, error: &rcgen::Error) -> SecretsError {
    SecretsError::Generate {
        document: document.to_string(),
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_expand_to_leading_parts() {
        let spec = CertificateSpec {
            document_name: "apiserver".into(),
            common_name: "apiserver".into(),
            hosts: vec!["localhost".into(), "10.96.0.1".into(), "kubernetes".into()],
            groups: vec![],
            kubernetes_service_names: vec!["kubernetes.default.svc".into()],
        };
        assert_eq!(
            subject_alt_names(&spec),
            [
                "localhost",
                "10.96.0.1",
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc"
            ]
        );
    }

    #[test]
    fn file_names_follow_pegleg() {
        assert_eq!(
            ca_file("kubernetes-etcd"),
            "certificate-authorities/kubernetes_etcd_ca.yaml"
        );
        assert_eq!(
            certificate_file("kubernetes", "apiserver-etcd"),
            "certificates/kubernetes_apiserver_etcd_certificate.yaml"
        );
        assert_eq!(certificate_key_file("k", "a"), "certificates/k_a_key.yaml");
        assert_eq!(
            keypair_file("service-account"),
            "keypairs/service_account.yaml"
        );
    }

    #[test]
    fn catalog_errors_are_explained() {
        let mut catalog = PkiCatalog::default();
        let bad = json!({"data": {"certificate_authorities": {"ca": {"certificates": [{"document_name": "x"}]}}}});
        let error = parse_catalog(&bad, &mut catalog).unwrap_err();
        assert_eq!(
            error,
            "certificate_authorities.ca.certificates[0]: common_name is required"
        );
        let groups = json!({"data": {"certificate_authorities": {"ca": {"certificates": [
            {"document_name": "x", "common_name": "x", "groups": ["a", "b", "c"]}]}}}});
        assert!(
            parse_catalog(&groups, &mut PkiCatalog::default())
                .unwrap_err()
                .contains("at most two groups")
        );
        let twice = json!({"data": {"certificate_authorities": {
            "a": {"certificates": [{"document_name": "x", "common_name": "x"}]},
            "b": {"certificates": [{"document_name": "x", "common_name": "y"}]}}}});
        assert!(
            parse_catalog(&twice, &mut PkiCatalog::default())
                .unwrap_err()
                .contains("used twice")
        );
    }
}
