//! File ownership on Podman. Podman's archive API (`GET /containers/{id}/archive`) reports every
//! path as owned by root, so there the owner is read from the container's filesystem export
//! instead, which keeps it: the export is streamed and scanned until the path's entry.

use bytes::Bytes;
use futures_util::StreamExt;
use skiff_docker::{Engine, EngineError};
use tokio::sync::mpsc;

/// Whether `engine` is Podman (its version lists a `Podman Engine` component).
pub(crate) async fn is_podman(engine: &Engine) -> Result<bool, EngineError> {
    let version = engine
        .client()
        .version()
        .await
        .map_err(EngineError::api("version"))?;
    Ok(version
        .components
        .iter()
        .flatten()
        .any(|c| c.name.contains("Podman")))
}

/// The owner (`uid`, `gid`) of `path` in the filesystem export of container `id`, or `None`
/// when the export has no entry of that exact path (a path through a symbolic link).
pub(crate) async fn exported_owner(
    engine: &Engine,
    id: &str,
    path: &str,
) -> Result<Option<(u64, u64)>, EngineError> {
    let failed = |source| EngineError::Api {
        operation: "export the container",
        source,
    };
    let (chunks, receiver) = mpsc::channel::<Bytes>(16);
    let target = normalize(path.as_bytes()).to_vec();
    let scan = tokio::task::spawn_blocking(move || scan(receiver, &target));
    let mut export = engine.client().export_container(id);
    while let Some(chunk) = export.next().await {
        // A closed channel means the scan found the entry (or failed): stop reading.
        if chunks.send(chunk.map_err(failed)?).await.is_err() {
            break;
        }
    }
    drop(chunks);
    scan.await
        .map_err(|e| failed(bollard::errors::Error::IOError { err: e.into() }))?
        .map_err(|err| failed(bollard::errors::Error::IOError { err }))
}

/// A path as the export names it, without `./`, `/` or a trailing `/`.
fn normalize(path: &[u8]) -> &[u8] {
    let mut path = path;
    while let Some(rest) = path.strip_prefix(b"./").or_else(|| path.strip_prefix(b"/")) {
        path = rest;
    }
    path.strip_suffix(b"/").unwrap_or(path)
}

/// Reads the export tar from `chunks` until the entry of `target`.
fn scan(chunks: mpsc::Receiver<Bytes>, target: &[u8]) -> std::io::Result<Option<(u64, u64)>> {
    let mut archive = tar::Archive::new(ChunkReader {
        chunks,
        current: Bytes::new(),
    });
    for entry in archive.entries()? {
        let entry = entry?;
        if normalize(&entry.path_bytes()) == target {
            let header = entry.header();
            return Ok(Some((header.uid()?, header.gid()?)));
        }
    }
    Ok(None)
}

/// A blocking reader over the chunks of a stream.
struct ChunkReader {
    chunks: mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl std::io::Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(chunk) => self.current = chunk,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_compared_without_leading_or_trailing_slashes() {
        assert_eq!(normalize(b"/srv/app.sh"), b"srv/app.sh");
        assert_eq!(normalize(b"./srv/"), b"srv");
        assert_eq!(normalize(b"srv"), b"srv");
    }

    #[test]
    fn the_scan_finds_an_entry_among_chunks() {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, uid) in [("etc/", 0), ("srv/app.sh", 1000)] {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(if name.ends_with('/') {
                tar::EntryType::Directory
            } else {
                tar::EntryType::Regular
            });
            header.set_uid(uid);
            header.set_gid(50);
            header.set_size(3);
            builder.append_data(&mut header, name, &b"abc"[..]).unwrap();
        }
        let tar = Bytes::from(builder.into_inner().unwrap());
        let (sender, receiver) = mpsc::channel(64);
        for chunk in tar.chunks(100) {
            sender.try_send(Bytes::copy_from_slice(chunk)).unwrap();
        }
        drop(sender);
        assert_eq!(scan(receiver, b"srv/app.sh").unwrap(), Some((1000, 50)));
    }
}
