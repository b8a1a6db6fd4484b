//! The artifact cache against the real engines and registry of the test environment
//! (`scripts/test-env`): a local hit after a build, retagging, a miss once the image is gone,
//! a remote hit after a push, and tagging a pushed image remotely.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use bollard::query_parameters::RemoveImageOptionsBuilder;
use skiff_build::builder::{BuildError, BuildOutput};
use skiff_build::cache::{
    ArtifactCache, ArtifactHasher, CacheOptions, CacheResult, FnLister, HashTarget, LookupRequest,
    RegistryClient, read_cache_file, tag_with_image_id,
};
use skiff_build::dockerfile::docker_dependencies;
use skiff_config::model::{Artifact, ArtifactType, DockerArtifact};
use skiff_docker::{BuildRequest, Engine, context_tar};
use skiff_proto::enums::StatusCode;
use skiff_testenv::{base_image, engine, unique};

struct Quiet;
impl BuildOutput for Quiet {
    fn write(&self, _text: &str) {}
}

/// A one-artifact project and a cache file in a temporary directory.
struct Project {
    dir: tempfile::TempDir,
    artifact: Artifact,
}

impl Project {
    fn new(image: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let ctx = dir.path().join("ctx");
        fs::create_dir_all(&ctx).unwrap();
        fs::write(
            ctx.join("Dockerfile"),
            format!("FROM {}\nCOPY hello.txt /hello.txt\n", base_image()),
        )
        .unwrap();
        fs::write(ctx.join("hello.txt"), image).unwrap();
        // Old enough for their hashes to be memoized (recent files are always re-read).
        for file in ["Dockerfile", "hello.txt"] {
            fs::File::options()
                .write(true)
                .open(ctx.join(file))
                .unwrap()
                .set_modified(SystemTime::now() - std::time::Duration::from_secs(60))
                .unwrap();
        }
        let artifact = Artifact {
            image: image.into(),
            artifact_type: Some(ArtifactType::Docker(DockerArtifact {
                dockerfile: "Dockerfile".into(),
                ..Default::default()
            })),
            ..Default::default()
        };
        Project { dir, artifact }
    }

    fn workspace(&self) -> PathBuf {
        self.dir.path().join("ctx")
    }

    fn cache(&self) -> ArtifactCache {
        let cache = ArtifactCache::open(&CacheOptions {
            enabled: true,
            cache_file: Some(self.dir.path().join("home/.skaffold/cache")),
        });
        assert!(cache.warnings().is_empty(), "{:?}", cache.warnings());
        cache
    }

    fn hasher(&self, cache: &ArtifactCache, tag: &str) -> ArtifactHasher {
        let lister = FnLister(|_: &Artifact, workspace: &Path| {
            docker_dependencies(workspace, "Dockerfile", &Default::default())
                .map_err(|e| BuildError::new(StatusCode::BuildUnknown, e.to_string()))
        });
        let target = HashTarget {
            artifact: self.artifact.clone(),
            workspace: self.workspace(),
            tag: tag.into(),
            platforms: vec![],
            lister: Arc::new(lister),
        };
        ArtifactHasher::new(vec![target], cache.file_hashes().clone(), "build")
    }

    /// Builds the context as `tag` and returns the image id.
    async fn build(&self, engine: &Engine, tag: &str) -> String {
        let deps =
            docker_dependencies(&self.workspace(), "Dockerfile", &Default::default()).unwrap();
        let tar = context_tar(&self.workspace(), deps).unwrap();
        let request = BuildRequest {
            dockerfile: "Dockerfile".into(),
            tag: tag.into(),
            ..Default::default()
        };
        engine.build(tar, &request, |_| {}).await.unwrap()
    }
}

async fn check(
    cache: &ArtifactCache,
    hasher: &ArtifactHasher,
    request: &LookupRequest<'_>,
    engine: &Engine,
    registry: &RegistryClient,
) -> skiff_build::cache::CacheLookup {
    cache
        .check_all(hasher, std::slice::from_ref(request), engine, registry)
        .await
        .remove(0)
        .unwrap()
}

async fn remove(engine: &Engine, reference: &str, force: bool) {
    engine
        .client()
        .remove_image(
            reference,
            Some(RemoveImageOptionsBuilder::new().force(force).build()),
            None,
        )
        .await
        .unwrap();
}

