//! `gitCommit` on real repositories made with the git CLI.
//!
//! The repositories are built exactly like Skaffold's `git_commit_test.go` builds them with
//! go-git (files written with mode 0755, author and committer "John Doe <john@doe.org>" at
//! 2013-02-03 19:54:00 -0700, messages without a trailing newline, lightweight tags), so the
//! commit and tree hashes are the very values Skaffold's tests expect. Git runs with the global
//! and system configuration ignored, so the user's settings cannot leak in.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::tag::{GitCommitTagger, GitVariant, TagError, TagInput, Tagger, sanitize_tag};

/// Environment for every git command in these tests (the test's own and the tagger's).
fn git_env(dir: &Path) -> Vec<(String, String)> {
    let ceiling = dir.parent().unwrap_or(dir).to_string_lossy().into_owned();
    vec![
        ("GIT_CONFIG_GLOBAL".into(), "/dev/null".into()),
        ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ("GIT_CEILING_DIRECTORIES".into(), ceiling),
        ("GIT_AUTHOR_NAME".into(), "John Doe".into()),
        ("GIT_AUTHOR_EMAIL".into(), "john@doe.org".into()),
        ("GIT_AUTHOR_DATE".into(), "1359946440 -0700".into()),
        ("GIT_COMMITTER_NAME".into(), "John Doe".into()),
        ("GIT_COMMITTER_EMAIL".into(), "john@doe.org".into()),
        ("GIT_COMMITTER_DATE".into(), "1359946440 -0700".into()),
    ]
}

struct Repo {
    dir: PathBuf,
}

