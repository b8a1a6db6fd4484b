//! The build context sent to the engine: a tar of the files the build may read.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// Writes a tar of `files` (paths relative to `dir`, in the given order) as the engine expects a
/// build context: regular files with their mode and mtime, directories, symlinks as links.
pub fn context_tar(dir: &Path, files: impl IntoIterator<Item = PathBuf>) -> io::Result<Vec<u8>> {
    context_tar_with(dir, files, &[])
}

/// [`context_tar`] plus files from outside `dir`, each stored under the given name (a Dockerfile
/// that lives outside its context, for example).
pub fn context_tar_with(
    dir: &Path,
    files: impl IntoIterator<Item = PathBuf>,
    extra: &[(&str, &Path)],
) -> io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    builder.mode(tar::HeaderMode::Complete);
    for relative in files {
        let full = dir.join(&relative);
        let metadata = fs::symlink_metadata(&full)?;
        if metadata.is_dir() {
            builder.append_dir(&relative, &full)?;
        } else {
            builder.append_path_with_name(&full, &relative)?;
        }
    }
    for (name, path) in extra {
        builder.append_path_with_name(path, name)?;
    }
    builder.into_inner()
}

/// A tar of in-memory files `(name, contents, mode)`, in the given order.
pub fn files_tar(files: &[(&str, &[u8], u32)]) -> io::Result<Vec<u8>> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(*mode);
        header.set_cksum();
        builder.append_data(&mut header, name, *data)?;
    }
    builder.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_holds_the_listed_files_only() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("www")).unwrap();
        fs::write(dir.path().join("www/index.html"), "hi").unwrap();
        fs::write(dir.path().join("secret"), "no").unwrap();
        let tar = context_tar(dir.path(), ["www".into(), "www/index.html".into()]).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(names, ["www", "www/index.html"]);
    }
}
