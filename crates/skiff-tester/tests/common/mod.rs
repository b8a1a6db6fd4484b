//! What the tester's integration tests share.

use skiff_proto::enums::StatusCode;
use skiff_tester::TestError;

/// Asserts that `err` carries Skaffold's `code` and a message that starts with `start`.
#[track_caller]
pub fn assert_failure(err: &TestError, code: StatusCode, start: &str) {
    assert_eq!(err.code, code, "{}", err.message);
    assert!(
        err.message.starts_with(start),
        "{:?} does not start with {start:?}",
        err.message
    );
}
