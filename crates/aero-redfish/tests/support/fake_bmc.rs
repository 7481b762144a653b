//! An in-process Redfish fixture server on 127.0.0.1.
//!
//! It serves a map of resources (a DMTF mockup tree or hand-written JSON) and implements the
//! behaviour the tests need: GET, PATCH with a deep merge, action POSTs (only to advertised
//! targets; optionally with effects on power and virtual media), sessions, Basic auth,
//! ETags with `If-Match` checks, an `Allow` header. Hooks run before the default handling,
//! so a test scripts vendor behaviour (202 task monitors, 429, 412, vendor errors) as plain
//! request -> reply functions. Every request is recorded.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

/// One request as the fixture saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Lower-case header names.
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
    pub raw_body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// A reply from a hook.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn json(status: u16, body: &Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".to_string(), "application/json".to_string())],
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    /// A Redfish error body with one extended message.
    pub fn redfish_error(status: u16, message_id: &str, message: &str) -> Self {
        Reply::json(
            status,
            &json!({"error": {
                "code": "Base.1.0.GeneralError",
                "message": "A general error has occurred. See ExtendedInfo for more information.",
                "@Message.ExtendedInfo": [{"MessageId": message_id, "Message": message}]
            }}),
        )
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_string()));
        self
    }
}

/// How the fixture behaves by default.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Required credentials; `None` serves everything without authentication (DMTF).
    pub credentials: Option<(String, String)>,
    /// Whether Basic authentication is accepted.
    pub basic_auth: bool,
    /// Sessions collection that accepts logins, and the status of a successful login.
    pub sessions: Option<(String, u16)>,
    /// Send ETags (weak `W/"n"` or strong `"n"`) and check `If-Match`.
    pub etags: Option<EtagStyle>,
    /// Paths must match exactly (a trailing slash matters).
    pub strict_paths: bool,
    /// Reset and virtual media actions change the resources.
    pub stateful_actions: bool,
    /// Close the connection after every answer.
    pub close_connections: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EtagStyle {
    Weak,
    Strong,
}

impl Behaviour {
    /// The DMTF mockup server: no auth, no ETags, actions accepted but without effect.
    pub fn dmtf() -> Self {
        Behaviour {
            credentials: None,
            basic_auth: false,
            sessions: Some(("/redfish/v1/SessionService/Sessions".to_string(), 204)),
            etags: None,
            strict_paths: true,
            stateful_actions: false,
            close_connections: false,
        }
    }

    /// A BMC with sessions and Basic auth, ETags and working actions.
    pub fn bmc(username: &str, password: &str) -> Self {
        Behaviour {
            credentials: Some((username.to_string(), password.to_string())),
            basic_auth: true,
            sessions: Some(("/redfish/v1/SessionService/Sessions".to_string(), 201)),
            etags: Some(EtagStyle::Weak),
            strict_paths: false,
            stateful_actions: true,
            close_connections: false,
        }
    }
}

/// The mutable state of a fixture.
pub struct BmcState {
    pub resources: BTreeMap<String, Value>,
    pub versions: HashMap<String, u64>,
    pub requests: Vec<Recorded>,
    pub behaviour: Behaviour,
    /// token -> session path
    pub sessions: BTreeMap<String, String>,
    next_session: u64,
}

pub type Hook = Box<dyn FnMut(&Recorded, &mut BmcState) -> Option<Reply> + Send>;

