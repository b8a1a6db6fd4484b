//! The Kubernetes target of a command: the kube context from `--kubeconfig`,
//! `--kube-context` and `deploy.kubeContext`, the namespace, the status check and the port
//! forwards from the configs and the command line.

use std::collections::BTreeMap;
use std::path::Path;

use skiff_config::SkaffoldConfig;
use skiff_config::hook_env::StaticHookEnv;
use skiff_deploy::kubernetes::apply::target_namespace;
use skiff_deploy::kubernetes::client::{ConnectOptions, Connection, KubeconfigSearch};
use skiff_deploy::kubernetes::helm::{HelmSettings, PostRenderer};
use skiff_deploy::kubernetes::kubectl::{DeployHookEnv, KubectlCli};
use skiff_deploy::kubernetes::monitor::StatusCheckSettings;
use skiff_deploy::kubernetes::port_forward::{ForwardEntry, PortForwardSettings};
use skiff_deploy::kubernetes::status::CheckSettings;
use skiff_deploy::kubernetes::target::{KubernetesSettings, KubernetesTarget};
use skiff_events::Phase;
use skiff_render::helm::HelmOptions;
use skiff_render::labels::run_labels;
use skiff_render::tools::KUBECTL;

use super::{DeployOptions, status_check_deadline};
use crate::error::PipelineError;

/// Connects to the cluster of the kube context the command line or the configs name (the
/// flag wins over `deploy.kubeContext`) and makes the target deploying there: namespaced
/// objects naming none go to `-n`, else `deploy.kubectl.defaultNamespace`, else the context's
/// namespace, else `default`.
pub async fn kubernetes_target(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    opts: &DeployOptions,
) -> Result<KubernetesTarget, PipelineError> {
    let connect = ConnectOptions {
        kubeconfig: opts.kubeconfig.clone(),
        kube_context: opts.kube_context.clone(),
        config_context: configs
            .iter()
            .map(|c| c.pipeline.deploy.kube_context.as_str())
            .find(|c| !c.is_empty())
            .map(str::to_owned),
    };
    let connection = Connection::open(&connect, &KubeconfigSearch::from_process())
        .await
        .map_err(|e| PipelineError::new(Phase::Deploy, e.actionable()))?;
    let mut settings = kubernetes_settings(configs, opts, connection.namespace.as_deref())?;
    let env = skiff_config::template::process_env();
    settings.kubectl = kubectl_cli(configs, opts, &connection.context, &env)?;
    settings.hook_env = DeployHookEnv {
        statics: StaticHookEnv {
            default_repo: opts.default_repo.clone(),
            ..StaticHookEnv::current()
        },
        run_id: opts.run_id.clone(),
        kube_context: connection.context.clone(),
    };
    settings.helm = helm_settings(configs, base_dir, opts, &connection.context, env);
    Ok(KubernetesTarget::new(connection, settings))
}

/// kubectl with the configs' `deploy.kubectl.flags`, when one sets any: then kubectl applies
/// and deletes, as the user asked for its behaviour.
fn kubectl_cli(
    configs: &[&SkaffoldConfig],
    opts: &DeployOptions,
    context: &str,
    env: &BTreeMap<String, String>,
) -> Result<Option<KubectlCli>, PipelineError> {
    let flags = configs
        .iter()
        .filter_map(|c| c.pipeline.deploy.kubectl.as_ref())
        .map(|k| &k.flags)
        .find(|f| {
            !(f.global.is_empty() && f.apply.is_empty() && f.delete.is_empty())
                || f.disable_validation
        });
    let Some(flags) = flags else {
        return Ok(None);
    };
    let binary = KUBECTL
        .locate(env)
        .map_err(|e| PipelineError::new(Phase::Deploy, e.actionable()))?;
    Ok(Some(KubectlCli {
        binary,
        context: context.to_owned(),
        kubeconfig: opts.kubeconfig.clone(),
        namespace: opts.namespace.clone().unwrap_or_default(),
        flags: flags.clone(),
    }))
}

/// The helm releases of each config's `deploy.helm`.
fn helm_settings(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    opts: &DeployOptions,
    context: &str,
    env: BTreeMap<String, String>,
) -> Vec<HelmSettings> {
    configs
        .iter()
        .filter_map(|c| c.pipeline.deploy.helm.as_ref())
        .map(|helm| HelmSettings {
            helm: helm.clone(),
            base_dir: base_dir.to_path_buf(),
            env: env.clone(),
            options: HelmOptions {
                kube_context: context.to_owned(),
                kube_config: opts
                    .kubeconfig
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                namespace: opts.namespace.clone().unwrap_or_default(),
                ..HelmOptions::default()
            },
            force: opts.force,
            post_renderer: post_renderer(opts),
        })
        .collect()
}

