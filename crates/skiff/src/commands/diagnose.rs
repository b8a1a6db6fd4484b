//! `skiff diagnose`: diagnostics of each config's artifacts, then the effective configuration.
//!
//! The configs are read as for a run (modules, profiles and their auto-activation, defaults)
//! with every file path made absolute, like `skaffold diagnose`. `--yaml-only` prints just the
//! effective configuration: every config as one YAML document (`---` between them), without its
//! `requires` (the required configs are printed themselves) and without `profiles` (the active
//! ones are applied). That output reads back to the same output.
//!
//! Without `--yaml-only`, each config first gets Skaffold's report:
//!
//! ```text
//! Skaffold version: skiff v0.1.0
//! Configuration version: skaffold/v4beta14
//! Number of artifacts: 1
//!
//! Docker artifact: app
//!  - Size of the context: 1234bytes
//!  - Dependencies: 3 files
//!  - Time to list dependencies: 1.2ms (2nd time: 310µs)
//!  - Sync: infer [**/*.js]
//!  - Time to construct sync map: 1.1ms (2nd time: 290µs)
//!  - Time to compute mTimes on dependencies: 40µs (2nd time: 21µs)
//!
//! Configuration
//! ```
//!
//! Times are printed like Go's `time.Duration`. Dependencies are listed for docker and kaniko
//! artifacts (from the Dockerfile and `.dockerignore`), custom artifacts with `dockerfile` or
//! `paths` dependencies, buildpacks and ko artifacts (their `paths` globs); jib and bazel need
//! their build tools and are reported as not computed. A failure to list dependencies is shown on
//! the artifact's line instead of ending the command.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_yaml_ng::Value;
use skiff_config::model::{
    Artifact, ArtifactType, CustomDependencySource, SkaffoldConfig, SyncMode,
};
use skiff_events::duration::humanize;

use crate::configs::{self, LoadRequest, LoadedConfig};
use crate::options::{ConfigOptions, DiagnoseOptions};

