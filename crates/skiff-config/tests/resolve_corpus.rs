//! Resolves every config of Skaffold's examples and integration testdata that has `requires` or
//! `profiles`, without `-p` and with each of its profiles, and checks that each resolution
//! succeeds or fails with the expected error. Also checks that `docs/compat/config-corpus.md` is
//! what `cargo run -q -p skiff-config --example config_corpus` prints.
//!
//! The corpus lives outside the repository. Without it the test prints a note and passes, except
//! under `CI=true`, where a missing corpus is a failure.

mod support;

use std::collections::BTreeMap;

use support::corpus_report::{self, Load, Resolve};

/// Resolutions that fail: (file, profile or `""` for no `-p`, substring of the error).
const FAILURES: &[(&str, &str, &str)] = &[
    // A git dependency on github.com: the test never uses the network.
    (
        "examples/remote-multi-config-microservices/skaffold.yaml",
        "",
        "skaffold.yaml:4:3: requires[0].git: cache directory \"<cache>/3nyjsIqzM5lcZmOZwiqIsR_gSj9aLp8h\" for repository \"https://github.com/GoogleContainerTools/skaffold\" at ref \"main\" does not exist, and repository sync is explicitly disabled via flag `--sync-remote-cache`",
    ),
    // Skaffold's integration tests expect these two profiles to fail validation.
    (
        "integration/testdata/build-dependencies/skaffold.yaml",
        "invalid-dependency",
        "skaffold.yaml:16:7: build.artifacts[0].requires[0].image: unknown build dependency \"image5\" for artifact \"image1\"",
    ),
    (
        "integration/testdata/build-dependencies/skaffold.yaml",
        "circular-dependency",
        "build.artifacts[0]: cycle detected in build dependencies involving \"image1\"",
    ),
];

/// The configs (in order) that some multi-config projects resolve to without `-p`.
const ORDERS: &[(&str, &[&str])] = &[
    (
        "examples/multi-config-microservices/skaffold.yaml",
        &[
            "examples/multi-config-microservices/base/skaffold.yaml#0",
            "app-config",
            "web-config",
            "examples/multi-config-microservices/skaffold.yaml#0",
        ],
    ),
    (
        "integration/testdata/multi-config-dependencies-order/skaffold.yaml",
        &[
            "module4",
            "module3",
            "module2",
            "module1",
            "integration/testdata/multi-config-dependencies-order/skaffold.yaml#0",
        ],
    ),
    (
        "integration/testdata/diagnose/multi-config/skaffold.yaml",
        &[
            "cfg2",
            "cfg3",
            "integration/testdata/diagnose/multi-config/skaffold.yaml#0",
        ],
    ),
    (
        "integration/testdata/modules/skaffold.yaml",
        &[
            "integration/testdata/modules/app3/skaffold.yaml#0",
            "integration/testdata/modules/app2/skaffold.yaml#0",
            "integration/testdata/modules/app1/skaffold.yaml#0",
            "integration/testdata/modules/skaffold.yaml#0",
        ],
    ),
];

#[test]
fn resolve_corpus() {
    let Some(root) = skiff_testenv::reference_path("skaffold-configs") else {
        return;
    };
    let root = root.canonicalize().unwrap();
    let rows = corpus_report::rows(&root);
    assert_eq!(rows.len(), 164, "the corpus has 164 files");

    let failures: BTreeMap<(&str, &str), &str> =
        FAILURES.iter().map(|(f, p, e)| ((*f, *p), *e)).collect();
    let orders: BTreeMap<&str, &[&str]> = ORDERS.iter().copied().collect();
    let mut problems = Vec::new();
    let mut seen_failures = 0;
    let mut resolutions = 0;
    for row in &rows {
        if let Load::Fails(_) = row.load {
            assert!(row.resolves.is_empty());
        }
        for (profile, outcome) in &row.resolves {
            resolutions += 1;
            let what = if profile.is_empty() {
                format!("{} (no -p)", row.rel)
            } else {
                format!("{} -p {profile}", row.rel)
            };
            match (failures.get(&(row.rel.as_str(), profile.as_str())), outcome) {
                (None, Resolve::Ok(configs)) => {
                    if profile.is_empty()
                        && let Some(want) = orders.get(row.rel.as_str())
                        && configs != want
                    {
                        problems.push(format!("{what}: configs {configs:?}, expected {want:?}"));
                    }
                    if !profile.is_empty()
                        && !configs.iter().any(|c| {
                            c.ends_with(&format!("[{profile}]"))
                                || c.contains(&format!("[{profile},"))
                                || c.contains(&format!(",{profile}]"))
                        })
                    {
                        problems.push(format!("{what}: the profile was not applied: {configs:?}"));
                    }
                }
                (None, Resolve::Fails(es)) => {
                    problems.push(format!("{what}: expected to resolve, got {es:#?}"))
                }
                (Some(want), Resolve::Ok(_)) => problems.push(format!(
                    "{what}: resolved, expected an error containing {want:?}"
                )),
                (Some(want), Resolve::Fails(es)) => {
                    seen_failures += 1;
                    if !es.iter().any(|e| e.contains(want)) {
                        problems.push(format!(
                            "{what}: expected an error containing {want:?}, got {es:#?}"
                        ));
                    }
                }
            }
        }
    }
    if seen_failures != FAILURES.len() {
        problems.push(format!(
            "{} expected failures were not resolved at all",
            FAILURES.len() - seen_failures
        ));
    }
    eprintln!(
        "resolve corpus: {resolutions} resolutions of {} files, {seen_failures} failed as expected",
        rows.iter().filter(|r| !r.resolves.is_empty()).count()
    );

    let report = corpus_report::markdown(&rows);
    let path = corpus_report::report_path();
    match std::fs::read_to_string(&path) {
        Ok(committed) if committed == report => {}
        Ok(_) => problems.push(format!(
            "{} is out of date: regenerate it with `cargo run -q -p skiff-config --example config_corpus > docs/compat/config-corpus.md`",
            path.display()
        )),
        Err(e) => problems.push(format!("cannot read {}: {e}", path.display())),
    }

    assert!(
        problems.is_empty(),
        "{} corpus problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
