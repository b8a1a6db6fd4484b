use std::path::Path;

use super::*;
use crate::error::StatusCode;
use crate::model::{ConfigSource, KubectlDeploy};
use crate::requires::tests::{cfg, opts, write};

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

fn err(r: Result<ResolvedConfig, ConfigErrors>) -> ConfigError {
    let mut es = r.unwrap_err();
    assert_eq!(es.len(), 1, "{es}");
    es.0.remove(0)
}

/// root (profile `rp`) requires a (profile `ap`) and b; a requires base.
fn project(d: &Path) -> std::path::PathBuf {
    write(
        d,
        "a/skaffold.yaml",
        &format!(
            "{}profiles:\n- name: ap\n",
            cfg("a", "a", "requires:\n- path: ../base\n")
        ),
    );
    write(d, "b/skaffold.yaml", &cfg("b", "b", ""));
    write(d, "base/skaffold.yaml", &cfg("base", "base", ""));
    write(
        d,
        "skaffold.yaml",
        &format!(
            "{}profiles:\n- name: rp\n",
            cfg("root", "r", "requires:\n- path: a\n- path: b\n")
        ),
    )
}

#[test]
fn modules_select_configs_and_their_dependencies() {
    let t = tempfile::tempdir().unwrap();
    let root = project(t.path());
    let mut o = opts(&root);
    assert_eq!(ids(&resolve(&o).unwrap()), ["base", "a", "b", "root"]);
    o.modules = vec!["a".into()];
    assert_eq!(ids(&resolve(&o).unwrap()), ["base", "a"]);
    o.modules = vec!["b,base".into()];
    assert_eq!(ids(&resolve(&o).unwrap()), ["base", "b"]);
    o.modules = vec!["root".into()];
    assert_eq!(ids(&resolve(&o).unwrap()), ["base", "a", "b", "root"]);
}

#[test]
fn unknown_modules() {
    let t = tempfile::tempdir().unwrap();
    let root = project(t.path());
    let mut o = opts(&root);
    // Mixed with a known one: ignored by Skaffold, reported as a warning here.
    o.modules = vec!["b".into(), "nope".into()];
    let r = resolve(&o).unwrap();
    assert_eq!(ids(&r), ["b"]);
    assert_eq!(
        r.warnings,
        [
            "module \"nope\" (-m) matches no config; the configs are named [\"root\" \"a\" \"base\" \"b\"]"
        ]
    );
    // Nothing matches: Skaffold's error, with the known names.
    o.modules = vec!["nope".into(), "other".into()];
    let e = err(resolve(&o));
    assert_eq!(e.code, StatusCode::ConfigBadFilterErr);
    assert_eq!(
        e.message,
        "did not find any configs matching selection [nope other] (the configs are named [\"root\" \"a\" \"base\" \"b\"])"
    );
    assert!(e.suggestion.is_some());
}

#[test]
fn unknown_profiles_are_an_error_after_all_configs_are_read() {
    let t = tempfile::tempdir().unwrap();
    let root = project(t.path());
    let mut o = opts(&root);
    // A profile of a dependency only is fine (and propagates to it).
    o.profiles = vec!["ap".into()];
    assert_eq!(ids(&resolve(&o).unwrap()), ["base", "a[ap]", "b", "root"]);
    o.profiles = vec!["rp,ap".into()];
    assert_eq!(
        ids(&resolve(&o).unwrap()),
        ["base", "a[ap]", "b", "root[rp]"]
    );
    for bad in ["nope", "-nope"] {
        o.profiles = vec!["rp".into(), bad.into()];
        let e = err(resolve(&o));
        assert_eq!(e.code, StatusCode::ConfigProfilesNotFoundErr);
        assert_eq!(
            e.message,
            format!(
                "profile selection [\"{bad}\"] did not match those defined in any configurations (the profiles are [\"rp\" \"ap\"])"
            )
        );
        assert_eq!(e.file, root);
    }
    // `-name` of a known profile is fine.
    o.profiles = vec!["-ap".into()];
    assert!(resolve(&o).is_ok());
}

#[test]
fn activation_uses_the_options() {
    let t = tempfile::tempdir().unwrap();
    let root = write(
        t.path(),
        "skaffold.yaml",
        &format!(
            "{}profiles:\n- name: byenv\n  activation:\n  - env: STAGE=prod\n- name: bycommand\n  activation:\n  - command: dev\n- name: bycontext\n  activation:\n  - kubeContext: kind-.*\n",
            cfg("root", "r", "")
        ),
    );
    let mut o = opts(&root);
    assert_eq!(ids(&resolve(&o).unwrap()), ["root"]);
    o.env.insert("STAGE".into(), "prod".into());
    assert_eq!(ids(&resolve(&o).unwrap()), ["root[byenv]"]);
    o.command = "dev".into();
    o.validate = None;
    assert_eq!(ids(&resolve(&o).unwrap()), ["root[byenv,bycommand]"]);
    o.current_kube_context = Some("kind-skiff".into());
    assert_eq!(
        ids(&resolve(&o).unwrap()),
        ["root[byenv,bycommand,bycontext]"]
    );
    o.kube_context = Some("minikube".into());
    assert_eq!(ids(&resolve(&o).unwrap()), ["root[byenv,bycommand]"]);
    o.profiles = vec!["-byenv".into()];
    assert_eq!(ids(&resolve(&o).unwrap()), ["root[bycommand]"]);
    o.profile_auto_activation = false;
    assert_eq!(ids(&resolve(&o).unwrap()), ["root"]);
    o.profiles = vec!["bycontext".into()];
    assert_eq!(ids(&resolve(&o).unwrap()), ["root[bycontext]"]);
}

