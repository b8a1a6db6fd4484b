//! The `skiff` executable.

use std::process::ExitCode;

fn main() -> ExitCode {
    // SAFETY: nothing else runs yet; the env files must be loaded before any thread starts.
    let env_files = unsafe { skiff::envfile::load_current_dir() };
    let parsed = match skiff::cli::parse() {
        Ok(parsed) => parsed,
        Err(err) => return skiff::exit::clap_error(err),
    };
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(skiff::commands::dispatch(parsed, env_files)));
    skiff::exit::report(result)
}
