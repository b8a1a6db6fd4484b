//! Tests on built images (`test[]` in skaffold.yaml): custom commands and container structure
//! tests, the latter run natively through the engine.
//!
//! [`testers`] turns the configured test cases into Skaffold's testers and [`schedule`] orders
//! them after a build; [`Tester::run`] runs one, writing its output to a
//! [`BuildOutput`](skiff_build::builder::BuildOutput) sink. [`Tester::dependencies`] and
//! [`test_dependencies`] list the files a change to which re-runs the tests.

pub mod custom;
mod error;
pub mod structure;
mod tester;

pub use custom::{CustomTestRun, custom_test_dependencies, engine_env};
pub use error::TestError;
pub use structure::{StructureTestRun, structure_test_files};
pub use tester::{Tester, TesterKind, schedule, test_dependencies, testers};
