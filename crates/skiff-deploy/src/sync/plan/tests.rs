use std::fs;

use skiff_config::model::{
    ArtifactDependency, ArtifactType, CustomArtifact, CustomDependencies, CustomDependencySource,
    DockerArtifact, DockerfileDependency, Sync, SyncRule,
};
use skiff_proto::enums::StatusCode;

use super::*;

/// A docker artifact with the given sync mode.
fn artifact(mode: Option<SyncMode>) -> Artifact {
    Artifact {
        image: "app".into(),
        sync: mode.map(|mode| Sync {
            mode: Some(mode),
            ..Default::default()
        }),
        artifact_type: Some(ArtifactType::Docker(DockerArtifact::default())),
        ..Default::default()
    }
}

fn manual(rules: &[(&str, &str, &str)]) -> Option<SyncMode> {
    Some(SyncMode::Manual(
        rules
            .iter()
            .map(|(src, dest, strip)| SyncRule {
                src: (*src).into(),
                dest: (*dest).into(),
                strip: (*strip).into(),
            })
            .collect(),
    ))
}

fn infer(patterns: &[&str]) -> Option<SyncMode> {
    Some(SyncMode::Infer(
        patterns.iter().map(|p| (*p).into()).collect(),
    ))
}

const WS: &str = "/ws";

fn at(rel: &str) -> PathBuf {
    Path::new(WS).join(rel)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(PathBuf, String)> {
    list.iter().map(|(l, d)| (at(l), (*d).to_owned())).collect()
}

#[test]
fn manual_rules_map_copies_and_deletions() {
    let a = artifact(manual(&[
        ("**/*.html", ".", ""),
        ("static/**", "/srv", "static/"),
    ]));
    let plan = plan_sync(
        &a,
        Path::new(WS),
        "/www",
        &[at("index.html"), at("static/css/a.css")],
        &[at("old/gone.html")],
    )
    .unwrap()
    .unwrap();
    assert_eq!(
        plan.copy,
        pairs(&[
            ("index.html", "/www/index.html"),
            ("static/css/a.css", "/srv/css/a.css")
        ])
    );
    assert_eq!(
        plan.delete,
        pairs(&[("old/gone.html", "/www/old/gone.html")])
    );
    assert_eq!(plan.file_count(), 3);
}

#[test]
fn manual_sync_is_all_or_nothing() {
    let a = artifact(manual(&[("*.html", ".", "")]));
    let changed = [at("index.html"), at("main.go")];
    assert_eq!(
        plan_sync(&a, Path::new(WS), "/", &changed, &[]).unwrap(),
        None
    );
    // A deletion no rule covers rebuilds too.
    let plan = plan_sync(&a, Path::new(WS), "/", &[at("a.html")], &[at("Dockerfile")]);
    assert_eq!(plan.unwrap(), None);
    // So does a file outside the workspace.
    let plan = plan_sync(
        &a,
        Path::new(WS),
        "/",
        &[PathBuf::from("/elsewhere/a.html")],
        &[],
    );
    assert_eq!(plan.unwrap(), None);
}

#[test]
fn a_file_copied_twice_counts_once() {
    let a = artifact(manual(&[("*.txt", "/a", ""), ("*.txt", "/b", "")]));
    let plan = plan_sync(&a, Path::new(WS), "/", &[at("x.txt")], &[])
        .unwrap()
        .unwrap();
    assert_eq!(
        plan.copy,
        pairs(&[("x.txt", "/a/x.txt"), ("x.txt", "/b/x.txt")])
    );
    assert_eq!(plan.file_count(), 1);
}

#[test]
fn no_rules_or_no_change_means_rebuild() {
    for mode in [None, manual(&[]), infer(&[]), Some(SyncMode::Auto(false))] {
        let a = artifact(mode);
        assert_eq!(
            plan_sync(&a, Path::new(WS), "/", &[at("x")], &[]).unwrap(),
            None
        );
    }
    let a = artifact(manual(&[("**", ".", "")]));
    assert_eq!(plan_sync(&a, Path::new(WS), "/", &[], &[]).unwrap(), None);
}

#[test]
fn auto_is_not_available_for_docker_artifacts() {
    let a = artifact(Some(SyncMode::Auto(true)));
    assert_eq!(
        plan_sync(&a, Path::new(WS), "/", &[at("x")], &[]).unwrap(),
        None
    );
}

#[test]
fn malformed_globs_are_errors() {
    let a = artifact(manual(&[("[", ".", "")]));
    let err = plan_sync(&a, Path::new(WS), "/", &[at("x")], &[]).unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
}

/// A workspace with a Dockerfile copying `index.html` and `static/` into `/www`.
fn infer_workspace() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("Dockerfile"),
        "FROM base AS build\nCOPY main.go /src/\nFROM base\nWORKDIR /www\nCOPY index.html .\nCOPY static/ static/\n",
    )
    .unwrap();
    for file in ["index.html", "main.go", "static/a.css", "notes.txt"] {
        let path = root.join(file);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, "x").unwrap();
    }
    dir
}

