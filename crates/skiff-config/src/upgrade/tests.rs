//! Unit tests of the upgrade driver and of each structural step: YAML in, YAML out, compared as
//! parsed values (key order does not matter).

use serde_yaml_ng::Value;

use super::util::yaml;
use super::*;

/// Upgrades `input` by exactly one version and returns the result.
fn one_step(input: &str) -> Upgraded {
    let doc = yaml(input);
    let from = api_version(&doc)
        .expect("test input has an apiVersion")
        .to_owned();
    let idx = version_index(&from).expect("test input has a supported version");
    upgrade(doc, SUPPORTED_VERSIONS[idx + 1]).expect("step succeeds")
}

fn assert_yaml_eq(actual: &Value, expected: &str) {
    let expected = yaml(expected);
    assert_eq!(
        actual,
        &expected,
        "\nactual:\n{}\nexpected:\n{}",
        serde_yaml_ng::to_string(actual).unwrap(),
        serde_yaml_ng::to_string(&expected).unwrap()
    );
}

fn step_err(input: &str) -> UpgradeError {
    let doc = yaml(input);
    let from = api_version(&doc).unwrap().to_owned();
    let idx = version_index(&from).unwrap();
    upgrade(doc, SUPPORTED_VERSIONS[idx + 1]).expect_err("step fails")
}

// ---------------------------------------------------------------------------------------------
// The version table and the driver.

#[test]
fn supported_versions_are_ordered_unique_and_end_at_latest() {
    assert_eq!(SUPPORTED_VERSIONS.len(), 72);
    assert_eq!(SUPPORTED_VERSIONS[0], "skaffold/v1alpha1");
    assert_eq!(*SUPPORTED_VERSIONS.last().unwrap(), LATEST_VERSION);
    assert_eq!(LATEST_VERSION, "skaffold/v4beta14");
    let mut seen = std::collections::HashSet::new();
    for v in SUPPORTED_VERSIONS {
        assert!(v.starts_with("skaffold/v"), "{v}");
        assert!(seen.insert(v), "{v} listed twice");
    }
    for (a, b) in [
        ("skaffold/v1beta17", "skaffold/v1"),
        ("skaffold/v1", "skaffold/v2alpha1"),
        ("skaffold/v2beta29", "skaffold/v3alpha1"),
        ("skaffold/v3alpha1", "skaffold/v3"),
        ("skaffold/v3", "skaffold/v4beta1"),
        ("skaffold/v4beta9", "skaffold/v4beta10"),
    ] {
        assert_eq!(version_index(a).unwrap() + 1, version_index(b).unwrap());
    }
}

#[test]
fn structural_steps_are_known_versions_in_order() {
    let mut last = None;
    for step in STRUCTURAL_STEPS {
        let idx = version_index(step.from).unwrap_or_else(|| panic!("{}", step.from));
        assert!(
            idx + 1 < SUPPORTED_VERSIONS.len(),
            "{} has no successor",
            step.from
        );
        if let Some(last) = last {
            assert!(idx > last, "{} out of order", step.from);
        }
        last = Some(idx);
        assert!(!step.summary.is_empty());
    }
}

#[test]
fn every_version_reaches_latest_one_step_at_a_time() {
    for (i, version) in SUPPORTED_VERSIONS.iter().enumerate() {
        let doc = yaml(&format!("apiVersion: {version}\nkind: Config\n"));
        let latest = to_latest(doc.clone()).unwrap();
        assert_yaml_eq(&latest, "apiVersion: skaffold/v4beta14\nkind: Config\n");
        if let Some(next) = SUPPORTED_VERSIONS.get(i + 1) {
            let bumped = to_version(doc, next).unwrap();
            assert_eq!(api_version(&bumped).unwrap(), *next);
        }
    }
}

#[test]
fn chained_single_steps_equal_a_direct_upgrade() {
    let input = "apiVersion: skaffold/v1beta9\nkind: Config\nbuild:\n  artifacts:\n  - image: app\n    sync:\n      '*.js': .\n    jibMaven:\n      module: m\ndeploy:\n  kubectl:\n    manifests: [k8s/*.yaml]\n";
    let mut doc = yaml(input);
    for next in &SUPPORTED_VERSIONS[version_index("skaffold/v1beta10").unwrap()..] {
        doc = to_version(doc, next).unwrap();
    }
    assert_eq!(doc, to_latest(yaml(input)).unwrap());
}

#[test]
fn latest_documents_are_returned_unchanged() {
    let input = "apiVersion: skaffold/v4beta14\nkind: Config\n.anchors: &a {x: 1}\nbuild:\n  artifacts:\n  - image: a\n    unknownKeyLeftForTheLoader: 1\n";
    let doc = yaml(input);
    assert_eq!(to_latest(doc.clone()).unwrap(), doc);
    let up = to_latest_with_warnings(doc.clone()).unwrap();
    assert!(up.warnings.is_empty());
    assert_eq!(up.from, LATEST_VERSION);
}

