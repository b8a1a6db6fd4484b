//! What structure tests do with the engine: run a command in a fresh container and capture its
//! output, run a setup step and commit its result as an image, read a path out of a created
//! (never started) container, and inspect the image's configuration. Everything created is
//! removed, also when the future is dropped half way.

use std::sync::atomic::{AtomicU64, Ordering};

use bollard::models::{ContainerConfig, ImageConfig};
use bollard::query_parameters::{
    CommitContainerOptionsBuilder, DownloadFromContainerOptions, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use skiff_docker::{ContainerSpec, Engine, EngineError, LogStream, RunEnd};

use super::gofmt::go_quote_list;
use super::ownership;

/// The repository setup steps are committed to (`skiff-structure-setup:<pid>-<n>`), so a
/// leftover is recognisable.
const SETUP_REPOSITORY: &str = "skiff-structure-setup";

/// The program of containers that are created only to read files; it never runs.
const NOOP_COMMAND: &str = "NOOP_COMMAND_DO_NOT_RUN";

/// How many output lines of a failed setup or teardown step its error shows.
const STEP_OUTPUT_LINES: usize = 10;

/// Containers and images to remove: by [`Leftovers::remove`], or in the background when
/// dropped before that (a cancelled test run).
pub(crate) struct Leftovers {
    engine: Engine,
    containers: Vec<String>,
    images: Vec<String>,
}

impl Leftovers {
    /// Nothing to remove yet.
    pub fn new(engine: &Engine) -> Self {
        Self {
            engine: engine.clone(),
            containers: Vec::new(),
            images: Vec::new(),
        }
    }

    /// Removes everything recorded (images newest first).
    pub async fn remove(mut self) {
        let (containers, images) = self.take();
        remove_all(&self.engine, containers, images).await;
    }

    fn take(&mut self) -> (Vec<String>, Vec<String>) {
        (
            std::mem::take(&mut self.containers),
            std::mem::take(&mut self.images),
        )
    }
}

impl Drop for Leftovers {
    fn drop(&mut self) {
        let (containers, images) = self.take();
        if containers.is_empty() && images.is_empty() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let engine = self.engine.clone();
            runtime.spawn(async move { remove_all(&engine, containers, images).await });
        }
    }
}

async fn remove_all(engine: &Engine, containers: Vec<String>, images: Vec<String>) {
    for id in containers {
        if let Err(e) = engine.remove_container(&id).await {
            tracing::warn!("removing structure test container {id}: {e}");
        }
    }
    let options = RemoveImageOptionsBuilder::default().force(true).build();
    for id in images.into_iter().rev() {
        match engine
            .client()
            .remove_image(&id, Some(options.clone()), None)
            .await
        {
            Ok(_)
            | Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(e) => tracing::warn!("removing structure test setup image {id}: {e}"),
        }
    }
}

/// A container of `image` running `command` (program and arguments) with the extra `env`.
fn spec(image: &str, command: &[String], env: &[String]) -> ContainerSpec {
    ContainerSpec {
        image: image.to_owned(),
        entrypoint: Some(command[..1].to_vec()),
        cmd: Some(command[1..].to_vec()),
        env: env.to_vec(),
        ..Default::default()
    }
}

/// What a command wrote and how it ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Captured {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code.
    pub exit_code: i64,
}

/// Runs `command` (non-empty) in a fresh container of `image` to its end and removes the
/// container.
pub(crate) async fn run_captured(
    engine: &Engine,
    image: &str,
    command: &[String],
    env: &[String],
) -> Result<Captured, EngineError> {
    let mut captured = Captured::default();
    let end = engine
        .run_to_completion(&spec(image, command, env), None, |line| match line.stream {
            LogStream::Stdout => captured.stdout.push_str(&line.text),
            LogStream::Stderr => captured.stderr.push_str(&line.text),
        })
        .await?;
    captured.exit_code = match end {
        RunEnd::Exited(code) => code,
        // No timeout was given.
        RunEnd::TimedOut => -1,
    };
    Ok(captured)
}

