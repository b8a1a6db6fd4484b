//! What this build of skiff reports about itself.

/// The config schema version skiff reads natively.
pub const CONFIG_VERSION: &str = "skaffold/v4beta14";

/// The `metaEvent` entry that opens every session, shaped like Skaffold's
/// `Starting Skaffold: &{Version:… ConfigVersion:… …}` so clients that parse it keep working.
pub fn meta_entry() -> String {
    format!(
        "Starting Skaffold: &{{Version:{} ConfigVersion:{CONFIG_VERSION} GitVersion: GitCommit: BuildDate: GoVersion: Compiler:rustc Platform:{}/{} User:skiff}}",
        crate::cli::VERSION,
        std::env::consts::OS,
        go_arch(),
    )
}

/// The architecture in Go's spelling, as platforms are written in container images.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// A fresh run id (a random UUID), as in the `skaffold.dev/run-id` label.
pub fn new_run_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_entry_has_skaffolds_shape() {
        let entry = meta_entry();
        assert!(entry.starts_with("Starting Skaffold: &{Version:v"));
        assert!(entry.contains("ConfigVersion:skaffold/v4beta14"));
        assert!(entry.ends_with('}'));
        assert_ne!(new_run_id(), new_run_id());
    }
}
