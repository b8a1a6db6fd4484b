//! `skiff version`: print the version.

use std::io::Write;

/// Prints `v<version>` (for example `v0.1.0`) and a newline on stdout.
pub fn run() -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", crate::cli::VERSION)?;
    out.flush()?;
    Ok(())
}
