//! Running the user's commands (custom build scripts, hooks, dependency commands) as child
//! processes that never outlive the work they belong to.
//!
//! Every child is started in a process group of its own, with standard input from `/dev/null`.
//! A [`ProcessGroupGuard`] kills the whole group (the shell and whatever it started: `docker
//! build`, `buildx`, …) when the future running it is dropped (cancellation) or a timeout
//! expires, so a cancelled build leaves nothing running. Output is read from both pipes and
//! handed on line by line, as it comes.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::process::{ExitStatus, Stdio};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use skiff_events::duration::go_duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use crate::builder::BuildOutput;

/// How many of the last output lines are kept for error messages.
pub const TAIL_LINES: usize = 20;

/// A line longer than this is handed on in pieces of this size.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// How long output is still read after the child exited, for grandchildren that keep the pipes
/// open (a `sleep 100 &` left behind by a script).
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// A child that ran to its end.
#[derive(Debug)]
pub struct Finished {
    /// How it ended.
    pub status: ExitStatus,
    /// Its last output lines (both pipes, in the order they were read), without newlines.
    pub tail: Vec<String>,
}

/// A child that could not be run to its end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The program could not be started (not found, not executable, bad directory).
    #[error("starting cmd: {0}")]
    Spawn(#[source] io::Error),
    /// Waiting for the child failed.
    #[error("waiting for cmd: {0}")]
    Wait(#[source] io::Error),
    /// The child ran longer than allowed and was killed with its process group.
    #[error("timed out after {}", go_duration(*after))]
    TimedOut {
        /// The limit.
        after: Duration,
        /// The last output lines before it was killed.
        tail: Vec<String>,
    },
}

pub use skiff_events::exit_status::describe_exit as describe_status;

/// Kills a child's process group when dropped, unless disarmed: what makes running a child
/// cancellation-safe.
#[derive(Debug)]
pub struct ProcessGroupGuard {
    pgid: Option<u32>,
}

impl ProcessGroupGuard {
    /// Guards the group led by the child with process id `pid` (started with
    /// `process_group(0)`).
    pub fn new(pid: Option<u32>) -> Self {
        Self { pgid: pid }
    }

    /// Kills the group now (idempotent).
    pub fn kill(&mut self) {
        if let Some(pgid) = self.pgid.take() {
            kill_group(pgid);
        }
    }

    /// The child and its group ended normally: leave whatever it left behind alone.
    pub fn disarm(&mut self) {
        self.pgid = None;
    }
}

impl Drop for ProcessGroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(unix)]
fn kill_group(pgid: u32) {
    let Ok(pgid) = i32::try_from(pgid) else {
        return;
    };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) with a negative pid signals a process group; it has no memory effects.
    unsafe {
        libc::kill(-pgid, libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pgid: u32) {
    // Without process groups the child itself is killed by `kill_on_drop`.
}

/// Puts the child in a process group of its own (so it can be killed with everything it
/// started) with no standard input.
fn isolate_std(cmd: &mut std::process::Command) {
    cmd.stdin(Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
}

fn isolate_tokio(cmd: &mut tokio::process::Command) {
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    #[cfg(unix)]
    cmd.process_group(0);
}

/// The last lines of output.
#[derive(Debug, Default)]
struct Tail {
    lines: VecDeque<String>,
}

impl Tail {
    fn push(&mut self, line: String) {
        if self.lines.len() == TAIL_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

/// Where read lines go: the build output and the tail.
struct Sink<'a> {
    output: &'a dyn BuildOutput,
    tail: Mutex<Tail>,
}

impl Sink<'_> {
    fn line(&self, bytes: &[u8]) {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        self.output.write(&format!("{text}\n"));
        self.tail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(text);
    }

    fn tail(&self) -> Vec<String> {
        self.tail
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lines
            .iter()
            .cloned()
            .collect()
    }
}

/// Reads `reader` to its end, handing each line to `sink`.
async fn pump<R: AsyncRead + Unpin>(reader: Option<R>, sink: &Sink<'_>) {
    let Some(reader) = reader else {
        return;
    };
    let mut reader = BufReader::new(reader);
    let mut line: Vec<u8> = Vec::new();
    loop {
        let buf = match reader.fill_buf().await {
            Ok(buf) if !buf.is_empty() => buf,
            _ => break,
        };
        let (chunk, complete) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = MAX_LINE_BYTES - line.len();
        let take = chunk.len().min(room);
        let whole_line = complete && take == chunk.len();
        line.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if whole_line || line.len() >= MAX_LINE_BYTES {
            sink.line(&line);
            line.clear();
        }
    }
    if !line.is_empty() {
        sink.line(&line);
    }
}

/// Gives the child one pipe for both standard output and standard error, as Go does when both
/// go to the same writer (Skaffold's case), so their lines keep the order they were written in.
#[cfg(unix)]
fn merged_output(
    cmd: &mut tokio::process::Command,
) -> io::Result<tokio::net::unix::pipe::Receiver> {
    let (reader, writer) = io::pipe()?;
    cmd.stdout(writer.try_clone()?);
    cmd.stderr(writer);
    tokio::net::unix::pipe::Receiver::from_owned_fd(std::os::fd::OwnedFd::from(reader))
}

/// Runs `cmd` to its end, streaming its standard output and error to `output` line by line.
///
/// The child gets no standard input and a process group of its own; on Unix both its output
/// streams share one pipe, so lines arrive in the order they were written. If `timeout`
/// passes, or the returned future is dropped before the child ended, the whole group is
/// killed.
pub async fn run_streamed(
    mut cmd: tokio::process::Command,
    output: &dyn BuildOutput,
    timeout: Option<Duration>,
) -> Result<Finished, RunError> {
    isolate_tokio(&mut cmd);
    #[cfg(unix)]
    let merged = Some(merged_output(&mut cmd).map_err(RunError::Spawn)?);
    #[cfg(not(unix))]
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    // The command holds the parent's copies of the pipe's write end: without dropping it the
    // pipe would never reach its end.
    drop(cmd);
    let mut guard = ProcessGroupGuard::new(child.id());
    let sink = Sink {
        output,
        tail: Mutex::new(Tail::default()),
    };
    #[cfg(unix)]
    let (first, second) = (merged, None::<tokio::process::ChildStdout>);
    #[cfg(not(unix))]
    let (first, second) = (child.stdout.take(), child.stderr.take());

    let run = async {
        let pumps = async { tokio::join!(pump(first, &sink), pump(second, &sink)) };
        tokio::pin!(pumps);
        let mut drained = false;
        let status = loop {
            tokio::select! {
                status = child.wait() => break status,
                _ = &mut pumps, if !drained => drained = true,
            }
        };
        if !drained {
            let _ = tokio::time::timeout(DRAIN_GRACE, &mut pumps).await;
        }
        status
    };
    let status = match timeout {
        None => run.await,
        Some(limit) => match tokio::time::timeout(limit, run).await {
            Ok(status) => status,
            Err(_) => {
                guard.kill();
                let _ = child.wait().await;
                return Err(RunError::TimedOut {
                    after: limit,
                    tail: sink.tail(),
                });
            }
        },
    }
    .map_err(RunError::Wait)?;
    guard.disarm();
    Ok(Finished {
        status,
        tail: sink.tail(),
    })
}

/// What a command run by [`run_captured`] printed.
#[derive(Debug)]
pub struct Captured {
    /// How it ended.
    pub status: ExitStatus,
    /// Everything it wrote to standard output.
    pub stdout: Vec<u8>,
    /// Everything it wrote to standard error.
    pub stderr: Vec<u8>,
}

/// Runs `cmd` synchronously, capturing both pipes; kills its process group if it runs longer
/// than `timeout`. For callers that are not async (dependency listing).
pub fn run_captured(
    mut cmd: std::process::Command,
    timeout: Duration,
) -> Result<Captured, RunError> {
    isolate_std(&mut cmd);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let mut guard = ProcessGroupGuard::new(Some(child.id()));
    let read_all = |pipe: Option<Box<dyn Read + Send>>, tx: mpsc::Sender<(bool, Vec<u8>)>, out| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buf);
            }
            let _ = tx.send((out, buf));
        })
    };
    let (tx, rx) = mpsc::channel();
    let out_pipe = child
        .stdout
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    let err_pipe = child
        .stderr
        .take()
        .map(|p| Box::new(p) as Box<dyn Read + Send>);
    read_all(out_pipe, tx.clone(), true);
    read_all(err_pipe, tx, false);

    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait().map_err(RunError::Wait)? {
            break status;
        }
        let now = Instant::now();
        if now >= deadline {
            guard.kill();
            let _ = child.kill();
            let _ = child.wait();
            let mut pipes = Pipes::default();
            pipes.collect(&rx, Instant::now() + DRAIN_GRACE);
            let (stdout, stderr) = pipes.take();
            let shown = if stderr.is_empty() { stdout } else { stderr };
            let lines = String::from_utf8_lossy(&shown)
                .lines()
                .map(str::to_owned)
                .collect();
            return Err(RunError::TimedOut {
                after: timeout,
                tail: last_lines(lines),
            });
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(25));
    };
    // Output still in the pipes is read for a short grace; a grandchild that keeps them open
    // longer is killed with the group.
    let mut pipes = Pipes::default();
    if pipes.collect(&rx, Instant::now() + DRAIN_GRACE) {
        guard.disarm();
    } else {
        guard.kill();
        pipes.collect(&rx, Instant::now() + DRAIN_GRACE);
    }
    let (stdout, stderr) = pipes.take();
    Ok(Captured {
        status,
        stdout,
        stderr,
    })
}

