//! One command run to its end in a container over the exec API (`pods/exec`), as `kubectl
//! exec -i` runs it, the exit read from the status the kubelet sends last: a file command of
//! the pod syncer (stdin fed and closed, stderr kept for the error, [`run`]) or a sync or
//! deploy hook (its lines shown as the container's log as they come, [`run_hook`]).

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::Api;
use kube::api::AttachParams;
use skiff_config::template::go_quote;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::error::DeployError;
use crate::kubernetes::client::api_error;
use crate::logs::LogPrefix;
use crate::logs::format::{LineFormat, LineSink};

/// How long one command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// One container of one pod.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The pods of the pod's namespace.
    pub(crate) api: Api<Pod>,
    /// The pod.
    pub(crate) pod: String,
    /// The container.
    pub(crate) container: String,
}

impl Target {
    /// `pod <namespace>/<pod> container <container>`, for messages.
    pub(crate) fn describe(&self) -> String {
        let namespace = self.api.namespace().unwrap_or_default();
        format!("pod {namespace}/{} container {}", self.pod, self.container)
    }
}

/// Runs `command` in `target`, feeding it `stdin` when given, for at most a minute. `what`
/// (`copying files into <target>`) heads the error. Errors: `SYNC_UNKNOWN` when the command
/// fails (with its status and stderr; the check-image suggestion when the image lacks the
/// program), or the API's own code when the exec cannot start.
pub(crate) async fn run(
    target: &Target,
    command: &[String],
    stdin: Option<&[u8]>,
    what: &str,
) -> Result<(), DeployError> {
    let mut stderr = Vec::new();
    let io = Io::Feed {
        stdin,
        stderr: &mut stderr,
    };
    let status = exchange(
        target,
        command,
        io,
        what,
        Some(COMMAND_TIMEOUT),
        StatusCode::SyncUnknown,
    )
    .await?;
    let stderr = String::from_utf8_lossy(&stderr).trim().to_owned();
    match status {
        Some(status) if succeeded(&status) => Ok(()),
        Some(status) => {
            let message = status.message.unwrap_or_default();
            Err(failed(what, &command[0], &message, &stderr))
        }
        None => Err(failed(
            what,
            &command[0],
            "the exec connection closed without an exit status",
            &stderr,
        )),
    }
}

/// Runs a lifecycle hook's `command` in `target` (sync and deploy hooks), showing each line it
/// writes as a line of the container's log (`prefix`) through `sink` as it comes. A failure is
/// Skaffold's `hook execution failed for pod "<pod>" container "<container>": <why>` with
/// `code` (the API's own code when the exec cannot start).
pub(crate) async fn run_hook(
    target: &Target,
    command: &[String],
    prefix: LogPrefix,
    sink: &LineSink,
    code: StatusCode,
) -> Result<(), DeployError> {
    let what = format!(
        "hook execution failed for pod {} container {}",
        go_quote(&target.pod),
        go_quote(&target.container)
    );
    let format = LineFormat::for_pod(&target.pod, &target.container, prefix, None);
    let on_line = |line: &str| sink.emit(&format, line);
    run_streamed(target, command, &on_line, &what, code)
        .await?
        .map_err(|why| DeployError::new(code, format!("{what}: {why}")))
}

/// Runs `command` in `target` with no stdin and no time limit, handing each line it writes to
/// stdout or stderr (newline included; a last unterminated line gets one) to `on_line` as it
/// arrives. `what` heads the error of an exec that cannot start (the API's code, else
/// `code`). Returns how the command ended: `Ok` once it succeeded, else why not in the
/// words of Go's `exec` (`exit status 3`, or the kubelet's message).
async fn run_streamed(
    target: &Target,
    command: &[String],
    on_line: &(dyn Fn(&str) + Sync),
    what: &str,
    code: StatusCode,
) -> Result<Result<(), String>, DeployError> {
    let status = exchange(target, command, Io::Lines(on_line), what, None, code).await?;
    Ok(match status {
        Some(status) if succeeded(&status) => Ok(()),
        Some(status) => Err(exit_description(status)),
        None => Err("the exec connection closed without an exit status".to_owned()),
    })
}

/// What an exec is given and what becomes of its output.
enum Io<'a> {
    /// `stdin` fed when given; stderr collected into `stderr`; stdout not attached.
    Feed {
        stdin: Option<&'a [u8]>,
        stderr: &'a mut Vec<u8>,
    },
    /// No stdin; the lines of stdout and stderr handed on as they arrive.
    Lines(&'a (dyn Fn(&str) + Sync)),
}