/// `skiff filter` with the run labels, for helm's `--post-renderer`.
fn post_renderer(opts: &DeployOptions) -> Option<PostRenderer> {
    let program = opts.filter_program.clone()?;
    let labels = run_labels(Some(&opts.run_id), &opts.labels);
    let args = std::iter::once("filter".to_owned())
        .chain(labels.iter().map(|(k, v)| format!("--label={k}={v}")))
        .collect();
    Some(PostRenderer { program, args })
}

/// The target's settings for `configs`, given the kube context's namespace.
fn kubernetes_settings(
    configs: &[&SkaffoldConfig],
    opts: &DeployOptions,
    context_namespace: Option<&str>,
) -> Result<KubernetesSettings, PipelineError> {
    let default_namespace = configs
        .iter()
        .filter_map(|c| c.pipeline.deploy.kubectl.as_ref())
        .find_map(|k| k.default_namespace.as_deref());
    let namespace = target_namespace(
        opts.namespace.as_deref(),
        default_namespace,
        context_namespace,
    );
    let status_check = status_check_deadline(configs, opts).map(|deadline| StatusCheckSettings {
        check: CheckSettings {
            deadline,
            tolerate_failures: configs
                .iter()
                .any(|c| c.pipeline.deploy.tolerate_failures_until_deadline),
        },
        ..StatusCheckSettings::default()
    });
    let port_forward = if opts.port_forward.enabled() {
        let resources: Vec<_> = configs
            .iter()
            .flat_map(|c| c.pipeline.port_forward.iter().cloned())
            .collect();
        let entries = ForwardEntry::from_config(&resources, &namespace)
            .map_err(|e| PipelineError::new(Phase::Deploy, e.actionable()))?;
        Some(PortForwardSettings {
            modes: opts.port_forward,
            entries,
            ..PortForwardSettings::default()
        })
    } else {
        None
    };
    Ok(KubernetesSettings {
        run_id: opts.run_id.clone(),
        namespace,
        force: opts.force,
        status_check,
        port_forward,
        hooks: configs
            .iter()
            .filter_map(|c| c.pipeline.deploy.kubectl.as_ref())
            .map(|k| k.hooks.clone())
            .filter(|h| !(h.before.is_empty() && h.after.is_empty()))
            .collect(),
        ..KubernetesSettings::default()
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use skiff_config::model::{KubectlDeploy, PortForwardResource};
    use skiff_deploy::kubernetes::port_forward::ForwardModes;

    use super::*;

    fn kubectl_config(default_namespace: Option<&str>) -> SkaffoldConfig {
        let mut config = SkaffoldConfig::default();
        config.pipeline.deploy.kubectl = Some(KubectlDeploy {
            default_namespace: default_namespace.map(str::to_owned),
            ..KubectlDeploy::default()
        });
        config
    }

    #[test]
    fn the_namespace_comes_from_the_flag_then_the_config_then_the_context() {
        let config = kubectl_config(Some("team"));
        let flagged = DeployOptions {
            namespace: Some("cli".into()),
            ..DeployOptions::default()
        };
        let ns = |configs: &[&SkaffoldConfig], opts: &DeployOptions, ctx: Option<&str>| {
            kubernetes_settings(configs, opts, ctx).unwrap().namespace
        };
        assert_eq!(ns(&[&config], &flagged, Some("ctx")), "cli");
        assert_eq!(
            ns(&[&config], &DeployOptions::default(), Some("ctx")),
            "team"
        );
        let plain = kubectl_config(None);
        assert_eq!(ns(&[&plain], &DeployOptions::default(), Some("ctx")), "ctx");
        assert_eq!(ns(&[&plain], &DeployOptions::default(), None), "default");
    }

    #[test]
    fn status_check_and_port_forward_follow_configs_and_flags() {
        let mut config = kubectl_config(None);
        config.pipeline.deploy.status_check_deadline_seconds = 45;
        config.pipeline.deploy.tolerate_failures_until_deadline = true;
        config.pipeline.port_forward.push(PortForwardResource {
            resource_type: skiff_config::model::ResourceType("service".into()),
            resource_name: "web".into(),
            port: Some(skiff_config::model::IntOrString::Int(80)),
            ..Default::default()
        });
        let settings = kubernetes_settings(&[&config], &DeployOptions::default(), None).unwrap();
        let check = settings.status_check.unwrap().check;
        assert_eq!(check.deadline, Duration::from_secs(45));
        assert!(check.tolerate_failures);
        assert!(
            settings.port_forward.is_none(),
            "forwarding is off by default"
        );

        let opts = DeployOptions {
            status_check: Some(false),
            port_forward: ForwardModes::parse(&["user"]).unwrap(),
            ..DeployOptions::default()
        };
        let settings = kubernetes_settings(&[&config], &opts, None).unwrap();
        assert!(settings.status_check.is_none());
        let forwards = settings.port_forward.unwrap();
        assert_eq!(forwards.entries.len(), 1);
        assert_eq!(forwards.entries[0].namespace, "default");
    }
}