/// Runs `skiff diagnose`, printing on stdout or into `--output`.
pub fn run(opts: DiagnoseOptions) -> anyhow::Result<()> {
    let cfgs = load(&opts.config)?;
    match &opts.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("creating output file {}", path.display()))?;
            let mut out = BufWriter::new(file);
            diagnose(&opts, &cfgs, &mut out)?;
            out.flush()?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            diagnose(&opts, &cfgs, &mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Reads the configs as `skaffold diagnose` does.
pub(crate) fn load(opts: &ConfigOptions) -> anyhow::Result<Vec<LoadedConfig>> {
    let request = LoadRequest {
        // Every path absolute, the root config's against the working directory.
        absolute_paths: Some(true),
        validate: false,
        ..LoadRequest::for_command(opts, "diagnose")
    };
    Ok(configs::load(&request)?)
}

/// Writes the diagnostics (unless `--yaml-only`) and the effective configuration to `out`.
pub(crate) fn diagnose(
    opts: &DiagnoseOptions,
    cfgs: &[LoadedConfig],
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    if !opts.yaml_only {
        for c in cfgs {
            config_diagnostics(c, out)?;
        }
    }
    out.write_all(effective_yaml(cfgs, opts.enable_templating)?.as_bytes())?;
    Ok(())
}

/// The effective configuration: each config without `requires` (and without `profiles`, which
/// are applied), paths absolute, as YAML documents separated by `---`.
pub(crate) fn effective_yaml(
    cfgs: &[LoadedConfig],
    enable_templating: bool,
) -> anyhow::Result<String> {
    let mut out = String::new();
    for c in cfgs {
        let mut config = c.config.clone();
        config.requires.clear();
        config.profiles.clear();
        let mut value = serde_yaml_ng::to_value(&config).context("marshalling configuration")?;
        if enable_templating {
            apply_templates(&mut value)?;
        }
        if !out.is_empty() {
            out.push_str("---\n");
        }
        out.push_str(
            &skiff_config::yaml::emit::to_string(&value).context("marshalling configuration")?,
        );
    }
    Ok(out)
}

/// Fields Skaffold expands as templates with `--enable-templating` (its `skaffold:"template"`
/// tag).
const TEMPLATE_FIELDS: &[&[&str]] = &[
    &["portForward", "*", "resourceName"],
    &["portForward", "*", "namespace"],
    &["build", "tagPolicy", "envTemplate", "template"],
    &["build", "artifacts", "*", "docker", "buildArgs", "*"],
    &["build", "artifacts", "*", "ko", "env", "*"],
    &["build", "artifacts", "*", "ko", "flags", "*"],
    &["build", "artifacts", "*", "ko", "labels", "*"],
    &["build", "artifacts", "*", "ko", "ldflags", "*"],
    &["manifests", "kustomize", "paths", "*"],
    &["deploy", "kubectl", "defaultNamespace"],
    &["manifests", "helm", "releases", "*", "name"],
    &["manifests", "helm", "releases", "*", "chartPath"],
    &["manifests", "helm", "releases", "*", "valuesFiles", "*"],
    &["manifests", "helm", "releases", "*", "namespace"],
    &["manifests", "helm", "releases", "*", "version"],
    &["manifests", "helm", "releases", "*", "setValues", "*"],
    &[
        "manifests",
        "helm",
        "releases",
        "*",
        "setValueTemplates",
        "*",
    ],
    &["deploy", "helm", "releases", "*", "name"],
    &["deploy", "helm", "releases", "*", "chartPath"],
    &["deploy", "helm", "releases", "*", "valuesFiles", "*"],
    &["deploy", "helm", "releases", "*", "namespace"],
    &["deploy", "helm", "releases", "*", "version"],
    &["deploy", "helm", "releases", "*", "setValues", "*"],
    &["deploy", "helm", "releases", "*", "setValueTemplates", "*"],
];

/// Calls `f` on every value at `pattern` under `value`.
fn visit(value: &mut Value, pattern: &[&str], f: &mut dyn FnMut(&mut Value)) {
    let Some((first, rest)) = pattern.split_first() else {
        f(value);
        return;
    };
    match (value, *first) {
        (Value::Sequence(items), "*") => {
            for item in items {
                visit(item, rest, f);
            }
        }
        (Value::Mapping(map), "*") => {
            for (_, item) in map.iter_mut() {
                visit(item, rest, f);
            }
        }
        (Value::Mapping(map), key) => {
            if let Some(item) = map.get_mut(key) {
                visit(item, rest, f);
            }
        }
        _ => {}
    }
}

/// Expands the templated fields over the process environment (`--enable-templating`).
fn apply_templates(value: &mut Value) -> anyhow::Result<()> {
    let extra = BTreeMap::new();
    let mut first_error = None;
    let mut expand = |v: &mut Value| {
        if let Value::String(s) = v {
            match skiff_config::template::expand_env_template(s, &extra) {
                // Like Skaffold, a template that refers to an unset key stays as written.
                Ok(expanded) if expanded.contains("<no value>") => {}
                Ok(expanded) => *s = expanded,
                Err(e) => {
                    first_error.get_or_insert_with(|| anyhow::anyhow!("{e}"));
                }
            }
        }
    };
    for pattern in TEMPLATE_FIELDS {
        visit(value, pattern, &mut expand);
    }
    first_error.map_or(Ok(()), Err)
}

/// Skaffold's header for an artifact's builder.
fn type_of_artifact(a: &Artifact) -> &'static str {
    match &a.artifact_type {
        Some(ArtifactType::Docker(_)) | None => "Docker artifact",
        Some(ArtifactType::Bazel(_)) => "Bazel artifact",
        Some(ArtifactType::Jib(_)) => "Jib artifact",
        Some(ArtifactType::Kaniko(_)) => "Kaniko artifact",
        Some(ArtifactType::Custom(_)) => "Custom artifact",
        Some(ArtifactType::Buildpacks(_)) => "Buildpack artifact",
        Some(ArtifactType::Ko(_)) => "Ko artifact",
    }
}

