//! The BMC client: one per BMC. It owns the transport, the authentication state, the ETags of
//! the last GETs and the resolved quirks, and sends every request through one path
//! (`BmcClient::execute`) that applies authentication, the retry policy and the operation
//! deadline.
//!
//! Flow of a request: add headers (`OData-Version`, `Accept`, `Accept-Encoding: identity`,
//! `Content-Type` with a body, `If-Match` when given, auth) → send with a timeout bounded by
//! the deadline → on 401 with a session, log in again once and resend → on 406 to a GET,
//! resend without `Accept-Encoding` → on other failures ask [`crate::retry::error_policy`]
//! and either wait (backoff, at least `Retry-After`, never past the deadline) or give up.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use reqwest::header::{
    ACCEPT, ACCEPT_ENCODING, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, IF_MATCH,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::{AuthKind, AuthMode, AuthState, Credentials, session_request_body};
use crate::config::{BmcConfig, Timing};
use crate::discovery::ServiceMap;
use crate::error::{Answer, GaveUp, RedfishError, RequestFailure, TransportFailureKind};
use crate::model::{ServiceRoot, error_summary};
use crate::quirks::{BmcIdentity, QuirkTable, Quirks};
use crate::retry::{
    AttemptFailure, Backoff, RetryDecision, RetryPolicy, error_policy, parse_retry_after,
};
use crate::transport::{OutgoingRequest, RawResponse, Transport, TransportFailure};

/// The point in time an operation must finish by.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    total: Duration,
}

impl Deadline {
    /// A deadline `total` from now.
    pub fn after(total: Duration) -> Self {
        Deadline {
            at: Instant::now() + total,
            total,
        }
    }

    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub fn total(&self) -> Duration {
        self.total
    }

    pub fn elapsed(&self) -> Duration {
        self.total.saturating_sub(self.remaining())
    }
}

/// A resource read with GET, with the headers the client cares about.
#[derive(Debug, Clone)]
pub(crate) struct Resource<T> {
    pub path: String,
    pub value: T,
    pub raw: Value,
    /// `Allow` header, when sent.
    pub allow: Option<String>,
}

impl<T> Resource<T> {
    /// Whether the `Allow` header lists `method`; `None` when there is no `Allow` header.
    pub fn allows(&self, method: &str) -> Option<bool> {
        self.allow.as_ref().map(|allow| {
            allow
                .split(',')
                .any(|listed| listed.trim().eq_ignore_ascii_case(method))
        })
    }
}

const ODATA_VERSION: HeaderName = HeaderName::from_static("odata-version");

struct ClientInner {
    transport: Transport,
    credentials: Credentials,
    auth_mode: AuthMode,
    timing: Timing,
    retry: RetryPolicy,
    quirk_table: QuirkTable,
    quirks: RwLock<Arc<Quirks>>,
    auth: tokio::sync::Mutex<AuthState>,
    etags: Mutex<HashMap<String, String>>,
    service: OnceLock<ServiceMap>,
}

/// A connection to one BMC. Cheap to clone (shared state).
#[derive(Clone)]
pub struct BmcClient {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for BmcClient {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("BmcClient")
            .field("bmc", &self.inner.transport.display())
            .field("username", &self.inner.credentials.username)
            .finish_non_exhaustive()
    }
}

