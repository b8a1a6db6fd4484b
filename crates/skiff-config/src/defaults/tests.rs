use super::*;
use crate::load::load_str;

const HEAD: &str = "apiVersion: skaffold/v4beta14\nkind: Config\n";

fn defaulted(body: &str) -> SkaffoldConfig {
    let mut set = load_str(&format!("{HEAD}{body}"), "skaffold.yaml").unwrap();
    apply(&mut set, &DefaultsOptions::default()).unwrap();
    set.entries.remove(0).config
}

#[test]
fn empty_config() {
    let c = defaulted("");
    let p = &c.pipeline;
    assert_eq!(
        p.build.build_type,
        Some(BuildType::Local(LocalBuild::default())),
        "no concurrency without artifacts"
    );
    assert_eq!(
        p.build.tag_policy,
        Some(TagPolicy::GitCommit(GitTagger::default()))
    );
    assert_eq!(p.deploy.logs.prefix, "container");
    assert_eq!(p.manifests.raw_yaml, vec!["k8s/*.yaml"]);
    assert_eq!(p.deploy.kubectl, Some(KubectlDeploy::default()));
}

#[test]
fn artifact_defaults() {
    let c = defaulted(
        "build:\n  artifacts:\n  - image: a\n    requires:\n    - image: b\n  - image: b\n    context: sub\n    sync: {}\n",
    );
    let b = &c.pipeline.build;
    assert_eq!(b.artifacts[0].context, ".");
    assert!(
        matches!(&b.artifacts[0].artifact_type, Some(ArtifactType::Docker(d)) if d.dockerfile == "Dockerfile")
    );
    assert_eq!(b.artifacts[0].requires[0].alias, "b");
    assert_eq!(b.artifacts[1].context, "sub");
    assert_eq!(
        b.artifacts[1].sync.as_ref().unwrap().mode,
        Some(SyncMode::Infer(vec!["**/*".into()]))
    );
    assert!(matches!(&b.build_type, Some(BuildType::Local(l)) if l.concurrency == Some(1)));
}

#[test]
fn explicit_values_are_kept() {
    let c = defaulted(
        "build:\n  local: {concurrency: 0}\n  tagPolicy: {sha256: {}}\n  artifacts:\n  - image: a\n    docker: {dockerfile: D}\ndeploy:\n  logs: {prefix: none}\n",
    );
    let b = &c.pipeline.build;
    assert!(matches!(&b.build_type, Some(BuildType::Local(l)) if l.concurrency == Some(0)));
    assert_eq!(b.tag_policy, Some(TagPolicy::Sha256(ShaTagger {})));
    assert!(
        matches!(&b.artifacts[0].artifact_type, Some(ArtifactType::Docker(d)) if d.dockerfile == "D")
    );
    assert_eq!(c.pipeline.deploy.logs.prefix, "none");
}

#[test]
fn sync_auto_for_jib_and_buildpacks() {
    let c = defaulted(
        "build:\n  artifacts:\n  - image: a\n    jib: {}\n    sync: {}\n  - image: b\n    buildpacks: {}\n  - image: c\n    buildpacks: {builder: x}\n    sync: {manual: [{src: a, dest: b}]}\n",
    );
    let a = &c.pipeline.build.artifacts;
    assert_eq!(a[0].sync.as_ref().unwrap().mode, Some(SyncMode::Auto(true)));
    assert_eq!(a[1].sync.as_ref().unwrap().mode, Some(SyncMode::Auto(true)));
    let Some(ArtifactType::Buildpacks(bp)) = &a[1].artifact_type else {
        panic!()
    };
    assert_eq!(bp.builder, "gcr.io/buildpacks/builder:v1");
    assert!(bp.trust_builder);
    assert_eq!(bp.project_descriptor, "project.toml");
    assert_eq!(bp.dependencies.as_ref().unwrap().paths, vec!["."]);
    let Some(ArtifactType::Buildpacks(bp)) = &a[2].artifact_type else {
        panic!()
    };
    assert_eq!(bp.builder, "x");
    assert!(!bp.trust_builder);
    assert!(matches!(
        a[2].sync.as_ref().unwrap().mode,
        Some(SyncMode::Manual(_))
    ));
}

