//! `.dockerignore` semantics: cases modelled on moby/patternmatcher's tests and on Docker's
//! documented examples, rewritten as data.

use std::fs;

use skiff_build::dockerignore::{DockerIgnore, DockerIgnoreError};

fn ignore(patterns: &[&str]) -> DockerIgnore {
    DockerIgnore::from_patterns(patterns).expect("valid patterns")
}

/// (pattern, path, excluded) — one pattern, `MatchesOrParentMatches`.
const SINGLE: &[(&str, &str, bool)] = &[
    ("**", "file", true),
    ("**", "file/", true),
    ("**/", "file", true),
    ("**/", "file/", true),
    ("**", "/", true),
    ("**/", "/", true),
    ("**", "dir/file", true),
    ("**/", "dir/file", true),
    ("**", "dir/file/", true),
    ("**/**", "dir/file", true),
    ("**/**", "dir/file/", true),
    ("dir/**", "dir/file", true),
    ("dir/**", "dir/file/", true),
    ("dir/**", "dir/dir2/file", true),
    ("**/dir", "dir", true),
    ("**/dir", "dir/file", true),
    ("**/dir2/*", "dir/dir2/file", true),
    ("**/dir2/**", "dir/dir2/dir3/file", true),
    ("**file", "file", true),
    ("**file", "dir/file", true),
    ("**/file", "dir/file", true),
    ("**file", "dir/dir/file", true),
    ("**/file", "dir/dir/file", true),
    ("**/file*", "dir/dir/file", true),
    ("**/file*", "dir/dir/file.txt", true),
    ("**/file*txt", "dir/dir/file.txt", true),
    ("**/file*.txt", "dir/dir/file.txt", true),
    ("**/file*.txt*", "dir/dir/file.txt", true),
    ("**/**/*.txt", "dir/dir/file.txt", true),
    ("**/**/*.txt2", "dir/dir/file.txt", false),
    ("**/*.txt", "file.txt", true),
    ("**/**/*.txt", "file.txt", true),
    ("a**/*.txt", "a/file.txt", true),
    ("a**/*.txt", "a/dir/file.txt", true),
    ("a**/*.txt", "a/dir/dir/file.txt", true),
    ("a/*.txt", "a/dir/file.txt", false),
    ("a/*.txt", "a/file.txt", true),
    ("a/*.txt**", "a/file.txt", true),
    ("a[b-d]e", "ae", false),
    ("a[b-d]e", "ace", true),
    ("a[b-d]e", "aae", false),
    ("a[^b-d]e", "aze", true),
    (".*", ".foo", true),
    (".*", "foo", false),
    ("abc.def", "abcdef", false),
    ("abc.def", "abc.def", true),
    ("abc.def", "abcZdef", false),
    ("abc?def", "abcZdef", true),
    ("abc?def", "abcdef", false),
    ("a\\\\", "a\\", true),
    ("a\\*b", "a*b", true),
    ("a\\*b", "axb", false),
    ("**/foo/bar", "foo/bar", true),
    ("**/foo/bar", "dir/foo/bar", true),
    ("**/foo/bar", "dir/dir2/foo/bar", true),
    ("abc/**", "abc", false),
    ("abc/**", "abc/def", true),
    ("abc/**", "abc/def/ghi", true),
    ("**/.foo", ".foo", true),
    ("**/.foo", "bar.foo", false),
    ("a(b)c/def", "a(b)c/def", true),
    ("a(b)c/def", "a(b)c/xyz", false),
    ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
    (
        "dist/app-2.4.0rc3.dev36+g08acad9-py3.whl",
        "dist/app-2.4.0rc3.dev36+g08acad9-py3.whl",
        true,
    ),
    (
        "dist/*.whl",
        "dist/app-2.4.0rc3.dev36+g08acad9-py3.whl",
        true,
    ),
    // A pattern matching a parent directory excludes everything below it.
    ("docs", "docs/a/b/c.md", true),
    ("docs", "docsx/a.md", false),
    ("*/temp*", "somedir/temporary.txt", true),
    ("*/temp*", "somedir/temp", true),
    ("*/temp*", "temp", false),
    ("*/*/temp*", "somedir/subdir/temporary.txt", true),
    ("temp?", "tempa", true),
    ("temp?", "tempab", false),
    ("**/*.go", "a/b/c.go", true),
    ("**/*.go", "main.go", true),
    ("*.go", "a/main.go", false),
    // Leading slash and non-canonical forms are cleaned.
    ("/foo", "foo", true),
    ("./foo/../bar", "bar", true),
    ("foo/", "foo/x", true),
    // `**foo` is a plain suffix test (a patternmatcher quirk kept as is).
    ("**foo", "barfoo", true),
];

#[test]
fn single_pattern_table() {
    for (pattern, path, want) in SINGLE {
        let ig = ignore(&[pattern]);
        assert_eq!(ig.matches(path), *want, "pattern {pattern:?} on {path:?}");
    }
}

