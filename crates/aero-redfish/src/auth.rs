//! Credentials and authentication state.
//!
//! Session login (`POST SessionService/Sessions`, then `X-Auth-Token`) is preferred; when the
//! BMC has no session service or refuses the login with an access error, the client falls back
//! to HTTP Basic ([`AuthMode::Auto`]). A 401 on a session re-authenticates once; a 401 with
//! Basic is final. The session is deleted on [`crate::client::BmcClient::close`].
//!
//! Secrets never reach logs, errors or `Debug` output: [`Secret`] prints `***`.

use std::str::FromStr;

use base64::Engine as _;
use base64::prelude::BASE64_STANDARD;
use reqwest::header::{AUTHORIZATION, HeaderMap};

use crate::transport::{X_AUTH_TOKEN, sensitive_header};

/// A secret string (password, session token). `Debug` prints `***`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value, for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("***")
    }
}

/// A BMC user name and password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: Secret,
}

impl Credentials {
    /// Credentials from a user name and password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: Secret::new(password),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

/// How the client authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Session login, falling back to Basic when sessions are unavailable (default).
    #[default]
    Auto,
    /// Session login only.
    Session,
    /// HTTP Basic only.
    Basic,
}

impl FromStr for AuthMode {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value.to_ascii_lowercase().as_str() {
            "auto" => Ok(AuthMode::Auto),
            "session" => Ok(AuthMode::Session),
            "basic" => Ok(AuthMode::Basic),
            other => Err(format!(
                "unknown auth mode {other:?}; expected auto, session or basic"
            )),
        }
    }
}

/// The authentication in use on a client.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum AuthState {
    /// Not logged in yet.
    None,
    /// HTTP Basic with the configured credentials.
    Basic,
    /// A Redfish session.
    Session {
        token: Secret,
        /// The session resource, deleted on close.
        location: Option<String>,
    },
}

impl std::fmt::Debug for AuthState {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthState::None => formatter.write_str("None"),
            AuthState::Basic => formatter.write_str("Basic"),
            AuthState::Session { location, .. } => formatter
                .debug_struct("Session")
                .field("token", &"***")
                .field("location", location)
                .finish(),
        }
    }
}

/// Which kind of authentication a request used, for the 401 rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    None,
    Basic,
    Session,
}

impl AuthState {
    pub fn kind(&self) -> AuthKind {
        match self {
            AuthState::None => AuthKind::None,
            AuthState::Basic => AuthKind::Basic,
            AuthState::Session { .. } => AuthKind::Session,
        }
    }

    /// Adds the authentication headers of this state to `headers`.
    pub fn apply(&self, credentials: &Credentials, headers: &mut HeaderMap) {
        match self {
            AuthState::None => {}
            AuthState::Basic => {
                let value = basic_authorization(credentials);
                if let Some(header) = sensitive_header(&value) {
                    headers.insert(AUTHORIZATION, header);
                }
            }
            AuthState::Session { token, .. } => {
                if let Some(header) = sensitive_header(token.expose()) {
                    headers.insert(X_AUTH_TOKEN, header);
                }
            }
        }
    }
}

/// The `Authorization: Basic …` value.
fn basic_authorization(credentials: &Credentials) -> String {
    let plain = format!("{}:{}", credentials.username, credentials.password.expose());
    format!("Basic {}", BASE64_STANDARD.encode(plain.as_bytes()))
}

/// The body of a session login.
pub(crate) fn session_request_body(credentials: &Credentials) -> serde_json::Value {
    serde_json::json!({
        "UserName": credentials.username,
        "Password": credentials.password.expose(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let credentials = Credentials::new("admin", "hunter2");
        let text = format!("{credentials:?}");
        assert_eq!(text, r#"Credentials { username: "admin", password: *** }"#);
        let state = AuthState::Session {
            token: Secret::new("tok-123"),
            location: Some("/redfish/v1/SessionService/Sessions/1".to_string()),
        };
        let text = format!("{state:?}");
        assert!(!text.contains("tok-123"), "{text}");
    }

    #[test]
    fn headers_are_sensitive() {
        let credentials = Credentials::new("admin", "secret");
        let mut headers = HeaderMap::new();
        AuthState::Basic.apply(&credentials, &mut headers);
        let value = headers.get(AUTHORIZATION).expect("authorization");
        assert!(value.is_sensitive());
        assert_eq!(value.to_str().unwrap(), "Basic YWRtaW46c2VjcmV0");
        assert!(!format!("{headers:?}").contains("YWRtaW46c2VjcmV0"));
    }

    #[test]
    fn auth_mode_parses() {
        assert_eq!("Session".parse::<AuthMode>(), Ok(AuthMode::Session));
        assert!("kerberos".parse::<AuthMode>().is_err());
    }
}
