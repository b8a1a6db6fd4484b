//! Exit codes and error printing, as Skaffold does them: 0 on success, 1 for errors,
//! 127 for usage errors.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

/// Exit code for a failed command.
pub const ERROR: u8 = 1;
/// Exit code for a wrong command line (unknown command or flag, invalid value).
pub const USAGE_ERROR: u8 = 127;

/// An error in how skiff was invoked, found after parsing (for example two flags that
/// cannot be used together). Makes the process exit with [`USAGE_ERROR`].
#[derive(Debug)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A failure the command has already reported in its own format (`inspect`'s JSON error
/// object): the process exits with [`ERROR`] and prints nothing more.
#[derive(Debug)]
pub struct Reported;

impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the command failed")
    }
}

impl std::error::Error for Reported {}

/// The exit code for an error returned by a command.
pub fn code_for(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<UsageError>()) {
        USAGE_ERROR
    } else {
        ERROR
    }
}

/// Prints a clap error (or the help/version text clap produced) and returns the exit code:
/// 0 for `--help` and `--version`, [`USAGE_ERROR`] for everything else.
pub fn clap_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    // Printing only fails when the stream is closed; the exit code still tells the story.
    let _ = err.print();
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
        _ => ExitCode::from(USAGE_ERROR),
    }
}

/// Maps the outcome of a command to the process exit code, printing an error on stderr
/// (in red when stderr is a terminal) as `outer context: inner cause`.
pub fn report(result: anyhow::Result<()>) -> ExitCode {
    let Err(err) = result else {
        return ExitCode::SUCCESS;
    };
    if err.is::<Reported>() {
        return ExitCode::from(ERROR);
    }
    let mut stderr = std::io::stderr().lock();
    let _ = if stderr.is_terminal() {
        writeln!(stderr, "\x1b[31m{err:#}\x1b[0m")
    } else {
        writeln!(stderr, "{err:#}")
    };
    ExitCode::from(code_for(&err))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_127_even_with_context() {
        let err = anyhow::Error::new(UsageError("bad flags".into())).context("validating");
        assert_eq!(code_for(&err), USAGE_ERROR);
        assert_eq!(code_for(&anyhow::anyhow!("boom")), ERROR);
    }
}