#[test]
fn unknown_version_is_an_error_listing_the_supported_versions() {
    let err = to_latest(yaml("apiVersion: skaffold/v9\nkind: Config\n")).unwrap_err();
    let UpgradeError::UnknownVersion { version, supported } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(version, "skaffold/v9");
    assert_eq!(
        supported,
        "skaffold/v1alpha1…v1alpha5, skaffold/v1beta1…v1beta17, skaffold/v1, \
         skaffold/v2alpha1…v2alpha4, skaffold/v2beta1…v2beta29, skaffold/v3alpha1, skaffold/v3, \
         skaffold/v4beta1…v4beta14"
    );
    let message = err.to_string();
    assert!(
        message.starts_with(
            "unsupported version \"skaffold/v9\": supported versions are skaffold/v1alpha1"
        ),
        "{message}"
    );
    assert!(message.ends_with("skaffold/v4beta1…v4beta14"), "{message}");

    let err = to_latest(yaml("apiVersion: 3\nkind: Config\n")).unwrap_err();
    assert!(matches!(err, UpgradeError::UnknownVersion { ref version, .. } if version == "3"));
}

#[test]
fn missing_api_version_is_an_error() {
    for input in ["kind: Config\n", "apiVersion:\nkind: Config\n"] {
        assert_eq!(to_latest(yaml(input)), Err(UpgradeError::MissingApiVersion));
    }
    assert!(
        UpgradeError::MissingApiVersion
            .to_string()
            .starts_with("missing apiVersion")
    );
    assert_eq!(
        to_latest(yaml("- a\n- b\n")),
        Err(UpgradeError::NotAMapping {
            found: "a sequence"
        })
    );
}

#[test]
fn to_version_checks_the_target() {
    let doc = yaml("apiVersion: skaffold/v2beta1\nkind: Config\n");
    assert_eq!(
        to_version(doc.clone(), "skaffold/v1beta1"),
        Err(UpgradeError::NewerThanTarget {
            version: "skaffold/v2beta1".into(),
            target: "skaffold/v1beta1".into()
        })
    );
    assert!(matches!(
        to_version(doc.clone(), "skaffold/v5"),
        Err(UpgradeError::UnknownVersion { ref version, .. }) if version == "skaffold/v5"
    ));
    assert_eq!(to_version(doc.clone(), "skaffold/v2beta1").unwrap(), doc);
    let up = to_version(doc, "skaffold/v2beta5").unwrap();
    assert_eq!(api_version(&up).unwrap(), "skaffold/v2beta5");
}

