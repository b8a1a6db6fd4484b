use super::*;
use crate::model::*;

const HEAD: &str = "apiVersion: skaffold/v4beta14\nkind: Config\n";

fn load(src: &str) -> Result<ConfigSet, ConfigError> {
    load_str(src, "skaffold.yaml")
}

/// The full rendered error (headline, source line, caret).
fn err(src: &str) -> String {
    load(src).unwrap_err().to_string()
}

fn err_of(src: &str) -> ConfigError {
    load(src).unwrap_err()
}

#[test]
fn minimal_config_loads() {
    let set = load(HEAD).unwrap();
    assert_eq!(set.len(), 1);
    let c = &set.entries[0].config;
    assert_eq!(c.api_version, API_VERSION);
    assert_eq!(c.kind, "Config");
    assert_eq!(set.entries[0].source.index, 0);
    assert_eq!(set.entries[0].source.original_api_version, API_VERSION);
}

#[test]
fn yaml_syntax_error() {
    let e = err_of(&format!("{HEAD}build:\n  artifacts: [\n"));
    assert_eq!(e.code, StatusCode::ConfigFileParsingErr);
    assert!(e.pos.is_some(), "{e}");
    assert!(e.to_string().starts_with("skaffold.yaml:"), "{e}");
}

#[test]
fn tab_indentation_is_a_syntax_error_with_position() {
    let e = err_of(&format!("{HEAD}build:\n\tartifacts: []\n"));
    assert_eq!(e.code, StatusCode::ConfigFileParsingErr);
    assert_eq!(e.pos.map(|p| p.line), Some(4), "{e}");
}

#[test]
fn duplicate_key() {
    assert_eq!(
        err(&format!("{HEAD}build: {{}}\nbuild: {{}}\n")),
        "skaffold.yaml:4:1: duplicate key `build` (first defined at line 3)\n 4 | build: {}\n   | ^"
    );
}

#[test]
fn unknown_field_with_suggestion() {
    let src = format!("{HEAD}build:\n  artifacts:\n  - image: app\n    contxt: .\n");
    assert_eq!(
        err(&src),
        "skaffold.yaml:6:5: build.artifacts[0]: unknown field `contxt`, did you mean `context`?\n 6 |     contxt: .\n   |     ^"
    );
}

#[test]
fn unknown_field_without_suggestion() {
    let e = err_of(&format!(
        "{HEAD}deploy:\n  kubectl: {{}}\n  frobnicate: true\n"
    ));
    assert_eq!(e.path, "deploy");
    assert_eq!(e.pos, Some(Pos { line: 5, col: 3 }));
    assert_eq!(
        e.message,
        "unknown field `frobnicate`, expected one of: docker, helm, kpt, kubectl, cloudrun, statusCheck, \
         statusCheckDeadlineSeconds, tolerateFailuresUntilDeadline, kubeContext, logs"
    );
}

