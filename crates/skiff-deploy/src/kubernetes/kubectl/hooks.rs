//! Deploy hooks (`deploy.kubectl.hooks`): `before` hooks run before each deploy, `after` hooks
//! after it, in order; the first failure stops them and fails the deploy with `DEPLOY_UNKNOWN`.
//! For a phase that has hooks the deploy output shows `Starting pre-deploy hooks...`, the
//! hooks' lines, then `Completed pre-deploy hooks` (`post-deploy` for `after`), Skaffold's text.
//!
//! - A `host` hook runs as build hooks do (`skiff_build::hooks::run_host_hook`: no shell, in
//!   its `dir`, skipped when its `os` list excludes the host), its lines shown as deploy
//!   output. Environment, in this order, then skiff's own environment, which wins on
//!   duplicates:
//!
//!   | variable | value |
//!   |---|---|
//!   | `SKAFFOLD_DEFAULT_REPO`, `SKAFFOLD_MULTI_LEVEL_REPO`, `SKAFFOLD_RPC_PORT`, `SKAFFOLD_HTTP_PORT` | only when set |
//!   | `SKAFFOLD_WORK_DIR` | skiff's working directory |
//!   | `SKAFFOLD_RUN_ID` | the run's id |
//!   | `SKAFFOLD_KUBE_CONTEXT` | the kube context |
//!   | `SKAFFOLD_NAMESPACES` | the namespaces given to the phase, comma-separated |
//!
//! - A `container` hook runs in the matching running containers of the run's pods: the
//!   command exec'd (no shell) through the API in every running container whose pod and
//!   container names match the hook's `podName` and `containerName` globs (Go's `path.Match`;
//!   an empty pattern matches everything, a malformed one nothing), all at once, its lines
//!   shown as the container's logs are. Each container gets a phase's hook once per run, as in
//!   Skaffold, so a dev loop's `before` hooks only reach containers of earlier iterations that
//!   have not had them yet. Unlike Skaffold, which marks a container as done the first time it
//!   looks at it, skiff marks it only when the hook runs there, so a container that was not yet
//!   running gets the hook on a later iteration. Skaffold searches every pod of the
//!   namespaces; skiff only the run's (`skaffold.dev/run-id`).

use std::collections::HashSet;
use std::fmt;
use std::sync::Mutex;

use skiff_build::builder::BuildOutput;
use skiff_build::hooks::{HookOutcome, run_host_hook};
use skiff_config::hook_env::StaticHookEnv;
use skiff_config::model::{DeployHookItem, DeployHooks, HostHook};
use skiff_events::{Output, Phase};
use skiff_proto::enums::StatusCode;
use skiff_render::tools::quote_word;

use super::container_hook::{Exec, Target};
use crate::DeployError;
use crate::logs::LogPrefix;
use crate::logs::format::LineSink;

/// The `SKAFFOLD_*` variables of deploy hooks that are fixed for the deployer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployHookEnv {
    /// The variables every hook gets.
    pub statics: StaticHookEnv,
    /// `SKAFFOLD_RUN_ID`; also selects the pods container hooks run in.
    pub run_id: String,
    /// `SKAFFOLD_KUBE_CONTEXT`.
    pub kube_context: String,
}

impl DeployHookEnv {
    /// The variables for a phase over `namespaces`, in Skaffold's order: the static ones, then
    /// `SKAFFOLD_RUN_ID`, `SKAFFOLD_KUBE_CONTEXT` and `SKAFFOLD_NAMESPACES`.
    pub fn vars(&self, namespaces: &[String]) -> Vec<(String, String)> {
        let mut vars = self.statics.vars();
        vars.extend(
            [
                ("SKAFFOLD_RUN_ID", self.run_id.clone()),
                ("SKAFFOLD_KUBE_CONTEXT", self.kube_context.clone()),
                ("SKAFFOLD_NAMESPACES", namespaces.join(",")),
            ]
            .map(|(name, value)| (name.to_string(), value)),
        );
        vars
    }
}

/// Before or after the deploy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum HookPhase {
    /// `hooks.before`: `pre-deploy`.
    Before,
    /// `hooks.after`: `post-deploy`.
    After,
}

impl fmt::Display for HookPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HookPhase::Before => "pre-deploy",
            HookPhase::After => "post-deploy",
        })
    }
}

/// Runs the deploy hooks of one kubectl deployer, remembering which containers had them.
pub struct DeployHookRunner {
    hooks: DeployHooks,
    env: DeployHookEnv,
    client: kube::Client,
    prefix: LogPrefix,
    visited: Mutex<HashSet<(HookPhase, Target)>>,
}

