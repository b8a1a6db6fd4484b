//! What every pipeline command sets up before its phases run and tears down after: signal
//! handlers, the configs, the run id, the event hub with the initial state, the API session,
//! the first `MetaEvent`, and the output that reaches the terminal and the hub.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use skiff_api::ControlReceiver;
use skiff_config::SkaffoldConfig;
use skiff_events::{Hub, HubLimits, InitialState, Output};
use skiff_runner::PipelineError;
use skiff_runner::metadata::{artifact_names, metadata};

use crate::api_session::ApiSession;
use crate::configs::{self, LoadRequest};
use crate::options::{ApiOptions, ConfigOptions, OutputSettings};
use crate::signals::Interrupts;

/// A pipeline command's running session.
#[derive(Debug)]
pub struct CommandSession {
    /// The configs, with profiles and defaults applied.
    pub configs: Vec<SkaffoldConfig>,
    /// The event hub every phase reports to.
    pub hub: Hub,
    /// Phase output: the terminal (unless quiet) and the hub; muted phases write to log files.
    pub output: Output,
    /// This run's id (`skaffold.dev/run-id`).
    pub run_id: String,
    /// The directory relative paths of the configs are resolved against.
    pub base_dir: PathBuf,
    /// SIGINT / SIGTERM.
    pub interrupts: Interrupts,
    /// Intents sent by API clients.
    pub control: ControlReceiver,
    api: ApiSession,
}

impl CommandSession {
    /// Installs the signal handlers, reads the configs for `command`, starts the API and sends
    /// the `MetaEvent`. Phase output goes as `output` says: to the hub only when quiet, muted
    /// phases to their log files.
    pub async fn start(
        config: &ConfigOptions,
        api: &ApiOptions,
        command: &str,
        output: impl Into<OutputSettings>,
    ) -> anyhow::Result<Self> {
        let OutputSettings { quiet, mute_logs } = output.into();
        let interrupts = Interrupts::install()?;
        let configs: Vec<SkaffoldConfig> =
            configs::load(&LoadRequest::for_command(config, command))?
                .into_iter()
                .map(|loaded| loaded.config)
                .collect();
        let run_id = crate::build_info::new_run_id();
        let refs: Vec<&SkaffoldConfig> = configs.iter().collect();
        let metadata = metadata(&refs, &run_id, config.kube_context.as_deref().unwrap_or(""));
        let hub = Hub::new(
            &InitialState {
                artifacts: artifact_names(&refs),
                metadata: metadata.clone(),
                ..Default::default()
            },
            HubLimits::default(),
        );
        let (api, control) = ApiSession::start(api, &hub).await?;
        hub.meta(&crate::build_info::meta_entry(), metadata);
        let output = Output::new(
            hub.clone(),
            Arc::new(move |text: &str| {
                if !quiet {
                    let mut stdout = std::io::stdout().lock();
                    let _ = stdout.write_all(text.as_bytes());
                    let _ = stdout.flush();
                }
            }),
        )
        .muting(mute_logs);
        Ok(CommandSession {
            configs,
            hub,
            output,
            run_id,
            base_dir: std::env::current_dir()?,
            interrupts,
            control,
            api,
        })
    }

    /// Runs `work` in a session started as [`CommandSession::start`] does, then finishes the
    /// session whatever `work` returned.
    pub async fn within<T>(
        config: &ConfigOptions,
        api: &ApiOptions,
        command: &str,
        output: impl Into<OutputSettings>,
        work: impl AsyncFnOnce(&mut CommandSession) -> anyhow::Result<T>,
    ) -> anyhow::Result<T> {
        let mut session = Self::start(config, api, command, output).await?;
        let result = work(&mut session).await;
        session.finish().await?;
        result
    }

    /// Ends the session: stops the API (after waiting for a client if asked) and writes the
    /// event-log file.
    pub async fn finish(self) -> anyhow::Result<()> {
        self.api.finish().await
    }
}

/// Runs `work` unless SIGINT or SIGTERM comes first, which fails with "interrupted".
pub async fn interruptible<T>(
    interrupts: &mut Interrupts,
    work: impl Future<Output = Result<T, PipelineError>>,
) -> anyhow::Result<T> {
    tokio::select! {
        result = work => result.map_err(pipeline_error),
        () = interrupts.recv() => anyhow::bail!("interrupted"),
    }
}

/// The error the user sees for a failed phase: the message, then what to do about it.
pub fn pipeline_error(err: PipelineError) -> anyhow::Error {
    let mut message = err.to_string();
    for suggestion in err.suggestions() {
        message.push('\n');
        message.push_str(suggestion);
    }
    anyhow::anyhow!(message)
}

/// Connects to the container engine named by `DOCKER_HOST` (or the default socket), with what
/// to do when it does not answer.
pub async fn connect_engine() -> anyhow::Result<skiff_docker::Engine> {
    skiff_docker::Engine::connect(None).await.map_err(|err| {
        let failure = skiff_build::docker::engine_error(err);
        match &failure.suggestion {
            Some((_, action)) => anyhow::anyhow!("{}\n{action}", failure.message),
            None => anyhow::anyhow!(failure.message),
        }
    })
}

/// Reads the images of `-a/--build-artifacts` (a file, or stdin for `-`) and `-i/--images`,
/// with `-t` and `-d` applied.
pub fn prebuilt_images(
    opts: &crate::options::PrebuiltOptions,
) -> Result<skiff_runner::prebuilt::PrebuiltImages, PipelineError> {
    use skiff_runner::prebuilt::{PrebuiltImages, parse_build_output, parse_image_flag};
    let from_file = match opts.build_artifacts.as_deref() {
        None => Vec::new(),
        Some(source) => {
            let text = if source == "-" {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(source)
            };
            let text = text.map_err(|e| {
                PipelineError::new(
                    skiff_events::Phase::Init,
                    skiff_events::errors::unknown(
                        skiff_events::Phase::Init,
                        format!("reading --build-artifacts {source}: {e}"),
                    ),
                )
            })?;
            parse_build_output(&text)?
        }
    };
    let images = opts
        .images
        .iter()
        .map(|value| parse_image_flag(value))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(PrebuiltImages {
        from_file,
        images,
        custom_tag: opts.custom_tag.clone(),
        default_repo: opts.default_repo.clone(),
    })
}
