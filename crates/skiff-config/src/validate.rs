//! Semantic validation, as Skaffold's `pkg/skaffold/schema/validation/validation.go` does it.
//!
//! Run it on the configs after profiles and [`crate::defaults`] (artifact dependency aliases, for
//! example, default to the image name). Checks that need a running system (docker network
//! containers, Cloud Run locations given on the command line) are left to the runner; the
//! config-only parts of Skaffold's run-context checks (unique verify test and custom action
//! names, one execution mode per action) are here.
//!
//! Shape errors (unknown fields, wrong types, missing required fields, two members of a one-of
//! group) are reported by the loader already; this module reports every remaining problem it
//! finds, each with file, line, column and field path.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

use crate::error::{ConfigError, ConfigErrors, StatusCode, SuggestionCode};
use crate::load::{ConfigEntry, ConfigSet};
use crate::model::*;
use crate::path;
use crate::reference::parse_reference;
use crate::yaml::Segment;

/// What to check besides the config itself.
#[derive(Debug, Clone, Default)]
pub struct ValidateOptions {
    /// Check that every `manifests.rawYaml` pattern matches a file (Skaffold does for `dev`,
    /// `run`, `debug`, `deploy` and `render`). Patterns are resolved against the directory of the
    /// config file.
    pub check_manifests: bool,
}

/// The port-forward resource types Skaffold accepts (compared lower-cased).
pub const PORT_FORWARD_RESOURCE_TYPES: &[&str] = &[
    "container",
    "pod",
    "deployment",
    "service",
    "replicaset",
    "replicationcontroller",
    "statefulset",
    "daemonset",
    "cronjob",
    "job",
];

/// The valid `deploy.logs.prefix` values (`""` means the default).
pub const LOG_PREFIXES: &[&str] = &["", "auto", "container", "podAndContainer", "none"];

static ALIAS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-zA-Z_][a-zA-Z0-9_]*$").unwrap());
static WORKER_POOL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"projects/[^/]*/locations/[^/]*/workerPools/[^/]*").unwrap());
static CONTAINER_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$").unwrap());

/// Validate every config of `set`, returning all problems found.
pub fn validate(set: &ConfigSet, opts: &ValidateOptions) -> Result<(), ConfigErrors> {
    let mut errs = Vec::new();
    validate_image_names(set, &mut errs);
    for entry in &set.entries {
        let mut v = Validator {
            entry,
            errs: &mut errs,
        };
        v.artifacts();
        v.port_forwards();
        v.log_prefix();
        v.artifact_types();
        v.tagging_policy();
        v.custom_tests();
        v.gcb();
        v.templates();
    }
    validate_artifact_dependencies(set, &mut errs);
    validate_unique_names(set, &mut errs);
    if opts.check_manifests {
        validate_manifests(set, &mut errs);
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(ConfigErrors(errs))
    }
}

struct Validator<'a> {
    entry: &'a ConfigEntry,
    errs: &'a mut Vec<ConfigError>,
}

