//! One container of a verification test or custom action on the local engine: its settings
//! (image, command, environment, labels, network), a free name, its output, and how it ended.

use std::future::Future;

use futures_util::FutureExt;
use skiff_build::builder::BuiltImage;
use skiff_config::model::{LocalVerifier, VerifyContainer};
use skiff_deploy::docker::RUN_ID_LABEL;
use skiff_docker::{ContainerSpec, Engine, EngineError, LogLine, RunUntil};
use skiff_events::{Output, Phase};
use skiff_proto::v2::ApplicationLogEvent;

use crate::error::{ActionError, TaskError};
use crate::image;

/// How containers run on the local engine, from the command line.
#[derive(Debug, Clone, Default)]
pub struct LocalRunOptions {
    /// This run's id: the `skaffold.dev/run-id` label of every container and network, and the
    /// run's network name `skaffold-network-<runID>`.
    pub run_id: String,
    /// `--env-file` variables, set in every container after its own `env`.
    pub env: Vec<(String, String)>,
    /// `--docker-network`: the network every container joins instead of the run's own.
    pub network: Option<String>,
}

/// What every container of one verify or exec run uses: the engine it runs on, the images built
/// before it, the command line's options and where its output and events go.
#[derive(Debug, Clone, Copy)]
pub struct LocalRun<'a> {
    /// The engine the containers run on.
    pub engine: &'a Engine,
    /// The images built before: a container whose image names one of them runs it as built.
    pub builds: &'a [BuiltImage],
    /// The run id, `--env-file` variables and `--docker-network`.
    pub opts: &'a LocalRunOptions,
    /// Where the output and the events go.
    pub output: &'a Output,
}

/// A container ready to run: its image is on the engine.
#[derive(Debug, Clone)]
pub(crate) struct LocalContainer {
    /// The test or task name: the id of its events and the prefix of its output.
    pub id: String,
    /// The container name wanted; a suffix is added when a container already has it.
    name: String,
    /// What to create (the name is chosen when it starts).
    spec: ContainerSpec,
}

impl LocalContainer {
    /// `container` of test or task `id`, named `name` (or a free variant of it) on `network`,
    /// once its image is on the engine (see [`image::prepare`]; `useLocalImages` of the test's
    /// or action's `executionMode.local` lets a local copy stand).
    pub async fn prepare(
        id: &str,
        name: String,
        container: &VerifyContainer,
        mode: Option<&LocalVerifier>,
        network: &str,
        local: &LocalRun<'_>,
    ) -> Result<Self, ActionError> {
        let use_local_images = mode.is_some_and(|m| m.use_local_images);
        let image = image::prepare(
            local.engine,
            &container.image,
            local.builds,
            use_local_images,
        )
        .await
        .map_err(ActionError::Image)?;
        Ok(Self::new(id, name, container, image, network, local.opts))
    }

    /// `container` of test or task `id`, to run as image `image` on `network` and named `name`
    /// (or a free variant of it).
    fn new(
        id: &str,
        name: String,
        container: &VerifyContainer,
        image: String,
        network: &str,
        opts: &LocalRunOptions,
    ) -> Self {
        let env = container
            .env
            .iter()
            .map(|e| format!("{}={}", e.name, e.value))
            .chain(opts.env.iter().map(|(k, v)| format!("{k}={v}")))
            .collect();
        let spec = ContainerSpec {
            image,
            entrypoint: (!container.command.is_empty()).then(|| container.command.clone()),
            cmd: (!container.args.is_empty()).then(|| container.args.clone()),
            env,
            labels: [(RUN_ID_LABEL.to_owned(), opts.run_id.clone())].into(),
            network: Some(network.to_owned()),
            ..ContainerSpec::default()
        };
        Self {
            id: id.to_owned(),
            name,
            spec,
        }
    }

    /// The image reference the container runs.
    pub fn image(&self) -> &str {
        &self.spec.image
    }

