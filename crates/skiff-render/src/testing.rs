//! Helpers shared by the unit tests.

use crate::ManifestList;

/// The documents of `text`.
pub(crate) fn manifests(text: &str) -> ManifestList {
    ManifestList::parse(text, "test").expect("test YAML parses")
}

/// Asserts that `actual` serialises exactly like `expected` does (same documents, same values,
/// same key order).
#[track_caller]
pub(crate) fn assert_yaml(actual: &ManifestList, expected: &str) {
    let render = |list: &ManifestList| {
        list.docs()
            .iter()
            .map(|d| serde_yaml_ng::to_string(d).expect("serialise"))
            .collect::<Vec<_>>()
            .join("---\n")
    };
    assert_eq!(render(actual), render(&manifests(expected)));
}

/// `text` with each `(from, to)` of `edits` applied in turn; each `from` must occur, so an
/// expectation cannot silently equal its input.
#[track_caller]
pub(crate) fn edited(text: &str, edits: &[(&str, &str)]) -> String {
    edits.iter().fold(text.to_string(), |text, (from, to)| {
        assert!(text.contains(from), "{from:?} is not in the test input");
        text.replace(from, to)
    })
}

/// Asserts that `text` contains `part`, showing `text` when not.
#[track_caller]
pub(crate) fn assert_contains(text: &str, part: &str) {
    assert!(text.contains(part), "{part:?} is not in {text:?}");
}

/// Asserts that `text` starts with `prefix`, showing `text` when not.
#[track_caller]
pub(crate) fn assert_starts_with(text: &str, prefix: &str) {
    assert!(
        text.starts_with(prefix),
        "{text:?} does not start with {prefix:?}"
    );
}
