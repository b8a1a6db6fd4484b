//! The corpus report behind `docs/compat/config-corpus.md`: every `skaffold*.yaml` of Skaffold's
//! examples and integration testdata, what loading it gives, and for files with `requires` or
//! `profiles`, what resolving gives without `-p` and with each profile.
//!
//! Shared by `examples/config_corpus.rs` (which prints the report) and `tests/resolve_corpus.rs`
//! (which checks expectations and that the committed report is current).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use skiff_config::{ResolveOptions, SyncRemoteCache, ValidateOptions, load_file, resolve};

/// Where the corpus lives (outside the repository).
pub fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/skaffold-configs")
}

/// Where the report is committed.
pub fn report_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/compat/config-corpus.md")
}

/// A remote cache directory that is never populated: git dependencies fail without touching the
/// network (`--sync-remote-cache=never`).
pub fn empty_cache_dir() -> PathBuf {
    std::env::temp_dir().join("skiff-corpus-empty-remote-cache")
}

/// The options the corpus is resolved with: `skaffold build`, an empty environment, no kube
/// context, no network, validation without the manifest check (the copies have no manifests).
pub fn options(file: &Path, profiles: &[&str]) -> ResolveOptions {
    ResolveOptions {
        file: file.to_path_buf(),
        profiles: profiles.iter().map(|p| p.to_string()).collect(),
        command: "build".to_string(),
        remote_cache_dir: Some(empty_cache_dir()),
        sync_remote_cache: SyncRemoteCache::Never,
        validate: Some(ValidateOptions::default()),
        ..ResolveOptions::default()
    }
}

/// What loading one file gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// Loaded `configs` documents written in `from` (`None`: the latest version).
    Ok {
        configs: usize,
        from: Option<String>,
    },
    /// Failed with this headline.
    Fails(String),
}

/// What resolving one file with one profile selection gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolve {
    /// The configs (names or `#index`) and the profiles applied to each, as `name[p1,p2]`.
    Ok(Vec<String>),
    /// Failed with these headlines.
    Fails(Vec<String>),
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct Row {
    /// Path relative to the corpus root.
    pub rel: String,
    /// Loading.
    pub load: Load,
    /// `(selection, outcome)` for files with `requires` or `profiles`: selection `""` is no
    /// `-p`, otherwise the profile name.
    pub resolves: Vec<(String, Resolve)>,
}

fn clean(s: &str, root: &Path) -> String {
    s.replace(&format!("{}/", root.display()), "")
        .replace(&empty_cache_dir().display().to_string(), "<cache>")
}

/// Resolve `file` with `profiles` and describe the outcome.
pub fn resolve_outcome(root: &Path, file: &Path, profiles: &[&str]) -> Resolve {
    match resolve(&options(file, profiles)) {
        Ok(r) => Resolve::Ok(
            r.entries
                .iter()
                .map(|e| {
                    let file = clean(&e.source.file.display().to_string(), root);
                    let id = if e.name().is_empty() {
                        format!("{file}#{}", e.source.index)
                    } else {
                        e.name().to_string()
                    };
                    if e.profiles.is_empty() {
                        id
                    } else {
                        format!("{id}[{}]", e.profiles.join(","))
                    }
                })
                .collect(),
        ),
        Err(es) => Resolve::Fails(es.iter().map(|e| clean(&e.headline(), root)).collect()),
    }
}

