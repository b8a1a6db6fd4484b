//! One release's deploy, as Skaffold's `deployRelease` does it:
//!
//! 1. its name, chart path, version, repo and namespace are expanded as environment templates
//!    (an unset key is an error); the namespace is the command line's `--namespace`, else the
//!    release's own;
//! 2. `helm get all` tells whether it is installed. If it is not, Skaffold's `Helm release NAME
//!    not installed. Installing...` is shown and it is installed; if it is, it is upgraded —
//!    unless `upgradeOnChange: false`, or it is a `remoteChart` without `upgradeOnChange`;
//! 3. unless `skipBuildDependencies` or a remote chart, `helm dep build`;
//! 4. `overrides` are written to a temporary values file, a `packaged` chart is packaged with
//!    `helm package` into a temporary directory;
//! 5. `helm install`/`helm upgrade` with the arguments of [`super::args::install_args`];
//! 6. `helm get manifest` gives the release's deployed objects.
//!
//! Every failure is `DEPLOY_HELM_USER_ERR` with helm's standard error and the command line.

use std::collections::BTreeMap;
use std::path::Path;

use skiff_config::model::{ChartSource, HelmRelease};
use skiff_config::template::expand_env_template_or_fail_with_env;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_render::ManifestList;
use skiff_render::helm::args::{TemplateInputs, dep_build_args};
use skiff_render::helm::write_overrides;

use super::args::{InstallInputs, get_all_args, get_manifest_args, install_args};
use super::cli::HelmCli;
use super::{DeployedRelease, HelmSettings};
use crate::DeployError;

/// What all releases of one deploy share.
pub(super) struct DeployContext<'a> {
    pub(super) helm: &'a HelmCli,
    pub(super) settings: &'a HelmSettings,
    pub(super) image_data: &'a BTreeMap<String, String>,
    pub(super) output: &'a Output,
}

/// A release's fields after template expansion.
#[derive(Debug)]
pub(super) struct Expanded {
    /// The release name.
    pub(super) name: String,
    /// The namespace to pass, empty for none.
    pub(super) namespace: String,
}

/// The release's name and namespace expanded (for deploy and cleanup alike).
pub(super) fn expand_identity(
    release: &HelmRelease,
    settings: &HelmSettings,
) -> Result<Expanded, DeployError> {
    let name = expand(settings, "release name", &release.name)?;
    let namespace = if settings.options.namespace.is_empty() {
        expand(settings, "release namespace", &release.namespace)?
    } else {
        settings.options.namespace.clone()
    };
    Ok(Expanded { name, namespace })
}

