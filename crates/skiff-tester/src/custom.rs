//! Custom tests (`test[].custom[]`, Skaffold's `pkg/skaffold/test/custom`): a host command run
//! after the image is built, which passes when it exits with status 0.
//!
//! The command is a Go template over the environment, run as `sh -c <command>` (`cmd.exe /C` on
//! Windows) in the test case's `context`, with no standard input. Its environment is, in this
//! order: `IMAGE` (the built reference), `TEST_CONTEXT` (the absolute context directory), skiff's
//! own environment, then the extra variables of the engine the image was built into (see
//! [`engine_env`]). As in Skaffold (Go keeps the last of duplicate variables) a later entry wins.
//! Its output is handed on line by line; with `timeoutSeconds` the command is killed with every
//! process it started once the time is up.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use skiff_build::builder::BuildOutput;
use skiff_build::custom::process::{self, RunError};
use skiff_build::custom::{DEFAULT_DEPENDENCIES_TIMEOUT, list_files};
use skiff_build::go_quote;
use skiff_config::model::{CustomTest, CustomTestDependencySource};
use skiff_config::template;
use skiff_docker::{DEFAULT_HOST, Engine};
use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::error::TestError;

/// A shell command: `sh -c <command>`, or `cmd.exe /C <command>` on Windows.
fn shell(command: &str) -> (&'static str, [&str; 2]) {
    if cfg!(windows) {
        ("cmd.exe", ["/C", command])
    } else {
        ("sh", ["-c", command])
    }
}

/// `path` made absolute against the current directory, with `.` and `..` removed lexically
/// (Go's `filepath.Abs`).
fn absolute(path: &Path) -> io::Result<PathBuf> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    let mut clean = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                clean.pop();
            }
            other => clean.push(other),
        }
    }
    Ok(clean)
}

/// The variables that point a command at `engine` when it is not the one skiff's own
/// environment names (`DOCKER_HOST`, or the default socket): Skaffold's `ExtraEnv` of the local
/// daemon, so that `docker run $IMAGE` finds the image that was just built.
pub fn engine_env(engine: &Engine) -> Vec<(String, String)> {
    let configured = std::env::var("DOCKER_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    if engine.host() == configured {
        Vec::new()
    } else {
        vec![("DOCKER_HOST".to_owned(), engine.host().to_owned())]
    }
}

/// One custom test of a built image.
#[derive(Debug, Clone, Copy)]
pub struct CustomTestRun<'a> {
    /// The test as configured.
    pub test: &'a CustomTest,
    /// The test case's context directory (`test[].context` joined to the base directory).
    pub workspace: &'a Path,
    /// The built reference (`name:tag`, `name:tag@sha256:…`), the command's `IMAGE`.
    pub image: &'a str,
    /// Variables set after the process environment (see [`engine_env`]).
    pub extra_env: &'a [(String, String)],
}

impl CustomTestRun<'_> {
    /// Runs the command to its end, writing `Running custom test command: …`, the command's
    /// output and how it ended to `output`.
    ///
    /// Fails with Skaffold's codes: `TEST_CUSTOM_CMD_PARSE_ERR` (the template does not expand),
    /// `TEST_CUSTOM_CMD_RETRIEVE_ERR` (no absolute context), `TEST_CUSTOM_CMD_RUN_ERR` (the
    /// shell could not be started), `TEST_CUSTOM_CMD_RUN_NON_ZERO_EXIT_ERR`,
    /// `TEST_CUSTOM_CMD_RUN_TIMEDOUT_ERR` and `TEST_CUSTOM_CMD_RUN_EXITED_ERR` (killed by a
    /// signal). Dropping the future kills the command with everything it started.
    pub async fn run(&self, output: &dyn BuildOutput) -> Result<(), TestError> {
        let configured = &self.test.command;
        let command = template::expand_env_template(configured, &BTreeMap::new()).map_err(|e| {
            TestError::new(
                StatusCode::TestCustomCmdParseErr,
                format!("unable to parse test command {configured}: {e}"),
            )
            .suggest(
                SuggestionCode::CheckCustomCommand,
                format!(
                    "Check the custom command contents: {}",
                    go_quote(configured)
                ),
            )
        })?;
        let timeout = u64::try_from(self.test.timeout_seconds)
            .ok()
            .filter(|&s| s > 0)
            .map(std::time::Duration::from_secs);
        let quoted = go_quote(&command);
        match timeout {
            None => output.write(&format!("Running custom test command: {quoted}\n")),
            Some(limit) => output.write(&format!(
                "Running custom test command: {quoted} with timeout {} s\n",
                limit.as_secs()
            )),
        }

        let context = absolute(self.workspace).map_err(|e| {
            TestError::new(
                StatusCode::TestCustomCmdRetrieveErr,
                format!("retrieving cmd {command}: getting context for test: {e}"),
            )
            .suggest(
                SuggestionCode::CheckTestCommandAndImageName,
                format!(
                    "Check the image name: {} and the command: {quoted}",
                    go_quote(self.image)
                ),
            )
        })?;
        let (program, args) = shell(&command);
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(args)
            .env_clear()
            .env("IMAGE", self.image)
            .env("TEST_CONTEXT", &context)
            .envs(std::env::vars_os())
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .current_dir(&context);

        match process::run_streamed(cmd, output, timeout).await {
            Ok(done) if done.status.success() => {
                output.write("Command finished successfully.\n");
                Ok(())
            }
            Ok(done) if done.status.code().is_some() => {
                output.write("Command finished with non-0 exit code.\n");
                Err(TestError::new(
                    StatusCode::TestCustomCmdRunNonZeroExitErr,
                    format!(
                        "command {command} finished with non-0 exit code: {}",
                        process::describe_status(&done.status)
                    ),
                )
                .suggest(
                    SuggestionCode::CheckCustomCommand,
                    format!("Check the custom command contents: {quoted}"),
                ))
            }
            Ok(done) => Err(TestError::new(
                StatusCode::TestCustomCmdRunExitedErr,
                format!("command exited: {}", process::describe_status(&done.status)),
            )),
            Err(RunError::TimedOut { .. }) => {
                output.write("Command timed out\n");
                Err(TestError::new(
                    StatusCode::TestCustomCmdRunTimedoutErr,
                    "command timed out: context deadline exceeded",
                )
                .suggest(
                    SuggestionCode::FixCustomCommandTimeout,
                    format!(
                        "Fix the custom command timeoutSeconds: {}",
                        self.test.timeout_seconds
                    ),
                ))
            }
            Err(RunError::Spawn(e) | RunError::Wait(e)) => Err(TestError::new(
                StatusCode::TestCustomCmdRunErr,
                format!("error running cmd: {e}"),
            )),
        }
    }
}

