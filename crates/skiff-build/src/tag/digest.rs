//! The `inputDigest` tag policy (`pkg/skaffold/tag/input_digest.go`): a digest of the
//! artifact's source files.
//!
//! The tag is the hex SHA-256 of the JSON array (as Go's `json.Encoder` writes it, with a
//! trailing newline; `null` when empty) of one hex MD5 per dependency, in `sort.Strings` order
//! of the dependency paths. Each MD5 covers the path relative to the workspace (Go's
//! `filepath.Rel`; the path as given when that fails) followed by the file's bytes. Files are
//! `lstat`ed: anything but a regular file (directory, symlink, ...) contributes its path only,
//! and a missing file is skipped.
//!
//! Files are hashed on all cores, and a [`DigestCache`] remembers per-file digests keyed by
//! path, size and modification time so that unchanged files are not read again.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::{self, File, Metadata};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest as _, Md5};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{TagError, TagInput, Tagger, TaggerSettings, go_rel, is_clean};
use crate::dockerfile::gopath;

/// A file modified less than this long before hashing is not cached: a later write within the
/// file system's timestamp granularity could keep the same size and mtime ("racy" entries, as
/// git calls them).
const RACY_MARGIN: Duration = Duration::from_secs(2);

/// Below this many files everything is hashed on the calling thread.
const PARALLEL_MIN_FILES: usize = 32;

/// The most files a worker claims at a time.
const MAX_CHUNK: usize = 256;

/// Read buffer per worker.
const BUFFER_SIZE: usize = 256 * 1024;

/// The `inputDigest` tagger. Needs [`TagInput::dependencies`]; appends
/// [`TagInput::dockerfile`] to them as Skaffold does.
#[derive(Debug, Clone, Default)]
pub struct InputDigestTagger {
    cache: Option<Arc<RwLock<DigestCache>>>,
}

impl InputDigestTagger {
    /// A tagger without a digest cache.
    pub fn new() -> Self {
        InputDigestTagger::default()
    }

    /// A tagger that reads and fills `cache` (shared, e.g. with the artifact cache that persists
    /// it).
    pub fn with_cache(cache: Arc<RwLock<DigestCache>>) -> Self {
        InputDigestTagger { cache: Some(cache) }
    }

    pub(crate) fn from_settings(settings: &TaggerSettings) -> Self {
        InputDigestTagger {
            cache: settings.digest_cache.clone(),
        }
    }
}

impl Tagger for InputDigestTagger {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        let source = input
            .dependencies
            .ok_or_else(|| TagError::NoDependencies(input.image.to_string()))?;
        let deps = source.dependencies().map_err(TagError::Dependencies)?;
        let mut files: Vec<PathBuf> = deps.into_owned();
        if let Some(dockerfile) = input.dockerfile {
            files.push(dockerfile.to_path_buf());
        }
        match &self.cache {
            None => input_digest(&files, input.workspace, input.base_dir, None),
            Some(cache) => {
                let (result, fresh) = {
                    let guard = cache.read().unwrap_or_else(|e| e.into_inner());
                    digest_files(&files, input.workspace, input.base_dir, Some(&guard))
                };
                if !fresh.is_empty() {
                    let mut guard = cache.write().unwrap_or_else(|e| e.into_inner());
                    guard.entries.extend(fresh);
                }
                result
            }
        }
    }
}

/// Per-file digests kept across runs, keyed by absolute path and valid while the file's size and
/// modification time (and the workspace-relative path mixed into the digest) are unchanged.
/// Serialisable so that the artifact cache can persist it.
///
/// Only regular files are cached, and only once their modification time is at least two seconds
/// old: a file written again within the file system's timestamp granularity could otherwise
/// keep its size and mtime and be served stale. A file that is modified while keeping both its
/// size and its mtime (e.g. `touch -d` back to the old time) is not noticed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestCache {
    entries: HashMap<String, CachedDigest, BuildFxHasher>,
}

/// One [`DigestCache`] entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CachedDigest {
    /// File size in bytes.
    pub size: u64,
    /// Modification time, seconds since the Unix epoch.
    pub mtime_secs: i64,
    /// Modification time, nanoseconds within the second.
    pub mtime_nanos: u32,
    /// The path mixed into the digest (relative to the workspace).
    pub hashed_path: String,
    /// MD5 of `hashed_path` followed by the contents.
    #[serde(with = "hex16")]
    pub md5: [u8; 16],
}

