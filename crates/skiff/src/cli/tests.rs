//! Tests of the command line. They parse with the real process environment, so they assume
//! no `SKAFFOLD_*` variable is set; environment handling is tested in a child process.

use clap::ArgAction;
use clap::error::ErrorKind;

use super::*;
use crate::options::{ApiOptions, LogLevel};

fn parse(args: &[&str]) -> Result<Parsed, clap::Error> {
    parse_from(std::iter::once("skiff").chain(args.iter().copied()))
}

fn serve(args: &[&str]) -> (Cli, ServeArgs) {
    let parsed = parse(&[&["serve"], args].concat()).unwrap();
    match parsed.cli.command.clone() {
        Some(Commands::Serve(serve)) => (parsed.cli, serve),
        other => panic!("expected serve, got {other:?}"),
    }
}

/// Every command of the tree, root first, after clap has propagated global flags.
fn all_commands() -> Vec<clap::Command> {
    fn walk(cmd: &clap::Command, out: &mut Vec<clap::Command>) {
        out.push(cmd.clone());
        for sub in cmd.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut root = command();
    root.build();
    let mut out = Vec::new();
    walk(&root, &mut out);
    out
}

#[test]
fn clap_definition_is_valid() {
    command().debug_assert();
}

#[test]
fn every_long_flag_of_every_command_has_its_env_var() {
    let mut checked = 0;
    for cmd in all_commands() {
        for arg in cmd.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            let expected = format!("SKAFFOLD_{}", long.to_uppercase().replace('-', "_"));
            assert_eq!(
                arg.get_env().and_then(|e| e.to_str()),
                Some(expected.as_str()),
                "--{long} of `{}`",
                cmd.get_name()
            );
            checked += 1;
        }
    }
    // The serve command alone has 12 flags with the global ones.
    assert!(checked >= 12, "only {checked} flags checked");
}

#[test]
fn every_bool_flag_takes_an_optional_value() {
    for cmd in all_commands() {
        for arg in cmd.get_arguments() {
            assert!(
                !matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse),
                "--{:?} of `{}` is a plain switch",
                arg.get_long(),
                cmd.get_name()
            );
        }
    }
}

#[test]
fn env_var_names_of_some_flags() {
    let root = all_commands();
    let serve = root.iter().find(|c| c.get_name() == "serve").unwrap();
    let env_of = |long: &str| {
        serve
            .get_arguments()
            .find(|a| a.get_long() == Some(long))
            .and_then(|a| a.get_env())
            .and_then(|e| e.to_str())
            .map(str::to_owned)
    };
    assert_eq!(env_of("rpc-port").as_deref(), Some("SKAFFOLD_RPC_PORT"));
    assert_eq!(env_of("verbosity").as_deref(), Some("SKAFFOLD_VERBOSITY"));
    assert_eq!(
        env_of("event-log-file").as_deref(),
        Some("SKAFFOLD_EVENT_LOG_FILE")
    );
    assert_eq!(env_of("auto-build").as_deref(), Some("SKAFFOLD_AUTO_BUILD"));
}

#[test]
fn global_defaults() {
    let parsed = parse(&["version"]).unwrap();
    let global = parsed.cli.global.to_options();
    assert_eq!(global, crate::options::GlobalOptions::default());
    assert!(matches!(parsed.cli.command, Some(Commands::Version)));
    assert!(parsed.deprecations.is_empty());
}

#[test]
fn global_flags_go_before_or_after_the_command() {
    for args in [
        &["-v", "debug", "version"][..],
        &["version", "-v", "debug"],
        &["version", "--verbosity=DEBUG"],
    ] {
        let parsed = parse(args).unwrap();
        assert_eq!(parsed.cli.global.verbosity, LogLevel::Debug, "{args:?}");
    }
    let parsed = parse(&["version", "--verbosity", "warn", "--color", "91"]).unwrap();
    assert_eq!(parsed.cli.global.verbosity, LogLevel::Warning);
    assert_eq!(parsed.cli.global.color, 91);
}

#[test]
fn bad_values_are_usage_errors() {
    for args in [
        &["version", "-v", "bogus"][..],
        &["version", "--color", "blue"],
        &["version", "--bogus"],
        &["bogus"],
        &["serve", "--rpc-port", "70000"],
        &["version", "--timestamps=maybe"],
    ] {
        let err = parse(args).unwrap_err();
        assert!(
            !matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            ),
            "{args:?}"
        );
    }
}

