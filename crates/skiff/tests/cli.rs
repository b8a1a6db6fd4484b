//! End-to-end tests of the `skiff` command line: exit codes, output streams, environment
//! variables and env files.

use std::path::Path;
use std::process::Output;

use skiff_testenv::{code, run_isolated, stderr, stdout};

/// A `skiff` process in `dir` with no `SKAFFOLD_*` variable inherited from the test's
/// environment.
fn skiff(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    run_isolated(env!("CARGO_BIN_EXE_skiff"), dir, args, env)
}

fn empty_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

#[test]
fn version_prints_v_and_the_package_version() {
    let dir = empty_dir();
    let out = skiff(dir.path(), &["version"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("v{}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(stderr(&out), "");
}

#[test]
fn help_exits_zero_on_stdout() {
    let dir = empty_dir();
    for args in [&["--help"][..], &["-h"], &[], &["help"]] {
        let out = skiff(dir.path(), args, &[]);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        let help = stdout(&out);
        assert!(help.contains("Skaffold-compatible"), "{args:?}: {help}");
        assert!(help.contains("version"), "{args:?}: {help}");
        assert!(!help.contains("serve"), "{args:?}: {help}");
    }
    let out = skiff(dir.path(), &["--version"], &[]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn unknown_flags_and_commands_are_usage_errors() {
    let dir = empty_dir();
    for args in [
        &["version", "--no-such-flag"][..],
        &["--no-such-flag"],
        &["no-such-command"],
        &["version", "--timestamps", "false"],
    ] {
        let out = skiff(dir.path(), args, &[]);
        assert_eq!(code(&out), 127, "{args:?}");
        assert!(!stderr(&out).is_empty(), "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}");
    }
}

#[test]
fn invalid_value_from_the_environment_is_a_usage_error() {
    let dir = empty_dir();
    let out = skiff(dir.path(), &["version"], &[("SKAFFOLD_VERBOSITY", "bogus")]);
    assert_eq!(code(&out), 127);
    assert!(stderr(&out).contains("bogus"), "{}", stderr(&out));

    let out = skiff(
        dir.path(),
        &["version"],
        &[("SKAFFOLD_TIMESTAMPS", "maybe")],
    );
    assert_eq!(code(&out), 127);
}

#[test]
fn command_line_beats_the_environment() {
    let dir = empty_dir();
    // An environment value replaced on the command line is not even validated.
    for args in [
        &["version", "-v", "info"][..],
        &["-v", "info", "version"],
        &["--verbosity=info", "version"],
        &["version", "-vinfo"],
    ] {
        let out = skiff(dir.path(), args, &[("SKAFFOLD_VERBOSITY", "bogus")]);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
    }
    // A malformed env file is reported at warning level, not at error level.
    std::fs::write(dir.path().join("skaffold.env"), "not an assignment\n").unwrap();
    for args in [&["-v", "error", "version"][..], &["version", "-v", "error"]] {
        let out = skiff(dir.path(), args, &[("SKAFFOLD_VERBOSITY", "warning")]);
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
    let out = skiff(
        dir.path(),
        &["-v", "warning", "version"],
        &[("SKAFFOLD_VERBOSITY", "error")],
    );
    assert!(stderr(&out).starts_with("WARN[0000] "), "{}", stderr(&out));
}

#[test]
fn skaffold_env_file_is_loaded() {
    let dir = empty_dir();
    std::fs::write(
        dir.path().join("skaffold.env"),
        "# set from a file\nexport SKAFFOLD_VERBOSITY=\"bogus\"\n",
    )
    .unwrap();
    let out = skiff(dir.path(), &["version"], &[]);
    assert_eq!(code(&out), 127, "{}", stderr(&out));
}

#[test]
fn skiff_env_file_is_loaded() {
    let dir = empty_dir();
    std::fs::write(dir.path().join("skiff.env"), "SKAFFOLD_VERBOSITY=bogus\n").unwrap();
    let out = skiff(dir.path(), &["version"], &[]);
    assert_eq!(code(&out), 127, "{}", stderr(&out));
}

#[test]
fn existing_environment_beats_env_files() {
    let dir = empty_dir();
    std::fs::write(
        dir.path().join("skaffold.env"),
        "SKAFFOLD_VERBOSITY=bogus\n",
    )
    .unwrap();
    let out = skiff(dir.path(), &["version"], &[("SKAFFOLD_VERBOSITY", "info")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), format!("v{}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn skaffold_env_beats_skiff_env() {
    let dir = empty_dir();
    std::fs::write(
        dir.path().join("skaffold.env"),
        "SKAFFOLD_VERBOSITY=debug\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("skiff.env"), "SKAFFOLD_VERBOSITY=bogus\n").unwrap();
    let out = skiff(dir.path(), &["version"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // At debug level the loaded files are logged, in Skaffold's log format.
    let err = stderr(&out);
    assert!(
        err.contains("DEBU[0000] Loaded environment variables"),
        "{err}"
    );
}

#[test]
fn malformed_env_file_is_a_warning() {
    let dir = empty_dir();
    std::fs::write(dir.path().join("skaffold.env"), "not an assignment\n").unwrap();
    let out = skiff(dir.path(), &["version"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(
            "WARN[0000] Failed to load environment variables from file \"skaffold.env\": "
        ),
        "{err}"
    );
}

#[test]
fn timestamps_flag_changes_the_log_prefix() {
    let dir = empty_dir();
    std::fs::write(dir.path().join("skaffold.env"), "not an assignment\n").unwrap();
    let out = skiff(dir.path(), &["version", "--timestamps"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.starts_with("WARN[20"), "{err}");
    assert!(err.contains("Z] Failed to load"), "{err}");
}
