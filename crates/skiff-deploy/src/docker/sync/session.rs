//! One shell (or skiff's helper, which speaks the same protocol: see `helper.s`) kept running
//! in a container, fed framed requests on its stdin: no process is spawned on the host and no
//! engine request is made per sync, which is what makes a sync take milliseconds instead of the
//! ~40 ms every engine request costs.
//!
//! The protocol, spoken with a POSIX `sh` and `head`, `tar`, `xargs` and `rm` in the container
//! (busybox has them all): the shell prints a ready line, then for each request reads a header
//! line `<op> <size>` and hands exactly `<size>` following bytes to the op — `copy`: a tar
//! archive extracted at `/` (`tar xmf - -C / --no-same-owner`, as Skaffold runs it); `delete`:
//! NUL-terminated container paths removed with `rm -rf --` — and answers with a done line
//! carrying the op's exit status. One request is in flight at a time, so `head` never sees the
//! next request's bytes.

use std::time::Duration;

use futures_util::StreamExt;
use skiff_docker::{Engine, EngineError, ExecSession, LogStream};
use tokio::io::AsyncWriteExt;

/// The shell loop run in the container.
const SCRIPT: &str = r#"echo skiff-sync-ready
while read -r op size; do
  case "$op" in
    copy) head -c "$size" | tar xmf - -C / --no-same-owner ;;
    delete) head -c "$size" | xargs -0 rm -rf -- ;;
    *) false ;;
  esac
  echo "skiff-sync-done $?"
done"#;

/// The line the shell prints once it reads requests.
const READY: &str = "skiff-sync-ready";

/// What the shell's answer to a request starts with, before the exit status.
const DONE: &str = "skiff-sync-done ";

/// How long a new session may take to print its ready line.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one request may take before the session is given up.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// One request.
#[derive(Debug, Clone, Copy)]
pub(super) enum Request<'a> {
    /// A tar archive to extract at `/`.
    Copy(&'a [u8]),
    /// Container paths to remove.
    Delete(&'a [String]),
}

/// Why no session could be opened.
#[derive(Debug)]
pub(super) enum OpenError {
    /// The image has no `sh`: the engine's message.
    NoShell(String),
    /// The engine refused (no such container, not running, unreachable).
    Engine(EngineError),
    /// The shell started but never became ready: what it wrote.
    Failed(String),
}

/// Why a request failed.
#[derive(Debug)]
pub(super) enum RequestError {
    /// The session is gone (the container stopped, the connection broke, no answer): it must
    /// be opened again, and the request may be sent again.
    Broken(String),
    /// The shell answered that the op failed: its exit status and what it wrote to stderr.
    Failed(String),
}

/// A running shell loop in one container.
#[derive(Debug)]
pub(super) struct Session {
    exec: ExecSession,
    /// Stdout read but not yet consumed as a line.
    stdout: Vec<u8>,
    /// Stderr written since the current request was sent.
    stderr: Vec<u8>,
}

impl Session {
    /// Starts the shell loop in the running container `container` and waits until it reads
    /// requests.
    pub(super) async fn open(engine: &Engine, container: &str) -> Result<Session, OpenError> {
        Self::open_running(engine, container, &["sh", "-c", SCRIPT]).await
    }

    /// Starts skiff's helper, put at `path` in the running container `container`, and waits
    /// until it reads requests.
    pub(super) async fn open_helper(
        engine: &Engine,
        container: &str,
        path: &str,
    ) -> Result<Session, OpenError> {
        Self::open_running(engine, container, &[path]).await
    }

    async fn open_running(
        engine: &Engine,
        container: &str,
        command: &[&str],
    ) -> Result<Session, OpenError> {
        let exec = engine
            .exec_session(container, command)
            .await
            .map_err(|e| match e {
                e if names_missing_executable(&e.to_string()) => OpenError::NoShell(e.to_string()),
                e => OpenError::Engine(e),
            })?;
        let mut session = Session {
            exec,
            stdout: Vec::new(),
            stderr: Vec::new(),
        };
        match tokio::time::timeout(OPEN_TIMEOUT, session.next_line()).await {
            Ok(Ok(Some(line))) if line == READY => Ok(session),
            // Some engines report a command they cannot start on its stdout.
            Ok(Ok(Some(line))) if names_missing_executable(&line) => {
                Err(OpenError::NoShell(line.trim().to_owned()))
            }
            Ok(Ok(Some(line))) => Err(OpenError::Failed(format!("unexpected output {line:?}"))),
            Ok(Ok(None)) => Err(session.ended(engine).await),
            Ok(Err(e)) => Err(OpenError::Engine(e)),
            Err(_) => Err(OpenError::Failed(format!(
                "the shell did not start within {}s",
                OPEN_TIMEOUT.as_secs()
            ))),
        }
    }

    /// Sends one request and returns once the shell has carried it out.
    pub(super) async fn send(&mut self, request: Request<'_>) -> Result<(), RequestError> {
        let message = frame(request);
        self.stderr.clear();
        let Session {
            exec: ExecSession { input, output, .. },
            stdout,
            stderr,
        } = self;
        let write = async {
            let sent = async {
                input.write_all(&message).await?;
                input.flush().await
            };
            sent.await
                .map_err(|e| format!("writing to the session: {e}"))
        };
        let answer = async {
            loop {
                match next_line(output, stdout, stderr).await {
                    Ok(Some(line)) => {
                        if let Some(status) = line.strip_prefix(DONE) {
                            return Ok(status.to_owned());
                        }
                    }
                    Ok(None) => return Err("the session ended".to_owned()),
                    Err(e) => return Err(e.to_string()),
                }
            }
        };
        let exchange = async { tokio::try_join!(write, answer) };
        let status = match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(Ok(((), status))) => status,
            Ok(Err(message)) => return Err(RequestError::Broken(message)),
            Err(_) => {
                return Err(RequestError::Broken(format!(
                    "no answer within {}s",
                    REQUEST_TIMEOUT.as_secs()
                )));
            }
        };
        if status == "0" {
            return Ok(());
        }
        let said = String::from_utf8_lossy(&self.stderr);
        Err(RequestError::Failed(format!(
            "exit status {status}: {}",
            said.trim()
        )))
    }

    /// The next stdout line of the session, `None` once it ended.
    async fn next_line(&mut self) -> Result<Option<String>, EngineError> {
        next_line(&mut self.exec.output, &mut self.stdout, &mut self.stderr).await
    }

    /// Why a session that ended before becoming ready did not start.
    async fn ended(self, engine: &Engine) -> OpenError {
        let said = String::from_utf8_lossy(&self.stderr).trim().to_owned();
        let id = self.exec.id;
        let code = engine.exec_exit_code(&id).await.ok().flatten();
        if matches!(code, Some(126 | 127)) || names_missing_executable(&said) {
            OpenError::NoShell(said)
        } else {
            OpenError::Failed(format!("the shell exited ({code:?}): {said}"))
        }
    }
}

