//! Build lifecycle hooks (`build.hooks` and `build.artifacts[].hooks`): host commands run before
//! and after a build (Skaffold's `pkg/skaffold/hooks`).
//!
//! Each hook's `command` is run directly (no shell: `command[0]` is looked up on `PATH`), in its
//! `dir` (skiff's current directory when empty), with no standard input. A hook whose `os` list
//! does not contain the host's OS (Go's names: `linux`, `darwin`, `windows`, …) is skipped.
//! Hooks run one after the other; the first failure stops the phase. Their output goes to the
//! build output line by line, between `Starting pre-build hooks...` and
//! `Completed pre-build hooks` (or `post-build`).
//!
//! Environment, in this order (see [`BuildHookEnv::vars`]), then skiff's own environment, which
//! wins on duplicates as in Skaffold:
//!
//! | variable | value |
//! |---|---|
//! | `SKAFFOLD_DEFAULT_REPO` | `--default-repo`, only when set |
//! | `SKAFFOLD_MULTI_LEVEL_REPO` | `true`/`false`, only when known |
//! | `SKAFFOLD_RPC_PORT` | the gRPC port, only when the API runs |
//! | `SKAFFOLD_HTTP_PORT` | the HTTP port, only when the API runs |
//! | `SKAFFOLD_WORK_DIR` | skiff's working directory |
//! | `SKAFFOLD_IMAGE` | the full reference being built |
//! | `SKAFFOLD_PUSH_IMAGE` | `true`/`false` |
//! | `SKAFFOLD_IMAGE_REPO` | the reference's repository: everything before the last `/` of its name (`gcr.io/foo` for `gcr.io/foo/img:1`; empty for `img:1`) |
//! | `SKAFFOLD_IMAGE_TAG` | the tag |
//! | `SKAFFOLD_BUILD_CONTEXT` | the artifact's absolute context directory |
//!
//! Pipeline-level hooks (`build.hooks`) get the same variables with the per-image ones empty
//! (`SKAFFOLD_PUSH_IMAGE=false`), as in Skaffold.
//!
//! Sync hooks (skiff-deploy) run their host hooks through [`run_host_hook`] too, with
//! [`StaticHookEnv::vars`] and [`build_context`].

use std::fmt;
use std::path::Path;
use std::time::Duration;

pub use skiff_config::hook_env::StaticHookEnv;
use skiff_config::model::HostHook;
use skiff_events::duration::go_duration;
use skiff_proto::enums::StatusCode;

use crate::builder::{BuildError, BuildOutput};
use crate::custom::image_repo_and_tag;
use crate::custom::process::{self, RunError};
use crate::dockerfile::gopath::clean;

/// Before or after the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookPhase {
    /// `hooks.before`: `pre-build`.
    Before,
    /// `hooks.after`: `post-build`.
    After,
}

impl HookPhase {
    /// The hooks of this phase.
    pub fn hooks(self, hooks: &skiff_config::model::BuildHooks) -> &[HostHook] {
        match self {
            HookPhase::Before => &hooks.before,
            HookPhase::After => &hooks.after,
        }
    }
}

impl fmt::Display for HookPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookPhase::Before => "pre-build",
            HookPhase::After => "post-build",
        })
    }
}

/// An artifact's context directory as hooks see it in `SKAFFOLD_BUILD_CONTEXT`: absolute
/// (relative ones start at the current directory) and cleaned, as Go's `filepath.Abs` makes it.
pub fn build_context(workspace: &Path) -> String {
    let joined = if workspace.is_absolute() {
        workspace.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(workspace))
            .unwrap_or_else(|_| workspace.to_path_buf())
    };
    clean(&joined.to_string_lossy())
}

/// The variables of build hooks (Skaffold's `BuildEnvOpts` plus the static ones).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildHookEnv {
    /// The run-wide variables.
    pub statics: StaticHookEnv,
    /// `SKAFFOLD_IMAGE`.
    pub image: String,
    /// `SKAFFOLD_PUSH_IMAGE`.
    pub push_image: bool,
    /// `SKAFFOLD_IMAGE_REPO`.
    pub image_repo: String,
    /// `SKAFFOLD_IMAGE_TAG`.
    pub image_tag: String,
    /// `SKAFFOLD_BUILD_CONTEXT`.
    pub build_context: String,
}

impl BuildHookEnv {
    /// The variables of an artifact's hooks: `image` is the full reference being built,
    /// `workspace` its context directory (made absolute).
    pub fn for_artifact(
        image: &str,
        push_image: bool,
        workspace: &Path,
        statics: StaticHookEnv,
    ) -> Self {
        let (name, tag) = image_repo_and_tag(image);
        let image_repo = name
            .rsplit_once('/')
            .map(|(repo, _)| repo.to_owned())
            .unwrap_or_default();
        Self {
            statics,
            image: image.to_owned(),
            push_image,
            image_repo,
            image_tag: tag,
            build_context: build_context(workspace),
        }
    }

    /// The variables of pipeline-level hooks (`build.hooks`): the per-image ones are empty.
    pub fn for_pipeline(statics: StaticHookEnv) -> Self {
        Self {
            statics,
            ..Self::default()
        }
    }

    /// The variables, in Skaffold's order, without the process environment.
    pub fn vars(&self) -> Vec<(String, String)> {
        let mut vars = self.statics.vars();
        vars.extend([
            ("SKAFFOLD_IMAGE".to_owned(), self.image.clone()),
            (
                "SKAFFOLD_PUSH_IMAGE".to_owned(),
                self.push_image.to_string(),
            ),
            ("SKAFFOLD_IMAGE_REPO".to_owned(), self.image_repo.clone()),
            ("SKAFFOLD_IMAGE_TAG".to_owned(), self.image_tag.clone()),
            (
                "SKAFFOLD_BUILD_CONTEXT".to_owned(),
                self.build_context.clone(),
            ),
        ]);
        vars
    }
}