impl BmcClient {
    /// Connects: reads the service root, resolves early quirks from its vendor and logs in
    /// (session, or Basic as configured and available).
    pub async fn connect(config: BmcConfig) -> Result<Self, RedfishError> {
        let transport =
            Transport::new(&config.endpoint, &config.tls, config.timing.connect_timeout)?;
        let deadline = Deadline::after(config.timing.operation_deadline);
        let client = BmcClient {
            inner: Arc::new(ClientInner {
                transport,
                credentials: config.credentials,
                auth_mode: config.auth,
                timing: config.timing,
                retry: config.retry,
                quirk_table: config.quirks,
                quirks: RwLock::new(Arc::new(Quirks::default())),
                auth: tokio::sync::Mutex::new(AuthState::None),
                etags: Mutex::new(HashMap::new()),
                service: OnceLock::new(),
            }),
        };
        // The service root needs no authentication (Redfish spec, and every BMC seen).
        let root_response = client
            .execute(Method::GET, "/redfish/v1/", None, None, &deadline)
            .await
            .map_err(|failure| RedfishError::ReadServiceRoot {
                failure: Box::new(failure),
            })?;
        let root: ServiceRoot = decode(
            &root_response.body,
            "service root",
            client.bmc(),
            "/redfish/v1/",
        )?;
        let vendor = root
            .vendor
            .clone()
            .or_else(|| root.oem.as_ref().and_then(|oem| oem.keys().next().cloned()));
        let early_quirks = client.inner.quirk_table.resolve(&BmcIdentity {
            manufacturer: vendor,
            model: None,
            firmware: None,
        });
        let service = ServiceMap::from_root(root, &early_quirks);
        // Set once, here, before the client is handed out.
        let _ = client.inner.service.set(service);
        client.set_quirks(early_quirks);
        client.login(&deadline).await?;
        Ok(client)
    }

    /// Base URL of the BMC, for messages.
    pub fn bmc(&self) -> &str {
        self.inner.transport.display()
    }

    /// What discovery found at the service root.
    pub fn service(&self) -> &ServiceMap {
        static UNDISCOVERED: LazyLock<ServiceMap> = LazyLock::new(ServiceMap::default);
        self.inner.service.get().unwrap_or(&UNDISCOVERED)
    }

    /// Timing settings.
    pub fn timing(&self) -> &Timing {
        &self.inner.timing
    }

    /// The quirk table of this client.
    pub fn quirk_table(&self) -> &QuirkTable {
        &self.inner.quirk_table
    }

