//! A node's NoCloud config: `user-data`, `meta-data` and `network-config`, the three files
//! of its config (cidata) image, rendered with tera from the host model.
//!
//! - `user-data` (`#cloud-config`): host name and FQDN, the Region's SSH keys and apt
//!   repositories, the provisioning server's CA, the platform's kernel parameters (a GRUB
//!   drop-in applied at the next boot), and `phone_home` to the provisioning server with
//!   the node's token in the URL (cloud-init posts a form to the URL as given).
//! - `meta-data`: the instance id (node and revision: a new revision is a new instance
//!   for cloud-init, so per-instance modules run again) and the local host name.
//! - `network-config`: netplan version 2 (see [`network`] for the mapping).
//!
//! The templates only lay text out: every decision is made in Rust, in the views they
//! are given, and every scalar passes the `yaml` filter, which quotes whatever a YAML
//! reader could take for something else.

mod network;
#[cfg(test)]
mod tests;
mod token;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use aero_redact::SharedRedactor;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::ConfigError;
use crate::model::{HostModel, Node, OsImage, ProvisioningServer, RepositoryKind};

pub use token::{NodeToken, TokenPurpose};

/// One file of a node's config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigPart {
    /// `user-data`.
    UserData,
    /// `meta-data`.
    MetaData,
    /// `network-config`.
    NetworkConfig,
}

impl ConfigPart {
    /// The three, in the order they are listed.
    pub const ALL: [ConfigPart; 3] = [
        ConfigPart::UserData,
        ConfigPart::MetaData,
        ConfigPart::NetworkConfig,
    ];

    /// Its file name in the image.
    pub fn file_name(self) -> &'static str {
        match self {
            ConfigPart::UserData => "user-data",
            ConfigPart::MetaData => "meta-data",
            ConfigPart::NetworkConfig => "network-config",
        }
    }
}

impl fmt::Display for ConfigPart {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.file_name())
    }
}

impl FromStr for ConfigPart {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        ConfigPart::ALL
            .into_iter()
            .find(|part| part.file_name() == text)
            .ok_or_else(|| {
                format!("`{text}` is not a config part (user-data, meta-data, network-config)")
            })
    }
}

/// A node's rendered config. Its `user-data` holds the node's phone-home token (a
/// secret): show it through [`NodeConfig::redacted`].
#[derive(Clone)]
pub struct NodeConfig {
    node: String,
    instance_id: String,
    token: NodeToken,
    user_data: String,
    meta_data: String,
    network_config: String,
}

impl fmt::Debug for NodeConfig {
    /// Names the node only: the files hold its token.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "NodeConfig({}, {})", self.node, self.instance_id)
    }
}

impl NodeConfig {
    /// Renders the config of `node` of `model` for the pinned revision `revision_id`.
    pub fn render(
        model: &HostModel,
        node: &Node,
        revision_id: &str,
    ) -> Result<NodeConfig, ConfigError> {
        if revision_id.is_empty() {
            return Err(ConfigError::NoRevision);
        }
        let server = model
            .provisioning_server()
            .ok_or(ConfigError::NoProvisioningServer)?;
        let token = NodeToken::derive(
            &server.token_key,
            TokenPurpose::PhoneHome,
            &node.name,
            revision_id,
        );
        let instance_id = instance_id(&node.name, revision_id);
        let templates = templates()?;
        let user_data = render(
            &templates,
            ConfigPart::UserData,
            &user_data_view(model, node, server, &token, revision_id),
        )?;
        let meta_data = render(
            &templates,
            ConfigPart::MetaData,
            &MetaDataView {
                instance_id: &instance_id,
                hostname: &node.name,
            },
        )?;
        let network_config = render(
            &templates,
            ConfigPart::NetworkConfig,
            &NetworkConfigView {
                node: &node.name,
                network: network::network_view(node),
            },
        )?;
        Ok(NodeConfig {
            node: node.name.clone(),
            instance_id,
            token,
            user_data,
            meta_data,
            network_config,
        })
    }

    /// The node's name.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The instance id in `meta-data`.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// The phone-home token in `user-data`.
    pub fn phone_home_token(&self) -> &NodeToken {
        &self.token
    }

    /// One file's text, secrets included.
    pub fn part(&self, part: ConfigPart) -> &str {
        match part {
            ConfigPart::UserData => &self.user_data,
            ConfigPart::MetaData => &self.meta_data,
            ConfigPart::NetworkConfig => &self.network_config,
        }
    }

    /// The files as they may be shown: the token, and every secret the redactor knows
    /// (the site's, registered when it was rendered), replaced by keyed tokens. The
    /// token is registered with the redactor, so later output of the run hides it too.
    pub fn redacted(&self, redactor: &SharedRedactor) -> RedactedConfig {
        redactor.add_secret(self.token.expose());
        RedactedConfig {
            parts: ConfigPart::ALL.map(|part| redactor.scrub(self.part(part))),
        }
    }
}

