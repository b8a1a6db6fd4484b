//! The artifact cache (Skaffold's `pkg/skaffold/build/cache`): before building, each artifact
//! is hashed from its inputs ([`ArtifactHasher`]); a hash already in the cache file names an
//! image that may still exist in the local engine or in the registry, in which case the build
//! is skipped ([`ArtifactCache::lookup`], [`ArtifactCache::retrieve`]). After a build, the new
//! image is recorded ([`ArtifactCache::record_build`]) and the cache file saved
//! ([`ArtifactCache::save`]).
//!
//! The scheduler drives it as Skaffold's `cache.Build` does: print [`CHECKING_CACHE`], emit a
//! `Cache` `InProgress` event per artifact, look each up, print ` - <image>: ` followed by
//! [`CacheResult::message`] and emit the Cache event with [`CacheResult::event_status`]; build
//! the misses, [`ArtifactCache::retrieve`] the hits; save the cache file after the builds
//! (even if one failed). With `--cache-artifacts=false` ([`ArtifactCache::disabled`]) none of
//! that happens: no output, no Cache events, every artifact is built.
//!
//! File hashes are memoized by `(path, size, mtime, mode)` in `<cache file>.file-hashes`
//! ([`FileHashCache`]), so a warm check of a large context costs a `stat` per file.

pub mod file;
pub mod file_hashes;
pub mod hash;
pub mod lookup;
pub mod registry;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use file::{
    CacheEntries, CacheFileError, DEFAULT_CACHE_FILE, ImageDetails, default_cache_file,
    read_cache_file, write_cache_file,
};
pub use file_hashes::{FileHashCache, FileHashError, FileHashStats, file_hash, go_mode_string};
pub use hash::{
    ArtifactHasher, DependencyLister, FnLister, HashError, HashTarget, encode, env_tags,
};
pub use lookup::{
    CacheError, CacheLookup, CacheResult, LocalImages, LookupRequest, RemoteImages, normalize_id,
    tag_with_image_id,
};
pub use registry::{Manifest, RegistryClient, RegistryError, RemoteReference, is_local_registry};
pub use skiff_config::reference::tag_with_digest;

use crate::builder::BuildOutput;

/// What Skaffold prints before looking artifacts up (only when there are artifacts).
pub const CHECKING_CACHE: &str = "Checking cache...";

/// How the cache is set up from the command line.
#[derive(Debug, Clone)]
pub struct CacheOptions {
    /// `--cache-artifacts` (default `true`): `false` disables lookups and saving.
    pub enabled: bool,
    /// `--cache-file`; `None` for `~/.skaffold/cache`.
    pub cache_file: Option<PathBuf>,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            cache_file: None,
        }
    }
}

/// The artifact cache of one run: the cache file's entries, the file-hash memo, and the hash
/// of every artifact that was looked up and must be built.
#[derive(Debug)]
pub struct ArtifactCache {
    enabled: bool,
    path: Option<PathBuf>,
    entries: Mutex<CacheEntries>,
    /// Entries added or changed by this run (merged over the file's current contents on save).
    changed: Mutex<CacheEntries>,
    hash_by_name: Mutex<HashMap<String, String>>,
    file_hashes: Arc<FileHashCache>,
    warnings: Vec<String>,
}

impl ArtifactCache {
    /// Opens the cache: reads the cache file and the file-hash memo next to it. Never fails: a
    /// missing file is an empty cache; an unreadable or corrupt one is an empty cache and a
    /// warning (see [`ArtifactCache::warnings`]); without a home directory (and no
    /// `--cache-file`) caching is off, with a warning, as in Skaffold.
    pub fn open(options: &CacheOptions) -> Self {
        if !options.enabled {
            return Self::disabled();
        }
        let Some(path) = options.cache_file.clone().or_else(default_cache_file) else {
            let mut cache = Self::disabled();
            cache.warnings.push(
                "Error resolving cache file, not using skaffold cache: no home directory".into(),
            );
            return cache;
        };
        let mut warnings = Vec::new();
        let entries = match read_cache_file(&path) {
            Ok(entries) => entries,
            Err(e) => {
                warnings.push(format!("{e}; starting with an empty cache"));
                CacheEntries::new()
            }
        };
        let (file_hashes, warning) = FileHashCache::load(FileHashCache::path_for(&path));
        warnings.extend(warning);
        Self {
            enabled: true,
            path: Some(path),
            entries: Mutex::new(entries),
            changed: Mutex::new(CacheEntries::new()),
            hash_by_name: Mutex::new(HashMap::new()),
            file_hashes: Arc::new(file_hashes),
            warnings,
        }
    }

