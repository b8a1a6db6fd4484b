//! The `gitCommit` tag policy (`pkg/skaffold/tag/git_commit.go`), through the `git` CLI run in
//! the artifact's workspace.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use skiff_events::exit_status::describe_exit;

use crate::dockerfile::gopath::go_quote;

use super::{TagError, TagInput, Tagger, go_rel};

/// Docker's limit on tag length.
const MAX_TAG_LENGTH: usize = 128;

/// What the `gitCommit` tagger reads from git (`variant`, case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GitVariant {
    /// `Tags` (default, also `""`): `git describe --tags --always` — the closest tag, with
    /// `-N-g<abbrev>` when HEAD is past it, or the abbreviated commit when there is no tag.
    #[default]
    Tags,
    /// `CommitSha`: `git rev-list -1 HEAD`.
    CommitSha,
    /// `AbbrevCommitSha`: `git rev-list -1 HEAD --abbrev-commit`.
    AbbrevCommitSha,
    /// `TreeSha`: `git rev-parse HEAD:<workspace relative to the repo root>/`.
    TreeSha,
    /// `AbbrevTreeSha`: `git rev-parse --short HEAD:<workspace relative to the repo root>/`.
    AbbrevTreeSha,
    /// `Branches`: `git branch --show-current`, falling back to `AbbrevCommitSha` when that
    /// command fails. (Accepted by Skaffold although the schema does not list it.)
    Branches,
}

impl GitVariant {
    /// Parses a `variant` value as Skaffold does (case-insensitive; `""` is `Tags`).
    pub fn parse(variant: &str) -> Option<GitVariant> {
        Some(match variant.to_lowercase().as_str() {
            "" | "tags" => GitVariant::Tags,
            "commitsha" => GitVariant::CommitSha,
            "abbrevcommitsha" => GitVariant::AbbrevCommitSha,
            "treesha" => GitVariant::TreeSha,
            "abbrevtreesha" => GitVariant::AbbrevTreeSha,
            "branches" => GitVariant::Branches,
            _ => return None,
        })
    }
}

/// A failed git invocation. `Display` follows Skaffold's command errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// git ran and exited unsuccessfully.
    #[error(
        "running [{}]\n - stdout: {}\n - stderr: {}\n - cause: {cause}",
        args.join(" "),
        go_quote(&String::from_utf8_lossy(stdout)),
        go_quote(&String::from_utf8_lossy(stderr))
    )]
    Failed {
        /// `git` and its arguments.
        args: Vec<String>,
        /// What git printed on stdout.
        stdout: Vec<u8>,
        /// What git printed on stderr.
        stderr: Vec<u8>,
        /// `exit status N` or `signal: N`.
        cause: String,
    },
    /// git could not be started (not installed, workspace missing, ...).
    #[error("starting command {}: {source}", args.join(" "))]
    Start {
        /// `git` and its arguments.
        args: Vec<String>,
        /// The spawn error.
        source: std::io::Error,
    },
    /// The workspace could not be resolved to an absolute, symlink-free path (tree variants).
    #[error("{}: {source}", path.display())]
    Workspace {
        /// The workspace path.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The workspace is not below the repository root (tree variants).
    #[error("Rel: can't make {dir} relative to {root}")]
    Rel {
        /// The repository root.
        root: String,
        /// The workspace.
        dir: String,
    },
}

/// The `gitCommit` tagger.
#[derive(Clone, Default)]
pub struct GitCommitTagger {
    prefix: String,
    variant: GitVariant,
    ignore_changes: bool,
    env: Vec<(OsString, OsString)>,
}

impl fmt::Debug for GitCommitTagger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitCommitTagger")
            .field("prefix", &self.prefix)
            .field("variant", &self.variant)
            .field("ignore_changes", &self.ignore_changes)
            .finish_non_exhaustive()
    }
}

impl GitCommitTagger {
    /// Skaffold's `NewGitCommit`: fails for an unknown variant with
    /// `"X" is not a valid git tagger variant`.
    pub fn new(prefix: &str, variant: &str, ignore_changes: bool) -> Result<Self, TagError> {
        let variant = GitVariant::parse(variant)
            .ok_or_else(|| TagError::InvalidGitVariant(variant.to_string()))?;
        Ok(Self::with_variant(prefix, variant, ignore_changes))
    }

    /// A tagger for an already parsed variant.
    pub fn with_variant(prefix: &str, variant: GitVariant, ignore_changes: bool) -> Self {
        GitCommitTagger {
            prefix: prefix.to_string(),
            variant,
            ignore_changes,
            env: Vec::new(),
        }
    }

