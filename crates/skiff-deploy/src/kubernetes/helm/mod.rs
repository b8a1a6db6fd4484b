//! The helm deployer (`deploy.helm`): each release installed or upgraded with the `helm` binary,
//! as Skaffold's helm deployer does it, and uninstalled on cleanup.
//!
//! A deploy orders the releases by `dependsOn` ([`order`]): level by level, the releases of one
//! level up to `deploy.helm.concurrency` at a time (default 1, `0` = all at once), stopping at
//! the first failure (releases still running are stopped, their helm killed). Each release goes
//! through the steps of Skaffold's `deployRelease` (`helm get all` to tell install from
//! upgrade, `helm dep build`, `helm package` for `packaged`, then `helm install`/`upgrade` with
//! the arguments of [`args`]); what helm prints is deploy output. The result is every installed
//! or upgraded release with the manifests helm applied for it (`helm get manifest`), for the
//! caller's status check.
//!
//! Cleanup runs `helm uninstall [--namespace NS] RELEASE` for every release (with `dry_run`,
//! `helm get manifest` instead, showing what would go); a release that is not installed is not
//! an error, other failures are collected into one `DEPLOY_CLEANUP_ERR`.
//!
//! helm runs with exactly the environment in [`HelmSettings::env`]; a missing helm is Skaffold's
//! `DEPLOY_HELM_VERSION_ERR` with its install link. `createNamespace` needs helm ≥ 3.2
//! ([`version`]).
//!
//! Not done here (the caller's part): loading images into a local cluster, deploy hooks, the
//! status check, the post-renderer program itself (see [`PostRenderer`]).

pub mod args;
mod cli;
pub mod order;
mod release;
pub mod version;

use std::collections::BTreeMap;
use std::path::PathBuf;

use futures_util::future::try_join_all;
use skiff_config::model::LegacyHelmDeploy;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_render::helm::HelmOptions;
use skiff_render::helm::values::image_template_data;
use skiff_render::{BuiltArtifact, ManifestList};

pub use args::PostRenderer;
pub use order::release_levels;

use crate::DeployError;
use args::{get_manifest_args, uninstall_args};
use cli::HelmCli;
use release::{DeployContext, Expanded, expand_identity};
use version::{check_create_namespace, parse_helm_version};

/// Everything the helm deployer needs.
#[derive(Debug, Clone, Default)]
pub struct HelmSettings {
    /// `deploy.helm`.
    pub helm: LegacyHelmDeploy,
    /// The config's directory: relative chart paths, values files and set files are resolved
    /// against it.
    pub base_dir: PathBuf,
    /// helm's whole environment, also the data of the release templates.
    pub env: BTreeMap<String, String>,
    /// The kube context and kubeconfig (each passed when set) and the command line's
    /// `--namespace`, which replaces every release's namespace. Its `manifest_overrides` are not
    /// passed to helm: as in Skaffold, they are the post-renderer's to apply.
    pub options: HelmOptions,
    /// `--force`: upgrades pass `--force`.
    pub force: bool,
    /// The program helm pipes rendered manifests through, if any.
    pub post_renderer: Option<PostRenderer>,
}

/// One release as deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedRelease {
    /// The release name (expanded).
    pub name: String,
    /// The release's namespace, empty for the kube context's default; objects of the manifests
    /// without a namespace live there.
    pub namespace: String,
    /// What helm applied for the release (`helm get manifest`).
    pub manifests: ManifestList,
}

/// Deploys and removes the releases of `deploy.helm` with the `helm` binary.
#[derive(Debug, Clone)]
pub struct HelmDeployer {
    settings: HelmSettings,
}

impl HelmDeployer {
    /// A deployer with `settings`; nothing runs until [`HelmDeployer::deploy`].
    pub fn new(settings: HelmSettings) -> Self {
        Self { settings }
    }

