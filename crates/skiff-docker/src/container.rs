//! Containers: create, start, follow logs, wait, remove, and run one to completion. Shared by
//! the docker target, verification tests, custom actions and structure tests.

use std::collections::HashMap;
use std::time::Duration;

use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkingConfig,
    PortBinding as EnginePortBinding,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RenameContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::{Stream, StreamExt};

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;
use crate::run_until::RunUntil;

/// A container to create.
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    /// The image reference.
    pub image: String,
    /// The container name; the engine picks one when `None`.
    pub name: Option<String>,
    /// Overrides the image's `ENTRYPOINT`.
    pub entrypoint: Option<Vec<String>>,
    /// Overrides the image's `CMD`.
    pub cmd: Option<Vec<String>>,
    /// `NAME=value` environment entries, added to the image's.
    pub env: Vec<String>,
    /// Labels on the container.
    pub labels: HashMap<String, String>,
    /// The network to attach to (`None`: the engine's default bridge), or `container:<id>` to
    /// share that container's network namespace.
    pub network: Option<String>,
    /// Extra names the container answers to on `network`.
    pub network_aliases: Vec<String>,
    /// Published ports.
    pub ports: Vec<PublishedPort>,
    /// Run an init process as PID 1, so signals reach the program and a stop is instant.
    pub init: bool,
}

/// A container port published on the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// The port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// The host address to bind (`127.0.0.1`).
    pub host_ip: String,
    /// The host port.
    pub host_port: u16,
}

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// The program's standard output.
    Stdout,
    /// The program's standard error.
    Stderr,
}

/// One line a container wrote, with its trailing newline when it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Where the line was written.
    pub stream: LogStream,
    /// The text.
    pub text: String,
}

/// How a container run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// The program exited with this code.
    Exited(i64),
    /// The timeout passed first; the container was removed.
    TimedOut,
}

impl Engine {
    /// Pulls `image` unless the engine already has it.
    pub async fn ensure_image(&self, image: &str) -> Result<(), EngineError> {
        if self.image_id(image).await?.is_some() {
            return Ok(());
        }
        self.pull_image(image).await
    }

    /// Creates a container and returns its id.
    pub async fn create_container(&self, spec: &ContainerSpec) -> Result<String, EngineError> {
        let mut port_bindings: HashMap<String, Option<Vec<EnginePortBinding>>> = HashMap::new();
        let mut exposed: Vec<String> = Vec::new();
        for port in &spec.ports {
            let key = format!("{}/{}", port.container_port, port.protocol);
            exposed.push(key.clone());
            port_bindings
                .entry(key)
                .or_insert_with(|| Some(Vec::new()))
                .get_or_insert_with(Vec::new)
                .push(EnginePortBinding {
                    host_ip: Some(port.host_ip.clone()),
                    host_port: Some(port.host_port.to_string()),
                });
        }
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            entrypoint: spec.entrypoint.clone(),
            cmd: spec.cmd.clone(),
            env: (!spec.env.is_empty()).then(|| spec.env.clone()),
            labels: (!spec.labels.is_empty()).then(|| spec.labels.clone()),
            exposed_ports: (!exposed.is_empty()).then_some(exposed),
            host_config: Some(HostConfig {
                init: spec.init.then_some(true),
                network_mode: spec.network.clone(),
                port_bindings: (!port_bindings.is_empty()).then_some(port_bindings),
                ..Default::default()
            }),
            networking_config: aliases_config(spec),
            ..Default::default()
        };
        let options = spec
            .name
            .as_deref()
            .map(|name| CreateContainerOptionsBuilder::default().name(name).build());
        let created = self
            .client()
            .create_container(options, body)
            .await
            .map_err(EngineError::api("create container"))?;
        Ok(created.id)
    }

    /// Starts a created container.
    pub async fn start_container(&self, id: &str) -> Result<(), EngineError> {
        self.client()
            .start_container(id, None)
            .await
            .map_err(EngineError::api("start container"))
    }

    /// Removes a container, stopping it first if it runs, with its anonymous volumes. A
    /// container that is already gone is not an error.
    pub async fn remove_container(&self, id: &str) -> Result<(), EngineError> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.client().remove_container(id, Some(options)).await {
            Ok(()) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            // Removal already under way (`--rm`, a concurrent cleanup): it will be gone.
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(()),
            Err(e) => Err(EngineError::api("remove container")(e)),
        }
    }

    /// Gives a container another name.
    pub async fn rename_container(&self, id: &str, name: &str) -> Result<(), EngineError> {
        let options = RenameContainerOptionsBuilder::default().name(name).build();
        self.client()
            .rename_container(id, options)
            .await
            .map_err(EngineError::api("rename container"))
    }

    /// Waits until the container stops and returns its exit code.
    pub async fn wait_container(&self, id: &str) -> Result<i64, EngineError> {
        let options = WaitContainerOptionsBuilder::default()
            .condition("not-running")
            .build();
        let mut stream = self.client().wait_container(id, Some(options));
        match stream.next().await {
            Some(Ok(response)) => Ok(response.status_code),
            Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(EngineError::api("wait for container")(e)),
            None => Err(EngineError::Api {
                operation: "wait for container",
                source: bollard::errors::Error::DockerContainerWaitError {
                    error: "the engine closed the wait stream".into(),
                    code: -1,
                },
            }),
        }
    }

    /// The container's output as lines: everything so far (or the last `tail` lines), then,
    /// with `follow`, what it writes until it stops.
    pub fn log_lines(
        &self,
        id: &str,
        follow: bool,
        tail: Option<usize>,
    ) -> impl Stream<Item = Result<LogLine, EngineError>> + Send + 'static {
        let tail = tail.map_or_else(|| "all".to_owned(), |n| n.to_string());
        let options = LogsOptionsBuilder::default()
            .follow(follow)
            .stdout(true)
            .stderr(true)
            .tail(&tail)
            .build();
        let chunks = self.client().logs(id, Some(options));
        lines(chunks)
    }

    /// Runs a container to completion: creates and starts it, passes each line it writes to
    /// `on_line`, waits for it to exit (at most `timeout`), and removes it.
    pub async fn run_to_completion(
        &self,
        spec: &ContainerSpec,
        timeout: Option<Duration>,
        on_line: impl FnMut(LogLine) + Send,
    ) -> Result<RunEnd, EngineError> {
        let id = self.create_container(spec).await?;
        if let Err(err) = self.start_container(&id).await {
            self.remove_container(&id).await?;
            return Err(err);
        }
        let deadline = async {
            match timeout {
                Some(limit) => tokio::time::sleep(limit).await,
                None => std::future::pending().await,
            }
        };
        Ok(match self.follow_until(&id, deadline, on_line).await? {
            RunUntil::Exited(code) => RunEnd::Exited(code),
            RunUntil::Stopped(()) => RunEnd::TimedOut,
        })
    }
}

