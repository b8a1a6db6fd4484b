//! Dependency walks and sync maps on temporary projects (the fixture mirrors the one Skaffold's
//! own dependency tests use; the cases are rewritten as data).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use skiff_build::dockerfile::{
    BaseImageInfo, BuildArgs, DepsError, Dockerfile, base_images, docker_dependencies,
    docker_dependencies_with, resolve_stages, sync_map, sync_map_with,
};

fn write(root: &Path, rel: &str, content: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, content).unwrap();
}

/// docker/nginx.conf docker/bar server.go test.conf worker.go bar file .dot emptydir/
fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "docker/nginx.conf",
        "docker/bar",
        "server.go",
        "test.conf",
        "worker.go",
        "bar",
        "file",
        ".dot",
    ] {
        write(dir.path(), f, "");
    }
    fs::create_dir(dir.path().join("emptydir")).unwrap();
    dir
}

fn images() -> BTreeMap<String, BaseImageInfo> {
    let mut m = BTreeMap::new();
    for i in [
        "ubuntu:14.04",
        "busybox",
        "nginx",
        "golang:1.9.2",
        "gcr.io/distroless/base",
    ] {
        m.insert(i.to_string(), BaseImageInfo::default());
    }
    m.insert(
        "golang:onbuild".to_string(),
        BaseImageInfo {
            on_build: vec!["COPY . /onbuild".into()],
            ..Default::default()
        },
    );
    m.insert(
        "node:wd".to_string(),
        BaseImageInfo {
            working_dir: "/usr/app".into(),
            env: vec!["APPDIR=src".into()],
            ..Default::default()
        },
    );
    m
}

/// Like Skaffold's fake image fetcher: unknown images are an error.
struct Registry(BTreeMap<String, BaseImageInfo>);

impl skiff_build::dockerfile::BaseImageInspector for Registry {
    fn inspect(&self, image: &str) -> Result<Option<BaseImageInfo>, String> {
        match self.0.get(image) {
            Some(info) => Ok(Some(info.clone())),
            None => Err("no such image".to_string()),
        }
    }
}

fn args(pairs: &[(&str, Option<&str>)]) -> BuildArgs {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect()
}

struct Case {
    name: &'static str,
    dockerfile: &'static str,
    /// Workspace relative to the fixture root.
    workspace: &'static str,
    ignore: &'static str,
    ignore_file: &'static str,
    args: &'static [(&'static str, Option<&'static str>)],
    /// `Ok(deps)` or `Err(substring of the error)`.
    want: Result<&'static [&'static str], &'static str>,
}

const fn case(
    name: &'static str,
    dockerfile: &'static str,
    want: Result<&'static [&'static str], &'static str>,
) -> Case {
    Case {
        name,
        dockerfile,
        workspace: ".",
        ignore: "",
        ignore_file: ".dockerignore",
        args: &[],
        want,
    }
}

const ALL: &[&str] = &[
    ".dot",
    "Dockerfile",
    "bar",
    "docker/bar",
    "docker/nginx.conf",
    "emptydir",
    "file",
    "server.go",
    "test.conf",
    "worker.go",
];

