//! An HTTP/1.1 proxy for tests: counts requests and injects faults on a schedule.
//!
//! It reads each request from the client, asks the schedule what to do with it (pass, delay,
//! drop the connection, reset it, or answer an error status itself) and forwards it to the
//! upstream server on a fresh connection (`Connection: close`), copying the answer back.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What to do with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward it.
    Pass,
    /// Wait, then forward it.
    Delay(Duration),
    /// Close the connection without an answer.
    Drop,
    /// Reset the connection (TCP RST) without an answer.
    Reset,
    /// Answer this status with a Redfish error body; optional `Retry-After` seconds.
    Status(u16, Option<u64>),
}

/// Decides the fault for request number `index` (0-based) with this method and path.
pub type Schedule = Box<dyn FnMut(usize, &str, &str) -> Fault + Send>;

/// One request the proxy saw, and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub fault: Fault,
}

struct ProxyState {
    seen: Vec<Seen>,
    schedule: Schedule,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    pub url: String,
    state: Arc<Mutex<ProxyState>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// A proxy to `upstream` (`host:port`) that forwards everything.
    pub async fn counting(upstream: &str) -> Proxy {
        Proxy::start(upstream, Box::new(|_, _, _| Fault::Pass)).await
    }

    /// A proxy to `upstream` (`host:port`) with a fault schedule.
    pub async fn start(upstream: &str, schedule: Schedule) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let address = listener.local_addr().expect("proxy address");
        let state = Arc::new(Mutex::new(ProxyState {
            seen: Vec::new(),
            schedule,
        }));
        let upstream = upstream.to_string();
        let task_state = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                let state = task_state.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    serve_connection(client, &upstream, state).await;
                });
            }
        });
        Proxy {
            url: format!("http://{address}"),
            state,
            task,
        }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().expect("proxy state").seen.clone()
    }

    pub fn count(&self) -> usize {
        self.seen().len()
    }

    /// Replaces the schedule (counting continues).
    pub fn set_schedule(&self, schedule: Schedule) {
        self.state.lock().expect("proxy state").schedule = schedule;
    }

    /// `METHOD path` per request, for printing.
    pub fn summary(&self) -> Vec<String> {
        self.seen()
            .into_iter()
            .map(|seen| format!("{} {}", seen.method, seen.path))
            .collect()
    }
}

struct ParsedRequest {
    method: String,
    path: String,
    head_lines: Vec<String>,
    body: Vec<u8>,
    client_wants_close: bool,
}

async fn read_request(reader: &mut BufReader<TcpStream>) -> Option<ParsedRequest> {
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).await.ok()? == 0 {
        return None;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut head_lines = Vec::new();
    let mut content_length = 0usize;
    let mut client_wants_close = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let lowered = trimmed.to_ascii_lowercase();
        if let Some(value) = lowered.strip_prefix("content-length:") {
            content_length = value.trim().parse().unwrap_or(0);
        }
        if lowered.starts_with("connection:") {
            client_wants_close = lowered.contains("close");
            continue;
        }
        head_lines.push(trimmed.to_string());
    }
    let mut body = vec![0u8; content_length];
    reader.read_exact(&mut body).await.ok()?;
    Some(ParsedRequest {
        method,
        path,
        head_lines,
        body,
        client_wants_close,
    })
}

async fn serve_connection(client: TcpStream, upstream: &str, state: Arc<Mutex<ProxyState>>) {
    let mut reader = BufReader::new(client);
    while let Some(request) = read_request(&mut reader).await {
        let fault = {
            let mut state = state.lock().expect("proxy state");
            let index = state.seen.len();
            let fault = (state.schedule)(index, &request.method, &request.path);
            state.seen.push(Seen {
                method: request.method.clone(),
                path: request.path.clone(),
                fault: fault.clone(),
            });
            fault
        };
        let answer = match fault {
            Fault::Drop => return,
            Fault::Reset => {
                let _ = reader.get_ref().set_zero_linger();
                return;
            }
            Fault::Status(status, retry_after) => synthetic_answer(status, retry_after),
            Fault::Delay(delay) => {
                tokio::time::sleep(delay).await;
                match forward(&request, upstream).await {
                    Some(answer) => answer,
                    None => return,
                }
            }
            Fault::Pass => match forward(&request, upstream).await {
                Some(answer) => answer,
                None => return,
            },
        };
        let upstream_closes = String::from_utf8_lossy(&answer)
            .split("\r\n\r\n")
            .next()
            .is_some_and(|head| head.to_ascii_lowercase().contains("connection: close"));
        if reader.get_mut().write_all(&answer).await.is_err() {
            return;
        }
        if request.client_wants_close || upstream_closes {
            let _ = reader.get_mut().shutdown().await;
            return;
        }
    }
}

fn synthetic_answer(status: u16, retry_after: Option<u64>) -> Vec<u8> {
    let body = format!(
        "{{\"error\":{{\"code\":\"Base.1.0.GeneralError\",\"message\":\"injected fault {status}\",\
         \"@Message.ExtendedInfo\":[{{\"MessageId\":\"Test.1.0.InjectedFault\",\"Message\":\"injected fault {status}\"}}]}}}}"
    );
    let mut head = format!(
        "HTTP/1.1 {status} Injected\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(seconds) = retry_after {
        head.push_str(&format!("Retry-After: {seconds}\r\n"));
    }
    head.push_str("\r\n");
    let mut answer = head.into_bytes();
    answer.extend_from_slice(body.as_bytes());
    answer
}

/// Sends the request upstream on a fresh connection and reads the answer to its end.
async fn forward(request: &ParsedRequest, upstream: &str) -> Option<Vec<u8>> {
    let mut connection = TcpStream::connect(upstream).await.ok()?;
    let mut head = format!("{} {} HTTP/1.1\r\n", request.method, request.path);
    for line in &request.head_lines {
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    connection.write_all(head.as_bytes()).await.ok()?;
    connection.write_all(&request.body).await.ok()?;
    let mut answer = Vec::new();
    connection.read_to_end(&mut answer).await.ok()?;
    Some(answer)
}