#[test]
fn keys_unknown_to_the_document_version_are_rejected() {
    // Skaffold's integration testdata skaffold-in-cluster: a v1beta13 profile with `manifests`.
    let err = to_latest(yaml(
        "apiVersion: skaffold/v1beta13\nkind: Config\nprofiles:\n- name: create-build-step\n  manifests:\n    kustomize:\n      path: build-step\n",
    ))
    .unwrap_err();
    assert_eq!(
        err,
        UpgradeError::UnknownField {
            version: "skaffold/v1beta13".into(),
            location: "profiles[0] (name \"create-build-step\")".into(),
            field: "manifests".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "field \"manifests\" is not valid in skaffold/v1beta13 (at profiles[0] (name \"create-build-step\"))"
    );
    let err = to_latest(yaml(
        "apiVersion: skaffold/v2beta27\nkind: Config\nresourceSelector: {}\n",
    ))
    .unwrap_err();
    assert!(
        matches!(err, UpgradeError::UnknownField { ref field, ref location, .. } if field == "resourceSelector" && location.is_empty())
    );
    // The same key is fine from the version that introduced it.
    to_latest(yaml(
        "apiVersion: skaffold/v2beta28\nkind: Config\nresourceSelector: {}\n",
    ))
    .unwrap();
}

#[test]
fn anchor_keys_and_merge_keys_are_resolved_before_upgrading() {
    let up = to_latest(yaml(
        "apiVersion: skaffold/v2beta29\nkind: Config\n.common: &common\n  chartPath: charts\ndeploy:\n  helm:\n    releases:\n    - name: a\n      <<: *common\n",
    ))
    .unwrap();
    assert_yaml_eq(
        &up,
        "apiVersion: skaffold/v4beta14\nkind: Config\nmanifests:\n  helm:\n    releases:\n    - {name: a, chartPath: charts}\ndeploy:\n  helm:\n    releases:\n    - {name: a, chartPath: charts}\n",
    );
}

// ---------------------------------------------------------------------------------------------
// v1 era.

#[test]
fn v1alpha1_rebuilds_the_config() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1alpha1
kind: Config
build:
  artifacts:
  - imageName: gcr.io/example
    workspace: .
  - imageName: other
    dockerfilePath: Dockerfile.dev
    buildArgs: {A: b}
  local: {}
  tagPolicy: sha256
deploy:
  name: ignored
  kubectl:
    manifests:
    - paths: [k8s-*, more/*.yaml]
      parameters: {IMAGE_NAME: x}
    - paths: [last.yaml]
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1alpha2
kind: Config
build:
  artifacts:
  - imageName: gcr.io/example
    workspace: .
  - imageName: other
    docker: {dockerfilePath: Dockerfile.dev, buildArgs: {A: b}}
  local: {}
  tagPolicy: {sha256: {}}
deploy:
  kubectl:
    manifests: [k8s-*, more/*.yaml, last.yaml]
"#,
    );
    assert!(
        up.warnings
            .iter()
            .any(|w| w.message.starts_with("Ignoring manifest parameters"))
    );

    let up = one_step(
        "apiVersion: skaffold/v1alpha1\nkind: Config\nbuild:\n  tagPolicy: gitCommit\n  googleCloudBuild: {projectId: p}\ndeploy:\n  helm:\n    releases:\n    - {name: r, chartPath: c, valuesFilePath: v.yaml, values: {image: app}, namespace: n, version: '1'}\n",
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v1alpha2\nkind: Config\nbuild:\n  tagPolicy: {gitCommit: {}}\n  googleCloudBuild: {projectId: p}\ndeploy:\n  helm:\n    releases:\n    - {name: r, chartPath: c, valuesFilePath: v.yaml, values: {image: app}, namespace: n, version: '1'}\n",
    );
}

#[test]
fn v1alpha1_fix_testdata_reaches_latest() {
    let up = to_latest(yaml(
        r#"
apiVersion: skaffold/v1alpha1
kind: Config
build:
  artifacts:
  - imageName: us-central1-docker.pkg.dev/k8s-skaffold/testing/skaffold-example
    workspace: .
  local: {}
  tagPolicy: sha256
deploy:
  kubectl:
    manifests:
      - paths:
        - k8s-*
        parameters:
          IMAGE_NAME: us-central1-docker.pkg.dev/k8s-skaffold/testing
"#,
    ))
    .unwrap();
    assert_yaml_eq(
        &up,
        r#"
apiVersion: skaffold/v4beta14
kind: Config
build:
  artifacts:
  - image: us-central1-docker.pkg.dev/k8s-skaffold/testing/skaffold-example
    context: .
  local: {}
  tagPolicy: {sha256: {}}
manifests:
  rawYaml: [k8s-*]
deploy:
  kubectl: {}
"#,
    );
}

#[test]
fn v1alpha2_values_file_and_kaniko_bucket() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1alpha2
kind: Config
build:
  kaniko: {gcsBucket: bucket, namespace: ns, timeout: 20m}
deploy:
  helm:
    releases:
    - {name: r, chartPath: c, valuesFilePath: values.yaml}
    - {name: s, chartPath: d}
profiles:
- name: p
  build:
    kaniko: {gcsBucket: other, pullSecretName: s}
  deploy:
    helm:
      releases:
      - {name: r, valuesFilePath: prod.yaml}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1alpha3
kind: Config
build:
  kaniko: {buildContext: {gcsBucket: bucket}, namespace: ns, timeout: 20m}
deploy:
  helm:
    releases:
    - {name: r, chartPath: c, valuesFiles: [values.yaml]}
    - {name: s, chartPath: d}
profiles:
- name: p
  build:
    kaniko: {pullSecretName: s}
  deploy:
    helm:
      releases:
      - {name: r, valuesFiles: [prod.yaml]}
"#,
    );
    assert_eq!(up.warnings.len(), 1);
    assert_eq!(up.warnings[0].field, "profiles[0].build.kaniko.gcsBucket");
}

#[test]
fn v1alpha3_renames_and_skip_push() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1alpha3
kind: Config
build:
  artifacts:
  - imageName: app
    workspace: dir
    docker: {dockerfilePath: Dockerfile, buildArgs: {A: b}}
  local: {skipPush: true, useBuildkit: true}
deploy:
  kustomize: {kustomizePath: overlays/dev}
profiles:
- name: p
  build:
    artifacts:
    - imageName: other
    local: {skipPush: false}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1alpha4
kind: Config
build:
  artifacts:
  - image: app
    context: dir
    docker: {dockerfile: Dockerfile, buildArgs: {A: b}}
  local: {push: false, useBuildkit: true}
deploy:
  kustomize: {path: overlays/dev}
profiles:
- name: p
  build:
    artifacts:
    - image: other
    local: {push: true}
"#,
    );
}

#[test]
fn v1alpha5_acr_is_an_error() {
    let err = step_err("apiVersion: skaffold/v1alpha5\nkind: Config\nbuild:\n  acr: {}\n");
    assert_eq!(
        err.to_string(),
        "cannot upgrade skaffold/v1alpha5 config: build.acr: can't upgrade to skaffold/v1beta1, \
         build.acr is not supported anymore, please remove it manually"
    );
    let err = step_err(
        "apiVersion: skaffold/v1alpha5\nkind: Config\nprofiles:\n- name: azure\n  build:\n    acr: {}\n",
    );
    let UpgradeError::Unconvertible { field, reason, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(field, "profiles[0].build.acr");
    assert!(
        reason.contains("please remove it from the azure profile manually"),
        "{reason}"
    );
}

#[test]
fn v1beta4_profile_patches_are_carried_intact() {
    // Skaffold's own v1beta4 → v1beta5 clone loses (and crashes on) patch values; skiff keeps
    // the patches as written, which is what the schema change intended.
    let input = "apiVersion: skaffold/v1beta4\nkind: Config\nprofiles:\n- name: p\n  patches:\n  - {op: replace, path: /build/artifacts/0/docker/dockerfile, value: Dockerfile.dev}\n  - {op: remove, path: /deploy}\n";
    let up = one_step(input);
    assert_eq!(up.doc["profiles"], yaml(input)["profiles"]);
    assert!(up.warnings.is_empty());
}

#[test]
fn v1beta6_kaniko_splits_into_cluster_and_artifacts() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1beta6
kind: Config
build:
  artifacts:
  - image: a
  - image: b
    docker: {dockerfile: Dockerfile.b}
  tagPolicy: {sha256: {}}
  kaniko:
    buildContext: {localDir: {}}
    cache: {repo: r}
    flags: [--verbosity=debug]
    image: kaniko:1
    pullSecretName: secret
    namespace: ns
    timeout: 5m
    dockerConfig: {secretName: dc}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1beta7
kind: Config
build:
  artifacts:
  - image: a
    kaniko: {buildContext: {localDir: {}}, cache: {repo: r}, flags: [--verbosity=debug], image: kaniko:1}
  - image: b
    docker: {dockerfile: Dockerfile.b}
    kaniko: {buildContext: {localDir: {}}, cache: {repo: r}, flags: [--verbosity=debug], image: kaniko:1}
  tagPolicy: {sha256: {}}
  cluster: {pullSecretName: secret, namespace: ns, timeout: 5m, dockerConfig: {secretName: dc}}
"#,
    );
    let keys: Vec<_> = up.doc["build"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["artifacts", "tagPolicy", "cluster"]);
}

#[test]
fn v1beta8_plugins_and_execution_environments() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1beta8
kind: Config
build:
  artifacts:
  - image: a
    plugin: {name: bazel, properties: {target: //:a.tar, unknown: 1}}
  - image: b
    plugin: {name: docker}
  - image: c
    plugin: {name: somethingElse}
  executionEnvironment:
    name: googleCloudBuild
    properties: {projectId: p, diskSizeGb: 100}
profiles:
- name: local
  build:
    executionEnvironment: {name: local, properties: {push: false}}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1beta9
kind: Config
build:
  artifacts:
  - image: a
    bazel: {target: //:a.tar}
  - image: b
    docker: {}
  - image: c
  googleCloudBuild: {projectId: p, diskSizeGb: 100}
profiles:
- name: local
  build:
    local: {push: false}
"#,
    );
    assert_eq!(up.warnings.len(), 1);
    assert_eq!(up.warnings[0].field, "build.artifacts[2].plugin");
}

#[test]
fn v1beta9_sync_map_becomes_manual_rules() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1beta9
kind: Config
build:
  artifacts:
  - image: a
    sync:
      '*.js': .
      'src/*.py': /app/src
      'static/**/*.css': /var/www
      'lib/***/*.go': /go/lib
      'web/app.html': /srv
  - image: b
    sync: {}
profiles:
- name: p
  build:
    artifacts:
    - image: c
      sync: {'**/*.rb': /app}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1beta10
kind: Config
build:
  artifacts:
  - image: a
    sync:
      manual:
      - {src: '*.js', dest: .}
      - {src: 'src/*.py', dest: /app/}
      - {src: 'static/**/*.css', dest: /var/www}
      - {src: 'lib/**/*.go', dest: /go/}
      - {src: 'web/app.html', dest: /srv, strip: web/}
  - image: b
    sync: {}
profiles:
- name: p
  build:
    artifacts:
    - image: c
      sync:
        manual:
        - {src: '**/*.rb', dest: /app}
"#,
    );
    assert_eq!(up.warnings.len(), 1);
    assert!(
        up.warnings[0]
            .message
            .ends_with("are: [static/**/*.css **/*.rb]"),
        "{}",
        up.warnings[0].message
    );
}