#[test]
fn bools_accept_bare_and_explicit_values() {
    let bool_of = |args: &[&str]| parse(args).unwrap().cli.global.timestamps;
    assert!(!bool_of(&["version"]));
    assert!(bool_of(&["version", "--timestamps"]));
    assert!(bool_of(&["version", "--timestamps=true"]));
    assert!(bool_of(&["version", "--timestamps=1"]));
    assert!(bool_of(&["version", "--timestamps=T"]));
    assert!(!bool_of(&["version", "--timestamps=false"]));
    assert!(!bool_of(&["version", "--timestamps=False"]));
    assert!(!bool_of(&["version", "--timestamps=0"]));
    // Like pflag, a boolean never takes the next argument as its value.
    assert!(parse(&["version", "--timestamps", "false"]).is_err());

    let interactive = |args: &[&str]| parse(args).unwrap().cli.global.interactive;
    assert!(interactive(&["version"]));
    assert!(interactive(&["version", "--interactive"]));
    assert!(!interactive(&["version", "--interactive=false"]));
}

#[test]
fn trigger_flags_default_to_true() {
    let (_, args) = serve(&[]);
    assert!(args.triggers.auto_build && args.triggers.auto_sync && args.triggers.auto_deploy);
    let (_, args) = serve(&["--auto-build=false", "--auto-sync=false", "--auto-deploy"]);
    assert!(!args.triggers.auto_build);
    assert!(!args.triggers.auto_sync);
    assert!(args.triggers.auto_deploy);
}

#[test]
fn api_flags_convert_to_options() {
    let (_, args) = serve(&[]);
    assert_eq!(args.api.to_options(), ApiOptions::default());

    let (_, args) = serve(&["--rpc-port", "50051"]);
    let api = args.api.to_options();
    assert!(api.enabled);
    assert_eq!(api.grpc_port, Some(50051));
    assert_eq!(api.http_port, None);

    let (_, args) = serve(&["--rpc-http-port=50052", "--wait-for-connection"]);
    let api = args.api.to_options();
    assert!(api.enabled && api.wait_for_connection);
    assert_eq!(api.http_port, Some(50052));

    let (_, args) = serve(&[
        "--event-log-file",
        "events.json",
        "--last-log-file=last.log",
    ]);
    let api = args.api.to_options();
    assert!(!api.enabled);
    assert_eq!(
        api.event_log_file.as_deref(),
        Some(std::path::Path::new("events.json"))
    );
    assert_eq!(
        args.api.last_log_file.as_deref(),
        Some(std::path::Path::new("last.log"))
    );
}

#[test]
fn enable_rpc_is_deprecated_but_works() {
    let parsed = parse(&["serve", "--enable-rpc"]).unwrap();
    assert_eq!(
        parsed.deprecations,
        vec![
            "Flag --enable-rpc has been deprecated, flags --rpc-port or --rpc-http-port now \
             imply --enable-rpc=true, so please use one of those instead"
        ]
    );
    let Some(Commands::Serve(args)) = parsed.cli.command else {
        panic!("expected serve")
    };
    assert!(args.api.to_options().enabled);

    // Also reported when explicitly false, like pflag does.
    let parsed = parse(&["serve", "--enable-rpc=false"]).unwrap();
    assert_eq!(parsed.deprecations.len(), 1);
    assert!(parse(&["serve"]).unwrap().deprecations.is_empty());
}

#[test]
fn serve_options() {
    let (cli, args) = serve(&[
        "--artifact",
        "app",
        "--artifact=web,worker",
        "--auto-sync=false",
        "-v",
        "info",
    ]);
    let opts = args.to_options(&cli.global.to_options());
    assert_eq!(opts.artifacts, vec!["app", "web", "worker"]);
    assert!(opts.auto_build && !opts.auto_sync && opts.auto_deploy);
    assert_eq!(opts.verbosity, LogLevel::Info);
    assert!(!opts.api.enabled);
}