/// (patterns, path, excluded) — the last matching pattern decides.
const MULTI: &[(&[&str], &str, bool)] = &[
    (&["**", "!util/docker/web"], "util/docker/web/foo", false),
    (
        &["**", "!util/docker/web", "util/docker/web/foo"],
        "util/docker/web/foo",
        true,
    ),
    (&["**", "!dist/*.whl"], "dist/app-1.0-py3.whl", false),
    (&["*.md", "!README.md"], "README.md", false),
    (&["*.md", "!README.md"], "CHANGES.md", true),
    (
        &["*.md", "!README*.md", "README-secret.md"],
        "README-secret.md",
        true,
    ),
    (
        &["*.md", "!README*.md", "README-secret.md"],
        "README-public.md",
        false,
    ),
    (
        &["*.md", "README-secret.md", "!README*.md"],
        "README-secret.md",
        false,
    ),
    (&["!foo", "foo"], "foo", true),
    (&["foo", "!foo"], "foo", false),
    (&["docs", "!docs/keep.md"], "docs/keep.md", false),
    (&["docs", "!docs/keep.md"], "docs/other.md", true),
    (&["vendor/**", "!vendor/a"], "vendor/a/b.go", false),
    (&["vendor/**", "!vendor/a"], "vendor/b/b.go", true),
];

#[test]
fn multi_pattern_table() {
    for (patterns, path, want) in MULTI {
        let ig = ignore(patterns);
        assert_eq!(ig.matches(path), *want, "patterns {patterns:?} on {path:?}");
    }
}

#[test]
fn lines_are_cleaned_like_ignorefile_read_all() {
    let ig = DockerIgnore::parse(
        "\u{feff}test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n  spaced  \r\n  # not a comment\n",
    )
    .unwrap();
    let got: Vec<String> = ig
        .patterns()
        .iter()
        .map(|p| format!("{}{}", if p.is_exclusion() { "!" } else { "" }, p.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            "test1",
            "test2",
            "a/file/here",
            "lastfile",
            "!inverted/abs/path",
            "spaced",
            "# not a comment"
        ]
    );
    assert!(ig.has_exclusions());
    assert_eq!(ig.patterns()[4].line(), 7);
}

#[test]
fn bare_exclamation_is_an_error() {
    for input in ["a\n!", "a\n! ", "!/"] {
        let err = DockerIgnore::parse(input).unwrap_err();
        assert!(
            matches!(err, DockerIgnoreError::BareExclusion { .. }),
            "{input:?}: {err}"
        );
        assert!(err.to_string().contains("illegal exclusion pattern: \"!\""));
    }
}

#[test]
fn malformed_patterns_are_errors() {
    for bad in ["[", "a[", "[^", "[]a]", "[x-]", "a\\"] {
        let err = DockerIgnore::from_patterns([bad]).unwrap_err();
        assert!(
            matches!(err, DockerIgnoreError::BadPattern { line: 1, .. }),
            "{bad:?}: {err}"
        );
    }
    assert!(DockerIgnore::from_patterns(["[\\]a]"]).is_ok());
}

#[test]
fn empty_ignores_nothing() {
    let ig = DockerIgnore::from_patterns(["", "   ", "# only comments"]).unwrap();
    assert!(ig.is_empty());
    assert!(!ig.matches("anything"));
    assert!(!DockerIgnore::empty().matches("a/b"));
}

/// (patterns, excluded dir, can it be skipped without looking inside)
const SKIP: &[(&[&str], &str, bool)] = &[
    (&["node_modules"], "node_modules", true),
    (
        &["node_modules", "!node_modules/keep"],
        "node_modules",
        false,
    ),
    (
        &["node_modules", "!node_modules/keep/**"],
        "node_modules",
        false,
    ),
    (&["node_modules", "!other/keep"], "node_modules", true),
    // An exception with glob characters could match anywhere: never skip.
    (&["node_modules", "!**/*.go"], "node_modules", false),
    (&["a", "!a/b/c"], "a/b", false),
    (&["a", "!a/b/c"], "a/x", true),
];

#[test]
fn skip_dir_rules() {
    for (patterns, dir, want) in SKIP {
        let ig = ignore(patterns);
        assert!(ig.matches(dir), "{dir} should be excluded by {patterns:?}");
        assert_eq!(ig.can_skip_dir(dir), *want, "{patterns:?} {dir}");
    }
}

#[test]
fn incremental_state_agrees_with_full_match() {
    let ig = ignore(&["a", "!a/b", "a/b/c*", "**/*.tmp", "!**/keep.tmp"]);
    let paths = [
        "a",
        "a/b",
        "a/b/c1",
        "a/b/d",
        "a/x",
        "z",
        "z/y.tmp",
        "z/keep.tmp",
        "a/b/keep.tmp",
    ];
    for p in paths {
        let (parent, _) = p.rsplit_once('/').unwrap_or((".", p));
        let st = ig.state_for(parent);
        assert_eq!(ig.child_excluded(&st, p), ig.matches(p), "{p}");
        assert_eq!(
            ig.is_excluded(&ig.child_state(&st, p)),
            ig.matches(p),
            "{p}"
        );
    }
}

#[test]
fn read_prefers_dockerfile_specific_file() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = dir.path();
    let dockerfile = ctx.join("Dockerfile");
    fs::write(&dockerfile, "FROM scratch\n").unwrap();

    let none = DockerIgnore::read(ctx, &dockerfile).unwrap();
    assert!(none.is_empty() && none.source().is_none());

    fs::write(ctx.join(".dockerignore"), "generic\n").unwrap();
    let generic = DockerIgnore::read(ctx, &dockerfile).unwrap();
    assert!(generic.matches("generic"));
    assert_eq!(generic.source(), Some(ctx.join(".dockerignore").as_path()));

    fs::write(ctx.join("Dockerfile.dockerignore"), "specific\n").unwrap();
    let specific = DockerIgnore::read(ctx, &dockerfile).unwrap();
    assert!(specific.matches("specific"));
    assert!(!specific.matches("generic"));
}