#[test]
fn v1beta13_jib_maven_and_gradle_become_jib() {
    let up = one_step(
        r#"
apiVersion: skaffold/v1beta13
kind: Config
build:
  artifacts:
  - image: m
    jibMaven: {module: svc, profile: prod, args: [-DskipTests]}
  - image: g
    jibGradle: {project: app, args: [--info]}
  - image: plain
    jibMaven: {}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v1beta14
kind: Config
build:
  artifacts:
  - image: m
    jib: {project: svc, args: [-DskipTests, --activate-profiles, prod], type: maven}
  - image: g
    jib: {project: app, args: [--info], type: gradle}
  - image: plain
    jib: {type: maven}
"#,
    );
}

// ---------------------------------------------------------------------------------------------
// v2 era.

#[test]
fn v2alpha1_kaniko_init_image() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2alpha1
kind: Config
build:
  artifacts:
  - image: a
    kaniko: {buildContext: {localDir: {initImage: busybox}}, cache: {}}
  - image: b
    kaniko: {buildContext: {gcsBucket: bucket}}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v2alpha2
kind: Config
build:
  artifacts:
  - image: a
    kaniko: {initImage: busybox, cache: {}}
  - image: b
    kaniko: {}
"#,
    );
    assert_eq!(up.warnings.len(), 1);
}

