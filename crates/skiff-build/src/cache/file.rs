//! The artifact cache file (`--cache-file`, default `~/.skaffold/cache`): a YAML map from an
//! artifact hash to what was built for it, as Skaffold's `pkg/skaffold/build/cache/cache.go`
//! reads and writes it:
//!
//! ```yaml
//! 3f1c…:
//!   digest: sha256:…   # when the image was pushed
//!   id: sha256:…       # when the image is in the local engine
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// The cache file under the home directory when `--cache-file` is not given.
pub const DEFAULT_CACHE_FILE: &str = ".skaffold/cache";

/// What the cache remembers about one artifact hash (Skaffold's `ImageDetails`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageDetails {
    /// The registry digest (`sha256:…`) of the pushed image, if it was pushed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub digest: String,
    /// The local image id (`sha256:…`), if it was built into the local engine.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
}

/// The cache file's contents: artifact hash → image details, sorted by hash as Go's YAML encoder
/// writes maps.
pub type CacheEntries = BTreeMap<String, ImageDetails>;

/// The default cache file, `$HOME/.skaffold/cache`; `None` without a home directory.
pub fn default_cache_file() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(Path::new(&home).join(DEFAULT_CACHE_FILE))
}

/// Why the cache file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CacheFileError {
    /// The file exists but cannot be read.
    #[error("reading cache file {path}: {source}")]
    Read {
        /// The cache file.
        path: PathBuf,
        /// What reading reported.
        source: io::Error,
    },
    /// The file is not a YAML map of hashes to image details.
    #[error("parsing cache file {path}: {message}")]
    Parse {
        /// The cache file.
        path: PathBuf,
        /// What the YAML parser reported.
        message: String,
    },
}

/// Reads a cache file. A missing or empty file is an empty cache; an unreadable or malformed one
/// is an error (callers start from an empty cache and warn).
pub fn read_cache_file(path: &Path) -> Result<CacheEntries, CacheFileError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(CacheEntries::new()),
        Err(source) => {
            return Err(CacheFileError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse_cache(&bytes).map_err(|message| CacheFileError::Parse {
        path: path.to_owned(),
        message,
    })
}

/// Parses the YAML of a cache file. `null` entries (a hash with nothing under it) are empty
/// details, as Go's decoder leaves them.
pub fn parse_cache(bytes: &[u8]) -> Result<CacheEntries, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
    if text.trim().is_empty() {
        return Ok(CacheEntries::new());
    }
    let raw: Option<BTreeMap<String, Option<ImageDetails>>> =
        serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
    Ok(raw
        .unwrap_or_default()
        .into_iter()
        .map(|(hash, details)| (hash, details.unwrap_or_default()))
        .collect())
}

/// The YAML text of a cache file.
pub fn format_cache(entries: &CacheEntries) -> String {
    // Serializing a map of plain strings cannot fail.
    serde_yaml_ng::to_string(entries).unwrap_or_default()
}

/// Writes a cache file atomically (a temporary file in the same directory, then a rename), so a
/// reader never sees half a file. The directory is created if needed.
pub fn write_cache_file(path: &Path, entries: &CacheEntries) -> io::Result<()> {
    write_atomically(path, format_cache(entries).as_bytes())
}

/// Replaces `path` with `contents` through a temporary sibling and a rename.
pub(crate) fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cache".into());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        file.sync_data()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_round_trip_keeps_skaffolds_layout() {
        let mut entries = CacheEntries::new();
        entries.insert(
            "bbb".into(),
            ImageDetails {
                digest: "sha256:d".into(),
                id: String::new(),
            },
        );
        entries.insert(
            "aaa".into(),
            ImageDetails {
                digest: String::new(),
                id: "sha256:i".into(),
            },
        );
        let text = format_cache(&entries);
        assert_eq!(text, "aaa:\n  id: sha256:i\nbbb:\n  digest: sha256:d\n");
        assert_eq!(parse_cache(text.as_bytes()).unwrap(), entries);
    }

    #[test]
    fn empty_and_null_entries_parse() {
        assert!(parse_cache(b"").unwrap().is_empty());
        assert!(parse_cache(b"{}\n").unwrap().is_empty());
        let entries = parse_cache(b"abc:\n").unwrap();
        assert_eq!(entries["abc"], ImageDetails::default());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_cache(b"- a\n- b\n").is_err());
        assert!(parse_cache(b"abc: [unclosed\n").is_err());
        assert!(parse_cache(b"\xff\xfe").is_err());
    }
}
