//! `inputDigest`: exact hashes, Skaffold's quirks, the parallel path and the digest cache.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use crate::dockerfile::{BuildArgs, docker_dependencies};
use crate::tag::{
    DependencyError, DigestCache, InputDigestTagger, TagError, TagInput, Tagger,
    WorkspaceDependencies, encode_digests, file_digest, input_digest, join_workspace,
};

const DOCKERFILE: &str = "FROM scratch\nCOPY . /app\n";

/// Sets a file's mtime an hour back, so that it is old enough to be cached.
fn age(path: &Path) {
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
}

/// The known tree: `Dockerfile`, `a.txt`, `sub/b.txt`, an empty directory `sub/empty` and a
/// symlink `link -> a.txt`.
fn known_tree(dir: &Path) {
    fs::write(dir.join("Dockerfile"), DOCKERFILE).unwrap();
    fs::write(dir.join("a.txt"), "hello\n").unwrap();
    fs::create_dir_all(dir.join("sub/empty")).unwrap();
    fs::write(dir.join("sub/b.txt"), "world\n").unwrap();
    symlink("a.txt", dir.join("link")).unwrap();
}

fn paths(list: &[&str]) -> Vec<PathBuf> {
    list.iter().map(PathBuf::from).collect()
}

#[test]
fn skaffold_file_hasher_values() {
    // Skaffold's TestInputDigest: md5("temp.file" + "hello\ngo\n").
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("temp.file");
    fs::write(&file, "hello\ngo\n").unwrap();
    assert_eq!(
        file_digest(&file, tmp.path()).unwrap(),
        "3cced2dec96a8b41b22875686d8941a9"
    );
    // Relative and absolute paths give the same digest.
    let other = tempfile::tempdir().unwrap();
    let file2 = other.path().join("temp.file");
    fs::write(&file2, "hello\ngo\n").unwrap();
    assert_eq!(
        file_digest(&file2, other.path()).unwrap(),
        "3cced2dec96a8b41b22875686d8941a9"
    );
    // Different names or contents differ.
    fs::write(other.path().join("temp2.file"), "hello\ngo\n").unwrap();
    assert_ne!(
        file_digest(&other.path().join("temp2.file"), other.path()).unwrap(),
        "3cced2dec96a8b41b22875686d8941a9"
    );
    assert!(file_digest(&other.path().join("missing"), other.path()).is_err());
}

#[test]
fn empty_input_is_the_digest_of_null() {
    // Skaffold's "override default components" case: no dependencies at all.
    // python3 -c 'import hashlib; print(hashlib.sha256(b"null\n").hexdigest())'
    let expected = "38e0b9de817f645c4bec37c0d4a3e58baecccb040f5718dc069a72c7385a0bed";
    assert_eq!(encode_digests::<&str>(&[]), expected);
    let none: Vec<PathBuf> = Vec::new();
    let input = TagInput::new("test", Path::new(".")).with_dependencies(&none);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        expected
    );
}

#[test]
fn skaffold_bazel_case() {
    // Skaffold's customTemplate test "using inputDigest alias": empty files BUILD, dep1, dep2,
    // WORKSPACE listed relative to the working directory, workspace "".
    let tmp = tempfile::tempdir().unwrap();
    for f in ["WORKSPACE", "BUILD", "dep1", "dep2"] {
        fs::write(tmp.path().join(f), "").unwrap();
    }
    let deps = paths(&["BUILD", "dep1", "dep2", "WORKSPACE"]);
    let input = TagInput::new("test", Path::new(""))
        .with_base_dir(tmp.path())
        .with_dependencies(&deps);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        "bd2d2b76b8f1b5bf54d8a2183a697cc3acd9b314e0e7102f4672123cda0b45db"
    );
}

