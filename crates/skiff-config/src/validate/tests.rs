use super::*;
use crate::defaults::{DefaultsOptions, apply};
use crate::load::load_str;

const HEAD: &str = "apiVersion: skaffold/v4beta14\nkind: Config\n";

fn set_of(src: &str) -> ConfigSet {
    let mut set = load_str(src, "skaffold.yaml").unwrap();
    apply(&mut set, &DefaultsOptions::default()).unwrap();
    set
}

/// The headlines of all validation errors of one config body.
fn errors(body: &str) -> Vec<String> {
    errors_of(&format!("{HEAD}{body}"))
}

fn errors_of(src: &str) -> Vec<String> {
    match validate(&set_of(src), &ValidateOptions::default()) {
        Ok(()) => Vec::new(),
        Err(es) => es.iter().map(ConfigError::headline).collect(),
    }
}

#[test]
fn valid_config_passes() {
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: gcr.io/p/app\n    requires: [{image: base, alias: BASE}]\n  - image: base\nportForward:\n- {resourceType: Service, resourceName: s, port: 80}\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn duplicate_image_names() {
    let src = format!(
        "{HEAD}build:\n  artifacts:\n  - image: app\n---\n{HEAD}build:\n  artifacts:\n  - image: app\n"
    );
    assert_eq!(
        errors_of(&src),
        [
            "skaffold.yaml:11:5: build.artifacts[0].image: duplicate image \"app\" found in sources skaffold.yaml and skaffold.yaml: artifact image names must be unique across all configurations",
            "skaffold.yaml:5:5: build.artifacts[0].image: duplicate image \"app\" found in sources skaffold.yaml and skaffold.yaml: artifact image names must be unique across all configurations",
        ]
    );
}

#[test]
fn image_names_without_tags_or_digests() {
    let digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_eq!(
        errors(&format!(
            "build:\n  artifacts:\n  - image: app:v1\n  - image: app@{digest}\n  - image: 'not valid!'\n  - image: ko://github.com/Org/App\n  - image: localhost:5000/App\n"
        )),
        [
            "skaffold.yaml:5:5: build.artifacts[0].image: invalid image \"app:v1\": no tag should be specified. Use taggers instead: https://skaffold.dev/docs/how-tos/taggers/".to_string(),
            format!("skaffold.yaml:6:5: build.artifacts[1].image: invalid image \"app@{digest}\": no digest should be specified. Use taggers instead: https://skaffold.dev/docs/how-tos/taggers/"),
            "skaffold.yaml:7:5: build.artifacts[2].image: invalid image \"not valid!\": invalid reference format".to_string(),
        ]
    );
}

#[test]
fn artifact_dependency_cycles_and_unknown_images() {
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    requires: [{image: b, alias: B}]\n  - image: b\n    requires: [{image: a, alias: A}]\n"
        ),
        [
            "skaffold.yaml:5:5: build.artifacts[0]: cycle detected in build dependencies involving \"a\""
        ]
    );
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    requires:\n    - image: nope\n      alias: N\n"
        ),
        [
            "skaffold.yaml:7:7: build.artifacts[0].requires[0].image: unknown build dependency \"nope\" for artifact \"a\""
        ]
    );
}

#[test]
fn dependency_aliases() {
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    requires:\n    - {image: b, alias: X}\n    - {image: c, alias: X}\n    - {image: d, alias: 1bad}\n  - image: b\n  - image: c\n  - image: d\n"
        ),
        [
            "skaffold.yaml:8:18: build.artifacts[0].requires[1].alias: invalid build dependency for artifact \"a\": alias \"X\" repeated",
            "skaffold.yaml:9:18: build.artifacts[0].requires[2].alias: invalid build dependency for artifact \"a\": alias \"1bad\" doesn't match required pattern \"^[a-zA-Z_][a-zA-Z0-9_]*$\"",
        ]
    );
    // The alias defaults to the image name, which is rarely a valid build-arg name.
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    requires:\n    - image: gcr.io/b\n  - image: gcr.io/b\n"
        ),
        [
            "skaffold.yaml:7:7: build.artifacts[0].requires[0].alias: invalid build dependency for artifact \"a\": alias \"gcr.io/b\" doesn't match required pattern \"^[a-zA-Z_][a-zA-Z0-9_]*$\""
        ]
    );
    // Other builders do not use aliases as build args.
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    jib: {}\n    requires:\n    - image: gcr.io/b\n  - image: gcr.io/b\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn port_forward_resource_types() {
    assert_eq!(
        errors(
            "portForward:\n- resourceType: deployment\n  resourceName: a\n- resourceType: Ingress\n  resourceName: b\n- resourceName: c\n"
        ),
        [
            "skaffold.yaml:6:3: portForward[1].resourceType: Ingress is not a valid resource type for port forwarding; valid types are Service, Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, CronJob and Container",
            "skaffold.yaml:8:3: portForward[2].resourceType: resourceType is required for port forwarding; valid types are Service, Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, CronJob and Container",
        ]
    );
}