fn cases() -> Vec<Case> {
    vec![
        case(
            "copy empty directory",
            "FROM ubuntu:14.04\nCOPY emptydir .\n",
            Ok(&["Dockerfile", "emptydir"]),
        ),
        case(
            "copy dependency",
            "FROM ubuntu:14.04\nCOPY server.go .\nCMD server.go\n",
            Ok(&["Dockerfile", "server.go"]),
        ),
        case(
            "buildkit syntax directive and RUN --mount",
            "# syntax = docker/dockerfile:1-experimental\nFROM golang:1.9.2\nCOPY server.go .\nRUN --mount=type=cache,target=/go/pkg/mod go build .\n",
            Ok(&["Dockerfile", "server.go"]),
        ),
        Case {
            workspace: "docker",
            ..case(
                "add dependency in sub-workspace",
                "FROM nginx\nADD nginx.conf /etc/nginx\nCMD nginx\n",
                Ok(&["Dockerfile", "nginx.conf"]),
            )
        },
        case(
            "wildcards",
            "FROM nginx\nADD *.go /tmp/\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "wildcards match none",
            "FROM nginx\nADD *.none /tmp/\n",
            Err("file pattern [*.none] must match at least one file"),
        ),
        case(
            "one of two wildcards matches none",
            "FROM nginx\nADD *.go *.none /tmp/\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "missing plain source",
            "FROM nginx\nCOPY missing.txt other.txt /tmp/\n",
            Err("file pattern [missing.txt other.txt] must match at least one file"),
        ),
        case(
            "no dependency on remote files",
            "FROM ubuntu:14.04\nADD https://example.com/test /test\n",
            Ok(&["Dockerfile"]),
        ),
        case(
            "no dependency on git sources",
            "FROM ubuntu:14.04\nADD git@github.com:a/b.git /src\n",
            Ok(&["Dockerfile"]),
        ),
        case(
            "multistage with --from",
            "FROM golang:1.9.2\nWORKDIR /go/src/app/\nCOPY worker.go .\nRUN go build -o worker .\n\nFROM gcr.io/distroless/base\nWORKDIR /root/\nCOPY --from=0 /go/src/app ./\n",
            Ok(&["Dockerfile", "worker.go"]),
        ),
        case(
            "multistage with sources in both stages",
            "FROM golang:1.9.2\nCOPY worker.go .\n\nFROM gcr.io/distroless/base\nADD server.go .\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "artifact dependency as base",
            "ARG BASE\nFROM $BASE\nCOPY worker.go .\n",
            Ok(&["Dockerfile", "worker.go"]),
        ),
        case(
            "multistage artifact dependency",
            "ARG BASE\nFROM golang:1.9.2\nCOPY worker.go .\n\nFROM $BASE AS foo\nFROM foo as bar\n",
            Ok(&["Dockerfile", "worker.go"]),
        ),
        case(
            "copy twice",
            "FROM nginx\nADD test.conf /etc/test1\nCOPY test.conf /etc/test2\nCMD nginx\n",
            Ok(&["Dockerfile", "test.conf"]),
        ),
        case(
            "env (legacy form) and inline comment",
            "FROM busybox\nENV foo bar\nWORKDIR ${foo}   # WORKDIR /bar\nCOPY $foo /quux # COPY bar /quux\n",
            Ok(&["Dockerfile", "bar"]),
        ),
        case(
            "multiple env",
            "FROM busybox\nENV baz=bar \\\n    foo=docker\nCOPY $foo/nginx.conf . # COPY docker/nginx.conf .\n",
            Ok(&["Dockerfile", "docker/nginx.conf"]),
        ),
        case(
            "multi file copy",
            "FROM ubuntu:14.04\nCOPY server.go file ./\n",
            Ok(&["Dockerfile", "file", "server.go"]),
        ),
        Case {
            ignore: "emptydir\nbar\ndocker/*",
            ..case(
                "dockerignore",
                "FROM nginx\nADD . /etc/\nCOPY ./file /etc/file\n",
                Ok(&[
                    ".dot",
                    "Dockerfile",
                    "file",
                    "server.go",
                    "test.conf",
                    "worker.go",
                ]),
            )
        },
        Case {
            ignore: "Dockerfile",
            ..case(
                "ignored Dockerfile is still a dependency",
                "FROM ubuntu:14.04\nCOPY server.go .\n",
                Ok(&["Dockerfile", "server.go"]),
            )
        },
        Case {
            workspace: "docker/../docker",
            ignore: "bar\ndocker/*",
            ..case(
                "non canonical workspace",
                "FROM nginx\nADD nginx.conf /etc/nginx\nCOPY . /files\n",
                Ok(&["Dockerfile", "nginx.conf"]),
            )
        },
        case("copy all", "FROM nginx\nCOPY . /\n", Ok(ALL)),
        Case {
            ignore: ".*",
            ..case(
                "ignore dotfiles",
                "FROM nginx\nCOPY . /\n",
                Ok(&[
                    "Dockerfile",
                    "bar",
                    "docker/bar",
                    "docker/nginx.conf",
                    "emptydir",
                    "file",
                    "server.go",
                    "test.conf",
                    "worker.go",
                ]),
            )
        },
        Case {
            ignore: "/.*",
            ..case(
                "ignore dotfiles, root syntax",
                "FROM nginx\nCOPY . /\n",
                Ok(&[
                    "Dockerfile",
                    "bar",
                    "docker/bar",
                    "docker/nginx.conf",
                    "emptydir",
                    "file",
                    "server.go",
                    "test.conf",
                    "worker.go",
                ]),
            )
        },
        Case {
            workspace: "docker/..",
            ignore: "emptydir\nbar\ndocker\n*.go",
            ..case(
                "context in parent directory",
                "FROM nginx\nADD . /etc/\nCOPY ./file /etc/file\n",
                Ok(&[".dot", "Dockerfile", "file", "test.conf"]),
            )
        },
        case(
            "onbuild trigger of the base image",
            "FROM golang:onbuild\n",
            Ok(ALL),
        ),
        Case {
            ignore: "emptydir\nbar\ndocker/*",
            ..case(
                "onbuild with dockerignore",
                "FROM golang:onbuild\n",
                Ok(&[
                    ".dot",
                    "Dockerfile",
                    "file",
                    "server.go",
                    "test.conf",
                    "worker.go",
                ]),
            )
        },
        case(
            "base image not found",
            "FROM noimage:latest\nADD ./file /etc/file\n",
            Err("retrieving image \"noimage:latest\": no such image"),
        ),
        Case {
            args: &[("FOO", Some("server.go"))],
            ..case(
                "build arg",
                "FROM ubuntu:14.04\nARG FOO\nCOPY $FOO .\n",
                Ok(&["Dockerfile", "server.go"]),
            )
        },
        Case {
            args: &[("FOO2", Some("worker.go"))],
            ..case(
                "build args with same prefix",
                "FROM ubuntu:14.04\nARG FOO=server.go\nARG FOO2\nCOPY $FOO2 .\n",
                Ok(&["Dockerfile", "worker.go"]),
            )
        },
        Case {
            args: &[("FOO", Some("server.go"))],
            ..case(
                "build arg with braces",
                "FROM ubuntu:14.04\nARG FOO\nCOPY ${FOO} .\n",
                Ok(&["Dockerfile", "server.go"]),
            )
        },
        Case {
            args: &[("FOO", Some("server.go"))],
            ..case(
                "build arg with extra whitespace",
                "FROM ubuntu:14.04\nARG  FOO\nCOPY $FOO .\n",
                Ok(&["Dockerfile", "server.go"]),
            )
        },
        case(
            "arg default",
            "FROM ubuntu:14.04\nARG FOO=server.go\nCOPY $FOO .\n",
            Ok(&["Dockerfile", "server.go"]),
        ),
        case(
            "arg redefined",
            "FROM ubuntu:14.04\nARG FOO=server.go\nARG FOO=worker.go\nCOPY $FOO .\n",
            Ok(&["Dockerfile", "worker.go"]),
        ),
        case(
            "replacement stops at redefinition",
            "FROM ubuntu:14.04\nARG FOO=server.go\nCOPY $FOO .\nARG FOO=worker.go\nCOPY ${FOO} /w\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "args all at the top",
            "FROM ubuntu:14.04\nARG FOO=server.go\nARG FOO2=ignored\nARG FOO3=ignored\nCOPY $FOO .\n",
            Ok(&["Dockerfile", "server.go"]),
        ),
        Case {
            args: &[("FOO", Some("worker.go"))],
            ..case(
                "build arg overrides default",
                "FROM ubuntu:14.04\nARG FOO=server.go\nCOPY $FOO .\n",
                Ok(&["Dockerfile", "worker.go"]),
            )
        },
        Case {
            args: &[("FOO", None)],
            ..case(
                "build arg without value keeps default",
                "FROM ubuntu:14.04\nARG FOO=server.go\nCOPY $FOO .\n",
                Ok(&["Dockerfile", "server.go"]),
            )
        },
        Case {
            args: &[("FOO", Some("worker.go"))],
            ..case(
                "build arg in ${X:-default}",
                "FROM ubuntu:14.04\nARG FOO\nCOPY ${FOO:-server.go} .\n",
                Ok(&["Dockerfile", "worker.go"]),
            )
        },
        case(
            "${X:-default} when unset",
            "FROM ubuntu:14.04\nARG FOO\nCOPY ${FOO:-server.go} .\n",
            Ok(&["Dockerfile", "server.go"]),
        ),
        case(
            "arg value with equals sign",
            "FROM ubuntu:14.04\nARG X=a=b\nCOPY ${X#a=}ar .\n",
            Ok(&["Dockerfile", "bar"]),
        ),
        case(
            "global arg re-declared in stage without default",
            "ARG APP=worker\nFROM ubuntu:14.04\nARG APP\nCOPY $APP.go .\n",
            Ok(&["Dockerfile", "worker.go"]),
        ),
        case(
            "from stage chain",
            "FROM ubuntu:14.04 as base\nFROM base as dist\nFROM dist as prod\n",
            Ok(&["Dockerfile"]),
        ),
        case(
            "from stage, ignoring case",
            "FROM ubuntu:14.04 as BASE\nFROM base as dist\nFROM DIST as prod\n",
            Ok(&["Dockerfile"]),
        ),
        case(
            "from scratch",
            "FROM scratch\nADD ./file /etc/file\n",
            Ok(&["Dockerfile", "file"]),
        ),
        case(
            "from scratch quoted",
            "FROM \"scratch\"\nADD ./file /etc/file\n",
            Ok(&["Dockerfile", "file"]),
        ),
        case(
            "from SCRATCH",
            "FROM SCRATCH\nADD ./file /etc/file\n",
            Ok(&["Dockerfile", "file"]),
        ),
        case(
            "from scratch with stage name",
            "FROM scratch as stage\nFROM stage\nADD ./file /etc/file\n",
            Ok(&["Dockerfile", "file"]),
        ),
        Case {
            ignore: "**\n!docker/**",
            ..case(
                "ignore with exception pattern",
                "FROM nginx\nCOPY . /\n",
                Ok(&["Dockerfile", "docker/bar", "docker/nginx.conf"]),
            )
        },
        Case {
            ignore: "**\n!server.go",
            ..case(
                "ignore with exception file",
                "FROM nginx\nCOPY . /\n",
                Ok(&["Dockerfile", "server.go"]),
            )
        },
        Case {
            ignore: "emptydir\nbar\ndocker/*",
            ignore_file: "Dockerfile.dockerignore",
            ..case(
                "Dockerfile-specific dockerignore",
                "FROM nginx\nADD . /etc/\nCOPY ./file /etc/file\n",
                Ok(&[
                    ".dot",
                    "Dockerfile",
                    "Dockerfile.dockerignore",
                    "file",
                    "server.go",
                    "test.conf",
                    "worker.go",
                ]),
            )
        },
        case(
            "invalid dockerfile",
            "FROM\nCOPY . /\n",
            Err("parsing dockerfile"),
        ),
        case(
            "heredoc source",
            "FROM nginx\nCOPY <<EOF /etc/x\nhello\nEOF\nCOPY <<A file /etc/\nx\nA\n",
            Ok(&["Dockerfile", "file"]),
        ),
        case(
            "json form",
            "FROM nginx\nCOPY [\"server.go\", \"worker.go\", \"/app/\"]\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "source outside the context is clamped",
            "FROM nginx\nCOPY ../file /x\n",
            Ok(&["Dockerfile", "file"]),
        ),
        case(
            "bad substitution",
            "FROM nginx\nCOPY ${X:=1} /x\n",
            Err("unsupported modifier (:=) in substitution"),
        ),
        case(
            "backtick escape",
            "# escape=`\nFROM nginx\nCOPY server.go `\n     worker.go /app/\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "parent stage onbuild runs in child",
            "FROM nginx AS base\nONBUILD COPY test.conf /t\nFROM base\n",
            Ok(&["Dockerfile", "test.conf"]),
        ),
        case(
            "glob character class",
            "FROM nginx\nCOPY [sw]*.go /app/\n",
            Ok(&["Dockerfile", "server.go", "worker.go"]),
        ),
        case(
            "glob in directory part",
            "FROM nginx\nCOPY dock*/n* /app/\n",
            Ok(&["Dockerfile", "docker/nginx.conf"]),
        ),
        case(
            "bad glob",
            "FROM nginx\nCOPY [x /app/\n",
            Err("invalid glob pattern"),
        ),
    ]
}