/// The bytes of one request: the header line and the payload.
fn frame(request: Request<'_>) -> Vec<u8> {
    let (op, payload) = match request {
        Request::Copy(tar) => ("copy", tar.to_vec()),
        Request::Delete(paths) => {
            let mut list = Vec::new();
            for path in paths {
                list.extend_from_slice(path.as_bytes());
                list.push(0);
            }
            ("delete", list)
        }
    };
    let mut message = format!("{op} {}\n", payload.len()).into_bytes();
    message.extend_from_slice(&payload);
    message
}

/// The next complete stdout line (without its newline) from `output`, buffering partial lines
/// in `stdout` and collecting stderr in `stderr`; `None` when the output ends.
async fn next_line(
    output: &mut skiff_docker::ExecOutput,
    stdout: &mut Vec<u8>,
    stderr: &mut Vec<u8>,
) -> Result<Option<String>, EngineError> {
    loop {
        if let Some(end) = stdout.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = stdout.drain(..=end).collect();
            return Ok(Some(String::from_utf8_lossy(&line[..end]).into_owned()));
        }
        let Some(chunk) = output.next().await else {
            return Ok(None);
        };
        let chunk = chunk?;
        match chunk.stream {
            LogStream::Stdout => stdout.extend_from_slice(&chunk.bytes),
            LogStream::Stderr => stderr.extend_from_slice(&chunk.bytes),
        }
    }
}

/// Whether an engine or runtime message says the program to run does not exist.
pub(super) fn names_missing_executable(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    [
        "executable file not found",
        "no such file or directory",
        "not found in $path",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_a_header_line_and_the_payload() {
        assert_eq!(frame(Request::Copy(b"TAR")), b"copy 3\nTAR");
        let paths = ["/a b".to_owned(), "/c".to_owned()];
        assert_eq!(frame(Request::Delete(&paths)), b"delete 8\n/a b\0/c\0");
    }

    #[test]
    fn missing_executables_are_recognised() {
        assert!(names_missing_executable(
            "OCI runtime exec failed: exec failed: unable to start container process: exec: \"sh\": executable file not found in $PATH: unknown"
        ));
        assert!(names_missing_executable(
            "crun: executable file `sh` not found in $PATH: No such file or directory"
        ));
        assert!(!names_missing_executable("container abc is not running"));
    }
}
