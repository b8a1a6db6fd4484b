//! The external tools renderers run (`helm`, `kubectl`, `kustomize`, `kpt`): finding them on the
//! `PATH` of the render's environment, saying how to install one that is missing, and running
//! one to get its standard output — or a [`RenderError`] carrying what it wrote to standard
//! error.
//!
//! Every tool runs with exactly the environment the caller passes (nothing is inherited), no
//! standard input unless given, and is killed if the render is cancelled.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use skiff_events::exit_status::describe_exit;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin};

use crate::RenderError;

/// A tool a renderer needs, and what to tell the user when it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tool {
    /// The executable's name (`helm`).
    pub binary: &'static str,
    /// The name used in messages (`Helm`).
    pub display: &'static str,
    /// Where to get it.
    pub install_link: &'static str,
    /// The code of the error when it is missing.
    pub missing_code: StatusCode,
    /// Skaffold's suggestion code for installing it, where there is one.
    pub install_code: Option<SuggestionCode>,
}

/// `helm` (Skaffold: `DEPLOY_HELM_VERSION_ERR`, `INSTALL_HELM`).
pub const HELM: Tool = Tool {
    binary: "helm",
    display: "Helm",
    install_link: "https://helm.sh/docs/intro/install",
    missing_code: StatusCode::DeployHelmVersionErr,
    install_code: Some(SuggestionCode::InstallHelm),
};

/// `kubectl` (Skaffold: `DEPLOY_KUBECTL_VERSION_ERR`, `INSTALL_KUBECTL`).
pub const KUBECTL: Tool = Tool {
    binary: "kubectl",
    display: "Kubectl",
    install_link: "https://kubernetes.io/docs/tasks/tools/install-kubectl",
    missing_code: StatusCode::DeployKubectlVersionErr,
    install_code: Some(SuggestionCode::InstallKubectl),
};

/// `kpt` (Skaffold has no code of its own for it).
pub const KPT: Tool = Tool {
    binary: "kpt",
    display: "kpt",
    install_link: "https://kpt.dev/installation/",
    missing_code: StatusCode::UnknownError,
    install_code: None,
};

impl Tool {
    /// Where the tool is on the `PATH` of `env`, if anywhere.
    pub fn find(&self, env: &BTreeMap<String, String>) -> Option<PathBuf> {
        find_on_path(self.binary, env)
    }

    /// Where the tool is, or the error saying it is missing and how to install it.
    pub fn locate(&self, env: &BTreeMap<String, String>) -> Result<PathBuf, RenderError> {
        self.find(env).ok_or_else(|| self.missing())
    }

    /// The error for a missing tool: `Helm not found` (Skaffold's wording), the `PATH` it was
    /// looked for on, and Skaffold's suggestion to install it.
    pub fn missing(&self) -> RenderError {
        let action = format!("Please install {} via {}", self.binary, self.install_link);
        let message = format!(
            "{} not found: no executable named {:?} on the PATH",
            self.display, self.binary
        );
        match self.install_code {
            Some(code) => RenderError::new(self.missing_code, message).suggest(code, action),
            None => RenderError::new(self.missing_code, format!("{message}. {action}")),
        }
    }
}

