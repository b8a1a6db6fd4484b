//! The log file a muted phase writes to (`--mute-logs`), named as Skaffold names it:
//! `<temp dir>/skaffold/<part>/…/<part>`, each part with every character outside
//! `[a-zA-Z0-9-_.]` replaced by `-`. A build writes `build/<image>.log`, a deploy
//! `deploy/<YYYY-MM-DD_hh-mm-ss>.log` (local time), a status check
//! `status-check/<YYYY-MM-DD_hh-mm-ss>.log`. Running the phase again truncates its file.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

/// An open log file of a muted phase.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: Mutex<File>,
}

impl LogFile {
    /// Creates (or truncates) `<temp dir>/skaffold/<parts…>` with the directories it needs
    /// (readable by the user only).
    pub fn create(parts: &[&str]) -> io::Result<LogFile> {
        create_under(&std::env::temp_dir().join("skaffold"), parts)
    }

    /// Creates `<temp dir>/skaffold/<dir>/<local time>.log`, as a deploy or a status check
    /// names its log.
    pub fn timestamped(dir: &str) -> io::Result<LogFile> {
        LogFile::create(&[dir, &timestamped_name(&jiff::Zoned::now())])
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `text`. Like the terminal, a log file that cannot be written loses the text
    /// rather than failing the phase.
    pub(crate) fn write(&self, text: &str) {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = file.write_all(text.as_bytes());
    }
}

/// Creates (or truncates) `<root>/<escaped parts…>`.
pub(crate) fn create_under(root: &Path, parts: &[&str]) -> io::Result<LogFile> {
    let path = parts
        .iter()
        .fold(root.to_path_buf(), |path, part| path.join(escape(part)));
    let dir = path.parent().unwrap_or(root);
    let mut dirs = DirBuilder::new();
    dirs.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut dirs, 0o700);
    dirs.create(dir).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("unable to create temp directory {:?}: {e}", dir.display()),
        )
    })?;
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&path)?;
    Ok(LogFile {
        path,
        file: Mutex::new(file),
    })
}

/// `part` with every character outside `[a-zA-Z0-9-_.]` replaced by `-`.
fn escape(part: &str) -> String {
    part.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `<YYYY-MM-DD_hh-mm-ss>.log` for `now`.
fn timestamped_name(now: &jiff::Zoned) -> String {
    now.strftime("%Y-%m-%d_%H-%M-%S.log").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_escaped_as_skaffold_escapes_them() {
        assert_eq!(escape("img"), "img");
        assert_eq!(escape("log.txt"), "log.txt");
        assert_eq!(escape("project/img"), "project-img");
        assert_eq!(escape("gcr.io/project/img"), "gcr.io-project-img");
        assert_eq!(escape("a*name_1.txt"), "a-name_1.txt");
        assert_eq!(escape("héllo"), "h-llo");
    }

    #[test]
    fn a_log_file_is_created_in_its_directories_and_truncated_when_created_again() {
        let root = tempfile::tempdir().unwrap();
        let file = create_under(root.path(), &["build", "gcr.io/p/img.log"]).unwrap();
        assert_eq!(file.path(), root.path().join("build/gcr.io-p-img.log"));
        file.write("Step 1/2\n");
        file.write("Step 2/2\n");
        assert_eq!(
            std::fs::read_to_string(file.path()).unwrap(),
            "Step 1/2\nStep 2/2\n"
        );
        let again = create_under(root.path(), &["build", "gcr.io/p/img.log"]).unwrap();
        assert_eq!(std::fs::read_to_string(again.path()).unwrap(), "");
    }

    #[cfg(unix)]
    #[test]
    fn log_files_are_private_to_the_user() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let file = create_under(&root.path().join("skaffold"), &["deploy", "x.log"]).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(&root.path().join("skaffold/deploy")), 0o700);
    }

    #[test]
    fn deploy_logs_are_named_after_the_local_time() {
        let time: jiff::Zoned = "2024-03-05T07:08:09[UTC]".parse().unwrap();
        assert_eq!(timestamped_name(&time), "2024-03-05_07-08-09.log");
    }

    #[test]
    fn files_go_under_skaffold_in_the_temp_directory() {
        let name = format!("skiff-log-file-test-{}", std::process::id());
        let file = LogFile::timestamped(&name).unwrap();
        let dir = std::env::temp_dir().join("skaffold").join(name);
        assert_eq!(file.path().parent(), Some(dir.as_path()));
        let _ = std::fs::remove_dir_all(dir);
    }
}