/// Runs `command` in `target` with `io`, within `limit` when given, and returns the status the
/// kubelet sent last (`None` when the connection closed without one).
async fn exchange(
    target: &Target,
    command: &[String],
    io: Io<'_>,
    what: &str,
    limit: Option<Duration>,
    code: StatusCode,
) -> Result<Option<Status>, DeployError> {
    let (stdin, lines) = match &io {
        Io::Feed { stdin, .. } => (*stdin, false),
        Io::Lines(_) => (None, true),
    };
    let params = AttachParams::default()
        .container(target.container.as_str())
        .stdin(stdin.is_some())
        .stdout(lines)
        .stderr(true);
    let mut process = target
        .api
        .exec(&target.pod, command.to_vec(), &params)
        .await
        .map_err(|e| api_error(what, &e, code))?;
    let status = process.take_status();
    let input = process.stdin();
    let (stdout, stderr) = (process.stdout(), process.stderr());
    let feed = async {
        if let (Some(mut writer), Some(bytes)) = (input, stdin) {
            // A command that exits early stops reading; its status says why.
            let _ = writer.write_all(bytes).await;
            let _ = writer.shutdown().await;
        }
    };
    let drain = async {
        match io {
            Io::Feed { stderr: kept, .. } => {
                if let Some(mut reader) = stderr {
                    let _ = reader.read_to_end(kept).await;
                }
            }
            Io::Lines(on_line) => {
                tokio::join!(hand_on(stdout, on_line), hand_on(stderr, on_line));
            }
        }
    };
    let exchange = async {
        tokio::join!(feed, drain);
        match status {
            Some(status) => status.await,
            None => None,
        }
    };
    let ended = match limit {
        Some(limit) => tokio::time::timeout(limit, exchange).await.map_err(|_| {
            process.abort();
            DeployError::new(
                StatusCode::SyncUnknown,
                format!(
                    "{what}: {} did not finish within {}s",
                    command[0],
                    limit.as_secs()
                ),
            )
        })?,
        None => exchange.await,
    };
    if let Err(e) = process.join().await {
        tracing::debug!("{what}: the exec connection ended with {e}");
    }
    Ok(ended)
}

/// Hands each line read from `pipe` to `on_line`, newline included.
async fn hand_on(pipe: Option<impl AsyncRead + Unpin>, on_line: &(dyn Fn(&str) + Sync)) {
    let Some(pipe) = pipe else { return };
    let mut reader = BufReader::new(pipe);
    let mut line = Vec::new();
    while matches!(reader.read_until(b'\n', &mut line).await, Ok(n) if n > 0) {
        if line.last() != Some(&b'\n') {
            line.push(b'\n');
        }
        on_line(&String::from_utf8_lossy(&line));
        line.clear();
    }
}

/// Whether the kubelet reported the command's success.
fn succeeded(status: &Status) -> bool {
    status.status.as_deref() == Some("Success")
}

/// Why a command failed, as Go's `exec` says it: `exit status <code>` when the kubelet names the
/// exit code, else its message.
fn exit_description(status: Status) -> String {
    let causes = status.details.and_then(|d| d.causes).unwrap_or_default();
    match causes
        .into_iter()
        .find(|c| c.reason.as_deref() == Some("ExitCode"))
    {
        Some(cause) => format!("exit status {}", cause.message.unwrap_or_default()),
        None => status.message.unwrap_or_else(|| "exec failed".to_owned()),
    }
}

/// The error of a command that ran and failed (or could not be started by the runtime).
fn failed(what: &str, program: &str, status: &str, stderr: &str) -> DeployError {
    let mut message = format!("{what}: {status}");
    if !stderr.is_empty() {
        message.push_str(&format!(": {stderr}"));
    }
    let error = DeployError::new(StatusCode::SyncUnknown, message);
    if status.contains("executable file not found") {
        error.suggest(
            SuggestionCode::CheckContainerImage,
            format!("Add {program} to the image so files can be synced into its containers."),
        )
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_program_suggests_fixing_the_image() {
        let err = failed(
            "copying files into pod default/web container app",
            "tar",
            "error executing command in container: exec: \"tar\": executable file not found in $PATH",
            "",
        );
        assert_eq!(err.code, StatusCode::SyncUnknown);
        assert_eq!(
            err.suggestion
                .map(|(code, action)| (code, action.contains("tar"))),
            Some((SuggestionCode::CheckContainerImage, true))
        );
    }

    #[test]
    fn a_failed_hook_is_described_by_its_exit_code() {
        let status = |value| serde_json::from_value::<Status>(value).unwrap();
        let exited = status(serde_json::json!({
            "status": "Failure", "message": "command terminated with non-zero exit code",
            "details": {"causes": [{"reason": "ExitCode", "message": "3"}]},
        }));
        assert_eq!(exit_description(exited), "exit status 3");
        let other = status(serde_json::json!({"status": "Failure", "message": "no shell"}));
        assert_eq!(exit_description(other), "no shell");
    }

    #[test]
    fn a_failed_command_names_its_stderr() {
        let err = failed(
            "deleting files in x",
            "rm",
            "exit code 1",
            "rm: cannot remove",
        );
        assert_eq!(
            err.message,
            "deleting files in x: exit code 1: rm: cannot remove"
        );
        assert_eq!(err.suggestion, None);
    }
}