/// The files a custom test depends on, for the watcher: a change to one of them re-runs the
/// test (Skaffold's `TestDependencies`).
///
/// - `dependencies.paths`: the files under the paths matching the globs, minus `ignore`,
///   relative to `workspace` (a glob that matches nothing is an error).
/// - `dependencies.command`: run with `sh -c` in skiff's working directory (as Skaffold does;
///   killed after a minute); it must print a JSON array of paths, returned as printed.
/// - no `dependencies`: none.
pub fn custom_test_dependencies(
    test: &CustomTest,
    workspace: &Path,
) -> Result<Vec<PathBuf>, TestError> {
    let Some(deps) = &test.dependencies else {
        return Ok(Vec::new());
    };
    match &deps.source {
        Some(CustomTestDependencySource::Command(command)) if !command.is_empty() => {
            command_dependencies(command)
        }
        Some(CustomTestDependencySource::Paths(paths)) => {
            list_files(workspace, paths, &deps.ignore).map_err(|e| {
                TestError::new(
                    StatusCode::TestUserConfigErr,
                    format!(
                        "listing the dependencies of custom test {}: {e}",
                        go_quote(&test.command)
                    ),
                )
            })
        }
        _ => Ok(Vec::new()),
    }
}

/// Runs a `dependencies.command` and parses the JSON array it prints.
fn command_dependencies(command: &str) -> Result<Vec<PathBuf>, TestError> {
    let failed = |detail: String| {
        TestError::new(
            StatusCode::TestCustomDependenciesCmdErr,
            format!("getting dependencies from command: {command}: {detail}"),
        )
        .suggest(
            SuggestionCode::CheckCustomCommandDependenciesCmd,
            format!(
                "Check the custom command dependencies command: {}",
                go_quote(command)
            ),
        )
    };
    let (program, args) = shell(command);
    let mut cmd = std::process::Command::new(program);
    cmd.args(args);
    let captured = process::run_captured(cmd, DEFAULT_DEPENDENCIES_TIMEOUT)
        .map_err(|e| failed(format!("running [{program} {}]: {e}", args.join(" "))))?;
    if !captured.status.success() {
        return Err(failed(format!(
            "running [{program} {}]\n - stdout: {}\n - stderr: {}\n - cause: {}",
            args.join(" "),
            go_quote(&String::from_utf8_lossy(&captured.stdout)),
            go_quote(&String::from_utf8_lossy(&captured.stderr)),
            process::describe_status(&captured.status)
        )));
    }
    let listed: Option<Vec<String>> = serde_json::from_slice(&captured.stdout).map_err(|e| {
        TestError::new(
            StatusCode::TestCustomDependenciesUnmarshallErr,
            format!("unmarshalling dependency output into string array: {e}"),
        )
        .suggest(
            SuggestionCode::CheckCustomCommandDependenciesPaths,
            format!(
                "Check that the dependencies command {} prints a JSON array of paths",
                go_quote(command)
            ),
        )
    })?;
    Ok(listed
        .unwrap_or_default()
        .into_iter()
        .map(PathBuf::from)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_are_clean() {
        assert_eq!(
            absolute(Path::new("/a/./b/../c")).unwrap(),
            PathBuf::from("/a/c")
        );
        assert_eq!(
            absolute(Path::new("x")).unwrap(),
            std::env::current_dir().unwrap().join("x")
        );
    }
}
