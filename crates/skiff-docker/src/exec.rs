//! Commands run inside a running container with their standard streams attached over one
//! hijacked connection (`POST /containers/{id}/exec`, then `POST /exec/{id}/start`): a session
//! the caller keeps open and talks to, or a command run to its end.

use std::pin::Pin;

use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::container::LogStream;
use crate::engine::Engine;
use crate::error::EngineError;

/// What an attached command writes: stdout and stderr chunks as they arrive (not split into
/// lines). The engine's own messages about a command it could not start come as stderr.
pub type ExecOutput = Pin<Box<dyn Stream<Item = Result<ExecChunk, EngineError>> + Send>>;

/// One chunk of an attached command's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecChunk {
    /// Where the command wrote it.
    pub stream: LogStream,
    /// The bytes.
    pub bytes: Bytes,
}

/// A command running in a container with its stdin, stdout and stderr attached. Dropping it
/// closes the connection, and with it the command's stdin.
pub struct ExecSession {
    /// The exec instance's id (for [`Engine::exec_exit_code`]).
    pub id: String,
    /// The command's standard input.
    pub input: Pin<Box<dyn AsyncWrite + Send>>,
    /// The command's output; it ends when the command exits.
    pub output: ExecOutput,
}

impl std::fmt::Debug for ExecSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecSession")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// How a command run to its end finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecResult {
    /// Its exit code (`None` if the engine did not report one).
    pub exit_code: Option<i64>,
    /// What it wrote to stdout.
    pub stdout: String,
    /// What it wrote to stderr, including the engine's message when it could not start.
    pub stderr: String,
}

impl Engine {
    /// Starts `cmd` in the running container `container`, as the container's user, without a
    /// TTY, with stdin, stdout and stderr attached.
    pub async fn exec_session(
        &self,
        container: &str,
        cmd: &[&str],
    ) -> Result<ExecSession, EngineError> {
        let options = CreateExecOptions {
            attach_stdin: Some(true),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            cmd: Some(cmd.to_vec()),
            ..Default::default()
        };
        let created = self
            .client()
            .create_exec(container, options)
            .await
            .map_err(EngineError::api("create exec"))?;
        let start = StartExecOptions {
            detach: false,
            tty: false,
            output_capacity: None,
        };
        match self
            .client()
            .start_exec(&created.id, Some(start))
            .await
            .map_err(EngineError::api("start exec"))?
        {
            StartExecResults::Attached { output, input } => Ok(ExecSession {
                id: created.id,
                input,
                output: Box::pin(output.map(chunk)),
            }),
            StartExecResults::Detached => unreachable!("an exec started attached is attached"),
        }
    }

    /// The exit code of the exec instance `exec_id`, or `None` while it runs.
    pub async fn exec_exit_code(&self, exec_id: &str) -> Result<Option<i64>, EngineError> {
        let inspected = self
            .client()
            .inspect_exec(exec_id)
            .await
            .map_err(EngineError::api("inspect exec"))?;
        if inspected.running.unwrap_or(false) {
            return Ok(None);
        }
        Ok(inspected.exit_code)
    }

    /// Runs `cmd` in the running container `container` with an empty stdin, collects what it
    /// writes, and returns once it has exited.
    pub async fn exec_to_end(
        &self,
        container: &str,
        cmd: &[&str],
    ) -> Result<ExecResult, EngineError> {
        let mut session = self.exec_session(container, cmd).await?;
        // A command that exits before reading its stdin has closed it already.
        let _ = session.input.shutdown().await;
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        while let Some(chunk) = session.output.next().await {
            let chunk = chunk?;
            match chunk.stream {
                LogStream::Stdout => stdout.extend_from_slice(&chunk.bytes),
                LogStream::Stderr => stderr.extend_from_slice(&chunk.bytes),
            }
        }
        Ok(ExecResult {
            exit_code: self.exec_exit_code(&session.id).await?,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }
}

/// Maps one frame of the attached stream to a chunk.
fn chunk(frame: Result<LogOutput, bollard::errors::Error>) -> Result<ExecChunk, EngineError> {
    let (stream, bytes) = match frame.map_err(EngineError::api("read exec output"))? {
        LogOutput::StdOut { message } => (LogStream::Stdout, message),
        // Unframed text is the engine speaking (e.g. the command could not be started).
        LogOutput::StdErr { message }
        | LogOutput::Console { message }
        | LogOutput::StdIn { message } => (LogStream::Stderr, message),
    };
    Ok(ExecChunk { stream, bytes })
}
