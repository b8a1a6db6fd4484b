//! The lookup decision table (Skaffold's `lookup_test.go`) with an in-memory engine and
//! registry.

use std::collections::HashMap;
use std::sync::Mutex;

use super::*;

#[derive(Default)]
struct FakeEngine {
    /// reference or id → image id
    images: Mutex<HashMap<String, String>>,
    tags: Mutex<Vec<(String, String)>>,
    pushed: Mutex<Vec<String>>,
    pulls: Mutex<Vec<String>>,
    /// reference → image id the registry would give on pull
    pullable: HashMap<String, String>,
}

impl FakeEngine {
    fn with(images: &[(&str, &str)]) -> Self {
        let engine = FakeEngine::default();
        for (r, id) in images {
            engine.add(r, id);
        }
        engine
    }
    fn add(&self, reference: &str, id: &str) {
        let mut images = self.images.lock().unwrap();
        images.insert(reference.into(), id.into());
        images.insert(id.into(), id.into());
    }
}

#[async_trait::async_trait]
impl LocalImages for FakeEngine {
    async fn image_id(&self, reference: &str) -> Result<Option<String>, CacheError> {
        Ok(self.images.lock().unwrap().get(reference).cloned())
    }
    async fn tag(&self, image: &str, target: &str) -> Result<(), CacheError> {
        let id = self.images.lock().unwrap().get(image).cloned();
        let id = id.ok_or_else(|| CacheError::Engine(format!("no such image {image}")))?;
        self.add(target, &id);
        self.tags
            .lock()
            .unwrap()
            .push((image.into(), target.into()));
        Ok(())
    }
    async fn push(&self, reference: &str, output: &dyn BuildOutput) -> Result<String, CacheError> {
        output.write("pushed\n");
        self.pushed.lock().unwrap().push(reference.into());
        Ok("sha256:pushed".into())
    }
    async fn pull(&self, reference: &str, _platform: Option<&str>) -> Result<(), CacheError> {
        self.pulls.lock().unwrap().push(reference.into());
        match self.pullable.get(reference) {
            Some(id) => {
                self.add(reference, id);
                Ok(())
            }
            None => Err(CacheError::Engine("not found".into())),
        }
    }
}

#[derive(Default)]
struct FakeRegistry {
    manifests: Mutex<HashMap<String, String>>,
    tagged: Mutex<Vec<(String, String)>>,
}

impl FakeRegistry {
    fn with(manifests: &[(&str, &str)]) -> Self {
        let r = FakeRegistry::default();
        for (k, v) in manifests {
            r.manifests.lock().unwrap().insert((*k).into(), (*v).into());
        }
        r
    }
}

#[async_trait::async_trait]
impl RemoteImages for FakeRegistry {
    async fn remote_digest(&self, reference: &str) -> Result<Option<String>, RegistryError> {
        Ok(self.manifests.lock().unwrap().get(reference).cloned())
    }
    async fn add_remote_tag(&self, source: &str, target: &str) -> Result<(), RegistryError> {
        let digest = source.split_once('@').unwrap().1.to_owned();
        self.manifests.lock().unwrap().insert(target.into(), digest);
        self.tagged
            .lock()
            .unwrap()
            .push((source.into(), target.into()));
        Ok(())
    }
}

struct NoOutput;
impl BuildOutput for NoOutput {
    fn write(&self, _text: &str) {}
}

fn cache_with(entries: &[(&str, &str, &str)]) -> (tempfile::TempDir, ArtifactCache) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache");
    let mut map = CacheEntries::new();
    for (hash, digest, id) in entries {
        map.insert(
            (*hash).into(),
            ImageDetails {
                digest: (*digest).into(),
                id: (*id).into(),
            },
        );
    }
    write_cache_file(&path, &map).unwrap();
    let cache = ArtifactCache::open(&CacheOptions {
        enabled: true,
        cache_file: Some(path),
    });
    assert!(cache.warnings().is_empty(), "{:?}", cache.warnings());
    (dir, cache)
}

fn request(push: bool) -> LookupRequest<'static> {
    LookupRequest {
        image_name: "app",
        tag: "reg.example/app:v1",
        push,
        platforms: &[],
        try_import_missing: false,
    }
}