/// The report of one config.
fn config_diagnostics(c: &LoadedConfig, out: &mut dyn Write) -> anyhow::Result<()> {
    let config: &SkaffoldConfig = &c.config;
    // Paths are absolute already; relative ones would be relative to the working directory
    // (root configs) or to the config's file (required configs), as in Skaffold.
    let base = if c.is_root {
        std::env::current_dir().unwrap_or_default()
    } else {
        c.file.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let base = base.as_path();
    writeln!(out, "Skaffold version: skiff {}", crate::cli::VERSION)?;
    writeln!(out, "Configuration version: {}", config.api_version)?;
    writeln!(
        out,
        "Number of artifacts: {}",
        config.pipeline.build.artifacts.len()
    )?;
    for artifact in &config.pipeline.build.artifacts {
        artifact_diagnostics(artifact, base, out)?;
    }
    writeln!(out, "\nConfiguration")?;
    Ok(())
}

fn artifact_diagnostics(a: &Artifact, base: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
    let context = base.join(if a.context.is_empty() {
        "."
    } else {
        &a.context
    });
    writeln!(out, "\n{}: {}", type_of_artifact(a), a.image)?;
    let docker = docker_inputs(a);
    if let Some((dockerfile, _)) = &docker
        && matches!(a.artifact_type, Some(ArtifactType::Docker(_)) | None)
    {
        match context_size(&context, dockerfile) {
            Ok(size) => writeln!(out, " - Size of the context: {size}bytes")?,
            Err(e) => writeln!(out, " - Size of the context: error: {e}")?,
        }
    }

    let (first, deps) = timed(|| dependencies(a, &context));
    let deps = match deps {
        Ok(Some(deps)) => Some(deps),
        Ok(None) => {
            writeln!(
                out,
                " - Dependencies: not computed (needs the {} build tool)",
                a.artifact_type.as_ref().map_or("docker", ArtifactType::key)
            )?;
            None
        }
        Err(e) => {
            writeln!(out, " - Dependencies: error: {e:#}")?;
            None
        }
    };
    if let Some(deps) = &deps {
        let (second, _) = timed(|| dependencies(a, &context));
        writeln!(out, " - Dependencies: {} files", deps.len())?;
        writeln!(
            out,
            " - Time to list dependencies: {} (2nd time: {})",
            humanize(first),
            humanize(second)
        )?;
    }

    if let Some(sync) = &a.sync {
        match &sync.mode {
            Some(SyncMode::Manual(rules)) => {
                writeln!(out, " - Sync: manual ({} rules)", rules.len())?
            }
            Some(SyncMode::Infer(patterns)) => {
                writeln!(out, " - Sync: infer [{}]", patterns.join(", "))?;
                if let Some((dockerfile, args)) = &docker {
                    let build = || skiff_build::dockerfile::sync_map(&context, dockerfile, args);
                    let (t1, r1) = timed(build);
                    let (t2, _) = timed(build);
                    match r1 {
                        Ok(_) => writeln!(
                            out,
                            " - Time to construct sync map: {} (2nd time: {})",
                            humanize(t1),
                            humanize(t2)
                        )?,
                        Err(e) => writeln!(out, " - Sync map: error: {e}")?,
                    }
                }
            }
            Some(SyncMode::Auto(on)) => writeln!(out, " - Sync: auto {on}")?,
            None => {}
        }
    }

    if let Some(deps) = &deps {
        let files: Vec<PathBuf> = deps.iter().map(|d| context.join(d)).collect();
        let stat = || {
            for f in &files {
                let _ = std::fs::symlink_metadata(f).and_then(|m| m.modified());
            }
        };
        let (t1, ()) = timed(stat);
        let (t2, ()) = timed(stat);
        writeln!(
            out,
            " - Time to compute mTimes on dependencies: {} (2nd time: {})",
            humanize(t1),
            humanize(t2)
        )?;
    }
    Ok(())
}

/// The Dockerfile and build args of an artifact built from a Dockerfile (docker, kaniko, or
/// custom with a `dockerfile` dependency), build args expanded over the environment.
fn docker_inputs(a: &Artifact) -> Option<(String, BTreeMap<String, Option<String>>)> {
    let (dockerfile, args) = match &a.artifact_type {
        None => (String::new(), BTreeMap::new()),
        Some(ArtifactType::Docker(d)) => (d.dockerfile.clone(), d.build_args.clone()),
        Some(ArtifactType::Kaniko(k)) => (k.dockerfile.clone(), k.build_args.clone()),
        Some(ArtifactType::Custom(c)) => {
            match c.dependencies.as_ref().and_then(|d| d.source.as_ref()) {
                Some(CustomDependencySource::Dockerfile(d)) => {
                    (d.path.clone(), d.build_args.clone())
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    let dockerfile = if dockerfile.is_empty() {
        skiff_config::defaults::DOCKERFILE.to_owned()
    } else {
        dockerfile
    };
    let args =
        skiff_config::template::evaluate_env_template_map(&args, &BTreeMap::new()).unwrap_or(args);
    Some((dockerfile, args))
}

/// The files an artifact depends on, relative to its context; `None` when they need the
/// builder's own tool (jib, bazel, custom `command`).
fn dependencies(a: &Artifact, context: &Path) -> anyhow::Result<Option<Vec<PathBuf>>> {
    if let Some((dockerfile, args)) = docker_inputs(a) {
        return Ok(Some(skiff_build::dockerfile::docker_dependencies(
            context,
            &dockerfile,
            &args,
        )?));
    }
    let (paths, ignore): (Vec<String>, Vec<String>) = match &a.artifact_type {
        Some(ArtifactType::Custom(c)) => match &c.dependencies {
            Some(d) => match &d.source {
                Some(CustomDependencySource::Paths(p)) => (p.clone(), d.ignore.clone()),
                Some(CustomDependencySource::Command(_)) => return Ok(None),
                _ => (Vec::new(), d.ignore.clone()),
            },
            None => (Vec::new(), Vec::new()),
        },
        Some(ArtifactType::Buildpacks(b)) => match &b.dependencies {
            Some(d) if !d.paths.is_empty() => (d.paths.clone(), d.ignore.clone()),
            Some(d) => (vec![".".to_owned()], d.ignore.clone()),
            None => (vec![".".to_owned()], Vec::new()),
        },
        Some(ArtifactType::Ko(k)) => match &k.dependencies {
            Some(d) if !d.paths.is_empty() => (d.paths.clone(), d.ignore.clone()),
            Some(d) => (vec!["**/*.go".to_owned()], d.ignore.clone()),
            None => (vec!["**/*.go".to_owned()], Vec::new()),
        },
        _ => return Ok(None),
    };
    Ok(Some(glob_files(context, &paths, &ignore)))
}

/// The files under `context` matched by `paths` (a matched directory means every file below
/// it; `**` matches any number of directories), minus those matched by `ignore`, relative to
/// the context and sorted.
fn glob_files(context: &Path, paths: &[String], ignore: &[String]) -> Vec<PathBuf> {
    let all = walk(context);
    let matches = |patterns: &[String], rel: &str| {
        patterns.iter().any(|p| {
            let p = p.trim_end_matches('/');
            p == "." || glob_match(p, rel) || {
                // A matched directory covers everything below it.
                let mut dir = Path::new(rel).parent();
                let mut hit = false;
                while let Some(d) = dir.filter(|d| !d.as_os_str().is_empty()) {
                    if glob_match(p, &d.to_string_lossy()) {
                        hit = true;
                        break;
                    }
                    dir = d.parent();
                }
                hit
            }
        })
    };
    all.into_iter()
        .filter(|rel| matches(paths, rel) && !matches(ignore, rel))
        .map(PathBuf::from)
        .collect()
}

/// Every file under `root`, relative, with `/` separators, sorted.
fn walk(root: &Path) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let child = rel.join(entry.file_name());
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(child),
                Ok(_) => {
                    out.insert(child.to_string_lossy().replace('\\', "/"));
                }
                Err(_) => {}
            }
        }
    }
    out.into_iter().collect()
}

/// Matches a `/`-separated path against a glob where `**` is any number of components and
/// each other component is a Go `path.Match` pattern.
fn glob_match(pattern: &str, path: &str) -> bool {
    fn go(p: &[&str], n: &[&str]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((&"**", rest)) => (0..=n.len()).any(|k| go(rest, &n[k..])),
            Some((first, rest)) => {
                !n.is_empty()
                    && skiff_config::validate::wildcard_match(first, n[0])
                    && go(rest, &n[1..])
            }
        }
    }
    let p: Vec<&str> = pattern
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let n: Vec<&str> = path.split('/').collect();
    go(&p, &n)
}