#[test]
fn v2alpha2_kustomize_path_becomes_paths() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2alpha2
kind: Config
build:
  artifacts:
  - image: a
    buildpack: {builder: b, forcePull: true}
deploy:
  kustomize: {path: overlays/dev, flags: {apply: [--prune]}}
profiles:
- name: p
  deploy:
    kustomize: {}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v2alpha3
kind: Config
build:
  artifacts:
  - image: a
    buildpack: {builder: b}
deploy:
  kustomize: {paths: [overlays/dev], flags: {apply: [--prune]}}
profiles:
- name: p
  deploy:
    kustomize: {}
"#,
    );
}

#[test]
fn v2beta3_helm_values_become_artifact_overrides() {
    let up = one_step(
        "apiVersion: skaffold/v2beta3\nkind: Config\ndeploy:\n  helm:\n    releases:\n    - {name: r, chartPath: c, values: {image: app}, setValues: {a: b}}\n",
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v2beta4\nkind: Config\ndeploy:\n  helm:\n    releases:\n    - {name: r, chartPath: c, artifactOverrides: {image: app}, setValues: {a: b}}\n",
    );
}

#[test]
fn v2beta4_pull_secret_path_and_buildpacks() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta4
kind: Config
build:
  artifacts:
  - image: a
    buildpack: {builder: heroku/buildpacks}
  cluster: {pullSecret: /secret.json, namespace: ns}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v2beta5
kind: Config
build:
  artifacts:
  - image: a
    buildpacks: {builder: heroku/buildpacks}
  cluster: {pullSecretPath: /secret.json, namespace: ns}
"#,
    );
}

#[test]
fn v2beta7_kpt_options_are_dropped() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta7
kind: Config
deploy:
  kpt:
    applyDir: apply
    dir: config
    fn: {fnPath: fns}
    live:
      apply: {pollPeriod: 5s, pruneTimeout: 1m}
      inventoryID: id
"#,
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v2beta8\nkind: Config\ndeploy:\n  kpt:\n    dir: config\n    fn: {fnPath: fns}\n",
    );
    assert_eq!(up.warnings.len(), 4);
}

#[test]
fn v2beta8_sync_auto_and_kaniko_flags() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta8
kind: Config
build:
  artifacts:
  - image: a
    sync: {auto: {}}
    buildpacks: {builder: b}
  - image: b
    kaniko: {flags: [--cleanup], dockerfile: Dockerfile}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v2beta9
kind: Config
build:
  artifacts:
  - image: a
    sync: {auto: true}
    buildpacks: {builder: b}
  - image: b
    kaniko: {dockerfile: Dockerfile}
"#,
    );
    assert_eq!(up.warnings[0].field, "build.artifacts[1].kaniko.flags");
}

#[test]
fn v2beta12_remote_chart() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta12
kind: Config
deploy:
  helm:
    releases:
    - {name: r, chartPath: stable/nginx, remote: true, version: 1.0.0}
    - {name: s, chartPath: charts/s, remote: false}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v2beta13
kind: Config
deploy:
  helm:
    releases:
    - {name: r, remoteChart: stable/nginx, version: 1.0.0}
    - {name: s, chartPath: charts/s}
"#,
    );
}

#[test]
fn v2beta16_secret_destination_warns_and_drops() {
    let up = one_step(
        "apiVersion: skaffold/v2beta16\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    docker:\n      secret: {id: s, src: file.txt, dst: /run/s}\n",
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v2beta17\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    docker:\n      secret: {id: s, src: file.txt}\n",
    );
    assert_eq!(
        up.warnings[0].message,
        "Artifact \"a\": Docker secret destination is no longer supported: \"/run/s\""
    );
}

