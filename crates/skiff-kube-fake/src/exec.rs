//! `pods/exec` over WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`): stdin on channel 0,
//! stdout 1, stderr 2, the final `Status` on channel 3; with v5 the client ends stdin with the
//! close frame `[255, 0]`. What runs is up to the test: a real local process standing for the
//! container, or a function.

use crate::error::{ApiError, ApiResult};
use crate::kubelet;
use crate::query::Query;
use crate::state::{Shared, lock};
use crate::ws::{self, Inbox, Outbox, Socket};
use axum::extract::Request;
use axum::response::Response;
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const STATUS: u8 = 3;
const CLOSE: u8 = 255;

/// The subprotocols exec accepts, preferred first.
const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// One exec call, as the handler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
    /// The command and its arguments.
    pub command: Vec<String>,
    /// Whether the client attached stdin.
    pub stdin: bool,
    /// Whether the client asked for a TTY.
    pub tty: bool,
}

/// What a function handler returns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOutput {
    /// Bytes for stdout.
    pub stdout: Vec<u8>,
    /// Bytes for stderr.
    pub stderr: Vec<u8>,
    /// The exit code (`0` reports `Success`).
    pub exit_code: i32,
}

/// A function handler: the request and all of stdin in, output out.
pub type ExecFn = dyn Fn(&ExecRequest, &[u8]) -> ExecOutput + Send + Sync;

/// What runs when a client execs into a container.
#[derive(Clone)]
pub enum ExecHandler {
    /// Runs the command as a local process, with `root` standing for the container's
    /// filesystem: it is the working directory, and absolute-path arguments after the program
    /// are re-rooted under it (`tar -x -C /app` extracts into `<root>/app`).
    Local {
        /// The directory that stands for `/` in the container.
        root: PathBuf,
    },
    /// Calls a function once stdin is complete.
    Function(Arc<ExecFn>),
}

impl ExecHandler {
    /// A [`ExecHandler::Local`] handler rooted at `root`.
    pub fn local(root: impl Into<PathBuf>) -> Self {
        Self::Local { root: root.into() }
    }

    /// A [`ExecHandler::Function`] handler.
    pub fn from_fn(f: impl Fn(&ExecRequest, &[u8]) -> ExecOutput + Send + Sync + 'static) -> Self {
        Self::Function(Arc::new(f))
    }
}

/// `GET|POST /api/v1/namespaces/<ns>/pods/<name>/exec`.
pub fn pod_exec(
    shared: &Shared,
    namespace: &str,
    name: &str,
    query: &Query,
    request: &mut Request,
) -> ApiResult<Response> {
    let exec = {
        let store = lock(&shared.store);
        let pod = crate::pods::stored(&store, namespace, name)?;
        let container = kubelet::resolve_container(pod, query.get("container"))?;
        let command: Vec<String> = query.all("command").into_iter().map(String::from).collect();
        if command.is_empty() {
            return Err(ApiError::bad_request("you must specify at least 1 command"));
        }
        ExecRequest {
            namespace: namespace.into(),
            pod: name.into(),
            container,
            command,
            stdin: query.flag("stdin"),
            tty: query.flag("tty"),
        }
    };
    let handler = lock(&shared.script).exec_handler(namespace, name, &exec.container);
    let streams = (query.flag("stdout"), query.flag("stderr"));
    ws::upgrade(request, &PROTOCOLS, move |socket, _| {
        session(socket, exec, handler, streams)
    })
}

async fn session(
    socket: Socket,
    request: ExecRequest,
    handler: Option<ExecHandler>,
    (stdout, stderr): (bool, bool),
) {
    let (out, mut inbox) = ws::split(socket);
    let sink = Output {
        out: out.clone(),
        stdout,
        stderr,
    };
    let status = match handler {
        None => failure(
            format!(
                "no exec handler registered for container {} of pod {}/{} (register one with FakeCluster::on_exec)",
                request.container, request.namespace, request.pod
            ),
            "InternalError",
            json!({}),
        ),
        Some(ExecHandler::Local { root }) => run_local(&root, &request, &sink, &mut inbox).await,
        Some(ExecHandler::Function(f)) => {
            let input = if request.stdin {
                read_stdin(&mut inbox).await
            } else {
                Vec::new()
            };
            let output = f(&request, &input);
            sink.write(STDOUT, &output.stdout).await;
            sink.write(STDERR, &output.stderr).await;
            exit_status(&request.command, output.exit_code)
        }
    };
    out.send(STATUS, status.to_string().as_bytes()).await;
    out.close().await;
}

/// Where output goes: the channels the client asked for.
struct Output {
    out: Outbox,
    stdout: bool,
    stderr: bool,
}

