//! The testers of a pipeline and the order they run in (Skaffold's `FullTester`).
//!
//! Each test case gives one structure tester (when it lists `structureTests`) followed by one
//! custom tester per `custom` entry. The testers run image by image in the order the images were
//! built, each image's testers in test-case order; test cases of images that were not built do
//! not run.

use std::path::{Path, PathBuf};

use skiff_build::builder::{BuildOutput, BuiltImage};
use skiff_config::model::{CustomTest, TestCase};
use skiff_docker::Engine;

use crate::custom::{CustomTestRun, custom_test_dependencies, engine_env};
use crate::error::TestError;
use crate::structure::{StructureTestRun, structure_test_files};

/// What a tester runs.
#[derive(Debug, Clone, Copy)]
pub enum TesterKind<'a> {
    /// The test case's `structureTests` (and `structureTestsArgs`).
    Structure(&'a TestCase),
    /// One of the test case's `custom` tests.
    Custom(&'a CustomTest),
}

/// One tester of one image: Skaffold's `ImageTester`.
#[derive(Debug, Clone)]
pub struct Tester<'a> {
    /// The artifact's image name (`test[].image`).
    pub image: &'a str,
    /// The directory `structureTests` globs are relative to (the config's directory).
    pub base_dir: PathBuf,
    /// The test case's context directory, where custom commands run.
    pub workspace: PathBuf,
    /// What it runs.
    pub kind: TesterKind<'a>,
}

/// The testers of `cases` (every config's `test` list, in config order), with paths relative to
/// `base_dir`.
pub fn testers<'a>(
    cases: impl IntoIterator<Item = &'a TestCase>,
    base_dir: &Path,
) -> Vec<Tester<'a>> {
    let mut testers = Vec::new();
    for case in cases {
        let tester = |kind| Tester {
            image: &case.image,
            base_dir: base_dir.to_path_buf(),
            workspace: base_dir.join(&case.context),
            kind,
        };
        if !case.structure_tests.is_empty() {
            testers.push(tester(TesterKind::Structure(case)));
        }
        testers.extend(case.custom.iter().map(|c| tester(TesterKind::Custom(c))));
    }
    testers
}

/// The testers to run after `builds`, in Skaffold's order, each with the reference it tests.
pub fn schedule<'t>(
    testers: &'t [Tester<'t>],
    builds: &'t [BuiltImage],
) -> Vec<(&'t Tester<'t>, &'t str)> {
    builds
        .iter()
        .flat_map(|build| {
            testers
                .iter()
                .filter(move |t| t.image == build.image_name)
                .map(move |t| (t, build.reference.as_str()))
        })
        .collect()
}

/// The files the testers of `image` depend on: structure test files and custom test
/// dependencies (Skaffold's `TestDependencies` of an artifact).
pub fn test_dependencies(testers: &[Tester<'_>], image: &str) -> Result<Vec<PathBuf>, TestError> {
    let mut deps = Vec::new();
    for tester in testers.iter().filter(|t| t.image == image) {
        deps.extend(tester.dependencies()?);
    }
    Ok(deps)
}

impl Tester<'_> {
    /// Runs the tester against `reference` (an image in `engine`, pulled if it is not there),
    /// writing its output to `output`.
    pub async fn run(
        &self,
        reference: &str,
        engine: &Engine,
        output: &dyn BuildOutput,
    ) -> Result<(), TestError> {
        match self.kind {
            TesterKind::Structure(case) => {
                let files = structure_test_files(&case.structure_tests, &self.base_dir)?;
                StructureTestRun {
                    files: &files,
                    patterns: &case.structure_tests,
                    args: &case.structure_tests_args,
                    image: reference,
                    engine,
                }
                .run(output)
                .await
            }
            TesterKind::Custom(test) => {
                let extra_env = engine_env(engine);
                CustomTestRun {
                    test,
                    workspace: &self.workspace,
                    image: reference,
                    extra_env: &extra_env,
                }
                .run(output)
                .await
            }
        }
    }

    /// The files this tester depends on (structure test files are absolute; custom test
    /// dependencies as [`custom_test_dependencies`] returns them).
    pub fn dependencies(&self) -> Result<Vec<PathBuf>, TestError> {
        match self.kind {
            TesterKind::Structure(case) => {
                structure_test_files(&case.structure_tests, &self.base_dir)
            }
            TesterKind::Custom(test) => custom_test_dependencies(test, &self.workspace),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(image: &str, structure: &[&str], custom: &[&str]) -> TestCase {
        TestCase {
            image: image.into(),
            context: "ctx".into(),
            custom: custom
                .iter()
                .map(|c| CustomTest {
                    command: (*c).into(),
                    ..Default::default()
                })
                .collect(),
            structure_tests: structure.iter().map(|s| (*s).into()).collect(),
            structure_tests_args: Vec::new(),
        }
    }

    fn describe(t: &Tester<'_>) -> String {
        match t.kind {
            TesterKind::Structure(_) => format!("{}:structure", t.image),
            TesterKind::Custom(c) => format!("{}:{}", t.image, c.command),
        }
    }

    #[test]
    fn structure_tests_come_first_then_custom_tests_in_order() {
        let cases = [
            case("app", &[], &["one", "two"]),
            case("db", &["db.yaml"], &["three"]),
            case("app", &["app.yaml"], &[]),
        ];
        let all = testers(&cases, Path::new("/p"));
        let names: Vec<String> = all.iter().map(describe).collect();
        assert_eq!(
            names,
            [
                "app:one",
                "app:two",
                "db:structure",
                "db:three",
                "app:structure"
            ]
        );
        assert_eq!(all[0].workspace, Path::new("/p/ctx"));
    }

    #[test]
    fn testers_run_in_build_order_and_skip_images_not_built() {
        let cases = [
            case("app", &[], &["one"]),
            case("db", &["db.yaml"], &["two"]),
            case("web", &[], &["never"]),
            case("app", &["app.yaml"], &[]),
        ];
        let all = testers(&cases, Path::new("/p"));
        let builds = [
            BuiltImage {
                image_name: "db".into(),
                reference: "db:1".into(),
            },
            BuiltImage {
                image_name: "app".into(),
                reference: "app:2".into(),
            },
        ];
        let order: Vec<(String, &str)> = schedule(&all, &builds)
            .into_iter()
            .map(|(t, r)| (describe(t), r))
            .collect();
        assert_eq!(
            order,
            [
                ("db:structure".to_owned(), "db:1"),
                ("db:two".to_owned(), "db:1"),
                ("app:one".to_owned(), "app:2"),
                ("app:structure".to_owned(), "app:2"),
            ]
        );
    }
}