// Expected values for the known tree, derived independently:
//
// import hashlib, json
// df = b"FROM scratch\nCOPY . /app\n"
// e = {"Dockerfile": df, "a.txt": b"hello\n", "link": None, "sub/b.txt": b"world\n",
//      "sub/empty": None}
// md5 = lambda p: hashlib.md5(p.encode() + (e[p] or b"")).hexdigest()
// tag = lambda order: hashlib.sha256(
//     (json.dumps([md5(p) for p in order], separators=(",", ":")) + "\n").encode()).hexdigest()
// tag(["Dockerfile", "a.txt", "link", "sub/b.txt", "sub/empty"])                # NO_DOCKERFILE
// tag(["Dockerfile", "a.txt", "link", "sub/b.txt", "sub/empty", "Dockerfile"])  # ABSOLUTE
// tag(["Dockerfile", "Dockerfile", "a.txt", "link", "sub/b.txt", "sub/empty"])  # DOT
//
// Symlinks and directories contribute their path only; `gone.txt` is missing and skipped.
const NO_DOCKERFILE: &str = "56e18e03d99caccdec0bd5114c5ecdd3da64d37e51914451c2c4a20fdf1a1af3";
const ABSOLUTE: &str = "7742d0e2ae536092d2e663dc1bc8635b0f3b7601791b9bc5c41f9309ccea6317";
const DOT: &str = "e4a8971c8983465e4bb8f8aeb58f61d9528dfea5f431e13c9d939a22e9857119";

#[test]
fn known_tree_exact_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    known_tree(ws);
    let rel = paths(&[
        "sub/empty",
        "Dockerfile",
        "link",
        "a.txt",
        "gone.txt",
        "sub/b.txt",
    ]);

    // Without the Dockerfile appended.
    let deps = WorkspaceDependencies::new(ws, &rel);
    let input = TagInput::new("img", ws).with_dependencies(&deps);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        NO_DOCKERFILE
    );

    // Absolute workspace (a required config's): the appended "Dockerfile" is relative to the
    // working directory, sorts after the absolute paths and hashes as "Dockerfile".
    let input = input
        .with_dockerfile(Path::new("Dockerfile"))
        .with_base_dir(ws);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        ABSOLUTE
    );

    // Workspace "." (the root config run from its directory): the Dockerfile is listed twice.
    let dot = Path::new(".");
    let deps = WorkspaceDependencies::new(dot, &rel);
    let input = TagInput::new("img", dot)
        .with_base_dir(ws)
        .with_dockerfile(Path::new("Dockerfile"))
        .with_dependencies(&deps);
    assert_eq!(InputDigestTagger::new().generate_tag(&input).unwrap(), DOT);
}

#[test]
fn reuses_the_docker_builders_dependency_list() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    known_tree(ws);
    let deps = docker_dependencies(ws, "Dockerfile", &BuildArgs::new()).unwrap();
    assert_eq!(
        deps,
        paths(&["Dockerfile", "a.txt", "link", "sub/b.txt", "sub/empty"])
    );
    let source = WorkspaceDependencies::new(ws, &deps);
    let input = TagInput::new("img", ws).with_dependencies(&source);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        NO_DOCKERFILE
    );
}

#[test]
fn dependencies_from_a_closure_and_its_errors() {
    let tmp = tempfile::tempdir().unwrap();
    known_tree(tmp.path());
    let ws = tmp.path().to_path_buf();
    let ok = move || -> Result<Vec<PathBuf>, DependencyError> {
        Ok(join_workspace(
            &ws,
            &paths(&["Dockerfile", "a.txt", "link", "sub/b.txt", "sub/empty"]),
        ))
    };
    let input = TagInput::new("img", tmp.path()).with_dependencies(&ok);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        NO_DOCKERFILE
    );

    let failing = || -> Result<Vec<PathBuf>, DependencyError> {
        Err("file pattern [missing] must match at least one file".into())
    };
    let input = TagInput::new("img", tmp.path()).with_dependencies(&failing);
    let err = InputDigestTagger::new().generate_tag(&input).unwrap_err();
    assert_eq!(
        err.to_string(),
        "file pattern [missing] must match at least one file"
    );

    let err = InputDigestTagger::new()
        .generate_tag(&TagInput::new("img", tmp.path()))
        .unwrap_err();
    assert!(matches!(err, TagError::NoDependencies(_)));
}