async fn decide(
    cache: &ArtifactCache,
    push: bool,
    engine: &FakeEngine,
    registry: &FakeRegistry,
) -> CacheResult {
    cache
        .lookup(&request(push), "h", engine, registry)
        .await
        .unwrap()
        .result
}

#[tokio::test]
async fn miss_without_entry() {
    let (_d, cache) = cache_with(&[]);
    let engine = FakeEngine::with(&[("reg.example/app:v1", "sha256:1")]);
    let registry = FakeRegistry::default();
    assert_eq!(
        decide(&cache, false, &engine, &registry).await,
        CacheResult::NeedsBuild
    );
    assert_eq!(
        decide(&cache, true, &engine, &registry).await,
        CacheResult::NeedsBuild
    );
}

#[tokio::test]
async fn local_decisions() {
    let registry = FakeRegistry::default();
    let (_d, cache) = cache_with(&[("h", "", "sha256:1")]);

    let engine = FakeEngine::with(&[("reg.example/app:v1", "sha256:1")]);
    assert_eq!(
        decide(&cache, false, &engine, &registry).await,
        CacheResult::FoundLocally {
            id: "sha256:1".into()
        }
    );

    let engine = FakeEngine::with(&[("reg.example/app:other", "sha256:1")]);
    assert_eq!(
        decide(&cache, false, &engine, &registry).await,
        CacheResult::NeedsLocalTagging {
            id: "sha256:1".into()
        }
    );

    let engine = FakeEngine::with(&[("reg.example/app:v1", "sha256:2")]);
    assert_eq!(
        decide(&cache, false, &engine, &registry).await,
        CacheResult::NeedsBuild
    );

    // An entry without an id (pushed build) is a miss for a local lookup.
    let (_d, cache) = cache_with(&[("h", "sha256:d", "")]);
    let engine = FakeEngine::with(&[("reg.example/app:v1", "sha256:1")]);
    assert_eq!(
        decide(&cache, false, &engine, &registry).await,
        CacheResult::NeedsBuild
    );
}

#[tokio::test]
async fn remote_decisions() {
    let (_d, cache) = cache_with(&[("h", "sha256:d", "sha256:1")]);
    let none = FakeEngine::default();

    let registry = FakeRegistry::with(&[("reg.example/app:v1", "sha256:d")]);
    assert_eq!(
        decide(&cache, true, &none, &registry).await,
        CacheResult::FoundRemotely {
            digest: "sha256:d".into()
        }
    );

    let registry = FakeRegistry::with(&[
        ("reg.example/app:v1", "sha256:other"),
        ("reg.example/app:v1@sha256:d", "sha256:d"),
    ]);
    assert_eq!(
        decide(&cache, true, &none, &registry).await,
        CacheResult::NeedsRemoteTagging {
            digest: "sha256:d".into()
        }
    );

    let registry = FakeRegistry::default();
    let engine = FakeEngine::with(&[("whatever", "sha256:1")]);
    assert_eq!(
        decide(&cache, true, &engine, &registry).await,
        CacheResult::NeedsPushing {
            id: "sha256:1".into()
        }
    );
    assert_eq!(
        decide(&cache, true, &none, &registry).await,
        CacheResult::NeedsBuild
    );
}

