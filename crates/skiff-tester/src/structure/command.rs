//! Command tests: `command` with `args` run in a fresh container of the image (its entrypoint
//! replaced by the command), its output and exit code checked.
//!
//! As container-structure-test's docker driver does it, each `setup` command runs in a container
//! whose result is committed as an image, and the next step starts from that image, so setup
//! works on any image, with or without a shell. The test command then runs from the last setup
//! image, and each `teardown` command after it from the same image. The committed images are
//! removed afterwards.
//!
//! Variables are `globalEnvVars` followed by the test's `envVars`; `$NAME` and `${NAME}` in a
//! value are replaced by the image's variable or one set earlier in the list (unknown names
//! become empty), like a shell would.

use std::collections::HashMap;

use skiff_docker::Engine;

use super::config::{CommandTest, KeyValue};
use super::containers::{Leftovers, run_and_commit, run_captured, run_step};
use super::gofmt::go_quote_list;
use super::report::{TestResult, check_patterns, run_test};

/// Validates and runs one command test against `image`, whose configured environment is
/// `image_env` (`NAME=value` entries).
pub(crate) async fn run_command_test(
    test: &CommandTest,
    global_env: &[KeyValue],
    image: &str,
    image_env: &[String],
    engine: &Engine,
) -> TestResult {
    let name = format!("Command Test: {}", test.name);
    run_test(name, validate(test), async |result| {
        let env = expand_env(global_env.iter().chain(&test.env_vars), image_env);
        let mut leftovers = Leftovers::new(engine);
        run(test, image, &env, engine, &mut leftovers, result).await;
        leftovers.remove().await;
    })
    .await
}

/// container-structure-test's checks of a command test's configuration.
fn validate(test: &CommandTest) -> Option<String> {
    if test.name.is_empty() {
        return Some("Please provide a valid name for every test".into());
    }
    if test.command.is_empty() {
        return Some(format!(
            "Please provide a valid command to run for test {}",
            test.name
        ));
    }
    for (what, steps) in [("setup", &test.setup), ("teardown", &test.teardown)] {
        if steps.iter().any(Vec::is_empty) {
            return Some(format!(
                "Error in {what} command configuration encountered; please check formatting and remove all empty {what} commands"
            ));
        }
    }
    None
}

async fn run(
    test: &CommandTest,
    image: &str,
    env: &[String],
    engine: &Engine,
    leftovers: &mut Leftovers,
    result: &mut TestResult,
) {
    let mut current = image.to_owned();
    for step in &test.setup {
        match run_and_commit(engine, leftovers, &current, step, env).await {
            Ok(committed) => current = committed,
            Err(reason) => {
                result.fail(format!("error setting up: {reason}"));
                return;
            }
        }
    }
    let command: Vec<String> = std::iter::once(test.command.clone())
        .chain(test.args.iter().cloned())
        .collect();
    match run_captured(engine, &current, &command, env).await {
        Ok(captured) => {
            check_output(
                test,
                &captured.stdout,
                &captured.stderr,
                captured.exit_code,
                result,
            );
            result.stdout = captured.stdout;
            result.stderr = captured.stderr;
        }
        Err(e) => result.fail(format!("error running {}: {e}", go_quote_list(&command))),
    }
    for step in &test.teardown {
        if let Err(reason) = run_step(engine, &current, step, env).await {
            result.fail(format!("error tearing down: {reason}"));
            return;
        }
    }
}