/// Runs a setup or teardown step; a non-zero exit is an error with the step's last output.
pub(crate) async fn run_step(
    engine: &Engine,
    image: &str,
    command: &[String],
    env: &[String],
) -> Result<(), String> {
    let captured = run_captured(engine, image, command, env)
        .await
        .map_err(|e| format!("running {}: {e}", go_quote_list(command)))?;
    check_step(
        command,
        captured.exit_code,
        &captured.stdout,
        &captured.stderr,
    )
}

fn check_step(command: &[String], code: i64, stdout: &str, stderr: &str) -> Result<(), String> {
    if code == 0 {
        return Ok(());
    }
    let output: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
    let tail = &output[output.len().saturating_sub(STEP_OUTPUT_LINES)..];
    Err(format!(
        "{} exited with code {code}{}",
        go_quote_list(command),
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {}", tail.join("\n"))
        }
    ))
}

/// Runs a setup step in a container of `image` and commits the container: returns the new
/// image's id, recorded in `leftovers`.
pub(crate) async fn run_and_commit(
    engine: &Engine,
    leftovers: &mut Leftovers,
    image: &str,
    command: &[String],
    env: &[String],
) -> Result<String, String> {
    let failed = |e: EngineError| format!("running {}: {e}", go_quote_list(command));
    let id = engine
        .create_container(&spec(image, command, env))
        .await
        .map_err(failed)?;
    leftovers.containers.push(id.clone());
    engine.start_container(&id).await.map_err(failed)?;
    let code = engine.wait_container(&id).await.map_err(failed)?;
    let mut stdout = String::new();
    let mut stderr = String::new();
    if code != 0 {
        let mut lines = std::pin::pin!(engine.log_lines(&id, false, Some(STEP_OUTPUT_LINES)));
        while let Some(Ok(line)) = lines.next().await {
            match line.stream {
                LogStream::Stdout => stdout.push_str(&line.text),
                LogStream::Stderr => stderr.push_str(&line.text),
            }
        }
    }
    check_step(command, code, &stdout, &stderr)?;
    static COMMITS: AtomicU64 = AtomicU64::new(0);
    let tag = format!(
        "{}-{}",
        std::process::id(),
        COMMITS.fetch_add(1, Ordering::Relaxed)
    );
    let options = CommitContainerOptionsBuilder::default()
        .container(&id)
        .repo(SETUP_REPOSITORY)
        .tag(&tag)
        .build();
    let committed = engine
        .client()
        .commit_container(options, ContainerConfig::default())
        .await
        .map_err(|e| format!("committing the result of {}: {e}", go_quote_list(command)))?;
    leftovers.images.push(committed.id.clone());
    engine.remove_container(&id).await.map_err(failed)?;
    leftovers.containers.retain(|c| c != &id);
    Ok(committed.id)
}

/// The image's configuration (`Config` of an image inspection).
pub(crate) async fn image_config(engine: &Engine, image: &str) -> Result<ImageConfig, EngineError> {
    let inspected = engine
        .client()
        .inspect_image(image)
        .await
        .map_err(EngineError::api("inspect image"))?;
    Ok(inspected.config.unwrap_or_default())
}

/// The kind of a path, from its tar entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// A regular file (or a hard link).
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link (dockerd; Podman's archive follows links).
    Symlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
}

/// A path of the image, as the engine's archive of it describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileEntry {
    /// What it is.
    pub kind: FileKind,
    /// Permission, set-user-id, set-group-id and sticky bits (`0o7777`).
    pub mode: u32,
    /// The owner's id.
    pub uid: u64,
    /// The group's id.
    pub gid: u64,
    /// The contents (regular files, when asked for).
    pub contents: Vec<u8>,
}