#[test]
fn empty_dependency_path_is_skipped_like_a_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    let deps = paths(&[""]);
    let input = TagInput::new("img", Path::new("."))
        .with_base_dir(tmp.path())
        .with_dependencies(&deps);
    assert_eq!(
        InputDigestTagger::new().generate_tag(&input).unwrap(),
        encode_digests::<&str>(&[])
    );
}

#[test]
fn unreadable_dependency_is_an_error() {
    // A path below a regular file fails with ENOTDIR, which is not "does not exist".
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("file"), "x").unwrap();
    let deps = vec![tmp.path().join("file/below")];
    let input = TagInput::new("img", tmp.path()).with_dependencies(&deps);
    let err = InputDigestTagger::new().generate_tag(&input).unwrap_err();
    assert!(matches!(err, TagError::HashFile { .. }), "{err}");
    assert!(err.to_string().starts_with(&format!(
        "getting hash for \"{}\": ",
        tmp.path().join("file/below").display()
    )));
}

/// Writes `n` files and returns their workspace-relative paths.
fn many_files(dir: &Path, n: usize) -> Vec<PathBuf> {
    (0..n)
        .map(|i| {
            let rel = PathBuf::from(format!("d{}/f{i}.txt", i % 7));
            fs::create_dir_all(dir.join(rel.parent().unwrap())).unwrap();
            fs::write(dir.join(&rel), format!("file {i}\n").repeat(i % 50)).unwrap();
            rel
        })
        .collect()
}

/// The tag computed one file at a time with `file_digest` + `encode_digests`, in sorted order.
fn reference_tag(ws: &Path, files: &[PathBuf]) -> String {
    let mut joined = join_workspace(ws, files);
    joined.sort_by(|a, b| {
        a.as_os_str()
            .as_encoded_bytes()
            .cmp(b.as_os_str().as_encoded_bytes())
    });
    let digests: Vec<String> = joined
        .iter()
        .filter(|p| fs::symlink_metadata(p).is_ok())
        .map(|p| file_digest(p, ws).unwrap())
        .collect();
    encode_digests(&digests)
}

#[test]
fn parallel_hashing_matches_one_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let mut files = many_files(tmp.path(), 500);
    files.push(PathBuf::from("missing.txt"));
    let joined = join_workspace(tmp.path(), &files);
    assert_eq!(
        input_digest(&joined, tmp.path(), None, None).unwrap(),
        reference_tag(tmp.path(), &files)
    );
}

#[test]
fn cache_hits_misses_and_racy_files() {
    let tmp = tempfile::tempdir().unwrap();
    let files = many_files(tmp.path(), 100);
    let joined = join_workspace(tmp.path(), &files);
    let fresh_file = &joined[0];
    for f in &joined[1..] {
        age(f);
    }

    let mut cache = DigestCache::new();
    let cold = input_digest(&joined, tmp.path(), None, Some(&mut cache)).unwrap();
    assert_eq!(cold, reference_tag(tmp.path(), &files));
    // The file just written is not cached (its mtime is too recent to be trusted).
    assert_eq!(cache.len(), 99);
    assert!(cache.get(fresh_file).is_none());

    // Unchanged files come from the cache: poison one entry's digest to prove it is used.
    let victim = joined[5].clone();
    let mut poisoned = cache.clone();
    let mut entry = poisoned.get(&victim).unwrap().clone();
    entry.md5 = [0; 16];
    poisoned.insert(&victim, entry);
    let warm = input_digest(&joined, tmp.path(), None, Some(&mut poisoned)).unwrap();
    assert_ne!(warm, cold, "the poisoned cache entry was not used");

    // A modified file (size changes) is hashed again and its entry replaced.
    fs::write(&victim, "changed").unwrap();
    age(&victim);
    let changed = input_digest(&joined, tmp.path(), None, Some(&mut poisoned)).unwrap();
    assert_eq!(changed, reference_tag(tmp.path(), &files));
    assert_ne!(changed, cold);
    assert_ne!(poisoned.get(&victim).unwrap().md5, [0; 16]);

    // Same size, different mtime: hashed again.
    fs::write(&victim, "CHANGED").unwrap();
    age(&victim);
    let f = fs::File::options().write(true).open(&victim).unwrap();
    f.set_modified(SystemTime::now() - Duration::from_secs(7200))
        .unwrap();
    let again = input_digest(&joined, tmp.path(), None, Some(&mut poisoned)).unwrap();
    assert_eq!(again, reference_tag(tmp.path(), &files));
}

