//! `kubectl apply` and `kubectl delete` of hydrated manifests, with the argument order of
//! Skaffold's kubectl deployer.

use std::path::PathBuf;

use skiff_config::model::KubectlFlags;
use skiff_events::Output;
use skiff_proto::enums::{StatusCode, SuggestionCode};
use skiff_render::ManifestList;
use skiff_render::tools::{KUBECTL, quote_word};

use super::process::{self, Ended};
use crate::DeployError;

/// Where Skaffold asks users to report a cluster's internal errors.
const ISSUE_LINK: &str = "https://github.com/GoogleContainerTools/skaffold/issues/new";

/// The real `kubectl`, run as Skaffold runs it for `deploy.kubectl`.
#[derive(Debug, Clone, PartialEq)]
pub struct KubectlCli {
    /// The executable (find it with `skiff_render::tools::KUBECTL.locate`).
    pub binary: PathBuf,
    /// The kube context (`--context`); left out when empty.
    pub context: String,
    /// `--kubeconfig`, when given.
    pub kubeconfig: Option<PathBuf>,
    /// The namespace (`--namespace`): `-n`, else `deploy.kubectl.defaultNamespace`; left out
    /// when empty.
    pub namespace: String,
    /// `deploy.kubectl.flags`.
    pub flags: KubectlFlags,
}

impl KubectlCli {
    /// The arguments of `kubectl apply`: `--context <ctx> [--namespace <ns>] [--kubeconfig <f>]
    /// apply <global flags> <apply flags> -f - [--force --grace-period=0]
    /// [--validate=false]`.
    pub fn apply_args(&self, force: bool) -> Vec<String> {
        let mut args = self.command_args("apply", &self.flags.apply);
        args.extend(["-f", "-"].map(String::from));
        if force {
            args.extend(["--force", "--grace-period=0"].map(String::from));
        }
        if self.flags.disable_validation {
            args.push("--validate=false".to_string());
        }
        args
    }

    /// The arguments of `kubectl delete`: `--context <ctx> [--namespace <ns>] [--kubeconfig
    /// <f>] delete <global flags> <delete flags> --ignore-not-found=true --wait=false -f -`.
    pub fn delete_args(&self) -> Vec<String> {
        let mut args = self.command_args("delete", &self.flags.delete);
        args.extend(["--ignore-not-found=true", "--wait=false", "-f", "-"].map(String::from));
        args
    }

    /// `kubectl apply`s `manifests` (with `--force` when `force`), showing kubectl's lines as
    /// deploy output. Nothing runs for no manifests. A failure has `DEPLOY_KUBECTL_USER_ERR`
    /// (`DEPLOY_CLUSTER_INTERNAL_SYSTEM_ERR` for a server's internal error) and kubectl's
    /// standard error; a missing kubectl `DEPLOY_KUBECTL_VERSION_ERR` and how to install it.
    pub async fn apply(
        &self,
        manifests: &ManifestList,
        force: bool,
        output: &Output,
    ) -> Result<(), DeployError> {
        if manifests.is_empty() {
            return Ok(());
        }
        let ended = self.run(&self.apply_args(force), manifests, output).await?;
        if ended.success {
            return Ok(());
        }
        let message = format!("kubectl apply: {}", complaint(&ended));
        if ended.stderr.contains("Internal Server Error") {
            let action = format!(
                "Something went wrong with your cluster {:?}. Try again.\nIf this keeps \
                 happening please open an issue at {ISSUE_LINK}",
                self.context
            );
            return Err(DeployError::new(
                StatusCode::DeployClusterInternalSystemErr,
                format!("Deploy Failed. {message}"),
            )
            .suggest(SuggestionCode::OpenIssue, action));
        }
        Err(DeployError::new(StatusCode::DeployKubectlUserErr, message))
    }

    /// `kubectl delete`s `manifests`, ignoring objects already gone and not waiting for them to
    /// go. Nothing runs for no manifests. A failure has `DEPLOY_CLEANUP_ERR` and kubectl's
    /// standard error.
    pub async fn delete(
        &self,
        manifests: &ManifestList,
        output: &Output,
    ) -> Result<(), DeployError> {
        if manifests.is_empty() {
            return Ok(());
        }
        let ended = self.run(&self.delete_args(), manifests, output).await?;
        if ended.success {
            return Ok(());
        }
        Err(DeployError::new(
            StatusCode::DeployCleanupErr,
            format!("kubectl delete: {}", complaint(&ended)),
        ))
    }

