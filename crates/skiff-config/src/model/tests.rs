use super::*;
use crate::yaml::{de::from_node, parse_documents};

fn parse<T: serde::de::DeserializeOwned>(src: &str) -> Result<T, String> {
    let docs = parse_documents(src).map_err(|e| e.message)?;
    from_node(&docs[0].root).map_err(|e| e.message)
}

#[test]
fn artifact_builder_is_an_enum() {
    let a: Artifact = parse("image: app\nko:\n  main: ./cmd\n").unwrap();
    assert_eq!(a.image, "app");
    assert!(matches!(&a.artifact_type, Some(ArtifactType::Ko(k)) if k.main == "./cmd"));
    assert_eq!(a.artifact_type.as_ref().unwrap().key(), "ko");
    let a: Artifact = parse("image: app\n").unwrap();
    assert_eq!(a.artifact_type, None);
}

#[test]
fn one_of_conflict_names_both_members() {
    let e = parse::<Artifact>("image: app\nbazel: {target: //:x}\ncustom: {}\n").unwrap_err();
    assert_eq!(
        e,
        "`bazel` and `custom` cannot both be set: use only one of docker, bazel, ko, jib, kaniko, buildpacks, custom"
    );
    let e = parse::<DockerSecret>("id: s\nsrc: f\nenv: E\n").unwrap_err();
    assert_eq!(
        e,
        "`src` and `env` cannot both be set: use only one of src, env"
    );
    let e = parse::<CustomDependencies>("command: x\npaths: [a]\n").unwrap_err();
    assert_eq!(
        e,
        "`command` and `paths` cannot both be set: use only one of dockerfile, command, paths"
    );
}

#[test]
fn tag_policy_empty_mapping_is_unset() {
    let b: BuildConfig = parse("tagPolicy: {}\n").unwrap();
    assert_eq!(b.tag_policy, None);
    let b: BuildConfig = parse("tagPolicy:\n  dateTime:\n    format: x\n").unwrap();
    assert!(matches!(b.tag_policy, Some(TagPolicy::DateTime(ref d)) if d.format == "x"));
}

#[test]
fn tagger_component_requires_a_tagger() {
    let e = parse::<TaggerComponent>("name: x\n").unwrap_err();
    assert_eq!(
        e,
        "one of gitCommit, sha256, envTemplate, dateTime, customTemplate, inputDigest must be set"
    );
    let c: TaggerComponent = parse("name: x\nsha256: {}\n").unwrap();
    assert_eq!(c.tag_policy, Some(TagPolicy::Sha256(ShaTagger {})));
}

#[test]
fn sync_modes() {
    let s: Sync = parse("{}").unwrap();
    assert_eq!(s.mode, None);
    let s: Sync = parse("auto: false\n").unwrap();
    assert_eq!(s.mode, Some(SyncMode::Auto(false)));
    let s: Sync = parse("manual: []\n").unwrap();
    assert_eq!(s.mode, Some(SyncMode::Manual(vec![])));
    let s: Sync =
        parse("infer: ['**/*.js']\nhooks:\n  after:\n  - container: {command: [x]}\n").unwrap();
    assert_eq!(s.mode, Some(SyncMode::Infer(vec!["**/*.js".into()])));
    assert!(matches!(&s.hooks.after[0], SyncHookItem::Container(c) if c.command == ["x"]));
}

#[test]
fn empty_struct_members_reject_fields() {
    let e = parse::<TagPolicy>("sha256: {x: 1}\n").unwrap_err();
    assert_eq!(e, "unknown field `x`: no fields are allowed here");
}

#[test]
fn flat_map_flattens_like_skaffold() {
    let r: HelmRelease = parse(
        "name: r\nsetValues:\n  image:\n    tag: v1\n    pull: true\n  list: [a, {b: 1}]\n  n: 1.0\n  plain: x\n",
    )
    .unwrap();
    let got: Vec<(&str, &str)> = r
        .set_values
        .0
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("image.pull", "true"),
            ("image.tag", "v1"),
            ("list[0]", "a"),
            ("list[1].b", "1"),
            ("n", "1"),
            ("plain", "x")
        ]
    );
}

