//! Remote configs from git repositories, cached as Skaffold's `pkg/skaffold/git/gitutil.go` does,
//! through the system `git` program.
//!
//! Each repository and `ref` is cloned (shallow, `--depth 1`) into
//! `<cache>/<name>`, where `<cache>` is `--remote-cache-dir` (default
//! `$HOME/.skaffold/remote-cache`) and `<name>` is the first 32 characters of the URL-safe base64
//! of the SHA-256 of the JSON array `["<repo>","<ref>"]` (with the `ref` as written, possibly
//! empty), so skiff and Skaffold share clones. A `ref` that is not a branch or tag (a commit) is
//! checked out after a full-depth-1 clone of the default branch. Without `ref`, the default
//! branch is `master` if the remote has it, else `main`.
//!
//! An existing clone is synced on every use (`git fetch origin <ref>` then `git reset --hard
//! origin/<ref>`) unless the dependency says `sync: false` or `--sync-remote-cache` is `missing`
//! (clone when absent, never fetch) or `never` (never clone, never fetch).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// `--sync-remote-cache`: how the remote config cache is managed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SyncRemoteCache {
    /// Clone missing repositories and sync existing ones on every use (Skaffold's default).
    #[default]
    Always,
    /// Clone missing repositories; never sync existing ones (the default of `inspect`,
    /// `diagnose` and `fix`).
    Missing,
    /// Never clone, never sync: the user manages the cache.
    Never,
}

impl SyncRemoteCache {
    /// Skaffold's default for a command: `missing` for `inspect`, `diagnose` and `fix`, `always`
    /// otherwise.
    pub fn default_for_command(command: &str) -> SyncRemoteCache {
        match command.split_whitespace().next().unwrap_or("") {
            "inspect" | "diagnose" | "fix" => SyncRemoteCache::Missing,
            _ => SyncRemoteCache::Always,
        }
    }

    /// Cloning a missing repository is not allowed.
    pub fn clone_disabled(self) -> bool {
        self == SyncRemoteCache::Never
    }

    /// Fetching into an existing clone is not allowed.
    pub fn fetch_disabled(self) -> bool {
        matches!(self, SyncRemoteCache::Missing | SyncRemoteCache::Never)
    }

    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncRemoteCache::Always => "always",
            SyncRemoteCache::Missing => "missing",
            SyncRemoteCache::Never => "never",
        }
    }
}

impl fmt::Display for SyncRemoteCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SyncRemoteCache {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(SyncRemoteCache::Always),
            "missing" => Ok(SyncRemoteCache::Missing),
            "never" => Ok(SyncRemoteCache::Never),
            _ => Err("value must be one of `always`, `missing`, or `never`".to_string()),
        }
    }
}

/// The default cache directory: `<home>/.skaffold/remote-cache`.
pub fn default_cache_dir(home: &Path) -> PathBuf {
    home.join(".skaffold").join("remote-cache")
}

/// What to clone.
#[derive(Debug, Clone, Copy)]
pub struct Repo<'a> {
    /// The repository as written (names the cache directory).
    pub repo: &'a str,
    /// The URL to clone from (the same as `repo` for `git` dependencies).
    pub clone_uri: &'a str,
    /// The ref as written (`""`: the default branch).
    pub r#ref: &'a str,
    /// The dependency's `sync` (`Some(false)`: never sync an existing clone).
    pub sync: Option<bool>,
}

/// Why a remote config is not available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GitError {
    /// The clone is missing and `--sync-remote-cache=never` forbids cloning.
    SyncDisabled {
        /// The cache directory that does not exist.
        dir: PathBuf,
        /// The repository.
        repo: String,
        /// The ref.
        r#ref: String,
    },
    /// A git command failed (or git is missing).
    Failed(String),
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::SyncDisabled { dir, repo, r#ref } => write!(
                f,
                "cache directory {:?} for repository {repo:?} at ref {ref:?} does not exist, and repository sync is explicitly disabled via flag `--sync-remote-cache`",
                dir.display().to_string()
            ),
            GitError::Failed(m) => f.write_str(m),
        }
    }
}

