//! Per-file hashes of artifact dependencies, and a persisted memo of them keyed by
//! `(path, size, mtime, mode)` so that an unchanged file is never read twice.
//!
//! A file's hash is Skaffold's `fileHasher` (`pkg/skaffold/build/cache/hash.go`): hex MD5 over the
//! Go `FileMode.String()` of its `lstat` mode, its base name, and — for a regular file — its
//! contents. The memo stores that value, so a reused hash is byte-for-byte what Skaffold would
//! compute.
//!
//! A file whose mtime is within [`RACY_WINDOW`] of the moment it was hashed is not memoized: a
//! second write in the same mtime tick could otherwise go unnoticed (git's "racily clean" case).
//! Entries unused for [`EXPIRY_DAYS`] are dropped when the memo is saved.
//!
//! A warm pass costs one `fstatat` per file (through a descriptor of its directory, so the kernel
//! resolves one component) and one hash-map probe, spread over the available cores.
//!
//! This is not [`crate::tag::DigestCache`]: that one memoizes `inputDigest`'s per-file MD5 of
//! *relative path + contents*, this one Skaffold's cache-key MD5 of *mode + base name +
//! contents*; MD5 does not compose, so neither value can be derived from the other, and one
//! path-keyed map holding either would flip-flop when a run computes both.

use std::collections::HashMap;
use std::ffi::{CString, OsStr};
use std::fs;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};

use super::file::write_atomically;

/// How close to "now" an mtime may be for the file's hash to be memoized.
pub const RACY_WINDOW: Duration = Duration::from_secs(2);

/// Memo entries not used for this many days are dropped on save.
pub const EXPIRY_DAYS: u32 = 30;

/// The suffix of the memo file written next to the cache file.
pub const FILE_HASHES_SUFFIX: &str = ".file-hashes";

const MAGIC: &[u8] = b"skiff file hashes v1\n";

/// Files processed per thread before hashing is spread over threads.
const PARALLEL_CHUNK: usize = 2048;

/// What one hashing pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileHashStats {
    /// Files read and hashed.
    pub hashed: u64,
    /// Files whose memoized hash was reused.
    pub reused: u64,
    /// Listed files that do not exist (skipped, as Skaffold does).
    pub missing: u64,
}

impl FileHashStats {
    fn add(&mut self, other: FileHashStats) {
        self.hashed += other.hashed;
        self.reused += other.reused;
        self.missing += other.missing;
    }
}

/// A file that could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("getting hash for {path:?}: {source}")]
pub struct FileHashError {
    /// The file.
    pub path: PathBuf,
    /// What reading it reported.
    pub source: io::Error,
}

/// The memo: raw path bytes → entry, hashed with [`PathHasher`] (std's `Path` hashes and
/// compares component by component, which dominates a 100k-file lookup pass).
type Map = HashMap<Box<[u8]>, Entry, BuildHasherDefault<PathHasher>>;

/// A fast non-cryptographic hasher for path bytes (FxHash's multiply-rotate over 8-byte words).
#[derive(Default)]
struct PathHasher(u64);

impl Hasher for PathHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let word = u64::from_le_bytes(c.try_into().expect("8 bytes"));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Debug)]
struct Entry {
    size: u64,
    mtime_secs: i64,
    mtime_nanos: u32,
    mode: u32,
    hash: [u8; 16],
    /// Days since the Unix epoch when the entry was last used.
    used: AtomicU32,
}

impl Entry {
    fn matches(&self, stat: &Stat) -> bool {
        self.size == stat.size
            && self.mtime_secs == stat.mtime_secs
            && self.mtime_nanos == stat.mtime_nanos
            && self.mode == stat.mode
    }
}

/// What an `lstat` says about a file, as far as the memo cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stat {
    size: u64,
    mtime_secs: i64,
    mtime_nanos: u32,
    mode: u32,
}

impl Stat {
    fn from_metadata(meta: &fs::Metadata) -> Self {
        Stat {
            size: meta.size(),
            mtime_secs: meta.mtime(),
            mtime_nanos: meta.mtime_nsec() as u32,
            mode: meta.mode(),
        }
    }

