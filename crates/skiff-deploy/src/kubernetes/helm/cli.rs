//! Running the `helm` binary for the deployer: every command wrapped with the kube context,
//! the global flags and the kubeconfig (as `skiff_render`'s helm renderer wraps them), run with
//! exactly the deploy's environment and killed if the deploy is dropped.

use std::collections::BTreeMap;
use std::path::PathBuf;

use skiff_config::model::HelmDeployFlags;
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_render::helm::HelmOptions;
use skiff_render::helm::args::wrap;
use skiff_render::tools::{HELM, ToolCommand, ToolOutput};

use crate::DeployError;

/// The helm binary and what every command of one deployer passes to it.
#[derive(Debug, Clone)]
pub(super) struct HelmCli {
    program: PathBuf,
    flags: HelmDeployFlags,
    options: HelmOptions,
    env: BTreeMap<String, String>,
}

/// What one helm command did.
pub(super) struct Ran {
    /// The command line, for messages.
    pub(super) command_line: String,
    /// How it ended and what it printed.
    pub(super) output: ToolOutput,
}

impl Ran {
    /// Shows what helm printed (standard output, then standard error) as output of `phase`.
    pub(super) fn show(&self, output: &Output, phase: Phase) {
        for text in [&self.output.stdout, &self.output.stderr] {
            if !text.is_empty() {
                let newline = if text.ends_with('\n') { "" } else { "\n" };
                output.phase(phase, &format!("{text}{newline}"));
            }
        }
    }

    /// `Ok` when helm succeeded, else a `code` failure with `context`, helm's complaint and
    /// the command line.
    pub(super) fn check(&self, code: StatusCode, context: &str) -> Result<(), DeployError> {
        if self.output.success {
            return Ok(());
        }
        Err(DeployError::new(
            code,
            format!(
                "{context}: {} ({})",
                self.output.complaint(),
                self.command_line
            ),
        ))
    }
}

impl HelmCli {
    /// helm as found on the `PATH` of `env`, or Skaffold's "Helm not found" error with its
    /// install link.
    pub(super) fn locate(
        flags: &HelmDeployFlags,
        options: &HelmOptions,
        env: &BTreeMap<String, String>,
    ) -> Result<Self, DeployError> {
        Ok(Self {
            program: HELM.locate(env)?,
            flags: flags.clone(),
            options: options.clone(),
            env: env.clone(),
        })
    }

    /// Runs `helm [secrets] [--kube-context C] ARGS… GLOBAL… [--kubeconfig F]` to its end. Only
    /// a helm that cannot be started is an error here (`DEPLOY_HELM_USER_ERR`); a non-zero exit
    /// is for the caller to judge with [`Ran::check`].
    pub(super) async fn run(
        &self,
        args: Vec<String>,
        use_secrets: bool,
    ) -> Result<Ran, DeployError> {
        let argv = wrap(args, &self.flags, &self.options, use_secrets);
        let command = ToolCommand::new(self.program.clone(), argv, &self.env);
        let command_line = command.command_line();
        let output = command.output().await.map_err(|err| {
            DeployError::new(
                StatusCode::DeployHelmUserErr,
                format!("running {command_line}: {err}"),
            )
        })?;
        Ok(Ran {
            command_line,
            output,
        })
    }
}