    /// Installs or upgrades every release, in dependency order, with `builds` as the data of
    /// `setValueTemplates`. Returns the releases installed or upgraded, level by level and in
    /// configuration order within a level (releases left alone by `upgradeOnChange` are not
    /// among them).
    pub async fn deploy(
        &self,
        builds: &[BuiltArtifact],
        output: &Output,
    ) -> Result<Vec<DeployedRelease>, DeployError> {
        let releases = &self.settings.helm.releases;
        let levels = release_levels(releases)?;
        let helm = self.helm()?;
        if releases.iter().any(|r| r.create_namespace == Some(true)) {
            check_create_namespace(installed_version(&helm).await?)?;
        }
        let image_data = image_template_data(builds);
        let context = DeployContext {
            helm: &helm,
            settings: &self.settings,
            image_data: &image_data,
            output,
        };
        let limit = self.concurrency();
        tracing::info!(
            "installing {} releases {}",
            releases.len(),
            if limit == 1 {
                "sequentially"
            } else {
                "concurrently"
            }
        );
        let mut deployed = Vec::new();
        for level in levels {
            let width = limit.min(level.len()).max(1);
            // Batches of `width`, not a sliding window: a stream combinator over these futures
            // would not be `Send` (rust-lang/rust#64552).
            for batch in level.chunks(width) {
                let running: Vec<_> = batch
                    .iter()
                    .map(|&i| context.deploy(&releases[i]))
                    .collect();
                let done: Vec<Option<DeployedRelease>> = try_join_all(running).await?;
                deployed.extend(done.into_iter().flatten());
            }
        }
        Ok(deployed)
    }

    /// Uninstalls every release (`dry_run`: shows each release's manifest instead).
    pub async fn cleanup(&self, output: &Output, dry_run: bool) -> Result<(), DeployError> {
        let helm = self.helm()?;
        let mut failures = Vec::new();
        for release in &self.settings.helm.releases {
            let Expanded { name, namespace } = expand_identity(release, &self.settings)?;
            let args = if dry_run {
                get_manifest_args(&name, &namespace)
            } else {
                uninstall_args(&name, &namespace)
            };
            let ran = helm.run(args, false).await?;
            if !ran.output.success && is_not_found(&ran.output.stderr) {
                tracing::debug!("helm release {name} is not installed: nothing to remove");
                continue;
            }
            ran.show(output, Phase::Cleanup);
            if let Err(err) = ran.check(StatusCode::DeployCleanupErr, &name) {
                failures.push(err.message);
            }
        }
        if failures.is_empty() {
            return Ok(());
        }
        Err(DeployError::new(
            StatusCode::DeployCleanupErr,
            format!("helm cleanup failed: {}", failures.join("\n")),
        ))
    }

    fn helm(&self) -> Result<HelmCli, DeployError> {
        let settings = &self.settings;
        HelmCli::locate(&settings.helm.flags, &settings.options, &settings.env)
    }

    /// How many releases of one level install at once: `concurrency`, 1 when unset, no limit
    /// for 0 (or less).
    fn concurrency(&self) -> usize {
        match self.settings.helm.concurrency {
            None => 1,
            Some(n) => usize::try_from(n)
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or(usize::MAX),
        }
    }
}

/// The installed helm's version (`helm version`).
async fn installed_version(helm: &HelmCli) -> Result<version::HelmVersion, DeployError> {
    let ran = helm.run(vec!["version".to_string()], false).await?;
    ran.check(StatusCode::DeployHelmVersionErr, "helm version")?;
    parse_helm_version(&ran.output.stdout).ok_or_else(|| {
        DeployError::new(
            StatusCode::DeployHelmVersionErr,
            format!(
                "cannot read helm's version from {:?} ({})",
                ran.output.stdout.trim(),
                ran.command_line
            ),
        )
    })
}

/// Whether helm failed because the release does not exist (`release: not found`).
fn is_not_found(stderr: &str) -> bool {
    stderr.contains("release: not found")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_defaults_to_one_and_zero_means_no_limit() {
        let with = |concurrency| {
            HelmDeployer::new(HelmSettings {
                helm: LegacyHelmDeploy {
                    concurrency,
                    ..LegacyHelmDeploy::default()
                },
                ..HelmSettings::default()
            })
            .concurrency()
        };
        assert_eq!(with(None), 1);
        assert_eq!(with(Some(3)), 3);
        assert_eq!(with(Some(0)), usize::MAX);
    }

    #[test]
    fn only_a_missing_release_counts_as_not_found() {
        assert!(is_not_found(
            "Error: uninstall: Release not loaded: web: release: not found\n"
        ));
        assert!(!is_not_found("Error: Kubernetes cluster unreachable"));
    }
}