/// The tests here remove images, and an engine's build cache may be reusing those images'
/// layers for another test's build at that moment (Podman then fails the build with "layer not
/// known"): one test at a time.
static ENGINE_TESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn local_hit_retag_and_miss(host_var: &str) {
    let _one_at_a_time = ENGINE_TESTS.lock().await;
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let registry = RegistryClient::new(Vec::<String>::new());
    let image = format!("localhost/{}", unique("skiff-cache-local"));
    let tag = format!("{image}:v1");
    let project = Project::new(&image);
    let request = LookupRequest {
        image_name: &image,
        tag: &tag,
        push: false,
        platforms: &[],
        try_import_missing: false,
    };

    // First run: a miss, then the build is recorded and saved.
    let cache = project.cache();
    let hasher = project.hasher(&cache, &tag);
    let lookup = check(&cache, &hasher, &request, &engine, &registry).await;
    assert_eq!(lookup.result, CacheResult::NeedsBuild);
    let id = project.build(&engine, &tag).await;
    let built = tag_with_image_id(&tag, &id);
    engine.tag(&id, &built).await.unwrap();
    cache
        .record_build(&image, &built, false, &engine)
        .await
        .unwrap();
    cache.save().unwrap();
    let saved = read_cache_file(cache.path().unwrap()).unwrap();
    assert_eq!(saved[&lookup.hash].id, id);
    assert_eq!(saved[&lookup.hash].digest, "");

    // Next run (a new process): same hash, found locally, no file read again.
    let cache = project.cache();
    let hasher = project.hasher(&cache, &tag);
    let hit = check(&cache, &hasher, &request, &engine, &registry).await;
    assert_eq!(hit.hash, lookup.hash);
    assert_eq!(hit.result, CacheResult::FoundLocally { id: id.clone() });
    assert_eq!(hasher.stats().hashed, 0, "{:?}", hasher.stats());
    let reference = cache
        .retrieve(&request, &hit, &engine, &registry, &Quiet)
        .await
        .unwrap();
    assert_eq!(reference.as_deref(), Some(built.as_str()));

    // The tag is gone but the image is still there under its unique tag: retag it.
    remove(&engine, &tag, false).await;
    let retag = check(
        &cache,
        &project.hasher(&cache, &tag),
        &request,
        &engine,
        &registry,
    )
    .await;
    assert_eq!(
        retag.result,
        CacheResult::NeedsLocalTagging { id: id.clone() }
    );
    cache
        .retrieve(&request, &retag, &engine, &registry, &Quiet)
        .await
        .unwrap();
    assert_eq!(
        engine.image_id(&tag).await.unwrap().as_deref(),
        Some(id.as_str())
    );

    // The image is removed: a miss.
    remove(&engine, &id, true).await;
    let miss = check(
        &cache,
        &project.hasher(&cache, &tag),
        &request,
        &engine,
        &registry,
    )
    .await;
    assert_eq!(miss.result, CacheResult::NeedsBuild);

    // A content change is a different hash, hence a miss even with the image back.
    let id = project.build(&engine, &tag).await;
    fs::write(project.workspace().join("hello.txt"), "changed").unwrap();
    let changed = check(
        &cache,
        &project.hasher(&cache, &tag),
        &request,
        &engine,
        &registry,
    )
    .await;
    assert_ne!(changed.hash, lookup.hash);
    assert_eq!(changed.result, CacheResult::NeedsBuild);
    remove(&engine, &id, true).await;
}

#[tokio::test]
async fn dockerd_local_hit_retag_and_miss() {
    local_hit_retag_and_miss("DOCKER_HOST").await;
}

#[tokio::test]
async fn podman_local_hit_retag_and_miss() {
    local_hit_retag_and_miss("PODMAN_DOCKER_HOST").await;
}