/// `binary` looked up like a shell does: in each directory of `env["PATH"]`, the first
/// executable file of that name. A name with a `/` is taken as a path.
pub fn find_on_path(binary: &str, env: &BTreeMap<String, String>) -> Option<PathBuf> {
    if binary.contains('/') {
        return is_executable(Path::new(binary)).then(|| PathBuf::from(binary));
    }
    let path = env.get("PATH")?;
    std::env::split_paths(path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(binary))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// One run of a tool.
#[derive(Debug, Clone)]
pub struct ToolCommand {
    /// The executable (as found by [`Tool::locate`]).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its whole environment.
    pub env: BTreeMap<String, String>,
    /// Its working directory; the current one when `None`.
    pub dir: Option<PathBuf>,
    /// What it reads on standard input; nothing when `None`.
    pub stdin: Option<Vec<u8>>,
}

impl ToolCommand {
    /// `program args…` with `env`, in the current directory, without input.
    pub fn new(program: PathBuf, args: Vec<String>, env: &BTreeMap<String, String>) -> Self {
        Self {
            program,
            args,
            env: env.clone(),
            dir: None,
            stdin: None,
        }
    }

    /// The command line for messages: `helm template r ./chart`, arguments with spaces quoted.
    pub fn command_line(&self) -> String {
        let name = self.program.file_name().map_or_else(
            || self.program.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        std::iter::once(name)
            .chain(self.args.iter().map(|a| quote_word(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the command to its end and returns what it printed on standard output. When it
    /// cannot be started or exits with a non-zero status, the error has `code`, starts with
    /// `context` and carries the tool's standard error (or, when that is empty, its standard
    /// output and exit status).
    pub async fn stdout(&self, code: StatusCode, context: &str) -> Result<String, RenderError> {
        let output = self
            .output()
            .await
            .map_err(|err| RenderError::new(code, format!("{context}: {err}")))?;
        if output.success {
            return Ok(output.stdout);
        }
        Err(RenderError::new(
            code,
            format!("{context}: {}", output.complaint()),
        ))
    }

    /// Runs the command to its end, capturing both output streams.
    pub async fn output(&self) -> Result<ToolOutput, std::io::Error> {
        let mut child = self.spawn().map_err(|err| {
            std::io::Error::new(
                err.kind(),
                format!("starting {}: {err}", self.program.display()),
            )
        })?;
        let feed = self.feed(child.stdin.take());
        let (_, out) = tokio::join!(feed, child.wait_with_output());
        let out = out?;
        Ok(ToolOutput {
            success: out.status.success(),
            status: describe_exit(&out.status),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }

    /// Starts the command with exactly its environment, in its directory, with both output
    /// streams piped and standard input piped when it has input (closed otherwise); the child is
    /// killed when dropped. Hand its `stdin` to [`ToolCommand::feed`].
    pub(crate) fn spawn(&self) -> std::io::Result<Child> {
        let mut cmd = tokio::process::Command::new(&self.program);
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        if let Some(dir) = &self.dir {
            cmd.current_dir(dir);
        }
        cmd.spawn()
    }

    /// Writes the command's input into `pipe`, the standard input of the child
    /// [`ToolCommand::spawn`] started, and closes it. A program that exits without reading all
    /// of its input is not an error.
    pub(crate) async fn feed(&self, pipe: Option<ChildStdin>) {
        if let (Some(mut pipe), Some(input)) = (pipe, &self.stdin) {
            let _ = pipe.write_all(input).await;
        }
    }
}

/// What a tool printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    /// Whether it exited with status 0.
    pub success: bool,
    /// How it ended, in Go's words (`exit status 1`, `signal: killed`).
    pub status: String,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl ToolOutput {
    /// What a failed tool said: its standard error, else its standard output, else its exit
    /// status.
    pub fn complaint(&self) -> String {
        [self.stderr.trim(), self.stdout.trim()]
            .into_iter()
            .find(|s| !s.is_empty())
            .map_or_else(|| self.status.clone(), str::to_string)
    }
}

/// A word of a command line for messages, quoted when it has spaces or quotes or is empty.
pub fn quote_word(word: &str) -> String {
    if word.is_empty() || word.contains(char::is_whitespace) || word.contains(['"', '\'']) {
        format!("{word:?}")
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{assert_contains, assert_starts_with};

    fn env_with_path(path: &str) -> BTreeMap<String, String> {
        BTreeMap::from([("PATH".to_string(), path.to_string())])
    }

    #[test]
    fn find_walks_the_path_of_the_given_environment() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("mytool");
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        let tool = Tool {
            binary: "mytool",
            ..HELM
        };
        assert_eq!(tool.find(&BTreeMap::new()), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Not executable yet: not found.
            let path = format!("/nonexistent:{}", dir.path().display());
            assert_eq!(tool.find(&env_with_path(&path)), None);
            std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
            assert_eq!(tool.find(&env_with_path(&path)), Some(bin));
        }
    }

    #[test]
    fn a_missing_tool_is_named_with_how_to_install_it() {
        let err = HELM.locate(&env_with_path("/nonexistent")).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmVersionErr);
        assert_starts_with(&err.message, "Helm not found");
        assert_eq!(
            err.suggestion,
            Some((
                SuggestionCode::InstallHelm,
                "Please install helm via https://helm.sh/docs/intro/install".to_string()
            ))
        );
        let kpt = KPT.missing();
        assert_contains(&kpt.message, "https://kpt.dev/installation/");
        assert_eq!(kpt.suggestion, None);
    }

    #[test]
    fn command_lines_quote_words_with_spaces() {
        let cmd = ToolCommand::new(
            PathBuf::from("/usr/bin/helm"),
            vec!["template".into(), "a b".into(), String::new()],
            &BTreeMap::new(),
        );
        assert_eq!(cmd.command_line(), "helm template \"a b\" \"\"");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn stdout_is_returned_and_failures_carry_stderr() {
        let env = env_with_path("/usr/bin:/bin");
        let sh = find_on_path("sh", &env).expect("sh on PATH");
        let mut ok = ToolCommand::new(
            sh.clone(),
            vec!["-c".into(), "cat; echo \"$X\"".into()],
            &env,
        );
        ok.env.insert("X".into(), "from-env".into());
        ok.stdin = Some(b"in:".to_vec());
        assert_eq!(
            ok.stdout(StatusCode::UnknownError, "ctx").await.unwrap(),
            "in:from-env\n"
        );

        let fail = ToolCommand::new(
            sh.clone(),
            vec!["-c".into(), "echo out; echo boom >&2; exit 3".into()],
            &env,
        );
        let err = fail
            .stdout(StatusCode::DeployHelmUserErr, "rendering")
            .await
            .unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmUserErr);
        assert_eq!(err.message, "rendering: boom");

        let silent = ToolCommand::new(sh, vec!["-c".into(), "exit 4".into()], &env);
        let err = silent
            .stdout(StatusCode::UnknownError, "x")
            .await
            .unwrap_err();
        assert_eq!(err.message, "x: exit status 4");
    }

    #[tokio::test]
    async fn a_program_that_cannot_start_is_an_error_naming_it() {
        let cmd = ToolCommand::new(PathBuf::from("/nonexistent/tool"), vec![], &BTreeMap::new());
        let err = cmd
            .stdout(StatusCode::UnknownError, "running tool")
            .await
            .unwrap_err();
        assert_starts_with(&err.message, "running tool: starting /nonexistent/tool:");
    }
}
