//! `manifests.kustomize`: `kustomize build` of each path, as Skaffold's kustomize renderer runs
//! it.
//!
//! The `kustomize` binary is used when it is on the `PATH`, else `kubectl kustomize` (built into
//! kubectl since 1.14). Each path (default `.`) is expanded as an environment template and, unless
//! it is a URL, made absolute against the config's directory; `buildArgs` entries are split on
//! spaces and passed before the path: `kustomize build ARGS… PATH`. The outputs of the paths are
//! concatenated in order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use skiff_config::model::Kustomize;
use skiff_config::template::expand_env_template_with_env;
use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::tools::{KUBECTL, Tool, ToolCommand};
use crate::{ManifestList, RenderError};

/// The standalone `kustomize` binary.
const KUSTOMIZE: Tool = Tool {
    binary: "kustomize",
    display: "Kustomize",
    install_link: "https://kubectl.docs.kubernetes.io/installation/kustomize/",
    missing_code: StatusCode::DeployKustomizeUserErr,
    install_code: None,
};

/// Renders every kustomization of `kustomize`, relative to `base_dir`, with `env` as the tools'
/// environment and the templates' data.
pub async fn render_kustomize(
    kustomize: &Kustomize,
    base_dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<ManifestList, RenderError> {
    let runner = Runner::find(env)?;
    let default_paths = [".".to_string()];
    let paths = if kustomize.paths.is_empty() {
        &default_paths[..]
    } else {
        &kustomize.paths[..]
    };
    let mut list = ManifestList::default();
    for raw in paths {
        let path = expand_env_template_with_env(raw, env, &BTreeMap::new()).map_err(|err| {
            RenderError::new(
                StatusCode::DeployKustomizeUserErr,
                format!("unable to parse path {raw:?}: {err}"),
            )
        })?;
        let target = if is_url(&path) {
            path
        } else {
            base_dir.join(&path).display().to_string()
        };
        let cmd = runner.command(build_args(&kustomize.build_args, &target), env);
        let text = cmd
            .stdout(
                StatusCode::DeployKustomizeUserErr,
                &format!("kustomize build of {raw:?} failed ({})", cmd.command_line()),
            )
            .await?;
        list.extend(ManifestList::parse(
            &text,
            &format!("kustomize build output of {target}"),
        )?);
    }
    Ok(list)
}

/// Which program builds kustomizations.
enum Runner {
    /// `kustomize build …`.
    Kustomize(PathBuf),
    /// `kubectl kustomize …`.
    Kubectl(PathBuf),
}

impl Runner {
    fn find(env: &BTreeMap<String, String>) -> Result<Self, RenderError> {
        if let Some(path) = KUSTOMIZE.find(env) {
            return Ok(Runner::Kustomize(path));
        }
        if let Some(path) = KUBECTL.find(env) {
            return Ok(Runner::Kubectl(path));
        }
        Err(RenderError::new(
            StatusCode::DeployKustomizeUserErr,
            "neither kustomize nor kubectl found: no executable named \"kustomize\" or \
             \"kubectl\" on the PATH",
        )
        .suggest(
            SuggestionCode::InstallKubectl,
            format!(
                "Please install kubectl via {} (or kustomize via {})",
                KUBECTL.install_link, KUSTOMIZE.install_link
            ),
        ))
    }

    fn command(&self, args: Vec<String>, env: &BTreeMap<String, String>) -> ToolCommand {
        let (program, sub) = match self {
            Runner::Kustomize(path) => (path, "build"),
            Runner::Kubectl(path) => (path, "kustomize"),
        };
        let argv = std::iter::once(sub.to_string()).chain(args).collect();
        ToolCommand::new(program.clone(), argv, env)
    }
}

/// `buildArgs` (each split on spaces) then the path.
fn build_args(build_args: &[String], path: &str) -> Vec<String> {
    build_args
        .iter()
        .flat_map(|arg| arg.split(' ').map(str::to_string))
        .chain((!path.is_empty()).then(|| path.to_string()))
        .collect()
}

fn is_url(path: &str) -> bool {
    path.starts_with("http://") || path.starts_with("https://")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_args_are_split_on_spaces_and_come_before_the_path() {
        assert_eq!(
            build_args(
                &[
                    "--load-restrictor LoadRestrictionsNone".into(),
                    "--enable-helm".into()
                ],
                "/p"
            ),
            [
                "--load-restrictor",
                "LoadRestrictionsNone",
                "--enable-helm",
                "/p"
            ]
        );
    }

    #[tokio::test]
    async fn without_kustomize_or_kubectl_the_error_names_both() {
        let env = BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())]);
        let err = render_kustomize(&Kustomize::default(), Path::new("."), &env)
            .await
            .unwrap_err();
        assert_eq!(err.code, StatusCode::DeployKustomizeUserErr);
        assert!(err.message.contains("kustomize") && err.message.contains("kubectl"));
        assert_eq!(
            err.suggestion.map(|s| s.0),
            Some(SuggestionCode::InstallKubectl)
        );
    }
}