#[test]
fn dependency_table() {
    for c in cases() {
        let root = fixture();
        let ws = root.path().join(c.workspace);
        fs::write(ws.join("Dockerfile"), c.dockerfile).unwrap();
        if !c.ignore.is_empty() {
            fs::write(ws.join(c.ignore_file), c.ignore).unwrap();
        }
        let got = docker_dependencies_with(&ws, "Dockerfile", &args(c.args), &Registry(images()));
        match c.want {
            Ok(want) => {
                let got = got.unwrap_or_else(|e| panic!("{}: {e}", c.name));
                let want: Vec<PathBuf> = want.iter().map(PathBuf::from).collect();
                assert_eq!(got, want, "{}", c.name);
            }
            Err(msg) => {
                let err = got.expect_err(c.name).to_string();
                assert!(
                    err.contains(msg),
                    "{}: {err:?} does not contain {msg:?}",
                    c.name
                );
            }
        }
    }
}

#[test]
fn missing_dockerfile_is_its_only_dependency() {
    let root = fixture();
    let deps = docker_dependencies(root.path(), "Dockerfile", &BuildArgs::new()).unwrap();
    assert_eq!(deps, [PathBuf::from("Dockerfile")]);
    let deps = docker_dependencies(root.path(), "sub/Dockerfile.dev", &BuildArgs::new()).unwrap();
    assert_eq!(deps, [PathBuf::from("sub/Dockerfile.dev")]);
}