    /// Extra environment variables for every git invocation (e.g. `GIT_CONFIG_GLOBAL`); the
    /// process environment is inherited otherwise.
    pub fn with_git_env<I, K, V>(mut self, env: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        self.env
            .extend(env.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The variant.
    pub fn variant(&self) -> GitVariant {
        self.variant
    }

    fn git(&self, dir: &Path, args: &[&str]) -> Result<String, GitError> {
        let out = self.git_raw(dir, args)?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    fn git_raw(&self, dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
        let mut all = vec!["git".to_string()];
        all.extend(args.iter().map(|a| a.to_string()));
        let mut cmd = Command::new("git");
        cmd.args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        if !dir.as_os_str().is_empty() {
            cmd.current_dir(dir);
        }
        let out = cmd.output().map_err(|source| GitError::Start {
            args: all.clone(),
            source,
        })?;
        if !out.status.success() {
            return Err(GitError::Failed {
                args: all,
                stdout: out.stdout,
                stderr: out.stderr,
                cause: describe_exit(&out.status),
            });
        }
        Ok(trim_space(&out.stdout).to_vec())
    }

    /// The raw ref for the variant (before sanitising).
    fn reference(&self, dir: &Path) -> Result<Vec<u8>, GitError> {
        match self.variant {
            GitVariant::Tags => self.git_raw(dir, &["describe", "--tags", "--always"]),
            GitVariant::CommitSha => self.git_raw(dir, &["rev-list", "-1", "HEAD"]),
            GitVariant::AbbrevCommitSha => {
                self.git_raw(dir, &["rev-list", "-1", "HEAD", "--abbrev-commit"])
            }
            GitVariant::TreeSha => {
                let path = self.path_to_workdir(dir)?;
                self.git_raw(dir, &["rev-parse", &format!("HEAD:{path}/")])
            }
            GitVariant::AbbrevTreeSha => {
                let path = self.path_to_workdir(dir)?;
                self.git_raw(dir, &["rev-parse", "--short", &format!("HEAD:{path}/")])
            }
            GitVariant::Branches => match self.git_raw(dir, &["branch", "--show-current"]) {
                Ok(b) => Ok(b),
                Err(_) => self.git_raw(dir, &["rev-list", "-1", "HEAD", "--abbrev-commit"]),
            },
        }
    }

    /// Skaffold's `getGitPathToWorkdir`: the workspace relative to the repository root.
    fn path_to_workdir(&self, dir: &Path) -> Result<String, GitError> {
        let dir_or_cwd: PathBuf = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir.to_path_buf()
        };
        // git reports the top level with symlinks resolved, so resolve the workspace too.
        let abs = std::fs::canonicalize(&dir_or_cwd).map_err(|source| GitError::Workspace {
            path: dir_or_cwd.clone(),
            source,
        })?;
        let root = self.git(dir, &["rev-parse", "--show-toplevel"])?;
        let abs = abs.to_string_lossy().into_owned();
        go_rel(&root, &abs).ok_or(GitError::Rel { root, dir: abs })
    }
}

impl Tagger for GitCommitTagger {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        let dir = input.resolve_dir();
        let raw = self.reference(&dir).map_err(TagError::GitCommit)?;
        let reference = sanitize_tag_bytes(&raw);
        if !self.ignore_changes {
            let changes = self
                .git(&dir, &["status", ".", "--porcelain"])
                .map_err(TagError::GitStatus)?;
            if !changes.is_empty() {
                return Ok(format!("{}{reference}-dirty", self.prefix));
            }
        }
        Ok(format!("{}{reference}", self.prefix))
    }
}

/// Go's `bytes.TrimSpace` for ASCII white space (git prints ASCII around its output).
fn trim_space(b: &[u8]) -> &[u8] {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
    let start = b.iter().position(|c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_space(c))
        .map_or(start, |i| i + 1);
    &b[start..end]
}

/// Skaffold's `sanitizeTag`: turns a git ref into a valid Docker tag. Every character outside
/// `[a-zA-Z0-9-._]` becomes `_`, leading `-` and `.` become `_`, and the result is cut to 128
/// characters.
pub fn sanitize_tag(tag: &str) -> String {
    sanitize_tag_bytes(tag.as_bytes())
}

/// [`sanitize_tag`] over raw bytes: like Go's regexp, each byte of an invalid UTF-8 sequence is
/// one character.
fn sanitize_tag_bytes(tag: &[u8]) -> String {
    let mut out = String::with_capacity(tag.len());
    for chunk in tag.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                out.push(c);
            } else {
                out.push('_');
            }
        }
        for _ in chunk.invalid() {
            out.push('_');
        }
    }
    let leading = out.bytes().take_while(|b| matches!(b, b'-' | b'.')).count();
    if leading > 0 {
        out.replace_range(..leading, &"_".repeat(leading));
    }
    if out.len() > MAX_TAG_LENGTH {
        out.truncate(MAX_TAG_LENGTH);
        return out;
    }
    let original = String::from_utf8_lossy(tag);
    if original != out {
        tracing::warn!(
            "Using {} instead of {} as an image tag",
            go_quote(&out),
            go_quote(&original)
        );
    }
    out
}