impl Validator<'_> {
    fn error(&mut self, path: &[Segment], message: impl Into<String>) {
        self.errs.push(
            self.entry
                .source
                .error(path, StatusCode::InitUnknown, message),
        );
    }

    fn pipeline(&self) -> &Pipeline {
        &self.entry.config.pipeline
    }

    fn artifacts(&mut self) {
        let artifacts = &self.entry.config.pipeline.build.artifacts;
        for (i, a) in artifacts.iter().enumerate() {
            let base = path!["build", "artifacts", i].to_vec();
            let at = |rest: &[&str]| {
                let mut p = base.clone();
                p.extend(rest.iter().map(|s| Segment::from(*s)));
                p
            };
            match &a.artifact_type {
                Some(ArtifactType::Docker(d)) => {
                    self.docker_network(a, d, &at(&["docker", "network"]))
                }
                Some(ArtifactType::Custom(c)) => {
                    if let Some(deps) = &c.dependencies
                        && !deps.ignore.is_empty()
                        && matches!(
                            deps.source,
                            Some(
                                CustomDependencySource::Dockerfile(_)
                                    | CustomDependencySource::Command(_)
                            )
                        )
                    {
                        self.error(
                            &at(&["custom", "dependencies", "ignore"]),
                            format!(
                                "artifact {} has invalid dependencies; dependencies.ignore can only be used \
                                 in conjunction with dependencies.paths",
                                a.image
                            ),
                        );
                    }
                }
                Some(ArtifactType::Jib(j)) => {
                    let t = j.r#type.to_lowercase();
                    if !t.is_empty() && t != "maven" && t != "gradle" {
                        self.error(
                            &at(&["jib", "type"]),
                            format!("artifact {} has invalid Jib plugin type '{t}'", a.image),
                        );
                    }
                }
                _ => {}
            }
            if let Some(sync) = &a.sync {
                match &sync.mode {
                    Some(SyncMode::Manual(rules)) => {
                        for (j, r) in rules.iter().enumerate() {
                            if !r.src.starts_with(&r.strip) {
                                let mut p = at(&["sync", "manual"]);
                                p.extend([Segment::Index(j), Segment::from("strip")]);
                                self.error(
                                    &p,
                                    format!(
                                        "sync rule pattern '{}' does not have prefix '{}'",
                                        r.src, r.strip
                                    ),
                                );
                            }
                        }
                    }
                    Some(SyncMode::Infer(patterns)) => {
                        if let Some(ArtifactType::Ko(ko)) = &a.artifact_type {
                            if ko.main.contains("...") {
                                self.error(
                                    &at(&["ko", "main"]),
                                    format!(
                                        "artifact {} cannot use inferred file sync when the ko.main field \
                                         contains the '...' wildcard. Instead, specify the path to the main \
                                         package without using wildcards",
                                        a.image
                                    ),
                                );
                            }
                            for (j, pattern) in patterns.iter().enumerate() {
                                if !pattern.contains("kodata") {
                                    let mut p = at(&["sync", "infer"]);
                                    p.push(Segment::Index(j));
                                    self.error(
                                        &p,
                                        format!(
                                            "artifact {} has an invalid pattern {pattern} for inferred file sync \
                                             with the ko builder. The pattern must specify the 'kodata' \
                                             directory. For instance, if you want to sync all static content, \
                                             and your main package is in the workspace directory, you can use \
                                             the pattern 'kodata/**/*'",
                                            a.image
                                        ),
                                    );
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }

    fn docker_network(&mut self, a: &Artifact, d: &DockerArtifact, path: &[Segment]) {
        let mode = &d.network;
        if !mode.to_lowercase().starts_with("container:") {
            return;
        }
        let id = &mode["container:".len()..];
        // A templated name is only known at build time.
        if id.contains("{{") {
            return;
        }
        if !CONTAINER_NAME.is_match(id) {
            let err = self
                .entry
                .source
                .error(
                    path,
                    StatusCode::InitDockerNetworkInvalidContainerName,
                    format!("artifact {} has invalid container name '{id}'", a.image),
                )
                .with_suggestion(
                    SuggestionCode::FixDockerNetworkContainerName,
                    "Please fix the docker network container name and try again",
                );
            self.errs.push(err);
        }
    }

    fn port_forwards(&mut self) {
        for (i, pf) in self.entry.config.pipeline.port_forward.iter().enumerate() {
            if !PORT_FORWARD_RESOURCE_TYPES.contains(&pf.resource_type.normalized().as_str()) {
                let msg = if pf.resource_type.is_empty() {
                    "resourceType is required for port forwarding".to_string()
                } else {
                    format!(
                        "{} is not a valid resource type for port forwarding",
                        pf.resource_type
                    )
                };
                self.error(
                    &path!["portForward", i, "resourceType"],
                    format!(
                        "{msg}; valid types are Service, Pod, Deployment, ReplicaSet, ReplicationController, \
                         StatefulSet, DaemonSet, Job, CronJob and Container"
                    ),
                );
            }
        }
    }

    fn log_prefix(&mut self) {
        let prefix = &self.pipeline().deploy.logs.prefix;
        if !LOG_PREFIXES.contains(&prefix.as_str()) {
            let msg = format!(
                "invalid log prefix '{prefix}'. Valid values are 'auto', 'container', 'podAndContainer' or 'none'"
            );
            self.error(&path!["deploy", "logs", "prefix"], msg);
        }
    }

    fn artifact_types(&mut self) {
        let build = &self.entry.config.pipeline.build;
        let (builder, key, allowed, verb): (&str, &str, &[&str], &str) = match &build.build_type {
            Some(BuildType::Local(_)) => (
                "local",
                "local",
                &["docker", "bazel", "ko", "jib", "buildpacks", "custom"],
                "add",
            ),
            Some(BuildType::GoogleCloudBuild(_)) => (
                "gcb",
                "googleCloudBuild",
                &["kaniko", "docker", "jib", "buildpacks", "ko"],
                "remove",
            ),
            Some(BuildType::Cluster(_)) => ("cluster", "cluster", &["kaniko", "custom"], "remove"),
            None => return,
        };
        for (i, a) in build.artifacts.iter().enumerate() {
            let Some(t) = &a.artifact_type else { continue };
            let kind = t.key();
            if allowed.contains(&kind) {
                continue;
            }
            let fix = if verb == "add" {
                format!(
                    "To use the '{kind}' builder, add the 'cluster' stanza to the 'build' section of your configuration."
                )
            } else {
                format!(
                    "To use the '{kind}' builder, remove the '{key}' stanza from the 'build' section of your configuration."
                )
            };
            self.error(
                &path!["build", "artifacts", i, kind],
                format!(
                    "found a '{kind}' artifact, which is incompatible with the '{builder}' builder. {fix} \
                     For information, see https://skaffold.dev/docs/pipeline-stages/builders/"
                ),
            );
        }
    }

    fn tagging_policy(&mut self) {
        let build = &self.entry.config.pipeline.build;
        if let Some(BuildType::Local(local)) = &build.build_type
            && local.try_import_missing
            && matches!(build.tag_policy, Some(TagPolicy::Sha256(_)))
        {
            self.error(
                &path!["build", "tagPolicy", "sha256"],
                "tagging policy 'sha256' can not be used when 'tryImportMissing' is enabled",
            );
        }
    }

    fn custom_tests(&mut self) {
        for (i, tc) in self.entry.config.pipeline.test.iter().enumerate() {
            for (j, ct) in tc.custom.iter().enumerate() {
                if let Some(deps) = &ct.dependencies
                    && !deps.ignore.is_empty()
                    && !matches!(deps.source, Some(CustomTestDependencySource::Paths(_)))
                {
                    self.error(
                        &path!["test", i, "custom", j, "dependencies", "ignore"],
                        "customTest has invalid dependencies; dependencies.ignore can only be used in \
                         conjunction with dependencies.paths",
                    );
                }
            }
        }
    }

    fn gcb(&mut self) {
        if let Some(BuildType::GoogleCloudBuild(gcb)) = &self.entry.config.pipeline.build.build_type
            && !gcb.worker_pool.is_empty()
            && !WORKER_POOL.is_match(&gcb.worker_pool)
        {
            self.error(
                &path!["build", "googleCloudBuild", "workerPool"],
                "invalid value for worker pool. Must match pattern \
                 projects/{project}/locations/{location}/workerPools/{worker_pool}",
            );
        }
    }

    /// Go templates that Skaffold parses when it creates the tagger: a syntax error is a config
    /// error, not a build failure.
    fn templates(&mut self) {
        let build = &self.entry.config.pipeline.build;
        let template = match &build.tag_policy {
            Some(TagPolicy::EnvTemplate(t)) => Some((
                &t.template,
                path!["build", "tagPolicy", "envTemplate", "template"],
            )),
            Some(TagPolicy::CustomTemplate(t)) => Some((
                &t.template,
                path!["build", "tagPolicy", "customTemplate", "template"],
            )),
            _ => None,
        };
        if let Some((text, p)) = template
            && let Err(e) = crate::template::Template::parse("tagTemplate", text)
        {
            self.error(&p, format!("invalid tag template: {e}"));
        }
    }
}

fn validate_image_names(set: &ConfigSet, errs: &mut Vec<ConfigError>) {
    let mut seen: HashMap<&str, (&ConfigEntry, usize)> = HashMap::new();
    for entry in &set.entries {
        for (i, a) in entry.config.pipeline.build.artifacts.iter().enumerate() {
            let p = path!["build", "artifacts", i, "image"];
            let err = |msg: String| entry.source.error(&p, StatusCode::InitUnknown, msg);
            if let Some((prev, j)) = seen.get(a.image.as_str()) {
                let msg = format!(
                    "duplicate image {:?} found in sources {} and {}: artifact image names must be unique \
                     across all configurations",
                    a.image,
                    prev.source.file.display(),
                    entry.source.file.display()
                );
                errs.push(err(msg.clone()));
                errs.push(prev.source.error(
                    &path!["build", "artifacts", *j, "image"],
                    StatusCode::InitUnknown,
                    msg,
                ));
                continue;
            }
            seen.insert(&a.image, (entry, i));
            match parse_reference(&a.image) {
                Err(e) => errs.push(err(format!("invalid image {:?}: {e}", a.image))),
                Ok(r) => {
                    if !r.tag.is_empty() {
                        errs.push(err(format!(
                            "invalid image {:?}: no tag should be specified. Use taggers instead: \
                             https://skaffold.dev/docs/how-tos/taggers/",
                            a.image
                        )));
                    }
                    if !r.digest.is_empty() {
                        errs.push(err(format!(
                            "invalid image {:?}: no digest should be specified. Use taggers instead: \
                             https://skaffold.dev/docs/how-tos/taggers/",
                            a.image
                        )));
                    }
                }
            }
        }
    }
}

/// An artifact dependency's alias: its own, or the image name as defaults would set it.
fn alias(d: &ArtifactDependency) -> &str {
    if d.alias.is_empty() {
        &d.image
    } else {
        &d.alias
    }
}

fn validate_artifact_dependencies(set: &ConfigSet, errs: &mut Vec<ConfigError>) {
    // (entry, artifact index, artifact) across all configs, as Skaffold does.
    let all: Vec<(&ConfigEntry, usize, &Artifact)> = set
        .entries
        .iter()
        .flat_map(|e| {
            e.config
                .pipeline
                .build
                .artifacts
                .iter()
                .enumerate()
                .map(move |(i, a)| (e, i, a))
        })
        .collect();
    // Unique aliases per artifact.
    for (entry, i, a) in &all {
        let mut seen: HashMap<&str, bool> = HashMap::new();
        for (j, d) in a.requires.iter().enumerate() {
            let al = alias(d);
            match seen.get(al) {
                Some(false) => {
                    errs.push(entry.source.error(
                        &path!["build", "artifacts", *i, "requires", j, "alias"],
                        StatusCode::InitUnknown,
                        format!(
                            "invalid build dependency for artifact {:?}: alias {al:?} repeated",
                            a.image
                        ),
                    ));
                    seen.insert(al, true);
                }
                Some(true) => {}
                None => {
                    seen.insert(al, false);
                }
            }
        }
    }
    // Acyclic, and every required image is an artifact.
    let by_image: HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(k, (_, _, a))| (a.image.as_str(), k))
        .collect();
    let mut visited = vec![false; all.len()];
    for start in 0..all.len() {
        let mut marked = HashSet::new();
        if let Err((msg, at)) = dfs(start, &all, &by_image, &mut visited, &mut marked) {
            let (entry, i, _) = all[at.0];
            let mut p = path!["build", "artifacts", i].to_vec();
            if let Some(j) = at.1 {
                p.extend([
                    Segment::from("requires"),
                    Segment::Index(j),
                    Segment::from("image"),
                ]);
            }
            errs.push(entry.source.error(&p, StatusCode::InitUnknown, msg));
            break;
        }
    }
    // Aliases are build-arg names for docker and custom artifacts.
    for (entry, i, a) in &all {
        if !matches!(
            a.artifact_type,
            None | Some(ArtifactType::Docker(_) | ArtifactType::Custom(_))
        ) {
            continue;
        }
        for (j, d) in a.requires.iter().enumerate() {
            let al = alias(d);
            if !ALIAS.is_match(al) {
                let field = if d.alias.is_empty() { "image" } else { "alias" };
                errs.push(entry.source.error(
                    &path!["build", "artifacts", *i, "requires", j, field],
                    StatusCode::InitUnknown,
                    format!(
                        "invalid build dependency for artifact {:?}: alias {al:?} doesn't match required \
                         pattern \"^[a-zA-Z_][a-zA-Z0-9_]*$\"{}",
                        a.image,
                        if d.alias.is_empty() { " (the alias defaults to the image name; set `alias`)" } else { "" }
                    ),
                ));
            }
        }
    }
}

type DfsError = (String, (usize, Option<usize>));

fn dfs(
    k: usize,
    all: &[(&ConfigEntry, usize, &Artifact)],
    by_image: &HashMap<&str, usize>,
    visited: &mut [bool],
    marked: &mut HashSet<usize>,
) -> Result<(), DfsError> {
    let a = all[k].2;
    if marked.contains(&k) {
        return Err((
            format!(
                "cycle detected in build dependencies involving {:?}",
                a.image
            ),
            (k, None),
        ));
    }
    if visited[k] {
        return Ok(());
    }
    marked.insert(k);
    visited[k] = true;
    for (j, d) in a.requires.iter().enumerate() {
        let Some(&next) = by_image.get(d.image.as_str()) else {
            return Err((
                format!(
                    "unknown build dependency {:?} for artifact {:?}",
                    d.image, a.image
                ),
                (k, Some(j)),
            ));
        };
        dfs(next, all, by_image, visited, marked)?;
    }
    marked.remove(&k);
    Ok(())
}

fn validate_unique_names(set: &ConfigSet, errs: &mut Vec<ConfigError>) {
    let mut tests = HashSet::new();
    let mut containers = HashSet::new();
    for entry in &set.entries {
        for (i, tc) in entry.config.pipeline.verify.iter().enumerate() {
            if !tests.insert(tc.name.as_str()) {
                errs.push(entry.source.error(
                    &path!["verify", i, "name"],
                    StatusCode::InitUnknown,
                    format!(
                        "found duplicate test name '{}' in 'verify' test cases. 'verify' test case names must be unique",
                        tc.name
                    ),
                ));
            }
            if !containers.insert(tc.container.name.as_str()) {
                errs.push(entry.source.error(
                    &path!["verify", i, "container", "name"],
                    StatusCode::InitUnknown,
                    format!(
                        "found duplicate container name '{}' in 'verify' test cases. 'verify' container names must be unique",
                        tc.container.name
                    ),
                ));
            }
        }
    }
    let mut actions = HashSet::new();
    let mut containers = HashSet::new();
    for entry in &set.entries {
        for (i, a) in entry.config.pipeline.custom_actions.iter().enumerate() {
            if !actions.insert(a.name.as_str()) {
                errs.push(entry.source.error(
                    &path!["customActions", i, "name"],
                    StatusCode::InitUnknown,
                    format!(
                        "found duplicate custom action {}. Custom action names must be unique",
                        a.name
                    ),
                ));
            }
            for (j, c) in a.containers.iter().enumerate() {
                if !containers.insert(c.name.as_str()) {
                    errs.push(entry.source.error(
                        &path!["customActions", i, "containers", j, "name"],
                        StatusCode::InitUnknown,
                        format!(
                            "found duplicate container name {} in custom action. Container names must be unique",
                            c.name
                        ),
                    ));
                }
            }
            if a.containers.is_empty() {
                errs.push(entry.source.error(
                    &path!["customActions", i, "containers"],
                    StatusCode::InitUnknown,
                    format!(
                        "custom action {} doesn't have containers. custom actions must have one or more containers associated",
                        a.name
                    ),
                ));
            }
            if a.execution_mode.local.is_some() && a.execution_mode.kubernetes_cluster.is_some() {
                errs.push(entry.source.error(
                    &path!["customActions", i, "executionMode", "kubernetesCluster"],
                    StatusCode::InitUnknown,
                    format!(
                        "custom action {} have more than one execution mode defined. custom actions must have only one execution mode",
                        a.name
                    ),
                ));
            }
        }
    }
}

fn validate_manifests(set: &ConfigSet, errs: &mut Vec<ConfigError>) {
    for entry in &set.entries {
        let raw = &entry.config.pipeline.manifests.raw_yaml;
        if raw.len() == 1 && raw[0] == crate::defaults::KUBECTL_MANIFESTS {
            continue;
        }
        let base = entry.source.file.parent().unwrap_or(Path::new("."));
        for (i, pattern) in raw.iter().enumerate() {
            if pattern.starts_with("http://") || pattern.starts_with("https://") {
                continue;
            }
            if glob_matches(base, pattern).is_empty() {
                errs.push(
                    entry
                        .source
                        .error(
                            &path!["manifests", "rawYaml", i],
                            StatusCode::ConfigMissingManifestFileErr,
                            format!("Manifest file {pattern:?} referenced in skaffold config could not be found"),
                        )
                        .with_suggestion(
                            SuggestionCode::ConfigFixMissingManifestFile,
                            format!(
                                "Verify that file {pattern:?} referenced in config {:?} exists and the path and naming are correct",
                                entry.source.file.display().to_string()
                            ),
                        ),
                );
            }
        }
    }
}

/// Go's `filepath.Glob`: `*`, `?` and `[...]` within one path component (no `**`).
pub fn glob_matches(base: &Path, pattern: &str) -> Vec<std::path::PathBuf> {
    let pattern_path = Path::new(pattern);
    let (mut current, components): (Vec<std::path::PathBuf>, Vec<String>) =
        if pattern_path.is_absolute() {
            (
                vec![std::path::PathBuf::from("/")],
                pattern_path
                    .iter()
                    .skip(1)
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect(),
            )
        } else {
            (
                vec![base.to_path_buf()],
                pattern_path
                    .iter()
                    .map(|c| c.to_string_lossy().into_owned())
                    .collect(),
            )
        };
    for comp in &components {
        let mut next = Vec::new();
        for dir in &current {
            if !comp.contains(['*', '?', '[']) {
                let p = dir.join(comp);
                if p.exists() {
                    next.push(p);
                }
                continue;
            }
            let Ok(rd) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<_> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            for name in names {
                if wildcard_match(comp, &name) {
                    next.push(dir.join(name));
                }
            }
        }
        current = next;
    }
    current
}

/// Match one path component against a Go `path.Match` pattern.
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => {
                let Some(end) = p.iter().position(|c| *c == ']') else {
                    return false;
                };
                let Some(&c) = n.first() else { return false };
                let class = &p[1..end];
                let (negate, class) = match class.first() {
                    Some('^' | '!') => (true, &class[1..]),
                    _ => (false, class),
                };
                let mut hit = false;
                let mut k = 0;
                while k < class.len() {
                    if k + 2 < class.len() && class[k + 1] == '-' {
                        hit |= class[k] <= c && c <= class[k + 2];
                        k += 3;
                    } else {
                        hit |= class[k] == c;
                        k += 1;
                    }
                }
                hit != negate && go(&p[end + 1..], &n[1..])
            }
            Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && go(&p[2..], &n[1..]),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

#[cfg(test)]
mod tests;
