//! One command run to its end in a container over the exec API (`pods/exec`), as `kubectl
//! exec -i` runs it: stdin fed and closed, stderr kept for the error, the exit read from the
//! status the kubelet sends last.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::AttachParams;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::error::DeployError;
use crate::kubernetes::client::api_error;

/// How long one command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// One container of one pod.
#[derive(Debug, Clone)]
pub(super) struct Target {
    /// The pods of the pod's namespace.
    pub(super) api: Api<Pod>,
    /// The pod.
    pub(super) pod: String,
    /// The container.
    pub(super) container: String,
}

impl Target {
    /// `pod <namespace>/<pod> container <container>`, for messages.
    pub(super) fn describe(&self) -> String {
        let namespace = self.api.namespace().unwrap_or_default();
        format!("pod {namespace}/{} container {}", self.pod, self.container)
    }
}

/// Runs `command` in `target`, feeding it `stdin` when
/// given. `what` (`copying files into <target>`) heads the error. Errors: `SYNC_UNKNOWN` when
/// the command fails (with its status and stderr; the check-image suggestion when the image
/// lacks the program), or the API's own code when the exec cannot start.
pub(super) async fn run(
    target: &Target,
    command: &[String],
    stdin: Option<&[u8]>,
    what: &str,
) -> Result<(), DeployError> {
    let params = AttachParams::default()
        .container(target.container.as_str())
        .stdin(stdin.is_some())
        .stdout(false)
        .stderr(true);
    let mut process = target
        .api
        .exec(&target.pod, command.to_vec(), &params)
        .await
        .map_err(|e| api_error(what, &e, StatusCode::SyncUnknown))?;
    let status = process.take_status();
    let input = process.stdin();
    let output = process.stderr();
    let feed = async {
        if let (Some(mut writer), Some(bytes)) = (input, stdin) {
            // A command that exits early stops reading; its status says why.
            let _ = writer.write_all(bytes).await;
            let _ = writer.shutdown().await;
        }
    };
    let drain = async {
        let mut text = Vec::new();
        if let Some(mut reader) = output {
            let _ = reader.read_to_end(&mut text).await;
        }
        String::from_utf8_lossy(&text).trim().to_owned()
    };
    let exchange = async {
        let ((), stderr) = tokio::join!(feed, drain);
        let status = match status {
            Some(status) => status.await,
            None => None,
        };
        (status, stderr)
    };
    let (status, stderr) = tokio::time::timeout(COMMAND_TIMEOUT, exchange)
        .await
        .map_err(|_| {
            process.abort();
            DeployError::new(
                StatusCode::SyncUnknown,
                format!(
                    "{what}: {} did not finish within {}s",
                    command[0],
                    COMMAND_TIMEOUT.as_secs()
                ),
            )
        })?;
    if let Err(e) = process.join().await {
        tracing::debug!("{what}: the exec connection ended with {e}");
    }
    match status {
        Some(status) if status.status.as_deref() == Some("Success") => Ok(()),
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