#[test]
fn single_config_gets_the_default_renderer_and_deployer() {
    let t = tempfile::tempdir().unwrap();
    let root = write(t.path(), "skaffold.yaml", &cfg("root", "r", ""));
    let r = resolve(&opts(&root)).unwrap();
    let p = &r.entries[0].config.pipeline;
    assert_eq!(p.manifests.raw_yaml, ["k8s/*.yaml"]);
    assert_eq!(p.deploy.kubectl, Some(KubectlDeploy::default()));
    assert!(p.build.tag_policy.is_some(), "per-config defaults");

    let mut o = opts(&root);
    o.command = "diagnose".into();
    let r = resolve(&o).unwrap();
    assert!(r.entries[0].config.pipeline.manifests.raw_yaml.is_empty());
    assert!(r.entries[0].config.pipeline.build.tag_policy.is_some());

    let mut o = opts(&root);
    o.skip_defaults = true;
    let r = resolve(&o).unwrap();
    assert!(r.entries[0].config.pipeline.build.tag_policy.is_none());
    assert!(r.entries[0].config.pipeline.deploy.kubectl.is_none());

    // Several configs: no default renderer or deployer.
    let t = tempfile::tempdir().unwrap();
    let r = resolve(&opts(&project(t.path()))).unwrap();
    assert!(r.configs().all(|c| c.pipeline.deploy.kubectl.is_none()));
}

#[test]
fn validation_sees_all_modules() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    write(d, "base/skaffold.yaml", &cfg("base", "base", ""));
    let app = "apiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: app\nrequires:\n- path: ../base\nbuild:\n  artifacts:\n  - image: app\n    requires:\n    - image: base\n      alias: BASE\n";
    let root = write(d, "app/skaffold.yaml", app);
    assert_eq!(ids(&resolve(&opts(&root)).unwrap()), ["base", "app"]);
    // Without the dependency the artifact dependency is unknown, reported with its position.
    let root = write(
        d,
        "app/skaffold.yaml",
        &app.replace("requires:\n- path: ../base\n", ""),
    );
    let es = resolve(&opts(&root)).unwrap_err();
    let e = &es.0[0];
    assert_eq!(e.path, "build.artifacts[0].requires[0].image");
    assert!(
        e.message.contains("unknown build dependency \"base\""),
        "{}",
        e.message
    );
    // No validation asked: fine.
    let mut o = opts(&root);
    o.validate = None;
    assert!(resolve(&o).is_ok());
}

#[test]
fn to_yaml_prints_every_config_without_requires() {
    let t = tempfile::tempdir().unwrap();
    let root = project(t.path());
    let mut o = opts(&root);
    o.command = "diagnose".into();
    let r = resolve(&o).unwrap();
    let y = r.to_yaml().unwrap();
    assert_eq!(y.matches("apiVersion: skaffold/v4beta14").count(), 4);
    assert_eq!(y.matches("\n---\n").count(), 3);
    assert!(!y.contains("requires:"), "{y}");
    assert!(!y.contains("profiles:"), "dropped for diagnose:\n{y}");
    let docs = crate::load::load_str(&y, "out.yaml").unwrap();
    assert_eq!(docs.len(), 4);
    assert_eq!(r.modules(), ["base", "a", "b", "root"]);
}

#[test]
fn make_paths_absolute_option() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let root = project(d);
    let context = |r: &ResolvedConfig, i: usize| {
        r.entries[i].config.pipeline.build.artifacts[0]
            .context
            .clone()
    };
    let mut o = opts(&root);
    o.work_dir = Some(d.join("elsewhere"));
    // Default: dependencies absolute, the root relative.
    let r = resolve(&o).unwrap();
    assert_eq!(context(&r, 0), d.join("base/src").to_string_lossy());
    assert_eq!(context(&r, 3), "src");
    // Everything absolute: the root against the working directory (as Skaffold).
    o.make_paths_absolute = Some(true);
    let r = resolve(&o).unwrap();
    assert_eq!(context(&r, 3), d.join("elsewhere/src").to_string_lossy());
    assert_eq!(context(&r, 0), d.join("base/src").to_string_lossy());
    // Nothing rewritten.
    o.make_paths_absolute = Some(false);
    let r = resolve(&o).unwrap();
    assert_eq!(context(&r, 0), "src");
    assert_eq!(
        r.entries[1].config.requires[0].source,
        Some(ConfigSource::Path("../base".into()))
    );
}

#[test]
fn missing_root_file() {
    let t = tempfile::tempdir().unwrap();
    let e = err(resolve(&opts(&t.path().join("skaffold.yaml"))));
    assert_eq!(e.code, StatusCode::ConfigFileNotFoundErr);
    let e = err(resolve(&opts(Path::new(
        "https://example.com/skaffold.yaml",
    ))));
    assert!(
        e.message.contains("not supported by skiff"),
        "{}",
        e.message
    );
}

#[test]
fn options_for_a_command() {
    let o = ResolveOptions::for_command("diagnose");
    assert_eq!(o.sync_remote_cache, SyncRemoteCache::Missing);
    assert_eq!(o.make_paths_absolute, Some(true));
    assert_eq!(o.file, PathBuf::from("skaffold.yaml"));
    assert!(o.profile_auto_activation && o.propagate_profiles);
    let o = ResolveOptions::for_command("dev");
    assert_eq!(o.sync_remote_cache, SyncRemoteCache::Always);
    assert!(o.validate.unwrap().check_manifests);
    assert!(!validate_options_for("build").check_manifests);
    let d = ResolveOptions::default();
    assert!(d.env.is_empty(), "the default is hermetic");
}