impl DigestCache {
    /// An empty cache.
    pub fn new() -> Self {
        DigestCache::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the cache has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The entry for an absolute path.
    pub fn get(&self, path: &Path) -> Option<&CachedDigest> {
        self.entries.get(path.to_string_lossy().as_ref())
    }

    /// Adds or replaces the entry of an absolute path.
    pub fn insert(&mut self, path: &Path, entry: CachedDigest) {
        self.entries
            .insert(path.to_string_lossy().into_owned(), entry);
    }

    /// Every entry (absolute path and digest).
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &CachedDigest)> {
        self.entries.iter().map(|(p, e)| (Path::new(p.as_str()), e))
    }

    /// Forgets one path.
    pub fn remove(&mut self, path: &Path) -> Option<CachedDigest> {
        self.entries.remove(path.to_string_lossy().as_ref())
    }

    /// Keeps only the entries whose path satisfies `keep` (e.g. files still listed as
    /// dependencies), so that a persisted cache does not grow without bound.
    pub fn retain(&mut self, mut keep: impl FnMut(&Path) -> bool) {
        self.entries.retain(|p, _| keep(Path::new(p)));
    }

    fn lookup(&self, path: &str, info: &FileInfo, hashed_path: &str) -> Option<[u8; 16]> {
        let e = self.entries.get(path)?;
        (e.size == info.size
            && e.mtime_secs == info.mtime_secs
            && e.mtime_nanos == info.mtime_nanos
            && e.hashed_path == hashed_path)
            .then_some(e.md5)
    }
}

/// The `inputDigest` tag of `files` (dependency paths as Skaffold lists them: absolute, or
/// relative to `base_dir`, which defaults to the current directory) for an artifact whose
/// workspace is `workspace` (as configured; relative paths are compared lexically like Go's
/// `filepath.Rel`). With a cache, unchanged files are not read and new digests are added.
pub fn input_digest(
    files: &[PathBuf],
    workspace: &Path,
    base_dir: Option<&Path>,
    cache: Option<&mut DigestCache>,
) -> Result<String, TagError> {
    match cache {
        None => digest_files(files, workspace, base_dir, None).0,
        Some(cache) => {
            let (result, fresh) = digest_files(files, workspace, base_dir, Some(cache));
            cache.entries.extend(fresh);
            result
        }
    }
}

/// Skaffold's `fileHasher`: hex MD5 of `path` relative to `workspace` followed by the file's
/// contents (path only for anything but a regular file). Errors include a missing file.
pub fn file_digest(path: &Path, workspace: &Path) -> io::Result<String> {
    let mut files = Files::default();
    let info = files.lstat(path)?;
    let path_str = path.to_string_lossy();
    let hashed = RelBase::new(&workspace.to_string_lossy())
        .rel(&path_str)
        .into_owned();
    let mut buf = vec![0; BUFFER_SIZE];
    hash_file(&mut files, path, &info, &hashed, &mut buf).map(|d| hex(&d))
}

/// Go's `json.NewEncoder(sha256).Encode(inputs)` then hex: the tag of a list of file digests.
pub fn encode_digests<S: AsRef<str>>(digests: &[S]) -> String {
    let mut hasher = Sha256::new();
    if digests.is_empty() {
        // A nil Go slice encodes as null.
        hasher.update(b"null\n");
    } else {
        hasher.update(b"[");
        for (i, d) in digests.iter().enumerate() {
            if i > 0 {
                hasher.update(b",");
            }
            hasher.update(b"\"");
            // Hex digests never need JSON escaping; escape anyway for arbitrary input.
            hasher.update(json_escape(d.as_ref()).as_bytes());
            hasher.update(b"\"");
        }
        hasher.update(b"]\n");
    }
    hex(hasher.finalize().as_slice())
}

/// What happened to one dependency.
enum Outcome {
    Missing,
    Hashed([u8; 16]),
    Failed(io::Error),
}

type Fresh = Vec<(String, CachedDigest)>;

