//! The docker target's log streamer on the real engines: lines of every container of a run as
//! `ApplicationLogEvent`s and on the terminal, containers replaced or restarted picked up
//! without a lost or repeated line, the tail, colours, `none` prefixes, muting and stopping.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use skiff_deploy::Background;
use skiff_deploy::docker::logs::{LogPrefix, LogSettings, LogStreamer};
use skiff_deploy::docker::{IMAGE_LABEL, RUN_ID_LABEL};
use skiff_docker::{ContainerSpec, Engine};
use skiff_events::{Output, Stream};
use skiff_proto::v2::ApplicationLogEvent;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{
    Printed, Scratch, base_image, engine, on_both_engines, recorded_events, recorded_output, unique,
};

/// How long a test waits for lines it expects.
const PATIENCE: Duration = Duration::from_secs(10);

/// Prints `<tag> 1` … `<tag> <count>` at once.
fn numbered(tag: &str, count: u32) -> String {
    format!("i=0; while [ $i -lt {count} ]; do i=$((i+1)); echo \"{tag} $i\"; done")
}

/// Prints `<tag> 1`, `<tag> 2`, … every 50 ms, without end.
fn counting(tag: &str) -> String {
    format!("i=0; while true; do i=$((i+1)); echo \"{tag} $i\"; sleep 0.05; done")
}

/// A run: containers labelled with its id, removed when the test ends (even by a panic).
struct Run {
    engine: Engine,
    run_id: String,
    _scratch: Scratch,
}

impl Run {
    async fn new(host_var: &str) -> Option<Run> {
        let engine = engine(host_var).await?;
        let run_id = unique("skiff-logs");
        let mut scratch = Scratch::new(&engine);
        scratch.label(format!("{RUN_ID_LABEL}={run_id}"));
        Some(Run {
            engine,
            run_id,
            _scratch: scratch,
        })
    }

    /// Creates (not starts) a container of the run deployed for `image`, running `script`.
    async fn create(&self, image: &str, script: &str) -> String {
        let spec = ContainerSpec {
            image: base_image(),
            name: Some(unique(image)),
            cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
            labels: HashMap::from([
                (RUN_ID_LABEL.to_owned(), self.run_id.clone()),
                (IMAGE_LABEL.to_owned(), image.to_owned()),
            ]),
            init: true,
            ..Default::default()
        };
        self.engine.create_container(&spec).await.unwrap()
    }

    /// Creates and starts a container of the run.
    async fn start(&self, image: &str, script: &str) -> String {
        let id = self.create(image, script).await;
        self.engine.start_container(&id).await.unwrap();
        id
    }

    /// Everything the container wrote so far, as the engine has it.
    async fn engine_log(&self, id: &str) -> Vec<String> {
        self.engine
            .log_lines(id, false, None)
            .map_ok(|line| line.text)
            .try_collect()
            .await
            .unwrap()
    }

    fn streamer(&self, settings: LogSettings) -> (LogStreamer, Seen) {
        let seen = Seen::new();
        let streamer = LogStreamer::start(
            self.engine.clone(),
            &self.run_id,
            settings,
            seen.output.clone(),
        );
        (streamer, seen)
    }
}

/// What a streamer produced: the hub's application logs and the terminal text.
struct Seen {
    output: Output,
    printed: Printed,
}

impl Seen {
    fn new() -> Seen {
        let (output, printed) = recorded_output();
        Seen { output, printed }
    }

    fn events(&self) -> Vec<ApplicationLogEvent> {
        recorded_events(self.output.hub(), Stream::ApplicationLogs, |e| match e {
            EventType::ApplicationLogEvent(log) => Some(log.clone()),
            _ => None,
        })
    }

    /// The messages of `image`'s containers, in the order they were emitted.
    fn messages(&self, image: &str) -> Vec<String> {
        self.events()
            .into_iter()
            .filter(|e| e.container_name == image)
            .map(|e| e.message)
            .collect()
    }

    fn terminal(&self) -> String {
        self.printed.text()
    }