impl FileEntry {
    /// The mode as Go's `os.FileMode.String` prints it (`-rw-r--r--`, `drwxrwxrwx`, `dtrwxrwxrwx`
    /// for a sticky directory, `Lrwxrwxrwx`, `urwxr-xr-x` for set-user-id).
    pub fn mode_string(&self) -> String {
        let mut s = String::new();
        // Go's order of type and special letters: "dalTLDpSugct?".
        let flags = [
            ('d', self.kind == FileKind::Directory),
            ('L', self.kind == FileKind::Symlink),
            (
                'D',
                matches!(self.kind, FileKind::CharDevice | FileKind::BlockDevice),
            ),
            ('p', self.kind == FileKind::Fifo),
            ('u', self.mode & 0o4000 != 0),
            ('g', self.mode & 0o2000 != 0),
            ('c', self.kind == FileKind::CharDevice),
            ('t', self.mode & 0o1000 != 0),
        ];
        s.extend(flags.iter().filter(|(_, set)| *set).map(|(c, _)| c));
        if s.is_empty() {
            s.push('-');
        }
        for (i, c) in "rwxrwxrwx".chars().enumerate() {
            s.push(if self.mode & (1 << (8 - i)) != 0 {
                c
            } else {
                '-'
            });
        }
        s
    }
}

/// Reads paths of an image through a container that is created, never started, and removed
/// with the reader's [`Leftovers`].
pub(crate) struct FileReader<'a> {
    engine: &'a Engine,
    image: &'a str,
    container: Option<String>,
    leftovers: Leftovers,
    /// Whether the engine is Podman, once asked.
    podman: Option<bool>,
}

impl<'a> FileReader<'a> {
    /// A reader of `image`'s files; the container is created at the first read.
    pub fn new(engine: &'a Engine, image: &'a str) -> Self {
        Self {
            engine,
            image,
            container: None,
            leftovers: Leftovers::new(engine),
            podman: None,
        }
    }

    async fn container(&mut self) -> Result<String, EngineError> {
        if let Some(id) = &self.container {
            return Ok(id.clone());
        }
        let id = self
            .engine
            .create_container(&ContainerSpec {
                image: self.image.to_owned(),
                entrypoint: Some(vec![NOOP_COMMAND.to_owned()]),
                cmd: Some(Vec::new()),
                ..Default::default()
            })
            .await?;
        self.leftovers.containers.push(id.clone());
        self.container = Some(id.clone());
        Ok(id)
    }

    /// The entry at `path` (with its contents when `contents`), or `None` when the image has
    /// no such path. A directory's archive is not read past its own entry.
    pub async fn read(
        &mut self,
        path: &str,
        contents: bool,
    ) -> Result<Option<FileEntry>, EngineError> {
        let id = self.container().await?;
        let options = DownloadFromContainerOptions {
            path: path.to_owned(),
        };
        let mut stream = self
            .engine
            .client()
            .download_from_container(&id, Some(options));
        let mut buffer: Vec<u8> = Vec::new();
        let mut first: Option<EntryHeader> = None;
        loop {
            if first.is_none() {
                first = first_entry(&buffer);
            }
            if let Some(header) = &first {
                let wanted = if contents && header.kind == FileKind::Regular {
                    header.size
                } else {
                    0
                };
                let end = header.data_start.saturating_add(wanted);
                if buffer.len() >= end {
                    return Ok(Some(header.entry(buffer[header.data_start..end].to_vec())));
                }
            }
            match stream.next().await {
                Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                Some(Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404,
                    ..
                })) => return Ok(None),
                Some(Err(e)) => return Err(EngineError::api("read a path of the container")(e)),
                None => {
                    return Err(EngineError::Api {
                        operation: "read a path of the container",
                        source: bollard::errors::Error::DockerStreamError {
                            error: format!(
                                "the archive of {path} ended before its first entry was complete"
                            ),
                        },
                    });
                }
            }
        }
    }

    /// The owner (`uid`, `gid`) of `entry`, read at `path`: the archive's, except on Podman,
    /// whose archive says root for every path (see [`ownership`](super::ownership)).
    pub async fn owner(
        &mut self,
        path: &str,
        entry: &FileEntry,
    ) -> Result<(u64, u64), EngineError> {
        let archived = (entry.uid, entry.gid);
        let podman = match self.podman {
            Some(podman) => podman,
            None => *self.podman.insert(ownership::is_podman(self.engine).await?),
        };
        if !podman {
            return Ok(archived);
        }
        let id = self.container().await?;
        Ok(ownership::exported_owner(self.engine, &id, path)
            .await?
            .unwrap_or(archived))
    }

    /// Removes the container.
    pub async fn finish(self) {
        self.leftovers.remove().await;
    }
}

