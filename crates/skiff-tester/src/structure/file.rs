//! File existence and file content tests: the path is read from a created (never started)
//! container of the image through the engine's archive API, which gives its kind, mode, owner
//! and contents (on Podman, whose archive says root for every path, the owner comes from the
//! container's export). dockerd's archive of a symbolic link is the link itself; Podman's
//! follows it.

use super::config::{FileContentTest, FileExistenceTest};
use super::containers::{FileEntry, FileReader};
use super::report::{TestResult, check_patterns, run_test};

/// Runs one file existence test.
pub(crate) async fn run_file_existence_test(
    test: &FileExistenceTest,
    files: &mut FileReader<'_>,
) -> TestResult {
    let name = format!("File Existence Test: {}", test.name);
    run_test(
        name,
        validate(&test.name, &test.path),
        async |result| match files.read(&test.path, false).await {
            Ok(Some(mut entry)) if test.should_exist => {
                if owner_id(test.uid).is_some() || owner_id(test.gid).is_some() {
                    match files.owner(&test.path, &entry).await {
                        Ok((uid, gid)) => (entry.uid, entry.gid) = (uid, gid),
                        Err(e) => result.fail(format!("Error examining file in container: {e}")),
                    }
                }
                check_entry(test, &entry, result);
            }
            Ok(Some(_)) => result.fail(format!("File {} should not exist but does", test.path)),
            Ok(None) if test.should_exist => result.fail(format!(
                "File {} should exist but does not, got error: no such file or directory",
                test.path
            )),
            Ok(None) => {}
            Err(e) => result.fail(format!("Error examining file in container: {e}")),
        },
    )
    .await
}

/// container-structure-test's checks of a test's name and path.
fn validate(name: &str, path: &str) -> Option<String> {
    if name.is_empty() {
        Some("Please provide a valid name for every test".into())
    } else if path.is_empty() {
        Some(format!("Please provide a valid file path for test {name}"))
    } else {
        None
    }
}

/// A `uid` or `gid` to check (`-1` means none).
fn owner_id(id: Option<i64>) -> Option<i64> {
    id.filter(|&id| id != -1)
}

/// The mode, owner and executable checks of a path that exists.
fn check_entry(test: &FileExistenceTest, entry: &FileEntry, result: &mut TestResult) {
    let path = &test.path;
    let mode = entry.mode_string();
    if !test.permissions.is_empty() && mode != test.permissions {
        result.fail(format!(
            "{path} has incorrect permissions. Expected: {}, Actual: {mode}",
            test.permissions
        ));
    }
    if let Some(uid) = owner_id(test.uid)
        && u64::try_from(uid).ok() != Some(entry.uid)
    {
        result.fail(format!(
            "{path} has incorrect user ownership. Expected: {uid}, Actual: {}",
            entry.uid
        ));
    }
    if let Some(gid) = owner_id(test.gid)
        && u64::try_from(gid).ok() != Some(entry.gid)
    {
        result.fail(format!(
            "{path} has incorrect group ownership. Expected: {gid}, Actual: {}",
            entry.gid
        ));
    }
    if !test.is_executable_by.is_empty() {
        let bits = match test.is_executable_by.as_str() {
            "any" => 0o111,
            "owner" => 0o100,
            "group" => 0o010,
            "other" => 0o001,
            other => {
                result.fail(format!("{other} must be one of owner, group, other, any"));
                return;
            }
        };
        if entry.mode & bits == 0 {
            result.fail(format!(
                "{path} has incorrect executable bit. Expected to be executable by {}, Actual: {mode}",
                test.is_executable_by
            ));
        }
    }
}

/// Runs one file content test.
pub(crate) async fn run_file_content_test(
    test: &FileContentTest,
    files: &mut FileReader<'_>,
) -> TestResult {
    let name = format!("File Content Test: {}", test.name);
    run_test(
        name,
        validate(&test.name, &test.path),
        async |result| match files.read(&test.path, true).await {
            Ok(Some(entry)) => {
                let contents = String::from_utf8_lossy(&entry.contents);
                check_patterns(result, &test.expected_contents, &contents, true, |p| {
                    format!("Expected string {p} not found in file content string {contents}")
                });
                check_patterns(result, &test.excluded_contents, &contents, false, |p| {
                    format!("Excluded string {p} found in file content string {contents}")
                });
            }
            Ok(None) => result.fail(format!(
                "Failed to open {}. Error: no such file or directory",
                test.path
            )),
            Err(e) => result.fail(format!("Failed to open {}. Error: {e}", test.path)),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::containers::FileKind;

    #[test]
    fn mode_owner_and_executable_bits_are_checked() {
        let entry = FileEntry {
            kind: FileKind::Regular,
            mode: 0o754,
            uid: 1000,
            gid: 50,
            contents: Vec::new(),
        };
        let test = FileExistenceTest {
            name: "t".into(),
            path: "/app/run".into(),
            permissions: "-rwxr-xr--".into(),
            uid: Some(1000),
            gid: Some(-1),
            is_executable_by: "group".into(),
            ..Default::default()
        };
        let mut ok = TestResult::new("t".into());
        check_entry(&test, &entry, &mut ok);
        assert!(ok.passed(), "{:?}", ok.errors);

        let test = FileExistenceTest {
            permissions: "-rw-r--r--".into(),
            uid: Some(0),
            gid: Some(0),
            is_executable_by: "other".into(),
            ..test
        };
        let mut bad = TestResult::new("t".into());
        check_entry(&test, &entry, &mut bad);
        assert_eq!(
            bad.errors,
            [
                "/app/run has incorrect permissions. Expected: -rw-r--r--, Actual: -rwxr-xr--",
                "/app/run has incorrect user ownership. Expected: 0, Actual: 1000",
                "/app/run has incorrect group ownership. Expected: 0, Actual: 50",
                "/app/run has incorrect executable bit. Expected to be executable by other, Actual: -rwxr-xr--",
            ]
        );
    }
}
