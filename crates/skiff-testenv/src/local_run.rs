//! Helpers for the tests of the phases that run on the local engine — test, verify and exec —
//! (feature `local-run`): a session with a recorded output and the run's options, configs from
//! YAML, the task and subtask events a run emitted, and the check that the run left nothing on
//! the engine.

use skiff_actions::{LocalRun, LocalRunOptions};
use skiff_build::builder::BuiltImage;
use skiff_config::SkaffoldConfig;
use skiff_deploy::docker::{RUN_ID_LABEL, network_name};
use skiff_docker::Engine;
use skiff_events::{Hub, Output, Stream};
use skiff_proto::v2::ActionableErr;
use skiff_proto::v2::event::EventType;

use crate::{Printed, base_image, recorded_events, recorded_output, unique};

/// One run against the test engine: the engine, an output that records what it prints and the
/// events of its hub, and the run's options (a fresh run id, no env file, the run's own network).
pub struct LocalSession {
    /// The engine (`DOCKER_HOST`).
    pub engine: Engine,
    /// The run's output.
    pub output: Output,
    /// The run id, `--env-file` variables and `--docker-network`.
    pub opts: LocalRunOptions,
    printed: Printed,
}

impl LocalSession {
    /// Runs `test` with a new session on `DOCKER_HOST`, then asserts that no container of the
    /// run and not the run's own network are left on the engine. Without the test environment
    /// it does nothing, after a note (a panic under `CI=true`).
    pub async fn test(test: impl AsyncFnOnce(&mut LocalSession)) {
        let Some(mut session) = LocalSession::new().await else {
            return;
        };
        test(&mut session).await;
        session.assert_nothing_left().await;
    }

    /// A session on `DOCKER_HOST`; `None` (after a note) when the test environment is absent.
    async fn new() -> Option<LocalSession> {
        let engine = crate::engine("DOCKER_HOST").await?;
        let (output, printed) = recorded_output();
        let opts = LocalRunOptions {
            run_id: unique("run"),
            ..LocalRunOptions::default()
        };
        Some(LocalSession {
            engine,
            output,
            opts,
            printed,
        })
    }

    /// What the containers of a verify or exec run use, with the images of `builds`.
    pub fn local<'a>(&'a self, builds: &'a [BuiltImage]) -> LocalRun<'a> {
        LocalRun {
            engine: &self.engine,
            builds,
            opts: &self.opts,
            output: &self.output,
        }
    }

    /// Everything the run printed.
    pub fn printed(&self) -> String {
        self.printed.text()
    }

    /// The hub the run's events went to.
    pub fn hub(&self) -> &Hub {
        self.output.hub()
    }

    /// Every task event and test, verify or exec subtask event, in order.
    pub fn progress(&self) -> Vec<Progress> {
        recorded_events(self.hub(), Stream::Events, Progress::of)
    }

    /// The task events, in order.
    pub fn tasks(&self) -> Vec<Progress> {
        let mut all = self.progress();
        all.retain(|p| p.kind == "task");
        all
    }

    /// The statuses subtask `id` went through.
    pub fn statuses(&self, id: &str) -> Vec<String> {
        let subtask = self.progress().into_iter().filter(|p| p.is_subtask(id));
        subtask.map(|p| p.status).collect()
    }

    /// The error message of the failed subtask `id`; panics when it did not fail.
    pub fn failure(&self, id: &str) -> String {
        let failed = self
            .progress()
            .into_iter()
            .find(|p| p.is_subtask(id) && p.status == "Failed");
        failed
            .unwrap_or_else(|| panic!("{id} did not fail"))
            .message()
            .to_owned()
    }

    /// `(task id, subtask id, message)` of every `skaffoldLogEvent`, in order.
    pub fn logs(&self) -> Vec<(String, String, String)> {
        recorded_events(self.hub(), Stream::Events, |event| match event {
            EventType::SkaffoldLogEvent(l) => {
                Some((l.task_id.clone(), l.subtask_id.clone(), l.message.clone()))
            }
            _ => None,
        })
    }

    /// The events as the `--event-log-file` writer leaves them in `<file>.v2`.
    pub fn event_log(&self) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = skiff_events::event_log::append_v2(self.hub(), &dir.path().join("events"))
            .expect("write the event log");
        std::fs::read_to_string(path).unwrap()
    }

    /// Asserts that no container of the run and not the run's own network are left on the
    /// engine.
    async fn assert_nothing_left(&self) {
        let label = format!("{RUN_ID_LABEL}={}", self.opts.run_id);
        let left = self.engine.containers_with_label(&label).await.unwrap();
        assert!(left.is_empty(), "containers left behind: {left:?}");
        let network = network_name(&self.opts.run_id);
        let exists = self.engine.network_exists(&network).await.unwrap();
        assert!(!exists, "the run's network {network} was left behind");
    }
}

/// A task event, or a test, verify or exec subtask event, flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// `task`, or the subtask's kind: `test`, `verify` or `exec`.
    pub kind: &'static str,
    /// The task's id (`Verify-0`).
    pub task: String,
    /// The subtask's id; empty for a task event.
    pub id: String,
    /// `InProgress`, `Succeeded` or `Failed`.
    pub status: String,
    /// The task's description (a task's InProgress event only).
    pub description: String,
    /// The error a `Failed` event carries.
    pub error: Option<ActionableErr>,
}

