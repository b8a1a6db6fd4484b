//! The artifact hash: stable for unchanged inputs, sensitive to every input Skaffold hashes
//! (builder config, dependency contents, evaluated build args, platforms, required artifacts).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use skiff_build::builder::{BuildError, BuildRequest, Builder, BuiltImage};
use skiff_build::cache::{ArtifactHasher, DependencyLister, FileHashCache, FnLister, HashTarget};
use skiff_build::dockerfile::docker_dependencies;
use skiff_config::model::{Artifact, ArtifactDependency, ArtifactType, DockerArtifact};
use skiff_proto::enums::StatusCode;

fn docker_artifact(image: &str, args: &[(&str, &str)]) -> Artifact {
    Artifact {
        image: image.into(),
        artifact_type: Some(ArtifactType::Docker(DockerArtifact {
            dockerfile: "Dockerfile".into(),
            build_args: args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), Some((*v).to_owned())))
                .collect(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn docker_lister() -> Arc<dyn DependencyLister> {
    Arc::new(FnLister(|artifact: &Artifact, workspace: &Path| {
        let Some(ArtifactType::Docker(docker)) = &artifact.artifact_type else {
            unreachable!()
        };
        docker_dependencies(workspace, &docker.dockerfile, &docker.build_args)
            .map_err(|e| BuildError::new(StatusCode::BuildUnknown, e.to_string()))
    }))
}

/// Sets a file's mtime to `secs_ago` seconds in the past (outside the racy window).
fn set_mtime(path: &Path, secs_ago: u64) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
        .unwrap();
}

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new(dockerfile: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = Project { dir };
        p.write("Dockerfile", dockerfile);
        p.write("src/main.txt", "hello");
        p.write("src/other.txt", "other");
        p
    }
    fn root(&self) -> &Path {
        self.dir.path()
    }
    fn write(&self, rel: &str, contents: &str) {
        let path = self.root().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap();
        set_mtime(&path, 3600);
    }
    fn target(&self, artifact: Artifact, tag: &str) -> HashTarget {
        HashTarget {
            artifact,
            workspace: self.root().to_owned(),
            tag: tag.into(),
            platforms: vec![],
            lister: docker_lister(),
        }
    }
}

fn hasher(targets: Vec<HashTarget>, memo: &Arc<FileHashCache>) -> ArtifactHasher {
    ArtifactHasher::with_env(targets, memo.clone(), "build", BTreeMap::new())
}

const DOCKERFILE: &str = "FROM busybox\nARG GREETING\nCOPY src /src\n";

#[test]
fn unchanged_inputs_hash_the_same_and_reuse_file_hashes() {
    let p = Project::new(DOCKERFILE);
    let memo = Arc::new(FileHashCache::in_memory());
    let target = p.target(docker_artifact("app", &[]), "app:v1");

    let first = hasher(vec![target.clone()], &memo);
    let h1 = first.hash("app").unwrap();
    assert_eq!(h1.len(), 64);
    assert_eq!(first.stats().hashed, 3); // Dockerfile, src/main.txt, src/other.txt
    assert_eq!(first.hash("app").unwrap(), h1, "memoized");

    // A new hasher (next dev loop iteration) reads no file again.
    let second = hasher(vec![target.clone()], &memo);
    assert_eq!(second.hash("app").unwrap(), h1);
    assert_eq!((second.stats().hashed, second.stats().reused), (0, 3));

    // Without the memo, the same hash.
    let cold = hasher(vec![target], &Arc::new(FileHashCache::in_memory()));
    assert_eq!(cold.hash("app").unwrap(), h1);
}

#[test]
fn content_changes_change_the_hash_touches_do_not() {
    let p = Project::new(DOCKERFILE);
    let memo = Arc::new(FileHashCache::in_memory());
    let target = p.target(docker_artifact("app", &[]), "app:v1");
    let h1 = hasher(vec![target.clone()], &memo).hash("app").unwrap();

    // Touch: new mtime, same contents → rehashed, same hash.
    set_mtime(&p.root().join("src/main.txt"), 1800);
    let touched = hasher(vec![target.clone()], &memo);
    assert_eq!(touched.hash("app").unwrap(), h1);
    assert_eq!((touched.stats().hashed, touched.stats().reused), (1, 2));
    // And from then on reused.
    let again = hasher(vec![target.clone()], &memo);
    assert_eq!(again.hash("app").unwrap(), h1);
    assert_eq!(again.stats().reused, 3);

    // Same size, different contents.
    p.write("src/main.txt", "HELLO");
    let h2 = hasher(vec![target.clone()], &memo).hash("app").unwrap();
    assert_ne!(h2, h1);

    // A new file in a copied directory.
    p.write("src/new.txt", "new");
    let h3 = hasher(vec![target.clone()], &memo).hash("app").unwrap();
    assert_ne!(h3, h2);

    // A file outside the copied sources is not a dependency.
    p.write("README", "docs");
    let h4 = hasher(vec![target.clone()], &memo).hash("app").unwrap();
    assert_eq!(h4, h3);

    // Mode changes count (Go's FileMode string is hashed).
    let path = p.root().join("src/new.txt");
    let mut perms = fs::metadata(&path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&path, perms).unwrap();
    let h5 = hasher(vec![target], &memo).hash("app").unwrap();
    assert_ne!(h5, h4);
}

#[test]
fn build_args_config_and_platforms_count() {
    let p = Project::new(DOCKERFILE);
    let memo = Arc::new(FileHashCache::in_memory());
    let hash = |artifact: Artifact, tag: &str, platforms: &[&str], env: &[(&str, &str)]| {
        let mut target = p.target(artifact, tag);
        target.platforms = platforms.iter().map(|s| (*s).to_owned()).collect();
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ArtifactHasher::with_env(vec![target], memo.clone(), "build", env)
            .hash("app")
            .unwrap()
    };
    let base = hash(docker_artifact("app", &[]), "app:v1", &[], &[]);
    let hi = hash(
        docker_artifact("app", &[("GREETING", "hi")]),
        "app:v1",
        &[],
        &[],
    );
    let yo = hash(
        docker_artifact("app", &[("GREETING", "yo")]),
        "app:v1",
        &[],
        &[],
    );
    assert_ne!(hi, base);
    assert_ne!(hi, yo);

    // Build args are evaluated: a template over the environment and the image's tag.
    let templated = docker_artifact("app", &[("GREETING", "{{.WHO}}")]);
    let alice = hash(templated.clone(), "app:v1", &[], &[("WHO", "alice")]);
    let bob = hash(templated.clone(), "app:v1", &[], &[("WHO", "bob")]);
    assert_ne!(alice, bob);
    assert_eq!(
        alice,
        hash(
            templated,
            "app:v1",
            &[],
            &[("WHO", "alice"), ("UNUSED", "x")]
        )
    );
    let by_tag = docker_artifact("app", &[("V", "{{.IMAGE_TAG}}")]);
    assert_ne!(
        hash(by_tag.clone(), "app:v1", &[], &[]),
        hash(by_tag, "app:v2", &[], &[])
    );
    // Without templates the tag is not an input.
    assert_eq!(base, hash(docker_artifact("app", &[]), "app:v2", &[], &[]));

    // Builder config.
    let mut target = docker_artifact("app", &[]);
    if let Some(ArtifactType::Docker(d)) = &mut target.artifact_type {
        d.target = "final".into();
    }
    assert_ne!(hash(target, "app:v1", &[], &[]), base);

    // Platforms, in any order.
    let two = hash(
        docker_artifact("app", &[]),
        "app:v1",
        &["linux/amd64", "linux/arm64"],
        &[],
    );
    assert_ne!(two, base);
    assert_eq!(
        two,
        hash(
            docker_artifact("app", &[]),
            "app:v1",
            &["linux/arm64", "linux/amd64"],
            &[]
        )
    );
}

#[test]
fn run_mode_counts_only_when_the_dockerfile_declares_it() {
    let memo = Arc::new(FileHashCache::in_memory());
    let by_mode = |dockerfile: &str, mode: &str| {
        let p = Project::new(dockerfile);
        let target = p.target(docker_artifact("app", &[]), "app:v1");
        ArtifactHasher::with_env(vec![target], memo.clone(), mode, BTreeMap::new())
            .hash("app")
            .unwrap()
    };
    assert_eq!(by_mode(DOCKERFILE, "dev"), by_mode(DOCKERFILE, "build"));
    let declared = "FROM busybox\nARG SKAFFOLD_RUN_MODE\nCOPY src /src\n";
    assert_ne!(by_mode(declared, "dev"), by_mode(declared, "build"));
}

#[test]
fn required_artifacts_propagate() {
    let base = Project::new("FROM busybox\nCOPY src /src\n");
    let app = Project::new("ARG BASE\nFROM $BASE\nCOPY src /src\n");
    let memo = Arc::new(FileHashCache::in_memory());
    let mut app_artifact = docker_artifact("app", &[]);
    app_artifact.requires = vec![ArtifactDependency {
        image: "base".into(),
        alias: "BASE".into(),
    }];
    let targets = || {
        vec![
            app.target(app_artifact.clone(), "app:v1"),
            base.target(docker_artifact("base", &[]), "base:v1"),
        ]
    };
    let first = hasher(targets(), &memo);
    let app1 = first.hash("app").unwrap();
    let app_single = first.single_hash("app").unwrap();
    assert_ne!(app1, app_single, "combined with the required artifact");
    let base1 = first.hash("base").unwrap();

    base.write("src/main.txt", "changed base");
    let second = hasher(targets(), &memo);
    assert_ne!(second.hash("base").unwrap(), base1);
    assert_eq!(second.single_hash("app").unwrap(), app_single);
    assert_ne!(second.hash("app").unwrap(), app1);

    // A required artifact the hasher does not know is an error, a loop too.
    let lonely = hasher(vec![app.target(app_artifact.clone(), "app:v1")], &memo);
    assert!(lonely.hash("app").is_err());
    let mut looping = docker_artifact("base", &[]);
    looping.requires = vec![ArtifactDependency {
        image: "app".into(),
        alias: "APP".into(),
    }];
    let cyclic = hasher(
        vec![
            app.target(app_artifact, "app:v1"),
            base.target(looping, "base:v1"),
        ],
        &memo,
    );
    let err = cyclic.hash("app").unwrap_err().to_string();
    assert!(err.contains("requires itself"), "{err}");
}

#[test]
fn missing_dependencies_are_skipped_and_lister_errors_fail() {
    let p = Project::new(DOCKERFILE);
    let memo = Arc::new(FileHashCache::in_memory());
    let listed = |files: Vec<&'static str>| {
        let files: Vec<PathBuf> = files.into_iter().map(PathBuf::from).collect();
        HashTarget {
            artifact: docker_artifact("app", &[]),
            workspace: p.root().to_owned(),
            tag: "app:v1".into(),
            platforms: vec![],
            lister: Arc::new(FnLister(move |_: &Artifact, _: &Path| Ok(files.clone()))),
        }
    };
    let with_ghost = hasher(vec![listed(vec!["Dockerfile", "ghost"])], &memo);
    let without = hasher(vec![listed(vec!["Dockerfile"])], &memo);
    assert_eq!(
        with_ghost.hash("app").unwrap(),
        without.hash("app").unwrap()
    );
    assert_eq!(with_ghost.stats().missing, 1);

    let failing = HashTarget {
        lister: Arc::new(FnLister(|_: &Artifact, _: &Path| {
            Err(BuildError::new(StatusCode::BuildUnknown, "boom"))
        })),
        ..listed(vec![])
    };
    let err = hasher(vec![failing], &memo).hash("app").unwrap_err();
    assert_eq!(err.to_string(), "getting dependencies for \"app\": boom");

    // A missing Dockerfile fails build-arg evaluation, as in Skaffold.
    let no_dockerfile = hasher(vec![listed(vec![])], &memo);
    fs::remove_file(p.root().join("Dockerfile")).unwrap();
    let err = no_dockerfile.hash("app").unwrap_err().to_string();
    assert!(
        err.starts_with("hashing build args: reading dockerfile"),
        "{err}"
    );
}