#[test]
fn v2beta22_secret_becomes_secrets() {
    let up = one_step(
        "apiVersion: skaffold/v2beta22\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    docker:\n      dockerfile: D\n      secret: {id: s, src: file.txt}\n",
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v2beta23\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    docker:\n      dockerfile: D\n      secrets: [{id: s, src: file.txt}]\n",
    );
}

#[test]
fn v2beta27_ko_platforms_move_to_the_artifact() {
    let up = one_step(
        "apiVersion: skaffold/v2beta27\nkind: Config\nbuild:\n  artifacts:\n  - image: ko://app\n    ko: {main: ./cmd, platforms: [linux/amd64, linux/arm64]}\n  - image: ko://other\n    ko: {}\n",
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v2beta28\nkind: Config\nbuild:\n  artifacts:\n  - image: ko://app\n    ko: {main: ./cmd}\n    platforms: [linux/amd64, linux/arm64]\n  - image: ko://other\n    ko: {}\n",
    );
}

// ---------------------------------------------------------------------------------------------
// v2beta29 → v3alpha1.

#[test]
fn v2beta29_moves_manifests_kustomize_and_helm() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: app
deploy:
  kubectl:
    manifests: [k8s-*]
    flags: {apply: [--force]}
  kustomize:
    paths: [kustomization-main]
    buildArgs: [--load-restrictor=none]
    flags: {apply: [--server-side], global: [-v]}
    hooks:
      before: [{host: {command: [echo, k]}}]
  helm:
    flags: {install: [--atomic]}
    releases:
    - name: skaffold-helm
      chartPath: charts
      setValues: {replicas: '2'}
portForward:
- {resourceType: deployment, resourceName: app, port: 8080}
profiles:
- name: kustomize-only
  deploy:
    kustomize: {defaultNamespace: ns}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v3alpha1
kind: Config
build:
  artifacts:
  - image: app
manifests:
  rawYaml: [k8s-*]
  kustomize:
    paths: [kustomization-main]
    buildArgs: [--load-restrictor=none]
  helm:
    flags: {install: [--atomic]}
    releases:
    - {name: skaffold-helm, chartPath: charts, setValues: {replicas: '2'}}
deploy:
  kubectl:
    flags: {apply: [--force, --server-side], global: [-v]}
    hooks:
      before: [{host: {command: [echo, k]}}]
  helm:
    flags: {install: [--atomic]}
    releases:
    - {name: skaffold-helm, chartPath: charts, setValues: {replicas: '2'}}
portForward:
- {resourceType: deployment, resourceName: app, port: 8080}
profiles:
- name: kustomize-only
  manifests:
    kustomize: {paths: [.]}
  deploy:
    kubectl: {defaultNamespace: ns}
"#,
    );
    let keys: Vec<_> = up
        .doc
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        keys,
        [
            "apiVersion",
            "kind",
            "build",
            "manifests",
            "deploy",
            "portForward",
            "profiles"
        ]
    );
}

#[test]
fn v2beta29_artifact_overrides_become_set_value_templates() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: fqn
      chartPath: a
      artifactOverrides: {image: gcr.io/k8s-skaffold/app, sidecar: {image: side-car}}
    - name: convention
      chartPath: b
      artifactOverrides: {image: app}
      setValueTemplates: {extra: '{{.FOO}}'}
      imageStrategy: {helm: {}}
    - name: explicit
      chartPath: c
      artifactOverrides: {image: app:1}
      imageStrategy: {helm: {explicitRegistry: true}}
    - name: fqn-strategy
      chartPath: d
      artifactOverrides: {image: app}
      imageStrategy: {fqn: {}}
"#,
    );
    let releases = r#"
    - name: fqn
      chartPath: a
      setValueTemplates:
        image: '{{.IMAGE_FULLY_QUALIFIED_gcr_io_k8s_skaffold_app}}'
        sidecar.image: '{{.IMAGE_FULLY_QUALIFIED_side_car}}'
    - name: convention
      chartPath: b
      setValueTemplates:
        extra: '{{.FOO}}'
        image.tag: '{{.IMAGE_TAG_app}}@{{.IMAGE_DIGEST_app}}'
        image.repository: '{{.IMAGE_REPO_app}}'
    - name: explicit
      chartPath: c
      setValueTemplates:
        image.tag: '{{.IMAGE_TAG_app_1}}@{{.IMAGE_DIGEST_app_1}}'
        image.registry: '{{.IMAGE_DOMAIN_app_1}}'
        image.repository: '{{.IMAGE_REPO_NO_DOMAIN_app_1}}'
    - name: fqn-strategy
      chartPath: d
      setValueTemplates:
        image: '{{.IMAGE_FULLY_QUALIFIED_app}}'