/// Digests `files` (sorted here), reading through `cache`; returns the tag and the new cache
/// entries.
fn digest_files(
    files: &[PathBuf],
    workspace: &Path,
    base_dir: Option<&Path>,
    cache: Option<&DigestCache>,
) -> (Result<String, TagError>, Fresh) {
    let mut sorted: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    // Go's sort.Strings: byte order of the whole string, not path components.
    sorted.sort_unstable_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    let base: Option<PathBuf> = match base_dir {
        Some(b) => Some(b.to_path_buf()),
        None => std::env::current_dir().ok(),
    };
    let racy_after = SystemTime::now()
        .checked_sub(RACY_MARGIN)
        .unwrap_or(UNIX_EPOCH);
    let job = Job {
        files: &sorted,
        base: base.as_deref(),
        workspace: RelBase::new(&workspace.to_string_lossy()),
        cache,
        racy_after,
    };

    let (outcomes, fresh) = job.run();
    // The JSON array of hex digests, as Go's json.Encoder writes it (hex needs no escaping).
    let mut json: Vec<u8> = Vec::with_capacity(outcomes.len() * 35 + 8);
    json.push(b'[');
    for (path, outcome) in sorted.iter().zip(outcomes) {
        match outcome {
            Outcome::Missing => {
                tracing::trace!(
                    "skipping dependency {:?} for artifact cache calculation: not found",
                    path
                );
            }
            Outcome::Hashed(d) => {
                if json.len() > 1 {
                    json.push(b',');
                }
                json.push(b'"');
                push_hex(&mut json, &d);
                json.push(b'"');
            }
            Outcome::Failed(source) => {
                return (
                    Err(TagError::HashFile {
                        path: path.to_path_buf(),
                        source,
                    }),
                    fresh,
                );
            }
        }
    }
    if json.len() == 1 {
        // A nil Go slice encodes as null.
        json.clear();
        json.extend_from_slice(b"null");
    } else {
        json.push(b']');
    }
    json.push(b'\n');
    (Ok(hex(Sha256::digest(&json).as_slice())), fresh)
}

struct Job<'a> {
    files: &'a [&'a Path],
    base: Option<&'a Path>,
    workspace: RelBase,
    cache: Option<&'a DigestCache>,
    racy_after: SystemTime,
}

impl Job<'_> {
    fn run(&self) -> (Vec<Outcome>, Fresh) {
        let n = self.files.len();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut outcomes: Vec<Outcome> = (0..n).map(|_| Outcome::Missing).collect();
        if n < PARALLEL_MIN_FILES || threads <= 1 {
            let mut worker = Worker::default();
            for (i, o) in outcomes.iter_mut().enumerate() {
                *o = self.one(i, &mut worker);
            }
            return (outcomes, worker.fresh);
        }
        // Workers claim chunks of the output; small chunks keep big files balanced, large
        // ones keep the lock cold for many small files.
        let chunk = (n / (threads * 32)).clamp(1, MAX_CHUNK);
        let chunks = Mutex::new(outcomes.chunks_mut(chunk).enumerate());
        let fresh: Vec<Fresh> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        let mut worker = Worker::default();
                        loop {
                            let next = chunks.lock().unwrap_or_else(|e| e.into_inner()).next();
                            let Some((c, out)) = next else { break };
                            for (k, o) in out.iter_mut().enumerate() {
                                *o = self.one(c * chunk + k, &mut worker);
                            }
                        }
                        worker.fresh
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("digest worker panicked"))
                .collect()
        });
        (outcomes, fresh.into_iter().flatten().collect())
    }

    fn one(&self, i: usize, w: &mut Worker) -> Outcome {
        let path = self.files[i];
        if path.as_os_str().is_empty() {
            // Go's os.Lstat("") fails with "no such file or directory".
            return Outcome::Missing;
        }
        let fs_path: Cow<'_, Path> = match self.base {
            Some(base) if path.is_relative() => Cow::Owned(base.join(path)),
            _ => Cow::Borrowed(path),
        };
        let info = match w.files.lstat(&fs_path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Outcome::Missing,
            Err(e) => return Outcome::Failed(e),
        };
        let path_str = path.to_string_lossy();
        let hashed = self.workspace.rel(&path_str);
        let key = fs_path.to_string_lossy();
        if info.regular
            && let Some(d) = self.cache.and_then(|c| c.lookup(&key, &info, &hashed))
        {
            return Outcome::Hashed(d);
        }
        match hash_file(&mut w.files, &fs_path, &info, &hashed, &mut w.buf) {
            Ok(d) => {
                if info.regular && info.modified < self.racy_after {
                    w.fresh.push((
                        key.into_owned(),
                        CachedDigest {
                            size: info.size,
                            mtime_secs: info.mtime_secs,
                            mtime_nanos: info.mtime_nanos,
                            hashed_path: hashed.into_owned(),
                            md5: d,
                        },
                    ));
                }
                Outcome::Hashed(d)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Outcome::Missing,
            Err(e) => Outcome::Failed(e),
        }
    }
}