    /// A cache that finds nothing and saves nothing (`--cache-artifacts=false`).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            path: None,
            entries: Mutex::new(CacheEntries::new()),
            changed: Mutex::new(CacheEntries::new()),
            hash_by_name: Mutex::new(HashMap::new()),
            file_hashes: Arc::new(FileHashCache::in_memory()),
            warnings: Vec::new(),
        }
    }

    /// Whether lookups and saving happen.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The cache file, when enabled.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Problems met while opening (to be logged as warnings).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The file-hash memo, to give to [`ArtifactHasher::new`].
    pub fn file_hashes(&self) -> &Arc<FileHashCache> {
        &self.file_hashes
    }

    /// The cache entry for `hash`, if any.
    pub fn entry(&self, hash: &str) -> Option<ImageDetails> {
        self.lock_entries().get(hash).cloned()
    }

    /// A copy of every entry.
    pub fn entries(&self) -> CacheEntries {
        self.lock_entries().clone()
    }

    fn lock_entries(&self) -> std::sync::MutexGuard<'_, CacheEntries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_entry(&self, hash: &str, details: ImageDetails) {
        self.lock_entries().insert(hash.to_owned(), details.clone());
        self.changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hash.to_owned(), details);
    }

    /// Hashes then looks up several artifacts concurrently (Skaffold's `lookupArtifacts`).
    /// Hashing runs on blocking threads. Results are in the order of `requests`.
    pub async fn check_all(
        &self,
        hasher: &ArtifactHasher,
        requests: &[LookupRequest<'_>],
        local: &dyn LocalImages,
        remote: &dyn RemoteImages,
    ) -> Vec<Result<CacheLookup, CacheError>> {
        let lookups = requests.iter().map(|request| async move {
            let image = request.image_name.to_owned();
            let h = hasher.clone();
            let hash = tokio::task::spawn_blocking(move || {
                let hash = h.hash(&image);
                (image, hash)
            })
            .await;
            let hash = match hash {
                Ok((_, Ok(hash))) => hash,
                Ok((image, Err(source))) => return Err(CacheError::Hash { image, source }),
                Err(e) => return Err(CacheError::Engine(format!("hashing task failed: {e}"))),
            };
            self.lookup(request, &hash, local, remote).await
        });
        futures_util::future::join_all(lookups).await
    }

    /// Looks up one artifact whose hash is known, as Skaffold's `lookup` does: on a miss,
    /// optionally adopt an existing image (`tryImportMissing`); then check the local engine
    /// (not pushing) or the registry (pushing). Remembers the hash of a `NeedsBuild` artifact
    /// for [`ArtifactCache::record_build`].
    pub async fn lookup(
        &self,
        request: &LookupRequest<'_>,
        hash: &str,
        local: &dyn LocalImages,
        remote: &dyn RemoteImages,
    ) -> Result<CacheLookup, CacheError> {
        let result = if self.enabled {
            self.decide(request, hash, local, remote).await?
        } else {
            CacheResult::NeedsBuild
        };
        if result == CacheResult::NeedsBuild {
            self.hash_by_name
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(request.image_name.to_owned(), hash.to_owned());
        }
        Ok(CacheLookup {
            image_name: request.image_name.to_owned(),
            hash: hash.to_owned(),
            result,
        })
    }

    async fn decide(
        &self,
        request: &LookupRequest<'_>,
        hash: &str,
        local: &dyn LocalImages,
        remote: &dyn RemoteImages,
    ) -> Result<CacheResult, CacheError> {
        let entry = match self.entry(hash) {
            Some(entry) => entry,
            // Multi-platform images are never imported: the engine cannot hold them.
            None if request.platforms.len() <= 1 => {
                match self.try_import(request, hash, local, remote).await {
                    Some(entry) => entry,
                    None => return Ok(CacheResult::NeedsBuild),
                }
            }
            None => ImageDetails::default(),
        };
        if request.push {
            Ok(lookup_remote(request.tag, &entry, local, remote).await)
        } else {
            lookup_local(request.tag, &entry, local).await
        }
    }

    /// Skaffold's `tryImport`: adopt the image already under the tag (pulling it if the
    /// engine does not have it) as the cache entry for `hash`. `None` when disabled or failed.
    async fn try_import(
        &self,
        request: &LookupRequest<'_>,
        hash: &str,
        local: &dyn LocalImages,
        remote: &dyn RemoteImages,
    ) -> Option<ImageDetails> {
        if !request.try_import_missing {
            return None;
        }
        let tag = request.tag;
        if !matches!(local.image_id(tag).await, Ok(Some(_))) {
            let platform = request.platforms.first().map(String::as_str);
            local.pull(tag, platform).await.ok()?;
        }
        let mut entry = ImageDetails::default();
        if let Some(id) = local.image_id(tag).await.ok()? {
            entry.id = id;
        }
        if let Ok(Some(digest)) = remote.remote_digest(tag).await {
            entry.digest = digest;
        }
        self.set_entry(hash, entry.clone());
        Some(entry)
    }

    /// Acts on a hit and returns the reference deployers use: tags or pushes as the lookup
    /// decided, then `name:<image id>` for a local image (tagged so) or `tag@digest` for a
    /// pushed one. A [`CacheResult::NeedsBuild`] lookup has nothing to retrieve: `None`.
    pub async fn retrieve(
        &self,
        request: &LookupRequest<'_>,
        lookup: &CacheLookup,
        local: &dyn LocalImages,
        remote: &dyn RemoteImages,
        output: &dyn BuildOutput,
    ) -> Result<Option<String>, CacheError> {
        let tag = request.tag;
        match &lookup.result {
            CacheResult::NeedsBuild => return Ok(None),
            CacheResult::NeedsLocalTagging { id } => local.tag(id, tag).await?,
            CacheResult::NeedsRemoteTagging { digest } => {
                remote
                    .add_remote_tag(&tag_with_digest(tag, digest), tag)
                    .await?
            }
            CacheResult::NeedsPushing { id } => {
                local.tag(id, tag).await?;
                let digest = local.push(tag, output).await?;
                let mut entry = self.entry(&lookup.hash).unwrap_or_default();
                entry.digest = digest;
                self.set_entry(&lookup.hash, entry);
            }
            CacheResult::FoundLocally { .. } | CacheResult::FoundRemotely { .. } => {}
        }
        let entry = self.entry(&lookup.hash).unwrap_or_default();
        if request.push {
            Ok(Some(tag_with_digest(tag, &entry.digest)))
        } else if entry.id.is_empty() {
            Ok(Some(tag.to_owned()))
        } else {
            let unique = tag_with_image_id(tag, &entry.id);
            local.tag(&entry.id, &unique).await?;
            Ok(Some(unique))
        }
    }

    /// Records a finished build (Skaffold's `AddArtifact`): the image id of a local image, or
    /// the digest of a pushed `name:tag@digest` reference, under the hash computed when the
    /// artifact was looked up. Does nothing for an artifact that was not looked up.
    pub async fn record_build(
        &self,
        image_name: &str,
        reference: &str,
        pushed: bool,
        local: &dyn LocalImages,
    ) -> Result<(), CacheError> {
        if !self.enabled {
            return Ok(());
        }
        let hash = self
            .hash_by_name
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(image_name)
            .cloned();
        let Some(hash) = hash else {
            return Ok(());
        };
        let mut entry = ImageDetails::default();
        if pushed {
            entry.digest = reference
                .split_once('@')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default();
        } else if let Some(id) = local.image_id(reference).await? {
            entry.id = id;
        }
        self.set_entry(&hash, entry);
        Ok(())
    }

    /// Writes the cache file (atomically) and the file-hash memo. Entries other processes
    /// wrote meanwhile are kept; this run's entries win. Does nothing when disabled.
    pub fn save(&self) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let memo = self.file_hashes.save();
        let changed = self
            .changed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut merged = read_cache_file(path).unwrap_or_default();
        for (hash, details) in self.lock_entries().iter() {
            merged
                .entry(hash.clone())
                .or_insert_with(|| details.clone());
        }
        merged.extend(changed);
        write_cache_file(path, &merged)?;
        memo
    }
}