    fn is_regular(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }

    fn modified(&self) -> Option<SystemTime> {
        let nanos = Duration::from_nanos(u64::from(self.mtime_nanos));
        if self.mtime_secs >= 0 {
            UNIX_EPOCH.checked_add(Duration::from_secs(self.mtime_secs as u64) + nanos)
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(self.mtime_secs.unsigned_abs()))?
                .checked_add(nanos)
        }
    }
}

/// `lstat` through a descriptor of the file's directory, kept open while consecutive paths
/// share it: the kernel then resolves one path component per file instead of the whole path,
/// which halves the cost of checking a large, sorted dependency list.
struct DirStat {
    /// The directory (path bytes) and its `O_PATH` descriptor.
    dir: Option<(Vec<u8>, OwnedFd)>,
    /// A reusable NUL-terminated buffer.
    name: Vec<u8>,
}

impl DirStat {
    fn new() -> Self {
        DirStat {
            dir: None,
            name: Vec::with_capacity(256),
        }
    }

    fn lstat(&mut self, bytes: &[u8]) -> io::Result<Stat> {
        let path = Path::new(OsStr::from_bytes(bytes));
        let split = match bytes.iter().rposition(|&b| b == b'/') {
            Some(i) if i > 0 && i + 1 < bytes.len() => i,
            // Relative names, children of `/`, trailing slashes: the plain call.
            _ => return fs::symlink_metadata(path).map(|m| Stat::from_metadata(&m)),
        };
        let (parent, name) = (&bytes[..split], &bytes[split + 1..]);
        let fd = match &self.dir {
            Some((dir, fd)) if dir.as_slice() == parent => fd.as_raw_fd(),
            _ => {
                self.dir = None;
                let c_parent = c_path(OsStr::from_bytes(parent))?;
                // SAFETY: a valid NUL-terminated path; the result is checked.
                let fd = unsafe {
                    libc::open(
                        c_parent.as_ptr(),
                        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                    )
                };
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: `fd` was just opened and is owned by nothing else.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                self.dir = Some((parent.to_vec(), owned));
                fd
            }
        };
        if name.contains(&0) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "file name contains a NUL byte",
            ));
        }
        self.name.clear();
        self.name.extend_from_slice(name);
        self.name.push(0);
        // SAFETY: zeroed `stat` is a valid out-parameter; `self.name` is NUL-terminated and
        // both pointers are valid for the call.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::fstatat(
                fd,
                self.name.as_ptr().cast(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Stat {
            size: st.st_size as u64,
            mtime_secs: st.st_mtime,
            mtime_nanos: st.st_mtime_nsec as u32,
            mode: st.st_mode,
        })
    }
}

fn c_path(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))
}

/// The memo of file hashes, shared by every artifact of a run (and by concurrent hashing
/// passes). Persisted with [`FileHashCache::save`] when it has a path.
#[derive(Debug, Default)]
pub struct FileHashCache {
    path: Option<PathBuf>,
    entries: RwLock<Map>,
    dirty: AtomicBool,
    hashed: AtomicU64,
    reused: AtomicU64,
}

fn today() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    (secs / 86_400) as u32
}

impl FileHashCache {
    /// A memo that lives in memory only.
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// The memo file that goes with a cache file: `<cache file>.file-hashes`.
    pub fn path_for(cache_file: &Path) -> PathBuf {
        let mut name = cache_file.as_os_str().to_owned();
        name.push(FILE_HASHES_SUFFIX);
        PathBuf::from(name)
    }