#[test]
fn cache_entries_depend_on_the_workspace_relative_path() {
    // The same file hashed for two workspaces has two different digests.
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir_all(tmp.path().join("app")).unwrap();
    let file = tmp.path().join("app/main.go");
    fs::write(&file, "package main\n").unwrap();
    age(&file);
    let mut cache = DigestCache::new();
    let deps = vec![file.clone()];
    let a = input_digest(&deps, tmp.path(), None, Some(&mut cache)).unwrap();
    let b = input_digest(&deps, &tmp.path().join("app"), None, Some(&mut cache)).unwrap();
    assert_ne!(a, b);
    assert_eq!(
        b,
        input_digest(&deps, &tmp.path().join("app"), None, None).unwrap()
    );
    assert_eq!(cache.get(&file).unwrap().hashed_path, "main.go");
}

#[test]
fn cache_round_trips_through_json() {
    let tmp = tempfile::tempdir().unwrap();
    let files = many_files(tmp.path(), 40);
    let joined = join_workspace(tmp.path(), &files);
    for f in &joined {
        age(f);
    }
    let mut cache = DigestCache::new();
    let cold = input_digest(&joined, tmp.path(), None, Some(&mut cache)).unwrap();
    let json = serde_json::to_string(&cache).unwrap();
    assert!(json.contains("\"hashedPath\":\"d0/f0.txt\""), "{json}");
    let back: DigestCache = serde_json::from_str(&json).unwrap();
    assert_eq!(back, cache);

    // The tagger shares the cache through Arc<RwLock<_>>.
    let shared = Arc::new(RwLock::new(back));
    let tagger = InputDigestTagger::with_cache(shared.clone());
    let deps = WorkspaceDependencies::new(tmp.path(), &files);
    let input = TagInput::new("img", tmp.path()).with_dependencies(&deps);
    assert_eq!(tagger.generate_tag(&input).unwrap(), cold);
    assert_eq!(shared.read().unwrap().len(), 40);

    shared
        .write()
        .unwrap()
        .retain(|p| p.to_string_lossy().contains("/d1/"));
    assert!(shared.read().unwrap().len() < 40);
}

#[test]
fn join_workspace_is_go_filepath_join() {
    let rel = paths(&["a", "./b", "c/../d", "/abs/e", ".", "../up"]);
    assert_eq!(
        join_workspace(Path::new("."), &rel),
        paths(&["a", "b", "d", "/abs/e", ".", "../up"])
    );
    assert_eq!(
        join_workspace(Path::new("app"), &rel),
        paths(&["app/a", "app/b", "app/d", "/abs/e", "app", "up"])
    );
    assert_eq!(
        join_workspace(Path::new("/w/x/"), &rel),
        paths(&["/w/x/a", "/w/x/b", "/w/x/d", "/abs/e", "/w/x", "/w/up"])
    );
    assert_eq!(join_workspace(Path::new(""), &rel)[1], PathBuf::from("b"));
}

#[test]
fn go_rel_matches_go() {
    use crate::tag::go_rel;
    let cases: &[(&str, &str, Option<&str>)] = &[
        (".", "a/b", Some("a/b")),
        ("", "a", Some("a")),
        ("a", "a/b", Some("b")),
        ("a/b", "a/b", Some(".")),
        ("a/b/", "a/b/c", Some("c")),
        ("a/b", "a", Some("..")),
        ("a/b/c", "a/x", Some("../../x")),
        ("/a", "/a/b/c", Some("b/c")),
        ("/", "/a", Some("a")),
        ("/a", "/", Some("..")),
        ("/a", "b", None),
        ("a", "/b", None),
        ("../a", "b", None),
        (".", "../x", Some("../x")),
        ("a", "./a/./b", Some("b")),
    ];
    for (base, targ, want) in cases {
        assert_eq!(
            go_rel(base, targ).as_deref(),
            *want,
            "Rel({base:?}, {targ:?})"
        );
    }
}