#[test]
fn custom_dependencies_default_to_the_context() {
    let c = defaulted("build:\n  artifacts:\n  - image: a\n    custom: {buildCommand: ./b.sh}\n");
    let Some(ArtifactType::Custom(custom)) = &c.pipeline.build.artifacts[0].artifact_type else {
        panic!()
    };
    assert_eq!(
        custom.dependencies.as_ref().unwrap().source,
        Some(CustomDependencySource::Paths(vec![".".into()]))
    );
}

#[test]
fn cluster_build_defaults_to_kaniko() {
    let c = defaulted(
        "build:\n  cluster:\n    pullSecretPath: ~/key.json\n    dockerConfig: {path: ~/.docker/config.json}\n  artifacts:\n  - image: a\n  - image: b\n    kaniko: {cache: {}}\n  - image: c\n    custom: {}\n",
    );
    let b = &c.pipeline.build;
    let Some(BuildType::Cluster(cl)) = &b.build_type else {
        panic!()
    };
    assert_eq!(cl.namespace, "default");
    assert_eq!(cl.timeout, "20m");
    assert_eq!(cl.pull_secret_mount_path, "/secret");
    assert_eq!(cl.pull_secret_name, "kaniko-secret");
    assert!(!cl.pull_secret_path.starts_with('~'));
    assert_eq!(cl.docker_config.as_ref().unwrap().secret_name, "docker-cfg");
    let Some(ArtifactType::Kaniko(k)) = &b.artifacts[0].artifact_type else {
        panic!()
    };
    assert_eq!(k.image, "gcr.io/kaniko-project/executor:latest");
    assert_eq!(k.dockerfile, "Dockerfile");
    assert_eq!(k.init_image, "gcr.io/k8s-skaffold/skaffold-helpers/busybox");
    assert_eq!(k.digest_file, "/dev/termination-log");
    assert_eq!(k.copy_max_retries, Some(3));
    assert_eq!(k.copy_timeout, "5m");
    assert_eq!(k.build_context_compression_level, Some(1));
    assert_eq!(k.cache, None);
    let Some(ArtifactType::Kaniko(k)) = &b.artifacts[1].artifact_type else {
        panic!()
    };
    assert_eq!(k.cache.as_ref().unwrap().cache_run_layers, Some(true));
    assert!(matches!(
        b.artifacts[2].artifact_type,
        Some(ArtifactType::Custom(_))
    ));
}

#[test]
fn cluster_namespace_and_home_from_options() {
    let mut set = load_str(
        &format!(
            "{HEAD}build:\n  cluster:\n    pullSecretPath: ~/k.json\n    randomPullSecret: true\n"
        ),
        "skaffold.yaml",
    )
    .unwrap();
    let opts = DefaultsOptions {
        kube_namespace: Some("ns".into()),
        home_dir: Some("/home/me".into()),
    };
    apply(&mut set, &opts).unwrap();
    let Some(BuildType::Cluster(cl)) = &set.entries[0].config.pipeline.build.build_type else {
        panic!()
    };
    assert_eq!(cl.namespace, "ns");
    assert_eq!(cl.pull_secret_path, "/home/me/k.json");
    assert!(
        cl.pull_secret_name.starts_with("kaniko-secret") && cl.pull_secret_name.len() == 13 + 36
    );
}

#[test]
fn gcb_images() {
    let c = defaulted("build:\n  googleCloudBuild: {dockerImage: mine}\n");
    let Some(BuildType::GoogleCloudBuild(g)) = &c.pipeline.build.build_type else {
        panic!()
    };
    assert_eq!(g.docker_image, "mine");
    assert_eq!(g.maven_image, "gcr.io/cloud-builders/mvn");
    assert_eq!(g.gradle_image, "gcr.io/cloud-builders/gradle");
    assert_eq!(g.kaniko_image, "gcr.io/kaniko-project/executor:latest");
    assert_eq!(g.pack_image, "gcr.io/k8s-skaffold/pack");
    assert_eq!(g.ko_image, "gcr.io/k8s-skaffold/skaffold");
}

#[test]
fn port_forward_and_test_defaults() {
    let c = defaulted(
        "portForward:\n- {resourceType: pod, resourceName: a, port: 8080}\n- {resourceType: pod, resourceName: b, port: http}\n- {resourceType: pod, resourceName: c, port: 80, localPort: 9000, address: 0.0.0.0}\ntest:\n- image: a\n",
    );
    let pf = &c.pipeline.port_forward;
    assert_eq!(
        (pf[0].local_port, pf[0].address.as_str()),
        (8080, "127.0.0.1")
    );
    assert_eq!((pf[1].local_port, pf[1].address.as_str()), (0, "127.0.0.1"));
    assert_eq!(
        (pf[2].local_port, pf[2].address.as_str()),
        (9000, "0.0.0.0")
    );
    assert_eq!(c.pipeline.test[0].context, ".");
}