/// container-structure-test's checks of the output and exit code, with its messages.
fn check_output(
    test: &CommandTest,
    stdout: &str,
    stderr: &str,
    code: i64,
    result: &mut TestResult,
) {
    check_patterns(result, &test.expected_error, stderr, true, |p| {
        format!("Expected string '{p}' not found in error '{stderr}'")
    });
    check_patterns(result, &test.excluded_error, stderr, false, |p| {
        format!("Excluded string '{p}' found in error '{stderr}'")
    });
    check_patterns(result, &test.expected_output, stdout, true, |p| {
        format!("Expected string '{p}' not found in output '{stdout}'")
    });
    check_patterns(result, &test.excluded_output, stdout, false, |p| {
        format!("Excluded string '{p}' found in output '{stdout}'")
    });
    if test.exit_code != code {
        result.fail(format!(
            "Test '{}' exited with incorrect error code. Expected: {}, Actual: {code}",
            test.name, test.exit_code
        ));
    }
}

/// `NAME=value` entries for `vars`, each value expanded against the image's variables and the
/// ones before it.
fn expand_env<'a>(vars: impl Iterator<Item = &'a KeyValue>, image_env: &[String]) -> Vec<String> {
    let mut known: HashMap<String, String> = image_env
        .iter()
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut env = Vec::new();
    for var in vars {
        let value = expand(&var.value, &known);
        env.push(format!("{}={value}", var.key));
        known.insert(var.key.clone(), value);
    }
    env
}

/// Replaces `$NAME` and `${NAME}` (Go's `os.Expand`); a `$` not followed by a name stays.
fn expand(value: &str, known: &HashMap<String, String>) -> String {
    let lookup = |name: &str| known.get(name).cloned().unwrap_or_default();
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::new();
    let mut rest = value;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(braced) = after.strip_prefix('{')
            && let Some(end) = braced.find('}')
        {
            out.push_str(&lookup(&braced[..end]));
            rest = &braced[end + 1..];
            continue;
        }
        let len = after.find(|c: char| !is_name(c)).unwrap_or(after.len());
        if len == 0 {
            out.push('$');
        } else {
            out.push_str(&lookup(&after[..len]));
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn var(key: &str, value: &str) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
            is_regex: false,
        }
    }

    #[test]
    fn values_expand_against_the_image_and_earlier_variables() {
        let vars = [
            var("A", "x"),
            var("PATH", "/opt:$PATH"),
            var("B", "${A}y$NOPE-$"),
        ];
        let env = expand_env(vars.iter(), &["PATH=/bin".to_owned()]);
        assert_eq!(env, ["A=x", "PATH=/opt:/bin", "B=xy-$"]);
    }

    #[test]
    fn invalid_tests_fail_with_container_structure_tests_messages() {
        let mut test = CommandTest::default();
        assert_eq!(
            validate(&test).unwrap(),
            "Please provide a valid name for every test"
        );
        test.name = "t".into();
        assert_eq!(
            validate(&test).unwrap(),
            "Please provide a valid command to run for test t"
        );
        test.command = "ls".into();
        test.setup = vec![vec![]];
        assert!(
            validate(&test)
                .unwrap()
                .starts_with("Error in setup command")
        );
        test.setup.clear();
        assert!(validate(&test).is_none());
    }

    #[test]
    fn output_and_exit_code_are_checked() {
        let test = CommandTest {
            name: "t".into(),
            command: "ls".into(),
            expected_output: vec!["^hello".into()],
            excluded_output: vec!["secret".into()],
            expected_error: vec!["warn".into()],
            excluded_error: vec!["panic".into()],
            exit_code: 1,
            ..Default::default()
        };
        let mut ok = TestResult::new("t".into());
        check_output(&test, "hello\n", "a warning\n", 1, &mut ok);
        assert!(ok.passed(), "{:?}", ok.errors);
        let mut bad = TestResult::new("t".into());
        check_output(&test, "secret hello\n", "panic\n", 0, &mut bad);
        assert_eq!(
            bad.errors,
            [
                "Expected string 'warn' not found in error 'panic\n'",
                "Excluded string 'panic' found in error 'panic\n'",
                "Expected string '^hello' not found in output 'secret hello\n'",
                "Excluded string 'secret' found in output 'secret hello\n'",
                "Test 't' exited with incorrect error code. Expected: 1, Actual: 0",
            ]
        );
    }
}
