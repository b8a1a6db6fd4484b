use std::path::{Path, PathBuf};
use std::process::Command;

use super::git::{self, SyncRemoteCache};
use super::paths::make_file_paths_absolute;
use crate::ConfigErrors;
use crate::error::StatusCode;
use crate::load::load_str;
use crate::model::*;
use crate::resolve::{ResolveOptions, ResolvedConfig, resolve};

pub(crate) fn write(dir: &Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

/// A config document named `name` with one artifact `image` (context `ctx`) and extra YAML.
pub(crate) fn cfg(name: &str, image: &str, extra: &str) -> String {
    format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: {name}\n{extra}build:\n  artifacts:\n  - image: {image}\n    context: src\n"
    )
}

pub(crate) fn opts(file: &Path) -> ResolveOptions {
    ResolveOptions {
        file: file.to_path_buf(),
        command: "build".to_string(),
        ..ResolveOptions::default()
    }
}

fn ids(r: &ResolvedConfig) -> Vec<String> {
    r.entries
        .iter()
        .map(|e| {
            if e.profiles.is_empty() {
                e.name().to_string()
            } else {
                format!("{}[{}]", e.name(), e.profiles.join(","))
            }
        })
        .collect()
}

fn err(r: Result<ResolvedConfig, ConfigErrors>) -> crate::ConfigError {
    let mut es = r.unwrap_err();
    assert_eq!(es.len(), 1, "{es}");
    es.0.remove(0)
}

fn context_of(r: &ResolvedConfig, name: &str) -> String {
    r.entries
        .iter()
        .find(|e| e.name() == name)
        .unwrap()
        .config
        .pipeline
        .build
        .artifacts[0]
        .context
        .clone()
}

#[test]
fn path_dependencies_come_first_with_absolute_paths() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = write(
        d,
        "skaffold.yaml",
        &cfg(
            "root",
            "r",
            "requires:\n- path: app\n- path: lib/other.yaml\n",
        ),
    );
    write(
        d,
        "app/skaffold.yaml",
        &cfg("app", "a", "requires:\n- path: ../lib/other.yaml\n"),
    );
    write(d, "lib/other.yaml", &cfg("lib", "l", ""));
    let r = resolve(&opts(&root)).unwrap();
    assert_eq!(
        ids(&r),
        ["lib", "app", "root"],
        "each config after its dependencies; lib once"
    );
    assert_eq!(
        context_of(&r, "root"),
        "src",
        "the root keeps relative paths"
    );
    assert_eq!(context_of(&r, "app"), d.join("app/src").to_string_lossy());
    assert_eq!(context_of(&r, "lib"), d.join("lib/src").to_string_lossy());
    // `requires[].path` of a dependency is rewritten too; the root's is not.
    let app = &r.entries[1].config;
    assert_eq!(
        app.requires[0].source,
        Some(ConfigSource::Path(
            d.join("lib/other.yaml").to_string_lossy().into_owned()
        ))
    );
    let root_cfg = &r.entries[2].config;
    assert_eq!(
        root_cfg.requires[0].source,
        Some(ConfigSource::Path("app".to_string()))
    );
    assert_eq!(
        r.entries.iter().map(|e| e.is_root).collect::<Vec<_>>(),
        [false, false, true]
    );
    assert!(r.entries.iter().all(|e| !e.is_remote));
    // Sources name each file.
    assert_eq!(r.entries[1].source.file, d.join("app/skaffold.yaml"));
}

#[test]
fn display_paths_stay_relative_to_a_relative_root() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(
        d,
        "skaffold.yaml",
        &cfg("root", "r", "requires:\n- path: ./app\n"),
    );
    write(d, "app/skaffold.yaml", &cfg("app", "a", ""));
    let mut o = opts(Path::new("skaffold.yaml"));
    o.work_dir = Some(d.to_path_buf());
    let r = resolve(&o).unwrap();
    assert_eq!(r.entries[0].source.file, Path::new("app/skaffold.yaml"));
    assert_eq!(r.entries[1].source.file, Path::new("skaffold.yaml"));
    // Paths are still made absolute against the real directory.
    assert_eq!(context_of(&r, "app"), d.join("app/src").to_string_lossy());
}