    /// Loads the memo persisted at `path`. A missing file is an empty memo; an unreadable or
    /// corrupt one is an empty memo plus a warning (it is rewritten on the next save).
    pub fn load(path: PathBuf) -> (Self, Option<String>) {
        let (entries, warning) = match fs::read(&path) {
            Ok(bytes) => match decode(&bytes) {
                Some(entries) => (entries, None),
                None => (
                    Map::default(),
                    Some(format!(
                        "ignoring corrupt file hash cache {}: files will be hashed again",
                        path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => (Map::default(), None),
            Err(e) => (
                Map::default(),
                Some(format!(
                    "ignoring unreadable file hash cache {}: {e}",
                    path.display()
                )),
            ),
        };
        let cache = Self {
            path: Some(path),
            entries: RwLock::new(entries),
            ..Self::default()
        };
        (cache, warning)
    }

    /// Where the memo is persisted, if anywhere.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How many files are memoized.
    pub fn len(&self) -> usize {
        self.read().len()
    }

    /// Whether nothing is memoized.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Totals over every pass since the memo was created.
    pub fn totals(&self) -> FileHashStats {
        FileHashStats {
            hashed: self.hashed.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            missing: 0,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Map> {
        self.entries.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The hashes of `paths` (absolute), in order, as Skaffold's hasher lists them: files that
    /// do not exist are skipped; any other error fails the pass. Work is spread over threads.
    pub fn hash_files(
        &self,
        paths: &[PathBuf],
    ) -> Result<(Vec<String>, FileHashStats), FileHashError> {
        let (digests, stats) = self.hash_files_raw(paths)?;
        Ok((digests.iter().map(|d| hex(d)).collect(), stats))
    }

    /// [`FileHashCache::hash_files`] with the MD5s as bytes.
    pub fn hash_files_raw(
        &self,
        paths: &[PathBuf],
    ) -> Result<(Vec<[u8; 16]>, FileHashStats), FileHashError> {
        self.hash_files_in(Path::new(""), paths)
    }

    /// [`FileHashCache::hash_files_raw`] of `base` joined with each of `paths` (an absolute
    /// path stays as it is), without building the joined paths.
    pub fn hash_files_in(
        &self,
        base: &Path,
        paths: &[PathBuf],
    ) -> Result<(Vec<[u8; 16]>, FileHashStats), FileHashError> {
        let base = base.as_os_str().as_bytes();
        let day = today();
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .min(paths.len().div_ceil(PARALLEL_CHUNK))
            .max(1);
        let results: Vec<Result<Pass, FileHashError>> = {
            let entries = self.read();
            let entries = &*entries;
            if threads == 1 {
                vec![hash_chunk(entries, base, paths, day)]
            } else {
                let chunk = paths.len().div_ceil(threads);
                std::thread::scope(|scope| {
                    let handles: Vec<_> = paths
                        .chunks(chunk)
                        .map(|part| scope.spawn(move || hash_chunk(entries, base, part, day)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().expect("file hashing thread panicked"))
                        .collect()
                })
            }
        };
        let mut hashes = Vec::with_capacity(paths.len());
        let mut stats = FileHashStats::default();
        let mut fresh = Vec::new();
        let mut touched = false;
        for result in results {
            let pass = result?;
            hashes.extend(pass.hashes);
            stats.add(pass.stats);
            fresh.extend(pass.fresh);
            touched |= pass.touched;
        }
        if !fresh.is_empty() {
            let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
            entries.extend(fresh);
            touched = true;
        }
        if touched {
            self.dirty.store(true, Ordering::Relaxed);
        }
        self.hashed.fetch_add(stats.hashed, Ordering::Relaxed);
        self.reused.fetch_add(stats.reused, Ordering::Relaxed);
        Ok((hashes, stats))
    }

    /// Writes the memo next to the cache file, if it has a path and changed. Entries written
    /// meanwhile by other processes are kept; entries unused for [`EXPIRY_DAYS`] are dropped.
    pub fn save(&self) -> io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        if !self.dirty.swap(false, Ordering::Relaxed) {
            return Ok(());
        }
        let oldest = today().saturating_sub(EXPIRY_DAYS);
        let on_disk = fs::read(path)
            .ok()
            .and_then(|bytes| decode(&bytes))
            .unwrap_or_default();
        let entries = self.read();
        let mut out = Vec::with_capacity(64 * (entries.len() + 1));
        out.extend_from_slice(MAGIC);
        let live = |e: &Entry| e.used.load(Ordering::Relaxed) >= oldest;
        let ours = entries.iter().filter(|(_, e)| live(e));
        let theirs = on_disk
            .iter()
            .filter(|(p, e)| !entries.contains_key(*p) && live(e));
        for (path, entry) in ours.chain(theirs) {
            encode_entry(&mut out, path, entry);
        }
        drop(entries);
        let result = write_atomically(path, &out);
        if result.is_err() {
            self.dirty.store(true, Ordering::Relaxed);
        }
        result
    }
}

struct Pass {
    hashes: Vec<[u8; 16]>,
    stats: FileHashStats,
    fresh: Vec<(Box<[u8]>, Entry)>,
    touched: bool,
}

fn hash_chunk(
    entries: &Map,
    base: &[u8],
    paths: &[PathBuf],
    day: u32,
) -> Result<Pass, FileHashError> {
    let mut pass = Pass {
        hashes: Vec::with_capacity(paths.len()),
        stats: FileHashStats::default(),
        fresh: Vec::new(),
        touched: false,
    };
    let mut buf = vec![0u8; 64 * 1024];
    let mut dirs = DirStat::new();
    let mut full: Vec<u8> = Vec::with_capacity(base.len() + 256);
    for rel in paths {
        let rel = rel.as_os_str().as_bytes();
        // `base.join(rel)`, in a reused buffer.
        full.clear();
        if !base.is_empty() && rel.first() != Some(&b'/') {
            full.extend_from_slice(base);
            if base.last() != Some(&b'/') {
                full.push(b'/');
            }
        }
        full.extend_from_slice(rel);
        let path = Path::new(OsStr::from_bytes(&full));
        let err = |source| FileHashError {
            path: path.to_owned(),
            source,
        };
        let stat = match dirs.lstat(&full) {
            Ok(stat) => stat,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                pass.stats.missing += 1;
                continue;
            }
            Err(e) => return Err(err(e)),
        };
        if let Some(entry) = entries.get(full.as_slice())
            && entry.matches(&stat)
        {
            if entry.used.swap(day, Ordering::Relaxed) != day {
                pass.touched = true;
            }
            pass.hashes.push(entry.hash);
            pass.stats.reused += 1;
            continue;
        }
        let started = SystemTime::now();
        let hash = match hash_with_stat(path, &stat, &mut buf) {
            Ok(hash) => hash,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                pass.stats.missing += 1;
                continue;
            }
            Err(e) => return Err(err(e)),
        };
        pass.hashes.push(hash);
        pass.stats.hashed += 1;
        if !is_racy(&stat, started) {
            pass.fresh.push((
                full.as_slice().into(),
                Entry {
                    size: stat.size,
                    mtime_secs: stat.mtime_secs,
                    mtime_nanos: stat.mtime_nanos,
                    mode: stat.mode,
                    hash,
                    used: AtomicU32::new(day),
                },
            ));
        }
    }
    Ok(pass)
}

/// Whether the file was modified so recently before `now` that a later write could keep the
/// same mtime.
fn is_racy(stat: &Stat, now: SystemTime) -> bool {
    match stat.modified() {
        Some(mtime) => match now.duration_since(mtime) {
            Ok(age) => age < RACY_WINDOW,
            Err(_) => true, // mtime in the future
        },
        None => true,
    }
}

/// Skaffold's `fileHasher` for one file: hex MD5 of the `lstat` mode string, the base name and,
/// for a regular file, the contents.
pub fn file_hash(path: &Path) -> io::Result<String> {
    let stat = Stat::from_metadata(&fs::symlink_metadata(path)?);
    let mut buf = vec![0u8; 64 * 1024];
    hash_with_stat(path, &stat, &mut buf).map(|h| hex(&h))
}

fn hash_with_stat(path: &Path, stat: &Stat, buf: &mut [u8]) -> io::Result<[u8; 16]> {
    let mut md5 = Md5::new();
    md5.update(go_mode_string(stat.mode).as_bytes());
    md5.update(base_name(path).as_bytes());
    if stat.is_regular() {
        let mut file = fs::File::open(path)?;
        loop {
            let n = file.read(buf)?;
            if n == 0 {
                break;
            }
            md5.update(&buf[..n]);
        }
    }
    Ok(md5.finalize().into())
}

/// Go's `filepath.Base` for the paths the hasher sees (absolute, no trailing separator).
fn base_name(path: &Path) -> &OsStr {
    path.file_name().unwrap_or(path.as_os_str())
}

/// Go's `os.FileMode.String()` for a Unix `st_mode`: type letters from `dalTLDpSugct?` (or `-`),
/// then `rwxrwxrwx`.
pub fn go_mode_string(st_mode: u32) -> String {
    const S_IFMT: u32 = 0o170000;
    let kind = st_mode & S_IFMT;
    let mut s = String::with_capacity(12);
    // Go's order: d a l T L D p S u g c t ?
    if kind == 0o040000 {
        s.push('d');
    }
    if kind == 0o120000 {
        s.push('L');
    }
    if kind == 0o060000 || kind == 0o020000 {
        s.push('D');
    }
    if kind == 0o010000 {
        s.push('p');
    }
    if kind == 0o140000 {
        s.push('S');
    }
    if st_mode & 0o4000 != 0 {
        s.push('u');
    }
    if st_mode & 0o2000 != 0 {
        s.push('g');
    }
    if kind == 0o020000 {
        s.push('c');
    }
    if st_mode & 0o1000 != 0 {
        s.push('t');
    }
    if s.is_empty() {
        s.push('-');
    }
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        s.push(if st_mode & (1 << (8 - i)) != 0 {
            c
        } else {
            '-'
        });
    }
    s
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

// The memo file: MAGIC, then per entry: u32 path length, path bytes, u64 size, i64 mtime
// seconds, u32 mtime nanoseconds, u32 mode, 16 hash bytes, u32 last-used day (little endian).

fn encode_entry(out: &mut Vec<u8>, bytes: &[u8], entry: &Entry) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(&entry.size.to_le_bytes());
    out.extend_from_slice(&entry.mtime_secs.to_le_bytes());
    out.extend_from_slice(&entry.mtime_nanos.to_le_bytes());
    out.extend_from_slice(&entry.mode.to_le_bytes());
    out.extend_from_slice(&entry.hash);
    out.extend_from_slice(&entry.used.load(Ordering::Relaxed).to_le_bytes());
}

fn decode(bytes: &[u8]) -> Option<Map> {
    let mut rest = bytes.strip_prefix(MAGIC)?;
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if rest.len() < n {
            return None;
        }
        let (head, tail) = rest.split_at(n);
        *rest = tail;
        Some(head)
    }
    fn array<const N: usize>(rest: &mut &[u8]) -> Option<[u8; N]> {
        take(rest, N)?.try_into().ok()
    }
    let mut entries = Map::default();
    while !rest.is_empty() {
        let len = u32::from_le_bytes(array(&mut rest)?) as usize;
        let path: Box<[u8]> = take(&mut rest, len)?.into();
        let entry = Entry {
            size: u64::from_le_bytes(array(&mut rest)?),
            mtime_secs: i64::from_le_bytes(array(&mut rest)?),
            mtime_nanos: u32::from_le_bytes(array(&mut rest)?),
            mode: u32::from_le_bytes(array(&mut rest)?),
            hash: array(&mut rest)?,
            used: AtomicU32::new(u32::from_le_bytes(array(&mut rest)?)),
        };
        entries.insert(path, entry);
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;

    fn set_mtime(path: &Path, secs_ago: u64) {
        let t = SystemTime::now() - Duration::from_secs(secs_ago);
        File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    #[test]
    fn mode_strings_match_go() {
        assert_eq!(go_mode_string(0o100644), "-rw-r--r--");
        assert_eq!(go_mode_string(0o100755), "-rwxr-xr-x");
        assert_eq!(go_mode_string(0o040755), "drwxr-xr-x");
        assert_eq!(go_mode_string(0o120777), "Lrwxrwxrwx");
        assert_eq!(go_mode_string(0o020620), "Dcrw--w----");
        assert_eq!(go_mode_string(0o060660), "Drw-rw----");
        assert_eq!(go_mode_string(0o010644), "prw-r--r--");
        assert_eq!(go_mode_string(0o140755), "Srwxr-xr-x");
        assert_eq!(go_mode_string(0o104755), "urwxr-xr-x");
        assert_eq!(go_mode_string(0o041777), "dtrwxrwxrwx");
    }

    #[test]
    fn file_hash_is_md5_of_mode_name_and_contents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hello.txt");
        fs::write(&path, "hello").unwrap();
        let mut perms = fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o644);
        fs::set_permissions(&path, perms).unwrap();
        let expected = hex(&Md5::digest(b"-rw-r--r--hello.txthello"));
        assert_eq!(file_hash(&path).unwrap(), expected);
        // A directory hashes its mode and name only.
        let sub = dir.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let mode = go_mode_string(fs::metadata(&sub).unwrap().mode());
        let expected = hex(&Md5::digest(format!("{mode}sub").as_bytes()));
        assert_eq!(file_hash(&sub).unwrap(), expected);
    }

    #[test]
    fn memo_reuses_unchanged_files_and_rehashes_changed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        fs::write(&a, "one").unwrap();
        fs::write(&b, "two").unwrap();
        set_mtime(&a, 100);
        set_mtime(&b, 100);
        let missing = dir.path().join("missing");
        let paths = vec![a.clone(), missing, b.clone()];
        let cache = FileHashCache::in_memory();

        let (first, stats) = cache.hash_files(&paths).unwrap();
        assert_eq!(first.len(), 2);
        assert_eq!(
            stats,
            FileHashStats {
                hashed: 2,
                reused: 0,
                missing: 1
            }
        );
        let (second, stats) = cache.hash_files(&paths).unwrap();
        assert_eq!(second, first);
        assert_eq!((stats.hashed, stats.reused), (0, 2));

        // Same size, new content, new mtime: hashed again.
        fs::write(&a, "ONE").unwrap();
        set_mtime(&a, 50);
        let (third, stats) = cache.hash_files(&paths).unwrap();
        assert_ne!(third[0], first[0]);
        assert_eq!(third[1], first[1]);
        assert_eq!((stats.hashed, stats.reused), (1, 1));
    }

    #[test]
    fn recently_modified_files_are_not_memoized() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        fs::write(&a, "fresh").unwrap();
        let cache = FileHashCache::in_memory();
        let paths = vec![a];
        cache.hash_files(&paths).unwrap();
        let (_, stats) = cache.hash_files(&paths).unwrap();
        assert_eq!((stats.hashed, stats.reused), (1, 0));
        assert!(cache.is_empty());
    }

    #[test]
    fn memo_persists_and_survives_corruption() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        fs::write(&file, "x").unwrap();
        set_mtime(&file, 10);
        let memo = FileHashCache::path_for(&dir.path().join("cache"));
        assert!(memo.ends_with("cache.file-hashes"));

        let (cache, warning) = FileHashCache::load(memo.clone());
        assert!(warning.is_none());
        let (hashes, _) = cache.hash_files(std::slice::from_ref(&file)).unwrap();
        cache.save().unwrap();

        let (reloaded, warning) = FileHashCache::load(memo.clone());
        assert!(warning.is_none());
        assert_eq!(reloaded.len(), 1);
        let (again, stats) = reloaded.hash_files(std::slice::from_ref(&file)).unwrap();
        assert_eq!(again, hashes);
        assert_eq!(stats.reused, 1);

        let mut bytes = fs::read(&memo).unwrap();
        bytes.truncate(bytes.len() - 3);
        fs::write(&memo, &bytes).unwrap();
        let (broken, warning) = FileHashCache::load(memo.clone());
        assert!(warning.unwrap().contains("corrupt"));
        assert!(broken.is_empty());
        fs::write(&memo, b"garbage").unwrap();
        assert!(FileHashCache::load(memo).1.is_some());
    }

    #[test]
    fn many_files_are_hashed_in_order_across_threads() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..5000 {
            let p = dir.path().join(format!("f{i:05}"));
            fs::write(&p, i.to_string()).unwrap();
            paths.push(p);
        }
        let cache = FileHashCache::in_memory();
        let (hashes, _) = cache.hash_files(&paths).unwrap();
        for (i, p) in paths.iter().enumerate().step_by(997) {
            assert_eq!(hashes[i], file_hash(p).unwrap());
        }
    }
}