async fn remote_hit_after_push(host_var: &str) {
    let _one_at_a_time = ENGINE_TESTS.lock().await;
    let Some(engine) = engine(host_var).await else {
        return;
    };
    let registry = RegistryClient::new([skiff_testenv::registry()]);
    let image = format!(
        "{}/{}",
        skiff_testenv::registry(),
        unique("skiff-cache-remote")
    );
    let tag = format!("{image}:v1");
    let project = Project::new(&image);
    let request = LookupRequest {
        image_name: &image,
        tag: &tag,
        push: true,
        platforms: &[],
        try_import_missing: false,
    };

    assert_eq!(registry.digest(&tag).await.unwrap(), None);
    let cache = project.cache();
    let lookup = check(
        &cache,
        &project.hasher(&cache, &tag),
        &request,
        &engine,
        &registry,
    )
    .await;
    assert_eq!(lookup.result, CacheResult::NeedsBuild);
    let id = project.build(&engine, &tag).await;
    let digest = engine.push(&tag, |_| {}).await.unwrap();
    let pushed = format!("{tag}@{digest}");
    cache
        .record_build(&image, &pushed, true, &engine)
        .await
        .unwrap();
    cache.save().unwrap();
    assert_eq!(
        registry.digest(&tag).await.unwrap().as_deref(),
        Some(digest.as_str())
    );

    // Next run: found in the registry.
    let cache = project.cache();
    let hit = check(
        &cache,
        &project.hasher(&cache, &tag),
        &request,
        &engine,
        &registry,
    )
    .await;
    assert_eq!(hit.hash, lookup.hash);
    assert_eq!(
        hit.result,
        CacheResult::FoundRemotely {
            digest: digest.clone()
        }
    );
    let reference = cache
        .retrieve(&request, &hit, &engine, &registry, &Quiet)
        .await
        .unwrap();
    assert_eq!(reference.as_deref(), Some(pushed.as_str()));

    // Another tag for the same inputs: the registry has the digest, so it is tagged there,
    // without the local image.
    remove(&engine, &id, true).await;
    let tag2 = format!("{image}:v2");
    let request2 = LookupRequest {
        tag: &tag2,
        ..request
    };
    let retag = check(
        &cache,
        &project.hasher(&cache, &tag2),
        &request2,
        &engine,
        &registry,
    )
    .await;
    assert_eq!(retag.hash, lookup.hash);
    assert_eq!(
        retag.result,
        CacheResult::NeedsRemoteTagging {
            digest: digest.clone()
        }
    );
    let reference = cache
        .retrieve(&request2, &retag, &engine, &registry, &Quiet)
        .await
        .unwrap();
    assert_eq!(reference, Some(format!("{tag2}@{digest}")));
    assert_eq!(
        registry.digest(&tag2).await.unwrap().as_deref(),
        Some(digest.as_str())
    );
}

#[tokio::test]
async fn dockerd_remote_hit_after_push() {
    remote_hit_after_push("DOCKER_HOST").await;
}

#[tokio::test]
async fn podman_remote_hit_after_push() {
    remote_hit_after_push("PODMAN_DOCKER_HOST").await;
}

#[tokio::test]
async fn registry_lookups() {
    if engine("DOCKER_HOST").await.is_none() {
        return;
    }
    let registry = RegistryClient::new(Vec::<String>::new());
    let base = format!("{}/skiff-base:busybox", skiff_testenv::registry());
    let digest = registry
        .digest(&base)
        .await
        .unwrap()
        .expect("the base image is pushed");
    assert!(digest.starts_with("sha256:"), "{digest}");
    // By digest, and the manifest hashes to it.
    let by_digest = format!("{}/skiff-base@{digest}", skiff_testenv::registry());
    assert_eq!(
        registry.digest(&by_digest).await.unwrap(),
        Some(digest.clone())
    );
    let manifest = registry.manifest(&by_digest).await.unwrap().unwrap();
    assert_eq!(manifest.digest, digest);
    assert!(
        manifest.media_type.contains("manifest"),
        "{}",
        manifest.media_type
    );
    // Unknown tag, unknown repository.
    let missing_tag = format!("{}/skiff-base:no-such-tag", skiff_testenv::registry());
    assert_eq!(registry.digest(&missing_tag).await.unwrap(), None);
    let missing_repo = format!(
        "{}/{}:v1",
        skiff_testenv::registry(),
        unique("skiff-no-such-repo")
    );
    assert_eq!(registry.digest(&missing_repo).await.unwrap(), None);
    // Nothing listens there.
    let err = registry.digest("127.0.0.1:1/x:y").await.unwrap_err();
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}