#[test]
fn configs_selection_and_same_file_dependencies() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = write(
        d,
        "skaffold.yaml",
        &format!(
            "{}---\n{}",
            cfg(
                "root",
                "r",
                "requires:\n- configs: [sibling]\n- path: lib\n  configs: [l2, nope]\n"
            ),
            cfg("sibling", "s", "")
        ),
    );
    write(
        d,
        "lib/skaffold.yaml",
        &format!("{}---\n{}", cfg("l1", "l1", ""), cfg("l2", "l2", "")),
    );
    let r = resolve(&opts(&root)).unwrap();
    assert_eq!(ids(&r), ["sibling", "l2", "root"]);
    // A same-file dependency of the root is not a dependency config: its paths stay relative.
    assert_eq!(context_of(&r, "sibling"), "src");
    assert_eq!(context_of(&r, "l2"), d.join("lib/src").to_string_lossy());
    // `sibling` is both imported and a root config: imported once (its second visit is skipped).
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0].contains("no config named \"nope\""),
        "{}",
        r.warnings[0]
    );
}

#[test]
fn active_profiles_with_and_without_activated_by() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let dep_profiles = "profiles:\n- name: always\n  build:\n    tagPolicy:\n      sha256: {}\n- name: whenroot\n  deploy:\n    kubeContext: x\n- name: shared\n  deploy:\n    statusCheck: false\n";
    let root = write(
        d,
        "skaffold.yaml",
        &format!(
            "{}profiles:\n- name: rootp\n- name: shared\n",
            cfg(
                "root",
                "r",
                "requires:\n- path: dep\n  activeProfiles:\n  - name: always\n  - name: whenroot\n    activatedBy: [rootp]\n"
            )
        ),
    );
    write(
        d,
        "dep/skaffold.yaml",
        &format!("{}{dep_profiles}", cfg("dep", "d", "")),
    );

    let r = resolve(&opts(&root)).unwrap();
    assert_eq!(ids(&r), ["dep[always]", "root"]);

    let mut o = opts(&root);
    o.profiles = vec!["rootp".into()];
    let r = resolve(&o).unwrap();
    assert_eq!(ids(&r), ["dep[always,whenroot]", "root[rootp]"]);

    // `-p` names propagate to dependencies that have them…
    o.profiles = vec!["shared".into()];
    let r = resolve(&o).unwrap();
    assert_eq!(ids(&r), ["dep[always,shared]", "root[shared]"]);
    // …unless propagation is off.
    o.propagate_profiles = false;
    let r = resolve(&o).unwrap();
    assert_eq!(ids(&r), ["dep[always]", "root[shared]"]);
    // A propagated `-name` deactivates in dependencies too.
    o.propagate_profiles = true;
    o.profiles = vec!["-always".into()];
    let r = resolve(&o).unwrap();
    assert_eq!(ids(&r), ["dep", "root"]);
}

#[test]
fn cycles_end_where_a_config_is_revisited() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = write(d, "skaffold.yaml", &cfg("a", "a", "requires:\n- path: b\n"));
    write(
        d,
        "b/skaffold.yaml",
        &cfg("b", "b", "requires:\n- path: ../c\n"),
    );
    write(
        d,
        "c/skaffold.yaml",
        &cfg("c", "c", "requires:\n- path: ..\n"),
    );
    let r = resolve(&opts(&root)).unwrap();
    assert_eq!(ids(&r), ["c", "b", "a"]);
    let shown = |rel: &str| d.join(rel).display().to_string();
    assert_eq!(
        r.warnings,
        [format!(
            "`requires` cycle: {}(a) -> {}(b) -> {}(c) -> {}(a); the cycle is cut there, as Skaffold does",
            shown("skaffold.yaml"),
            shown("b/skaffold.yaml"),
            shown("c/skaffold.yaml"),
            shown("skaffold.yaml"),
        )]
    );
    // A config requiring itself.
    let t = tempfile::tempdir().unwrap();
    let root = write(
        t.path(),
        "skaffold.yaml",
        &cfg("self", "s", "requires:\n- configs: [self]\n"),
    );
    let r = resolve(&opts(&root)).unwrap();
    assert_eq!(ids(&r), ["self"]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
}