#[test]
fn sync_rules_and_ko_sync() {
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    sync:\n      manual:\n      - {src: 'src/**', dest: /app, strip: lib/}\n"
        ),
        [
            "skaffold.yaml:8:37: build.artifacts[0].sync.manual[0].strip: sync rule pattern 'src/**' does not have prefix 'lib/'"
        ]
    );
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    ko: {main: ./...}\n    sync:\n      infer: ['**/*', 'kodata/**/*']\n"
        ),
        [
            "skaffold.yaml:6:10: build.artifacts[0].ko.main: artifact a cannot use inferred file sync when the ko.main field contains the '...' wildcard. Instead, specify the path to the main package without using wildcards",
            "skaffold.yaml:8:15: build.artifacts[0].sync.infer[0]: artifact a has an invalid pattern **/* for inferred file sync with the ko builder. The pattern must specify the 'kodata' directory. For instance, if you want to sync all static content, and your main package is in the workspace directory, you can use the pattern 'kodata/**/*'",
        ]
    );
}

#[test]
fn builder_specific_checks() {
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    jib: {type: ant}\n  - image: b\n    custom:\n      dependencies: {command: x, ignore: [y]}\n  - image: c\n    docker: {network: 'container:bad name'}\n"
        ),
        [
            "skaffold.yaml:6:11: build.artifacts[0].jib.type: artifact a has invalid Jib plugin type 'ant'",
            "skaffold.yaml:9:34: build.artifacts[1].custom.dependencies.ignore: artifact b has invalid dependencies; dependencies.ignore can only be used in conjunction with dependencies.paths",
            "skaffold.yaml:11:14: build.artifacts[2].docker.network: artifact c has invalid container name 'bad name'",
        ]
    );
    assert_eq!(
        errors(
            "build:\n  artifacts:\n  - image: a\n    docker: {network: 'container:{{.ID}}'}\n  - image: b\n    jib: {type: Maven}\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn builders_must_fit_the_build_environment() {
    assert_eq!(
        errors("build:\n  artifacts:\n  - image: a\n    kaniko: {}\n"),
        [
            "skaffold.yaml:6:5: build.artifacts[0].kaniko: found a 'kaniko' artifact, which is incompatible with the 'local' builder. To use the 'kaniko' builder, add the 'cluster' stanza to the 'build' section of your configuration. For information, see https://skaffold.dev/docs/pipeline-stages/builders/"
        ]
    );
    assert_eq!(
        errors("build:\n  cluster: {}\n  artifacts:\n  - image: a\n    docker: {}\n"),
        [
            "skaffold.yaml:7:5: build.artifacts[0].docker: found a 'docker' artifact, which is incompatible with the 'cluster' builder. To use the 'docker' builder, remove the 'cluster' stanza from the 'build' section of your configuration. For information, see https://skaffold.dev/docs/pipeline-stages/builders/"
        ]
    );
    assert_eq!(errors("build:\n  googleCloudBuild: {}\n  artifacts:\n  - image: a\n    bazel: {target: //:a}\n").len(), 1);
}

#[test]
fn tag_policy_checks() {
    assert_eq!(
        errors("build:\n  local: {tryImportMissing: true}\n  tagPolicy: {sha256: {}}\n"),
        [
            "skaffold.yaml:5:15: build.tagPolicy.sha256: tagging policy 'sha256' can not be used when 'tryImportMissing' is enabled"
        ]
    );
    let e = errors("build:\n  tagPolicy:\n    envTemplate:\n      template: '{{.FOO'\n");
    assert_eq!(e.len(), 1);
    assert!(
        e[0].starts_with(
            "skaffold.yaml:6:7: build.tagPolicy.envTemplate.template: invalid tag template: "
        ),
        "{e:?}"
    );
}

#[test]
fn misc_checks() {
    assert_eq!(
        errors("deploy:\n  logs: {prefix: pod}\n"),
        [
            "skaffold.yaml:4:10: deploy.logs.prefix: invalid log prefix 'pod'. Valid values are 'auto', 'container', 'podAndContainer' or 'none'"
        ]
    );
    assert_eq!(
        errors("build:\n  googleCloudBuild: {workerPool: my-pool}\n"),
        [
            "skaffold.yaml:4:22: build.googleCloudBuild.workerPool: invalid value for worker pool. Must match pattern projects/{project}/locations/{location}/workerPools/{worker_pool}"
        ]
    );
    assert_eq!(
        errors("test:\n- image: a\n  custom:\n  - command: x\n    dependencies: {ignore: [y]}\n"),
        [
            "skaffold.yaml:7:20: test[0].custom[0].dependencies.ignore: customTest has invalid dependencies; dependencies.ignore can only be used in conjunction with dependencies.paths"
        ]
    );
}

#[test]
fn verify_and_custom_action_names() {
    assert_eq!(
        errors(
            "verify:\n- name: t\n  container: {name: c, image: i}\n- name: t\n  container: {name: c, image: i}\ncustomActions:\n- name: a\n  containers: [{name: x, image: i}]\n  executionMode: {local: {}, kubernetesCluster: {}}\n- name: a\n  containers: []\n"
        ),
        [
            "skaffold.yaml:6:3: verify[1].name: found duplicate test name 't' in 'verify' test cases. 'verify' test case names must be unique",
            "skaffold.yaml:7:15: verify[1].container.name: found duplicate container name 'c' in 'verify' test cases. 'verify' container names must be unique",
            "skaffold.yaml:11:30: customActions[0].executionMode.kubernetesCluster: custom action a have more than one execution mode defined. custom actions must have only one execution mode",
            "skaffold.yaml:12:3: customActions[1].name: found duplicate custom action a. Custom action names must be unique",
            "skaffold.yaml:13:3: customActions[1].containers: custom action a doesn't have containers. custom actions must have one or more containers associated",
        ]
    );
}

#[test]
fn manifest_files_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("k8s")).unwrap();
    std::fs::write(dir.path().join("k8s/pod.yaml"), "").unwrap();
    let file = dir.path().join("skaffold.yaml");
    std::fs::write(
        &file,
        format!("{HEAD}manifests:\n  rawYaml: ['k8s/*.yaml', missing.yaml, 'https://x/y.yaml']\n"),
    )
    .unwrap();
    let mut set = crate::load::load_file(&file).unwrap();
    apply(&mut set, &DefaultsOptions::default()).unwrap();
    let es = validate(
        &set,
        &ValidateOptions {
            check_manifests: true,
        },
    )
    .unwrap_err();
    assert_eq!(es.len(), 1);
    let e = &es.0[0];
    assert_eq!(e.code, StatusCode::ConfigMissingManifestFileErr);
    assert_eq!(e.path, "manifests.rawYaml[1]");
    assert_eq!(
        e.message,
        "Manifest file \"missing.yaml\" referenced in skaffold config could not be found"
    );
    assert!(validate(&set, &ValidateOptions::default()).is_ok());
}

#[test]
fn wildcards() {
    assert!(wildcard_match("*.yaml", "pod.yaml"));
    assert!(!wildcard_match("*.yaml", "pod.yml"));
    assert!(wildcard_match("k8s-?", "k8s-a"));
    assert!(wildcard_match("[a-c]x", "bx"));
    assert!(!wildcard_match("[^a-c]x", "bx"));
}