/// Any `Builder` lists dependencies for the hasher.
#[test]
fn builders_are_dependency_listers() {
    struct Fixed;
    #[async_trait::async_trait]
    impl Builder for Fixed {
        async fn build(&self, _: &BuildRequest<'_>) -> Result<BuiltImage, BuildError> {
            unreachable!()
        }
        fn dependencies(&self, _: &Artifact, _: &Path) -> Result<Vec<PathBuf>, BuildError> {
            Ok(vec!["Dockerfile".into()])
        }
    }
    let p = Project::new(DOCKERFILE);
    let target = HashTarget {
        lister: Arc::new(Fixed),
        ..p.target(docker_artifact("app", &[]), "app:v1")
    };
    let h = hasher(vec![target], &Arc::new(FileHashCache::in_memory()));
    assert_eq!(h.hash("app").unwrap().len(), 64);
    assert_eq!(h.stats().hashed, 1);
}

#[test]
fn the_hash_is_the_encoding_of_the_inputs() {
    let p = Project::new(DOCKERFILE);
    let mut target = p.target(
        docker_artifact("app", &[("GREETING", "<hi & bye>")]),
        "app:v1",
    );
    target.platforms = vec!["linux/arm64".into(), "linux/amd64".into()];
    let h = hasher(vec![target], &Arc::new(FileHashCache::in_memory()));
    let inputs = h.inputs("app").unwrap();
    assert_eq!(inputs.len(), 1 + 3 + 1 + 2);
    assert!(inputs[0].starts_with(r#"{"docker":{"#), "{}", inputs[0]);
    assert_eq!(
        inputs[1],
        skiff_build::cache::file_hash(&p.root().join("Dockerfile")).unwrap()
    );
    assert_eq!(inputs[4], "GREETING=<hi & bye>");
    assert_eq!(&inputs[5..], ["linux/amd64", "linux/arm64"]);
    assert_eq!(
        h.single_hash("app").unwrap(),
        skiff_build::cache::encode(&inputs)
    );
    assert_eq!(h.hash("app").unwrap(), h.single_hash("app").unwrap());
}