    /// Runs the container until it exits or `stop` resolves (with the error to report), writing
    /// each line it prints as output of `phase`. The container is removed in every case.
    pub async fn run(
        &self,
        phase: Phase,
        stop: impl Future<Output = TaskError>,
        local: &LocalRun<'_>,
    ) -> Result<(), TaskError> {
        let engine = local.engine;
        let mut stop = std::pin::pin!(stop);
        if let Some(reason) = stop.as_mut().now_or_never() {
            return Err(reason);
        }
        let name = free_name(engine, &self.name)
            .await
            .map_err(TaskError::Create)?;
        let spec = ContainerSpec {
            name: Some(name),
            ..self.spec.clone()
        };
        let container = engine
            .create_container(&spec)
            .await
            .map_err(TaskError::Create)?;
        if let Err(e) = engine.start_container(&container).await {
            if let Err(removal) = engine.remove_container(&container).await {
                tracing::warn!("removing container {container} that did not start: {removal}");
            }
            return Err(TaskError::Create(e));
        }
        let end = engine
            .follow_until(&container, stop, |line| {
                write_line(local.output, phase, &self.id, &line)
            })
            .await
            .map_err(TaskError::Engine)?;
        match end {
            RunUntil::Exited(0) => Ok(()),
            RunUntil::Exited(code) => Err(TaskError::Exited {
                name: self.id.clone(),
                image: self.spec.image.clone(),
                code,
            }),
            RunUntil::Stopped(reason) => Err(reason),
        }
    }
}

/// `wanted`, or `wanted-<8 hex digits>` when a container already has that name (as Skaffold
/// names its containers).
async fn free_name(engine: &Engine, wanted: &str) -> Result<String, EngineError> {
    let mut name = wanted.to_owned();
    while engine.inspect_container(&name).await?.is_some() {
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        name = format!("{wanted}-{}", &suffix[..8]);
    }
    Ok(name)
}

/// The last path element of `s` up to its first `:` (Go's `path.Base(strings.Split(s, ":")[0])`),
/// which turns an image reference into a container name.
pub(crate) fn base_name(s: &str) -> String {
    let before_colon = s.split(':').next().unwrap_or_default();
    let trimmed = before_colon.trim_end_matches('/');
    if trimmed.is_empty() {
        return if before_colon.is_empty() { "." } else { "/" }.to_owned();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

/// Whether the engine accepts `name` as a container name (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
pub(crate) fn valid_container_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// One line a container printed: to the terminal and the event log as output of `phase`
/// prefixed `[<id>] `, and to the application logs. (Skaffold logs verification output under
/// the `DevLoop` task and custom-action output under subtask `-1`; skiff ties each line to its
/// phase and to the test or task that printed it.)
fn write_line(output: &Output, phase: Phase, id: &str, line: &LogLine) {
    let prefix = format!("[{id}] ");
    let mut message = line.text.clone();
    if !message.ends_with('\n') {
        message.push('\n');
    }
    let formatted = format!("{prefix}{message}");
    output.hub().application_log(ApplicationLogEvent {
        container_name: id.to_owned(),
        pod_name: String::new(),
        prefix,
        message,
        rich_formatted_message: formatted.clone(),
    });
    output.write(phase, id, &formatted);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names_follow_go_path_base() {
        for (image, name) in [
            ("docker.io/hello-world:latest", "hello-world"),
            ("alpine:3.15.4", "alpine"),
            ("task1", "task1"),
            ("localhost:5000/app:1", "localhost"),
            ("a/b/", "b"),
            ("", "."),
            ("/", "/"),
        ] {
            assert_eq!(base_name(image), name, "{image:?}");
        }
    }

    #[test]
    fn container_names_are_checked_as_the_engine_does() {
        for (name, valid) in [
            ("alpine-1", true),
            ("a.b_c-d", true),
            ("", false),
            ("-a", false),
            ("docker.io/hello-world:latest", false),
        ] {
            assert_eq!(valid_container_name(name), valid, "{name:?}");
        }
    }

    #[test]
    fn container_settings_come_from_the_config_and_the_options() {
        let container = VerifyContainer {
            name: "t".into(),
            image: "img".into(),
            command: vec!["/bin/sh".into()],
            args: vec![],
            env: vec![skiff_config::model::VerifyEnvVar {
                name: "FOO".into(),
                value: "own".into(),
            }],
        };
        let opts = LocalRunOptions {
            run_id: "r1".into(),
            env: vec![("BAR".into(), "file".into())],
            network: None,
        };
        let c = LocalContainer::new("t", "t".into(), &container, "img:1".into(), "net", &opts);
        assert_eq!(c.image(), "img:1");
        assert_eq!(
            c.spec.entrypoint.as_deref(),
            Some(&["/bin/sh".to_owned()][..])
        );
        assert_eq!(c.spec.cmd, None);
        assert_eq!(c.spec.env, ["FOO=own", "BAR=file"]);
        assert_eq!(c.spec.labels[RUN_ID_LABEL], "r1");
        assert_eq!(c.spec.network.as_deref(), Some("net"));
    }
}