#[tokio::test]
async fn retrieving_hits() {
    let (_d, cache) = cache_with(&[("h", "sha256:d", "sha256:1")]);
    let engine = FakeEngine::with(&[("reg.example/app:old", "sha256:1")]);
    let registry = FakeRegistry::with(&[("reg.example/app:v1@sha256:d", "sha256:d")]);

    // Local: tag the id as the tag, then as the unique `name:<id>` reference.
    let local = request(false);
    let lookup = cache.lookup(&local, "h", &engine, &registry).await.unwrap();
    assert_eq!(lookup.result.message(), "Found. Tagging");
    let reference = cache
        .retrieve(&local, &lookup, &engine, &registry, &NoOutput)
        .await
        .unwrap();
    assert_eq!(reference.as_deref(), Some("reg.example/app:1"));
    assert_eq!(
        engine
            .images
            .lock()
            .unwrap()
            .get("reg.example/app:v1")
            .cloned(),
        Some("sha256:1".into())
    );

    // Remote: add the tag in the registry; the reference pins the digest.
    let remote = request(true);
    let lookup = cache
        .lookup(&remote, "h", &engine, &registry)
        .await
        .unwrap();
    assert!(matches!(
        lookup.result,
        CacheResult::NeedsRemoteTagging { .. }
    ));
    let reference = cache
        .retrieve(&remote, &lookup, &engine, &registry, &NoOutput)
        .await
        .unwrap();
    assert_eq!(reference.as_deref(), Some("reg.example/app:v1@sha256:d"));
    assert_eq!(
        registry.tagged.lock().unwrap().as_slice(),
        [(
            "reg.example/app:v1@sha256:d".to_owned(),
            "reg.example/app:v1".to_owned()
        )]
    );
    // Now the tag itself is there.
    let lookup = cache
        .lookup(&remote, "h", &engine, &registry)
        .await
        .unwrap();
    assert_eq!(lookup.result.message(), "Found Remotely");
    assert_eq!(
        lookup.result.event_status(),
        skiff_events::Status::Succeeded
    );
}

#[tokio::test]
async fn pushing_a_local_hit_records_its_digest() {
    let (_d, cache) = cache_with(&[("h", "", "sha256:1")]);
    let engine = FakeEngine::with(&[("x", "sha256:1")]);
    let registry = FakeRegistry::default();
    let remote = request(true);
    let lookup = cache
        .lookup(&remote, "h", &engine, &registry)
        .await
        .unwrap();
    assert_eq!(lookup.result.message(), "Found. Pushing");
    let reference = cache
        .retrieve(&remote, &lookup, &engine, &registry, &NoOutput)
        .await
        .unwrap();
    assert_eq!(
        reference.as_deref(),
        Some("reg.example/app:v1@sha256:pushed")
    );
    assert_eq!(
        engine.pushed.lock().unwrap().as_slice(),
        ["reg.example/app:v1"]
    );
    assert_eq!(cache.entry("h").unwrap().digest, "sha256:pushed");
    assert_eq!(cache.entry("h").unwrap().id, "sha256:1");
}

#[tokio::test]
async fn try_import_missing_adopts_existing_images() {
    let (_d, cache) = cache_with(&[]);
    let mut engine = FakeEngine::default();
    engine
        .pullable
        .insert("reg.example/app:v1".into(), "sha256:9".into());
    let registry = FakeRegistry::with(&[("reg.example/app:v1", "sha256:d9")]);
    let mut req = request(false);
    req.try_import_missing = true;
    let lookup = cache.lookup(&req, "h", &engine, &registry).await.unwrap();
    assert_eq!(
        lookup.result,
        CacheResult::FoundLocally {
            id: "sha256:9".into()
        }
    );
    assert_eq!(
        engine.pulls.lock().unwrap().as_slice(),
        ["reg.example/app:v1"]
    );
    assert_eq!(
        cache.entry("h"),
        Some(ImageDetails {
            digest: "sha256:d9".into(),
            id: "sha256:9".into()
        })
    );

    // A failed import is a miss; multi-platform artifacts never import.
    let (_d, cache) = cache_with(&[]);
    let engine = FakeEngine::default();
    assert_eq!(
        cache
            .lookup(&req, "h", &engine, &registry)
            .await
            .unwrap()
            .result,
        CacheResult::NeedsBuild
    );
    let platforms = ["linux/amd64".to_owned(), "linux/arm64".to_owned()];
    req.platforms = &platforms;
    let mut engine = FakeEngine::default();
    engine
        .pullable
        .insert("reg.example/app:v1".into(), "sha256:9".into());
    assert_eq!(
        cache
            .lookup(&req, "h", &engine, &registry)
            .await
            .unwrap()
            .result,
        CacheResult::NeedsBuild
    );
    assert!(engine.pulls.lock().unwrap().is_empty());
}