/// The total size of the files a docker build sends (the context minus `.dockerignore`).
fn context_size(context: &Path, dockerfile: &str) -> anyhow::Result<u64> {
    let dockerfile_abs = skiff_build::dockerfile::normalize_dockerfile_path(context, dockerfile)?;
    let ignore = skiff_build::dockerignore::DockerIgnore::read(context, &dockerfile_abs)?;
    let files = skiff_build::dockerfile::context_files(context, &ignore)?;
    Ok(files
        .iter()
        .filter_map(|f| std::fs::symlink_metadata(context.join(f)).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum())
}

fn timed<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let value = f();
    (start.elapsed(), value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loads `file` as `diagnose` does, with `profiles` active.
    fn load_with(file: &Path, profiles: &[&str]) -> Vec<LoadedConfig> {
        load(&ConfigOptions {
            filename: file.to_path_buf(),
            profiles: profiles.iter().map(|p| p.to_string()).collect(),
            profile_auto_activation: false,
            ..ConfigOptions::default()
        })
        .unwrap()
    }

    /// A config whose build args, profile name and profile-patched build arg hold U+2028, U+2029
    /// and U+0085 (written with YAML's `\L`, `\P` and `\N` escapes). The emitter already
    /// escapes a string holding U+0085; one holding only U+2028/U+2029 is what broke.
    const SEPARATORS_CONFIG: &str = r#"apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
  - image: app
    docker:
      buildArgs:
        ARG: "x\Ly\Pz"
        NEL: "x\Ny"
profiles:
- name: "p\L\P\N"
  patches:
  - op: add
    path: /build/artifacts/0/docker/buildArgs/FROM_PROFILE
    value: "x\Ly"
"#;

    #[test]
    fn yaml_only_round_trips_unicode_line_separators() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("skaffold.yaml");
        std::fs::write(&file, SEPARATORS_CONFIG).unwrap();
        let cfgs = load_with(&file, &["p\u{2028}\u{2029}\u{85}"]);
        let (_, args) = docker_inputs(&cfgs[0].config.pipeline.build.artifacts[0]).unwrap();
        assert_eq!(args["ARG"].as_deref(), Some("x\u{2028}y\u{2029}z"));
        assert_eq!(args["NEL"].as_deref(), Some("x\u{85}y"));
        assert_eq!(args["FROM_PROFILE"].as_deref(), Some("x\u{2028}y"));

        let yaml = effective_yaml(&cfgs, false).unwrap();
        assert!(yaml.contains(r#"ARG: "x\Ly\Pz""#), "{yaml}");
        let out = dir.path().join("effective.yaml");
        std::fs::write(&out, &yaml).unwrap();
        let again = load_with(&out, &[]);
        assert_eq!(again[0].config, cfgs[0].config, "{yaml}");
        assert_eq!(effective_yaml(&again, false).unwrap(), yaml);
    }

    #[test]
    fn globs_match_double_star() {
        assert!(glob_match("**/*.go", "main.go"));
        assert!(glob_match("**/*.go", "pkg/a/b.go"));
        assert!(!glob_match("**/*.go", "pkg/a/b.rs"));
        assert!(glob_match("src", "src"));
        assert!(glob_match("src/*.js", "src/app.js"));
    }
}
