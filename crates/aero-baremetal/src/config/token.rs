//! Per-node tokens: HMAC-SHA256 of the node and the pinned revision under the site's
//! token key.
//!
//! Derived, never stored: every worker computes the same token from the revision it was
//! given, so an unchanged node keeps a byte-identical config image within a revision (and
//! the artifact server can check a phone-home without a table of issued tokens), while a
//! new revision gives every node a new token. A purpose label separates tokens of
//! different uses, so the token that fetches a config image cannot post a phone-home.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::secret::Secret;

/// Hex digits kept of the HMAC: 128 bits, plenty against guessing over HTTP.
const TOKEN_HEX_DIGITS: usize = 32;

/// What a token authorises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Posting the node's phone-home (the token in its user-data).
    PhoneHome,
    /// Fetching the node's config image from the artifact server.
    ConfigImage,
}

impl TokenPurpose {
    fn label(self) -> &'static str {
        match self {
            TokenPurpose::PhoneHome => "phone-home",
            TokenPurpose::ConfigImage => "config-image",
        }
    }
}

/// A per-node token: 32 lower-case hex digits. A secret (it authorises a node's
/// phone-home), so it never prints.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NodeToken(Secret);

impl NodeToken {
    /// The token of `node` at `revision` for `purpose`, under the site's token key:
    /// the first 32 hex digits of HMAC-SHA256(key, "aerostat-node-token/v1" NUL purpose
    /// NUL node NUL revision).
    pub fn derive(key: &Secret, purpose: TokenPurpose, node: &str, revision: &str) -> NodeToken {
        // HMAC takes keys of any length: this cannot fail, whatever the key.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes())
            .expect("HMAC accepts keys of any length");
        for part in ["aerostat-node-token/v1", purpose.label(), node, revision] {
            mac.update(part.as_bytes());
            mac.update(&[0]);
        }
        let digest = mac.finalize().into_bytes();
        let mut hex = hex::encode(digest);
        hex.truncate(TOKEN_HEX_DIGITS);
        NodeToken(Secret::new(hex))
    }

    /// The token's text, for URLs.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// Whether `candidate` is this token, compared in constant time (for the server that
    /// checks a presented token).
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = self.expose().as_bytes();
        let candidate = candidate.as_bytes();
        if expected.len() != candidate.len() {
            return false;
        }
        expected
            .iter()
            .zip(candidate)
            .fold(0u8, |difference, (left, right)| difference | (left ^ right))
            == 0
    }
}

impl crate::model::HostModel {
    /// Every token of every node at `revision_id`, for every purpose: what a process that
    /// may see the nodes' URLs (a BMC's inserted media, the artifact server) registers
    /// with its redactor. Empty without a provisioning server (no tokens exist then).
    pub fn node_tokens(&self, revision_id: &str) -> Vec<NodeToken> {
        let Some(server) = self.provisioning_server() else {
            return Vec::new();
        };
        self.nodes()
            .iter()
            .flat_map(|node| {
                [TokenPurpose::ConfigImage, TokenPurpose::PhoneHome].map(|purpose| {
                    NodeToken::derive(&server.token_key, purpose, &node.name, revision_id)
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_node_revision_purpose_and_key_only() {
        let key = Secret::new("k".repeat(64));
        let token = NodeToken::derive(&key, TokenPurpose::PhoneHome, "lon1-wk01", "rev-a");
        assert_eq!(token.expose().len(), 32);
        assert!(token.expose().bytes().all(|byte| byte.is_ascii_hexdigit()));
        assert_eq!(
            token,
            NodeToken::derive(&key, TokenPurpose::PhoneHome, "lon1-wk01", "rev-a")
        );
        for other in [
            NodeToken::derive(&key, TokenPurpose::PhoneHome, "lon1-wk02", "rev-a"),
            NodeToken::derive(&key, TokenPurpose::PhoneHome, "lon1-wk01", "rev-b"),
            NodeToken::derive(&key, TokenPurpose::ConfigImage, "lon1-wk01", "rev-a"),
            NodeToken::derive(
                &Secret::new("j".repeat(64)),
                TokenPurpose::PhoneHome,
                "lon1-wk01",
                "rev-a",
            ),
            // The separators keep ("ab", "c") and ("a", "bc") apart.
            NodeToken::derive(&key, TokenPurpose::PhoneHome, "lon1-wk0", "1rev-a"),
        ] {
            assert_ne!(token, other);
        }
        assert!(token.matches(token.expose()));
        assert!(!token.matches(&token.expose()[1..]));
        assert!(!token.matches(&"0".repeat(32)));
        assert_eq!(format!("{token:?}"), "NodeToken(***)");
    }

    #[test]
    fn a_known_token_stays_the_same() {
        // Changing the derivation changes every URL a running site handed out.
        let key = Secret::new("0123456789abcdef0123456789abcdef");
        let token = NodeToken::derive(&key, TokenPurpose::PhoneHome, "node", "revision");
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.expose().as_bytes()).unwrap();
        mac.update(b"aerostat-node-token/v1\0phone-home\0node\0revision\0");
        let full = hex::encode(mac.finalize().into_bytes());
        assert_eq!(token.expose(), &full[..32]);
    }
}