#[test]
fn helm_defaults_and_dependency_errors() {
    let c = defaulted("deploy:\n  helm:\n    releases:\n    - {name: a, chartPath: a}\n");
    assert_eq!(
        c.pipeline.deploy.helm.as_ref().unwrap().concurrency,
        Some(1)
    );
    assert_eq!(
        c.pipeline.manifests.raw_yaml,
        Vec::<String>::new(),
        "helm deploys: no default manifests"
    );
    assert_eq!(c.pipeline.deploy.kubectl, None);

    let mut set = load_str(
        &format!(
            "{HEAD}deploy:\n  helm:\n    releases:\n    - {{name: a, chartPath: a, dependsOn: [b]}}\n    - {{name: b, chartPath: b, dependsOn: [a]}}\n"
        ),
        "skaffold.yaml",
    )
    .unwrap();
    let e = apply(&mut set, &DefaultsOptions::default()).unwrap_err();
    assert_eq!(e.code, StatusCode::ConfigDefaultValuesErr);
    assert_eq!(
        e.headline(),
        "skaffold.yaml:7:7: deploy.helm.releases[1]: failed to set default values: cycle detected involving release \"b\""
    );
    let mut set = load_str(
        &format!("{HEAD}deploy:\n  helm:\n    releases:\n    - {{name: a, chartPath: a, dependsOn: [c]}}\n    - {{name: b, chartPath: b}}\n"),
        "skaffold.yaml",
    )
    .unwrap();
    let e = apply(&mut set, &DefaultsOptions::default()).unwrap_err();
    assert_eq!(
        e.message,
        "failed to set default values: release a depends on non-existent release c"
    );
}

#[test]
fn default_renderer_and_deployer() {
    // rawYaml without a deployer implies kubectl.
    let c = defaulted("manifests:\n  rawYaml: [a.yaml]\n");
    assert_eq!(c.pipeline.deploy.kubectl, Some(KubectlDeploy::default()));
    // kustomize renders: no default manifests, default deployer kubectl.
    let c = defaulted("manifests:\n  kustomize: {}\n");
    assert!(c.pipeline.manifests.raw_yaml.is_empty());
    assert_eq!(c.pipeline.deploy.kubectl, Some(KubectlDeploy::default()));
    // docker deployer: neither.
    let c = defaulted("deploy:\n  docker: {images: [a]}\n");
    assert!(c.pipeline.manifests.raw_yaml.is_empty());
    assert_eq!(c.pipeline.deploy.kubectl, None);
    // cloud run with raw manifests: no kubectl.
    let c = defaulted("manifests:\n  rawYaml: [s.yaml]\ndeploy:\n  cloudrun: {}\n");
    assert_eq!(c.pipeline.deploy.kubectl, None);
}

#[test]
fn multi_config_sets_get_no_default_renderer() {
    let mut set = load_str(&format!("{HEAD}---\n{HEAD}"), "skaffold.yaml").unwrap();
    apply(&mut set, &DefaultsOptions::default()).unwrap();
    for c in set.configs() {
        assert!(c.pipeline.manifests.raw_yaml.is_empty());
        assert_eq!(c.pipeline.deploy.kubectl, None);
        assert!(c.pipeline.build.tag_policy.is_some());
    }
}

#[test]
fn defaults_are_idempotent_and_serializable() {
    let mut set = load_str(
        &format!("{HEAD}build:\n  artifacts:\n  - image: a\n    sync: {{}}\n  - image: b\n    buildpacks: {{}}\n"),
        "skaffold.yaml",
    )
    .unwrap();
    apply(&mut set, &DefaultsOptions::default()).unwrap();
    let once = set.clone();
    apply(&mut set, &DefaultsOptions::default()).unwrap();
    assert_eq!(once, set);
    let yaml = set.to_yaml().unwrap();
    let again = load_str(&yaml, "out.yaml").unwrap();
    assert!(again.configs().eq(set.configs()), "{yaml}");
}
