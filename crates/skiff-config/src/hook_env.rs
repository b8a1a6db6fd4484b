//! The `SKAFFOLD_*` variables every lifecycle hook gets (build, sync, render and deploy hooks),
//! fixed for the whole run.

/// The variables every hook gets, fixed for the whole run (Skaffold's `StaticEnvOpts`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaticHookEnv {
    /// `--default-repo`.
    pub default_repo: Option<String>,
    /// Whether the default repo supports nested repositories.
    pub multi_level_repo: Option<bool>,
    /// The gRPC API port, when the API is enabled.
    pub rpc_port: Option<u16>,
    /// The HTTP API port, when the API is enabled.
    pub http_port: Option<u16>,
    /// skiff's working directory.
    pub work_dir: String,
}

impl StaticHookEnv {
    /// No default repo, no API; the current directory as working directory.
    pub fn current() -> Self {
        Self {
            work_dir: std::env::current_dir()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ..Self::default()
        }
    }

    /// The variables, in Skaffold's order: `SKAFFOLD_DEFAULT_REPO`, `SKAFFOLD_MULTI_LEVEL_REPO`,
    /// `SKAFFOLD_RPC_PORT` and `SKAFFOLD_HTTP_PORT` when set, then `SKAFFOLD_WORK_DIR`.
    pub fn vars(&self) -> Vec<(String, String)> {
        let mut vars = Vec::new();
        if let Some(repo) = &self.default_repo {
            vars.push(("SKAFFOLD_DEFAULT_REPO".to_owned(), repo.clone()));
        }
        if let Some(multi) = self.multi_level_repo {
            vars.push(("SKAFFOLD_MULTI_LEVEL_REPO".to_owned(), multi.to_string()));
        }
        if let Some(port) = self.rpc_port {
            vars.push(("SKAFFOLD_RPC_PORT".to_owned(), port.to_string()));
        }
        if let Some(port) = self.http_port {
            vars.push(("SKAFFOLD_HTTP_PORT".to_owned(), port.to_string()));
        }
        vars.push(("SKAFFOLD_WORK_DIR".to_owned(), self.work_dir.clone()));
        vars
    }
}