/// The host's OS as Go's `runtime.GOOS` names it.
pub fn host_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// Whether a hook runs on this host: its `os` list is empty or names the host's OS.
pub fn runs_on_host(hook: &HostHook) -> bool {
    hook.os.is_empty() || hook.os.iter().any(|os| os == host_os())
}

/// How one host hook ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookOutcome {
    /// It ran and exited with status 0.
    Succeeded,
    /// Its `os` list excludes this host.
    Skipped,
}

/// A host hook that failed.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// `command` is empty.
    #[error("hook has no command")]
    NoCommand,
    /// The command could not be started or waited for.
    #[error("{0}")]
    Run(#[source] RunError),
    /// The command exited with a non-zero status (or was killed by a signal).
    #[error("{status}{}", process::tail_message(tail))]
    Failed {
        /// Go's spelling of how it ended: `exit status 3`, `signal: killed`.
        status: String,
        /// The exit code, if it exited.
        code: Option<i32>,
        /// The last output lines.
        tail: Vec<String>,
    },
    /// The command ran longer than allowed and was killed.
    #[error("timed out after {}{}", go_duration(*after), process::tail_message(tail))]
    TimedOut {
        /// The limit.
        after: Duration,
        /// The last output lines.
        tail: Vec<String>,
    },
}

/// Runs one host hook with `vars` (then the process environment, which wins on duplicates),
/// streaming its output to `output`. It is killed, with everything it started, when `timeout`
/// passes or the returned future is dropped.
pub async fn run_host_hook(
    hook: &HostHook,
    vars: &[(String, String)],
    output: &dyn BuildOutput,
    timeout: Option<Duration>,
) -> Result<HookOutcome, HookError> {
    if !runs_on_host(hook) {
        return Ok(HookOutcome::Skipped);
    }
    let (program, args) = hook.command.split_first().ok_or(HookError::NoCommand)?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args);
    cmd.env_clear();
    cmd.envs(vars.iter().map(|(k, v)| (k, v)));
    cmd.envs(std::env::vars_os());
    if !hook.dir.is_empty() {
        cmd.current_dir(&hook.dir);
    }
    match process::run_streamed(cmd, output, timeout).await {
        Ok(done) if done.status.success() => Ok(HookOutcome::Succeeded),
        Ok(done) => Err(HookError::Failed {
            status: process::describe_status(&done.status),
            code: done.status.code(),
            tail: done.tail,
        }),
        Err(RunError::TimedOut { after, tail }) => Err(HookError::TimedOut { after, tail }),
        Err(e) => Err(HookError::Run(e)),
    }
}

/// Runs the hooks of one build phase in order (Skaffold's `RunPreHooks`/`RunPostHooks`),
/// stopping at the first failure. See [`run_build_hooks_with_timeout`].
pub async fn run_build_hooks(
    phase: HookPhase,
    hooks: &[HostHook],
    env: &BuildHookEnv,
    output: &dyn BuildOutput,
) -> Result<(), BuildError> {
    run_build_hooks_with_timeout(phase, hooks, env, output, None).await
}

/// [`run_build_hooks`] with a limit on each hook's run time (Skaffold has none).
///
/// Output: `Starting pre-build hooks...`, the hooks' own lines, `Completed pre-build hooks`
/// (nothing at all when there are no hooks). A failure is a `BUILD_UNKNOWN` error naming the
/// phase and the command, with its exit status and last output lines; pipeline-level hooks
/// (an env from [`BuildHookEnv::for_pipeline`]) are reported as `running builder pre-hooks: …`
/// like Skaffold does.
pub async fn run_build_hooks_with_timeout(
    phase: HookPhase,
    hooks: &[HostHook],
    env: &BuildHookEnv,
    output: &dyn BuildOutput,
    timeout: Option<Duration>,
) -> Result<(), BuildError> {
    if hooks.is_empty() {
        return Ok(());
    }
    output.write(&format!("Starting {phase} hooks...\n"));
    let vars = env.vars();
    for hook in hooks {
        if let Err(e) = run_host_hook(hook, &vars, output, timeout).await {
            let scope = if env.image.is_empty() {
                format!("running builder {}-hooks: ", phase_word(phase))
            } else {
                String::new()
            };
            return Err(BuildError::new(
                StatusCode::BuildUnknown,
                format!(
                    "{scope}{phase} hook {} failed: {e}",
                    command_line(&hook.command)
                ),
            ));
        }
    }
    output.write(&format!("Completed {phase} hooks\n"));
    Ok(())
}

fn phase_word(phase: HookPhase) -> &'static str {
    match phase {
        HookPhase::Before => "pre",
        HookPhase::After => "post",
    }
}

/// A command for messages: `[sh -c "exit 1"]`-like, arguments with spaces quoted.
fn command_line(command: &[String]) -> String {
    let words: Vec<String> = command
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(char::is_whitespace) || w.contains('"') {
                format!("{w:?}")
            } else {
                w.clone()
            }
        })
        .collect();
    format!("[{}]", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_named_like_skaffold() {
        assert_eq!(HookPhase::Before.to_string(), "pre-build");
        assert_eq!(HookPhase::After.to_string(), "post-build");
    }

    #[test]
    fn commands_print_with_quotes_where_needed() {
        assert_eq!(
            command_line(&["sh".into(), "-c".into(), "exit 1".into()]),
            "[sh -c \"exit 1\"]"
        );
    }

    #[test]
    fn host_os_uses_go_names() {
        assert!(!host_os().is_empty());
        assert_ne!(host_os(), "macos");
    }
}
