//! `skaffold.env` / `skiff.env`: environment variables loaded from files in the current
//! directory before the command line is parsed.
//!
//! Semantics follow Skaffold (`godotenv.Load`): `KEY=VALUE` lines, `#` comments, optional
//! quotes, an optional `export ` prefix; a variable that is already set is never overridden,
//! so the real environment beats `skaffold.env`, which beats `skiff.env`. A file that cannot
//! be parsed is skipped whole, with a warning.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The files loaded from the current directory, in order.
pub const ENV_FILES: &[&str] = &["skaffold.env", "skiff.env"];

/// What loading the env files did, to be logged once logging is set up.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EnvFileReport {
    /// Files that were read, with the names of the variables they set.
    pub loaded: Vec<(PathBuf, Vec<String>)>,
    /// Files that exist but could not be read or parsed, with the reason.
    pub failed: Vec<(PathBuf, String)>,
}

impl EnvFileReport {
    /// Logs the report: a debug line per loaded file, a warning per failed one.
    pub fn log(&self) {
        for (path, names) in &self.loaded {
            tracing::debug!(
                "Loaded environment variables {names:?} from file {:?}",
                path.display().to_string()
            );
        }
        for (path, reason) in &self.failed {
            tracing::warn!(
                "Failed to load environment variables from file {:?}: {reason}",
                path.display().to_string()
            );
        }
    }
}

/// The variables a file would set: the file's `KEY=VALUE` pairs (the last one wins within
/// a file) minus those for which `is_set` returns true. `Ok(None)` if the file does not exist.
pub fn plan(
    path: &Path,
    is_set: impl Fn(&str) -> bool,
) -> Result<Option<Vec<(String, String)>>, String> {
    let iter = match dotenvy::from_path_iter(path) {
        Ok(iter) => iter,
        Err(dotenvy::Error::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(err) => return Err(err.to_string()),
    };
    let mut vars = BTreeMap::new();
    for item in iter {
        let (key, value) = item.map_err(|err| err.to_string())?;
        vars.insert(key, value);
    }
    Ok(Some(
        vars.into_iter().filter(|(key, _)| !is_set(key)).collect(),
    ))
}

/// Loads [`ENV_FILES`] from the current directory into the process environment (see
/// [`load`]); paths in the report are the bare file names.
///
/// # Safety
///
/// Same as [`load`]: call it while the process has a single thread.
pub unsafe fn load_current_dir() -> EnvFileReport {
    // SAFETY: forwarded to the caller.
    unsafe { load(Path::new("")) }
}

/// Loads [`ENV_FILES`] from `dir` into the process environment, without overriding variables
/// that are already set.
///
/// # Safety
///
/// Modifies the process environment: call it while the process has a single thread (first
/// thing in `main`, before any runtime or thread is started).
pub unsafe fn load(dir: &Path) -> EnvFileReport {
    let mut report = EnvFileReport::default();
    for name in ENV_FILES {
        let path = dir.join(name);
        match plan(&path, |key| std::env::var_os(key).is_some()) {
            Ok(None) => {}
            Ok(Some(vars)) => {
                let names = vars.iter().map(|(key, _)| key.clone()).collect();
                for (key, value) in vars {
                    // SAFETY: the caller guarantees that no other thread exists.
                    unsafe { std::env::set_var(key, value) };
                }
                report.loaded.push((path, names));
            }
            Err(reason) => report.failed.push((path, reason)),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn missing_file_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(plan(&dir.path().join("skaffold.env"), |_| false), Ok(None));
    }

    #[test]
    fn parses_comments_quotes_and_export() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "skaffold.env",
            "# a comment\n\
             SKAFFOLD_VERBOSITY=info\n\
             export SKAFFOLD_RPC_PORT=50051\n\
             SKAFFOLD_LABEL=\"a b\"\n\
             SKAFFOLD_NAMESPACE='dev'\n\
             \n\
             SKAFFOLD_COLOR=31 # trailing comment\n",
        );
        let vars = plan(&path, |_| false).unwrap().unwrap();
        let get = |key: &str| vars.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("SKAFFOLD_VERBOSITY"), Some("info"));
        assert_eq!(get("SKAFFOLD_RPC_PORT"), Some("50051"));
        assert_eq!(get("SKAFFOLD_LABEL"), Some("a b"));
        assert_eq!(get("SKAFFOLD_NAMESPACE"), Some("dev"));
        assert_eq!(get("SKAFFOLD_COLOR"), Some("31"));
        assert_eq!(vars.len(), 5);
    }

    #[test]
    fn existing_variables_are_not_overridden() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "skaffold.env", "A=file\nB=file\n");
        let vars = plan(&path, |key| key == "A").unwrap().unwrap();
        assert_eq!(vars, vec![("B".to_owned(), "file".to_owned())]);
    }

    #[test]
    fn last_assignment_in_a_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "skaffold.env", "A=one\nA=two\n");
        let vars = plan(&path, |_| false).unwrap().unwrap();
        assert_eq!(vars, vec![("A".to_owned(), "two".to_owned())]);
    }

    #[test]
    fn malformed_file_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "skaffold.env",
            "GOOD=1\nthis is not an assignment\n",
        );
        assert!(plan(&path, |_| false).is_err());
    }
}