impl DeployContext<'_> {
    /// Installs or upgrades `release`; `None` when it is left as it is.
    pub(super) async fn deploy(
        &self,
        release: &HelmRelease,
    ) -> Result<Option<DeployedRelease>, DeployError> {
        let Expanded { name, namespace } = expand_identity(release, self.settings)?;
        self.deploy_named(release, &name, &namespace)
            .await
            .map_err(|err| DeployError {
                message: format!("deploying {name:?}: {}", err.message),
                ..err
            })
    }

    async fn deploy_named(
        &self,
        release: &HelmRelease,
        name: &str,
        namespace: &str,
    ) -> Result<Option<DeployedRelease>, DeployError> {
        let settings = self.settings;
        let version = expand(settings, "chart version", &release.version)?;
        let repo = expand(settings, "repo", &release.repo)?;
        let (chart, local_chart) = match &release.chart {
            Some(ChartSource::ChartPath(path)) => {
                let path = expand(settings, "chart path", path)?;
                let path = settings.base_dir.join(path).display().to_string();
                (path.clone(), Some(path))
            }
            Some(ChartSource::RemoteChart(chart)) => (chart.clone(), None),
            None => {
                return Err(user_error(
                    "the release has neither chartPath nor remoteChart",
                ));
            }
        };

        let installed = self
            .helm
            .run(get_all_args(name, namespace), false)
            .await?
            .output
            .success;
        if installed && !upgrades(release) {
            tracing::info!("release {name} already installed, not upgraded");
            return Ok(None);
        }
        if !installed {
            self.output.phase(
                Phase::Deploy,
                &format!("Helm release {name} not installed. Installing...\n"),
            );
        }

        if let Some(chart_path) = local_chart
            .as_deref()
            .filter(|_| !release.skip_build_dependencies)
        {
            let ran = self
                .helm
                .run(dep_build_args(chart_path, &settings.helm.flags), false)
                .await?;
            ran.show(self.output, Phase::Deploy);
            ran.check(StatusCode::DeployHelmUserErr, "building helm dependencies")?;
        }

        let overrides = write_overrides(release)?;
        // Kept until helm has installed the packaged chart.
        let package_dir;
        let chart = if release.packaged.is_some() {
            package_dir = tempfile::tempdir().map_err(|err| {
                user_error(format!(
                    "cannot create a directory to package the chart in: {err}"
                ))
            })?;
            self.package(release, &chart, package_dir.path()).await?
        } else {
            chart
        };
        let flags = &settings.helm.flags;
        let args = install_args(
            release,
            flags,
            &InstallInputs {
                upgrade: installed,
                force: settings.force,
                version: &version,
                repo: &repo,
                template: TemplateInputs {
                    release_name: name,
                    chart: &chart,
                    namespace,
                    overrides_file: overrides.as_ref().map(|f| f.path()),
                    base_dir: &settings.base_dir,
                    env: &settings.env,
                    image_data: self.image_data,
                },
                post_renderer: settings.post_renderer.as_ref(),
            },
        )?;
        let ran = self.helm.run(args, release.use_helm_secrets).await?;
        ran.show(self.output, Phase::Deploy);
        ran.check(StatusCode::DeployHelmUserErr, "install")?;

        let ran = self
            .helm
            .run(get_manifest_args(name, namespace), false)
            .await?;
        ran.check(StatusCode::DeployHelmUserErr, "get release")?;
        let manifests = ManifestList::parse(
            &ran.output.stdout,
            &format!("the manifest of helm release {name}"),
        )?;
        Ok(Some(DeployedRelease {
            name: name.to_string(),
            namespace: namespace.to_string(),
            manifests,
        }))
    }

    /// `helm package CHART --destination DIR [--version V] [--app-version AV]`: the packaged
    /// chart's path, which helm prints after `saved it to: `.
    async fn package(
        &self,
        release: &HelmRelease,
        chart: &str,
        dir: &Path,
    ) -> Result<String, DeployError> {
        let packaged = release.packaged.clone().unwrap_or_default();
        let dir = dir.display().to_string();
        let mut args = vec![
            "package".into(),
            chart.into(),
            "--destination".into(),
            dir.clone(),
        ];
        for (flag, value) in [
            ("--version", &packaged.version),
            ("--app-version", &packaged.app_version),
        ] {
            if !value.is_empty() {
                args.extend([flag.to_string(), expand(self.settings, flag, value)?]);
            }
        }
        let ran = self.helm.run(args, false).await?;
        ran.check(StatusCode::DeployHelmUserErr, "cannot package chart")?;
        let stdout = ran.output.stdout.trim();
        stdout
            .find(&dir)
            .map(|at| stdout[at..].to_string())
            .ok_or_else(|| {
                user_error(format!(
                    "cannot package chart: unable to find {dir} in helm's output: {stdout}"
                ))
            })
    }
}

/// Whether an installed release is upgraded (Skaffold's `upgradeOnChange`, which defaults to
/// `true` for local charts and `false` for remote ones).
fn upgrades(release: &HelmRelease) -> bool {
    release
        .upgrade_on_change
        .unwrap_or(!matches!(release.chart, Some(ChartSource::RemoteChart(_))))
}

/// A template field expanded with `missingkey=error` (Skaffold's `ExpandEnvTemplateOrFail`).
fn expand(settings: &HelmSettings, field: &str, text: &str) -> Result<String, DeployError> {
    expand_env_template_or_fail_with_env(text, &settings.env, &BTreeMap::new())
        .map_err(|err| user_error(format!("cannot expand {field} {text:?}: {err}")))
}

fn user_error(message: impl Into<String>) -> DeployError {
    DeployError::new(StatusCode::DeployHelmUserErr, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_charts_are_not_upgraded_unless_asked() {
        let local = HelmRelease {
            chart: Some(ChartSource::ChartPath("chart".into())),
            ..HelmRelease::default()
        };
        let remote = HelmRelease {
            chart: Some(ChartSource::RemoteChart("repo/redis".into())),
            ..HelmRelease::default()
        };
        assert!(upgrades(&local));
        assert!(!upgrades(&remote));
        let asked = |release: &HelmRelease, on: bool| HelmRelease {
            upgrade_on_change: Some(on),
            ..release.clone()
        };
        assert!(upgrades(&asked(&remote, true)));
        assert!(!upgrades(&asked(&local, false)));
    }

    #[test]
    fn the_command_line_namespace_wins_over_the_release_one() {
        let release = HelmRelease {
            name: "web-{{.SUFFIX}}".into(),
            namespace: "{{.NS}}".into(),
            ..HelmRelease::default()
        };
        let mut settings = HelmSettings {
            env: BTreeMap::from([
                ("SUFFIX".to_string(), "1".to_string()),
                ("NS".to_string(), "apps".to_string()),
            ]),
            ..HelmSettings::default()
        };
        let expanded = expand_identity(&release, &settings).unwrap();
        assert_eq!(
            (expanded.name.as_str(), expanded.namespace.as_str()),
            ("web-1", "apps")
        );
        settings.options.namespace = "override".into();
        assert_eq!(
            expand_identity(&release, &settings).unwrap().namespace,
            "override"
        );
        settings.env.clear();
        let err = expand_identity(&release, &settings).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmUserErr);
        assert!(err.message.contains("release name"), "{}", err.message);
    }
}