/// The contents of a child's two pipes, as the reader threads deliver them.
#[derive(Default)]
struct Pipes {
    stdout: Option<Vec<u8>>,
    stderr: Option<Vec<u8>>,
}

impl Pipes {
    /// Receives what is still missing, waiting until `until` at most; `true` once both pipes
    /// were read to their end.
    fn collect(&mut self, rx: &mpsc::Receiver<(bool, Vec<u8>)>, until: Instant) -> bool {
        while self.stdout.is_none() || self.stderr.is_none() {
            let wait = until.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok((true, buf)) => self.stdout = Some(buf),
                Ok((false, buf)) => self.stderr = Some(buf),
                Err(_) => return false,
            }
        }
        true
    }

    fn take(self) -> (Vec<u8>, Vec<u8>) {
        (
            self.stdout.unwrap_or_default(),
            self.stderr.unwrap_or_default(),
        )
    }
}

fn last_lines(mut lines: Vec<String>) -> Vec<String> {
    let skip = lines.len().saturating_sub(TAIL_LINES);
    lines.drain(..skip);
    lines
}

/// The output tail for an error message: the lines indented under a heading, or nothing.
pub fn tail_message(tail: &[String]) -> String {
    if tail.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nlast output lines:");
    for line in tail {
        s.push_str("\n  ");
        s.push_str(line);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        let mut tail = Tail::default();
        for i in 0..(TAIL_LINES + 5) {
            tail.push(i.to_string());
        }
        assert_eq!(tail.lines.len(), TAIL_LINES);
        assert_eq!(tail.lines.front().unwrap(), "5");
    }
}