impl Output {
    async fn write(&self, channel: u8, data: &[u8]) {
        let wanted = if channel == STDOUT {
            self.stdout
        } else {
            self.stderr
        };
        if wanted && !data.is_empty() {
            self.out.send(channel, data).await;
        }
    }

    async fn pump(&self, channel: u8, mut reader: impl AsyncRead + Unpin) {
        let mut buf = vec![0u8; 16 * 1024];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            self.write(channel, &buf[..n]).await;
        }
    }
}

/// What an incoming message means for stdin.
enum StdinEvent<'a> {
    Data(&'a [u8]),
    End,
    Other,
}

fn stdin_event(message: &tokio_tungstenite::tungstenite::Message) -> StdinEvent<'_> {
    match ws::frame(message) {
        Some((STDIN, data)) => StdinEvent::Data(data),
        Some((CLOSE, [STDIN])) => StdinEvent::End,
        _ if message.is_close() => StdinEvent::End,
        _ => StdinEvent::Other,
    }
}

async fn read_stdin(inbox: &mut Inbox) -> Vec<u8> {
    let mut input = Vec::new();
    while let Some(Ok(message)) = inbox.next().await {
        match stdin_event(&message) {
            StdinEvent::Data(data) => input.extend_from_slice(data),
            StdinEvent::End => break,
            StdinEvent::Other => {}
        }
    }
    input
}

fn reroot(root: &Path, arg: &str) -> String {
    match arg.strip_prefix('/') {
        Some(rest) => root.join(rest).to_string_lossy().into_owned(),
        None => arg.to_string(),
    }
}

async fn run_local(
    root: &Path,
    request: &ExecRequest,
    output: &Output,
    inbox: &mut Inbox,
) -> Value {
    let mut command = tokio::process::Command::new(&request.command[0]);
    command
        .args(request.command[1..].iter().map(|a| reroot(root, a)))
        .current_dir(root)
        .stdin(if request.stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            let message = format!(
                "Internal error occurred: error executing command in container: failed to exec in container: \
                 exec: \"{}\": {err}",
                request.command[0]
            );
            return failure(
                message.clone(),
                "InternalError",
                json!({"causes": [{"message": message}]}),
            );
        }
    };
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let feed = async {
        let Some(mut stdin) = stdin else { return };
        while let Some(Ok(message)) = inbox.next().await {
            match stdin_event(&message) {
                StdinEvent::Data(data) => {
                    if stdin.write_all(data).await.is_err() {
                        break;
                    }
                }
                StdinEvent::End => break,
                StdinEvent::Other => {}
            }
        }
    };
    let run = async {
        tokio::join!(
            async {
                if let Some(s) = stdout {
                    output.pump(STDOUT, s).await;
                }
            },
            async {
                if let Some(s) = stderr {
                    output.pump(STDERR, s).await;
                }
            },
        );
        child.wait().await
    };
    tokio::pin!(run);
    let exited = tokio::select! {
        exited = &mut run => exited,
        () = feed => run.await,
    };
    match exited {
        Ok(status) => {
            use std::os::unix::process::ExitStatusExt;
            exit_status(
                &request.command,
                status
                    .code()
                    .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)),
            )
        }
        Err(err) => failure(
            format!("waiting for the command failed: {err}"),
            "InternalError",
            json!({}),
        ),
    }
}

/// The `Status` a kubelet sends on channel 3 for an exit code.
fn exit_status(command: &[String], code: i32) -> Value {
    if code == 0 {
        return json!({"metadata": {}, "status": "Success"});
    }
    failure(
        format!(
            "command terminated with non-zero exit code: error executing command [{}], exit code {code}",
            command.join(" ")
        ),
        "NonZeroExitCode",
        json!({"causes": [{"reason": "ExitCode", "message": code.to_string()}]}),
    )
}

fn failure(message: String, reason: &str, details: Value) -> Value {
    json!({"metadata": {}, "status": "Failure", "message": message, "reason": reason, "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_arguments_are_rerooted() {
        let root = Path::new("/tmp/pod");
        assert_eq!(reroot(root, "/"), "/tmp/pod/");
        assert_eq!(reroot(root, "/app/x"), "/tmp/pod/app/x");
        assert_eq!(reroot(root, "xmf"), "xmf");
    }

    #[test]
    fn exit_statuses_match_the_kubelet() {
        assert_eq!(exit_status(&["true".into()], 0)["status"], "Success");
        let failed = exit_status(&["sh".into(), "-c".into(), "exit 3".into()], 3);
        assert_eq!(failed["reason"], "NonZeroExitCode");
        assert_eq!(
            failed["details"]["causes"][0],
            json!({"reason": "ExitCode", "message": "3"})
        );
        assert_eq!(
            failed["message"],
            "command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3"
        );
    }
}
