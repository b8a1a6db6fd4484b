//! Dependencies of custom artifacts on temporary projects: `paths` with `ignore` (doublestar
//! globs, as Skaffold's `list.Files`), `dockerfile`, and `command` (a real process printing
//! JSON).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use skiff_build::custom::doublestar;
use skiff_build::custom::{CustomDepsError, ListError, custom_dependencies, list_files};
use skiff_config::model::{
    CustomArtifact, CustomDependencies, CustomDependencySource, DockerfileDependency,
};

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

/// A Go project with tests, vendored code, hidden files, node_modules and a symbolic link.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for f in [
        "main.go",
        "README.md",
        ".env",
        "pkg/util.go",
        "pkg/util_test.go",
        "pkg/deep/er/x.go",
        "vendor/lib/lib.go",
        "node_modules/m/index.js",
        "build.sh",
    ] {
        write(root, f, f);
    }
    fs::create_dir(root.join("empty")).unwrap();
    std::os::unix::fs::symlink("pkg", root.join("link")).unwrap();
    dir
}

fn paths(v: &[PathBuf]) -> Vec<&str> {
    v.iter().map(|p| p.to_str().unwrap()).collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn custom(source: CustomDependencySource, ignore: &[&str]) -> CustomArtifact {
    CustomArtifact {
        build_command: "./build.sh".into(),
        dependencies: Some(CustomDependencies {
            source: Some(source),
            ignore: strings(ignore),
        }),
    }
}

const TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn the_default_is_every_file_of_the_context() {
    let dir = project();
    let a = CustomArtifact {
        build_command: "./build.sh".into(),
        dependencies: None,
    };
    let deps = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap();
    assert_eq!(
        paths(&deps),
        [
            ".env",
            "README.md",
            "build.sh",
            "link",
            "main.go",
            "node_modules/m/index.js",
            "pkg/deep/er/x.go",
            "pkg/util.go",
            "pkg/util_test.go",
            "vendor/lib/lib.go",
        ]
    );
}

#[test]
fn paths_minus_ignore() {
    let dir = project();
    let a = custom(
        CustomDependencySource::Paths(strings(&["."])),
        &["vendor", "**/*_test.go", "node_modules/**", ".env"],
    );
    let deps = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap();
    assert_eq!(
        paths(&deps),
        [
            "README.md",
            "build.sh",
            "link",
            "main.go",
            "pkg/deep/er/x.go",
            "pkg/util.go",
        ]
    );

    // As in Skaffold, an ignore pattern is matched against the walked root too: `.*` matches
    // the context itself (`.`), so nothing is left.
    let a = custom(CustomDependencySource::Paths(strings(&["."])), &[".*"]);
    assert!(
        custom_dependencies(&a, dir.path(), TIMEOUT)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn globstar_patterns() {
    let dir = project();
    let root = dir.path();
    let list = |p: &[&str], i: &[&str]| list_files(root, &strings(p), &strings(i)).unwrap();
    // `**` matches zero directories too, and follows the link to `pkg` when globbing.
    assert_eq!(
        paths(&list(&["**/*.go"], &[])),
        [
            "link/deep/er/x.go",
            "link/util.go",
            "link/util_test.go",
            "main.go",
            "pkg/deep/er/x.go",
            "pkg/util.go",
            "pkg/util_test.go",
            "vendor/lib/lib.go",
        ]
    );
    assert_eq!(
        paths(&list(&["pkg/**/*.go", "*.md"], &["**/deep/**"])),
        ["README.md", "pkg/util.go", "pkg/util_test.go"]
    );
    // Ignore patterns apply to the paths walked from each match: a file matched directly by a
    // pattern is checked itself, not its directories (as in Skaffold).
    assert_eq!(
        paths(&list(&["pkg/**/*.go"], &["**/deep"])),
        ["pkg/deep/er/x.go", "pkg/util.go", "pkg/util_test.go"]
    );
    assert_eq!(
        paths(&list(&["pkg"], &["**/deep"])),
        ["pkg/util.go", "pkg/util_test.go"]
    );
    assert_eq!(
        paths(&list(
            &["{main.go,pkg/*.go}"],
            &["*_test.go", "pkg/*_test.go"]
        )),
        ["main.go", "pkg/util.go"]
    );
    // A directory matched by a pattern is walked; an excluded one is not.
    assert_eq!(
        paths(&list(&["pkg"], &["pkg/deep"])),
        ["pkg/util.go", "pkg/util_test.go"]
    );
    // Empty directories contribute nothing, without an error.
    assert!(list(&["empty"], &[]).is_empty());
}

#[test]
fn paths_outside_the_context_are_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app/main.go", "");
    write(dir.path(), "shared/proto/a.proto", "");
    let deps = list_files(
        &dir.path().join("app"),
        &strings(&[".", "../shared/**/*.proto"]),
        &[],
    )
    .unwrap();
    assert_eq!(paths(&deps), ["../shared/proto/a.proto", "main.go"]);
}

#[test]
fn a_pattern_matching_nothing_is_an_error() {
    let dir = project();
    let err = list_files(dir.path(), &strings(&["main.go", "src/**"]), &[]).unwrap_err();
    assert!(matches!(err, ListError::NoMatch { .. }));
    assert_eq!(err.to_string(), "pattern \"src/**\" did not match any file");

    let err = list_files(dir.path(), &strings(&["."]), &strings(&["[a-"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid pattern \"[a-\": syntax error in pattern"
    );
}

#[test]
fn no_source_means_no_dependencies() {
    let dir = project();
    let a = CustomArtifact {
        build_command: "./build.sh".into(),
        dependencies: Some(CustomDependencies {
            source: None,
            ignore: strings(&["vendor"]),
        }),
    };
    assert!(
        custom_dependencies(&a, dir.path(), TIMEOUT)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn from_a_dockerfile() {
    let dir = project();
    write(
        dir.path(),
        "build/Dockerfile",
        "FROM scratch\nARG SRC\nCOPY ${SRC} /src/\nCOPY README.md /\n",
    );
    write(dir.path(), ".dockerignore", "**/*_test.go\n");
    // Build args are templates over the environment.
    let plain = custom(
        CustomDependencySource::Dockerfile(DockerfileDependency {
            path: "build/Dockerfile".into(),
            build_args: [("SRC".to_owned(), Some("p{{\"kg\"}}".to_owned()))].into(),
        }),
        &[],
    );
    let deps = custom_dependencies(&plain, dir.path(), TIMEOUT).unwrap();
    assert_eq!(
        paths(&deps),
        [
            "README.md",
            "build/Dockerfile",
            "pkg/deep/er/x.go",
            "pkg/util.go"
        ]
    );

    // A missing Dockerfile is itself the only dependency, as in Skaffold.
    let missing = custom(
        CustomDependencySource::Dockerfile(DockerfileDependency {
            path: "nope/Dockerfile".into(),
            build_args: Default::default(),
        }),
        &[],
    );
    let deps = custom_dependencies(&missing, dir.path(), TIMEOUT).unwrap();
    assert_eq!(paths(&deps), ["nope/Dockerfile"]);
}

#[test]
fn from_a_command() {
    let dir = project();
    write(
        dir.path(),
        "deps.sh",
        "echo \"[\\\"main.go\\\", \\\"./pkg/util.go\\\", \\\"$(pwd)/README.md\\\", \\\"main.go\\\"]\"\n",
    );
    let a = custom(CustomDependencySource::Command("sh deps.sh".into()), &[]);
    let deps = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap();
    let readme = dir.path().join("README.md");
    let mut expected = vec![readme.to_str().unwrap(), "main.go", "pkg/util.go"];
    expected.sort();
    assert_eq!(paths(&deps), expected);

    // `null` is no dependencies; the command is split on spaces, without a shell.
    let a = custom(CustomDependencySource::Command("echo null".into()), &[]);
    assert!(
        custom_dependencies(&a, dir.path(), TIMEOUT)
            .unwrap()
            .is_empty()
    );
    let a = custom(
        CustomDependencySource::Command("echo [\"$HOME\"]".into()),
        &[],
    );
    let deps = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap();
    assert_eq!(paths(&deps), ["$HOME"]);
    let a = custom(CustomDependencySource::Command("echo [\"a".into()), &[]);
    let err = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap_err();
    assert!(matches!(err, CustomDepsError::Unmarshal(_)), "{err}");
}

#[test]
fn command_failures() {
    let dir = project();
    write(
        dir.path(),
        "fail.sh",
        "echo partial; echo 'no deps for you' >&2; exit 4\n",
    );
    let a = custom(CustomDependencySource::Command("sh fail.sh".into()), &[]);
    let err = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap_err();
    assert_eq!(
        err.to_string(),
        "getting dependencies from command: \"sh fail.sh\": running [sh fail.sh]\n - stdout: \"partial\\n\"\n - stderr: \"no deps for you\\n\"\n - cause: exit status 4"
    );

    let a = custom(CustomDependencySource::Command("echo not-json".into()), &[]);
    let err = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("unmarshalling dependency output into string array: "),
        "{err}"
    );

    let a = custom(
        CustomDependencySource::Command("skiff-no-such-command --x".into()),
        &[],
    );
    let err = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap_err();
    assert!(
        err.to_string().starts_with(
            "getting dependencies from command: \"skiff-no-such-command --x\": starting cmd: "
        ),
        "{err}"
    );
}

#[test]
fn a_command_that_runs_too_long_is_killed() {
    let dir = project();
    write(dir.path(), "slow.sh", "echo working; sleep 30 & wait\n");
    let a = custom(CustomDependencySource::Command("sh slow.sh".into()), &[]);
    let started = Instant::now();
    let err = custom_dependencies(&a, dir.path(), Duration::from_millis(300)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        err.to_string(),
        "getting dependencies from command: \"sh slow.sh\": running [sh slow.sh]: timed out after 300ms\nlast output lines:\n  working"
    );
}

#[test]
fn doublestar_glob_on_the_file_system() {
    let dir = project();
    let root = dir.path().to_str().unwrap();
    let found = doublestar::glob(&format!("{root}/**")).unwrap();
    let rel: Vec<String> = found
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .collect();
    // Directories and files at every depth, hidden ones included, in walk order.
    for expected in [".env", "empty", "pkg", "pkg/deep/er/x.go", "link/util.go"] {
        assert!(
            rel.iter().any(|r| r == expected),
            "{expected} missing: {rel:?}"
        );
    }
    assert!(
        doublestar::glob(&format!("{root}/nope/**"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn globstar_survives_symbolic_link_loops() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a/file", "");
    std::os::unix::fs::symlink("..", dir.path().join("a/up")).unwrap();
    let deps = list_files(dir.path(), &strings(&["**/file"]), &[]).unwrap();
    assert!(paths(&deps).contains(&"a/file"), "{deps:?}");
}

#[test]
fn a_command_leaving_a_process_behind_does_not_hang_the_listing() {
    // The background `sleep` keeps standard output open after the command exited: the output
    // is taken after a short grace and the leftover process is killed.
    let dir = project();
    write(dir.path(), "bg.sh", "sleep 30 & echo '[\"main.go\"]'\n");
    let a = custom(CustomDependencySource::Command("sh bg.sh".into()), &[]);
    let started = Instant::now();
    let deps = custom_dependencies(&a, dir.path(), TIMEOUT).unwrap();
    assert_eq!(paths(&deps), ["main.go"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
