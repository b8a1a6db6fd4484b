//! What the verify and exec phase tests share: a session on the test engine (hub, captured
//! output, run options), configs from YAML, the `.v2` event log and the check that nothing is
//! left on the engine.

use std::sync::{Arc, Mutex};

use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::{RUN_ID_LABEL, network_name};
use skiff_docker::Engine;
use skiff_events::{Hub, HubLimits, InitialState, Output};
use skiff_runner::verify::LocalRunOptions;

/// One run against the test engine.
pub struct Session {
    /// The engine.
    pub engine: Engine,
    /// The run's output (also captured).
    pub output: Output,
    /// The run id, env file variables and network.
    pub opts: LocalRunOptions,
    printed: Arc<Mutex<String>>,
}

impl Session {
    /// A session on `DOCKER_HOST` with a fresh run id and the `--env-file` variables `env`;
    /// `None` (after a note) when the test environment is absent.
    pub async fn new(env: &[(&str, &str)]) -> Option<Session> {
        let engine = skiff_testenv::engine("DOCKER_HOST").await?;
        let hub = Hub::new(&InitialState::default(), HubLimits::default());
        let printed = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&printed);
        let output = Output::new(
            hub,
            Arc::new(move |t: &str| sink.lock().unwrap().push_str(t)),
        );
        let opts = LocalRunOptions {
            run_id: skiff_testenv::unique("run"),
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            network: None,
        };
        Some(Session {
            engine,
            output,
            opts,
            printed,
        })
    }

    /// Everything the run printed.
    pub fn printed(&self) -> String {
        self.printed.lock().unwrap().clone()
    }

    /// The `.v2` file `--event-log-file` leaves.
    pub fn event_log(&self) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path =
            skiff_events::event_log::append_v2(self.output.hub(), &dir.path().join("events"))
                .expect("write the event log");
        std::fs::read_to_string(path).unwrap()
    }

    /// Asserts that no container of the run and not the run's network is left on the engine.
    pub async fn assert_nothing_left(&self) {
        let label = format!("{RUN_ID_LABEL}={}", self.opts.run_id);
        let left = self.engine.containers_with_label(&label).await.unwrap();
        assert!(left.is_empty(), "containers left behind: {left:?}");
        let network = network_name(&self.opts.run_id);
        assert!(!self.engine.network_exists(&network).await.unwrap());
    }
}

/// The config of a skaffold.yaml text in which `{base}` stands for the test base image (the
/// upstream tests' `alpine:3.15.4`, which needs the internet).
pub fn config(yaml: &str) -> SkaffoldConfig {
    let yaml = yaml.replace("{base}", &skiff_testenv::base_image());
    let set = skiff_config::load_str(&yaml, "skaffold.yaml").expect("a valid config");
    set.entries.into_iter().next().unwrap().config
}

/// Asserts that `log` contains each of `lines`.
pub fn assert_contains_all(log: &str, lines: &[String]) {
    for line in lines {
        assert!(log.contains(line.as_str()), "missing {line}\nin:\n{log}");
    }
}
