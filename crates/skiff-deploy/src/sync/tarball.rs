//! The tar archive a copy sends: each local file under its container path, relative to `/`,
//! owned by root (as `tar --no-same-owner` run as root leaves it, and as the archive API then
//! writes it).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
use crate::sync::SyncPlan;

/// The archive of the files `plan` copies, built off the async runtime; `None` when it copies
/// none.
pub(crate) async fn plan_archive(plan: &SyncPlan) -> Result<Option<Vec<u8>>, DeployError> {
    if plan.copy.is_empty() {
        return Ok(None);
    }
    let copy = plan.copy.clone();
    tokio::task::spawn_blocking(move || archive(&copy))
        .await
        .map_err(|e| DeployError::new(StatusCode::SyncUnknown, format!("copying files: {e}")))?
        .map(Some)
}

/// The archive holding each local file at its container path. Directories become directory
/// entries, relative symbolic links links; absolute links are skipped with a warning (they would
/// point elsewhere in the container), as are sockets.
pub(crate) fn archive(copy: &[(PathBuf, String)]) -> Result<Vec<u8>, DeployError> {
    let mut builder = tar::Builder::new(Vec::new());
    for (local, dest) in copy {
        append(&mut builder, local, dest.trim_start_matches('/')).map_err(|e| {
            DeployError::new(
                StatusCode::SyncUnknown,
                format!("copying files: {}: {e}", local.display()),
            )
        })?;
    }
    builder
        .into_inner()
        .map_err(|e| DeployError::new(StatusCode::SyncUnknown, format!("copying files: {e}")))
}

/// Adds one file as `name`.
fn append(builder: &mut tar::Builder<Vec<u8>>, local: &Path, name: &str) -> io::Result<()> {
    let meta = fs::symlink_metadata(local)?;
    let mut header = tar::Header::new_gnu();
    header.set_metadata(&meta);
    header.set_uid(0);
    header.set_gid(0);
    let kind = meta.file_type();
    if kind.is_symlink() {
        let target = fs::read_link(local)?;
        if target.is_absolute() {
            tracing::warn!(
                "Skipping {}. Only relative symlinks are supported.",
                local.display()
            );
            return Ok(());
        }
        builder.append_link(&mut header, name, target)
    } else if kind.is_dir() {
        builder.append_data(&mut header, name, io::empty())
    } else if kind.is_file() {
        builder.append_data(&mut header, name, fs::File::open(local)?)
    } else {
        tracing::debug!(
            "Skipping {}: not a file, directory or link",
            local.display()
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// The entries of an archive: name, type, content, uid.
    fn entries(bytes: &[u8]) -> Vec<(String, tar::EntryType, String, u64)> {
        let mut archive = tar::Archive::new(bytes);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let kind = e.header().entry_type();
                let uid = e.header().uid().unwrap();
                let mut content = String::new();
                if kind == tar::EntryType::Symlink {
                    content = e
                        .link_name()
                        .unwrap()
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                } else {
                    e.read_to_string(&mut content).unwrap();
                }
                (name, kind, content, uid)
            })
            .collect()
    }

    #[test]
    fn files_go_under_their_container_paths() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("index.html");
        fs::write(&file, "hello").unwrap();
        let long = format!("/www/{}/deep.html", "d".repeat(120));
        let bytes = archive(&[
            (file.clone(), "/www/index.html".into()),
            (file.clone(), long.clone()),
            (dir.path().to_path_buf(), "/www/sub".into()),
        ])
        .unwrap();
        let regular = tar::EntryType::Regular;
        assert_eq!(
            entries(&bytes),
            [
                ("www/index.html".into(), regular, "hello".into(), 0),
                (long[1..].to_owned(), regular, "hello".into(), 0),
                (
                    "www/sub".into(),
                    tar::EntryType::Directory,
                    String::new(),
                    0
                ),
            ]
        );
    }

    #[cfg(unix)]
    #[test]
    fn relative_links_are_kept_and_absolute_ones_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let relative = dir.path().join("rel");
        let absolute = dir.path().join("abs");
        std::os::unix::fs::symlink("target.txt", &relative).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", &absolute).unwrap();
        let bytes = archive(&[(relative, "/a/rel".into()), (absolute, "/a/abs".into())]).unwrap();
        assert_eq!(
            entries(&bytes),
            [(
                "a/rel".into(),
                tar::EntryType::Symlink,
                "target.txt".into(),
                0
            )]
        );
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let err = archive(&[(PathBuf::from("/no/such/file"), "/x".into())]).unwrap_err();
        assert_eq!(err.code, StatusCode::SyncUnknown);
        assert!(err.message.contains("/no/such/file"), "{}", err.message);
    }
}