async fn lookup_local(
    tag: &str,
    entry: &ImageDetails,
    local: &dyn LocalImages,
) -> Result<CacheResult, CacheError> {
    if entry.id.is_empty() {
        return Ok(CacheResult::NeedsBuild);
    }
    let id = normalize_id(&entry.id);
    // Errors here fail the lookup, as in Skaffold (the engine is needed to build anyway).
    if local.image_id(tag).await? == Some(id.clone()) {
        return Ok(CacheResult::FoundLocally { id });
    }
    if matches!(local.image_id(&id).await, Ok(Some(_))) {
        return Ok(CacheResult::NeedsLocalTagging { id });
    }
    Ok(CacheResult::NeedsBuild)
}

async fn lookup_remote(
    tag: &str,
    entry: &ImageDetails,
    local: &dyn LocalImages,
    remote: &dyn RemoteImages,
) -> CacheResult {
    if !entry.digest.is_empty() {
        if let Ok(Some(digest)) = remote.remote_digest(tag).await
            && digest == entry.digest
        {
            return CacheResult::FoundRemotely { digest };
        }
        // The tag itself is ignored when a digest is given: this asks whether the repository
        // has the digest.
        if let Ok(Some(digest)) = remote
            .remote_digest(&tag_with_digest(tag, &entry.digest))
            .await
            && digest == entry.digest
        {
            return CacheResult::NeedsRemoteTagging { digest };
        }
    }
    if !entry.id.is_empty() {
        let id = normalize_id(&entry.id);
        if matches!(local.image_id(&id).await, Ok(Some(_))) {
            return CacheResult::NeedsPushing { id };
        }
    }
    CacheResult::NeedsBuild
}

#[cfg(test)]
mod tests;