#[tokio::test]
async fn builds_are_recorded_under_the_looked_up_hash_and_saved() {
    let (dir, cache) = cache_with(&[("old", "sha256:o", "")]);
    let engine = FakeEngine::with(&[("reg.example/app:1234", "sha256:1234")]);
    let registry = FakeRegistry::default();

    // Not looked up: nothing recorded.
    cache
        .record_build("app", "reg.example/app:1234", false, &engine)
        .await
        .unwrap();
    assert_eq!(cache.entries().len(), 1);

    cache
        .lookup(&request(false), "h1", &engine, &registry)
        .await
        .unwrap();
    cache
        .record_build("app", "reg.example/app:1234", false, &engine)
        .await
        .unwrap();
    assert_eq!(cache.entry("h1").unwrap().id, "sha256:1234");

    let mut pushed = request(true);
    pushed.image_name = "other";
    cache
        .lookup(&pushed, "h2", &engine, &registry)
        .await
        .unwrap();
    cache
        .record_build("other", "reg.example/other:v1@sha256:abc", true, &engine)
        .await
        .unwrap();
    assert_eq!(
        cache.entry("h2"),
        Some(ImageDetails {
            digest: "sha256:abc".into(),
            id: String::new()
        })
    );

    // Another process adds an entry meanwhile: both survive the save.
    let path = dir.path().join("cache");
    let mut on_disk = read_cache_file(&path).unwrap();
    on_disk.insert(
        "theirs".into(),
        ImageDetails {
            digest: "sha256:t".into(),
            id: String::new(),
        },
    );
    write_cache_file(&path, &on_disk).unwrap();
    cache.save().unwrap();
    let saved = read_cache_file(&path).unwrap();
    assert_eq!(
        saved.keys().map(String::as_str).collect::<Vec<_>>(),
        ["h1", "h2", "old", "theirs"]
    );
}

#[tokio::test]
async fn disabled_cache_finds_and_saves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache");
    let cache = ArtifactCache::open(&CacheOptions {
        enabled: false,
        cache_file: Some(path.clone()),
    });
    assert!(!cache.is_enabled());
    let engine = FakeEngine::with(&[("reg.example/app:v1", "sha256:1")]);
    let lookup = cache
        .lookup(&request(false), "h", &engine, &FakeRegistry::default())
        .await
        .unwrap();
    assert_eq!(lookup.result, CacheResult::NeedsBuild);
    cache
        .record_build("app", "reg.example/app:v1", false, &engine)
        .await
        .unwrap();
    cache.save().unwrap();
    assert!(!path.exists());
}

#[test]
fn corrupt_cache_file_is_an_empty_cache_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache");
    std::fs::write(&path, "h: [this is: not\n  - valid").unwrap();
    let cache = ArtifactCache::open(&CacheOptions {
        enabled: true,
        cache_file: Some(path.clone()),
    });
    assert!(cache.is_enabled());
    assert!(cache.entries().is_empty());
    assert_eq!(cache.warnings().len(), 1, "{:?}", cache.warnings());
    assert!(cache.warnings()[0].contains("parsing cache file"));
    // Saving replaces the corrupt file with a valid one.
    cache.save().unwrap();
    assert!(read_cache_file(&path).unwrap().is_empty());
}

#[test]
fn messages_and_events_follow_skaffold() {
    use skiff_events::Status;
    let cases = [
        (
            CacheResult::NeedsBuild,
            "Not found. Building",
            Status::Failed,
        ),
        (
            CacheResult::FoundLocally { id: "i".into() },
            "Found Locally",
            Status::Succeeded,
        ),
        (
            CacheResult::FoundRemotely { digest: "d".into() },
            "Found Remotely",
            Status::Succeeded,
        ),
        (
            CacheResult::NeedsLocalTagging { id: "i".into() },
            "Found. Tagging",
            Status::Succeeded,
        ),
        (
            CacheResult::NeedsRemoteTagging { digest: "d".into() },
            "Found. Tagging",
            Status::Succeeded,
        ),
        (
            CacheResult::NeedsPushing { id: "i".into() },
            "Found. Pushing",
            Status::Succeeded,
        ),
    ];
    for (result, message, status) in cases {
        assert_eq!(result.message(), message);
        assert_eq!(result.event_status(), status);
    }
    assert_eq!(
        tag_with_image_id("127.0.0.1:5000/app:v1", "sha256:abc"),
        "127.0.0.1:5000/app:abc"
    );
    assert_eq!(
        normalize_id(&"a".repeat(64)),
        format!("sha256:{}", "a".repeat(64))
    );
}
