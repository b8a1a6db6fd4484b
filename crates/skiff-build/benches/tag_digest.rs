//! `inputDigest` on generated trees (files in the page cache; "cold" = no digest cache):
//! - `cold/1000x1MiB`: 1000 files of 1 MiB, throughput-bound (goal ≥ 1 GB/s on 2 cores);
//! - `cold/100k_small` and `warm/100k_small`: 100k files of 64–191 bytes in 1000 directories,
//!   without and with a populated [`DigestCache`] (goal for warm: ≤ 200 ms).
//!
//! The dependency list is given as `WorkspaceDependencies` (workspace-relative, as the docker
//! builder has it), so joining, sorting and JSON encoding are part of the measurement.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skiff_build::tag::{
    DigestCache, InputDigestTagger, TagInput, Tagger, WorkspaceDependencies, input_digest,
    join_workspace,
};

const BIG_FILES: usize = 1000;
const BIG_SIZE: usize = 1 << 20;

/// A cheap deterministic byte stream (xorshift) so that files differ.
fn fill(buf: &mut [u8], mut seed: u64) {
    for chunk in buf.chunks_mut(8) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let bytes = seed.to_le_bytes();
        chunk.copy_from_slice(&bytes[..chunk.len()]);
    }
}

fn generate_big(root: &Path) -> Vec<PathBuf> {
    let mut buf = vec![0u8; BIG_SIZE];
    let mut files = Vec::with_capacity(BIG_FILES);
    for i in 0..BIG_FILES {
        let rel = PathBuf::from(format!("blob{:02}/file{i:04}.bin", i % 20));
        fs::create_dir_all(root.join(rel.parent().unwrap())).unwrap();
        fill(&mut buf, i as u64 + 1);
        fs::write(root.join(&rel), &buf).unwrap();
        files.push(rel);
    }
    files
}

fn generate_small(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::with_capacity(100_000);
    let mut buf = [0u8; 192];
    for d in 0..1000 {
        let dir = format!("src/pkg{:02}/mod{:02}", d / 100, d % 100);
        fs::create_dir_all(root.join(&dir)).unwrap();
        for f in 0..100 {
            let n = d * 100 + f;
            let rel = PathBuf::from(format!("{dir}/file{f:03}.rs"));
            fill(&mut buf, n as u64 + 7);
            fs::write(root.join(&rel), &buf[..64 + n % 128]).unwrap();
            files.push(rel);
        }
    }
    files
}

fn bench(c: &mut Criterion) {
    let big = tempfile::tempdir().unwrap();
    let big_files = generate_big(big.path());
    let small = tempfile::tempdir().unwrap();
    let small_files = generate_small(small.path());
    // Flush the freshly written trees so that background writeback does not compete with the
    // measurement, and let them age: files modified in the last 2 s are not cached (racy mtimes).
    let _ = std::process::Command::new("sync").status();
    std::thread::sleep(Duration::from_millis(2100));

    let mut group = c.benchmark_group("cold");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Bytes((BIG_FILES * BIG_SIZE) as u64));
    group.bench_function("1000x1MiB", |b| {
        let deps = WorkspaceDependencies::new(big.path(), &big_files);
        let input = TagInput::new("img", big.path()).with_dependencies(&deps);
        let tagger = InputDigestTagger::new();
        b.iter(|| tagger.generate_tag(&input).unwrap())
    });
    group.throughput(Throughput::Elements(small_files.len() as u64));
    group.bench_function("100k_small", |b| {
        let deps = WorkspaceDependencies::new(small.path(), &small_files);
        let input = TagInput::new("img", small.path()).with_dependencies(&deps);
        let tagger = InputDigestTagger::new();
        b.iter(|| tagger.generate_tag(&input).unwrap())
    });
    group.finish();

    let mut group = c.benchmark_group("warm");
    group.sample_size(20);
    group.throughput(Throughput::Elements(small_files.len() as u64));
    let joined = join_workspace(small.path(), &small_files);
    let mut cache = DigestCache::new();
    let cold = input_digest(&joined, small.path(), None, Some(&mut cache)).unwrap();
    assert_eq!(cache.len(), small_files.len(), "every file is cached");
    group.bench_function("100k_small", |b| {
        let deps = WorkspaceDependencies::new(small.path(), &small_files);
        let input = TagInput::new("img", small.path()).with_dependencies(&deps);
        let tagger = InputDigestTagger::with_cache(std::sync::Arc::new(std::sync::RwLock::new(
            cache.clone(),
        )));
        b.iter(|| {
            let tag = tagger.generate_tag(&input).unwrap();
            assert_eq!(tag, cold);
            tag
        })
    });
    let big_joined = join_workspace(big.path(), &big_files);
    let mut big_cache = DigestCache::new();
    input_digest(&big_joined, big.path(), None, Some(&mut big_cache)).unwrap();
    group.throughput(Throughput::Elements(big_files.len() as u64));
    group.bench_function("1000x1MiB", |b| {
        b.iter(|| input_digest(&big_joined, big.path(), None, Some(&mut big_cache)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