/// A node's config with its secrets redacted: for display only (it cannot make an image).
#[derive(Debug, Clone)]
pub struct RedactedConfig {
    parts: [String; 3],
}

impl RedactedConfig {
    /// One file's redacted text.
    pub fn part(&self, part: ConfigPart) -> &str {
        let index = ConfigPart::ALL
            .iter()
            .position(|candidate| *candidate == part)
            .unwrap_or(0);
        &self.parts[index]
    }
}

impl ProvisioningServer {
    /// Where `node` posts its phone-home: `<public_url>/phone-home/<node>/<token>`.
    pub fn phone_home_url(&self, node: &str, token: &NodeToken) -> String {
        format!(
            "{}/phone-home/{}/{}",
            self.public_url,
            path_segment(node),
            token.expose()
        )
    }

    /// Where a BMC or installer fetches `node`'s config image:
    /// `<public_url>/config-images/<node>/<token>/cidata.iso`, with a
    /// [`TokenPurpose::ConfigImage`] token.
    pub fn config_image_url(&self, node: &str, token: &NodeToken) -> String {
        format!(
            "{}/config-images/{}/{}/cidata.iso",
            self.public_url,
            path_segment(node),
            token.expose()
        )
    }
}

/// Where a BMC fetches the OS image `image` from the artifact server:
/// `<public_url>/os-images/<image name>/<sha256>.iso`.
///
/// The digest is part of the path so that a changed image document gives a new URL (a BMC
/// or proxy never serves a cached old image under it), and so that the server knows which
/// bytes it must verify before serving them.
pub fn os_image_url(server: &ProvisioningServer, image: &OsImage) -> String {
    format!(
        "{}/os-images/{}/{}.iso",
        server.public_url,
        path_segment(&image.name),
        image.sha256.hex()
    )
}

/// `node` as one URL path segment: unreserved characters as they are, the rest
/// percent-encoded.
fn path_segment(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `<node>-<16 hex digits of SHA-256(node NUL revision)>`: stable within a revision, new
/// with every revision, and short enough for logs.
fn instance_id(node: &str, revision_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(node.as_bytes())
        .chain_update([0])
        .chain_update(revision_id.as_bytes())
        .finalize();
    let hex = hex::encode(&digest[..8]);
    format!("{node}-{hex}")
}

const TEMPLATES: [(&str, &str); 4] = [
    ("macros", include_str!("templates/macros.tera")),
    ("user-data", include_str!("templates/user-data.tera")),
    ("meta-data", include_str!("templates/meta-data.tera")),
    (
        "network-config",
        include_str!("templates/network-config.tera"),
    ),
];

/// The templates, parsed, with the `yaml` filter and no HTML escaping.
fn templates() -> Result<tera::Tera, ConfigError> {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(Vec::new());
    tera.register_filter("yaml", yaml_filter);
    tera.register_filter("comment", comment_filter);
    tera.add_raw_templates(TEMPLATES)
        .map_err(|error| template_error("templates", &error))?;
    Ok(tera)
}

fn render(
    templates: &tera::Tera,
    part: ConfigPart,
    view: &impl Serialize,
) -> Result<String, ConfigError> {
    let context = tera::Context::from_serialize(view)
        .map_err(|error| template_error(part.file_name(), &error))?;
    let mut text = templates
        .render(part.file_name(), &context)
        .map_err(|error| template_error(part.file_name(), &error))?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

fn template_error(part: &'static str, error: &tera::Error) -> ConfigError {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    ConfigError::Template { part, message }
}

/// The `yaml` filter: a scalar as YAML text. Strings stay plain when no YAML reader
/// (1.1 or 1.2) could take them for anything but that string, else they are written as
/// JSON strings, which are valid YAML double-quoted scalars.
fn yaml_filter(
    value: &tera::Value,
    _arguments: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    Ok(tera::Value::String(match value {
        tera::Value::String(text) => yaml_string(text),
        tera::Value::Null => "null".to_string(),
        other => other.to_string(),
    }))
}

/// The `comment` filter: text inside a `#` comment, control characters (line breaks
/// above all, which would end the comment) replaced by `?`.
fn comment_filter(
    value: &tera::Value,
    _arguments: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let text = match value {
        tera::Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    Ok(tera::Value::String(
        text.chars()
            .map(|character| {
                if character.is_control() {
                    '?'
                } else {
                    character
                }
            })
            .collect(),
    ))
}

fn yaml_string(text: &str) -> String {
    const WORDS: &[&str] = &[
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
    ];
    let plain = text
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '/')
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "_-./".contains(character))
        && !WORDS.contains(&text.to_ascii_lowercase().as_str());
    if plain {
        text.to_string()
    } else {
        serde_json::Value::String(text.to_string()).to_string()
    }
}

#[derive(Serialize)]
struct MetaDataView<'a> {
    instance_id: &'a str,
    hostname: &'a str,
}

