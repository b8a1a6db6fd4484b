//! `docker_dependencies` on a generated 100k-file context: 80k files under `src/` (nested
//! dirs) plus a 20k-file `node_modules/` subtree excluded by `.dockerignore`.

use std::fs;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use skiff_build::dockerfile::{BuildArgs, docker_dependencies};

fn generate(root: &Path) {
    let mut n = 0;
    for a in 0..10 {
        for b in 0..10 {
            for c in 0..10 {
                let dir = root.join(format!("src/pkg{a}/mod{b}/part{c}"));
                fs::create_dir_all(&dir).unwrap();
                for f in 0..80 {
                    let ext = if f % 10 == 0 { "md" } else { "rs" };
                    fs::write(dir.join(format!("file{f}.{ext}")), b"x").unwrap();
                    n += 1;
                }
            }
        }
    }
    for a in 0..20 {
        for b in 0..10 {
            let dir = root.join(format!("node_modules/dep{a}/lib{b}"));
            fs::create_dir_all(&dir).unwrap();
            for f in 0..100 {
                fs::write(dir.join(format!("index{f}.js")), b"x").unwrap();
                n += 1;
            }
        }
    }
    assert_eq!(n, 100_000);
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    generate(root);
    fs::write(
        root.join("Dockerfile"),
        "FROM rust:1\nWORKDIR /app\nCOPY . .\n",
    )
    .unwrap();
    let args = BuildArgs::new();

    let mut group = c.benchmark_group("docker_dependencies");
    group.sample_size(10);

    // The excluded subtree is pruned without being read.
    fs::write(root.join(".dockerignore"), "node_modules\n**/*.md\n.git\n").unwrap();
    let deps = docker_dependencies(root, "Dockerfile", &args).unwrap();
    assert_eq!(deps.len(), 72_000 + 1);
    group.bench_function("100k files, pruned node_modules", |b| {
        b.iter(|| docker_dependencies(root, "Dockerfile", &args).unwrap())
    });

    // A wildcard exception disables pruning: every path is matched.
    fs::write(
        root.join(".dockerignore"),
        "node_modules\n**/*.md\n!**/keep.js\n",
    )
    .unwrap();
    group.bench_function("100k files, no pruning (wildcard exception)", |b| {
        b.iter(|| docker_dependencies(root, "Dockerfile", &args).unwrap())
    });

    fs::remove_file(root.join(".dockerignore")).unwrap();
    group.bench_function("100k files, no .dockerignore", |b| {
        b.iter(|| docker_dependencies(root, "Dockerfile", &args).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