/// A hashing thread's state.
struct Worker {
    files: Files,
    buf: Vec<u8>,
    fresh: Fresh,
}

impl Default for Worker {
    fn default() -> Self {
        Worker {
            files: Files::default(),
            buf: vec![0; BUFFER_SIZE],
            fresh: Vec::new(),
        }
    }
}

/// What `lstat` says about a dependency.
struct FileInfo {
    regular: bool,
    size: u64,
    mtime_secs: i64,
    mtime_nanos: u32,
    modified: SystemTime,
}

impl FileInfo {
    #[cfg_attr(unix, allow(dead_code))]
    fn from_metadata(meta: &Metadata) -> FileInfo {
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let (mtime_secs, mtime_nanos) = match modified.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                (-(d.as_secs() as i64), d.subsec_nanos())
            }
        };
        FileInfo {
            regular: meta.file_type().is_file(),
            size: meta.len(),
            mtime_secs,
            mtime_nanos,
            modified,
        }
    }
}

/// Go's `filepath.Rel(base, path)` for many paths against one base, without allocating in the
/// common case (a clean path below the base).
struct RelBase {
    /// The cleaned base, `""` for `.`.
    clean: String,
    raw: String,
}

impl RelBase {
    fn new(base: &str) -> Self {
        let clean = gopath::clean(base);
        RelBase {
            clean: if clean == "." { String::new() } else { clean },
            raw: base.to_string(),
        }
    }

    /// The path mixed into a file's digest: relative to the base, or as given.
    fn rel<'p>(&self, path: &'p str) -> Cow<'p, str> {
        if is_clean(path) && path != "." {
            if self.clean.is_empty() {
                if !path.starts_with('/') {
                    return Cow::Borrowed(path);
                }
            } else if let Some(rest) = path.strip_prefix(self.clean.as_str())
                && let Some(rest) = rest.strip_prefix('/')
                && !rest.is_empty()
            {
                return Cow::Borrowed(rest);
            }
        }
        match go_rel(&self.raw, path) {
            Some(rel) => Cow::Owned(rel),
            None => Cow::Borrowed(path),
        }
    }
}