#[test]
fn importing_a_config_with_different_profiles_is_an_error_with_the_chain() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = write(
        d,
        "skaffold.yaml",
        &cfg(
            "root",
            "r",
            "requires:\n- path: a\n- path: base\n  activeProfiles:\n  - name: p\n",
        ),
    );
    write(
        d,
        "a/skaffold.yaml",
        &cfg("a", "a", "requires:\n- path: ../base\n"),
    );
    write(
        d,
        "base/skaffold.yaml",
        &format!("{}profiles:\n- name: p\n", cfg("base", "b", "")),
    );
    let e = err(resolve(&opts(&root)));
    assert_eq!(e.code, StatusCode::ConfigMultiImportProfileConflictErr);
    assert!(
        e.message.starts_with(&format!(
            "config \"base\" defined in file {:?} imported multiple times with different set of profiles",
            d.join("base/skaffold.yaml").display().to_string()
        )),
        "{}",
        e.message
    );
    assert!(e.message.contains("[\"p\"] through "), "{}", e.message);
    assert!(e.message.contains(" -> "), "{}", e.message);
    assert!(e.message.ends_with("[] before)"), "{}", e.message);
    // Positioned at the second import.
    assert_eq!(e.path, "requires[1]");
    assert_eq!(e.file, root);
}

#[test]
fn duplicate_names_across_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = write(
        d,
        "skaffold.yaml",
        &cfg("same", "r", "requires:\n- path: dep\n"),
    );
    write(d, "dep/skaffold.yaml", &cfg("same", "d", ""));
    let e = err(resolve(&opts(&root)));
    assert_eq!(e.code, StatusCode::ConfigDuplicateNamesAcrossFilesErr);
    assert_eq!(
        e.message,
        format!(
            "skaffold config named \"same\" found in multiple files: {:?} and {:?}",
            root.display().to_string(),
            d.join("dep/skaffold.yaml").display().to_string()
        )
    );
    assert_eq!(e.path, "metadata.name");
}

#[test]
fn missing_dependency_points_at_the_requires_entry() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = write(
        d,
        "skaffold.yaml",
        &cfg("root", "r", "requires:\n- path: nowhere\n"),
    );
    let e = err(resolve(&opts(&root)));
    assert_eq!(e.code, StatusCode::ConfigDependencyNotFoundErr);
    assert_eq!(e.path, "requires[0].path");
    assert_eq!(e.pos.map(|p| (p.line, p.col)), Some((6, 3)));
    let dep = d.join("nowhere").display().to_string();
    assert!(
        e.message.starts_with(&format!(
            "could not find skaffold config file {dep:?} that is referenced as a dependency in config file {:?}",
            root.display().to_string()
        )),
        "{}",
        e.message
    );
    assert!(e.suggestion.is_some());
}

#[test]
fn cloud_storage_and_cloud_build_repos_are_not_supported() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    for (field, body, what) in [
        (
            "googleCloudStorage",
            "  googleCloudStorage:\n    source: gs://b/d/*\n    path: skaffold.yaml\n",
            "Google Cloud Storage",
        ),
        (
            "googleCloudBuildRepoV2",
            "  googleCloudBuildRepoV2:\n    projectID: p\n    region: r\n    connection: c\n    repo: x\n",
            "Google Cloud Build repositories (2nd gen)",
        ),
    ] {
        let root = write(
            d,
            "skaffold.yaml",
            &cfg("root", "r", &format!("requires:\n-{}", &body[1..])),
        );
        let e = err(resolve(&opts(&root)));
        assert_eq!(e.path, format!("requires[0].{field}"));
        assert_eq!(
            e.message,
            format!(
                "`requires[].{field}`: configs from {what} are not supported by skiff; use `path` or `git`"
            )
        );
    }
}

