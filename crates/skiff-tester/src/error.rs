//! A tester that failed: Skaffold's status code, the message and the suggestion it gives.

/// Why a tester (or listing its dependencies) failed.
pub type TestError = skiff_events::errors::Failure;
