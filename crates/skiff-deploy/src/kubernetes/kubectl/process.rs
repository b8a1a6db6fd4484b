//! One run of `kubectl` with manifests on its standard input: every line it prints, on standard
//! output or standard error, is shown as deploy output behind Skaffold's ` - ` prefix as it
//! comes, and standard error is also kept for the error message. The process inherits skiff's
//! environment (as Skaffold's kubectl does) and is killed if the run is dropped.

use std::path::Path;
use std::process::Stdio;

use skiff_events::exit_status::describe_exit;
use skiff_events::{Output, Phase};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};

/// How a kubectl run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Ended {
    /// Whether it exited with status 0.
    pub(super) success: bool,
    /// Go's spelling of how it ended (`exit status 1`).
    pub(super) status: String,
    /// Everything it wrote to standard error.
    pub(super) stderr: String,
}

/// Runs `program args…` with `input` on standard input, streaming its lines to `output`.
pub(super) async fn run(
    program: &Path,
    args: &[String],
    input: &[u8],
    output: &Output,
) -> std::io::Result<Ended> {
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let feed = async {
        if let Some(mut pipe) = stdin {
            // kubectl may exit without reading everything (bad flags): not an error of ours.
            let _ = pipe.write_all(input).await;
        }
    };
    let ((), _, stderr) = tokio::join!(feed, show(stdout, output), show(stderr, output));
    let status = child.wait().await?;
    Ok(Ended {
        success: status.success(),
        status: describe_exit(&status),
        stderr,
    })
}

/// Shows `pipe`'s lines as deploy output as they come, and returns them all.
async fn show(pipe: Option<impl AsyncRead + Unpin>, output: &Output) -> String {
    let mut seen = String::new();
    let Some(pipe) = pipe else { return seen };
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        output.phase(Phase::Deploy, &format!(" - {line}\n"));
        seen.push_str(&line);
        seen.push('\n');
    }
    seen
}

#[cfg(all(test, unix))]
mod tests {
    use skiff_testenv::recorded_output;

    use super::*;

    #[tokio::test]
    async fn lines_of_both_streams_are_shown_and_stderr_is_kept() {
        let (output, printed) = recorded_output();
        let script = "read x; echo \"got $x\"; echo bad >&2; exit 2".to_string();
        let ended = run(
            Path::new("/bin/sh"),
            &["-c".to_string(), script],
            b"in\n",
            &output,
        )
        .await
        .unwrap();
        assert_eq!(
            ended,
            Ended {
                success: false,
                status: "exit status 2".into(),
                stderr: "bad\n".into(),
            }
        );
        let text = printed.text();
        assert!(text.contains(" - got in\n"), "{text}");
        assert!(text.contains(" - bad\n"), "{text}");
    }
}