/// Go's `json.Marshal` of a string (HTML characters and U+2028/9 escaped).
fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The cache directory name of a repository at a ref (Skaffold's `getRepoDir`).
pub fn repo_dir_name(repo: &str, r#ref: &str) -> String {
    let json = format!("[{},{}]\n", go_json_string(repo), go_json_string(r#ref));
    let digest = Sha256::digest(json.as_bytes());
    base64_url(&digest)[..32].to_string()
}

fn git(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| GitError::Failed(format!("no 'git' program on path: {e}")))?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Err(GitError::Failed(format!(
        "running [git {}]: {}: {}",
        args.join(" "),
        output.status,
        stderr.trim()
    )))
}

fn branch_exists(dir: &Path, g: &Repo<'_>, branch: &str) -> Result<bool, GitError> {
    let out = git(dir, &["ls-remote", "--heads", g.clone_uri, branch]).map_err(|e| {
        GitError::Failed(format!(
            "failed to lookup {branch} branch for repo {}: {e}",
            g.repo
        ))
    })?;
    Ok(!out.trim().is_empty())
}

fn default_ref(dir: &Path, g: &Repo<'_>) -> Result<String, GitError> {
    let master = branch_exists(dir, g, "master")?;
    let main = branch_exists(dir, g, "main")?;
    if master {
        Ok("master".to_string())
    } else if main {
        Ok("main".to_string())
    } else {
        Err(GitError::Failed(format!(
            "failed to get default branch for repo {}",
            g.repo
        )))
    }
}

/// Make sure the repository is in the cache (cloning or syncing it as `mode` and the dependency's
/// `sync` allow) and return the path of its clone.
///
/// Unlike Skaffold, the default branch is looked up only when it is needed (to clone or to sync),
/// so a cache used with `--sync-remote-cache=missing|never` needs no network at all.
pub fn sync_repo(
    g: &Repo<'_>,
    cache_dir: &Path,
    mode: SyncRemoteCache,
) -> Result<PathBuf, GitError> {
    std::fs::create_dir_all(cache_dir).map_err(|e| {
        GitError::Failed(format!(
            "failed to clone repo {}: trouble creating cache directory: {e}",
            g.repo
        ))
    })?;
    let hash = repo_dir_name(g.repo, g.r#ref);
    let repo_dir = cache_dir.join(&hash);
    let resolve_ref = || -> Result<String, GitError> {
        if g.r#ref.is_empty() {
            default_ref(cache_dir, g).map_err(|e| {
                GitError::Failed(format!(
                    "failed to clone repo {}: trouble getting default branch: {e}",
                    g.repo
                ))
            })
        } else {
            Ok(g.r#ref.to_string())
        }
    };

    if !repo_dir.exists() {
        if mode.clone_disabled() {
            return Err(GitError::SyncDisabled {
                dir: repo_dir,
                repo: g.repo.to_string(),
                r#ref: g.r#ref.to_string(),
            });
        }
        let r = resolve_ref()?;
        let target = format!("./{hash}");
        let cloned = git(
            cache_dir,
            &[
                "clone",
                g.clone_uri,
                &target,
                "--branch",
                &r,
                "--depth",
                "1",
            ],
        );
        if let Err(GitError::Failed(e)) = cloned {
            let missing_branch = e.contains("Could not find remote branch")
                || e.contains("not found in upstream origin");
            if !missing_branch {
                return Err(GitError::Failed(format!("failed to clone repo: {e}")));
            }
            // Not a branch or tag: clone the default branch and check out the commit.
            git(cache_dir, &["clone", g.clone_uri, &target, "--depth", "1"])
                .map_err(|e| GitError::Failed(format!("failed to clone repo: {e}")))?;
            if let Err(e) = git(&repo_dir, &["checkout", &r]) {
                let mut message = format!("failed to checkout commit: {e}");
                if let Err(rm) = std::fs::remove_dir_all(&repo_dir) {
                    message = format!("failed to remove repo cache dir: {rm}");
                }
                return Err(GitError::Failed(message));
            }
        } else {
            cloned?;
        }
        return Ok(repo_dir);
    }

    let remotes = git(&repo_dir, &["remote", "-v"]).map_err(|e| {
        GitError::Failed(format!(
            "failed to clone repo {}: trouble checking repository remote; run 'git clone <REPO>; stat <DIR/SUBDIR>' to verify credentials: {e}",
            g.repo
        ))
    })?;
    if remotes.trim().is_empty() {
        return Err(GitError::Failed(format!(
            "failed to clone repo {}: remote not set for existing clone",
            g.repo
        )));
    }
    if g.sync == Some(false) || mode.fetch_disabled() {
        return Ok(repo_dir);
    }
    let r = resolve_ref()?;
    // Point `origin` at the URL in the config if it changed (errors are ignored, as in Skaffold).
    if let Ok(current) = git(&repo_dir, &["remote", "get-url", "origin"])
        && current.trim() != g.clone_uri
    {
        let _ = git(
            &repo_dir,
            &["remote", "set-url", "origin", g.clone_uri, current.trim()],
        );
    }
    git(&repo_dir, &["fetch", "origin", &r]).map_err(|e| {
        GitError::Failed(format!(
            "failed to clone repo {}: unable to find any matching refs {r}; run 'git clone <REPO>; stat <DIR/SUBDIR>' to verify credentials: {e}",
            g.repo
        ))
    })?;
    git(&repo_dir, &["reset", "--hard", &format!("origin/{r}")]).map_err(|e| {
        GitError::Failed(format!(
            "failed to clone repo {}: trouble resetting branch to origin/{r}; run 'git clone <REPO>; stat <DIR/SUBDIR>' to verify credentials: {e}",
            g.repo
        ))
    })?;
    Ok(repo_dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_url_matches_the_standard_vectors() {
        assert_eq!(base64_url(b""), "");
        assert_eq!(base64_url(b"f"), "Zg==");
        assert_eq!(base64_url(b"fo"), "Zm8=");
        assert_eq!(base64_url(b"foo"), "Zm9v");
        assert_eq!(base64_url(b"foob"), "Zm9vYg==");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8=");
    }

    #[test]
    fn json_strings_escape_like_go() {
        assert_eq!(
            go_json_string("a<b>&\"c\\"),
            r#""a\u003cb\u003e\u0026\"c\\""#
        );
        assert_eq!(go_json_string("\u{1}\n"), r#""\u0001\n""#);
    }

    #[test]
    fn repo_dir_name_matches_skaffolds_get_repo_dir() {
        // Computed independently: urlsafe_b64(sha256(json.dumps([repo, ref]) + "\n"))[:32], with
        // Go's HTML escaping.
        assert_eq!(
            repo_dir_name("https://github.com/GoogleContainerTools/skaffold", "main"),
            "3nyjsIqzM5lcZmOZwiqIsR_gSj9aLp8h"
        );
        assert_eq!(
            repo_dir_name("https://a.com/x?a=1&b=<2>", ""),
            "KSI6snY3uaVp23tjUE1Fga16b3QmGpYz"
        );
    }

    #[test]
    fn sync_remote_cache_flag_values() {
        assert_eq!("missing".parse(), Ok(SyncRemoteCache::Missing));
        assert_eq!(
            "sometimes".parse::<SyncRemoteCache>(),
            Err("value must be one of `always`, `missing`, or `never`".to_string())
        );
        assert_eq!(
            SyncRemoteCache::default_for_command("diagnose"),
            SyncRemoteCache::Missing
        );
        assert_eq!(
            SyncRemoteCache::default_for_command("dev"),
            SyncRemoteCache::Always
        );
        assert!(SyncRemoteCache::Never.clone_disabled());
        assert!(SyncRemoteCache::Missing.fetch_disabled());
        assert!(!SyncRemoteCache::Always.fetch_disabled());
    }
}