impl DeployHookRunner {
    /// A runner of `hooks` with `env`, whose container hooks reach the cluster through `client`
    /// and show their lines with `prefix` (`deploy.logs.prefix`).
    pub fn new(
        hooks: DeployHooks,
        env: DeployHookEnv,
        client: kube::Client,
        prefix: LogPrefix,
    ) -> Self {
        Self {
            hooks,
            env,
            client,
            prefix,
            visited: Mutex::new(HashSet::new()),
        }
    }

    /// Runs the `before` hooks; `namespaces` are those of the run's pods so far.
    pub async fn run_before(
        &self,
        namespaces: &[String],
        output: &Output,
    ) -> Result<(), DeployError> {
        self.run(HookPhase::Before, namespaces, output).await
    }

    /// Runs the `after` hooks; `namespaces` are those of the run's pods, including the
    /// namespaces of the manifests just deployed.
    pub async fn run_after(
        &self,
        namespaces: &[String],
        output: &Output,
    ) -> Result<(), DeployError> {
        self.run(HookPhase::After, namespaces, output).await
    }

    async fn run(
        &self,
        phase: HookPhase,
        namespaces: &[String],
        output: &Output,
    ) -> Result<(), DeployError> {
        let items = match phase {
            HookPhase::Before => &self.hooks.before,
            HookPhase::After => &self.hooks.after,
        };
        if items.is_empty() {
            return Ok(());
        }
        output.phase(Phase::Deploy, &format!("Starting {phase} hooks...\n"));
        let vars = self.env.vars(namespaces);
        for item in items {
            match item {
                DeployHookItem::Host(hook) => host(phase, hook, &vars, output).await?,
                DeployHookItem::Container(hook) => {
                    let sink = LineSink::new(output.clone(), false);
                    let exec = Exec {
                        client: &self.client,
                        run_id: &self.env.run_id,
                        prefix: self.prefix,
                        sink: &sink,
                    };
                    let targets = exec.targets(hook, namespaces).await?;
                    let fresh = self.unvisited(phase, targets);
                    exec.run_all(&hook.command, &fresh).await?;
                }
            }
        }
        output.phase(Phase::Deploy, &format!("Completed {phase} hooks\n"));
        Ok(())
    }

    /// The targets that have not had a hook of `phase` yet, now marked as having had it.
    fn unvisited(&self, phase: HookPhase, targets: Vec<Target>) -> Vec<Target> {
        let mut visited = self.visited.lock().unwrap_or_else(|e| e.into_inner());
        targets
            .into_iter()
            .filter(|target| visited.insert((phase, target.clone())))
            .collect()
    }
}

/// Runs one host hook with `vars`, its lines shown as deploy output.
async fn host(
    phase: HookPhase,
    hook: &HostHook,
    vars: &[(String, String)],
    output: &Output,
) -> Result<(), DeployError> {
    match run_host_hook(hook, vars, &DeployLines(output), None).await {
        Ok(HookOutcome::Succeeded) => Ok(()),
        Ok(HookOutcome::Skipped) => {
            tracing::info!(
                "host hook execution skipped due to OS criteria {:?} not matched for commands: {}",
                hook.os.join(","),
                command_line(&hook.command)
            );
            Ok(())
        }
        Err(err) => Err(DeployError::new(
            StatusCode::DeployUnknown,
            format!("{phase} hook {} failed: {err}", command_line(&hook.command)),
        )),
    }
}

/// A command for messages: `[sh -c "exit 1"]`.
fn command_line(command: &[String]) -> String {
    let words: Vec<String> = command.iter().map(|w| quote_word(w)).collect();
    format!("[{}]", words.join(" "))
}

/// Host hooks' lines, written as deploy output.
struct DeployLines<'a>(&'a Output);

impl BuildOutput for DeployLines<'_> {
    fn write(&self, text: &str) {
        self.0.phase(Phase::Deploy, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_follow_skaffolds_order() {
        let env = DeployHookEnv {
            statics: StaticHookEnv {
                work_dir: "/w".into(),
                ..StaticHookEnv::default()
            },
            run_id: "r1".into(),
            kube_context: "kind".into(),
        };
        assert_eq!(
            env.vars(&["a".into(), "b".into()]),
            [
                ("SKAFFOLD_WORK_DIR", "/w"),
                ("SKAFFOLD_RUN_ID", "r1"),
                ("SKAFFOLD_KUBE_CONTEXT", "kind"),
                ("SKAFFOLD_NAMESPACES", "a,b"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[test]
    fn phases_use_skaffolds_names() {
        assert_eq!(HookPhase::Before.to_string(), "pre-deploy");
        assert_eq!(HookPhase::After.to_string(), "post-deploy");
    }

    #[test]
    fn commands_are_shown_bracketed_and_quoted() {
        let command = ["sh", "-c", "exit 1"].map(String::from);
        assert_eq!(command_line(&command), "[sh -c \"exit 1\"]");
    }
}