#[test]
fn help_and_version_requests() {
    assert_eq!(
        parse(&["--help"]).unwrap_err().kind(),
        ErrorKind::DisplayHelp
    );
    assert_eq!(
        parse(&["--version"]).unwrap_err().kind(),
        ErrorKind::DisplayVersion
    );
    assert!(parse(&[]).unwrap().cli.command.is_none());
}

#[test]
fn root_help_groups_visible_commands_only() {
    let help = command().render_help().to_string();
    assert!(help.contains("Other Commands:\n"), "{help}");
    assert!(help.contains("\n  version "), "{help}");
    assert!(!help.contains("serve"), "{help}");
    assert!(!help.contains("enable-rpc"), "{help}");
    assert!(help.contains("--verbosity"), "{help}");
    assert!(help.contains("Skaffold-compatible"), "{help}");
}

/// Marker telling [`env_child`] that it runs in a child process with a prepared environment.
const CHILD_MARKER: &str = "SKIFF_CLI_TEST_ENV_CHILD";

/// Runs [`env_child`] in a child process whose environment holds the given variables (and no
/// other `SKAFFOLD_*`), so the test never changes this process's environment.
#[test]
fn environment_sets_flags_and_the_command_line_wins() {
    let mut child = std::process::Command::new(std::env::current_exe().unwrap());
    child.args([
        "cli::tests::env_child",
        "--exact",
        "--nocapture",
        "--test-threads=1",
    ]);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("SKAFFOLD_") {
            child.env_remove(key);
        }
    }
    child
        .env(CHILD_MARKER, "1")
        .env("SKAFFOLD_VERBOSITY", "debug")
        .env("SKAFFOLD_TIMESTAMPS", "true")
        .env("SKAFFOLD_INTERACTIVE", "0")
        .env("SKAFFOLD_RPC_PORT", "50051")
        .env("SKAFFOLD_RPC_HTTP_PORT", "50052")
        .env("SKAFFOLD_AUTO_BUILD", "false")
        .env("SKAFFOLD_EVENT_LOG_FILE", "events.json")
        .env("SKAFFOLD_ARTIFACT", "app,web")
        .env("SKAFFOLD_ENABLE_RPC", "true");
    let output = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}\n{stderr}");
}

/// The child half of [`environment_sets_flags_and_the_command_line_wins`]; does nothing when
/// run directly.
#[test]
fn env_child() {
    if std::env::var_os(CHILD_MARKER).is_none() {
        return;
    }
    // Values from the environment.
    let (cli, args) = serve(&[]);
    let global = cli.global.to_options();
    assert_eq!(global.verbosity, LogLevel::Debug);
    assert!(global.timestamps);
    assert!(!global.interactive);
    let opts = args.to_options(&global);
    assert_eq!(opts.api.grpc_port, Some(50051));
    assert_eq!(opts.api.http_port, Some(50052));
    assert!(opts.api.enabled);
    assert!(!opts.auto_build);
    assert!(opts.auto_sync);
    assert_eq!(
        opts.api.event_log_file.as_deref(),
        Some(std::path::Path::new("events.json"))
    );
    assert_eq!(opts.artifacts, vec!["app", "web"]);
    // A deprecated flag set through the environment is reported too.
    assert_eq!(parse(&["serve"]).unwrap().deprecations.len(), 1);

    // The command line beats the environment.
    let (cli, args) = serve(&[
        "-v",
        "error",
        "--timestamps=false",
        "--interactive",
        "--rpc-port=6000",
        "--auto-build",
        "--artifact=other",
    ]);
    let global = cli.global.to_options();
    assert_eq!(global.verbosity, LogLevel::Error);
    assert!(!global.timestamps);
    assert!(global.interactive);
    let opts = args.to_options(&global);
    assert_eq!(opts.api.grpc_port, Some(6000));
    assert_eq!(opts.api.http_port, Some(50052));
    assert!(opts.auto_build);
    assert_eq!(opts.artifacts, vec!["other"]);

    // Also for global flags given before the command.
    let (cli, _) = {
        let parsed = parse(&["--verbosity=trace", "--timestamps=false", "serve"]).unwrap();
        match parsed.cli.command.clone() {
            Some(Commands::Serve(serve)) => (parsed.cli, serve),
            other => panic!("expected serve, got {other:?}"),
        }
    };
    assert_eq!(cli.global.verbosity, LogLevel::Trace);
    assert!(!cli.global.timestamps);
}
