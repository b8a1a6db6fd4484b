//! Rules applied to every flag of every command, so that each command only declares its fields.
//!
//! [`finish`] walks the whole [`clap::Command`] tree once and:
//! - binds every long flag to the environment variable `SKAFFOLD_<FLAG_NAME_UPPER_SNAKE>`
//!   (the command line wins over the environment);
//! - turns every boolean switch into a Skaffold-style boolean that accepts `--flag`,
//!   `--flag=true` and `--flag=false` (and the other spellings of Go's `strconv.ParseBool`);
//! - hides deprecated flags, whose use is reported by [`deprecation_notices`].

use std::ffi::OsString;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

/// Prefix of the environment variables that set flags.
pub const ENV_PREFIX: &str = "SKAFFOLD_";

/// Deprecated flags (long name, explanation) — still accepted, hidden from help, and reported
/// on stderr as `Flag --NAME has been deprecated, EXPLANATION` when used.
pub const DEPRECATED_FLAGS: &[(&str, &str)] = &[(
    "enable-rpc",
    "flags --rpc-port or --rpc-http-port now imply --enable-rpc=true, so please use one of those instead",
)];

/// Argument ids that clap generates itself and that never read the environment.
const BUILTIN_IDS: &[&str] = &["help", "version"];

/// The environment variable that sets the flag `--<long>`: `SKAFFOLD_` followed by the name in
/// upper case with dashes turned into underscores (`rpc-port` → `SKAFFOLD_RPC_PORT`).
pub fn env_var_name(long: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        long.to_ascii_uppercase().replace('-', "_")
    )
}

/// Parses a boolean the way Go's `strconv.ParseBool` (and so Skaffold) does.
///
/// Accepts `1`, `t`, `T`, `TRUE`, `true`, `True`, `0`, `f`, `F`, `FALSE`, `false`, `False`.
pub fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "expected one of true, false, 1, 0, t, f (got {value:?})"
        )),
    }
}

/// Applies the rules of this module to `cmd` and, recursively, to all its subcommands.
pub fn finish(cmd: Command) -> Command {
    cmd.mut_args(finish_arg).mut_subcommands(finish)
}

fn finish_arg(arg: Arg) -> Arg {
    let id = arg.get_id().as_str().to_owned();
    if BUILTIN_IDS.contains(&id.as_str()) {
        return arg;
    }
    let mut arg = arg;
    if matches!(arg.get_action(), ArgAction::SetTrue) {
        arg = skaffold_bool(arg);
    }
    if let Some(long) = arg.get_long().map(str::to_owned) {
        arg = arg.env(env_var_name(&long)).hide_env_values(true);
        if DEPRECATED_FLAGS.iter().any(|(name, _)| *name == long) {
            arg = arg.hide(true);
        }
    }
    arg
}

/// Unbinds the environment variable of every global flag that appears in `args`.
///
/// clap parses global flags at every level of the command tree and reads (and validates)
/// their environment variable at each level where the flag is absent, even when another
/// level has it on the command line. So that a command-line value always replaces the
/// environment's, like Skaffold, a global flag given in `args` does not read the environment.
pub fn command_line_beats_env(cmd: Command, args: &[OsString]) -> Command {
    let given: Vec<&str> = args
        .iter()
        .skip(1)
        .filter_map(|arg| arg.to_str())
        .take_while(|arg| *arg != "--")
        .filter(|arg| arg.starts_with('-'))
        .collect();
    cmd.mut_args(|arg| {
        if arg.is_global_set() && is_given(&arg, &given) {
            arg.env(None)
        } else {
            arg
        }
    })
}

/// Whether `--long`, `--long=VALUE`, `-s`, `-sVALUE` or `-s=VALUE` appears in `given`.
fn is_given(arg: &Arg, given: &[&str]) -> bool {
    given.iter().any(|token| {
        if let Some(name) = token.strip_prefix("--") {
            let name = name.split_once('=').map_or(name, |(name, _)| name);
            arg.get_long() == Some(name)
        } else {
            let short = token.strip_prefix('-').and_then(|rest| rest.chars().next());
            short.is_some() && arg.get_short() == short
        }
    })
}

/// Turns a `SetTrue` switch into a boolean taking an optional `=VALUE`.
fn skaffold_bool(arg: Arg) -> Arg {
    let default = arg
        .get_default_values()
        .first()
        .and_then(|v| v.to_str())
        .and_then(|v| parse_bool(v).ok())
        .unwrap_or(false);
    arg.action(ArgAction::Set)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("true")
        .default_value(if default { "true" } else { "false" })
        .value_parser(parse_bool)
        .value_name("true|false")
        .hide_possible_values(true)
}

/// Messages for the deprecated flags that were set on the command line or through the
/// environment, for the command (and its subcommands) that `matches` came from.
pub fn deprecation_notices(cmd: &Command, matches: &ArgMatches) -> Vec<String> {
    let mut notices = Vec::new();
    for arg in cmd.get_arguments() {
        let (Some(long), id) = (arg.get_long(), arg.get_id().as_str()) else {
            continue;
        };
        let Some((_, why)) = DEPRECATED_FLAGS.iter().find(|(name, _)| *name == long) else {
            continue;
        };
        if !matches.ids().any(|present| present.as_str() == id) {
            continue;
        }
        if matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            notices.push(format!("Flag --{long} has been deprecated, {why}"));
        }
    }
    if let Some((name, sub_matches)) = matches.subcommand()
        && let Some(sub) = cmd.find_subcommand(name)
    {
        notices.extend(deprecation_notices(sub, sub_matches));
    }
    notices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_upper_snake() {
        assert_eq!(env_var_name("rpc-port"), "SKAFFOLD_RPC_PORT");
        assert_eq!(env_var_name("verbosity"), "SKAFFOLD_VERBOSITY");
        assert_eq!(env_var_name("event-log-file"), "SKAFFOLD_EVENT_LOG_FILE");
    }

    #[test]
    fn bools_parse_like_go() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_bool(f), Ok(false), "{f}");
        }
        for bad in ["", "yes", "tRuE", "2"] {
            assert!(parse_bool(bad).is_err(), "{bad}");
        }
    }
}