    /// The quirks in effect.
    pub fn quirks(&self) -> Arc<Quirks> {
        match self.inner.quirks.read() {
            Ok(quirks) => quirks.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Replaces the quirks in effect (after the system's identity is known).
    pub(crate) fn set_quirks(&self, quirks: Quirks) {
        self.inner
            .transport
            .set_close_connections(quirks.connection_close);
        let shared = Arc::new(quirks);
        match self.inner.quirks.write() {
            Ok(mut guard) => *guard = shared,
            Err(poisoned) => *poisoned.into_inner() = shared,
        }
    }

    /// Whether the client is logged in with a session (rather than Basic).
    pub async fn uses_session(&self) -> bool {
        self.inner.auth.lock().await.kind() == AuthKind::Session
    }

    /// Logs out: deletes the session, if any. Safe to call more than once.
    pub async fn close(&self) -> Result<(), RedfishError> {
        let location = {
            let mut auth = self.inner.auth.lock().await;
            match &*auth {
                AuthState::Session { location, .. } => location.clone(),
                _ => {
                    *auth = AuthState::None;
                    return Ok(());
                }
            }
        };
        let deadline = Deadline::after(self.inner.timing.request_timeout);
        let result = match &location {
            Some(location) => self
                .execute(Method::DELETE, location, None, None, &deadline)
                .await
                .map(|_| ()),
            None => Ok(()),
        };
        *self.inner.auth.lock().await = AuthState::None;
        result.map_err(|failure| RedfishError::Login {
            failure: Box::new(failure),
            hint: "; deleting the session failed, it will expire on the BMC".to_string(),
        })
    }

    async fn login(&self, deadline: &Deadline) -> Result<(), RedfishError> {
        match self.inner.auth_mode {
            AuthMode::Basic => {
                *self.inner.auth.lock().await = AuthState::Basic;
                Ok(())
            }
            AuthMode::Auto | AuthMode::Session => match self.create_session(deadline).await {
                Ok(state) => {
                    *self.inner.auth.lock().await = state;
                    Ok(())
                }
                Err(SessionError::Unavailable(reason))
                    if self.inner.auth_mode == AuthMode::Auto =>
                {
                    tracing::debug!(bmc = self.bmc(), reason = %reason, "session login unavailable, using Basic authentication");
                    *self.inner.auth.lock().await = AuthState::Basic;
                    Ok(())
                }
                Err(SessionError::Unavailable(reason)) => Err(RedfishError::MissingLink {
                    bmc: self.bmc().to_string(),
                    resource: "/redfish/v1/".to_string(),
                    link: "usable session service".to_string(),
                    hint: format!("{reason}; use Basic or auto authentication"),
                }),
                Err(SessionError::Refused(failure)) if self.inner.auth_mode == AuthMode::Auto => {
                    tracing::debug!(bmc = self.bmc(), error = %failure, "session login refused, falling back to Basic authentication");
                    *self.inner.auth.lock().await = AuthState::Basic;
                    Ok(())
                }
                Err(SessionError::Refused(failure)) | Err(SessionError::Failed(failure)) => {
                    Err(RedfishError::Login {
                        failure: Box::new(failure),
                        hint: String::new(),
                    })
                }
            },
        }
    }

    /// `POST Sessions` with the credentials; the answer's `X-Auth-Token` and `Location`.
    async fn create_session(&self, deadline: &Deadline) -> Result<AuthState, SessionError> {
        let Some(sessions) = self.service().sessions.clone() else {
            return Err(SessionError::Unavailable(
                "the service root links no session service".to_string(),
            ));
        };
        let body = session_request_body(&self.inner.credentials);
        let response = self
            .send_with_retries(
                RequestSpec {
                    method: Method::POST,
                    path: &sessions,
                    body: Some(&body),
                    if_match: None,
                    auth: AuthUse::Anonymous,
                    retry_server_errors: true,
                },
                deadline,
            )
            .await
            .map_err(|failure| match failure.status() {
                Some(_) => SessionError::Refused(failure),
                None => SessionError::Failed(failure),
            })?;
        let token = response.header("x-auth-token").map(str::to_string);
        let Some(token) = token.filter(|token| !token.is_empty()) else {
            return Err(SessionError::Unavailable(
                "the session login answer has no X-Auth-Token".to_string(),
            ));
        };
        let location = response
            .header("location")
            .map(str::to_string)
            .or_else(|| {
                serde_json::from_slice::<Value>(&response.body)
                    .ok()
                    .and_then(|body| body.get("@odata.id")?.as_str().map(str::to_string))
            })
            .map(|location| self.path_of(&location));
        tracing::debug!(bmc = self.bmc(), session = ?location, "logged in with a session");
        Ok(AuthState::Session {
            token: crate::auth::Secret::new(token),
            location,
        })
    }

    /// The path part of a same-BMC absolute URL, or the input when it is a path.
    pub(crate) fn path_of(&self, location: &str) -> String {
        if location.starts_with('/') {
            return location.to_string();
        }
        match self.inner.transport.url_for(location) {
            Ok(url) => {
                let mut path = url.path().to_string();
                if let Some(query) = url.query() {
                    path.push('?');
                    path.push_str(query);
                }
                path
            }
            Err(_) => location.to_string(),
        }
    }

    /// Sends a request with authentication, retries and the deadline.
    pub(crate) async fn execute(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        if_match: Option<&str>,
        deadline: &Deadline,
    ) -> Result<RawResponse, RequestFailure> {
        self.send_authenticated(
            RequestSpec {
                method,
                path,
                body,
                if_match,
                auth: AuthUse::Current,
                retry_server_errors: true,
            },
            deadline,
        )
        .await
    }

    /// Sends with the current authentication; after a 401 on a session, logs in again once
    /// and resends (never for Basic, whose 401 is final).
    async fn send_authenticated(
        &self,
        spec: RequestSpec<'_>,
        deadline: &Deadline,
    ) -> Result<RawResponse, RequestFailure> {
        let used_session = self.inner.auth.lock().await.kind() == AuthKind::Session;
        let result = self.send_with_retries(spec.clone_spec(), deadline).await;
        match result {
            Err(failure) if used_session && failure.status() == Some(401) => {
                tracing::info!(bmc = self.bmc(), error = %failure, "session expired or revoked, logging in again");
                self.relogin(deadline).await?;
                self.send_with_retries(spec, deadline).await
            }
            other => other,
        }
    }

    async fn send_with_retries(
        &self,
        spec: RequestSpec<'_>,
        deadline: &Deadline,
    ) -> Result<RawResponse, RequestFailure> {
        let RequestSpec {
            method,
            path,
            body,
            if_match,
            auth: auth_use,
            retry_server_errors,
        } = spec;
        let mut backoff = self.inner.retry.backoff();
        let mut attempts: u32 = 0;
        let mut identity_encoding = true;
        let body_bytes = body.map(|value| serde_json::to_vec(value).unwrap_or_default());
        loop {
            let timeout = self.inner.timing.request_timeout.min(deadline.remaining());
            if timeout.is_zero() {
                return Err(self.failure(
                    &method,
                    path,
                    Answer::Transport {
                        kind: TransportFailureKind::Timeout,
                        detail: "no time left to send the request".to_string(),
                    },
                    attempts,
                    GaveUp::DeadlineReached(deadline.total()),
                ));
            }
            attempts += 1;
            let mut headers = base_headers(body.is_some(), identity_encoding);
            if let Some(etag) = if_match
                && let Ok(value) = HeaderValue::from_str(etag)
            {
                headers.insert(IF_MATCH, value);
            }
            if auth_use == AuthUse::Current {
                let auth = self.inner.auth.lock().await;
                auth.apply(&self.inner.credentials, &mut headers);
            }
            let request = OutgoingRequest {
                method: method.clone(),
                path: path.to_string(),
                headers,
                body: body_bytes.clone(),
            };
            tracing::debug!(bmc = self.bmc(), method = %method, path, attempt = attempts, "redfish request");
            let result = self.inner.transport.send(request, timeout).await;
            let (answer, retry_decision) = match result {
                Ok(response) if response.is_success() || (300..400).contains(&response.status) => {
                    return Ok(response);
                }
                Ok(response)
                    if response.status == 406 && method == Method::GET && identity_encoding =>
                {
                    identity_encoding = false;
                    attempts -= 1;
                    continue;
                }
                Ok(response) => {
                    let (message, message_ids) = error_summary(&response.body);
                    let retry_after = response
                        .header("retry-after")
                        .and_then(|value| parse_retry_after(value, std::time::SystemTime::now()));
                    let text = format!("{message} {}", message_ids.join(" "));
                    let mut decision = error_policy(
                        &method,
                        AttemptFailure::Status {
                            status: response.status,
                            text: &text,
                            retry_after,
                        },
                        &self.quirks().transient,
                    );
                    let throttled = response.status == 429 || response.status == 503;
                    if !retry_server_errors && !throttled {
                        decision = RetryDecision::GiveUp;
                    }
                    let answer = Answer::Status {
                        status: response.status,
                        message,
                        message_ids,
                    };
                    (answer, decision)
                }
                Err(TransportFailure { kind, detail }) => {
                    let decision = error_policy(
                        &method,
                        AttemptFailure::Transport(kind),
                        &self.quirks().transient,
                    );
                    (Answer::Transport { kind, detail }, decision)
                }
            };
            let after = match retry_decision {
                RetryDecision::GiveUp => {
                    return Err(self.failure(&method, path, answer, attempts, GaveUp::Permanent));
                }
                RetryDecision::Retry { after } => after,
            };
            let Some(backoff_delay) = backoff.next_delay() else {
                return Err(self.failure(
                    &method,
                    path,
                    answer,
                    attempts,
                    GaveUp::RetriesExhausted,
                ));
            };
            let delay = after.map_or(backoff_delay, |after| after.max(backoff_delay));
            if delay >= deadline.remaining() {
                return Err(self.failure(
                    &method,
                    path,
                    answer,
                    attempts,
                    GaveUp::DeadlineReached(deadline.total()),
                ));
            }
            tracing::warn!(
                bmc = self.bmc(),
                method = %method,
                path,
                attempt = attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error = %answer,
                "transient redfish failure, retrying"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn relogin(&self, deadline: &Deadline) -> Result<(), RequestFailure> {
        match self.create_session(deadline).await {
            Ok(state) => {
                *self.inner.auth.lock().await = state;
                Ok(())
            }
            Err(SessionError::Refused(failure)) | Err(SessionError::Failed(failure)) => {
                Err(failure)
            }
            Err(SessionError::Unavailable(reason)) => Err(self.failure(
                &Method::POST,
                self.service()
                    .sessions
                    .as_deref()
                    .unwrap_or("/redfish/v1/SessionService/Sessions"),
                Answer::Transport {
                    kind: TransportFailureKind::Other,
                    detail: reason,
                },
                1,
                GaveUp::Permanent,
            )),
        }
    }

    fn failure(
        &self,
        method: &Method,
        path: &str,
        answer: Answer,
        attempts: u32,
        gave_up: GaveUp,
    ) -> RequestFailure {
        RequestFailure {
            bmc: self.bmc().to_string(),
            method: method.to_string(),
            path: path.to_string(),
            answer,
            attempts,
            gave_up,
        }
    }

    /// GET a resource and decode it; remembers its ETag for the next PATCH.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
        deadline: &Deadline,
    ) -> Result<Resource<T>, RedfishError> {
        self.get_with(path, what, deadline, true).await
    }

    /// GET of an optional resource: an error answer is not retried (except 429/503), because
    /// BMCs often link resources they do not implement (501, 404, 500 on every try).
    pub(crate) async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
        deadline: &Deadline,
    ) -> Result<Resource<T>, RedfishError> {
        self.get_with(path, what, deadline, false).await
    }

    async fn get_with<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
        deadline: &Deadline,
        retry_server_errors: bool,
    ) -> Result<Resource<T>, RedfishError> {
        let response = self
            .send_authenticated(
                RequestSpec {
                    method: Method::GET,
                    path,
                    body: None,
                    if_match: None,
                    auth: AuthUse::Current,
                    retry_server_errors,
                },
                deadline,
            )
            .await
            .map_err(|failure| RedfishError::Read {
                what: what.to_string(),
                failure: Box::new(failure),
            })?;
        let raw: Value = decode(&response.body, what, self.bmc(), path)?;
        let etag = response.header("etag").map(str::to_string).or_else(|| {
            raw.get("@odata.etag")
                .and_then(Value::as_str)
                .map(str::to_string)
        });
        self.remember_etag(path, etag);
        let value: T =
            serde_json::from_value(raw.clone()).map_err(|error| RedfishError::Decode {
                what: what.to_string(),
                bmc: self.bmc().to_string(),
                path: path.to_string(),
                reason: error.to_string(),
            })?;
        Ok(Resource {
            path: path.to_string(),
            value,
            raw,
            allow: response.header("allow").map(str::to_string),
        })
    }

    fn remember_etag(&self, path: &str, etag: Option<String>) {
        let mut etags = match self.inner.etags.lock() {
            Ok(etags) => etags,
            Err(poisoned) => poisoned.into_inner(),
        };
        match etag {
            Some(etag) => {
                etags.insert(path.to_string(), etag);
            }
            None => {
                etags.remove(path);
            }
        }
    }

    /// The ETag of the last GET of `path`.
    pub(crate) fn etag_of(&self, path: &str) -> Option<String> {
        let etags = match self.inner.etags.lock() {
            Ok(etags) => etags,
            Err(poisoned) => poisoned.into_inner(),
        };
        etags.get(path).cloned()
    }

    /// PATCH with `If-Match: <ETag of the last GET>`. On 412 a weak `W/"x"` is retried as
    /// `"x"`, then without `If-Match`; a strong one is retried without `If-Match`.
    pub(crate) async fn patch(
        &self,
        path: &str,
        body: &Value,
        deadline: &Deadline,
    ) -> Result<RawResponse, RequestFailure> {
        let mut candidates = if_match_candidates(self.etag_of(path))
            .into_iter()
            .peekable();
        // The resource changes (or our ETag is refused): forget the ETag either way.
        self.remember_etag(path, None);
        loop {
            let candidate = candidates.next().flatten();
            let result = self
                .execute(
                    Method::PATCH,
                    path,
                    Some(body),
                    candidate.as_deref(),
                    deadline,
                )
                .await;
            match result {
                Err(failure) if failure.status() == Some(412) && candidates.peek().is_some() => {
                    tracing::info!(bmc = self.bmc(), path, if_match = ?candidate, "412 Precondition Failed, retrying with the next If-Match rule");
                }
                other => return other,
            }
        }
    }

    /// POST (an action or a collection member) with an optional JSON body.
    pub(crate) async fn post(
        &self,
        path: &str,
        body: Option<&Value>,
        deadline: &Deadline,
    ) -> Result<RawResponse, RequestFailure> {
        self.execute(Method::POST, path, body, None, deadline).await
    }

    /// Sleeps `delay`, or until the deadline when that is sooner; false when no time is left.
    pub(crate) async fn pause(&self, delay: Duration, deadline: &Deadline) -> bool {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            return false;
        }
        tokio::time::sleep(delay.min(remaining)).await;
        !deadline.remaining().is_zero()
    }
}

/// One request as [`BmcClient::send_with_retries`] sends it.
struct RequestSpec<'a> {
    method: Method,
    path: &'a str,
    body: Option<&'a Value>,
    if_match: Option<&'a str>,
    auth: AuthUse,
    /// Whether error answers may be retried (transport failures and 429/503 always may).
    retry_server_errors: bool,
}

impl RequestSpec<'_> {
    fn clone_spec(&self) -> Self {
        RequestSpec {
            method: self.method.clone(),
            path: self.path,
            body: self.body,
            if_match: self.if_match,
            auth: self.auth,
            retry_server_errors: self.retry_server_errors,
        }
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthUse {
    /// No credentials (session login itself).
    Anonymous,
    /// The client's current authentication.
    Current,
}

enum SessionError {
    /// Sessions cannot be used on this BMC (no service, no token).
    Unavailable(String),
    /// The BMC answered the login with an error status.
    Refused(RequestFailure),
    /// The login request failed without an answer.
    Failed(RequestFailure),
}

fn base_headers(with_body: bool, identity_encoding: bool) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ODATA_VERSION, HeaderValue::from_static("4.0"));
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    if identity_encoding {
        headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    }
    if with_body {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    headers
}

/// The `If-Match` values to try in order (see [`BmcClient::patch`]).
fn if_match_candidates(etag: Option<String>) -> Vec<Option<String>> {
    match etag {
        None => vec![None],
        Some(etag) => match etag.strip_prefix("W/") {
            Some(strong) => vec![Some(etag.clone()), Some(strong.to_string()), None],
            None => vec![Some(etag), None],
        },
    }
}

/// Decodes a JSON body.
pub(crate) fn decode<T: DeserializeOwned>(
    body: &[u8],
    what: &str,
    bmc: &str,
    path: &str,
) -> Result<T, RedfishError> {
    serde_json::from_slice(body).map_err(|error| RedfishError::Decode {
        what: what.to_string(),
        bmc: bmc.to_string(),
        path: path.to_string(),
        reason: error.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_rules_follow_the_reference() {
        assert_eq!(if_match_candidates(None), vec![None]);
        assert_eq!(
            if_match_candidates(Some("W/\"abc\"".to_string())),
            vec![
                Some("W/\"abc\"".to_string()),
                Some("\"abc\"".to_string()),
                None
            ]
        );
        assert_eq!(
            if_match_candidates(Some("\"abc\"".to_string())),
            vec![Some("\"abc\"".to_string()), None]
        );
    }

    #[test]
    fn headers_carry_odata_and_identity_encoding() {
        let headers = base_headers(true, true);
        assert_eq!(headers.get("odata-version").unwrap(), "4.0");
        assert_eq!(headers.get("accept-encoding").unwrap(), "identity");
        assert_eq!(headers.get("content-type").unwrap(), "application/json");
        let headers = base_headers(false, false);
        assert!(headers.get("accept-encoding").is_none());
        assert!(headers.get("content-type").is_none());
    }

    #[test]
    fn deadline_counts_down() {
        let deadline = Deadline::after(Duration::from_secs(10));
        assert!(deadline.remaining() <= Duration::from_secs(10));
        assert!(deadline.remaining() > Duration::from_secs(9));
        assert!(deadline.elapsed() < Duration::from_secs(1));
        assert_eq!(Deadline::after(Duration::ZERO).remaining(), Duration::ZERO);
    }
}
