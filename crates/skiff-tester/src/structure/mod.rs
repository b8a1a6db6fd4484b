//! Structure tests (`test[].structureTests`): container-structure-test files (`schemaVersion:
//! 2.0.0`) run natively against the built image through the engine, no external binary needed.
//!
//! Each file's tests run in container-structure-test's order: command tests, file existence
//! tests, file content tests, then the metadata test. Results are printed in its text format,
//! followed by one summary for all the files; any failed test fails the tester with
//! `TEST_CST_USER_ERR`, as the failing binary does in Skaffold.
//!
//! Not supported, and refused by name: `licenseTests`, `containerRunOptions`, and any
//! `structureTestsArgs` other than `--no-color` and `-v/--verbosity <level>` (accepted and
//! ignored: the output is never coloured, and skiff's log level is its own).

mod command;
mod config;
mod containers;
mod file;
mod gofmt;
mod metadata;
mod ownership;
mod report;

use std::path::{Path, PathBuf};
use std::time::Instant;

use skiff_build::builder::BuildOutput;
use skiff_build::custom::{ListError, list_files};
use skiff_build::go_quote;
use skiff_docker::Engine;
use skiff_proto::enums::StatusCode;

use crate::error::TestError;
use config::StructureTestFile;
use containers::{FileReader, image_config};
use gofmt::go_quote_list;
use report::{Summary, TestResult, file_banner};

/// The structure tests of one test case against one built image.
#[derive(Debug, Clone, Copy)]
pub struct StructureTestRun<'a> {
    /// The test files (see [`structure_test_files`]).
    pub files: &'a [PathBuf],
    /// `test[].structureTests` as configured, for messages.
    pub patterns: &'a [String],
    /// `test[].structureTestsArgs`.
    pub args: &'a [String],
    /// The built reference to test; pulled when the engine does not have it.
    pub image: &'a str,
    /// The engine holding the image.
    pub engine: &'a Engine,
}

/// A failure of the structure tests as a whole.
fn cst_error(message: impl std::fmt::Display) -> TestError {
    TestError::new(
        StatusCode::TestCstUserErr,
        format!("running container-structure-test: {message}"),
    )
}

/// Checks `structureTestsArgs`: only flags that change nothing for skiff are accepted.
fn check_args(args: &[String]) -> Result<(), TestError> {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let accepted = match arg.as_str() {
            "--no-color" => true,
            "-v" | "--verbosity" => args.next().is_some(),
            other => other.starts_with("--verbosity=") || other.starts_with("-v="),
        };
        if !accepted {
            return Err(TestError::new(
                StatusCode::TestUserConfigErr,
                format!(
                    "test[].structureTestsArgs: {} is not supported: skiff runs structure tests itself, \
                     without the container-structure-test binary (only --no-color and -v/--verbosity are \
                     accepted, and ignored)",
                    go_quote(arg)
                ),
            ));
        }
    }
    Ok(())
}