#[test]
fn infer_uses_the_last_stage_copies() {
    let dir = infer_workspace();
    let ws = dir.path();
    let a = artifact(infer(&["**/*"]));
    let changed = [ws.join("index.html"), ws.join("static/a.css")];
    let plan = plan_sync(&a, ws, "/ignored", &changed, &[])
        .unwrap()
        .unwrap();
    assert_eq!(
        plan.copy,
        [
            (ws.join("index.html"), "/www/index.html".to_owned()),
            (ws.join("static/a.css"), "/www/static/a.css".to_owned()),
        ]
    );
    assert!(plan.delete.is_empty());
}

#[test]
fn infer_rebuilds_for_deletions_unmatched_and_uncopied_files() {
    let dir = infer_workspace();
    let ws = dir.path();
    let a = artifact(infer(&["*.html"]));
    // Matches no infer glob.
    let plan = plan_sync(&a, ws, "/", &[ws.join("static/a.css")], &[]).unwrap();
    assert_eq!(plan, None);
    // Copied only by an earlier stage.
    let a = artifact(infer(&["**/*"]));
    assert_eq!(
        plan_sync(&a, ws, "/", &[ws.join("main.go")], &[]).unwrap(),
        None
    );
    // Not copied at all.
    assert_eq!(
        plan_sync(&a, ws, "/", &[ws.join("notes.txt")], &[]).unwrap(),
        None
    );
    // Any deletion.
    let plan = plan_sync(
        &a,
        ws,
        "/",
        &[ws.join("index.html")],
        &[ws.join("static/b.css")],
    );
    assert_eq!(plan.unwrap(), None);
}

#[test]
fn infer_reads_a_custom_artifacts_dockerfile() {
    let dir = infer_workspace();
    let ws = dir.path();
    let mut a = artifact(infer(&["**/*"]));
    a.artifact_type = Some(ArtifactType::Custom(CustomArtifact {
        dependencies: Some(CustomDependencies {
            source: Some(CustomDependencySource::Dockerfile(DockerfileDependency {
                path: "Dockerfile".into(),
                ..Default::default()
            })),
            ..Default::default()
        }),
        ..Default::default()
    }));
    let plan = plan_sync(&a, ws, "/", &[ws.join("index.html")], &[])
        .unwrap()
        .unwrap();
    assert_eq!(
        plan.copy,
        [(ws.join("index.html"), "/www/index.html".to_owned())]
    );

    // Without a Dockerfile there is no sync map.
    a.artifact_type = Some(ArtifactType::Custom(CustomArtifact::default()));
    let err = plan_sync(&a, ws, "/", &[ws.join("index.html")], &[]).unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
    assert!(err.message.contains("inferring syncmap"), "{}", err.message);
}

#[test]
fn required_artifacts_ignore_their_sync_rules() {
    let base = artifact(manual(&[("**", ".", "")]));
    let mut app = artifact(None);
    app.image = "web".into();
    app.requires = vec![ArtifactDependency {
        image: "app".into(),
        alias: "BASE".into(),
    }];
    let all = [base.clone(), app.clone()];
    assert_eq!(
        sync_ignored_warning(&base, &all).as_deref(),
        Some(
            "Ignoring sync rules for image \"app\" as it is being used as a required artifact \
             for other images."
        )
    );
    assert_eq!(sync_ignored_warning(&app, &all), None);
    assert_eq!(
        sync_ignored_warning(&base, std::slice::from_ref(&base)),
        None
    );
}