    /// Waits until `done` holds for the messages of `image`; panics with them after
    /// [`PATIENCE`].
    async fn wait_for(&self, image: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let messages = self.messages(image);
            if done(&messages) {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{image}: still waiting, got {messages:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

fn lines(tag: &str, numbers: impl IntoIterator<Item = u32>) -> Vec<String> {
    numbers
        .into_iter()
        .map(|i| format!("{tag} {i}\n"))
        .collect()
}

/// Whether `messages` are `<tag> 1`, `<tag> 2`, … without gap or repeat.
fn counted_from_one(tag: &str, messages: &[String]) -> bool {
    messages == lines(tag, 1..=u32::try_from(messages.len()).unwrap())
}

on_both_engines!(
    a_replaced_container_is_picked_up_at_once,
    a_restarted_container_continues_without_repeats,
);

fn plain() -> LogSettings {
    LogSettings {
        prefix: LogPrefix::Container,
        ..Default::default()
    }
}

#[tokio::test]
async fn lines_of_two_containers_arrive_in_order_with_their_prefix() {
    let Some(run) = Run::new("DOCKER_HOST").await else {
        return;
    };
    let (streamer, seen) = run.streamer(plain());
    // Five lines on stdout, the sixth on stderr.
    let script = |tag: &str| {
        format!(
            "{}; sleep 0.2; echo \"{tag} 6\" >&2; sleep 30",
            numbered(tag, 5)
        )
    };
    run.start("app-a", &script("a")).await;
    run.start("app-b", &script("b")).await;
    for (image, tag) in [("app-a", "a"), ("app-b", "b")] {
        let messages = seen.wait_for(image, |m| m.len() >= 6).await;
        assert_eq!(messages, lines(tag, 1..=6), "{image}");
    }
    streamer.stop().await;

    for event in seen.events() {
        let prefix = format!("[{}] ", event.container_name);
        assert_eq!(event.pod_name, "");
        assert_eq!(event.prefix, prefix);
        assert_eq!(
            event.rich_formatted_message,
            format!("{prefix}{}", event.message)
        );
    }
    let terminal = seen.terminal();
    for (image, tag) in [("app-a", "a"), ("app-b", "b")] {
        let prefix = format!("[{image}] ");
        let shown: Vec<String> = terminal
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(shown, lines(tag, 1..=6), "{image} on the terminal");
    }
    assert_eq!(terminal.lines().count(), 12, "{terminal}");
}

async fn a_replaced_container_is_picked_up_at_once(host_var: &str) {
    let Some(run) = Run::new(host_var).await else {
        return;
    };
    let (streamer, seen) = run.streamer(plain());
    let old = run.start("web", &counting("old")).await;
    seen.wait_for("web", |m| !m.is_empty()).await;

    run.engine.remove_container(&old).await.unwrap();
    let new = run
        .create(
            "web",
            &format!("{}; {}", numbered("new", 20), counting("more")),
        )
        .await;
    let started = Instant::now();
    run.engine.start_container(&new).await.unwrap();
    let messages = seen
        .wait_for("web", |m| m.iter().any(|l| l == "new 20\n"))
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the new container's lines came after {:?}",
        started.elapsed()
    );
    streamer.stop().await;

    let old_lines: Vec<String> = messages
        .iter()
        .filter(|l| l.starts_with("old "))
        .cloned()
        .collect();
    assert!(counted_from_one("old", &old_lines), "{old_lines:?}");
    let new_lines: Vec<String> = messages
        .iter()
        .filter(|l| l.starts_with("new "))
        .cloned()
        .collect();
    assert_eq!(
        new_lines,
        lines("new", 1..=20),
        "none of the first lines lost"
    );
}

async fn a_restarted_container_continues_without_repeats(host_var: &str) {
    let Some(run) = Run::new(host_var).await else {
        return;
    };
    // Each run of the container numbers itself, through a file that survives the restart.
    let script = format!(
        "n=$(cat /tmp/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n > /tmp/runs; {}",
        counting("run $n line")
    );
    let (streamer, seen) = run.streamer(plain());
    let id = run.start("api", &script).await;
    seen.wait_for("api", |m| m.len() >= 5).await;

    run.engine
        .client()
        .restart_container(&id, None)
        .await
        .unwrap();
    seen.wait_for("api", |m| m.iter().any(|l| l == "run 2 line 5\n"))
        .await;
    run.engine.client().stop_container(&id, None).await.unwrap();

    // Once the container is stopped, the streamed lines are the engine's log: none lost or
    // repeated. In its order on dockerd; Podman's follow of a restarting container can leave
    // out lines that a later read returns, and those are shown when they come.
    let expected = run.engine_log(&id).await;
    seen.wait_for("api", |m| m.len() >= expected.len()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    streamer.stop().await;
    let messages = seen.messages("api");
    if host_var == "DOCKER_HOST" {
        assert_eq!(messages, expected, "no line lost or repeated, in order");
    }
    let sorted = |lines: &[String]| {
        let mut lines = lines.to_vec();
        lines.sort();
        lines
    };
    assert_eq!(
        sorted(&messages),
        sorted(&expected),
        "no line lost or repeated"
    );
    for n in [1, 2] {
        let tag = format!("run {n} line");
        let run_lines: Vec<String> = expected
            .iter()
            .filter(|l| l.starts_with(&format!("{tag} ")))
            .cloned()
            .collect();
        assert!(counted_from_one(&tag, &run_lines), "{run_lines:?}");
    }
}

#[tokio::test]
async fn the_last_unterminated_line_of_an_exiting_container_is_shown() {
    let Some(run) = Run::new("DOCKER_HOST").await else {
        return;
    };
    let (streamer, seen) = run.streamer(plain());
    // Still running when the stream attaches: dockerd often ends such a stream before it has
    // logged the last, unterminated line.
    for n in 0..3 {
        run.start(
            &format!("brief-{n}"),
            "echo hi; sleep 0.5; printf 'no newline'; exit 3",
        )
        .await;
    }
    for n in 0..3 {
        let messages = seen.wait_for(&format!("brief-{n}"), |m| m.len() >= 2).await;
        assert_eq!(messages, ["hi\n", "no newline"]);
    }
    streamer.stop().await;
}

#[tokio::test]
async fn stop_returns_promptly_and_nothing_follows() {
    let Some(run) = Run::new("DOCKER_HOST").await else {
        return;
    };
    let (streamer, seen) = run.streamer(plain());
    run.start("busy", &counting("busy")).await;
    seen.wait_for("busy", |m| m.len() >= 3).await;

    let stopping = Instant::now();
    streamer.stop().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(1),
        "stop took {:?}",
        stopping.elapsed()
    );
    let events = seen.events().len();
    let terminal = seen.terminal();
    assert_eq!(
        terminal.lines().count(),
        events,
        "every line read was shown"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(seen.events().len(), events);
    assert_eq!(seen.terminal(), terminal);
}

#[tokio::test]
async fn muted_logs_are_events_only_and_none_has_no_prefix() {
    let Some(run) = Run::new("DOCKER_HOST").await else {
        return;
    };
    let (muted, muted_seen) = run.streamer(LogSettings {
        muted: true,
        ..plain()
    });
    let (bare, bare_seen) = run.streamer(LogSettings {
        prefix: LogPrefix::None,
        color: true,
        ..Default::default()
    });
    run.start("quiet", &format!("{}; sleep 30", numbered("q", 3)))
        .await;

    let expected = lines("q", 1..=3);
    assert_eq!(
        muted_seen.wait_for("quiet", |m| m.len() >= 3).await,
        expected
    );
    assert_eq!(
        bare_seen.wait_for("quiet", |m| m.len() >= 3).await,
        expected
    );
    muted.stop().await;
    bare.stop().await;

    assert_eq!(muted_seen.terminal(), "", "muted prints nothing");
    assert!(muted_seen.events().iter().all(|e| e.prefix == "[quiet] "));
    for event in bare_seen.events() {
        assert_eq!(event.prefix, "");
        assert_eq!(event.rich_formatted_message, event.message);
    }
    assert_eq!(bare_seen.terminal(), expected.concat());
}

#[tokio::test]
async fn colours_go_to_images_in_the_order_they_come_up() {
    let Some(run) = Run::new("DOCKER_HOST").await else {
        return;
    };
    let (streamer, seen) = run.streamer(LogSettings {
        color: true,
        ..plain()
    });
    let script = |tag: &str| format!("{}; sleep 30", numbered(tag, 1));
    run.start("first", &script("f")).await;
    seen.wait_for("first", |m| !m.is_empty()).await;
    run.start("second", &script("s")).await;
    seen.wait_for("second", |m| !m.is_empty()).await;
    streamer.stop().await;

    let prefixes: Vec<(String, String)> = seen
        .events()
        .into_iter()
        .map(|e| (e.container_name, e.prefix))
        .collect();
    assert_eq!(
        prefixes,
        [
            ("first".to_owned(), "\x1b[91m[first] \x1b[0m".to_owned()),
            ("second".to_owned(), "\x1b[92m[second] \x1b[0m".to_owned()),
        ]
    );
    assert_eq!(
        seen.terminal(),
        "\x1b[91m[first] \x1b[0mf 1\n\x1b[92m[second] \x1b[0ms 1\n"
    );
}

#[tokio::test]
async fn the_tail_limits_what_was_written_before_streaming_started() {
    let Some(run) = Run::new("DOCKER_HOST").await else {
        return;
    };
    let id = run
        .start(
            "tailed",
            &format!("{}; sleep 1; echo 't 6'; sleep 30", numbered("t", 5)),
        )
        .await;
    let deadline = Instant::now() + PATIENCE;
    while run.engine_log(&id).await.len() < 5 {
        assert!(Instant::now() < deadline, "the container wrote nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (streamer, seen) = run.streamer(LogSettings {
        tail_lines: Some(2),
        ..plain()
    });
    let messages = seen.wait_for("tailed", |m| m.len() >= 3).await;
    streamer.stop().await;
    assert_eq!(messages, lines("t", 4..=6));
}