impl Repo {
    fn git(&self, args: &[&str], stdin: Option<&str>) -> String {
        let mut cmd = Command::new("git");
        cmd.args(["-c", "user.name=John Doe", "-c", "user.email=john@doe.org"])
            .args(args)
            .envs(git_env(&self.dir))
            .current_dir(&self.dir)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("git runs");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn init(dir: &Path) -> Repo {
        let repo = Repo {
            dir: dir.to_path_buf(),
        };
        repo.git(&["init", "-q", "-b", "master"], None);
        repo
    }

    fn mkdir(self, d: &str) -> Repo {
        fs::create_dir_all(self.dir.join(d)).unwrap();
        self
    }

    fn write(self, file: &str, content: &str) -> Repo {
        let p = self.dir.join(file);
        fs::write(&p, content).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        self
    }

    fn add(self, files: &[&str]) -> Repo {
        let mut args = vec!["add", "--"];
        args.extend(files);
        self.git(&args, None);
        self
    }

    /// A commit of the index like go-git's `Worktree.Commit` (message without newline).
    fn commit(self, msg: &str) -> Repo {
        let tree = self.git(&["write-tree"], None);
        let head = Command::new("git")
            .args(["rev-parse", "-q", "--verify", "HEAD"])
            .envs(git_env(&self.dir))
            .current_dir(&self.dir)
            .output()
            .unwrap();
        let parent = String::from_utf8(head.stdout).unwrap().trim().to_string();
        let mut args = vec!["commit-tree", tree.as_str()];
        if !parent.is_empty() {
            args.extend(["-p", parent.as_str()]);
        }
        let sha = self.git(&args, Some(msg));
        self.git(&["update-ref", "HEAD", &sha], None);
        self
    }

    fn tag(self, name: &str) -> Repo {
        self.git(&["update-ref", &format!("refs/tags/{name}"), "HEAD"], None);
        self
    }

    fn branch(self, name: &str) -> Repo {
        self.git(&["update-ref", &format!("refs/heads/{name}"), "HEAD"], None);
        self.git(
            &["symbolic-ref", "HEAD", &format!("refs/heads/{name}")],
            None,
        );
        self
    }

    fn delete(self, file: &str) -> Repo {
        fs::remove_file(self.dir.join(file)).unwrap();
        self
    }

    fn rename(self, from: &str, to: &str) -> Repo {
        fs::rename(self.dir.join(from), self.dir.join(to)).unwrap();
        self
    }
}

fn tagger(prefix: &str, variant: &str, ignore_changes: bool, dir: &Path) -> GitCommitTagger {
    GitCommitTagger::new(prefix, variant, ignore_changes)
        .unwrap()
        .with_git_env(git_env(dir))
}

/// Expected tags per variant: Tags, CommitSha, AbbrevCommitSha, TreeSha, AbbrevTreeSha,
/// Branches (`""` = must fail).
struct Case {
    description: &'static str,
    expected: [&'static str; 6],
    setup: fn(&Path),
    sub_dir: &'static str,
    ignore_changes: bool,
}

const VARIANTS: [&str; 6] = [
    "Tags",
    "CommitSha",
    "AbbrevCommitSha",
    "TreeSha",
    "AbbrevTreeSha",
    "Branches",
];

fn single(dir: &Path) -> Repo {
    Repo::init(dir)
        .write("source.go", "code")
        .add(&["source.go"])
        .commit("initial")
}

fn two_tags(dir: &Path) -> Repo {
    single(dir)
        .tag("v/1")
        .write("other.go", "other")
        .add(&["other.go"])
        .commit("second commit")
        .tag("v/2")
}

fn plain_tags(dir: &Path) -> Repo {
    single(dir)
        .tag("v1")
        .write("other.go", "other")
        .add(&["other.go"])
        .commit("second commit")
        .tag("v2")
}

fn artifacts(dir: &Path) -> Repo {
    Repo::init(dir)
        .mkdir("artifact1")
        .write("artifact1/source.go", "code")
        .mkdir("artifact2")
        .write("artifact2/source.go", "other code")
        .add(&["artifact1/source.go", "artifact2/source.go"])
        .commit("initial")
}

/// Skaffold's `TestGitCommit_GenerateTag` table.
fn cases() -> Vec<Case> {
    vec![
        Case {
            description: "clean worktree without tag",
            expected: [
                "eefe1b9",
                "eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed",
                "eefe1b9",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "master",
            ],
            setup: |d| {
                single(d);
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "clean worktree with tag containing a slash",
            expected: [
                "v_2",
                "aea33bcc86b5af8c8570ff45d8a643202d63c808",
                "aea33bc",
                "bc69d50cda6897a6f2054e64b9059f038dc6fb0e",
                "bc69d50",
                "master",
            ],
            setup: |d| {
                two_tags(d);
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "clean worktree with a branch",
            expected: [
                "589c4dc",
                "589c4dcf52df66d058c705db39f871dceacf6471",
                "589c4dc",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "branch",
            ],
            setup: |d| {
                single(d).branch("branch").commit("second");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "clean worktree with a branch containing a slash",
            expected: [
                "eefe1b9",
                "eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed",
                "eefe1b9",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "branch_withslash",
            ],
            setup: |d| {
                single(d).branch("branch/withslash");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "dirty worktree with tag containing a slash",
            expected: [
                "v_2-dirty",
                "aea33bcc86b5af8c8570ff45d8a643202d63c808-dirty",
                "aea33bc-dirty",
                "bc69d50cda6897a6f2054e64b9059f038dc6fb0e-dirty",
                "bc69d50-dirty",
                "master-dirty",
            ],
            setup: |d| {
                two_tags(d).write("other.go", "updated code");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "dirty worktree with ignore changes flag",
            expected: [
                "v_2",
                "aea33bcc86b5af8c8570ff45d8a643202d63c808",
                "aea33bc",
                "bc69d50cda6897a6f2054e64b9059f038dc6fb0e",
                "bc69d50",
                "master",
            ],
            setup: |d| {
                two_tags(d).write("other.go", "updated code");
            },
            sub_dir: "",
            ignore_changes: true,
        },
        Case {
            description: "clean worktree with tags",
            expected: [
                "v2",
                "aea33bcc86b5af8c8570ff45d8a643202d63c808",
                "aea33bc",
                "bc69d50cda6897a6f2054e64b9059f038dc6fb0e",
                "bc69d50",
                "master",
            ],
            setup: |d| {
                plain_tags(d);
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "clean worktree with ignore changes flag",
            expected: [
                "v2",
                "aea33bcc86b5af8c8570ff45d8a643202d63c808",
                "aea33bc",
                "bc69d50cda6897a6f2054e64b9059f038dc6fb0e",
                "bc69d50",
                "master",
            ],
            setup: |d| {
                plain_tags(d);
            },
            sub_dir: "",
            ignore_changes: true,
        },
        Case {
            description: "treeSha only considers current tree content",
            expected: [
                "v1",
                "b2f7a7d62794237ac293eb07c6bcae3736b96231",
                "b2f7a7d",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "master",
            ],
            setup: |d| {
                Repo::init(d)
                    .write("source.go", "other code")
                    .add(&["source.go"])
                    .commit("initial")
                    .write("source.go", "code")
                    .add(&["source.go"])
                    .commit("updated code")
                    .tag("v1");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "dirty worktree without tag",
            expected: [
                "eefe1b9-dirty",
                "eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty",
                "eefe1b9-dirty",
                "3bed02ca656e336307e4eb4d80080d7221cba62c-dirty",
                "3bed02c-dirty",
                "master-dirty",
            ],
            setup: |d| {
                single(d).write("source.go", "updated code");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "dirty worktree with tag",
            expected: [
                "v1-dirty",
                "eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty",
                "eefe1b9-dirty",
                "3bed02ca656e336307e4eb4d80080d7221cba62c-dirty",
                "3bed02c-dirty",
                "master-dirty",
            ],
            setup: |d| {
                single(d).tag("v1").write("source.go", "updated code");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "untracked",
            expected: [
                "eefe1b9-dirty",
                "eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty",
                "eefe1b9-dirty",
                "3bed02ca656e336307e4eb4d80080d7221cba62c-dirty",
                "3bed02c-dirty",
                "master-dirty",
            ],
            setup: |d| {
                single(d).write("new.go", "new code");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "tag plus one commit",
            expected: [
                "v1-1-g3cec6b9",
                "3cec6b950895704a8a69b610a199b242a3bd370f",
                "3cec6b9",
                "81eea360f7f81bc5c187498a8d6c4337e0361374",
                "81eea36",
                "master",
            ],
            setup: |d| {
                single(d)
                    .tag("v1")
                    .write("source.go", "updated code")
                    .add(&["source.go"])
                    .commit("changes");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "deleted file",
            expected: [
                "279d53f-dirty",
                "279d53fcc3ae34503aec382a49a41f6db6de9a66-dirty",
                "279d53f-dirty",
                "039c20a072ceb72fb72d5883315df91659bb8ae4-dirty",
                "039c20a-dirty",
                "master-dirty",
            ],
            setup: |d| {
                Repo::init(d)
                    .write("source1.go", "code1")
                    .write("source2.go", "code2")
                    .add(&["source1.go", "source2.go"])
                    .commit("initial")
                    .delete("source1.go");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "rename",
            expected: [
                "eefe1b9-dirty",
                "eefe1b9c44eb0aa87199c9a079f2d48d8eb8baed-dirty",
                "eefe1b9-dirty",
                "3bed02ca656e336307e4eb4d80080d7221cba62c-dirty",
                "3bed02c-dirty",
                "master-dirty",
            ],
            setup: |d| {
                single(d).rename("source.go", "source2.go");
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "clean artifact1 in tagged repo",
            expected: [
                "v1",
                "b610928dc27484cc56990bc77622aab0dbd67131",
                "b610928",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "master",
            ],
            setup: |d| {
                artifacts(d).tag("v1");
            },
            sub_dir: "artifact1/",
            ignore_changes: false,
        },
        Case {
            description: "clean artifact2 in tagged repo",
            expected: [
                "v1",
                "b610928dc27484cc56990bc77622aab0dbd67131",
                "b610928",
                "36651c832d8bf5ca1e84c6dc23bb8678fa51cf3e",
                "36651c8",
                "master",
            ],
            setup: |d| {
                artifacts(d).tag("v1");
            },
            sub_dir: "artifact2",
            ignore_changes: false,
        },
        Case {
            description: "clean artifact in dirty repo",
            expected: [
                "v1",
                "b610928dc27484cc56990bc77622aab0dbd67131",
                "b610928",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "master",
            ],
            setup: |d| {
                artifacts(d)
                    .tag("v1")
                    .write("artifact2/source.go", "updated code");
            },
            sub_dir: "artifact1",
            ignore_changes: false,
        },
        Case {
            description: "updated artifact in dirty repo",
            expected: [
                "v1-dirty",
                "b610928dc27484cc56990bc77622aab0dbd67131-dirty",
                "b610928-dirty",
                "36651c832d8bf5ca1e84c6dc23bb8678fa51cf3e-dirty",
                "36651c8-dirty",
                "master-dirty",
            ],
            setup: |d| {
                artifacts(d)
                    .tag("v1")
                    .write("artifact2/source.go", "updated code");
            },
            sub_dir: "artifact2",
            ignore_changes: false,
        },
        Case {
            description: "additional commit in other artifact",
            expected: [
                "0d16f59",
                "0d16f59900bd63dd39425d6085d3f1333b66804f",
                "0d16f59",
                "3bed02ca656e336307e4eb4d80080d7221cba62c",
                "3bed02c",
                "master",
            ],
            setup: |d| {
                artifacts(d)
                    .write("artifact2/source.go", "updated code")
                    .add(&["artifact2/source.go"])
                    .commit("update artifact2");
            },
            sub_dir: "artifact1",
            ignore_changes: false,
        },
        Case {
            description: "non git repo",
            expected: ["", "", "", "", "", ""],
            setup: |d| {
                fs::write(d.join("source.go"), "code").unwrap();
            },
            sub_dir: "",
            ignore_changes: false,
        },
        Case {
            description: "git repo with no commit",
            expected: ["", "", "", "", "", "master"],
            setup: |d| {
                Repo::init(d);
            },
            sub_dir: "",
            ignore_changes: false,
        },
    ]
}

#[test]
fn skaffold_git_commit_table() {
    for case in cases() {
        let tmp = tempfile::tempdir().unwrap();
        (case.setup)(tmp.path());
        let workspace = tmp.path().join(case.sub_dir);
        for (variant, expected) in VARIANTS.iter().zip(case.expected) {
            let t = tagger("", variant, case.ignore_changes, tmp.path());
            let got = t.generate_tag(&TagInput::new("test", &workspace));
            if expected.is_empty() {
                assert!(
                    got.is_err(),
                    "{} / {variant}: expected an error, got {got:?}",
                    case.description
                );
            } else {
                assert_eq!(
                    got.unwrap_or_else(|e| panic!("{} / {variant}: {e}", case.description)),
                    expected,
                    "{} / {variant}",
                    case.description
                );
            }
        }
    }
}

#[test]
fn relative_workspace_resolves_against_base_dir() {
    let tmp = tempfile::tempdir().unwrap();
    artifacts(tmp.path()).tag("v1");
    let t = tagger("", "AbbrevTreeSha", false, tmp.path());
    let input = TagInput::new("test", Path::new("artifact2")).with_base_dir(tmp.path());
    assert_eq!(t.generate_tag(&input).unwrap(), "36651c8");
    let t = tagger("", "TreeSha", false, tmp.path());
    let input = TagInput::new("test", Path::new(".")).with_base_dir(tmp.path());
    // The root tree of the repository (both artifact directories).
    let root_tree = Repo {
        dir: tmp.path().to_path_buf(),
    }
    .git(&["rev-parse", "HEAD^{tree}"], None);
    assert_eq!(t.generate_tag(&input).unwrap(), root_tree);
}

#[test]
fn sub_directory_without_commits_has_no_tree() {
    // Skaffold's TestGitCommitSubDirectory.
    let tmp = tempfile::tempdir().unwrap();
    Repo::init(tmp.path()).mkdir("sub/sub").commit("initial");
    let ws = tmp.path().join("sub/sub");
    let input = TagInput::new("test", &ws);
    let run = |variant: &str| tagger("", variant, false, tmp.path()).generate_tag(&input);
    assert_eq!(run("Tags").unwrap(), "a7b32a6");
    assert_eq!(
        run("CommitSha").unwrap(),
        "a7b32a69335a6daa51bd89cc1bf30bd31df228ba"
    );
    assert_eq!(run("AbbrevCommitSha").unwrap(), "a7b32a6");
    assert!(run("TreeSha").is_err());
    assert!(run("AbbrevTreeSha").is_err());
}

#[test]
fn prefix_is_prepended() {
    // Skaffold's TestPrefix.
    let tmp = tempfile::tempdir().unwrap();
    Repo::init(tmp.path()).commit("initial");
    let input = TagInput::new("test", tmp.path());
    assert_eq!(
        tagger("tag-", "Tags", false, tmp.path())
            .generate_tag(&input)
            .unwrap(),
        "tag-a7b32a6"
    );
    assert_eq!(
        tagger("commit-", "CommitSha", false, tmp.path())
            .generate_tag(&input)
            .unwrap(),
        "commit-a7b32a69335a6daa51bd89cc1bf30bd31df228ba"
    );
    // The prefix is not sanitised, the -dirty suffix follows the ref.
    fs::write(tmp.path().join("x"), "x").unwrap();
    assert_eq!(
        tagger("v/", "abbrevcommitsha", false, tmp.path())
            .generate_tag(&input)
            .unwrap(),
        "v/a7b32a6-dirty"
    );
}

#[test]
fn variants_are_case_insensitive_and_validated() {
    assert_eq!(GitVariant::parse(""), Some(GitVariant::Tags));
    assert_eq!(
        GitVariant::parse("ABBREVTREESHA"),
        Some(GitVariant::AbbrevTreeSha)
    );
    assert_eq!(GitVariant::parse("branches"), Some(GitVariant::Branches));
    let err = GitCommitTagger::new("", "Invalid", false).unwrap_err();
    assert!(matches!(err, TagError::InvalidGitVariant(_)));
    assert_eq!(
        err.to_string(),
        "\"Invalid\" is not a valid git tagger variant"
    );
}

#[test]
fn not_a_repository_error_reads_like_skaffold() {
    let tmp = tempfile::tempdir().unwrap();
    let err = tagger("", "", false, tmp.path())
        .generate_tag(&TagInput::new("test", tmp.path()))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("unable to find git commit: running [git describe --tags --always]\n - stdout: \"\"\n - stderr: \"fatal: not a git repository"),
        "{err}"
    );
    assert!(err.ends_with(" - cause: exit status 128"), "{err}");
}

#[test]
fn detached_head_branch_is_empty() {
    // `git branch --show-current` prints nothing on a detached HEAD: the tag is empty, so the
    // image keeps its name (as in Skaffold).
    let tmp = tempfile::tempdir().unwrap();
    let repo = single(tmp.path());
    let head = repo.git(&["rev-parse", "HEAD"], None);
    repo.git(&["update-ref", "--no-deref", "HEAD", &head], None);
    let t = tagger("", "Branches", false, tmp.path());
    assert_eq!(
        t.generate_tag(&TagInput::new("test", tmp.path())).unwrap(),
        ""
    );
}

#[test]
fn skaffold_sanitize_tag_cases() {
    assert_eq!(
        sanitize_tag("abcdefghijklmnopqrstuvwxyz"),
        "abcdefghijklmnopqrstuvwxyz"
    );
    assert_eq!(
        sanitize_tag("ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    );
    assert_eq!(sanitize_tag("0123456789-_."), "0123456789-_.");
    assert_eq!(sanitize_tag("_v1"), "_v1");
    assert_eq!(sanitize_tag("v/1"), "v_1");
    assert_eq!(sanitize_tag("v%$@!1"), "v____1");
    assert_eq!(sanitize_tag("--v1"), "__v1");
    assert_eq!(sanitize_tag("..v1"), "__v1");
    assert_eq!(sanitize_tag(&"0123456789".repeat(20)).len(), 128);
    // One underscore per character, not per byte.
    assert_eq!(sanitize_tag("v\u{e9}1"), "v_1");
    assert_eq!(sanitize_tag("-.-x"), "___x");
}

#[test]
fn long_tags_are_cut_to_128() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "v".repeat(200);
    single(tmp.path()).tag(&long);
    let t = tagger("", "Tags", true, tmp.path());
    assert_eq!(
        t.generate_tag(&TagInput::new("test", tmp.path())).unwrap(),
        "v".repeat(128)
    );
}