#[test]
fn kubernetes_types_are_free_form() {
    let c: ClusterDetails = parse(
        "tolerations:\n- key: k\n  operator: Exists\nvolumes:\n- name: v\n  emptyDir: {}\nresources:\n  requests: {cpu: '1'}\n",
    )
    .unwrap();
    assert_eq!(c.tolerations.len(), 1);
    assert_eq!(c.volumes[0]["name"], YamlValue::from("v"));
    assert_eq!(c.resources.unwrap().requests.unwrap().cpu, "1");
}

#[test]
fn renamed_keys() {
    let c: ClusterDetails = parse("HTTP_PROXY: p\nHTTPS_PROXY: q\nserviceAccount: s\n").unwrap();
    assert_eq!(
        (
            c.http_proxy.as_str(),
            c.https_proxy.as_str(),
            c.service_account.as_str()
        ),
        ("p", "q", "s")
    );
    let l: LocalBuild = parse("useDockerCLI: true\n").unwrap();
    assert!(l.use_docker_cli);
    let g: GoogleCloudBuildRepoV2Info =
        parse("projectID: p\nregion: r\nconnection: c\nrepo: x\n").unwrap();
    assert_eq!(g.project_id, "p");
    let k: KanikoArtifact =
        parse("skipTLS: true\nimageFSExtractRetry: '3'\nociLayoutPath: o\n").unwrap();
    assert!(k.skip_tls);
    assert_eq!(k.image_fs_extract_retry, "3");
    let j: JibArtifact = parse("type: gradle\n").unwrap();
    assert_eq!(j.r#type, "gradle");
    let g: GitInfo = parse("repo: r\nref: main\n").unwrap();
    assert_eq!(g.r#ref, "main");
    let out = serde_yaml_ng::to_string(&ClusterDetails {
        http_proxy: "p".into(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(out, "HTTP_PROXY: p\n");
}

#[test]
fn deploy_hook_items() {
    let h: DeployHooks = parse(
        "before:\n- host: {command: [echo], os: [linux]}\nafter:\n- container: {command: [ls], podName: p, containerName: c}\n",
    )
    .unwrap();
    assert!(matches!(&h.before[0], DeployHookItem::Host(x) if x.os == ["linux"]));
    assert!(
        matches!(&h.after[0], DeployHookItem::Container(x) if x.pod_name == "p" && x.container_name == "c")
    );
    let out = serde_yaml_ng::to_string(&h).unwrap();
    assert_eq!(
        out,
        "before:\n- host:\n    command:\n    - echo\n    os:\n    - linux\nafter:\n- container:\n    command:\n    - ls\n    podName: p\n    containerName: c\n"
    );
}

#[test]
fn profile_pipeline_and_serialization_order() {
    let cfg: SkaffoldConfig = parse(
        "apiVersion: skaffold/v4beta14\nkind: Config\nprofiles:\n- name: p\n  activation: [{env: A=1}]\n  deploy:\n    kubectl: {}\nbuild:\n  artifacts: [{image: a}]\nmetadata: {name: m}\n",
    )
    .unwrap();
    assert!(cfg.profiles[0].pipeline.deploy.kubectl.is_some());
    let out = serde_yaml_ng::to_string(&cfg).unwrap();
    assert_eq!(
        out,
        "apiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: m\nbuild:\n  artifacts:\n  - image: a\nprofiles:\n- name: p\n  activation:\n  - env: A=1\n  deploy:\n    kubectl: {}\n"
    );
}

#[test]
fn build_args_keep_null_values() {
    let d: DockerArtifact = parse("buildArgs:\n  A: x\n  B:\n  C: 3\n").unwrap();
    assert_eq!(d.build_args.get("B"), Some(&None));
    assert_eq!(d.build_args.get("C"), Some(&Some("3".to_string())));
    let out = serde_yaml_ng::to_string(&d).unwrap();
    assert_eq!(out, "buildArgs:\n  A: x\n  B: null\n  C: '3'\n");
}

#[test]
fn int_or_string_serializes_by_kind() {
    assert_eq!(
        serde_yaml_ng::to_string(&IntOrString::Int(80)).unwrap(),
        "80\n"
    );
    assert_eq!(
        serde_yaml_ng::to_string(&IntOrString::String("http".into())).unwrap(),
        "http\n"
    );
    assert_eq!(IntOrString::Int(80).to_string(), "80");
}