/// Build every row of the report.
pub fn rows(root: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    for file in skiff_testenv::files_under(root) {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let (load, set) = match load_file(&file) {
            Ok(set) => {
                let from = set
                    .entries
                    .iter()
                    .map(|e| e.source.original_api_version.clone())
                    .find(|v| v != skiff_config::model::API_VERSION);
                (
                    Load::Ok {
                        configs: set.len(),
                        from,
                    },
                    Some(set),
                )
            }
            Err(e) => (Load::Fails(clean(&e.headline(), root)), None),
        };
        let mut resolves = Vec::new();
        if let Some(set) = set {
            let has_requires = set.configs().any(|c| !c.requires.is_empty());
            let mut profiles: Vec<String> = Vec::new();
            for c in set.configs() {
                for p in &c.profiles {
                    if !profiles.contains(&p.name) {
                        profiles.push(p.name.clone());
                    }
                }
            }
            if has_requires || !profiles.is_empty() {
                resolves.push((String::new(), resolve_outcome(root, &file, &[])));
                for p in &profiles {
                    resolves.push((p.clone(), resolve_outcome(root, &file, &[p.as_str()])));
                }
            }
        }
        rows.push(Row {
            rel,
            load,
            resolves,
        });
    }
    rows
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A code span that may contain backticks.
fn code(s: &str) -> String {
    format!("`` {} ``", cell(s))
}

/// The Markdown report.
pub fn markdown(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "# skaffold.yaml corpus: what skiff does with Skaffold's own configs\n\n\
         <!-- Generated; do not edit. -->\n\
         Regenerate with `cargo run -q -p skiff-config --example config_corpus > docs/compat/config-corpus.md`\n\
         (`cargo test -p skiff-config --test resolve_corpus` fails when this file is out of date).\n\n\
         Every `skaffold*.yaml` under Skaffold's `examples/` and `integration/testdata/` (copied to\n\
         `shared/reference/skaffold-configs/`), loaded with `skiff_config::load_file` and, for files\n\
         with `requires` or `profiles`, resolved with `skiff_config::resolve` as `skaffold build`\n\
         would (no environment variables, no kube context, no network: git dependencies fail with\n\
         `--sync-remote-cache=never` and an empty cache), first without `-p`, then with `-p <name>`\n\
         for each profile. Resolving validates the result (without the manifest-file check: the\n\
         copies have no manifests).\n\n\
         Load: **loads** (N configs) in `skaffold/v4beta14`, **upgraded from** an older\n\
         `apiVersion`, or **fails** with the error. Resolve: the configs in order, as `name` (or\n\
         `file#index` for unnamed configs) with the profiles applied in brackets, or the error.\n\n",
    );
    let loaded = rows
        .iter()
        .filter(|r| matches!(r.load, Load::Ok { from: None, .. }))
        .count();
    let upgraded = rows
        .iter()
        .filter(|r| matches!(r.load, Load::Ok { from: Some(_), .. }))
        .count();
    let failed = rows.len() - loaded - upgraded;
    let resolved: usize = rows.iter().map(|r| r.resolves.len()).sum();
    let resolve_failed: usize = rows
        .iter()
        .flat_map(|r| &r.resolves)
        .filter(|(_, o)| matches!(o, Resolve::Fails(_)))
        .count();
    out.push_str(&format!(
        "**{} files**: {loaded} load as written, {upgraded} load after upgrading, {failed} fail. \
         **{resolved} resolutions** (of {} files with `requires` or `profiles`): {} succeed, \
         {resolve_failed} fail.\n\n",
        rows.len(),
        rows.iter().filter(|r| !r.resolves.is_empty()).count(),
        resolved - resolve_failed,
    ));
    out.push_str("| file | load | resolve |\n|---|---|---|\n");
    for r in rows {
        let load = match &r.load {
            Load::Ok {
                configs,
                from: None,
            } => format!("loads ({configs})"),
            Load::Ok {
                configs,
                from: Some(v),
            } => format!("upgraded from `{v}` ({configs})"),
            Load::Fails(e) => format!("**fails**: {}", code(e)),
        };
        let resolve: Vec<String> = r
            .resolves
            .iter()
            .map(|(sel, outcome)| {
                let sel = if sel.is_empty() {
                    "no `-p`".to_string()
                } else {
                    format!("`-p {sel}`")
                };
                match outcome {
                    Resolve::Ok(configs) => format!("{sel}: {}", cell(&configs.join(", "))),
                    Resolve::Fails(es) => format!("{sel}: **fails**: {}", code(&es.join("; "))),
                }
            })
            .collect();
        out.push_str(&format!(
            "| `{}` | {load} | {} |\n",
            r.rel,
            if resolve.is_empty() {
                "—".to_string()
            } else {
                resolve.join("<br>")
            }
        ));
    }
    out
}