#[test]
fn unknown_top_level_field() {
    let e = err_of(&format!("{HEAD}bulid: {{}}\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:3:1: unknown field `bulid`, did you mean `build`?"
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        err(&format!("{HEAD}build:\n  artifacts:\n    image: app\n")),
        "skaffold.yaml:5:5: build.artifacts: expected a list, found a mapping\n 5 |     image: app\n   |     ^"
    );
    let e = err_of(&format!("{HEAD}build:\n  local:\n    concurrency: many\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:5:18: build.local.concurrency: expected an integer, found string \"many\""
    );
    let e = err_of(&format!("{HEAD}build:\n  local:\n    push: maybe\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:5:11: build.local.push: expected a boolean, found string \"maybe\""
    );
    let e = err_of(&format!("{HEAD}build:\n  artifacts:\n  - image: [a]\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:5:12: build.artifacts[0].image: expected a string, found a list"
    );
}

#[test]
fn missing_required_field() {
    let e = err_of(&format!("{HEAD}build:\n  artifacts:\n  - context: app\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:5:5: build.artifacts[0]: missing required field `image`"
    );
    let e = err_of(&format!("{HEAD}deploy:\n  docker: {{}}\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:4:11: deploy.docker: missing required field `images`"
    );
}

#[test]
fn empty_required_string() {
    let e = err_of(&format!("{HEAD}build:\n  artifacts:\n  - image: \"\"\n"));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:5:12: build.artifacts[0].image: required value is empty"
    );
}

#[test]
fn two_builders_name_both_and_point_at_the_second() {
    let src =
        format!("{HEAD}build:\n  artifacts:\n  - image: app\n    docker: {{}}\n    jib: {{}}\n");
    assert_eq!(
        err(&src),
        "skaffold.yaml:7:5: build.artifacts[0]: `docker` and `jib` cannot both be set: use only one of docker, \
         bazel, ko, jib, kaniko, buildpacks, custom\n 7 |     jib: {}\n   |     ^"
    );
}

#[test]
fn other_one_of_groups() {
    let e = err_of(&format!(
        "{HEAD}build:\n  tagPolicy:\n    sha256: {{}}\n    gitCommit: {{}}\n"
    ));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:6:5: build.tagPolicy: `gitCommit` and `sha256` cannot both be set: use only one of \
         gitCommit, sha256, envTemplate, dateTime, customTemplate, inputDigest"
    );
    let e = err_of(&format!("{HEAD}build:\n  local: {{}}\n  cluster: {{}}\n"));
    assert_eq!(e.path, "build");
    assert_eq!(e.pos, Some(Pos { line: 5, col: 3 }));
    assert!(
        e.message
            .starts_with("`local` and `cluster` cannot both be set"),
        "{e}"
    );
    let e = err_of(&format!(
        "{HEAD}build:\n  artifacts:\n  - image: a\n    sync:\n      manual: [{{src: a, dest: .}}]\n      infer: ['*']\n"
    ));
    assert_eq!(e.path, "build.artifacts[0].sync");
    assert!(
        e.message
            .starts_with("`manual` and `infer` cannot both be set"),
        "{e}"
    );
    let e = err_of(&format!(
        "{HEAD}requires:\n- path: ../a\n  git: {{repo: r}}\n"
    ));
    assert_eq!(e.path, "requires[0]");
    assert_eq!(e.pos, Some(Pos { line: 5, col: 3 }));
    assert!(
        e.message.starts_with("`path` and `git` cannot both be set"),
        "{e}"
    );
    let e = err_of(&format!(
        "{HEAD}deploy:\n  helm:\n    releases:\n    - name: r\n      chartPath: c\n      remoteChart: r\n"
    ));
    assert_eq!(e.path, "deploy.helm.releases[0]");
    assert!(
        e.message
            .starts_with("`chartPath` and `remoteChart` cannot both be set"),
        "{e}"
    );
    let e = err_of(&format!(
        "{HEAD}deploy:\n  kubectl:\n    hooks:\n      before:\n      - {{}}\n"
    ));
    assert_eq!(
        e.headline(),
        "skaffold.yaml:7:9: deploy.kubectl.hooks.before[0]: one of host, container must be set"
    );
}

#[test]
fn empty_strings_do_not_count_as_one_of_members() {
    let set = load(&format!("{HEAD}deploy:\n  helm:\n    releases:\n    - name: r\n      chartPath: c\n      remoteChart: ''\n"))
        .unwrap();
    let helm = set.entries[0].config.pipeline.deploy.helm.as_ref().unwrap();
    assert_eq!(
        helm.releases[0].chart,
        Some(ChartSource::ChartPath("c".into()))
    );
}

#[test]
fn not_a_skaffold_document() {
    let src = format!("{HEAD}---\napiVersion: v1\nkind: ServiceAccount\n");
    let e = err_of(&src);
    assert_eq!(e.code, StatusCode::ConfigUnknownApiVersionErr);
    assert_eq!(
        e.to_string(),
        "skaffold.yaml:4:13: apiVersion: not a skaffold config: apiVersion \"v1\", kind \"ServiceAccount\"; every \
         document of a skaffold config file must have `apiVersion: skaffold/…`\n 4 | apiVersion: v1\n   |             ^"
    );
}

#[test]
fn missing_api_version() {
    let e = err_of("kind: Config\nbuild: {}\n");
    assert_eq!(e.code, StatusCode::ConfigUnknownApiVersionErr);
    assert_eq!(
        e.headline(),
        "skaffold.yaml:1:1: missing apiVersion (it has kind \"Config\"): a skaffold config starts with \
         `apiVersion: skaffold/v4beta14`"
    );
    assert_eq!(
        e.suggestion.as_ref().map(|s| s.code),
        Some(crate::error::SuggestionCode::ConfigFixApiVersion)
    );
}

#[test]
fn unknown_skaffold_version() {
    let e = err_of("apiVersion: skaffold/v9\nkind: Config\n");
    assert_eq!(e.code, StatusCode::ConfigUnknownApiVersionErr);
    assert_eq!(e.path, "apiVersion");
    assert_eq!(e.pos, Some(Pos { line: 1, col: 1 }));
    assert!(
        e.message.starts_with("unsupported version \"skaffold/v9\""),
        "{e}"
    );
}

#[test]
fn older_versions_are_upgraded() {
    let src = "apiVersion: skaffold/v2beta28\nkind: Config\nbuild:\n  artifacts:\n  - image: app\ndeploy:\n  kubectl:\n    manifests: [k8s/*.yaml]\n";
    let set = load(src).unwrap();
    let entry = &set.entries[0];
    assert_eq!(entry.config.api_version, API_VERSION);
    assert_eq!(entry.source.original_api_version, "skaffold/v2beta28");
    assert_eq!(entry.config.pipeline.manifests.raw_yaml, vec!["k8s/*.yaml"]);
    // Positions survive the upgrade for fields that did not move.
    assert_eq!(
        entry
            .source
            .locate(&crate::path!["build", "artifacts", 0, "image"]),
        Pos { line: 5, col: 5 }
    );
}

#[test]
fn errors_after_an_upgrade_point_into_the_original_file() {
    let src = "apiVersion: skaffold/v2beta28\nkind: Config\nbuild:\n  artifacts:\n  - image: app\n    contxt: .\n";
    let e = err_of(src);
    assert_eq!(
        e.headline(),
        "skaffold.yaml:6:5: build.artifacts[0]: unknown field `contxt`, did you mean `context`?"
    );
}

#[test]
fn wrong_kind() {
    let e = err_of("apiVersion: skaffold/v4beta14\nkind: Pipeline\n");
    assert_eq!(
        e.headline(),
        "skaffold.yaml:2:7: kind: unknown kind \"Pipeline\": a skaffold config has `kind: Config`"
    );
    let e = err_of("apiVersion: skaffold/v4beta14\n");
    assert_eq!(
        e.headline(),
        "skaffold.yaml:1:1: missing required field `kind`"
    );
}

#[test]
fn missing_and_unreadable_files() {
    let e = load_file("/nonexistent/skaffold.yaml").unwrap_err();
    assert_eq!(e.code, StatusCode::ConfigFileNotFoundErr);
    assert!(
        e.to_string().starts_with("/nonexistent/skaffold.yaml: unable to find configuration file \"/nonexistent/skaffold.yaml\": "),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let e = load_file(dir.path()).unwrap_err();
    assert_eq!(e.code, StatusCode::ConfigFileParsingErr);
    assert!(
        e.message.starts_with("cannot read configuration file: "),
        "{e}"
    );
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, b"apiVersion: skaffold/v4beta14\nkind: \xff\n").unwrap();
    let e = load_file(&bad).unwrap_err();
    assert_eq!(e.message, "the file is not valid UTF-8");
    assert_eq!(e.pos, Some(Pos { line: 2, col: 7 }));
}

#[test]
fn empty_and_comment_only_files() {
    for src in ["", "# nothing here\n", "---\n---\n# still nothing\n"] {
        let e = err_of(src);
        assert_eq!(e.code, StatusCode::ConfigZeroFoundErr);
        assert_eq!(
            e.to_string(),
            "skaffold.yaml: failed to get any valid configs from file \"skaffold.yaml\": it holds no YAML document"
        );
    }
}

#[test]
fn multi_document_files_skip_empty_documents() {
    let src = format!(
        "# header\n---\n{HEAD}metadata:\n  name: a\n---\n# nothing\n---\n{HEAD}metadata:\n  name: b\n"
    );
    let set = load(&src).unwrap();
    let names: Vec<_> = set.configs().map(|c| c.metadata.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(set.entries[1].source.index, 1);
}

#[test]
fn duplicate_config_names() {
    let src = format!("{HEAD}metadata:\n  name: a\n---\n{HEAD}metadata:\n  name: a\n");
    let e = err_of(&src);
    assert_eq!(e.code, StatusCode::ConfigDuplicateNamesSameFileErr);
    assert_eq!(
        e.headline(),
        "skaffold.yaml:9:3: metadata.name: multiple skaffold configs named \"a\" found in file \"skaffold.yaml\""
    );
}

#[test]
fn document_must_be_a_mapping() {
    let e = err_of("- a\n- b\n");
    assert_eq!(
        e.headline(),
        "skaffold.yaml:1:1: a skaffold config must be a mapping, found a list"
    );
}

#[test]
fn anchors_dot_keys_and_merge_keys() {
    let src = format!(
        "{HEAD}.common: &common\n  context: app\n  docker:\n    dockerfile: Dockerfile.dev\nbuild:\n  artifacts:\n  - image: a\n    <<: *common\n  - image: b\n    <<: *common\n    context: other\n"
    );
    let set = load(&src).unwrap();
    let arts = &set.entries[0].config.pipeline.build.artifacts;
    assert_eq!(arts[0].context, "app");
    assert_eq!(arts[1].context, "other");
    assert!(
        matches!(&arts[1].artifact_type, Some(ArtifactType::Docker(d)) if d.dockerfile == "Dockerfile.dev")
    );
}

#[test]
fn int_or_string_and_lenient_scalars() {
    let src = format!(
        "{HEAD}portForward:\n- resourceType: service\n  resourceName: a\n  port: 8080\n- resourceType: pod\n  resourceName: b\n  port: http\n- resourceType: pod\n  resourceName: c\n  port: '9000'\ndeploy:\n  helm:\n    releases:\n    - name: r\n      chartPath: c\n      version: 1.10\n"
    );
    let set = load(&src).unwrap();
    let p = &set.entries[0].config.pipeline;
    assert_eq!(p.port_forward[0].port, Some(IntOrString::Int(8080)));
    assert_eq!(
        p.port_forward[1].port,
        Some(IntOrString::String("http".into()))
    );
    assert_eq!(p.port_forward[2].port, Some(IntOrString::Int(9000)));
    assert_eq!(p.deploy.helm.as_ref().unwrap().releases[0].version, "1.10");
}

#[test]
fn errors_in_the_second_document_name_its_line() {
    let src = format!(
        "{HEAD}---\n{HEAD}build:\n  tagPolicy:\n    gitCommit:\n      variant: 3\n      bogus: x\n"
    );
    let e = err_of(&src);
    assert_eq!(
        e.headline(),
        "skaffold.yaml:10:7: build.tagPolicy.gitCommit: unknown field `bogus`, expected one of: variant, prefix, ignoreChanges"
    );
}

#[test]
fn profiles_are_checked_like_the_main_pipeline() {
    let src = format!(
        "{HEAD}profiles:\n- name: dev\n  build:\n    artifacts:\n    - image: a\n      sync:\n        manul: []\n"
    );
    let e = err_of(&src);
    assert_eq!(
        e.headline(),
        "skaffold.yaml:9:9: profiles[0].build.artifacts[0].sync: unknown field `manul`, did you mean `manual`?"
    );
}

#[test]
fn to_yaml_round_trips() {
    let src = format!(
        "{HEAD}metadata:\n  name: app\nbuild:\n  tagPolicy:\n    sha256: {{}}\n  artifacts:\n  - image: a\n    sync: {{}}\n    docker:\n      buildArgs:\n        A: '1'\n        B:\n  local:\n    push: false\nportForward:\n- resourceType: pod\n  resourceName: x\n  port: 80\nprofiles:\n- name: p\n  patches:\n  - op: add\n    path: /build/artifacts/0/context\n    value: x\n"
    );
    let set = load(&src).unwrap();
    let yaml = set.to_yaml().unwrap();
    let again = load_str(&yaml, "out.yaml").unwrap();
    assert!(set.configs().eq(again.configs()), "{yaml}");
    assert!(yaml.contains("sha256: {}"), "{yaml}");
    assert!(yaml.contains("sync: {}"), "{yaml}");
    assert!(
        !yaml.contains("context:"),
        "empty fields are skipped: {yaml}"
    );
}

#[test]
fn parse_path_reads_upgrade_paths() {
    assert_eq!(
        parse_path("profiles[1].deploy.kpt"),
        crate::path!["profiles", 1, "deploy", "kpt"]
    );
    assert_eq!(parse_path(""), Vec::<Segment>::new());
    assert_eq!(parse_path("a[0][1].b"), crate::path!["a", 0, 1, "b"]);
}

mod no_panics {
    use proptest::prelude::*;

    const SAMPLE: &str = "apiVersion: skaffold/v4beta14\nkind: Config\nmetadata:\n  name: app\nbuild:\n  tagPolicy:\n    sha256: {}\n  artifacts:\n  - image: a\n    context: app\n    sync:\n      manual:\n      - src: 'src/**'\n        dest: /app\n    docker:\n      buildArgs: {A: '1'}\n    requires:\n    - image: b\n      alias: B\n  local:\n    push: false\nmanifests:\n  rawYaml: [k8s/*.yaml]\nportForward:\n- resourceType: service\n  resourceName: a\n  port: 80\nprofiles:\n- name: p\n  patches:\n  - op: replace\n    path: /build/artifacts/0/context\n    value: x\n";

    fn check(src: &str) {
        if let Ok(mut set) = super::load(src) {
            let _ = crate::defaults::apply(&mut set, &Default::default());
            let _ = crate::validate::validate(&set, &Default::default());
            let _ = set.to_yaml();
        } else if let Err(e) = super::load(src) {
            let _ = e.to_string();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn arbitrary_text(src in "\\PC{0,200}") {
            check(&src);
        }

        #[test]
        fn yaml_like_text(src in "[a-zA-Z:{}\\[\\],&*!|>'\"#\\- \n]{0,200}") {
            check(&src);
        }

        #[test]
        fn truncated_and_mutated_configs(cut in 0usize..700, at in 0usize..700, c in any::<char>()) {
            let mut s: String = SAMPLE.chars().take(cut).collect();
            let at = at.min(s.chars().count());
            let byte = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
            s.insert(byte, c);
            check(&s);
        }
    }
}
