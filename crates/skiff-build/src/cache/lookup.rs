//! What a cache lookup decides for one artifact, and the engine and registry operations it
//! needs (`pkg/skaffold/build/cache/lookup.go`, `details.go`).

use skiff_docker::{Engine, EngineError};
use skiff_events::Status;

use super::registry::{RegistryClient, RegistryError};
use crate::builder::BuildOutput;

/// The outcome of looking an artifact up in the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheResult {
    /// No usable image: build it (`Not found. Building`).
    NeedsBuild,
    /// The local engine has the tag with the cached image id (`Found Locally`).
    FoundLocally {
        /// The cached image id.
        id: String,
    },
    /// The registry has the tag with the cached digest (`Found Remotely`).
    FoundRemotely {
        /// The cached digest.
        digest: String,
    },
    /// The local engine has the cached image under another tag: tag it (`Found. Tagging`).
    NeedsLocalTagging {
        /// The cached image id.
        id: String,
    },
    /// The registry has the cached digest under another tag: tag it there
    /// (`Found. Tagging`).
    NeedsRemoteTagging {
        /// The cached digest.
        digest: String,
    },
    /// The image must be in the registry and only the local engine has it: tag and push it
    /// (`Found. Pushing`).
    NeedsPushing {
        /// The cached image id.
        id: String,
    },
}

impl CacheResult {
    /// Whether the cache had the image (the Cache step event is `Succeeded` for a hit and
    /// `Failed` for a miss).
    pub fn is_hit(&self) -> bool {
        !matches!(self, CacheResult::NeedsBuild)
    }

    /// The status of the `Cache` build subtask event that reports this result.
    pub fn event_status(&self) -> Status {
        if self.is_hit() {
            Status::Succeeded
        } else {
            Status::Failed
        }
    }

    /// What Skaffold prints after ` - <image>: `.
    pub fn message(&self) -> &'static str {
        match self {
            CacheResult::NeedsBuild => "Not found. Building",
            CacheResult::FoundLocally { .. } => "Found Locally",
            CacheResult::FoundRemotely { .. } => "Found Remotely",
            CacheResult::NeedsLocalTagging { .. } | CacheResult::NeedsRemoteTagging { .. } => {
                "Found. Tagging"
            }
            CacheResult::NeedsPushing { .. } => "Found. Pushing",
        }
    }
}

/// The cache lookup of one artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheLookup {
    /// The artifact's image name.
    pub image_name: String,
    /// Its cache key.
    pub hash: String,
    /// What the lookup decided.
    pub result: CacheResult,
}

/// One artifact to look up.
#[derive(Debug, Clone, Copy)]
pub struct LookupRequest<'a> {
    /// The artifact's image name.
    pub image_name: &'a str,
    /// The reference the artifact is tagged with (`registry/name:tag`).
    pub tag: &'a str,
    /// Whether images are pushed (Skaffold's `!isLocalImage`): the registry is checked
    /// instead of the local engine.
    pub push: bool,
    /// The artifact's target platforms.
    pub platforms: &'a [String],
    /// `build.local.tryImportMissing`: on a miss, adopt an image that already exists under the
    /// tag (locally, or pulled from the registry).
    pub try_import_missing: bool,
}

/// A cache operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The artifact could not be hashed.
    #[error("getting hash for artifact {image:?}: {source}")]
    Hash {
        /// The artifact.
        image: String,
        /// Why.
        source: super::hash::HashError,
    },
    /// The engine failed.
    #[error("{0}")]
    Engine(String),
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl From<EngineError> for CacheError {
    fn from(e: EngineError) -> Self {
        CacheError::Engine(e.to_string())
    }
}

/// The local engine operations the cache needs (implemented by [`Engine`]).
#[async_trait::async_trait]
pub trait LocalImages: Send + Sync {
    /// The id of a local image, `None` if there is none.
    async fn image_id(&self, reference: &str) -> Result<Option<String>, CacheError>;
    /// Tags a local image (by id or reference) as `target`.
    async fn tag(&self, image: &str, target: &str) -> Result<(), CacheError>;
    /// Pushes `reference` and returns the digest the registry stored it under.
    async fn push(&self, reference: &str, output: &dyn BuildOutput) -> Result<String, CacheError>;
    /// Pulls `reference` (for the given `os/arch` platform, if any).
    async fn pull(&self, reference: &str, platform: Option<&str>) -> Result<(), CacheError>;
}

/// The registry operations the cache needs (implemented by [`RegistryClient`]).
#[async_trait::async_trait]
pub trait RemoteImages: Send + Sync {
    /// The digest `reference` resolves to in its registry, `None` if it has none.
    async fn remote_digest(&self, reference: &str) -> Result<Option<String>, RegistryError>;
    /// Tags `source` (`name@digest`) as `target` in the registry.
    async fn add_remote_tag(&self, source: &str, target: &str) -> Result<(), RegistryError>;
}

#[async_trait::async_trait]
impl LocalImages for Engine {
    async fn image_id(&self, reference: &str) -> Result<Option<String>, CacheError> {
        Ok(Engine::image_id(self, reference)
            .await?
            .map(|id| normalize_id(&id)))
    }

    async fn tag(&self, image: &str, target: &str) -> Result<(), CacheError> {
        Ok(Engine::tag(self, image, target).await?)
    }

    async fn push(&self, reference: &str, output: &dyn BuildOutput) -> Result<String, CacheError> {
        Ok(Engine::push(self, reference, |line| output.write(&format!("{line}\n"))).await?)
    }

    async fn pull(&self, reference: &str, platform: Option<&str>) -> Result<(), CacheError> {
        use futures_util::StreamExt;
        let (repo, tag) = skiff_docker::split_tag(reference);
        let mut options = bollard::query_parameters::CreateImageOptionsBuilder::default()
            .from_image(repo)
            .tag(tag.unwrap_or("latest"));
        if let Some(platform) = platform {
            options = options.platform(platform);
        }
        let mut stream = self.client().create_image(
            Some(options.build()),
            None,
            Some(bollard::auth::DockerCredentials::default()),
        );
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| CacheError::Engine(format!("pulling {reference}: {e}")))?;
            if let Some(detail) = info.error_detail {
                return Err(CacheError::Engine(format!(
                    "pulling {reference}: {}",
                    detail.message.unwrap_or_default()
                )));
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl RemoteImages for RegistryClient {
    async fn remote_digest(&self, reference: &str) -> Result<Option<String>, RegistryError> {
        self.digest(reference).await
    }

    async fn add_remote_tag(&self, source: &str, target: &str) -> Result<(), RegistryError> {
        self.add_tag(source, target).await
    }
}

/// Image ids as `sha256:<hex>` (some engines omit the algorithm).
pub fn normalize_id(id: &str) -> String {
    if id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        format!("sha256:{id}")
    } else {
        id.to_owned()
    }
}

/// The unique local reference of an image: the tag's repository with the image id (without
/// `sha256:`) as tag (Skaffold's `TagWithImageID`).
pub fn tag_with_image_id(tag: &str, image_id: &str) -> String {
    let (repo, _) = skiff_docker::split_tag(tag);
    format!("{repo}:{}", image_id.trim_start_matches("sha256:"))
}
