//! Loads every `skaffold.yaml` of Skaffold's examples and integration testdata (copied to
//! `../shared/reference/skaffold-configs/`), compares the outcome with the table below, checks
//! that each loaded config prints back to YAML that loads into the same model (before and after
//! defaults), and runs validation (without the manifest-file check: the copies have no manifests).
//!
//! The corpus lives outside the repository. Without it the test prints a note and passes, except
//! under `CI=true`, where a missing corpus is a failure.

use std::collections::BTreeMap;

use skiff_config::defaults::{self, DefaultsOptions};
use skiff_config::{ValidateOptions, load_file, load_str, validate};
use skiff_testenv::{files_under, reference_path};

#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Loads `configs` documents, written in `skaffold/v4beta14`.
    Ok { configs: usize },
    /// Loads `configs` documents after upgrading from `from`.
    Upgraded { configs: usize, from: &'static str },
    /// Fails; the error headline (with the corpus root stripped) contains this text.
    Fails(&'static str),
}

const fn ok(configs: usize) -> Expect {
    Expect::Ok { configs }
}

const fn upgraded(configs: usize, from: &'static str) -> Expect {
    Expect::Upgraded { configs, from }
}

const fn fails(substring: &'static str) -> Expect {
    Expect::Fails(substring)
}

/// Every file of the corpus and what loading it gives.
const EXPECTED: &[(&str, Expect)] = &[
    ("examples/bazel/skaffold.yaml", ok(1)),
    ("examples/buildpacks/skaffold.yaml", ok(1)),
    ("examples/buildpacks-java/skaffold.yaml", ok(1)),
    ("examples/buildpacks-node/skaffold.yaml", ok(1)),
    ("examples/buildpacks-python/skaffold.yaml", ok(1)),
    ("examples/cross-platform-builds/skaffold.yaml", ok(1)),
    ("examples/custom/skaffold.yaml", ok(1)),
    ("examples/custom-buildx/skaffold.yaml", ok(1)),
    ("examples/custom-tests/skaffold.yaml", ok(1)),
    ("examples/dev-journey-buildpacks/skaffold.yaml", ok(1)),
    ("examples/docker-deploy/skaffold.yaml", ok(1)),
    ("examples/gcb-kaniko/skaffold.yaml", ok(1)),
    ("examples/generate-pipeline/skaffold.yaml", ok(1)),
    ("examples/getting-started/skaffold.yaml", ok(1)),
    ("examples/getting-started-kustomize/skaffold.yaml", ok(1)),
    ("examples/go-integration-coverage/skaffold.yaml", ok(1)),
    ("examples/google-cloud-build/skaffold.yaml", ok(1)),
    ("examples/grpc-e2e-tests/skaffold.yaml", ok(1)),
    ("examples/helm-deployment/skaffold.yaml", ok(1)),
    ("examples/helm-deployment-dependencies/skaffold.yaml", ok(1)),
    ("examples/helm-remote-repo/skaffold.yaml", ok(1)),
    ("examples/helm-render/skaffold.yaml", ok(1)),
    ("examples/hot-reload/skaffold.yaml", ok(1)),
    ("examples/jib/skaffold.yaml", ok(1)),
    ("examples/jib-gradle/skaffold.yaml", ok(1)),
    ("examples/jib-multimodule/skaffold.yaml", ok(1)),
    ("examples/jib-sync/skaffold-gradle.yaml", ok(1)),
    ("examples/jib-sync/skaffold-maven.yaml", ok(1)),
    ("examples/kaniko/skaffold.yaml", ok(1)),
    ("examples/ko/skaffold.yaml", ok(1)),
    ("examples/ko-sync-infer/skaffold.yaml", ok(1)),
    ("examples/kustomize/skaffold.yaml", ok(1)),
    ("examples/lifecycle-hooks/skaffold.yaml", ok(1)),
    ("examples/microservices/skaffold.yaml", ok(1)),
    (
        "examples/multi-config-microservices/base/skaffold.yaml",
        ok(1),
    ),
    (
        "examples/multi-config-microservices/leeroy-app/skaffold.yaml",
        ok(1),
    ),
    (
        "examples/multi-config-microservices/leeroy-web/skaffold.yaml",
        ok(1),
    ),
    ("examples/multi-config-microservices/skaffold.yaml", ok(1)),
    ("examples/multiple-renderers/skaffold.yaml", ok(1)),
    ("examples/nodejs/skaffold.yaml", ok(1)),
    ("examples/profile-patches/skaffold.yaml", ok(1)),
    ("examples/profiles/skaffold.yaml", ok(1)),
    ("examples/react-reload/skaffold.yaml", ok(1)),
    ("examples/react-reload-docker/skaffold.yaml", ok(1)),
    (
        "examples/remote-multi-config-microservices/skaffold.yaml",
        ok(1),
    ),
    ("examples/ruby/skaffold.yaml", ok(1)),
    ("examples/simple-artifact-dependency/skaffold.yaml", ok(1)),
    ("examples/structure-tests/skaffold.yaml", ok(1)),
    (
        "examples/tagging-with-environment-variables/skaffold.yaml",
        ok(1),
    ),
    ("examples/templated-fields/skaffold.yaml", ok(1)),
    ("examples/typescript/skaffold.yaml", ok(1)),
    ("examples/using-env-file/skaffold.yaml", ok(1)),
    (
        "integration/testdata/apply/skaffold.yaml",
        upgraded(1, "skaffold/v2beta28"),
    ),
    (
        "integration/testdata/bazel-rules-oci/skaffold.yaml",
        upgraded(1, "skaffold/v4beta5"),
    ),
    (
        "integration/testdata/build/docker-with-platform-amd/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/build/docker-with-platform-arm/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/build/gcb-with-platform/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/build/skaffold.yaml", ok(1)),
    ("integration/testdata/build/squash/skaffold.yaml", ok(1)),
    ("integration/testdata/build/ssh/skaffold.yaml", ok(1)),
    (
        "integration/testdata/build-dependencies/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/cache/skaffold.yaml",
        upgraded(1, "skaffold/v2beta28"),
    ),
    (
        "integration/testdata/custom-actions-k8s/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/custom-actions-local/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/custom-test/skaffold.yaml", ok(1)),
    ("integration/testdata/debug/skaffold.yaml", ok(1)),
    ("integration/testdata/deploy-cloudrun/skaffold.yaml", ok(1)),
    (
        "integration/testdata/deploy-cloudrun-with-hooks/module1/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/deploy-cloudrun-with-hooks/module2/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/deploy-cloudrun-with-hooks/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/deploy-cloudrun-workerpool/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/deploy-hello-tail/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/deploy-multiple/skaffold.yaml", ok(1)),
    ("integration/testdata/dev/skaffold.yaml", ok(1)),
    (
        "integration/testdata/diagnose/direct-templates/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/diagnose/multi-config/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/diagnose/multi-config/skaffold2.yaml",
        ok(1),
    ),
    (
        "integration/testdata/diagnose/multi-config/skaffold3.yaml",
        ok(1),
    ),
    (
        "integration/testdata/diagnose/not-all-envs-set/skaffold.yaml",
        upgraded(1, "skaffold/v2beta26"),
    ),
    (
        "integration/testdata/diagnose/temp-config/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/docker-deploy/skaffold.yaml", ok(1)),
    (
        "integration/testdata/docker-run-with-build-args/artifact-with-dependency/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/docker-run-with-build-args/single-artifact/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/empty-dir/skaffold.yaml", ok(1)),
    ("integration/testdata/file-sync/skaffold-infer.yaml", ok(1)),
    ("integration/testdata/file-sync/skaffold-manual.yaml", ok(1)),
    (
        "integration/testdata/fix/skaffold.yaml",
        upgraded(1, "skaffold/v1alpha1"),
    ),
    (
        "integration/testdata/fix-v2beta29/skaffold.yaml",
        upgraded(1, "skaffold/v2beta29"),
    ),
    (
        "integration/testdata/gcb-explicit-repo/skaffold.yaml",
        upgraded(1, "skaffold/v1beta4"),
    ),
    (
        "integration/testdata/gcb-sub-folder/skaffold.yaml",
        upgraded(1, "skaffold/v1beta4"),
    ),
    (
        "integration/testdata/gcb-with-location/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/generate_pipeline/existing_oncluster/skaffold.yaml",
        upgraded(1, "skaffold/v1beta11"),
    ),
    (
        "integration/testdata/generate_pipeline/existing_other/skaffold.yaml",
        upgraded(1, "skaffold/v1beta11"),
    ),
    (
        "integration/testdata/generate_pipeline/multiple_configs/skaffold.yaml",
        upgraded(1, "skaffold/v1beta13"),
    ),
    (
        "integration/testdata/generate_pipeline/multiple_configs/sub-app/skaffold.yaml",
        upgraded(1, "skaffold/v1beta13"),
    ),
    (
        "integration/testdata/generate_pipeline/no_profiles/skaffold.yaml",
        upgraded(1, "skaffold/v1beta11"),
    ),
    ("integration/testdata/getting-started/skaffold.yaml", ok(1)),
    ("integration/testdata/gke_loadbalancer/skaffold.yaml", ok(1)),
    (
        "integration/testdata/gke_loadbalancer-render/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/hello/skaffold.yaml", ok(1)),
    ("integration/testdata/helm/skaffold.yaml", ok(1)),
    (
        "integration/testdata/helm-deploy-namespace/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/helm-deploy-namespace-v1-schema/skaffold.yaml",
        upgraded(1, "skaffold/v2beta29"),
    ),
    (
        "integration/testdata/helm-manifests-and-deploy-namespace/skaffold.yaml",
        upgraded(1, "skaffold/v4beta2"),
    ),
    (
        "integration/testdata/helm-manifests-namespace/skaffold.yaml",
        upgraded(1, "skaffold/v4beta2"),
    ),
    (
        "integration/testdata/helm-multi-namespaces/skaffold.yaml",
        upgraded(1, "skaffold/v4beta4"),
    ),
    ("integration/testdata/helm-render/skaffold.yaml", ok(1)),
    (
        "integration/testdata/helm-render-delete/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/helm-render-simple/skaffold.yaml",
        upgraded(1, "skaffold/v4beta2"),
    ),
    (
        "integration/testdata/helm-statefulset-v1-schema/skaffold.yaml",
        upgraded(1, "skaffold/v2beta29"),
    ),
    ("integration/testdata/init/compose/skaffold.yaml", ok(1)),
    (
        "integration/testdata/init/hello-with-manifest/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/init/helm-project/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/cluster/skaffold.add.default.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/cluster/skaffold.add.profile.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/cluster/skaffold.cluster.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/cluster/skaffold.local.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/cluster/skaffold.modified.default.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/cluster/skaffold.modified.profile.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/gcb/skaffold.add.default.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/gcb/skaffold.add.profile.yaml",
        ok(1),
    ),
    ("integration/testdata/inspect/gcb/skaffold.gcb.yaml", ok(1)),
    (
        "integration/testdata/inspect/gcb/skaffold.local.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/gcb/skaffold.modified.default.yaml",
        ok(1),
    ),
    (
        "integration/testdata/inspect/gcb/skaffold.modified.profile.yaml",
        ok(1),
    ),
    ("integration/testdata/jib/skaffold.yaml", ok(1)),
    (
        "integration/testdata/kaniko-explicit-repo/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/kaniko-insecure-registry/app/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/kaniko-insecure-registry/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/kaniko-microservices/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/kaniko-sub-folder/skaffold.yaml",
        ok(1),
    ),
    ("integration/testdata/kaniko-target/skaffold.yaml", ok(1)),
    (
        "integration/testdata/kubectl-with-default-namespace/skaffold.yaml",
        upgraded(1, "skaffold/v4beta1"),
    ),
    ("integration/testdata/kustomize/remote/skaffold.yaml", ok(1)),
    ("integration/testdata/modules/app1/skaffold.yaml", ok(1)),
    ("integration/testdata/modules/app2/skaffold.yaml", ok(1)),
    ("integration/testdata/modules/app3/skaffold.yaml", ok(1)),
    ("integration/testdata/modules/skaffold.yaml", ok(1)),
    (
        "integration/testdata/multi-config-dependencies-order/module1/skaffold.yaml",
        upgraded(1, "skaffold/v3"),
    ),
    (
        "integration/testdata/multi-config-dependencies-order/module2/skaffold.yaml",
        upgraded(1, "skaffold/v3"),
    ),
    (
        "integration/testdata/multi-config-dependencies-order/module3/skaffold.yaml",
        upgraded(1, "skaffold/v3"),
    ),
    (
        "integration/testdata/multi-config-dependencies-order/module4/skaffold.yaml",
        upgraded(1, "skaffold/v3"),
    ),
    (
        "integration/testdata/multi-config-dependencies-order/skaffold.yaml",
        upgraded(1, "skaffold/v3"),
    ),
    (
        "integration/testdata/multi-config-pods/module1/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/multi-config-pods/module2/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/multi-config-pods/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/post-render-hooks/module1/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/post-render-hooks/module2/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/post-render-hooks/skaffold.yaml",
        ok(1),
    ),
    (
        "integration/testdata/regressions/docker-config-path/skaffold.yaml",
        upgraded(1, "skaffold/v1beta11"),
    ),
    (
        "integration/testdata/status-check-tolerance/skaffold.yaml",
        upgraded(1, "skaffold/v2beta29"),
    ),
    ("integration/testdata/tagPolicy/skaffold.yaml", ok(1)),
    ("integration/testdata/test-events/skaffold.yaml", ok(1)),
    (
        "integration/testdata/unstable-deployment/skaffold.yaml",
        upgraded(1, "skaffold/v1beta12"),
    ),
    ("integration/testdata/verify-fail/skaffold.yaml", ok(1)),
    ("integration/testdata/verify-fail-k8s/skaffold.yaml", ok(1)),
    ("integration/testdata/verify-no-tests/skaffold.yaml", ok(1)),
    ("integration/testdata/verify-succeed/skaffold.yaml", ok(1)),
    (
        "integration/testdata/verify-succeed-k8s/skaffold.yaml",
        ok(1),
    ),
    // Comment-only file (Skaffold's stub pointing at the online reference).
    (
        "examples/annotated-skaffold.yaml",
        fails("examples/annotated-skaffold.yaml: failed to get any valid configs from file"),
    ),
    // Uses the legacy `deploy.kustomize`, which v4beta14 no longer has (Skaffold rejects it too).
    (
        "examples/kustomize/skaffold-kustomize-args.yaml",
        fails(
            "examples/kustomize/skaffold-kustomize-args.yaml:4:3: deploy: unknown field `kustomize`, expected one of:",
        ),
    ),
    // `docker.secret` is not a v4beta14 field (`secrets` is): Skaffold rejects the file too.
    (
        "integration/testdata/build/secret/skaffold.yaml",
        fails(
            "integration/testdata/build/secret/skaffold.yaml:10:7: build.artifacts[0].docker: unknown field `secret`, did you mean `secrets`?",
        ),
    ),
    // Kubernetes RBAC manifests, not a skaffold config.
    (
        "integration/testdata/skaffold-in-cluster/build-step/skaffold-rbac.yaml",
        fails(
            "skaffold-rbac.yaml:1:13: apiVersion: not a skaffold config: apiVersion \"v1\", kind \"ServiceAccount\"",
        ),
    ),
    // A v1beta13 profile with `manifests`, a key that version does not have (Skaffold's strict
    // parse of v1beta13 rejects it before upgrading).
    (
        "integration/testdata/skaffold-in-cluster/skaffold.yaml",
        fails(
            "integration/testdata/skaffold-in-cluster/skaffold.yaml:16:5: profiles[0].manifests: field \"manifests\" is not valid in skaffold/v1beta13",
        ),
    ),
];

/// Loaded files whose validation (after defaults, one file at a time) fails, with a substring
/// of each error headline. All other loaded files must validate cleanly.
const VALIDATION_FAILURES: &[(&str, &[&str])] = &[
    // `requires` points at another module's artifact; the set is complete only once `requires`
    // pulls in `base/skaffold.yaml`.
    (
        "examples/multi-config-microservices/leeroy-app/skaffold.yaml",
        &[
            "11:7: build.artifacts[0].requires[0].image: unknown build dependency \"base\" for artifact \"leeroy-app\"",
        ],
    ),
    (
        "examples/multi-config-microservices/leeroy-web/skaffold.yaml",
        &[
            "11:7: build.artifacts[0].requires[0].image: unknown build dependency \"base\" for artifact \"leeroy-web\"",
        ],
    ),
    (
        "integration/testdata/modules/app1/skaffold.yaml",
        &["unknown build dependency \"image2\" for artifact \"image1\""],
    ),
    (
        "integration/testdata/modules/app2/skaffold.yaml",
        &["unknown build dependency \"image3\" for artifact \"image2\""],
    ),
    // A diagnose fixture: a port forward without `resourceType` (Skaffold's validation rejects it).
    (
        "integration/testdata/diagnose/direct-templates/skaffold.yaml",
        &["43:5: portForward[0].resourceType: resourceType is required for port forwarding"],
    ),
];

#[test]
fn corpus() {
    let Some(root) = reference_path("skaffold-configs") else {
        return;
    };
    let files = files_under(&root);
    let expected: BTreeMap<&str, Expect> = EXPECTED.iter().copied().collect();
    assert_eq!(expected.len(), EXPECTED.len(), "duplicate rows in EXPECTED");
    let validation: BTreeMap<&str, &[&str]> = VALIDATION_FAILURES.iter().copied().collect();
    let prefix = format!("{}/", root.display());

    let mut problems = Vec::new();
    let mut seen = 0;
    let (mut loaded, mut upgraded_count, mut failed) = (0, 0, 0);
    for file in &files {
        let rel = file
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(expect) = expected.get(rel.as_str()).copied() else {
            problems.push(format!("{rel}: not in the expectation table"));
            continue;
        };
        seen += 1;
        let result = load_file(file);
        match (expect, result) {
            (Expect::Fails(want), Err(e)) => {
                failed += 1;
                let got = e.headline().replace(&prefix, "");
                if !got.contains(want) {
                    problems.push(format!(
                        "{rel}: expected an error containing {want:?}, got {got:?}"
                    ));
                }
            }
            (Expect::Fails(want), Ok(_)) => problems.push(format!(
                "{rel}: loaded, expected an error containing {want:?}"
            )),
            (Expect::Ok { .. } | Expect::Upgraded { .. }, Err(e)) => {
                problems.push(format!(
                    "{rel}: expected to load, got {}",
                    e.to_string().replace(&prefix, "")
                ));
            }
            (Expect::Ok { configs } | Expect::Upgraded { configs, .. }, Ok(mut set)) => {
                loaded += 1;
                let from = match expect {
                    Expect::Upgraded { from, .. } => {
                        upgraded_count += 1;
                        from
                    }
                    _ => "skaffold/v4beta14",
                };
                if set.len() != configs {
                    problems.push(format!("{rel}: {} configs, expected {configs}", set.len()));
                }
                for e in &set.entries {
                    if e.source.original_api_version != from {
                        problems.push(format!(
                            "{rel}: written in {}, expected {from}",
                            e.source.original_api_version
                        ));
                    }
                }
                round_trip(&rel, &set, "as loaded", &mut problems);
                if let Err(e) = defaults::apply(&mut set, &DefaultsOptions::default()) {
                    problems.push(format!("{rel}: defaults failed: {e}"));
                    continue;
                }
                round_trip(&rel, &set, "after defaults", &mut problems);
                let want: &[&str] = validation.get(rel.as_str()).copied().unwrap_or(&[]);
                let got: Vec<String> = match validate(&set, &ValidateOptions::default()) {
                    Ok(()) => Vec::new(),
                    Err(es) => es
                        .iter()
                        .map(|e| e.headline().replace(&prefix, ""))
                        .collect(),
                };
                let matches =
                    got.len() == want.len() && got.iter().zip(want).all(|(g, w)| g.contains(w));
                if !matches {
                    problems.push(format!(
                        "{rel}: validation gave {got:#?}, expected {want:?}"
                    ));
                }
            }
        }
    }
    if seen != EXPECTED.len() {
        problems.push(format!("{} table rows have no file", EXPECTED.len() - seen));
    }
    eprintln!(
        "corpus: {} files, {loaded} loaded ({upgraded_count} upgraded from older versions), {failed} failed as expected",
        files.len()
    );
    assert!(
        problems.is_empty(),
        "{} corpus problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn round_trip(rel: &str, set: &skiff_config::ConfigSet, when: &str, problems: &mut Vec<String>) {
    let yaml = match set.to_yaml() {
        Ok(y) => y,
        Err(e) => {
            problems.push(format!("{rel}: cannot serialize {when}: {e}"));
            return;
        }
    };
    match load_str(&yaml, "round-trip.yaml") {
        Ok(again) => {
            if !again.configs().eq(set.configs()) {
                problems.push(format!(
                    "{rel}: round trip {when} changed the model:\n{yaml}"
                ));
            }
        }
        Err(e) => problems.push(format!(
            "{rel}: round trip {when} does not load: {e}\n{yaml}"
        )),
    }
}
