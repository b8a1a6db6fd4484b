//! Warm artifact-cache check on a 100k-file context (nothing changed since the last run): the
//! artifact hash with file hashes reused by `(path, size, mtime, mode)`.
//!
//! - `warm hash`: the memo is in memory (the next iteration of `skiff dev`);
//! - `warm hash, memo loaded from disk`: a new process (`skiff build`) opens the cache file and
//!   its `.file-hashes` memo, then hashes;
//! - `warm hash + docker dependencies`: also lists the dependencies from the Dockerfile
//!   (`COPY . .`, walking the whole context).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use skiff_build::builder::BuildError;
use skiff_build::cache::{
    ArtifactCache, ArtifactHasher, CacheOptions, FileHashCache, FnLister, HashTarget,
};
use skiff_build::dockerfile::{BuildArgs, docker_dependencies};
use skiff_config::model::{Artifact, ArtifactType, DockerArtifact};
use skiff_proto::enums::StatusCode;

const FILES: usize = 100_000;

/// 1000 directories of 100 small files each, plus the Dockerfile.
fn generate(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::with_capacity(FILES + 1);
    for a in 0..10 {
        for b in 0..100 {
            let dir = format!("src/pkg{a}/mod{b}");
            fs::create_dir_all(root.join(&dir)).unwrap();
            for f in 0..100 {
                let rel = format!("{dir}/file{f}.rs");
                fs::write(root.join(&rel), format!("// {rel}\nfn f() {{}}\n")).unwrap();
                files.push(PathBuf::from(rel));
            }
        }
    }
    fs::write(
        root.join("Dockerfile"),
        "FROM rust:1\nWORKDIR /app\nCOPY . .\n",
    )
    .unwrap();
    files.push(PathBuf::from("Dockerfile"));
    assert_eq!(files.len(), FILES + 1);
    files
}

fn artifact() -> Artifact {
    Artifact {
        image: "app".into(),
        artifact_type: Some(ArtifactType::Docker(DockerArtifact {
            dockerfile: "Dockerfile".into(),
            ..Default::default()
        })),
        ..Default::default()
    }
}

fn fixed_target(root: &Path, files: &[PathBuf]) -> HashTarget {
    let files = files.to_vec();
    HashTarget {
        artifact: artifact(),
        workspace: root.to_owned(),
        tag: "app:v1".into(),
        platforms: vec![],
        lister: Arc::new(FnLister(move |_: &Artifact, _: &Path| Ok(files.clone()))),
    }
}

fn docker_target(root: &Path) -> HashTarget {
    HashTarget {
        lister: Arc::new(FnLister(|_: &Artifact, workspace: &Path| {
            docker_dependencies(workspace, "Dockerfile", &BuildArgs::new())
                .map_err(|e| BuildError::new(StatusCode::BuildUnknown, e.to_string()))
        })),
        ..fixed_target(root, &[])
    }
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("ctx");
    let files = generate(&root);
    // Let every mtime leave the racy window so that all hashes are memoized.
    std::thread::sleep(Duration::from_millis(2100));

    let cache_file = dir.path().join("cache");
    let options = CacheOptions {
        enabled: true,
        cache_file: Some(cache_file.clone()),
    };
    let cache = ArtifactCache::open(&options);
    let memo: Arc<FileHashCache> = cache.file_hashes().clone();
    let cold = ArtifactHasher::new(vec![fixed_target(&root, &files)], memo.clone(), "build");
    let expected = cold.hash("app").unwrap();
    assert_eq!(cold.stats().hashed as usize, FILES + 1);
    cache.save().unwrap();

    let mut group = c.benchmark_group("cache");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));

    group.bench_function("warm hash, 100k files", |b| {
        b.iter(|| {
            let h = ArtifactHasher::new(vec![fixed_target(&root, &files)], memo.clone(), "build");
            let hash = h.hash("app").unwrap();
            assert_eq!(h.stats().reused as usize, FILES + 1);
            hash
        })
    });
    assert_eq!(
        ArtifactHasher::new(vec![fixed_target(&root, &files)], memo.clone(), "build")
            .hash("app")
            .unwrap(),
        expected
    );

    group.bench_function("warm hash, memo loaded from disk, 100k files", |b| {
        b.iter(|| {
            let cache = ArtifactCache::open(&options);
            let h = ArtifactHasher::new(
                vec![fixed_target(&root, &files)],
                cache.file_hashes().clone(),
                "build",
            );
            let hash = h.hash("app").unwrap();
            assert_eq!(h.stats().reused as usize, FILES + 1);
            hash
        })
    });

    group.bench_function("warm hash + docker dependencies, 100k files", |b| {
        b.iter(|| {
            let h = ArtifactHasher::new(vec![docker_target(&root)], memo.clone(), "build");
            h.hash("app").unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