#[test]
fn no_match_error_is_exact() {
    let root = fixture();
    fs::write(
        root.path().join("Dockerfile"),
        "FROM a\nCOPY *.rs src/*.rs /app/\n",
    )
    .unwrap();
    let err = docker_dependencies(root.path(), "Dockerfile", &BuildArgs::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file pattern [*.rs src/*.rs] must match at least one file"
    );
    assert!(matches!(err, DepsError::NoMatch { line: 2, .. }));
}

#[test]
fn parse_errors_carry_the_line() {
    let root = fixture();
    fs::write(
        root.path().join("Dockerfile"),
        "FROM a\n\nCOPY --bogus=1 a b\n",
    )
    .unwrap();
    let err = docker_dependencies(root.path(), "Dockerfile", &BuildArgs::new()).unwrap_err();
    let DepsError::Parse { source, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(source.line, 3);
    assert!(
        err.to_string()
            .ends_with("dockerfile parse error on line 3: unknown flag: --bogus"),
        "{err}"
    );
}

#[test]
fn nested_trees_pruning_and_exceptions() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for f in [
        "src/a.go",
        "src/lib/b.go",
        "src/lib/deep/c.go",
        "src/lib/deep/c_test.go",
        "node_modules/x/index.js",
        "node_modules/keep/k.js",
        "vendor/v/v.go",
        "vendor/v/README.md",
        "docs/guide.md",
    ] {
        write(r, f, "x");
    }
    fs::create_dir_all(r.join("src/empty")).unwrap();
    fs::create_dir_all(r.join("node_modules/emptyignored")).unwrap();
    write(r, "Dockerfile", "FROM a\nCOPY . /app\n");
    write(
        r,
        ".dockerignore",
        "node_modules\n!node_modules/keep\n**/*_test.go\nvendor\n!**/*.go\ndocs\n",
    );
    let deps = docker_dependencies(r, "Dockerfile", &BuildArgs::new()).unwrap();
    let want = [
        "Dockerfile",
        "node_modules/keep/k.js",
        "src/a.go",
        "src/empty",
        "src/lib/b.go",
        "src/lib/deep/c.go",
        "src/lib/deep/c_test.go",
        "vendor/v/v.go",
    ];
    assert_eq!(deps, want.iter().map(PathBuf::from).collect::<Vec<_>>());

    // Without the `!**/*.go` exception the test file is excluded and vendor/ is pruned.
    write(
        r,
        ".dockerignore",
        "node_modules\n!node_modules/keep\n**/*_test.go\nvendor\ndocs\n",
    );
    let deps = docker_dependencies(r, "Dockerfile", &BuildArgs::new()).unwrap();
    let want = [
        "Dockerfile",
        "node_modules/keep/k.js",
        "src/a.go",
        "src/empty",
        "src/lib/b.go",
        "src/lib/deep/c.go",
    ];
    assert_eq!(deps, want.iter().map(PathBuf::from).collect::<Vec<_>>());

    // A copied directory that is itself ignored is still walked from its root.
    write(
        r,
        "Dockerfile",
        "FROM a\nCOPY docs /docs\nCOPY src/lib /lib\n",
    );
    let deps = docker_dependencies(r, "Dockerfile", &BuildArgs::new()).unwrap();
    let want = ["Dockerfile", "src/lib/b.go", "src/lib/deep/c.go"];
    assert_eq!(deps, want.iter().map(PathBuf::from).collect::<Vec<_>>());
}

#[test]
fn sort_order_is_byte_order_of_the_string() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    for f in ["a/b", "a-c", "a.d", "A"] {
        write(r, f, "");
    }
    write(r, "Dockerfile", "FROM a\nCOPY . /\n");
    let deps = docker_dependencies(r, "Dockerfile", &BuildArgs::new()).unwrap();
    let want = ["A", "Dockerfile", "a-c", "a.d", "a/b"];
    assert_eq!(deps, want.iter().map(PathBuf::from).collect::<Vec<_>>());
}

#[test]
fn dockerfile_outside_context_and_absolute() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "ctx/app.go", "");
    write(r, "build/Dockerfile", "FROM a\nCOPY app.go /\n");
    let abs = r.join("build/Dockerfile");
    let deps =
        docker_dependencies(&r.join("ctx"), abs.to_str().unwrap(), &BuildArgs::new()).unwrap();
    assert_eq!(deps, [abs.clone(), PathBuf::from("app.go")]);
}

#[test]
fn symlinks_are_files() {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "real/x.txt", "");
    std::os::unix::fs::symlink(r.join("real"), r.join("link")).unwrap();
    write(r, "Dockerfile", "FROM a\nCOPY . /\n");
    let deps = docker_dependencies(r, "Dockerfile", &BuildArgs::new()).unwrap();
    let want = ["Dockerfile", "link", "real/x.txt"];
    assert_eq!(deps, want.iter().map(PathBuf::from).collect::<Vec<_>>());
}

#[test]
fn stages_expose_images_names_and_copies() {
    let df = Dockerfile::parse(
        "ARG GO=1.22\nFROM golang:${GO} AS Build\nWORKDIR /src\nCOPY go.mod ./\nCOPY . .\n\
FROM node:wd\nENV OUT=dist\nCOPY --from=build /src/bin /bin/\nCOPY $APPDIR ./$OUT/\nWORKDIR sub\nCOPY [\"a b\", \"c\"]\n",
    )
    .unwrap();
    let stages = resolve_stages(&df, &BuildArgs::new(), &images()).unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0].image, "golang:1.22");
    assert_eq!(stages[0].name.as_deref(), Some("build"));
    assert_eq!(stages[0].workdir, "/src");
    let pairs: Vec<(Vec<String>, String, bool)> = stages[0]
        .copies
        .iter()
        .map(|c| (c.sources.clone(), c.dest.clone(), c.dest_is_dir))
        .collect();
    assert_eq!(
        pairs,
        [
            (vec!["go.mod".to_string()], "/src".to_string(), true),
            (vec![".".into()], "/src".into(), true)
        ]
    );

    let last = &stages[1];
    assert_eq!(last.image, "node:wd");
    assert_eq!(last.workdir, "/usr/app/sub");
    assert_eq!(last.copies[0].from.as_deref(), Some("build"));
    assert_eq!(last.copies[1].sources, ["src"]);
    assert_eq!(last.copies[1].dest, "/usr/app/dist");
    assert_eq!(last.copies[1].workdir, "/usr/app");
    assert_eq!(last.copies[2].sources, ["a b"]);
    assert_eq!(last.copies[2].dest, "/usr/app/sub/c");
    assert!(!last.copies[2].dest_is_dir);

    assert_eq!(
        base_images(&df, &BuildArgs::new()).unwrap(),
        ["golang:1.22", "node:wd"]
    );
    let args = args(&[("GO", Some("1.23"))]);
    assert_eq!(base_images(&df, &args).unwrap(), ["golang:1.23", "node:wd"]);
}

fn sync(root: &Path, dockerfile: &str, ignore: &str) -> BTreeMap<String, Vec<String>> {
    fs::write(root.join("Dockerfile"), dockerfile).unwrap();
    if !ignore.is_empty() {
        fs::write(root.join(".dockerignore"), ignore).unwrap();
    }
    sync_map_with(root, "Dockerfile", &BuildArgs::new(), &images())
        .unwrap_or_else(|e| panic!("{dockerfile:?}: {e}"))
        .into_iter()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v))
        .collect()
}

fn map(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[test]
fn sync_map_table() {
    type SyncCase<'a> = (&'a str, &'a str, &'a [(&'a str, &'a [&'a str])]);
    let cases: &[SyncCase] = &[
        (
            "FROM ubuntu:14.04\nCOPY server.go .\n",
            "",
            &[("server.go", &["/server.go"])],
        ),
        (
            "FROM ubuntu:14.04\nCOPY docker .\n",
            "",
            &[
                ("docker/bar", &["/bar"]),
                ("docker/nginx.conf", &["/nginx.conf"]),
            ],
        ),
        (
            "FROM ubuntu:14.04\nWORKDIR /app\nCOPY server.go .\n",
            "",
            &[("server.go", &["/app/server.go"])],
        ),
        (
            "FROM ubuntu:14.04\nWORKDIR /app\nCOPY server.go /bar\n",
            "",
            &[("server.go", &["/bar"])],
        ),
        (
            "FROM ubuntu:14.04\nWORKDIR /app\nCOPY server.go /bar/\n",
            "",
            &[("server.go", &["/bar/server.go"])],
        ),
        (
            "FROM nginx\nWORKDIR /app/\nADD *.go ./\n",
            "",
            &[
                ("server.go", &["/app/server.go"]),
                ("worker.go", &["/app/worker.go"]),
            ],
        ),
        (
            "FROM nginx\nADD test.conf /etc/test1\nCOPY test.conf /etc/test2\n",
            "",
            &[("test.conf", &["/etc/test1", "/etc/test2"])],
        ),
        (
            "FROM busybox\nENV foo bar\nWORKDIR ${foo}\nCOPY server.go .\n",
            "",
            &[("server.go", &["/bar/server.go"])],
        ),
        (
            "FROM busybox\nENV foo bar\nCOPY server.go ${foo}\n",
            "",
            &[("server.go", &["/bar"])],
        ),
        (
            "FROM golang:1.9.2\nCOPY worker.go .\nFROM gcr.io/distroless/base\nADD server.go .\n",
            "",
            &[("server.go", &["/server.go"])],
        ),
        (
            "FROM golang:1.9.2\nCOPY worker.go .\nFROM gcr.io/distroless/base\nCOPY --from=0 /x /y\n",
            "",
            &[],
        ),
        (
            "FROM ubuntu:14.04\nADD https://example.com/test /test\n",
            "",
            &[],
        ),
        (
            "FROM golang:onbuild\n",
            "bar\ndocker/*\nemptydir",
            &[
                (".dockerignore", &["/onbuild/.dockerignore"]),
                (".dot", &["/onbuild/.dot"]),
                ("Dockerfile", &["/onbuild/Dockerfile"]),
                ("file", &["/onbuild/file"]),
                ("server.go", &["/onbuild/server.go"]),
                ("test.conf", &["/onbuild/test.conf"]),
                ("worker.go", &["/onbuild/worker.go"]),
            ],
        ),
        (
            "FROM node:wd\nCOPY . .\n",
            "*\n!*.go",
            &[
                ("server.go", &["/usr/app/server.go"]),
                ("worker.go", &["/usr/app/worker.go"]),
            ],
        ),
        (
            "FROM nginx\nCOPY --parents docker/* /p/\n",
            "",
            &[
                ("docker/bar", &["/p/docker/bar"]),
                ("docker/nginx.conf", &["/p/docker/nginx.conf"]),
            ],
        ),
        (
            "FROM nginx\nCOPY --parents ./docker/./nginx.conf /p/\n",
            "",
            &[("docker/nginx.conf", &["/p/nginx.conf"])],
        ),
        (
            "FROM nginx\nCOPY server.go /a\nCOPY file /a\n",
            "",
            &[("file", &["/a"])],
        ),
    ];
    for (dockerfile, ignore, want) in cases {
        let root = fixture();
        assert_eq!(
            sync(root.path(), dockerfile, ignore),
            map(want),
            "{dockerfile:?}"
        );
    }
}

#[test]
fn sync_map_errors() {
    let root = fixture();
    // The Dockerfile must exist for a sync map.
    assert!(matches!(
        sync_map(root.path(), "Dockerfile", &BuildArgs::new()),
        Err(DepsError::ReadDockerfile { .. })
    ));
    fs::write(
        root.path().join("Dockerfile"),
        "FROM nginx\nADD *.none /tmp/\n",
    )
    .unwrap();
    let err = sync_map(root.path(), "Dockerfile", &BuildArgs::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file pattern [*.none] must match at least one file"
    );
    // Only the last stage's sources are checked.
    fs::write(
        root.path().join("Dockerfile"),
        "FROM nginx\nADD *.none /tmp/\nFROM nginx\nCOPY file /f\n",
    )
    .unwrap();
    assert_eq!(
        sync(
            root.path(),
            "FROM nginx\nADD *.none /tmp/\nFROM nginx\nCOPY file /f\n",
            ""
        ),
        map(&[("file", &["/f"])])
    );
}

#[test]
fn inspector_errors_propagate() {
    struct Failing;
    impl skiff_build::dockerfile::BaseImageInspector for Failing {
        fn inspect(&self, image: &str) -> Result<Option<BaseImageInfo>, String> {
            Err(format!("no such image {image}"))
        }
    }
    let root = fixture();
    fs::write(root.path().join("Dockerfile"), "FROM x\nCOPY file /f\n").unwrap();
    let err = docker_dependencies_with(root.path(), "Dockerfile", &BuildArgs::new(), &Failing)
        .unwrap_err();
    assert_eq!(err.to_string(), "retrieving image \"x\": no such image x");
    // The default inspector knows no image: WORKDIR "/" and no triggers.
    let deps = docker_dependencies(root.path(), "Dockerfile", &BuildArgs::new()).unwrap();
    assert_eq!(deps, [PathBuf::from("Dockerfile"), PathBuf::from("file")]);
}
