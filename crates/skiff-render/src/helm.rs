//! `manifests.helm`: each release rendered with `helm template`, as Skaffold's helm renderer
//! does.
//!
//! For each release, in order:
//! 1. its `name` and `chartPath` are expanded as environment templates (an unset key is an
//!    error), its namespace is the command line's `--namespace` or else its own `namespace`
//!    (also expanded);
//! 2. its `overrides`, if any, are written to a temporary values file;
//! 3. unless `skipBuildDependencies` is set or the chart is a `remoteChart`,
//!    `helm dep build CHART` runs;
//! 4. `helm template` runs with the arguments of [`args`]; its standard output is the release's
//!    documents.
//!
//! helm runs with exactly the environment passed in; a local chart needs no helm repository
//! configuration, so a render does not depend on the user's `helm repo` setup unless the chart
//! has dependencies to fetch or is remote.

pub mod args;
pub mod values;

use std::collections::BTreeMap;
use std::path::Path;

use skiff_config::model::{ChartSource, Helm, HelmDeployFlags, HelmRelease};
use skiff_config::template::expand_env_template_or_fail_with_env;
use skiff_proto::enums::StatusCode;

pub use args::HelmOptions;
use args::TemplateInputs;

use crate::tools::{HELM, ToolCommand};
use crate::{BuiltArtifact, ManifestList, RenderError};

/// Renders every release of `helm`. Relative paths are relative to `base_dir`; `artifacts` feed
/// `setValueTemplates`; `env` is helm's environment and the templates' data.
pub async fn render_helm(
    helm: &Helm,
    base_dir: &Path,
    artifacts: &[BuiltArtifact],
    env: &BTreeMap<String, String>,
    options: &HelmOptions,
) -> Result<ManifestList, RenderError> {
    let program = HELM.locate(env)?;
    let image_data = values::image_template_data(artifacts);
    let context = ReleaseContext {
        program: &program,
        flags: &helm.flags,
        options,
        base_dir,
        env,
        image_data: &image_data,
    };
    let mut list = ManifestList::default();
    for release in &helm.releases {
        list.extend(context.render(release).await?);
    }
    Ok(list)
}

/// What every release of one render shares.
struct ReleaseContext<'a> {
    program: &'a Path,
    flags: &'a HelmDeployFlags,
    options: &'a HelmOptions,
    base_dir: &'a Path,
    env: &'a BTreeMap<String, String>,
    image_data: &'a BTreeMap<String, String>,
}

impl ReleaseContext<'_> {
    async fn render(&self, release: &HelmRelease) -> Result<ManifestList, RenderError> {
        let name = self.expand(&release.name, || {
            format!("cannot expand release name {:?}", release.name)
        })?;
        let (chart, local_chart) = match &release.chart {
            Some(ChartSource::ChartPath(path)) => {
                let path = self.expand(path, || format!("cannot expand chart path {path:?}"))?;
                let path = self.base_dir.join(path).display().to_string();
                (path.clone(), Some(path))
            }
            Some(ChartSource::RemoteChart(chart)) => (chart.clone(), None),
            None => {
                return Err(user_error(format!(
                    "release {name:?} has neither chartPath nor remoteChart"
                )));
            }
        };
        let namespace = if self.options.namespace.is_empty() {
            self.expand(&release.namespace, || {
                "cannot parse the release namespace template".to_string()
            })?
        } else {
            self.options.namespace.clone()
        };
        let overrides = write_overrides(release)?;
        let template = args::template_args(
            release,
            self.flags,
            self.options,
            &TemplateInputs {
                release_name: &name,
                chart: &chart,
                namespace: &namespace,
                overrides_file: overrides.as_ref().map(|f| f.path()),
                base_dir: self.base_dir,
                env: self.env,
                image_data: self.image_data,
            },
        )?;
        if let Some(chart_path) = local_chart.filter(|_| !release.skip_build_dependencies) {
            let dep = self.command(args::dep_build_args(&chart_path, self.flags), release);
            dep.stdout(
                StatusCode::DeployHelmUserErr,
                &format!(
                    "building helm dependencies of release {name:?} ({})",
                    dep.command_line()
                ),
            )
            .await?;
        }
        let cmd = self.command(template, release);
        let output = cmd
            .output()
            .await
            .map_err(|err| user_error(format!("Failed to render release {name:?}: {err}")))?;
        if !output.success {
            return Err(user_error(format!(
                "Failed to render release {name:?}: {} ({})",
                output.complaint(),
                cmd.command_line()
            )));
        }
        if !output.stderr.trim().is_empty() {
            tracing::info!("helm template {name}: {}", output.stderr.trim());
        }
        ManifestList::parse(
            &output.stdout,
            &format!("helm template output of release {name}"),
        )
    }

    /// A template field expanded with `missingkey=error` (Skaffold's `ExpandEnvTemplateOrFail`).
    fn expand(&self, text: &str, what: impl FnOnce() -> String) -> Result<String, RenderError> {
        expand_env_template_or_fail_with_env(text, self.env, &BTreeMap::new())
            .map_err(|err| user_error(format!("{}: {err}", what())))
    }

    fn command(&self, args: Vec<String>, release: &HelmRelease) -> ToolCommand {
        let argv = args::wrap(args, self.flags, self.options, release.use_helm_secrets);
        ToolCommand::new(self.program.to_path_buf(), argv, self.env)
    }
}

/// The release's `overrides` as a values file, kept until the returned file is dropped.
pub fn write_overrides(
    release: &HelmRelease,
) -> Result<Option<tempfile::NamedTempFile>, RenderError> {
    if release.overrides.is_empty() {
        return Ok(None);
    }
    let cannot = |err: &dyn std::fmt::Display| {
        user_error(format!(
            "cannot create the overrides values file of release {:?}: {err}",
            release.name
        ))
    };
    let text = serde_yaml_ng::to_string(&release.overrides.0).map_err(|e| cannot(&e))?;
    let mut file = tempfile::Builder::new()
        .prefix("skaffold-overrides")
        .suffix(".yaml")
        .tempfile()
        .map_err(|e| cannot(&e))?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| cannot(&e))?;
    Ok(Some(file))
}

/// A `DEPLOY_HELM_USER_ERR` failure, as Skaffold reports every helm renderer problem.
fn user_error(message: String) -> RenderError {
    RenderError::new(StatusCode::DeployHelmUserErr, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_starts_with;

    #[tokio::test]
    async fn a_missing_helm_is_named() {
        let env = BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())]);
        let err = render_helm(
            &Helm::default(),
            Path::new("."),
            &[],
            &env,
            &HelmOptions::default(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmVersionErr);
        assert_starts_with(&err.message, "Helm not found");
    }

    #[test]
    fn overrides_are_written_to_a_values_file() {
        let mut release = HelmRelease::default();
        assert!(write_overrides(&release).unwrap().is_none());
        release.overrides.0.insert("replicas".into(), 3.into());
        let file = write_overrides(&release).unwrap().unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(text, "replicas: 3\n");
    }
}
