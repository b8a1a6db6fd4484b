//! The source dependencies of a custom artifact (Skaffold's `custom.GetDependencies`): from a
//! Dockerfile, from the JSON output of a command, or from `paths` globs minus `ignore` globs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use skiff_config::model::{CustomArtifact, CustomDependencySource};
use skiff_config::template;
use skiff_events::duration::go_duration;

use super::doublestar::{self, BadPattern, Pattern};
use super::process::{self, RunError};
use crate::dockerfile::docker_dependencies;
use crate::dockerfile::gopath::{clean, go_quote};

/// How long a `dependencies.command` may run by default.
pub const DEFAULT_DEPENDENCIES_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the dependencies of a custom artifact could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum CustomDepsError {
    /// `dependencies.dockerfile`: a `buildArgs` template failed.
    #[error("unable to evaluate build args: {0}")]
    BuildArgs(#[source] template::TemplateError),
    /// `dependencies.dockerfile`: the Dockerfile analysis failed.
    #[error(transparent)]
    Dockerfile(#[from] crate::dockerfile::DepsError),
    /// `dependencies.command` could not be run or failed.
    #[error("getting dependencies from command: {}: {message}", go_quote(command))]
    Command {
        /// The command as configured.
        command: String,
        /// What went wrong, with the command's output.
        message: String,
    },
    /// `dependencies.command` printed something other than a JSON array of strings.
    #[error("unmarshalling dependency output into string array: {0}")]
    Unmarshal(#[source] serde_json::Error),
    /// `dependencies.paths`/`ignore`: a listing error.
    #[error(transparent)]
    List(#[from] ListError),
}

/// Why [`list_files`] failed (Skaffold's `list.Files`).
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// A `paths` or `ignore` pattern is malformed.
    #[error("invalid pattern {}: {source}", go_quote(pattern))]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The syntax error.
        source: BadPattern,
    },
    /// A `paths` pattern matched nothing.
    #[error("pattern {} did not match any file", go_quote(pattern))]
    NoMatch {
        /// The pattern.
        pattern: String,
    },
    /// Walking a matched directory failed (permissions, a file vanishing mid-walk).
    #[error("walking {}: {source}", go_quote(&path.to_string_lossy()))]
    Walk {
        /// The path matched by the pattern.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The workspace path could not be made absolute.
    #[error("could not get absolute path of workspace {}: {source}", go_quote(&workspace.to_string_lossy()))]
    Workspace {
        /// The workspace as given.
        workspace: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

/// The dependencies of a custom artifact, relative to `workspace` (or absolute, as a command
/// printed them), sorted.
///
/// - `dockerfile`: the files the Dockerfile's `COPY`/`ADD` use, like a docker artifact (build
///   args are templates over the environment).
/// - `command`: the command is split on single spaces (no shell), run in the workspace with the
///   process environment, and must print a JSON array of paths on standard output; it is killed
///   after `timeout`.
/// - `paths` (the default, `["."]`): files under the matching paths, minus `ignore`.
///
/// Without any source (`dependencies: {ignore: …}`) there are none, as in Skaffold.
pub fn custom_dependencies(
    custom: &CustomArtifact,
    workspace: &Path,
    timeout: Duration,
) -> Result<Vec<PathBuf>, CustomDepsError> {
    let default_paths = [".".to_owned()];
    let (source, ignore) = match &custom.dependencies {
        Some(deps) => (deps.source.as_ref(), deps.ignore.as_slice()),
        None => (None, &[][..]),
    };
    match source {
        Some(CustomDependencySource::Dockerfile(dockerfile)) => {
            let args =
                template::evaluate_env_template_map(&dockerfile.build_args, &BTreeMap::new())
                    .map_err(CustomDepsError::BuildArgs)?;
            Ok(docker_dependencies(workspace, &dockerfile.path, &args)?)
        }
        Some(CustomDependencySource::Command(command)) if !command.is_empty() => {
            command_dependencies(command, workspace, timeout)
        }
        Some(CustomDependencySource::Paths(paths)) => Ok(list_files(workspace, paths, ignore)?),
        // Skaffold's defaults set `paths: ["."]` when `dependencies` is missing.
        None if custom.dependencies.is_none() => Ok(list_files(workspace, &default_paths, &[])?),
        _ => Ok(list_files(workspace, &[], ignore)?),
    }
}

/// Runs a `dependencies.command` and parses its output.
fn command_dependencies(
    command: &str,
    workspace: &Path,
    timeout: Duration,
) -> Result<Vec<PathBuf>, CustomDepsError> {
    // Skaffold splits on single spaces: no quoting, and doubled spaces give empty arguments.
    let split: Vec<&str> = command.split(' ').collect();
    let mut cmd = std::process::Command::new(split[0]);
    cmd.args(&split[1..]).current_dir(workspace);
    let fail = |message: String| CustomDepsError::Command {
        command: command.to_owned(),
        message,
    };
    let captured = match process::run_captured(cmd, timeout) {
        Ok(captured) => captured,
        Err(RunError::TimedOut { after, tail }) => {
            return Err(fail(format!(
                "running {}: timed out after {}{}",
                go_args(&split),
                go_duration(after),
                process::tail_message(&tail)
            )));
        }
        Err(e) => return Err(fail(format!("{e}"))),
    };
    if !captured.status.success() {
        return Err(fail(format!(
            "running {}\n - stdout: {}\n - stderr: {}\n - cause: {}",
            go_args(&split),
            go_quote(&String::from_utf8_lossy(&captured.stdout)),
            go_quote(&String::from_utf8_lossy(&captured.stderr)),
            process::describe_status(&captured.status)
        )));
    }
    let listed: Option<Vec<String>> =
        serde_json::from_slice(&captured.stdout).map_err(CustomDepsError::Unmarshal)?;
    let set: BTreeSet<String> = listed
        .unwrap_or_default()
        .iter()
        .map(|p| clean(p))
        .collect();
    Ok(set.into_iter().map(PathBuf::from).collect())
}

/// Go's `%s` of a `[]string`: `[a b c]`.
fn go_args(args: &[&str]) -> String {
    format!("[{}]", args.join(" "))
}

/// Skaffold's `list.Files`: the files (not directories; symbolic links are listed, not
/// followed) under the paths matching `patterns` (doublestar globs relative to `workspace`),
/// leaving out every path matching one of `excludes` (an excluded directory is not walked).
/// Paths are relative to `workspace` (`../x` for matches outside it), sorted, without
/// duplicates. A pattern that matches nothing is an error.
pub fn list_files(
    workspace: &Path,
    patterns: &[String],
    excludes: &[String],
) -> Result<Vec<PathBuf>, ListError> {
    let workspace = absolute(workspace).map_err(|source| ListError::Workspace {
        workspace: workspace.to_path_buf(),
        source,
    })?;
    let compile = |pattern: &String| {
        Pattern::new(pattern).map_err(|source| ListError::BadPattern {
            pattern: pattern.clone(),
            source,
        })
    };
    let excludes = excludes
        .iter()
        .map(compile)
        .collect::<Result<Vec<_>, _>>()?;
    let walker = Walker {
        workspace: &workspace,
        excludes: &excludes,
    };
    let mut files = BTreeSet::new();
    for pattern in patterns {
        // Go's filepath.Join: the pattern joined to the workspace, cleaned.
        let joined = clean(&format!("{workspace}/{pattern}"));
        let matches = doublestar::glob(&joined).map_err(|source| ListError::BadPattern {
            pattern: pattern.clone(),
            source,
        })?;
        if matches.is_empty() {
            return Err(ListError::NoMatch {
                pattern: pattern.clone(),
            });
        }
        for path in matches {
            walker
                .walk(&path, &mut files)
                .map_err(|source| ListError::Walk {
                    path: path.clone(),
                    source,
                })?;
        }
    }
    Ok(files.into_iter().map(PathBuf::from).collect())
}

/// `path` made absolute against the current directory and cleaned, as a string.
fn absolute(path: &Path) -> io::Result<String> {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    Ok(clean(&joined.to_string_lossy()))
}

struct Walker<'a> {
    workspace: &'a str,
    excludes: &'a [Pattern],
}

impl Walker<'_> {
    fn excluded(&self, path: &Path) -> bool {
        let rel = relative(self.workspace, &path.to_string_lossy());
        self.excludes.iter().any(|p| p.matches(&rel))
    }

    fn record(&self, path: &Path, files: &mut BTreeSet<String>) {
        files.insert(relative(self.workspace, &path.to_string_lossy()));
    }

    /// Records the files at and under `path` (not following links), skipping excluded ones.
    fn walk(&self, path: &Path, files: &mut BTreeSet<String>) -> io::Result<()> {
        let meta = fs::symlink_metadata(path)?;
        if self.excluded(path) {
            return Ok(());
        }
        if !meta.is_dir() {
            self.record(path, files);
            return Ok(());
        }
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            let child = entry.path();
            if entry.file_type()?.is_dir() {
                self.walk(&child, files)?;
            } else if !self.excluded(&child) {
                self.record(&child, files);
            }
        }
        Ok(())
    }
}

/// Go's `filepath.Rel` for two clean absolute paths.
fn relative(base: &str, target: &str) -> String {
    let target = clean(target);
    if target == base {
        return ".".into();
    }
    let base_parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    let target_parts: Vec<&str> = target.split('/').filter(|p| !p.is_empty()).collect();
    let common = base_parts
        .iter()
        .zip(&target_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; base_parts.len() - common];
    parts.extend(&target_parts[common..]);
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_like_go() {
        assert_eq!(relative("/ws", "/ws"), ".");
        assert_eq!(relative("/ws", "/ws/a/b"), "a/b");
        assert_eq!(relative("/ws/app", "/ws/lib/x"), "../lib/x");
        assert_eq!(relative("/", "/a"), "a");
    }

    #[test]
    fn go_arg_lists() {
        assert_eq!(go_args(&["echo", "", "x"]), "[echo  x]");
    }
}
