//! Test results and their text, in container-structure-test's text output format: a banner per
//! file, `=== RUN: <test>` then `--- PASS` or `--- FAIL` with `Error: <reason>` lines, and a
//! `RESULTS` summary.

use std::time::{Duration, Instant};

use regex::Regex;
use skiff_build::go_quote;
use skiff_events::duration::go_duration;

/// The outcome of one test.
#[derive(Debug, Clone, Default)]
pub(crate) struct TestResult {
    /// `Command Test: <name>`, `File Existence Test: <name>`, `Metadata Test`, …
    pub name: String,
    /// Why it failed; empty when it passed.
    pub errors: Vec<String>,
    /// The command's standard output (command tests).
    pub stdout: String,
    /// The command's standard error (command tests).
    pub stderr: String,
    /// How long it took.
    pub duration: Duration,
}

impl TestResult {
    /// A passing result named `name`, until a check fails.
    pub fn new(name: String) -> Self {
        Self {
            name,
            ..Default::default()
        }
    }

    /// Records a failed check.
    pub fn fail(&mut self, reason: impl Into<String>) {
        self.errors.push(reason.into());
    }

    /// Whether every check passed.
    pub fn passed(&self) -> bool {
        self.errors.is_empty()
    }

    /// The result as container-structure-test prints it, with a blank line after it.
    pub fn text(&self) -> String {
        let mut s = format!("=== RUN: {}\n", self.name);
        s.push_str(if self.passed() {
            "--- PASS\n"
        } else {
            "--- FAIL\n"
        });
        s.push_str(&format!("duration: {}\n", go_duration(self.duration)));
        for (label, text) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let text = text.trim_end_matches('\n');
            if !text.is_empty() {
                s.push_str(&format!("{label}: {text}\n"));
            }
        }
        for error in &self.errors {
            s.push_str(&format!("Error: {error}\n"));
        }
        s.push('\n');
        s
    }
}

/// The result of test `name`: failed with `problem` when its configuration is invalid (nothing
/// runs then), otherwise what `checks` record, with how long they took.
pub(crate) async fn run_test(
    name: String,
    problem: Option<String>,
    checks: impl AsyncFnOnce(&mut TestResult),
) -> TestResult {
    let mut result = TestResult::new(name);
    if let Some(problem) = problem {
        result.fail(problem);
        return result;
    }
    let started = Instant::now();
    checks(&mut result).await;
    result.duration = started.elapsed();
    result
}

/// Checks `text` against each pattern (Go-style regular expressions): each must match when
/// `expected`, none may match otherwise; `message(pattern)` says why a pattern failed.
pub(crate) fn check_patterns(
    result: &mut TestResult,
    patterns: &[String],
    text: &str,
    expected: bool,
    message: impl Fn(&str) -> String,
) {
    for pattern in patterns {
        if let Some(re) = regex(result, pattern)
            && re.is_match(text) != expected
        {
            result.fail(message(pattern));
        }
    }
}

/// `pattern` compiled as a regular expression; when it is not one, `result` records why.
pub(crate) fn regex(result: &mut TestResult, pattern: &str) -> Option<Regex> {
    Regex::new(pattern)
        .inspect_err(|e| {
            result.fail(format!(
                "invalid regular expression {}: {e}",
                go_quote(pattern)
            ))
        })
        .ok()
}

/// The three-line banner container-structure-test prints before a file's results.
pub(crate) fn banner(title: &str) -> String {
    let line = "=".repeat(title.len());
    format!("{line}\n{title}\n{line}\n")
}

/// The banner of a test file, by its base name.
pub(crate) fn file_banner(file_name: &str) -> String {
    banner(&format!("====== Test file: {file_name} ======"))
}

/// Totals over every test of a run.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Summary {
    /// Tests that passed.
    pub passes: usize,
    /// Tests that failed.
    pub failures: usize,
    /// The whole run's duration.
    pub duration: Duration,
}

impl Summary {
    /// Counts one result.
    pub fn add(&mut self, result: &TestResult) {
        if result.passed() {
            self.passes += 1;
        } else {
            self.failures += 1;
        }
    }

    /// The `RESULTS` block and the final `PASS` or `FAIL`.
    pub fn text(&self) -> String {
        let mut s = banner("============= RESULTS =============");
        s.push_str(&format!("Passes:      {}\n", self.passes));
        s.push_str(&format!("Failures:    {}\n", self.failures));
        s.push_str(&format!("Duration:    {}\n", go_duration(self.duration)));
        s.push_str(&format!("Total tests: {}\n\n", self.passes + self.failures));
        s.push_str(if self.failures == 0 {
            "PASS\n"
        } else {
            "FAIL\n"
        });
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_print_like_container_structure_test() {
        let mut result = TestResult::new("Command Test: echo".into());
        result.stdout = "hi\n".into();
        result.fail("Expected string 'x' not found in output 'hi\n'");
        result.duration = Duration::from_millis(1500);
        assert_eq!(
            result.text(),
            "=== RUN: Command Test: echo\n--- FAIL\nduration: 1.5s\nstdout: hi\nError: Expected string 'x' not found in output 'hi\n'\n\n"
        );
        let mut summary = Summary::default();
        summary.add(&result);
        summary.add(&TestResult::new("Metadata Test".into()));
        assert!(summary.text().ends_with(
            "Passes:      1\nFailures:    1\nDuration:    0s\nTotal tests: 2\n\nFAIL\n"
        ));
        let title = "====== Test file: a.yaml ======";
        let line = "=".repeat(title.len());
        assert_eq!(file_banner("a.yaml"), format!("{line}\n{title}\n{line}\n"));
    }

    #[test]
    fn patterns_must_match_or_not_and_bad_ones_are_named() {
        let mut result = TestResult::new("t".into());
        let patterns = vec!["^a+$".to_owned(), "b".to_owned()];
        check_patterns(&mut result, &patterns, "aaa", true, |p| {
            format!("missing {p}")
        });
        assert_eq!(result.errors, ["missing b"]);
        check_patterns(&mut result, &patterns, "aaa", false, |p| {
            format!("found {p}")
        });
        assert_eq!(result.errors, ["missing b", "found ^a+$"]);
        check_patterns(&mut result, &["(".to_owned()], "", true, |_| String::new());
        assert!(result.errors[2].starts_with("invalid regular expression \"(\""));
    }
}