impl Progress {
    /// The event, if it is one of those.
    fn of(event: &EventType) -> Option<Progress> {
        let (kind, task, id, status, description, error) = match event {
            EventType::TaskEvent(t) => {
                let description = t.description.as_str();
                ("task", &t.id, "", &t.status, description, &t.actionable_err)
            }
            EventType::TestEvent(s) => {
                ("test", &s.task_id, &*s.id, &s.status, "", &s.actionable_err)
            }
            EventType::VerifyEvent(s) => (
                "verify",
                &s.task_id,
                &*s.id,
                &s.status,
                "",
                &s.actionable_err,
            ),
            EventType::ExecEvent(s) => {
                ("exec", &s.task_id, &*s.id, &s.status, "", &s.actionable_err)
            }
            _ => return None,
        };
        Some(Progress {
            kind,
            task: task.clone(),
            id: id.to_owned(),
            status: status.clone(),
            description: description.to_owned(),
            error: error.clone(),
        })
    }

    /// Whether this is an event of subtask `id`.
    fn is_subtask(&self, id: &str) -> bool {
        self.kind != "task" && self.id == id
    }

    /// The error's message; empty when there is none.
    pub fn message(&self) -> &str {
        self.error.as_ref().map_or("", |e| e.message.as_str())
    }

    /// The event on one line: `<kind> <task id> [<subtask id>] <status> [<description>]
    /// [<error code>]` (`task Test-0 InProgress Test`, `test Test-0 1 Failed 1101`).
    pub fn line(&self) -> String {
        let code = self.error.as_ref().map(|e| e.err_code.to_string());
        let parts = [
            Some(self.kind),
            Some(self.task.as_str()),
            Some(self.id.as_str()),
            Some(self.status.as_str()),
            Some(self.description.as_str()),
            code.as_deref(),
        ];
        let present: Vec<&str> = parts
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        present.join(" ")
    }
}

/// The config of a skaffold.yaml of the current schema with `body` after its `apiVersion` and
/// `kind`, with Skaffold's defaults applied; `{base}` in `body` stands for the [`base_image`].
pub fn skaffold_config(body: &str) -> SkaffoldConfig {
    let text = format!(
        "apiVersion: skaffold/v4beta14\nkind: Config\n{}",
        body.replace("{base}", &base_image())
    );
    let mut set = skiff_config::load_str(&text, "skaffold.yaml").expect("a valid config");
    skiff_config::defaults::apply(&mut set, &Default::default()).expect("defaults apply");
    set.entries.remove(0).config
}

/// How the `.v2` event log writes the task and subtask events of the verify or exec phase: the
/// text to look for in [`LocalSession::event_log`]. A failure carries `UNKNOWN_ERROR`, as every
/// failed container of these phases and the task it fails do.
#[derive(Debug, Clone, Copy)]
pub struct EventLogText {
    /// The task (`Verify`, `Exec`); its id is `<task>-0`.
    task: &'static str,
    /// The key of its subtask events (`verifyEvent`, `execEvent`).
    subtask: &'static str,
}

impl EventLogText {
    /// The events of the verify phase.
    pub const VERIFY: Self = Self {
        task: "Verify",
        subtask: "verifyEvent",
    };
    /// The events of the exec phase.
    pub const EXEC: Self = Self {
        task: "Exec",
        subtask: "execEvent",
    };

    /// The task's InProgress event, with its `description`.
    pub fn started(&self, description: &str) -> String {
        let task = self.task;
        format!(
            r#""taskEvent":{{"id":"{task}-0","task":"{task}","description":{},"status":"InProgress"}}}}"#,
            json_string(description)
        )
    }

    /// The task's Succeeded event.
    pub fn succeeded(&self) -> String {
        let task = self.task;
        format!(r#""taskEvent":{{"id":"{task}-0","task":"{task}","status":"Succeeded"}}}}"#)
    }

    /// The task's Failed event, up to the end of its error `message`.
    pub fn failed(&self, message: &str) -> String {
        let task = self.task;
        format!(
            r#""taskEvent":{{"id":"{task}-0","task":"{task}","status":"Failed",{}"#,
            unknown_error(message)
        )
    }

    /// The event of subtask `id` with `status` (`InProgress`, `Succeeded`).
    pub fn subtask(&self, id: &str, status: &str) -> String {
        let (key, task) = (self.subtask, self.task);
        format!(r#""{key}":{{"id":"{id}","taskId":"{task}-0","status":"{status}"}}}}"#)
    }

    /// The Failed event of subtask `id`, up to the end of its error `message`.
    pub fn subtask_failed(&self, id: &str, message: &str) -> String {
        let (key, task) = (self.subtask, self.task);
        format!(
            r#""{key}":{{"id":"{id}","taskId":"{task}-0","status":"Failed",{}"#,
            unknown_error(message)
        )
    }
}

/// The start of an `actionableErr` with `UNKNOWN_ERROR` and `message`, up to the message's end.
fn unknown_error(message: &str) -> String {
    format!(
        r#""actionableErr":{{"errCode":"UNKNOWN_ERROR","message":{}"#,
        json_string(message)
    )
}

/// `text` as a JSON string, escaped as Go's `encoding/json` escapes it.
fn json_string(text: &str) -> String {
    skiff_proto::json::go_escape(&serde_json::Value::from(text).to_string())
}
