//! The SSH host keys a freshly installed node has, as cloud-init reads them from
//! `/etc/ssh/ssh_host_*_key.pub` to phone home: new keys at every simulated install (a
//! reinstalled machine has new host keys), Ed25519 and ECDSA P-256, in OpenSSH's public
//! key format. No RSA key: the simulator sends `N/A` for `pub_key_rsa`, as cloud-init
//! does on an image configured without one.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The public host keys of one simulated install, as the `.pub` files hold them.
#[derive(Debug, Clone)]
pub(crate) struct HostKeys {
    pub(crate) ed25519: Option<String>,
    pub(crate) ecdsa: Option<String>,
}

impl HostKeys {
    /// New keys, the comment `root@<hostname>` as `ssh-keygen -A` writes it.
    pub(crate) fn generate(hostname: &str) -> HostKeys {
        let ed25519 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)
            .ok()
            .map(|key| ed25519_line(key.public_key_raw(), hostname));
        let ecdsa = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .ok()
            .map(|key| ecdsa_line(key.public_key_raw(), hostname));
        HostKeys { ed25519, ecdsa }
    }

    /// The value cloud-init would post for `key`, if the node has it.
    pub(crate) fn get(&self, key: &str) -> Option<String> {
        match key {
            "pub_key_ed25519" => self.ed25519.clone(),
            "pub_key_ecdsa" => self.ecdsa.clone(),
            _ => None,
        }
    }
}

/// An SSH wire-format string: its length (u32, big-endian), then its bytes.
fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let length = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `ssh-ed25519 <base64> root@host\n` of a raw 32-byte public key.
fn ed25519_line(public: &[u8], hostname: &str) -> String {
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ssh-ed25519");
    ssh_string(&mut blob, public);
    format!("ssh-ed25519 {} root@{hostname}\n", STANDARD.encode(blob))
}

/// `ecdsa-sha2-nistp256 <base64> root@host\n` of an uncompressed P-256 point.
fn ecdsa_line(public: &[u8], hostname: &str) -> String {
    let mut blob = Vec::new();
    ssh_string(&mut blob, b"ecdsa-sha2-nistp256");
    ssh_string(&mut blob, b"nistp256");
    ssh_string(&mut blob, public);
    format!(
        "ecdsa-sha2-nistp256 {} root@{hostname}\n",
        STANDARD.encode(blob)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_openssh_public_keys() {
        let keys = HostKeys::generate("lon1-wk01");
        let ed25519 = keys.get("pub_key_ed25519").unwrap();
        let (kind, rest) = ed25519.split_once(' ').unwrap();
        assert_eq!(kind, "ssh-ed25519");
        let (blob, comment) = rest.split_once(' ').unwrap();
        assert_eq!(comment, "root@lon1-wk01\n");
        let blob = STANDARD.decode(blob).unwrap();
        // string "ssh-ed25519" (4 + 11) then string key (4 + 32).
        assert_eq!(blob.len(), 4 + 11 + 4 + 32);
        assert_eq!(&blob[4..15], b"ssh-ed25519");
        let ecdsa = keys.get("pub_key_ecdsa").unwrap();
        assert!(
            ecdsa.starts_with("ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY"),
            "{ecdsa}"
        );
        let blob = STANDARD.decode(ecdsa.split(' ').nth(1).unwrap()).unwrap();
        assert_eq!(blob.len(), 4 + 19 + 4 + 8 + 4 + 65);
        assert_eq!(keys.get("pub_key_rsa"), None);
        assert_ne!(
            HostKeys::generate("lon1-wk01").ed25519,
            keys.ed25519,
            "new keys per install"
        );
    }
}
