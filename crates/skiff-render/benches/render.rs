//! Hydrating 1,000 rawYaml documents of mixed kinds: image substitution, run labels and a
//! namespace, with and without parsing the YAML text first.

use std::fmt::Write;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use skiff_render::images::replace_images;
use skiff_render::labels::{run_labels, set_labels};
use skiff_render::namespace::set_namespace;
use skiff_render::{BuiltArtifact, ManifestList, TransformRules};

const DOCUMENTS: usize = 1_000;
const ARTIFACTS: usize = 10;

/// One manifest of the kind chosen by `i`, using artifact `app-<i % ARTIFACTS>`.
fn document(i: usize) -> String {
    let app = format!("app-{}", i % ARTIFACTS);
    match i % 8 {
        0 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  labels: {{app: web-{i}}}\nspec:\n  replicas: 2\n  selector: {{matchLabels: {{app: web-{i}}}}}\n  template:\n    metadata: {{labels: {{app: web-{i}}}}}\n    spec:\n      initContainers: [{{name: init, image: busybox}}]\n      containers:\n      - name: web\n        image: {app}\n        ports: [{{containerPort: 8080}}]\n        env: [{{name: MODE, value: dev}}]\n"
        ),
        1 => format!(
            "apiVersion: v1\nkind: Service\nmetadata: {{name: web-{i}}}\nspec:\n  selector: {{app: web-{i}}}\n  ports: [{{port: 80, targetPort: 8080}}]\n"
        ),
        2 => format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: config-{i}}}\ndata:\n  settings.yaml: |\n    level: debug\n    image: {app}\n"
        ),
        3 => format!(
            "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {{name: db-{i}}}\nspec:\n  serviceName: db-{i}\n  selector: {{matchLabels: {{app: db-{i}}}}}\n  template:\n    metadata: {{labels: {{app: db-{i}}}}}\n    spec: {{containers: [{{name: db, image: '{app}:v1'}}]}}\n  volumeClaimTemplates: [{{metadata: {{name: data}}, spec: {{accessModes: [ReadWriteOnce]}}}}]\n"
        ),
        4 => format!(
            "apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: cron-{i}}}\nspec:\n  schedule: '*/5 * * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: OnFailure\n          initContainers: [{{name: prep, image: {app}}}]\n          containers: [{{name: run, image: {app}}}]\n"
        ),
        5 => format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i}, namespace: other}}\nspec:\n  containers: [{{name: main, image: {app}}}]\n  ephemeralContainers: [{{name: debug, image: busybox}}]\n"
        ),
        6 => format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: job-{i}}}\nspec:\n  template:\n    metadata: {{labels: {{job: j-{i}}}}}\n    spec: {{restartPolicy: Never, containers: [{{name: job, image: {app}}}]}}\n"
        ),
        _ => format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {{name: wf-{i}}}\nspec:\n  entrypoint: main\n  templates:\n  - name: main\n    container: {{image: {app}, command: [run]}}\n"
        ),
    }
}

fn corpus() -> String {
    (0..DOCUMENTS).fold(String::new(), |mut text, i| {
        let _ = write!(text, "---\n{}", document(i));
        text
    })
}

fn artifacts() -> Vec<BuiltArtifact> {
    (0..ARTIFACTS)
        .map(|i| {
            BuiltArtifact::new(
                format!("app-{i}"),
                format!("registry.example.com/team/app-{i}:v1.2.3@sha256:{:064x}", i),
            )
        })
        .collect()
}

fn hydrate(list: &mut ManifestList, artifacts: &[BuiltArtifact], rules: &TransformRules) {
    let custom = [("team".to_string(), "core".to_string())].into();
    let labels = run_labels(Some("3f1c2a4e-run"), &custom);
    replace_images(list, artifacts, rules).expect("images");
    set_labels(list, &labels, rules).expect("labels");
    set_namespace(list, "dev", rules).expect("namespace");
}

fn bench(c: &mut Criterion) {
    let text = corpus();
    let parsed = ManifestList::parse(&text, "bench").expect("corpus parses");
    assert_eq!(parsed.len(), DOCUMENTS);
    let artifacts = artifacts();
    let rules = TransformRules::default();

    c.bench_function("hydrate 1000 docs", |b| {
        b.iter_batched(
            || parsed.clone(),
            |mut list| {
                hydrate(&mut list, &artifacts, &rules);
                black_box(list)
            },
            BatchSize::LargeInput,
        )
    });
    c.bench_function("parse 1000 docs (baseline)", |b| {
        b.iter(|| black_box(ManifestList::parse(black_box(&text), "bench").expect("parse")))
    });
    c.bench_function("parse + hydrate 1000 docs", |b| {
        b.iter(|| {
            let mut list = ManifestList::parse(black_box(&text), "bench").expect("parse");
            hydrate(&mut list, &artifacts, &rules);
            black_box(list)
        })
    });
    c.bench_function("parse + hydrate + print 1000 docs", |b| {
        b.iter(|| {
            let mut list = ManifestList::parse(black_box(&text), "bench").expect("parse");
            hydrate(&mut list, &artifacts, &rules);
            black_box(list.to_yaml())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
