use std::collections::BTreeMap;

use super::patch::{self, Patch};
use super::*;
use crate::error::StatusCode;
use crate::load::load_str;
use crate::model::*;
use crate::yaml::{Node, parse_documents, to_value};

fn entry(src: &str) -> ConfigEntry {
    load_str(src, "skaffold.yaml").unwrap().entries.remove(0)
}

fn ctx<'a>(command: &'a str, env: &'a BTreeMap<String, String>) -> ActivationContext<'a> {
    ActivationContext {
        command,
        kube_context: None,
        current_kube_context: None,
        env,
        auto_activation: true,
    }
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Apply `-p` names with no environment and command `build`; return the applied names.
fn apply(e: &mut ConfigEntry, named: &[&str]) -> Result<Vec<String>, ConfigError> {
    let vars = BTreeMap::new();
    apply_profiles(e, &ctx("build", &vars), &names(named))
}

// ---------------------------------------------------------------------------------------------
// Activation

#[test]
fn regex_equal_is_skaffolds_regex_equal() {
    assert!(regex_equal("dev", "dev"));
    assert!(regex_equal("de", "dev"), "unanchored substring match");
    assert!(!regex_equal("^de$", "dev"));
    assert!(regex_equal("dev|run", "run"));
    assert!(regex_equal("!dev", "run"));
    assert!(!regex_equal("!dev", "dev"));
    assert!(regex_equal("!^(dev|run)$", "build"));
    // Not a valid expression: only the identical string matches.
    assert!(regex_equal("(", "("));
    assert!(!regex_equal("(", "(x"));
    assert!(regex_equal("minikube", "minikube"));
    assert!(!regex_equal("minikube", ""));
}

fn activation(env: &str, kube_context: &str, command: &str) -> Activation {
    Activation {
        env: env.to_string(),
        kube_context: kube_context.to_string(),
        command: command.to_string(),
    }
}

#[test]
fn env_activation() {
    let vars = env(&[("PROFILE", "staging-eu"), ("EMPTY", "")]);
    let c = ctx("build", &vars);
    let t = |e: &str| is_activation_triggered(&activation(e, "", ""), &c);
    assert_eq!(t("PROFILE=staging"), Ok(true), "regex substring");
    assert_eq!(t("PROFILE=^staging$"), Ok(false));
    assert_eq!(t("PROFILE=staging-eu"), Ok(true));
    assert_eq!(t("PROFILE=!prod"), Ok(true), "negation");
    assert_eq!(t("PROFILE=!staging"), Ok(false));
    assert_eq!(t("PROFILE="), Ok(false), "KEY= means unset or empty");
    assert_eq!(t("EMPTY="), Ok(true));
    assert_eq!(t("MISSING="), Ok(true));
    assert_eq!(t("MISSING=x"), Ok(false));
    assert_eq!(t("MISSING=!x"), Ok(true));
    assert_eq!(t("A=b=c"), Ok(false), "only the first = splits");
    assert_eq!(
        t("NOEQUALS"),
        Err("invalid env variable format: NOEQUALS, should be KEY=VALUE".to_string())
    );
    assert_eq!(t(""), Ok(true));
}

#[test]
fn kube_context_activation_prefers_the_flag() {
    let vars = BTreeMap::new();
    let a = activation("", "minikube", "");
    let mut c = ctx("build", &vars);
    assert_eq!(is_activation_triggered(&a, &c), Ok(false), "no context");
    c.current_kube_context = Some("minikube");
    assert_eq!(is_activation_triggered(&a, &c), Ok(true));
    c.kube_context = Some("gke_prod");
    assert_eq!(is_activation_triggered(&a, &c), Ok(false), "the flag wins");
    c.kube_context = Some("");
    assert_eq!(
        is_activation_triggered(&a, &c),
        Ok(true),
        "an empty flag is no flag"
    );
    let neg = activation("", "!minikube", "");
    assert_eq!(is_activation_triggered(&neg, &c), Ok(false));
}

#[test]
fn command_activation_and_all_criteria_of_an_entry() {
    let vars = env(&[("CI", "true")]);
    let c = ctx("dev", &vars);
    assert_eq!(
        is_activation_triggered(&activation("", "", "dev"), &c),
        Ok(true)
    );
    assert_eq!(
        is_activation_triggered(&activation("", "", "run"), &c),
        Ok(false)
    );
    assert_eq!(
        is_activation_triggered(&activation("", "", "!run"), &c),
        Ok(true)
    );
    // All criteria of one entry must hold.
    assert_eq!(
        is_activation_triggered(&activation("CI=true", "", "dev"), &c),
        Ok(true)
    );
    assert_eq!(
        is_activation_triggered(&activation("CI=false", "", "dev"), &c),
        Ok(false)
    );
}

fn profile(name: &str, all: bool, activations: Vec<Activation>) -> Profile {
    Profile {
        name: name.to_string(),
        activation: activations,
        requires_all_activations: all,
        ..Profile::default()
    }
}

#[test]
fn activation_matrix() {
    let vars = env(&[("ENV", "prod")]);
    let mut c = ctx("dev", &vars);
    c.current_kube_context = Some("gke");
    let env_prod = activation("ENV=prod", "", "");
    let env_dev = activation("ENV=dev", "", "");
    let cmd_dev = activation("", "", "dev");
    let kctx = activation("", "gke", "");
    let cases: Vec<(Profile, bool, bool)> = vec![
        // (profile, activated, context-specific)
        (profile("none", false, vec![]), false, false),
        (profile("none-all", true, vec![]), false, false),
        (
            profile("any-first", false, vec![env_prod.clone(), env_dev.clone()]),
            true,
            false,
        ),
        (
            profile("any-second", false, vec![env_dev.clone(), cmd_dev.clone()]),
            true,
            false,
        ),
        (
            profile("any-none", false, vec![env_dev.clone()]),
            false,
            false,
        ),
        (
            profile("all-true", true, vec![env_prod.clone(), cmd_dev.clone()]),
            true,
            false,
        ),
        (
            profile(
                "all-one-false",
                true,
                vec![env_prod.clone(), env_dev.clone()],
            ),
            false,
            false,
        ),
        (profile("kube", false, vec![kctx.clone()]), true, true),
        (
            profile(
                "kube-after-env",
                false,
                vec![env_prod.clone(), kctx.clone()],
            ),
            true,
            false,
        ),
        (
            profile("all-kube", true, vec![env_prod.clone(), kctx.clone()]),
            true,
            true,
        ),
    ];
    for (p, active, specific) in cases {
        let got = activated_profiles(std::slice::from_ref(&p), &c, &[]).unwrap();
        assert_eq!(got.names.contains(&p.name), active, "{}", p.name);
        assert_eq!(
            got.context_specific.contains(&p.name),
            specific,
            "{}",
            p.name
        );
    }
    // With auto-activation off, nothing activates.
    c.auto_activation = false;
    let p = profile("kube", false, vec![kctx]);
    assert!(activated_profiles(&[p], &c, &[]).unwrap().names.is_empty());
}

#[test]
fn named_profiles_follow_auto_activated_ones_and_minus_deactivates() {
    let vars = BTreeMap::new();
    let c = ctx("dev", &vars);
    let profiles = vec![
        profile("a", false, vec![]),
        profile("auto", false, vec![activation("", "", "dev")]),
        profile("b", false, vec![]),
    ];
    let got = |named: &[&str]| {
        activated_profiles(&profiles, &c, &names(named))
            .unwrap()
            .names
    };
    assert_eq!(got(&[]), names(&["auto"]));
    assert_eq!(got(&["b", "a"]), names(&["auto", "b", "a"]));
    assert_eq!(got(&["-auto", "b"]), names(&["b"]));
    assert_eq!(got(&["a", "-a"]), names(&["auto"]));
    assert_eq!(got(&["-a", "a"]), names(&["auto", "a"]));
    assert_eq!(got(&["auto", "auto"]), names(&["auto"]), "no duplicates");
    assert_eq!(
        got(&["unknown"]),
        names(&["auto"]),
        "other configs' profiles are ignored"
    );
}

#[test]
fn malformed_env_activation_is_an_error_with_its_position() {
    let mut e = entry(
        "apiVersion: skaffold/v4beta14\nkind: Config\nprofiles:\n- name: p\n  activation:\n  - command: run\n  - env: NOEQUALS\n",
    );
    let err = apply(&mut e, &[]).unwrap_err();
    assert_eq!(err.code, StatusCode::ConfigApplyProfilesErr);
    assert_eq!(err.path, "profiles[0].activation[1].env");
    assert_eq!(err.pos.map(|p| p.line), Some(7));
    assert!(
        err.message.ends_with(
            "finding auto-activated profiles: invalid env variable format: NOEQUALS, should be KEY=VALUE"
        ),
        "{}",
        err.message
    );
    assert!(err.message.starts_with(
        "failed to apply profiles to config \"\" defined in file \"skaffold.yaml\": "
    ));
    // With auto-activation off the activation is not evaluated at all.
    let vars = BTreeMap::new();
    let mut c = ctx("build", &vars);
    c.auto_activation = false;
    assert_eq!(apply_profiles(&mut e, &c, &[]), Ok(vec![]));
}

// ---------------------------------------------------------------------------------------------
// Overlay

const BASE: &str = "apiVersion: skaffold/v4beta14
kind: Config
metadata:
  name: app
build:
  artifacts:
  - image: a
  - image: b
  tagPolicy:
    sha256: {}
  local:
    push: false
  hooks:
    before:
    - command: [echo, build-before]
    after:
    - command: [echo, build-after]
manifests:
  rawYaml: [k8s/*.yaml]
  hooks:
    before:
    - host:
        command: [echo, render-before]
    after:
    - host:
        command: [echo, render-after]
deploy:
  kubectl: {}
  statusCheck: true
  statusCheckDeadlineSeconds: 60
  logs:
    prefix: auto
    jsonParse:
      fields: [message]
portForward:
- resourceType: service
  resourceName: a
  port: 80
";

fn with_profile(profile: &str) -> ConfigEntry {
    let indented: String = profile.lines().map(|l| format!("  {l}\n")).collect();
    entry(&format!("{BASE}profiles:\n- name: p\n{indented}"))
}

fn applied(profile: &str) -> SkaffoldConfig {
    let mut e = with_profile(profile);
    assert_eq!(apply(&mut e, &["p"]).unwrap(), names(&["p"]));
    e.config
}

#[test]
fn lists_are_replaced_not_merged() {
    let c = applied("build:\n  artifacts:\n  - image: c\n");
    let images: Vec<_> = c
        .pipeline
        .build
        .artifacts
        .iter()
        .map(|a| &a.image)
        .collect();
    assert_eq!(images, ["c"]);
    // The rest of `build` is the config's.
    assert_eq!(
        c.pipeline.build.tag_policy,
        Some(TagPolicy::Sha256(ShaTagger {}))
    );
    assert!(matches!(
        c.pipeline.build.build_type,
        Some(BuildType::Local(_))
    ));
    assert_eq!(c.pipeline.port_forward.len(), 1);
}

#[test]
fn empty_lists_and_zero_values_do_not_override() {
    let c = applied(
        "build:\n  artifacts: []\ndeploy:\n  statusCheckDeadlineSeconds: 0\n  tolerateFailuresUntilDeadline: false\n  kubeContext: ''\nportForward: []\n",
    );
    assert_eq!(c.pipeline.build.artifacts.len(), 2);
    assert_eq!(c.pipeline.deploy.status_check_deadline_seconds, 60);
    assert_eq!(c.pipeline.port_forward.len(), 1);
}

#[test]
fn pointers_override_even_with_zero_values() {
    let c = applied("deploy:\n  statusCheck: false\nmanifests:\n  transform: []\n");
    assert_eq!(c.pipeline.deploy.status_check, Some(false));
    assert_eq!(c.pipeline.manifests.transform, Some(vec![]));
    // Unset in the profile: kept.
    assert_eq!(c.pipeline.deploy.status_check_deadline_seconds, 60);
    assert_eq!(c.pipeline.manifests.raw_yaml, ["k8s/*.yaml"]);
}

#[test]
fn build_type_is_replaced_as_a_unit() {
    let c = applied("build:\n  googleCloudBuild:\n    projectId: p\n");
    match &c.pipeline.build.build_type {
        Some(BuildType::GoogleCloudBuild(g)) => assert_eq!(g.project_id, "p"),
        other => panic!("{other:?}"),
    }
    // A `local` in the profile replaces the config's `local` whole (push is unset again).
    let c = applied("build:\n  local:\n    useBuildkit: true\n");
    match &c.pipeline.build.build_type {
        Some(BuildType::Local(l)) => {
            assert_eq!(l.use_buildkit, Some(true));
            assert_eq!(l.push, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tag_policy_is_replaced_as_a_unit() {
    let c = applied("build:\n  tagPolicy:\n    envTemplate:\n      template: '{{.X}}'\n");
    assert!(matches!(
        c.pipeline.build.tag_policy,
        Some(TagPolicy::EnvTemplate(_))
    ));
}

#[test]
fn deployers_are_overlaid_one_by_one() {
    let c = applied("deploy:\n  helm:\n    releases:\n    - name: r\n      chartPath: c\n");
    assert!(c.pipeline.deploy.kubectl.is_some(), "kept");
    assert!(c.pipeline.deploy.helm.is_some(), "added");
    assert_eq!(c.pipeline.deploy.status_check, Some(true));
}

#[test]
fn plain_structs_are_merged_field_by_field() {
    let c = applied(
        "deploy:\n  logs:\n    prefix: none\nmanifests:\n  hooks:\n    before:\n    - host:\n        command: [echo, mine]\nbuild:\n  hooks:\n    after:\n    - command: [echo, mine]\n",
    );
    assert_eq!(c.pipeline.deploy.logs.prefix, "none");
    assert_eq!(c.pipeline.deploy.logs.json_parse.fields, ["message"]);
    let before = &c.pipeline.manifests.hooks.before;
    assert_eq!(before[0].host.as_ref().unwrap().command, ["echo", "mine"]);
    assert_eq!(
        c.pipeline.manifests.hooks.after[0]
            .host
            .as_ref()
            .unwrap()
            .command,
        ["echo", "render-after"]
    );
    assert_eq!(
        c.pipeline.build.hooks.before[0].command,
        ["echo", "build-before"]
    );
    assert_eq!(c.pipeline.build.hooks.after[0].command, ["echo", "mine"]);
}

#[test]
fn pointer_structs_are_replaced_whole() {
    let c = applied("deploy:\n  kubectl:\n    flags:\n      apply: [--force]\n");
    let k = c.pipeline.deploy.kubectl.unwrap();
    assert_eq!(k.flags.apply, ["--force"]);
    let c = applied("manifests:\n  kustomize:\n    paths: [overlays/dev]\n");
    assert_eq!(
        c.pipeline.manifests.kustomize.unwrap().paths,
        ["overlays/dev"]
    );
    assert_eq!(c.pipeline.manifests.raw_yaml, ["k8s/*.yaml"]);
}

#[test]
fn other_sections_are_replaced() {
    let c = applied(
        "test:\n- image: a\n  structureTests: [t.yaml]\nverify:\n- name: v\n  container:\n    name: v\n    image: alpine\ncustomActions:\n- name: act\n  containers:\n  - name: c\n    image: alpine\nresourceSelector:\n  allow:\n  - groupKind: Foo.bar\n    image: [.*]\n",
    );
    assert_eq!(c.pipeline.test.len(), 1);
    assert_eq!(c.pipeline.verify[0].name, "v");
    assert_eq!(c.pipeline.custom_actions[0].name, "act");
    assert_eq!(c.pipeline.resource_selector.allow[0].group_kind, "Foo.bar");
    assert!(c.pipeline.resource_selector.deny.is_empty());
}

#[test]
fn profiles_apply_in_order_and_see_earlier_ones() {
    let mut e = entry(&format!(
        "{BASE}profiles:\n- name: one\n  build:\n    artifacts:\n    - image: one\n- name: two\n  patches:\n  - op: add\n    path: /build/artifacts/-\n    value:\n      image: two\n"
    ));
    assert_eq!(
        apply(&mut e, &["two", "one"]).unwrap(),
        names(&["two", "one"])
    );
    let images: Vec<_> = e
        .config
        .pipeline
        .build
        .artifacts
        .iter()
        .map(|a| a.image.as_str())
        .collect();
    assert_eq!(images, ["one"], "`one` applied last replaces the list");
    let mut e = entry(&format!(
        "{BASE}profiles:\n- name: one\n  build:\n    artifacts:\n    - image: one\n- name: two\n  patches:\n  - op: add\n    path: /build/artifacts/-\n    value:\n      image: two\n"
    ));
    apply(&mut e, &["one", "two"]).unwrap();
    let images: Vec<_> = e
        .config
        .pipeline
        .build
        .artifacts
        .iter()
        .map(|a| a.image.as_str())
        .collect();
    assert_eq!(images, ["one", "two"]);
}

#[test]
fn the_last_profile_of_a_name_wins() {
    let mut e = entry(&format!(
        "{BASE}profiles:\n- name: p\n  deploy:\n    kubeContext: first\n- name: p\n  deploy:\n    kubeContext: second\n"
    ));
    apply(&mut e, &["p"]).unwrap();
    assert_eq!(e.config.pipeline.deploy.kube_context, "second");
}

#[test]
fn profiles_section_is_dropped_for_pipeline_commands() {
    let vars = BTreeMap::new();
    for (command, kept) in [
        ("dev", false),
        ("build", false),
        ("diagnose", false),
        ("delete", false),
        ("", true),
        ("inspect", true),
        ("verify", true),
        ("test", true),
    ] {
        let mut e = with_profile("deploy:\n  kubeContext: x\n");
        apply_profiles(&mut e, &ctx(command, &vars), &[]).unwrap();
        assert_eq!(!e.config.profiles.is_empty(), kept, "{command}");
    }
}

#[test]
fn fields_from_a_profile_keep_the_profiles_positions() {
    let mut e = with_profile("portForward:\n- resourceType: pod\n  resourceName: x\n  port: 1\n");
    apply(&mut e, &["p"]).unwrap();
    let pos = e.source.locate(&path!["portForward", 0, "resourceType"]);
    let line = e.source.text().lines().nth(pos.line as usize - 1).unwrap();
    assert_eq!(line.trim(), "- resourceType: pod");
    // Untouched fields keep theirs.
    let pos = e.source.locate(&path!["build", "artifacts", 1, "image"]);
    assert_eq!(
        e.source
            .text()
            .lines()
            .nth(pos.line as usize - 1)
            .unwrap()
            .trim(),
        "- image: b"
    );
}

#[test]
fn apply_profile_by_name_ignores_activation() {
    let mut e = with_profile("deploy:\n  kubeContext: x\n");
    apply_profile(&mut e, "p").unwrap();
    assert_eq!(e.config.pipeline.deploy.kube_context, "x");
    let err = apply_profile(&mut e, "nope").unwrap_err();
    assert!(
        err.message.ends_with("couldn't find profile nope"),
        "{}",
        err.message
    );
}

#[test]
fn kube_context_activated_profiles_must_agree_with_deploy_kube_context() {
    let src = format!(
        "{BASE}profiles:\n- name: p\n  activation:\n  - kubeContext: minikube\n  deploy:\n    kubeContext: other\n"
    );
    let vars = BTreeMap::new();
    let mut c = ctx("dev", &vars);
    c.current_kube_context = Some("minikube");
    let err = apply_profiles(&mut entry(&src), &c, &[]).unwrap_err();
    assert!(
        err.message.ends_with(
            "profiles [\"p\"] were activated by kube-context \"minikube\", but the effective kube-context is \"other\" -- please revise your `profiles.activation` and `deploy.kubeContext` configurations"
        ),
        "{}",
        err.message
    );
    assert_eq!(err.path, "deploy.kubeContext");
    // The flag takes precedence: no check.
    c.kube_context = Some("minikube");
    assert!(apply_profiles(&mut entry(&src), &c, &[]).is_ok());
    // The same context: fine.
    let same = src.replace("kubeContext: other", "kubeContext: minikube");
    c.kube_context = None;
    assert!(apply_profiles(&mut entry(&same), &c, &[]).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Patches through profiles

#[test]
fn patch_errors_name_the_profile_patch_and_path() {
    let mut e = with_profile(
        "patches:\n- op: add\n  path: /build/artifacts/0/context\n  value: ok\n- path: /build/nope/0\n  value: x\n",
    );
    let err = apply(&mut e, &["p"]).unwrap_err();
    assert_eq!(err.code, StatusCode::ConfigApplyProfilesErr);
    assert_eq!(err.path, "profiles[0].patches[1].path");
    let line = e
        .source
        .text()
        .lines()
        .nth(err.pos.unwrap().line as usize - 1)
        .unwrap();
    assert_eq!(line.trim(), "- path: /build/nope/0");
    assert!(
        err.message.ends_with(
            "applying profile \"p\": invalid path: /build/nope/0 (patches[1], op replace: key \"nope\" does not exist at /build)"
        ),
        "{}",
        err.message
    );
    assert!(err.suggestion.is_some());
}

#[test]
fn unknown_patch_op_points_at_op() {
    let mut e = with_profile("patches:\n- op: merge\n  path: /build\n");
    let err = apply(&mut e, &["p"]).unwrap_err();
    assert_eq!(err.path, "profiles[0].patches[0].op");
    assert!(
        err.message.contains("unknown op \"merge\""),
        "{}",
        err.message
    );
}

#[test]
fn a_patch_that_makes_the_config_invalid_points_at_the_patch_value() {
    let mut e = with_profile(
        "patches:\n- op: add\n  path: /build/artifacts/0/docker\n  value:\n    dockerfil: x\n",
    );
    let err = apply(&mut e, &["p"]).unwrap_err();
    assert!(
        err.message.ends_with(
            "applying profile \"p\": unknown field `dockerfil`, did you mean `dockerfile`?"
        ),
        "{}",
        err.message
    );
    let line = e
        .source
        .text()
        .lines()
        .nth(err.pos.unwrap().line as usize - 1)
        .unwrap();
    assert_eq!(line.trim(), "dockerfil: x");
}

#[test]
fn patches_see_the_overlaid_config_and_patch_the_typed_form() {
    // The overlay happens first; the patch then works on the result.
    let c = applied(
        "build:\n  artifacts:\n  - image: c\npatches:\n- op: add\n  path: /build/artifacts/0/context\n  value: dir\n",
    );
    assert_eq!(c.pipeline.build.artifacts[0].context, "dir");
    // The patched document has the config's own profiles, so a patch may use them.
    let c = applied("patches:\n- op: test\n  path: /profiles/0/name\n  value: p\n");
    assert_eq!(c.pipeline.build.artifacts.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Patch semantics on trees

fn tree(src: &str) -> Node {
    parse_documents(src).unwrap().remove(0).root
}

const DOC: &str = "a:\n  b: 1\n  list: [x, y]\nc: [ {name: n1, v: 1}, {name: n2, v: 2} ]\n";

/// The value at a path after a patch, as compact YAML.
fn at(
    doc: &str,
    op: &str,
    path: &str,
    from: &str,
    value: Option<&str>,
    read: &str,
) -> Result<String, String> {
    let mut d = tree(doc);
    let v = value.map(tree);
    let p = Patch {
        op,
        path,
        from,
        value: v.as_ref(),
        pos: Pos::default(),
    };
    patch::apply(&mut d, &p).map_err(|e| e.reason)?;
    let segs: Vec<Segment> = read
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| match s.parse::<usize>() {
            Ok(i) => Segment::Index(i),
            Err(_) => Segment::Key(s.to_string()),
        })
        .collect();
    let node = crate::yaml::lookup(&d, &segs).map(to_value);
    Ok(match node {
        None => "<missing>".to_string(),
        Some(v) => serde_json::to_string(&v).unwrap(),
    })
}

#[test]
fn add_semantics() {
    assert_eq!(
        at(DOC, "add", "/a/new", "", Some("2"), "/a/new"),
        Ok("2".into())
    );
    assert_eq!(
        at(DOC, "add", "/a/b", "", Some("9"), "/a/b"),
        Ok("9".into()),
        "add overwrites a key"
    );
    assert_eq!(
        at(DOC, "add", "/a/list/0", "", Some("w"), "/a/list"),
        Ok(r#"["w","x","y"]"#.into())
    );
    assert_eq!(
        at(DOC, "add", "/a/list/2", "", Some("z"), "/a/list"),
        Ok(r#"["x","y","z"]"#.into())
    );
    assert_eq!(
        at(DOC, "add", "/a/list/-", "", Some("z"), "/a/list"),
        Ok(r#"["x","y","z"]"#.into())
    );
    assert_eq!(
        at(DOC, "add", "/a/new", "", None, "/a/new"),
        Ok("null".into()),
        "no value adds null"
    );
    assert_eq!(
        at(DOC, "add", "/a/list/3", "", Some("z"), "/a/list"),
        Err("index 3 is out of range at /a/list (a list of 2; add accepts 0 to 2 or -)".into())
    );
    assert_eq!(
        at(DOC, "add", "/a/list/x", "", Some("z"), "/a/list"),
        Err("\"x\" is not a list index (at /a/list, a list)".into())
    );
    assert_eq!(
        at(DOC, "add", "/missing/x", "", Some("z"), "/"),
        Err("key \"missing\" does not exist at the document root".into())
    );
    assert_eq!(
        at(DOC, "add", "/a/b/x", "", Some("z"), "/"),
        Err("/a/b is integer `1`, not a mapping or list".into())
    );
}

#[test]
fn remove_semantics() {
    assert_eq!(
        at(DOC, "remove", "/a/b", "", None, "/a/b"),
        Ok("<missing>".into())
    );
    assert_eq!(
        at(DOC, "remove", "/a/list/0", "", None, "/a/list"),
        Ok(r#"["y"]"#.into())
    );
    assert_eq!(
        at(DOC, "remove", "/a/nope", "", None, "/"),
        Err("key \"nope\" does not exist at /a".into())
    );
    assert_eq!(
        at(DOC, "remove", "/a/list/2", "", None, "/"),
        Err("index 2 is out of range at /a/list (a list of 2)".into())
    );
    assert_eq!(
        at(DOC, "remove", "/a/list/-", "", None, "/"),
        Err("\"-\" is not a list index (at /a/list, a list)".into())
    );
}

#[test]
fn replace_semantics_and_default_op() {
    for op in ["replace", ""] {
        assert_eq!(
            at(DOC, op, "/a/b", "", Some("{x: 1}"), "/a/b"),
            Ok(r#"{"x":1}"#.into())
        );
        assert_eq!(
            at(DOC, op, "/a/list/1", "", Some("z"), "/a/list"),
            Ok(r#"["x","z"]"#.into())
        );
        assert_eq!(
            at(DOC, op, "/a/nope", "", Some("z"), "/"),
            Err("key \"nope\" does not exist at /a".into())
        );
        assert_eq!(
            at(DOC, op, "/a/list/2", "", Some("z"), "/"),
            Err("index 2 is out of range at /a/list (a list of 2)".into())
        );
    }
}

#[test]
fn move_semantics() {
    assert_eq!(
        at(DOC, "move", "/a/moved", "/a/b", None, "/a"),
        Ok(r#"{"list":["x","y"],"moved":1}"#.into())
    );
    // Moving onto a list index overwrites it (the library's `Set`), after removing the source.
    assert_eq!(
        at(DOC, "move", "/a/list/0", "/a/list/1", None, "/a/list"),
        Ok(r#"["y"]"#.into())
    );
    assert_eq!(
        at(DOC, "move", "/a/list/1", "/a/b", None, "/a/list"),
        Ok(r#"["x",1]"#.into())
    );
    // Past the end: the list grows with nulls.
    assert_eq!(
        at(DOC, "move", "/a/list/3", "/a/b", None, "/a/list"),
        Ok(r#"["x","y",null,1]"#.into())
    );
    assert_eq!(
        at(DOC, "move", "/a/list/-", "/a/b", None, "/"),
        Err("\"-\" is not a list index (at /a/list, a list)".into())
    );
    assert_eq!(
        at(DOC, "move", "/a/x", "/a/nope", None, "/"),
        Err("key \"nope\" does not exist at /a".into())
    );
    assert_eq!(
        at(DOC, "move", "/a/x", "", None, "/"),
        Err("`from` is required for move and copy".into())
    );
}

#[test]
fn copy_semantics() {
    assert_eq!(
        at(DOC, "copy", "/a/copy", "/c/0", None, "/a/copy"),
        Ok(r#"{"name":"n1","v":1}"#.into())
    );
    assert_eq!(
        at(DOC, "copy", "/a/copy", "/c/0", None, "/c/0/name"),
        Ok(r#""n1""#.into()),
        "source kept"
    );
    assert_eq!(
        at(DOC, "copy", "/a/list/0", "/a/b", None, "/a/list"),
        Ok(r#"[1,"y"]"#.into())
    );
    assert_eq!(
        at(DOC, "copy", "/a/copy", "/a/nope", None, "/a/copy"),
        Ok("null".into()),
        "a missing key copies null"
    );
    assert_eq!(
        at(DOC, "copy", "/a/copy", "/c/5", None, "/"),
        Err("index 5 is out of range at /c (a list of 2)".into())
    );
}

#[test]
fn test_semantics() {
    assert!(at(DOC, "test", "/a/b", "", Some("1"), "/").is_ok());
    assert!(
        at(DOC, "test", "/c/1", "", Some("{v: 2, name: n2}"), "/").is_ok(),
        "mappings compare as mappings"
    );
    assert!(
        at(DOC, "test", "/a/nope", "", Some("null"), "/").is_ok(),
        "missing equals null"
    );
    assert_eq!(
        at(DOC, "test", "/a/b", "", Some("2"), "/"),
        Err("test failed: the value at /a/b is 1, not 2".into())
    );
    assert_eq!(
        at(DOC, "test", "/a/b", "", None, "/"),
        Err("test failed: the patch has no value".into())
    );
}

#[test]
fn unknown_op_and_bad_paths() {
    assert_eq!(
        at(DOC, "merge", "/a", "", None, "/"),
        Err("unknown op \"merge\" (expected one of add, remove, replace, move, copy, test)".into())
    );
    assert_eq!(
        at(DOC, "add", "a/b", "", Some("1"), "/"),
        Err("the path \"a/b\" does not start with '/'".into())
    );
}

#[test]
fn pointer_escapes() {
    let doc = "m:\n  a/b: 1\n  c~d: 2\n";
    assert_eq!(
        at(doc, "replace", "/m/a~1b", "", Some("9"), "/m"),
        Ok(r#"{"a/b":9,"c~d":2}"#.into())
    );
    assert_eq!(
        at(doc, "remove", "/m/c~0d", "", None, "/m"),
        Ok(r#"{"a/b":1}"#.into())
    );
    assert_eq!(patch::decode_token("~01"), "~1");
    assert_eq!(patch::decode_token("~1~0"), "/~");
}

#[test]
fn extended_syntax_selects_mappings_by_key_value() {
    let doc = "build:\n  artifacts:\n  - image: a\n    context: x\n  - image: b\n    context: y\n";
    assert_eq!(
        at(
            doc,
            "replace",
            "/build/artifacts/image=b/context",
            "",
            Some("z"),
            "/build/artifacts/1/context"
        ),
        Ok(r#""z""#.into())
    );
    assert_eq!(
        at(
            doc,
            "add",
            "/build/image=a/docker",
            "",
            Some("{dockerfile: D}"),
            "/build/artifacts/0/docker"
        ),
        Ok(r#"{"dockerfile":"D"}"#.into()),
        "the selector searches below its point"
    );
    assert_eq!(
        at(doc, "remove", "/build/artifacts/image=nope", "", None, "/"),
        Err("no mapping matches the selector(s) in /build/artifacts/image=nope".into())
    );
    // Several matches: the op applies at each.
    let doc = "l:\n- {k: v, n: 1}\n- {k: v, n: 2}\n";
    assert_eq!(
        at(doc, "replace", "/l/k=v/n", "", Some("0"), "/l"),
        Ok(r#"[{"k":"v","n":0},{"k":"v","n":0}]"#.into())
    );
}

#[test]
fn patched_values_keep_their_positions() {
    let mut d = tree("a: 1\n");
    let v = tree("\n\nx: 2\n");
    patch::apply(
        &mut d,
        &Patch {
            op: "add",
            path: "/b",
            from: "",
            value: Some(&v),
            pos: Pos::default(),
        },
    )
    .unwrap();
    let b = d.get("b").unwrap();
    assert_eq!(b.get_key("x").unwrap().pos.line, 3);
}