/// Splits the engine's log chunks into lines per stream; a last line without a newline is
/// passed on when the stream ends.
fn lines(
    chunks: impl Stream<Item = Result<bollard::container::LogOutput, bollard::errors::Error>>
    + Send
    + 'static,
) -> impl Stream<Item = Result<LogLine, EngineError>> + Send + 'static {
    struct Splitter {
        stdout: String,
        stderr: String,
    }
    impl Splitter {
        fn push(&mut self, stream: LogStream, bytes: &[u8]) -> Vec<LogLine> {
            let buffer = match stream {
                LogStream::Stdout => &mut self.stdout,
                LogStream::Stderr => &mut self.stderr,
            };
            buffer.push_str(&String::from_utf8_lossy(bytes));
            let mut out = Vec::new();
            while let Some(end) = buffer.find('\n') {
                let text: String = buffer.drain(..=end).collect();
                out.push(LogLine { stream, text });
            }
            out
        }
        fn finish(&mut self) -> Vec<LogLine> {
            [
                (LogStream::Stdout, std::mem::take(&mut self.stdout)),
                (LogStream::Stderr, std::mem::take(&mut self.stderr)),
            ]
            .into_iter()
            .filter(|(_, text)| !text.is_empty())
            .map(|(stream, text)| LogLine { stream, text })
            .collect()
        }
    }
    use bollard::container::LogOutput;
    let state = (
        Box::pin(chunks),
        Splitter {
            stdout: String::new(),
            stderr: String::new(),
        },
        false,
    );
    futures_util::stream::unfold(state, |(mut chunks, mut splitter, done)| async move {
        if done {
            return None;
        }
        loop {
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    let batch = match chunk {
                        LogOutput::StdErr { message } => splitter.push(LogStream::Stderr, &message),
                        LogOutput::StdOut { message }
                        | LogOutput::Console { message }
                        | LogOutput::StdIn { message } => {
                            splitter.push(LogStream::Stdout, &message)
                        }
                    };
                    if !batch.is_empty() {
                        let items: Vec<Result<LogLine, EngineError>> =
                            batch.into_iter().map(Ok).collect();
                        return Some((items, (chunks, splitter, false)));
                    }
                }
                Some(Err(e)) if is_not_found(&e) => {
                    let rest = splitter.finish().into_iter().map(Ok).collect();
                    return Some((rest, (chunks, splitter, true)));
                }
                Some(Err(e)) => {
                    let mut rest: Vec<Result<LogLine, EngineError>> =
                        splitter.finish().into_iter().map(Ok).collect();
                    rest.push(Err(EngineError::api("read container logs")(e)));
                    return Some((rest, (chunks, splitter, true)));
                }
                None => {
                    let rest: Vec<_> = splitter.finish().into_iter().map(Ok).collect();
                    return Some((rest, (chunks, splitter, true)));
                }
            }
        }
    })
    .flat_map(futures_util::stream::iter)
}

/// The endpoint settings giving `spec` its aliases on its network, if it has any.
fn aliases_config(spec: &ContainerSpec) -> Option<NetworkingConfig> {
    let network = spec
        .network
        .as_ref()
        .filter(|_| !spec.network_aliases.is_empty())?;
    let endpoint = EndpointSettings {
        aliases: Some(spec.network_aliases.clone()),
        ..Default::default()
    };
    Some(NetworkingConfig {
        endpoints_config: Some(HashMap::from([(network.clone(), endpoint)])),
    })
}