/// A running fixture server; stops when dropped.
pub struct FakeBmc {
    pub url: String,
    state: Arc<Mutex<BmcState>>,
    hooks: Arc<Mutex<Vec<Hook>>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeBmc {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeBmc {
    /// Serves `resources` (keyed by path) with `behaviour`.
    pub async fn start(resources: BTreeMap<String, Value>, behaviour: Behaviour) -> FakeBmc {
        let state = Arc::new(Mutex::new(BmcState {
            resources,
            versions: HashMap::new(),
            requests: Vec::new(),
            behaviour,
            sessions: BTreeMap::new(),
            next_session: 1,
        }));
        let hooks: Arc<Mutex<Vec<Hook>>> = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fixture server");
        let address = listener.local_addr().expect("fixture address");
        let task_state = state.clone();
        let task_hooks = hooks.clone();
        let task_connections = connections.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                task_connections.fetch_add(1, Ordering::SeqCst);
                let state = task_state.clone();
                let hooks = task_hooks.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request: Request<Incoming>| {
                        let state = state.clone();
                        let hooks = hooks.clone();
                        async move { Ok::<_, Infallible>(handle(request, state, hooks).await) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FakeBmc {
            url: format!("http://{address}"),
            state,
            hooks,
            connections,
            task,
        }
    }

    /// Serves a DMTF mockup tree (short form) from `tests/mockups/<name>`.
    pub async fn mockup(name: &str) -> FakeBmc {
        FakeBmc::start(load_mockup(name), Behaviour::dmtf()).await
    }

    /// Adds a hook; hooks run in the order added, before the default handling.
    pub fn hook(
        &self,
        hook: impl FnMut(&Recorded, &mut BmcState) -> Option<Reply> + Send + 'static,
    ) {
        self.hooks.lock().expect("hooks").push(Box::new(hook));
    }

    pub fn with_state<R>(&self, action: impl FnOnce(&mut BmcState) -> R) -> R {
        action(&mut self.state.lock().expect("state"))
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.with_state(|state| state.requests.clone())
    }

    /// Requests whose method equals `method` and whose path contains `fragment`.
    pub fn requests_to(&self, method: &str, fragment: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|request| request.method == method && request.path.contains(fragment))
            .collect()
    }

    pub fn resource(&self, path: &str) -> Value {
        self.with_state(|state| state.resources.get(path).cloned())
            .unwrap_or_else(|| panic!("fixture has no resource {path}"))
    }

    pub fn set(&self, path: &str, pointer: &str, value: Value) {
        self.with_state(|state| {
            let resource = state.resources.get_mut(path).expect("resource");
            *resource.pointer_mut(pointer).expect("pointer") = value;
        });
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Loads a short-form mockup tree: every `index.json`, keyed by its `@odata.id`.
pub fn load_mockup(name: &str) -> BTreeMap<String, Value> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/mockups")
        .join(name);
    assert!(root.is_dir(), "mockup tree {} is missing", root.display());
    let mut resources = BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(directory) = pending.pop() {
        for entry in std::fs::read_dir(&directory).expect("read mockup dir") {
            let entry = entry.expect("mockup entry");
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|file| file == "index.json") {
                let text = std::fs::read_to_string(&path).expect("read index.json");
                let value: Value = serde_json::from_str(&text)
                    .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
                let relative = directory
                    .strip_prefix(&root)
                    .expect("relative")
                    .to_string_lossy()
                    .to_string();
                let constructed = if relative.is_empty() {
                    "/redfish/v1/".to_string()
                } else {
                    format!("/redfish/v1/{relative}")
                };
                let key = value
                    .get("@odata.id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or(constructed);
                resources.insert(key, value);
            }
        }
    }
    resources
}

/// Merges `patch` into `target` (objects recursively, everything else replaced).
pub fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        deep_merge(existing, value)
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

impl BmcState {
    /// The stored key for a request path (exact, or with/without a trailing slash).
    pub fn key_of(&self, path: &str) -> Option<String> {
        if self.resources.contains_key(path) {
            return Some(path.to_string());
        }
        if self.behaviour.strict_paths {
            // The service root is served with and without its slash by every server.
            if path == "/redfish/v1" && self.resources.contains_key("/redfish/v1/") {
                return Some("/redfish/v1/".to_string());
            }
            return None;
        }
        let toggled = match path.strip_suffix('/') {
            Some(stripped) => stripped.to_string(),
            None => format!("{path}/"),
        };
        self.resources.contains_key(&toggled).then_some(toggled)
    }

    pub fn etag(&self, key: &str) -> Option<String> {
        let version = self.versions.get(key).copied().unwrap_or(1);
        self.behaviour.etags.map(|style| match style {
            EtagStyle::Weak => format!("W/\"{version}\""),
            EtagStyle::Strong => format!("\"{version}\""),
        })
    }

    /// The resource that advertises `target` in its `Actions` (including `Oem`).
    pub fn action_owner(&self, target: &str) -> Option<(String, String)> {
        fn find(actions: &Value, target: &str) -> Option<String> {
            let object = actions.as_object()?;
            for (name, action) in object {
                if action.get("target").and_then(Value::as_str) == Some(target) {
                    return Some(name.clone());
                }
                if name == "Oem"
                    && let Some(found) = find(action, target)
                {
                    return Some(found);
                }
            }
            None
        }
        self.resources.iter().find_map(|(path, resource)| {
            let actions = resource.get("Actions")?;
            find(actions, target).map(|name| (path.clone(), name))
        })
    }

    fn authorised(&self, request: &Recorded) -> bool {
        let Some((username, password)) = &self.behaviour.credentials else {
            return true;
        };
        if request.path == "/redfish/v1"
            || request.path == "/redfish/v1/"
            || request.path == "/redfish"
        {
            return true;
        }
        if let Some((sessions, _)) = &self.behaviour.sessions
            && request.method == "POST"
            && same_path(&request.path, sessions)
        {
            return true;
        }
        if let Some(token) = request.header("x-auth-token")
            && self.sessions.contains_key(token)
        {
            return true;
        }
        if self.behaviour.basic_auth
            && let Some(header) = request.header("authorization")
        {
            let expected = format!("{username}:{password}");
            return header
                .strip_prefix("Basic ")
                .and_then(|encoded| decode_base64(encoded.trim()))
                .is_some_and(|decoded| decoded == expected.as_bytes());
        }
        false
    }

    fn default_reply(&mut self, request: &Recorded) -> Reply {
        if !self.authorised(request) {
            return Reply::redfish_error(401, "Base.1.8.NoValidSession", "authentication required")
                .header("WWW-Authenticate", "Basic realm=\"fixture\"");
        }
        match request.method.as_str() {
            "GET" | "HEAD" => match self.key_of(&request.path) {
                Some(key) => {
                    let resource = &self.resources[&key];
                    let allow = if resource.get("Members").is_some() {
                        "GET, HEAD, POST"
                    } else {
                        "GET, HEAD, PATCH"
                    };
                    let mut reply = Reply::json(200, resource).header("Allow", allow);
                    if let Some(etag) = self.etag(&key) {
                        reply = reply.header("ETag", &etag);
                    }
                    reply
                }
                None => Reply::redfish_error(404, "Base.1.8.ResourceMissingAtURI", "not found"),
            },
            "PATCH" => {
                let Some(key) = self.key_of(&request.path) else {
                    return Reply::redfish_error(404, "Base.1.8.ResourceMissingAtURI", "not found");
                };
                let Some(body) = request.body.clone().filter(Value::is_object) else {
                    return Reply::redfish_error(
                        400,
                        "Base.1.8.MalformedJSON",
                        "the body is not a JSON object",
                    );
                };
                if self.resources[&key].get("Members").is_some() {
                    return Reply::redfish_error(
                        405,
                        "Base.1.8.OperationNotAllowed",
                        "PATCH on a collection",
                    );
                }
                // Tags compare by their opaque part (W/"1" and "1" are the same version).
                let opaque = |tag: &str| tag.trim_start_matches("W/").to_string();
                if let (Some(current), Some(if_match)) =
                    (self.etag(&key), request.header("if-match"))
                    && opaque(if_match) != opaque(&current)
                    && if_match != "*"
                {
                    return Reply::redfish_error(
                        412,
                        "Base.1.8.PreconditionFailed",
                        "ETag mismatch",
                    );
                }
                if let Some(resource) = self.resources.get_mut(&key) {
                    deep_merge(resource, &body);
                }
                *self.versions.entry(key).or_insert(1) += 1;
                Reply::empty(204)
            }
            "POST" => self.post(request),
            "DELETE" => {
                let session = self
                    .sessions
                    .iter()
                    .find(|(_, path)| same_path(path, &request.path))
                    .map(|(token, path)| (token.clone(), path.clone()));
                match session {
                    Some((token, path)) => {
                        self.sessions.remove(&token);
                        self.resources.remove(&path);
                        Reply::empty(204)
                    }
                    None => Reply::redfish_error(
                        405,
                        "Base.1.8.OperationNotAllowed",
                        "DELETE not allowed",
                    ),
                }
            }
            _ => Reply::redfish_error(405, "Base.1.8.OperationNotAllowed", "method not allowed"),
        }
    }

    fn post(&mut self, request: &Recorded) -> Reply {
        if let Some((sessions, status)) = self.behaviour.sessions.clone()
            && same_path(&request.path, &sessions)
        {
            return self.login(request, &sessions, status);
        }
        let Some((owner, action)) = self.action_owner(&request.path) else {
            return Reply::redfish_error(
                404,
                "Base.1.8.ResourceMissingAtURI",
                "no such action target",
            );
        };
        if !self.behaviour.stateful_actions {
            return Reply::empty(204);
        }
        let body = request.body.clone().unwrap_or_else(|| json!({}));
        let Some(resource) = self.resources.get_mut(&owner) else {
            return Reply::empty(204);
        };
        if action.ends_with("ComputerSystem.Reset") {
            let reset_type = body.get("ResetType").and_then(Value::as_str).unwrap_or("");
            let state = match reset_type {
                "On" | "ForceOn" | "ForceRestart" | "GracefulRestart" | "PowerCycle" => "On",
                "ForceOff" | "GracefulShutdown" => "Off",
                "PushPowerButton" => {
                    if resource["PowerState"] == "On" {
                        "Off"
                    } else {
                        "On"
                    }
                }
                _ => {
                    return Reply::redfish_error(
                        400,
                        "Base.1.8.ActionParameterNotSupported",
                        "bad ResetType",
                    );
                }
            };
            resource["PowerState"] = json!(state);
        } else if action.ends_with("InsertMedia") {
            let Some(image) = body.get("Image").and_then(Value::as_str) else {
                return Reply::redfish_error(
                    400,
                    "Base.1.8.ActionParameterMissing",
                    "Image is required",
                );
            };
            resource["Image"] = json!(image);
            resource["ImageName"] = json!(image.rsplit('/').next().unwrap_or(image));
            resource["Inserted"] = body.get("Inserted").cloned().unwrap_or(json!(true));
            resource["WriteProtected"] = body.get("WriteProtected").cloned().unwrap_or(json!(true));
        } else if action.ends_with("EjectMedia") {
            resource["Image"] = Value::Null;
            resource["ImageName"] = Value::Null;
            resource["Inserted"] = json!(false);
        }
        *self.versions.entry(owner).or_insert(1) += 1;
        Reply::empty(204)
    }

    fn login(&mut self, request: &Recorded, sessions: &str, status: u16) -> Reply {
        let body = request.body.clone().unwrap_or(Value::Null);
        let username = body.get("UserName").and_then(Value::as_str).unwrap_or("");
        let password = body.get("Password").and_then(Value::as_str).unwrap_or("");
        if let Some((expected_user, expected_password)) = &self.behaviour.credentials
            && (username != expected_user || password != expected_password)
        {
            return Reply::redfish_error(401, "Base.1.8.NoValidSession", "invalid credentials");
        }
        let number = self.next_session;
        self.next_session += 1;
        let token = format!("token-{number}-{}", std::process::id());
        let path = format!("{}/{number}", sessions.trim_end_matches('/'));
        self.resources.insert(
            path.clone(),
            json!({"@odata.id": path, "Id": number.to_string(), "UserName": username}),
        );
        self.sessions.insert(token.clone(), path.clone());
        Reply::json(status, &json!({"@odata.id": path}))
            .header("X-Auth-Token", &token)
            .header("Location", &path)
    }
}

fn same_path(left: &str, right: &str) -> bool {
    left.trim_end_matches('/') == right.trim_end_matches('/')
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    base64::prelude::BASE64_STANDARD.decode(text).ok()
}

async fn handle(
    request: Request<Incoming>,
    state: Arc<Mutex<BmcState>>,
    hooks: Arc<Mutex<Vec<Hook>>>,
) -> Response<Full<Bytes>> {
    let method = request.method().to_string();
    let path = request
        .uri()
        .path_and_query()
        .map(|value| value.as_str().to_string())
        .unwrap_or_else(|| "/".to_string());
    let headers = request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                value.to_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let raw_body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes().to_vec())
        .unwrap_or_default();
    let body = serde_json::from_slice(&raw_body).ok();
    let recorded = Recorded {
        method,
        path,
        headers,
        body,
        raw_body,
    };
    let (reply, close) = {
        let mut hooks = hooks.lock().expect("hooks");
        let mut state = state.lock().expect("state");
        state.requests.push(recorded.clone());
        let hooked = hooks
            .iter_mut()
            .find_map(|hook| hook(&recorded, &mut state));
        let reply = hooked.unwrap_or_else(|| state.default_reply(&recorded));
        (reply, state.behaviour.close_connections)
    };
    let mut builder = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if close {
        builder = builder.header("connection", "close");
    }
    builder
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}