    /// `--context`, `--namespace`, `--kubeconfig` (each when set), `command`, the global flags
    /// and `command_flags`, in Skaffold's order.
    fn command_args(&self, command: &str, command_flags: &[String]) -> Vec<String> {
        let mut args = Vec::new();
        if !self.context.is_empty() {
            args.extend(["--context".to_string(), self.context.clone()]);
        }
        if !self.namespace.is_empty() {
            args.extend(["--namespace".to_string(), self.namespace.clone()]);
        }
        if let Some(kubeconfig) = &self.kubeconfig {
            args.extend([
                "--kubeconfig".to_string(),
                kubeconfig.to_string_lossy().into_owned(),
            ]);
        }
        args.push(command.to_string());
        args.extend(self.flags.global.iter().cloned());
        args.extend(command_flags.iter().cloned());
        args
    }

    /// Runs kubectl with `args` and the manifests on standard input.
    async fn run(
        &self,
        args: &[String],
        manifests: &ManifestList,
        output: &Output,
    ) -> Result<Ended, DeployError> {
        tracing::debug!("Running command: {}", self.command_line(args));
        let input = format!("{}\n", manifests.to_yaml());
        process::run(&self.binary, args, input.as_bytes(), output)
            .await
            .map_err(|err| match err.kind() {
                std::io::ErrorKind::NotFound => KUBECTL.missing(),
                _ => DeployError::new(
                    StatusCode::DeployKubectlVersionErr,
                    format!("starting {}: {err}", self.command_line(args)),
                ),
            })
    }

    /// The command line for messages.
    fn command_line(&self, args: &[String]) -> String {
        std::iter::once(self.binary.display().to_string())
            .chain(args.iter().map(|a| quote_word(a)))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Why a kubectl run failed: how it ended, then its standard error when it wrote any.
fn complaint(ended: &Ended) -> String {
    match ended.stderr.trim() {
        "" => ended.status.clone(),
        stderr => format!("{}: {stderr}", ended.status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(flags: KubectlFlags) -> KubectlCli {
        KubectlCli {
            binary: PathBuf::from("kubectl"),
            context: "kind".into(),
            kubeconfig: Some(PathBuf::from("kc")),
            namespace: "team".into(),
            flags,
        }
    }

    fn words(text: &str) -> Vec<String> {
        text.split(' ').map(String::from).collect()
    }

    fn flags(global: &str, apply: &str, delete: &str, disable_validation: bool) -> KubectlFlags {
        let split = |s: &str| s.split_whitespace().map(String::from).collect();
        KubectlFlags {
            global: split(global),
            apply: split(apply),
            delete: split(delete),
            disable_validation,
        }
    }

    #[test]
    fn apply_puts_global_then_apply_flags_after_the_command() {
        let cli = cli(flags("--request-timeout=5s", "--dry-run=client", "", true));
        assert_eq!(
            cli.apply_args(true),
            words(
                "--context kind --namespace team --kubeconfig kc apply --request-timeout=5s \
                 --dry-run=client -f - --force --grace-period=0 --validate=false"
            )
        );
    }

    #[test]
    fn unset_context_namespace_and_kubeconfig_are_left_out() {
        let cli = KubectlCli {
            context: String::new(),
            kubeconfig: None,
            namespace: String::new(),
            ..cli(KubectlFlags::default())
        };
        assert_eq!(cli.apply_args(false), words("apply -f -"));
    }

    #[test]
    fn delete_ignores_missing_objects_and_does_not_wait() {
        let cli = cli(flags("-v=1", "--unused", "--cascade=foreground", true));
        assert_eq!(
            cli.delete_args(),
            words(
                "--context kind --namespace team --kubeconfig kc delete -v=1 \
                 --cascade=foreground --ignore-not-found=true --wait=false -f -"
            )
        );
    }

    #[test]
    fn a_complaint_is_the_status_then_stderr() {
        let ended = |stderr: &str| Ended {
            success: false,
            status: "exit status 1".into(),
            stderr: stderr.into(),
        };
        assert_eq!(complaint(&ended(" \n")), "exit status 1");
        assert_eq!(
            complaint(&ended("error: bad\n")),
            "exit status 1: error: bad"
        );
    }
}