/// The first entry's header, once the archive read so far holds it.
struct EntryHeader {
    kind: FileKind,
    mode: u32,
    uid: u64,
    gid: u64,
    size: usize,
    data_start: usize,
}

impl EntryHeader {
    fn entry(&self, contents: Vec<u8>) -> FileEntry {
        FileEntry {
            kind: self.kind,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            contents,
        }
    }
}

/// Parses the first entry of a (possibly partial) tar archive; `None` until it is complete.
fn first_entry(archive: &[u8]) -> Option<EntryHeader> {
    let mut archive = tar::Archive::new(archive);
    let entry = archive.entries().ok()?.next()?.ok()?;
    let header = entry.header();
    let kind = match header.entry_type() {
        tar::EntryType::Directory => FileKind::Directory,
        tar::EntryType::Symlink => FileKind::Symlink,
        tar::EntryType::Char => FileKind::CharDevice,
        tar::EntryType::Block => FileKind::BlockDevice,
        tar::EntryType::Fifo => FileKind::Fifo,
        _ if entry.path_bytes().ends_with(b"/") => FileKind::Directory,
        _ => FileKind::Regular,
    };
    Some(EntryHeader {
        kind,
        mode: header.mode().ok()? & 0o7777,
        uid: header.uid().ok()?,
        gid: header.gid().ok()?,
        size: usize::try_from(entry.size()).ok()?,
        data_start: usize::try_from(entry.raw_file_position()).ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: FileKind, mode: u32) -> FileEntry {
        FileEntry {
            kind,
            mode,
            uid: 0,
            gid: 0,
            contents: Vec::new(),
        }
    }

    #[test]
    fn modes_print_like_go() {
        assert_eq!(entry(FileKind::Regular, 0o644).mode_string(), "-rw-r--r--");
        assert_eq!(
            entry(FileKind::Directory, 0o755).mode_string(),
            "drwxr-xr-x"
        );
        assert_eq!(
            entry(FileKind::Directory, 0o1777).mode_string(),
            "dtrwxrwxrwx"
        );
        assert_eq!(entry(FileKind::Symlink, 0o777).mode_string(), "Lrwxrwxrwx");
        assert_eq!(entry(FileKind::Regular, 0o4755).mode_string(), "urwxr-xr-x");
        assert_eq!(entry(FileKind::Regular, 0o2755).mode_string(), "grwxr-xr-x");
        assert_eq!(
            entry(FileKind::CharDevice, 0o666).mode_string(),
            "Dcrw-rw-rw-"
        );
        assert_eq!(entry(FileKind::Fifo, 0o600).mode_string(), "prw-------");
    }

    fn archive(name: &str, kind: tar::EntryType, mode: u32, data: &[u8]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_uid(1000);
        header.set_gid(50);
        header.set_size(data.len() as u64);
        builder.append_data(&mut header, name, data).unwrap();
        builder.into_inner().unwrap()
    }

    #[test]
    fn the_first_entry_is_read_once_its_header_is_complete() {
        let tar = archive("hello.txt", tar::EntryType::Regular, 0o640, b"hi there");
        assert!(first_entry(&tar[..100]).is_none());
        let header = first_entry(&tar[..512]).unwrap();
        assert_eq!(header.kind, FileKind::Regular);
        assert_eq!((header.mode, header.uid, header.gid), (0o640, 1000, 50));
        assert_eq!(header.size, 8);
        assert_eq!(&tar[header.data_start..header.data_start + 8], b"hi there");
        let long = "d".repeat(150);
        let tar = archive(&long, tar::EntryType::Directory, 0o1777, b"");
        let header = first_entry(&tar).unwrap();
        assert_eq!(header.kind, FileKind::Directory);
        assert_eq!(header.entry(Vec::new()).mode_string(), "dtrwxrwxrwx");
    }

    #[test]
    fn failed_steps_show_their_last_output() {
        let command = vec!["sh".to_owned(), "-c".to_owned(), "exit 3".to_owned()];
        assert_eq!(check_step(&command, 0, "x", ""), Ok(()));
        assert_eq!(
            check_step(&command, 3, "out\n", "err\n").unwrap_err(),
            "[\"sh\" \"-c\" \"exit 3\"] exited with code 3: out\nerr"
        );
    }
}