impl StructureTestRun<'_> {
    /// Runs every test of every file, writing container-structure-test's text output to
    /// `output`. Fails when a file cannot be read or parsed, the image cannot be pulled or
    /// inspected, no test ran, or a test failed.
    pub async fn run(&self, output: &dyn BuildOutput) -> Result<(), TestError> {
        check_args(self.args)?;
        if self.files.is_empty() {
            return Err(cst_error(format_args!(
                "no structure test file matches {}",
                go_quote_list(self.patterns)
            )));
        }
        let mut files = Vec::with_capacity(self.files.len());
        for path in self.files {
            let text = std::fs::read_to_string(path)
                .map_err(|e| cst_error(format_args!("reading {}: {e}", path.display())))?;
            let parsed = StructureTestFile::parse(&text)
                .map_err(|e| cst_error(format_args!("{}: {e}", path.display())))?;
            files.push((path, parsed));
        }
        self.engine.ensure_image(self.image).await.map_err(|e| {
            TestError::new(
                StatusCode::TestImgPullErr,
                format!("unable to docker pull image {}: {e}", self.image),
            )
        })?;
        let config = image_config(self.engine, self.image)
            .await
            .map_err(|e| cst_error(format_args!("inspecting {}: {e}", self.image)))?;
        let image_env = config.env.clone().unwrap_or_default();

        let started = Instant::now();
        let mut summary = Summary::default();
        let mut failed = Vec::new();
        let mut report = |result: TestResult| {
            output.write(&result.text());
            summary.add(&result);
            if !result.passed() {
                failed.push(result.name);
            }
        };
        for (path, file) in &files {
            let name = path.file_name().unwrap_or(path.as_os_str());
            output.write(&file_banner(&name.to_string_lossy()));
            for test in &file.command_tests {
                report(
                    command::run_command_test(
                        test,
                        &file.global_env_vars,
                        self.image,
                        &image_env,
                        self.engine,
                    )
                    .await,
                );
            }
            let mut reader = FileReader::new(self.engine, self.image);
            for test in &file.file_existence_tests {
                report(file::run_file_existence_test(test, &mut reader).await);
            }
            for test in &file.file_content_tests {
                report(file::run_file_content_test(test, &mut reader).await);
            }
            reader.finish().await;
            if let Some(test) = file.metadata_test.as_ref().filter(|m| !m.is_empty()) {
                report(metadata::check_metadata(test, &config));
            }
        }
        summary.duration = started.elapsed();
        output.write(&summary.text());
        let total = summary.passes + summary.failures;
        if total == 0 {
            return Err(cst_error("no tests run! Check config file format."));
        }
        if !failed.is_empty() {
            return Err(cst_error(format_args!(
                "{} of {total} tests failed: {}",
                failed.len(),
                failed.join(", ")
            )));
        }
        Ok(())
    }
}

/// The structure test files of `patterns` (`test[].structureTests`, globs relative to
/// `base_dir`), absolute, in pattern order without duplicates; a directory gives the files
/// under it. A pattern that matches nothing is skipped with a warning, as in Skaffold.
pub fn structure_test_files(
    patterns: &[String],
    base_dir: &Path,
) -> Result<Vec<PathBuf>, TestError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for pattern in patterns {
        let (root, relative) = match pattern.strip_prefix('/') {
            Some(rest) => (Path::new("/"), rest),
            None => (base_dir, pattern.as_str()),
        };
        match list_files(root, &[relative.to_owned()], &[]) {
            Ok(found) => {
                for file in found {
                    let file = root.join(file);
                    if !files.contains(&file) {
                        files.push(file);
                    }
                }
            }
            Err(ListError::NoMatch { .. }) => {
                tracing::warn!("{pattern} did not match any file");
            }
            Err(e) => {
                return Err(TestError::new(
                    StatusCode::TestUserConfigErr,
                    format!("expanding test file paths: {e}"),
                ));
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_harmless_arguments_are_accepted() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(check_args(&args(&["--no-color", "-v", "debug", "--verbosity=info"])).is_ok());
        assert_eq!(
            check_args(&args(&["--pull", "--no-color"])),
            Err(TestError::new(
                StatusCode::TestUserConfigErr,
                "test[].structureTestsArgs: \"--pull\" is not supported: skiff runs structure tests \
                 itself, without the container-structure-test binary (only --no-color and \
                 -v/--verbosity are accepted, and ignored)"
            ))
        );
        assert!(check_args(&args(&["-v"])).is_err());
    }

    #[test]
    fn files_come_in_pattern_order_without_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("tests/more")).unwrap();
        for f in [
            "tests/b.yaml",
            "tests/a.yaml",
            "tests/more/c.yaml",
            "z.yaml",
        ] {
            std::fs::write(base.join(f), "").unwrap();
        }
        let patterns: Vec<String> = ["z.yaml", "tests/*.yaml", "tests", "missing/*.yaml"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let files = structure_test_files(&patterns, base).unwrap();
        let relative: Vec<String> = files
            .iter()
            .map(|f| f.strip_prefix(base).unwrap().display().to_string())
            .collect();
        assert_eq!(
            relative,
            [
                "z.yaml",
                "tests/a.yaml",
                "tests/b.yaml",
                "tests/more/c.yaml"
            ]
        );
        let absolute = vec![base.join("z.yaml").display().to_string()];
        assert_eq!(
            structure_test_files(&absolute, Path::new("/elsewhere")).unwrap(),
            [base.join("z.yaml")]
        );
    }
}