#[test]
fn every_filepath_field_is_rewritten() {
    let src = r#"apiVersion: skaffold/v4beta14
kind: Config
requires:
- path: ../other
- git:
    repo: https://example.com/r.git
    path: sub/skaffold.yaml
build:
  hooks:
    before:
    - command: [a]
      dir: hooks
  artifacts:
  - image: k
    context: kctx
    kaniko:
      contextSubPath: sub
      dockerfile: Dockerfile.k
  - image: bp
    buildpacks:
      builder: b
      volumes:
      - host: vol
        target: /t
    hooks:
      after:
      - command: [b]
        dir: ahooks
    sync:
      manual:
      - src: '*.js'
        dest: .
      hooks:
        before:
        - host:
            command: [c]
            dir: shooks
  - image: d
    context: /abs/ctx
    docker:
      dockerfile: Dockerfile.dev
test:
- image: k
  context: tctx
  structureTests: [st.yaml, /abs/st.yaml]
manifests:
  rawYaml: [./k8s/../k8s/*.yaml]
  kpt: [kpt]
  kustomize:
    paths: [overlays/dev]
  helm:
    releases:
    - name: r
      chartPath: charts/r
      valuesFiles: [values.yaml]
      setFiles:
        key: files/f
  hooks:
    before:
    - host:
        command: [d]
        dir: rbefore
    after:
    - host:
        command: [e]
        dir: rafter
deploy:
  helm:
    releases:
    - name: r2
      remoteChart: stable/x
      valuesFiles: ['']
    hooks:
      before:
      - host:
          command: [f]
          dir: dhelm
  kubectl:
    hooks:
      after:
      - host:
          command: [g]
          dir: dkubectl
      - container:
          command: [h]
          podName: p
          containerName: c
  cloudrun:
    hooks:
      before:
      - command: [i]
        dir: dcloudrun
  kpt:
    dir: kptdir
profiles:
- name: p
  build:
    artifacts:
    - image: p
      context: pctx
"#;
    let mut c = load_str(src, "skaffold.yaml")
        .unwrap()
        .entries
        .remove(0)
        .config;
    make_file_paths_absolute(&mut c, Path::new("/base"));
    let y = serde_yaml_ng::to_string(&c).unwrap();
    for want in [
        "path: /other",
        "path: sub/skaffold.yaml",
        "dir: /base/hooks",
        "context: /base/kctx",
        "contextSubPath: /base/sub",
        "dockerfile: Dockerfile.k",
        "host: /base/vol",
        "dir: /base/ahooks",
        "dir: /base/shooks",
        "src: '*.js'",
        "context: /abs/ctx",
        "dockerfile: Dockerfile.dev",
        "context: /base/tctx",
        "- /base/st.yaml",
        "- /abs/st.yaml",
        "- /base/k8s/*.yaml",
        "- /base/kpt",
        "- /base/overlays/dev",
        "chartPath: /base/charts/r",
        "- /base/values.yaml",
        "key: /base/files/f",
        "dir: /base/rbefore",
        "dir: /base/rafter",
        "remoteChart: stable/x",
        "dir: /base/dhelm",
        "dir: /base/dkubectl",
        "dir: /base/dcloudrun",
        "dir: kptdir",
        "context: /base/pctx",
    ] {
        assert!(y.contains(want), "missing {want:?} in\n{y}");
    }
    assert!(y.contains("- ''"), "empty paths stay empty:\n{y}");
}

// ---------------------------------------------------------------------------------------------
// git

fn git_available() -> bool {
    Command::new("git")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=skiff",
            "-c",
            "user.email=skiff@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A bare repository with `mod/skaffold.yaml` on branch `branch`; returns (file:// URL, work
/// tree for further commits).
fn remote_repo(dir: &Path, branch: &str, image: &str) -> (String, PathBuf) {
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    run_git(&work, &["init", "-q", "-b", branch]);
    write(&work, "mod/skaffold.yaml", &cfg("remote", image, ""));
    run_git(&work, &["add", "."]);
    run_git(&work, &["commit", "-q", "-m", "one"]);
    let bare = dir.join("remote.git");
    run_git(
        dir,
        &[
            "clone",
            "-q",
            "--bare",
            work.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    run_git(&work, &["remote", "add", "origin", bare.to_str().unwrap()]);
    (format!("file://{}", bare.display()), work)
}

fn push_change(work: &Path, branch: &str, image: &str) {
    write(work, "mod/skaffold.yaml", &cfg("remote", image, ""));
    run_git(work, &["commit", "-q", "-am", "two"]);
    run_git(work, &["push", "-q", "origin", branch]);
}

fn remote_image(r: &ResolvedConfig) -> String {
    r.entries[0].config.pipeline.build.artifacts[0]
        .image
        .clone()
}

#[test]
fn git_dependencies_are_cloned_into_the_cache_and_synced() {
    if !git_available() {
        eprintln!("note: no git program; skipping");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let (url, work) = remote_repo(d, "main", "v1");
    let cache = d.join("cache");
    let root = write(
        d,
        "app/skaffold.yaml",
        &cfg(
            "root",
            "r",
            &format!("requires:\n- git:\n    repo: {url}\n    path: mod\n    ref: main\n"),
        ),
    );
    let mut o = opts(&root);
    o.remote_cache_dir = Some(cache.clone());

    // Never, with nothing cached: an error naming the cache directory.
    o.sync_remote_cache = SyncRemoteCache::Never;
    let e = err(resolve(&o));
    assert_eq!(e.code, StatusCode::ConfigRemoteRepoCacheNotFoundErr);
    assert_eq!(e.path, "requires[0].git");
    let clone = cache.join(git::repo_dir_name(&url, "main"));
    assert_eq!(
        e.message,
        format!(
            "cache directory {:?} for repository {url:?} at ref \"main\" does not exist, and repository sync is explicitly disabled via flag `--sync-remote-cache`",
            clone.display().to_string()
        )
    );

    // Always: cloned.
    o.sync_remote_cache = SyncRemoteCache::Always;
    let r = resolve(&o).unwrap();
    assert_eq!(ids(&r), ["remote", "root"]);
    assert_eq!(remote_image(&r), "v1");
    assert!(r.entries[0].is_remote);
    assert_eq!(r.entries[0].source.file, clone.join("mod/skaffold.yaml"));
    assert_eq!(
        context_of(&r, "remote"),
        clone.join("mod/src").to_string_lossy()
    );

    push_change(&work, "main", "v2");
    // Missing: the existing clone is used as is.
    o.sync_remote_cache = SyncRemoteCache::Missing;
    assert_eq!(remote_image(&resolve(&o).unwrap()), "v1");
    // Never: likewise.
    o.sync_remote_cache = SyncRemoteCache::Never;
    assert_eq!(remote_image(&resolve(&o).unwrap()), "v1");
    // Always: synced to the remote.
    o.sync_remote_cache = SyncRemoteCache::Always;
    assert_eq!(remote_image(&resolve(&o).unwrap()), "v2");

    // `sync: false` in the dependency: never fetched once cloned.
    push_change(&work, "main", "v3");
    let root2 = write(
        d,
        "app/skaffold.yaml",
        &cfg(
            "root",
            "r",
            &format!(
                "requires:\n- git:\n    repo: {url}\n    path: mod/skaffold.yaml\n    ref: main\n    sync: false\n"
            ),
        ),
    );
    o.file = root2;
    assert_eq!(remote_image(&resolve(&o).unwrap()), "v2");
}

#[test]
fn git_default_branch_and_commit_refs() {
    if !git_available() {
        eprintln!("note: no git program; skipping");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let (url, work) = remote_repo(d, "main", "v1");
    let first = run_git(&work, &["rev-parse", "HEAD"]);
    let cache = d.join("cache");
    // No ref: `master` does not exist, so `main`.
    let root = write(
        d,
        "app/skaffold.yaml",
        &cfg(
            "root",
            "r",
            &format!("requires:\n- git:\n    repo: {url}\n    path: mod\n"),
        ),
    );
    let mut o = opts(&root);
    o.remote_cache_dir = Some(cache.clone());
    assert_eq!(remote_image(&resolve(&o).unwrap()), "v1");
    assert!(cache.join(git::repo_dir_name(&url, "")).is_dir());

    // A commit as ref: cloned, then checked out.
    let root = write(
        d,
        "app/skaffold.yaml",
        &cfg(
            "root",
            "r",
            &format!("requires:\n- git:\n    repo: {url}\n    path: mod\n    ref: {first}\n"),
        ),
    );
    o.file = root;
    o.sync_remote_cache = SyncRemoteCache::Missing;
    let r = resolve(&o).unwrap();
    assert_eq!(remote_image(&r), "v1");
    let clone = cache.join(git::repo_dir_name(&url, &first));
    assert_eq!(run_git(&clone, &["rev-parse", "HEAD"]), first);

    // A repository that does not exist.
    let root = write(
        d,
        "app/skaffold.yaml",
        &cfg(
            "root",
            "r",
            &format!(
                "requires:\n- git:\n    repo: file://{}/nope.git\n    ref: main\n",
                d.display()
            ),
        ),
    );
    o.file = root;
    let e = err(resolve(&o));
    assert_eq!(e.code, StatusCode::ConfigFileParsingErr);
    assert!(
        e.message.starts_with(&format!(
            "error parsing skaffold configuration file: caching remote dependency file://{}/nope.git: failed to clone repo: ",
            d.display()
        )),
        "{}",
        e.message
    );
    assert_eq!(e.path, "requires[0].git");
}

#[test]
fn git_path_must_exist_in_the_repository() {
    if !git_available() {
        eprintln!("note: no git program; skipping");
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let (url, _work) = remote_repo(d, "master", "v1");
    let root = write(
        d,
        "skaffold.yaml",
        &cfg(
            "root",
            "r",
            &format!("requires:\n- git:\n    repo: {url}\n    path: nope\n"),
        ),
    );
    let mut o = opts(&root);
    o.remote_cache_dir = Some(d.join("cache"));
    let e = err(resolve(&o));
    assert_eq!(e.code, StatusCode::ConfigDependencyNotFoundErr);
    assert_eq!(e.path, "requires[0].git");
}