"#;
    assert_yaml_eq(
        &up.doc,
        &format!(
            "apiVersion: skaffold/v3alpha1\nkind: Config\nmanifests:\n  helm:\n    releases:{releases}deploy:\n  helm:\n    releases:{releases}"
        ),
    );
}

#[test]
fn v2beta29_profile_patches_follow_the_moved_sections() {
    // Skaffold's fix-v2beta29 integration testdata.
    let up = to_latest(yaml(
        r#"
apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: skaffold-helm
deploy:
 helm:
   releases:
     - name: skaffold-helm
       chartPath: charts
       namespace: repro-ns
       artifactOverrides:
         image: skaffold-helm
       imageStrategy:
         helm: {}
profiles:
 - name: skaffold-helm-v2
   patches:
      - op: replace
        path: /deploy/helm/releases/0/artifactOverrides/image
        value: skaffold-helm-v2
"#,
    ))
    .unwrap();
    assert_yaml_eq(
        &up["profiles"],
        r#"
- name: skaffold-helm-v2
  patches:
  - op: replace
    path: /manifests/helm/releases/0/setValueTemplates/image.tag
    value: '{{.IMAGE_TAG_skaffold_helm_v2}}@{{.IMAGE_DIGEST_skaffold_helm_v2}}'
  - op: replace
    path: /manifests/helm/releases/0/setValueTemplates/image.repository
    value: '{{.IMAGE_REPO_skaffold_helm_v2}}'
"#,
    );

    let up = one_step(
        r#"
apiVersion: skaffold/v2beta29
kind: Config
deploy:
  kubectl:
    manifests: [java/k8s/web.yaml]
  helm:
    releases:
    - name: test
      artifactOverrides: {image: app}
profiles:
- name: kustomize
  patches:
  - {op: remove, path: /deploy/kubectl/manifests}
  - {op: remove, path: /deploy/kubectl/manifests/0}
  - {op: remove, path: /deploy/helm}
  - {op: add, path: /deploy/helm/hooks/before/0, value: {host: {command: [x]}}}
  - {op: replace, path: /deploy/helm/releases/0/artifactOverrides/image, value: other/app}
  - {op: replace, path: /deploy/kustomize/paths/0, value: k}
  deploy:
    kustomize: {}
- name: explicit
  patches:
  - {op: replace, path: /deploy/helm/releases/0/artifactOverrides/image, value: x}
"#,
    );
    assert_yaml_eq(
        &up.doc["profiles"],
        r#"
- name: kustomize
  patches:
  - {op: remove, path: /manifests/rawYaml}
  - {op: remove, path: /manifests/rawYaml/0}
  - {op: remove, path: /manifests/helm}
  - {op: add, path: /deploy/helm/hooks/before/0, value: {host: {command: [x]}}}
  - {op: replace, path: /manifests/helm/releases/0/setValueTemplates/image, value: '{{.IMAGE_FULLY_QUALIFIED_other_app}}'}
  - {op: replace, path: /manifests/kustomize/paths/0, value: k}
  - {op: remove, path: /deploy/helm}
  manifests:
    kustomize: {paths: [.]}
  deploy:
    kubectl: {}
- name: explicit
  patches:
  - {op: replace, path: /manifests/helm/releases/0/setValueTemplates/image, value: '{{.IMAGE_FULLY_QUALIFIED_x}}'}
"#,
    );
}

#[test]
fn v2beta29_explicit_registry_patch_order() {
    let up = one_step(
        r#"
apiVersion: skaffold/v2beta29
kind: Config
deploy:
  helm:
    releases:
    - name: r
      chartPath: c
      artifactOverrides: {image: app}
      imageStrategy: {helm: {explicitRegistry: true}}
profiles:
- name: p
  patches:
  - {op: replace, path: /deploy/helm/releases/0/artifactOverrides/image, value: gcr.io/x}
"#,
    );
    assert_yaml_eq(
        &up.doc["profiles"][0]["patches"],
        r#"
- {op: replace, path: /manifests/helm/releases/0/setValueTemplates/image.tag, value: '{{.IMAGE_TAG_gcr_io_x}}@{{.IMAGE_DIGEST_gcr_io_x}}'}
- {op: replace, path: /manifests/helm/releases/0/setValueTemplates/image.registry, value: '{{.IMAGE_DOMAIN_gcr_io_x}}'}
- {op: replace, path: /manifests/helm/releases/0/setValueTemplates/image.repository, value: '{{.IMAGE_REPO_NO_DOMAIN_gcr_io_x}}'}
"#,
    );
}

