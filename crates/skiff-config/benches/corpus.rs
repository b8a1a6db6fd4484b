//! Loading the corpus of real Skaffold configs (`shared/reference/skaffold-configs`, Skaffold's
//! examples and integration testdata): every file's text through `load_str`, then
//! `defaults::apply` and `validate` when it loads, against a baseline measured in the same run:
//! the same texts parsed as plain YAML (`serde_yaml_ng::Value`, one value per document).
//!
//! Criterion measures the whole set per iteration (group `corpus`). Before that, every file is
//! timed on its own `PER_FILE_RUNS` times (skiff and the baseline interleaved) and the bench
//! prints the distribution over files of each file's median (`per-file …` lines).
//!
//! The texts are read into memory first: file I/O is not measured.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::Criterion;
use serde::Deserialize;
use skiff_config::defaults::{self, DefaultsOptions};
use skiff_config::{ValidateOptions, load_str, validate};

/// How many times each file is timed on its own for the per-file medians.
const PER_FILE_RUNS: usize = 51;

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/skaffold-configs")
}

/// Every `.yaml`/`.yml` file under `dir`, sorted by path.
fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

struct CorpusFile {
    /// The path relative to the corpus root, for printing.
    name: PathBuf,
    path: PathBuf,
    text: String,
}

fn read_corpus(root: &Path) -> Vec<CorpusFile> {
    let mut paths = Vec::new();
    yaml_files(root, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|path| CorpusFile {
            name: path.strip_prefix(root).unwrap_or(&path).to_path_buf(),
            text: std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("reading {}: {e}", path.display())),
            path,
        })
        .collect()
}

fn defaults_options() -> DefaultsOptions {
    DefaultsOptions {
        kube_namespace: None,
        home_dir: Some(PathBuf::from("/home/bench")),
    }
}

/// What skiff does with a config file's text before a command uses it: load (parse, upgrade,
/// deserialize), defaults, validation. Returns how far it got (0 = load failed, 1 = defaults
/// failed, 2 = validation failed, 3 = valid).
fn skiff(file: &CorpusFile, opts: &DefaultsOptions) -> u8 {
    let Ok(mut set) = load_str(&file.text, &file.path) else {
        return 0;
    };
    if defaults::apply(&mut set, opts).is_err() {
        return 1;
    }
    let valid = validate(&set, &ValidateOptions::default()).is_ok();
    black_box(&set);
    if valid { 3 } else { 2 }
}

/// The baseline: the same text parsed as plain YAML, one `Value` per document. Returns the
/// number of documents parsed.
fn raw_yaml(file: &CorpusFile) -> usize {
    let mut docs = 0;
    for doc in serde_yaml_ng::Deserializer::from_str(&file.text) {
        if let Ok(value) = serde_yaml_ng::Value::deserialize(doc) {
            black_box(value);
            docs += 1;
        }
    }
    docs
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

fn describe(name: &str, mut values: Vec<f64>, unit: &str) {
    values.sort_by(f64::total_cmp);
    println!(
        "per-file {name}: files={} median={:.2}{unit} p90={:.2}{unit} max={:.2}{unit} min={:.2}{unit}",
        values.len(),
        quantile(&values, 0.5),
        quantile(&values, 0.9),
        values[values.len() - 1],
        values[0],
    );
}

/// Times every file on its own, `PER_FILE_RUNS` times each (the two sides interleaved, after a
/// warm-up), and prints the distribution over files of each file's median time and of the ratio
/// of those medians.
fn per_file(files: &[CorpusFile], opts: &DefaultsOptions) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mut skiff_medians = Vec::with_capacity(files.len());
    let mut yaml_medians = Vec::with_capacity(files.len());
    let mut ratios = Vec::with_capacity(files.len());
    let mut slowest: Option<(f64, &Path)> = None;
    for file in files {
        for _ in 0..5 {
            black_box(skiff(file, opts));
            black_box(raw_yaml(file));
        }
        let mut s = Vec::with_capacity(PER_FILE_RUNS);
        let mut y = Vec::with_capacity(PER_FILE_RUNS);
        for _ in 0..PER_FILE_RUNS {
            let start = Instant::now();
            black_box(skiff(file, opts));
            s.push(start.elapsed());
            let start = Instant::now();
            black_box(raw_yaml(file));
            y.push(start.elapsed());
        }
        let (s, y) = (us(median(&mut s)), us(median(&mut y)));
        if slowest.is_none_or(|(t, _)| s > t) {
            slowest = Some((s, &file.name));
        }
        skiff_medians.push(s);
        yaml_medians.push(y);
        ratios.push(s / y);
    }
    println!("per-file medians of {PER_FILE_RUNS} runs each:");
    describe("skiff_load_defaults_validate", skiff_medians, "µs");
    describe("serde_yaml_ng_value", yaml_medians, "µs");
    describe("ratio skiff/yaml", ratios, "");
    if let Some((t, path)) = slowest {
        println!("per-file slowest (skiff): {t:.1}µs {}", path.display());
    }
}

fn corpus(c: &mut Criterion, files: &[CorpusFile]) {
    let opts = defaults_options();
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    let mut outcomes = [0usize; 4];
    for file in files {
        outcomes[skiff(file, &opts) as usize] += 1;
    }
    let docs: usize = files.iter().map(raw_yaml).sum();
    println!(
        "corpus: {} files, {bytes} bytes, {docs} YAML documents; skiff: {} valid, {} invalid, \
         {} failing defaults, {} not loading",
        files.len(),
        outcomes[3],
        outcomes[2],
        outcomes[1],
        outcomes[0],
    );

    // Per-file medians only when measuring (`cargo bench`), not in `cargo test --benches`.
    if std::env::args().any(|a| a == "--bench") {
        per_file(files, &opts);
    }

    let mut group = c.benchmark_group("corpus");
    group.sample_size(30);
    group.bench_function("skiff_load_defaults_validate", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| skiff(f, &opts) as usize)
                .sum::<usize>()
        })
    });
    group.bench_function("skiff_load_only", |b| {
        b.iter(|| {
            files
                .iter()
                .filter(|f| load_str(&f.text, &f.path).is_ok())
                .count()
        })
    });
    group.bench_function("serde_yaml_ng_value", |b| {
        b.iter(|| files.iter().map(raw_yaml).sum::<usize>())
    });
    group.finish();
}

fn main() {
    let root = corpus_root();
    if !root.is_dir() {
        eprintln!(
            "the Skaffold config corpus is missing at {}: nothing to measure \
             (it is expected at <workspace>/../shared/reference/skaffold-configs)",
            root.display()
        );
        return;
    }
    let files = read_corpus(&root);
    if files.is_empty() {
        eprintln!(
            "no .yaml files under {}: nothing to measure",
            root.display()
        );
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    corpus(&mut c, &files);
    c.final_summary();
}