fn hash_file(
    files: &mut Files,
    path: &Path,
    info: &FileInfo,
    hashed: &str,
    buf: &mut [u8],
) -> io::Result<[u8; 16]> {
    let mut h = Md5::new();
    h.update(hashed.as_bytes());
    if info.regular {
        let mut f = files.open(path)?;
        let mut total: u64 = 0;
        loop {
            match f.read(buf) {
                Ok(0) => break,
                Ok(k) => {
                    h.update(&buf[..k]);
                    total += k as u64;
                    // A short read that reaches the size seen by lstat is the end of the file;
                    // this saves the read that would return 0.
                    if k < buf.len() && total >= info.size {
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(h.finalize().into())
}

/// `lstat` and `open` of dependency paths. On Unix the parent directory of the last path is
/// kept open and files are looked up relative to it (`fstatat`/`openat`), which saves the
/// kernel walking the whole path for every file of a directory. Paths whose last element is
/// `.`/`..` or empty (where `lstat` semantics differ), and directories that cannot be opened,
/// go through the plain path functions.
#[derive(Default)]
struct Files {
    #[cfg(unix)]
    dir: Option<(Vec<u8>, Option<std::os::fd::OwnedFd>)>,
}

#[cfg(unix)]
impl Files {
    /// The parent directory (as bytes) and last element of `path`, when `*at` calls apply.
    fn split(path: &Path) -> Option<(&[u8], &std::ffi::OsStr)> {
        use std::os::unix::ffi::OsStrExt;
        let b = path.as_os_str().as_bytes();
        let slash = b.iter().rposition(|&c| c == b'/')?;
        let name = &b[slash + 1..];
        if name.is_empty() || name == b"." || name == b".." {
            return None;
        }
        let dir = if slash == 0 { &b[..1] } else { &b[..slash] };
        Some((dir, std::ffi::OsStr::from_bytes(name)))
    }

    fn dir_fd(&mut self, dir: &[u8]) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        use std::os::unix::ffi::OsStrExt;
        let stale = !matches!(&self.dir, Some((d, _)) if d == dir);
        if stale {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            let flags = rustix::fs::OFlags::PATH
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC;
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let flags = rustix::fs::OFlags::RDONLY
                | rustix::fs::OFlags::DIRECTORY
                | rustix::fs::OFlags::CLOEXEC;
            let fd = rustix::fs::open(
                std::ffi::OsStr::from_bytes(dir),
                flags,
                rustix::fs::Mode::empty(),
            )
            .ok();
            self.dir = Some((dir.to_vec(), fd));
        }
        self.dir
            .as_ref()
            .and_then(|(_, fd)| fd.as_ref().map(|f| f.as_fd()))
    }

    fn lstat(&mut self, path: &Path) -> io::Result<FileInfo> {
        let Some((dir, name)) = Self::split(path) else {
            return fs::symlink_metadata(path).map(|m| FileInfo::from_metadata(&m));
        };
        let Some(fd) = self.dir_fd(dir) else {
            return fs::symlink_metadata(path).map(|m| FileInfo::from_metadata(&m));
        };
        let st = rustix::fs::statat(fd, name, rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
            .map_err(io::Error::from)?;
        #[allow(clippy::unnecessary_cast)]
        let (mtime_secs, mtime_nanos) = (st.st_mtime as i64, st.st_mtime_nsec as u32);
        let modified = if mtime_secs >= 0 {
            UNIX_EPOCH + Duration::new(mtime_secs as u64, mtime_nanos)
        } else {
            UNIX_EPOCH
        };
        #[allow(clippy::unnecessary_cast)]
        let (mode, size) = (st.st_mode as u32, st.st_size as u64);
        Ok(FileInfo {
            regular: rustix::fs::FileType::from_raw_mode(mode as _).is_file(),
            size,
            mtime_secs,
            mtime_nanos,
            modified,
        })
    }

    fn open(&mut self, path: &Path) -> io::Result<File> {
        if let Some((dir, name)) = Self::split(path)
            && let Some(fd) = self.dir_fd(dir)
        {
            let f = rustix::fs::openat(
                fd,
                name,
                rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC,
                rustix::fs::Mode::empty(),
            )
            .map_err(io::Error::from)?;
            return Ok(File::from(f));
        }
        File::open(path)
    }
}

#[cfg(not(unix))]
impl Files {
    fn lstat(&mut self, path: &Path) -> io::Result<FileInfo> {
        fs::symlink_metadata(path).map(|m| FileInfo::from_metadata(&m))
    }

    fn open(&mut self, path: &Path) -> io::Result<File> {
        File::open(path)
    }
}

fn push_hex(out: &mut Vec<u8>, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 0xf)]);
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    String::from_utf8(out).expect("hex is ASCII")
}

/// Go's `encoding/json` string escaping (with its default HTML escaping).
fn json_escape(s: &str) -> Cow<'_, str> {
    if s.bytes()
        .all(|b| b >= 0x20 && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&'))
        && !s.contains(['\u{2028}', '\u{2029}'])
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

mod hex16 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &[u8; 16], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 16], D::Error> {
        let s = String::deserialize(d)?;
        let err = || serde::de::Error::custom("expected 32 hex digits");
        if s.len() != 32 {
            return Err(err());
        }
        let mut out = [0u8; 16];
        for (i, o) in out.iter_mut().enumerate() {
            *o = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(err)?, 16)
                .map_err(|_| err())?;
        }
        Ok(out)
    }
}

/// The cache's map hasher: FxHash-style multiply-rotate over 8-byte words (keys are local file
/// paths, not adversarial input, and SipHash showed up in warm-run profiles).
type BuildFxHasher = BuildHasherDefault<FxHasher>;

#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}