#[derive(Serialize)]
struct NetworkConfigView<'a> {
    node: &'a str,
    #[serde(flatten)]
    network: network::NetworkView,
}

#[derive(Serialize)]
struct UserDataView {
    hostname: String,
    fqdn: Option<String>,
    revision: String,
    authorized_keys: Vec<String>,
    ca_certificates: Vec<String>,
    apt: Option<AptView>,
    write_files: Vec<FileView>,
    runcmd: Vec<Vec<String>>,
    phone_home_url: String,
}

#[derive(Serialize)]
struct AptView {
    preserve_sources_list: bool,
    sources_list: Option<String>,
    sources: Vec<AptSourceView>,
}

#[derive(Serialize)]
struct AptSourceView {
    id: String,
    line: String,
    filename: String,
    key: Option<String>,
}

#[derive(Serialize)]
struct FileView {
    path: &'static str,
    permissions: &'static str,
    content: String,
}

/// Where the platform's kernel parameters go: a GRUB drop-in read by `update-grub`.
const GRUB_DROP_IN: &str = "/etc/default/grub.d/90-aerostat-kernel-params.cfg";

fn user_data_view(
    model: &HostModel,
    node: &Node,
    server: &ProvisioningServer,
    token: &NodeToken,
    revision_id: &str,
) -> UserDataView {
    let mut write_files = Vec::new();
    let mut runcmd = Vec::new();
    if !node.platform.kernel_params.is_empty() {
        let params: Vec<String> = node
            .platform
            .kernel_params
            .iter()
            .map(|param| grub_quote(param))
            .collect();
        write_files.push(FileView {
            path: GRUB_DROP_IN,
            permissions: "0644",
            content: format!(
                "# Kernel parameters of host profile {} (platform.kernel_params), from Aerostat.\nGRUB_CMDLINE_LINUX_DEFAULT=\"${{GRUB_CMDLINE_LINUX_DEFAULT}} {}\"\n",
                node.host_profiles.first().map(String::as_str).unwrap_or("-"),
                params.join(" ")
            ),
        });
        // Applied at the next boot; images without GRUB (a live ISO) skip it.
        runcmd.push(vec![
            "sh".to_string(),
            "-c".to_string(),
            "if command -v update-grub >/dev/null 2>&1; then update-grub; fi".to_string(),
        ]);
    }
    UserDataView {
        hostname: node.name.clone(),
        fqdn: node.fqdn(),
        revision: revision_id.to_string(),
        authorized_keys: model
            .region()
            .map(|region| region.authorized_keys.clone())
            .unwrap_or_default(),
        ca_certificates: server
            .tls
            .as_ref()
            .and_then(|tls| tls.ca.clone())
            .into_iter()
            .collect(),
        apt: model.region().and_then(apt_view),
        write_files,
        runcmd,
        phone_home_url: server.phone_home_url(&node.name, token),
    }
}

/// A kernel parameter inside the double quotes of a shell-sourced GRUB file.
fn grub_quote(param: &str) -> String {
    let mut out = String::new();
    for character in param.chars() {
        if matches!(character, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(character);
    }
    out
}

/// The Region's apt repositories as cloud-init `apt` settings: one sources entry per
/// repository and distribution, in `aerostat-<repository>.list`. With
/// `remove_unlisted`, the distribution's own `sources.list` is replaced by a comment,
/// so only the listed repositories remain.
fn apt_view(region: &crate::model::Region) -> Option<AptView> {
    let mut sources = Vec::new();
    for repository in &region.repositories {
        if repository.kind != RepositoryKind::Apt {
            continue;
        }
        let options = if repository.arches.is_empty() {
            String::new()
        } else {
            format!("[arch={}] ", repository.arches.join(","))
        };
        let distributions = if repository.distributions.is_empty() {
            vec!["$RELEASE".to_string()]
        } else {
            repository.distributions.clone()
        };
        for distribution in distributions {
            let mut line = format!("deb {options}{} {distribution}", repository.url);
            for component in &repository.components {
                line.push(' ');
                line.push_str(component);
            }
            sources.push(AptSourceView {
                id: format!("{}-{distribution}", repository.name),
                line,
                filename: format!("aerostat-{}.list", repository.name),
                key: repository.gpgkey.clone(),
            });
        }
    }
    if sources.is_empty() && !region.remove_unlisted {
        return None;
    }
    Some(AptView {
        preserve_sources_list: !region.remove_unlisted,
        sources_list: region.remove_unlisted.then(|| {
            format!(
                "# Only the repositories of region {} (sources.list.d/aerostat-*.list).\n",
                region.name
            )
        }),
        sources,
    })
}