#[test]
fn v2beta29_errors() {
    let err = step_err("apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kpt: {dir: .}\n");
    assert_eq!(
        err,
        UpgradeError::Unconvertible {
            version: "skaffold/v2beta29".into(),
            field: "deploy.kpt".into(),
            reason: "converting deploy.kpt isn't currently supported".into(),
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot upgrade skaffold/v2beta29 config: deploy.kpt: converting deploy.kpt isn't currently supported"
    );
    let err = step_err(
        "apiVersion: skaffold/v2beta29\nkind: Config\nprofiles:\n- name: p\n  deploy:\n    kpt: {}\n",
    );
    assert!(
        matches!(err, UpgradeError::Unconvertible { ref field, .. } if field == "profiles[0].deploy.kpt")
    );

    let err = step_err(
        "apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kubectl: {defaultNamespace: a}\n  kustomize: {defaultNamespace: b}\n",
    );
    assert!(
        err.to_string()
            .contains("can't merge defaultNamespace property"),
        "{err}"
    );
    let err = step_err(
        "apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kubectl: {}\n  kustomize: {flags: {disableValidation: true}}\n",
    );
    assert!(
        err.to_string()
            .contains("can't merge disableValidation property"),
        "{err}"
    );
    // Equal values merge.
    let up = one_step(
        "apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  kubectl: {defaultNamespace: a, flags: {disableValidation: true}}\n  kustomize: {defaultNamespace: a, flags: {disableValidation: true, delete: [--wait]}}\n",
    );
    assert_yaml_eq(
        &up.doc["deploy"],
        "kubectl: {defaultNamespace: a, flags: {delete: [--wait], disableValidation: true}}\n",
    );

    let err = step_err(
        "apiVersion: skaffold/v2beta29\nkind: Config\ndeploy:\n  helm:\n    releases: [{name: r}]\nprofiles:\n- name: p\n  patches:\n  - {op: replace, path: /deploy/helm/releases/3/artifactOverrides/image, value: x}\n",
    );
    assert!(
        matches!(err, UpgradeError::Unconvertible { ref field, .. } if field == "profiles[0].patches[0].path")
    );
}

// ---------------------------------------------------------------------------------------------
// v3 and v4 eras.

#[test]
fn v3_remote_manifests_move_to_manifests() {
    let up = one_step(
        r#"
apiVersion: skaffold/v3
kind: Config
manifests:
  rawYaml: [k8s/*.yaml]
deploy:
  kubeContext: prod
  kubectl:
    remoteManifests: [deployment/app, ns:svc/db]
    defaultNamespace: x
profiles:
- name: p
  deploy:
    kubectl:
      remoteManifests: [pod/p]
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v4beta1
kind: Config
manifests:
  rawYaml: [k8s/*.yaml]
  remoteManifests:
  - {manifest: deployment/app, kubeContext: prod}
  - {manifest: ns:svc/db, kubeContext: prod}
deploy:
  kubeContext: prod
  kubectl:
    defaultNamespace: x
profiles:
- name: p
  manifests:
    remoteManifests:
    - {manifest: pod/p}
  deploy:
    kubectl: {}
"#,
    );
}

#[test]
fn v4beta3_verify_container_keeps_only_its_fields() {
    let up = one_step(
        r#"
apiVersion: skaffold/v4beta3
kind: Config
verify:
- name: smoke
  container:
    name: c
    image: alpine
    command: [sh]
    args: [-c, 'true']
    workingdir: /tmp
    env:
    - {name: A, value: b}
    - name: B
      valuefrom: {secretKeyRef: {name: s, key: k}}
"#,
    );
    assert_yaml_eq(
        &up.doc,
        r#"
apiVersion: skaffold/v4beta4
kind: Config
verify:
- name: smoke
  container:
    name: c
    image: alpine
    command: [sh]
    args: [-c, 'true']
    env:
    - {name: A, value: b}
    - {name: B}
"#,
    );
    assert_eq!(up.warnings.len(), 2);
}

#[test]
fn v4beta4_kaniko_no_push_is_dropped() {
    let up = one_step(
        "apiVersion: skaffold/v4beta4\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    kaniko: {noPush: true, cleanup: true}\n",
    );
    assert_yaml_eq(
        &up.doc,
        "apiVersion: skaffold/v4beta5\nkind: Config\nbuild:\n  artifacts:\n  - image: a\n    kaniko: {cleanup: true}\n",
    );
}

#[test]
fn v4beta7_kpt_false_key_becomes_force() {
    for key in ["false", "'false'"] {
        let up = one_step(&format!(
            "apiVersion: skaffold/v4beta7\nkind: Config\ndeploy:\n  kpt:\n    dir: d\n    {key}: true\n"
        ));
        assert_yaml_eq(
            &up.doc,
            "apiVersion: skaffold/v4beta8\nkind: Config\ndeploy:\n  kpt: {dir: d, force: true}\n",
        );
    }
}
