//! Property tests of the `Hub`'s delivery guarantees.
//!
//! Every event carries a counter in its text (`task 17`, `log 18 …`, `app 19`), so what a
//! subscriber receives can be checked against what was emitted, for any interleaving of emits,
//! subscribes, partial reads and drops:
//!
//! * while the history cap is never hit, every subscriber receives exactly the full sequence from
//!   the first event, in order, with no duplicate and no gap;
//! * with a small cap (eviction forced), every subscriber receives a strictly increasing
//!   subsequence of what was emitted, every essential (task) event emitted after it subscribed,
//!   and `retained_bytes` never exceeds the cap;
//! * with several producer threads and tokio subscribers, every subscriber sees the one total
//!   order that `history()` reports.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};

use futures_util::FutureExt;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use skiff_events::{Hub, HubLimits, InitialState, Stream, Subscription};
use skiff_proto::v2::{ApplicationLogEvent, Event, SkaffoldLogEvent, TaskEvent, event::EventType};

// ---------------------------------------------------------------------------------------------
// Tagged events
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// A `TaskEvent`: essential, never evicted while a log line is left.
    Task,
    /// A `SkaffoldLogEvent`: droppable.
    Log,
    /// An `ApplicationLogEvent`: goes to the application-log stream only.
    App,
}

/// What identifies an emitted event: its kind and the two numbers in its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Tag {
    kind: Kind,
    /// The producer (0 in single-threaded tests).
    producer: u64,
    /// The counter: global in single-threaded tests, per producer in the concurrent ones.
    n: u64,
}

fn task_event(producer: u64, n: u64) -> EventType {
    EventType::TaskEvent(TaskEvent {
        id: "Build-0".into(),
        task: "Build".into(),
        description: format!("task {producer} {n}"),
        iteration: 0,
        status: "InProgress".into(),
        actionable_err: None,
    })
}

fn log_event(producer: u64, n: u64, padding: usize) -> EventType {
    EventType::SkaffoldLogEvent(SkaffoldLogEvent {
        task_id: "Build-0".into(),
        subtask_id: "-1".into(),
        level: 0,
        message: format!("log {producer} {n} {}\n", "x".repeat(padding)),
    })
}

fn app_event(producer: u64, n: u64) -> EventType {
    EventType::ApplicationLogEvent(ApplicationLogEvent {
        container_name: "c".into(),
        pod_name: "p".into(),
        prefix: String::new(),
        message: format!("app {producer} {n}\n"),
        rich_formatted_message: String::new(),
    })
}

fn tag(event: &Event) -> Tag {
    let (kind, text) = match event.event_type.as_ref().expect("every event has a type") {
        EventType::TaskEvent(e) => (Kind::Task, e.description.as_str()),
        EventType::SkaffoldLogEvent(e) => (Kind::Log, e.message.as_str()),
        EventType::ApplicationLogEvent(e) => (Kind::App, e.message.as_str()),
        other => panic!("unexpected event {other:?}"),
    };
    let mut words = text.split_whitespace().skip(1);
    let mut number = || -> u64 {
        words
            .next()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("untagged event text {text:?}"))
    };
    let producer = number();
    let n = number();
    assert!(
        event.timestamp.is_some(),
        "the hub stamps every event it records"
    );
    Tag { kind, producer, n }
}

fn tags(events: &[Arc<Event>]) -> Vec<Tag> {
    events.iter().map(|e| tag(e)).collect()
}

fn unlimited() -> HubLimits {
    HubLimits {
        history_bytes: usize::MAX,
        app_log_bytes: usize::MAX,
    }
}

/// The accounted size of one event as the hub records it (measured, with a little slack for
/// the varying length of the timestamp it adds).
fn accounted_size(event_type: EventType) -> usize {
    let hub = Hub::new(&InitialState::default(), unlimited());
    let stream = match event_type {
        EventType::ApplicationLogEvent(_) => Stream::ApplicationLogs,
        _ => Stream::Events,
    };
    hub.emit(event_type);
    hub.retained_bytes(stream) + 8
}

// ---------------------------------------------------------------------------------------------
// Single-threaded interleavings
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    /// Emit a `TaskEvent`.
    Task,
    /// Emit a `SkaffoldLogEvent` with this much padding.
    Log(usize),
    /// Emit an `ApplicationLogEvent`.
    App,
    /// Subscribe to a stream.
    Subscribe(Stream),
    /// Read up to `max` events from live subscriber `k % live`, with `try_next` or by polling
    /// `next()` once per event.
    Read { k: usize, max: usize, poll: bool },
    /// Drop live subscriber `k % live`.
    Drop(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Task),
        5 => (0usize..300).prop_map(Op::Log),
        2 => Just(Op::App),
        2 => prop_oneof![Just(Stream::Events), Just(Stream::ApplicationLogs)].prop_map(Op::Subscribe),
        5 => (any::<usize>(), 1usize..20, any::<bool>())
            .prop_map(|(k, max, poll)| Op::Read { k, max, poll }),
        1 => any::<usize>().prop_map(Op::Drop),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), 1..160)
}

struct Subscriber {
    sub: Subscription,
    stream: Stream,
    /// The counter value when it subscribed: events numbered from here on were emitted after.
    subscribed_at: u64,
    got: Vec<Tag>,
}

impl Subscriber {
    /// Reads one event without waiting, with `try_next` or one poll of `next()`.
    fn read_one(&mut self, poll: bool) -> Result<Option<Tag>, TestCaseError> {
        let event = if poll {
            match self.sub.next().now_or_never() {
                None => None,
                Some(Some(event)) => Some(event),
                Some(None) => {
                    return Err(TestCaseError::fail(
                        "next() ended a subscription of an open hub",
                    ));
                }
            }
        } else {
            self.sub.try_next()
        };
        let Some(event) = event else { return Ok(None) };
        let t = tag(&event);
        if let Some(last) = self.got.last() {
            prop_assert!(
                t.n > last.n,
                "{:?} subscriber received {t:?} after {last:?}",
                self.stream
            );
        }
        self.got.push(t);
        Ok(Some(t))
    }
}

/// What a run of `ops` produced: what was emitted on each stream, and what each subscriber that
/// was still alive at the end received (after draining it and closing the hub).
struct Outcome {
    emitted_events: Vec<Tag>,
    emitted_apps: Vec<Tag>,
    subscribers: Vec<Subscriber>,
    history_events: Vec<Tag>,
    history_apps: Vec<Tag>,
}

fn run(ops: &[Op], limits: HubLimits) -> Result<Outcome, TestCaseError> {
    let hub = Hub::new(&InitialState::default(), limits);
    let mut counter = 0u64;
    let mut emitted_events = Vec::new();
    let mut emitted_apps = Vec::new();
    let mut live: Vec<Subscriber> = Vec::new();

    for op in ops {
        match op {
            Op::Task => {
                hub.emit(task_event(0, counter));
                emitted_events.push(Tag {
                    kind: Kind::Task,
                    producer: 0,
                    n: counter,
                });
                counter += 1;
            }
            Op::Log(padding) => {
                hub.emit(log_event(0, counter, *padding));
                emitted_events.push(Tag {
                    kind: Kind::Log,
                    producer: 0,
                    n: counter,
                });
                counter += 1;
            }
            Op::App => {
                hub.emit(app_event(0, counter));
                emitted_apps.push(Tag {
                    kind: Kind::App,
                    producer: 0,
                    n: counter,
                });
                counter += 1;
            }
            Op::Subscribe(stream) => live.push(Subscriber {
                sub: hub.subscribe(*stream),
                stream: *stream,
                subscribed_at: counter,
                got: Vec::new(),
            }),
            Op::Read { k, max, poll } => {
                if !live.is_empty() {
                    let index = k % live.len();
                    let subscriber = &mut live[index];
                    for _ in 0..*max {
                        if subscriber.read_one(*poll)?.is_none() {
                            break;
                        }
                    }
                }
            }
            Op::Drop(k) => {
                if !live.is_empty() {
                    let index = k % live.len();
                    drop(live.swap_remove(index));
                }
            }
        }
        prop_assert!(hub.retained_bytes(Stream::Events) <= limits.history_bytes);
        prop_assert!(hub.retained_bytes(Stream::ApplicationLogs) <= limits.app_log_bytes);
    }

    // Drain half of the subscribers before closing, the other half after: either way each must
    // get everything still retained and then end.
    for (i, subscriber) in live.iter_mut().enumerate() {
        if i % 2 == 0 {
            while subscriber.read_one(i % 4 == 0)?.is_some() {}
        }
    }
    hub.close();
    for subscriber in &mut live {
        loop {
            match subscriber.sub.next().now_or_never() {
                Some(Some(event)) => {
                    let t = tag(&event);
                    if let Some(last) = subscriber.got.last() {
                        prop_assert!(t.n > last.n, "received {t:?} after {last:?}");
                    }
                    subscriber.got.push(t);
                }
                Some(None) => break,
                None => return Err(TestCaseError::fail("next() waits on a closed, drained hub")),
            }
        }
        prop_assert!(
            subscriber.sub.try_next().is_none(),
            "nothing is left after next() ended"
        );
    }

    Ok(Outcome {
        emitted_events,
        emitted_apps,
        subscribers: live,
        history_events: tags(&hub.history(Stream::Events)),
        history_apps: tags(&hub.history(Stream::ApplicationLogs)),
    })
}

impl Outcome {
    fn emitted(&self, stream: Stream) -> &[Tag] {
        match stream {
            Stream::Events => &self.emitted_events,
            Stream::ApplicationLogs => &self.emitted_apps,
        }
    }
}

/// `got` is strictly increasing and every element of it was emitted (so it is a subsequence of
/// `emitted`, which is strictly increasing too).
fn assert_subsequence(got: &[Tag], emitted: &[Tag], what: &str) -> Result<(), TestCaseError> {
    let mut rest = emitted.iter();
    for t in got {
        prop_assert!(
            rest.any(|e| e == t),
            "{what}: {t:?} was not emitted, or came out of order or twice"
        );
    }
    Ok(())
}

fn run_runner(cases: u32, test: impl Fn(Vec<Op>) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(err) = runner.run(&ops(), test) {
        panic!("{err}");
    }
}

#[test]
fn below_the_cap_every_subscriber_gets_everything_in_order() {
    run_runner(256, |ops| {
        let out = run(&ops, unlimited())?;
        prop_assert_eq!(&out.history_events, &out.emitted_events);
        prop_assert_eq!(&out.history_apps, &out.emitted_apps);
        for s in &out.subscribers {
            // Replay of the history, then live events: the full sequence from the first event.
            prop_assert_eq!(&s.got, out.emitted(s.stream), "{:?} subscriber", s.stream);
        }
        Ok(())
    });
}

#[test]
fn under_eviction_subscribers_get_ordered_subsequences_with_every_task() {
    let task_size = accounted_size(task_event(0, 1_000_000));
    let log_size = accounted_size(log_event(0, 1_000_000, 150));
    let app_size = accounted_size(app_event(0, 1_000_000));
    let evicted_cases = std::cell::Cell::new(0u32);
    run_runner(256, |ops| {
        let tasks = ops.iter().filter(|op| matches!(op, Op::Task)).count();
        // Room for every task event and about three log lines: the log lines are evicted, the
        // task events never need to be.
        let limits = HubLimits {
            history_bytes: tasks * task_size + 3 * log_size,
            app_log_bytes: 3 * app_size,
        };
        let out = run(&ops, limits)?;
        if out.history_events.len() < out.emitted_events.len() {
            evicted_cases.set(evicted_cases.get() + 1);
        }
        assert_subsequence(&out.history_events, &out.emitted_events, "history")?;
        assert_subsequence(&out.history_apps, &out.emitted_apps, "app-log history")?;
        for t in out.emitted_events.iter().filter(|t| t.kind == Kind::Task) {
            prop_assert!(out.history_events.contains(t), "task {t:?} was evicted");
        }
        for s in &out.subscribers {
            assert_subsequence(&s.got, out.emitted(s.stream), "subscriber")?;
            // Every task emitted after it subscribed is received; as no task is ever evicted
            // here, so is every task emitted before (the replay holds them all).
            for t in out.emitted(s.stream) {
                if t.kind == Kind::Task {
                    prop_assert!(
                        s.got.contains(t),
                        "task {t:?} was never received (subscribed at {}, after emitted: {})",
                        s.subscribed_at,
                        t.n >= s.subscribed_at
                    );
                }
            }
        }
        Ok(())
    });
    assert!(
        evicted_cases.get() > 64,
        "only {} of 256 cases evicted anything: the cap is not small enough",
        evicted_cases.get()
    );
}

#[test]
fn with_a_tiny_cap_subscribers_still_get_ordered_subsequences() {
    // Caps from "nothing fits" to a few events: task events get evicted too.
    let mut runner = TestRunner::new(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(
        &(ops(), 0usize..2_000, 0usize..1_000),
        |(ops, events, apps)| {
            let limits = HubLimits {
                history_bytes: events,
                app_log_bytes: apps,
            };
            let out = run(&ops, limits)?;
            assert_subsequence(&out.history_events, &out.emitted_events, "history")?;
            assert_subsequence(&out.history_apps, &out.emitted_apps, "app-log history")?;
            for s in &out.subscribers {
                assert_subsequence(&s.got, out.emitted(s.stream), "subscriber")?;
            }
            Ok(())
        },
    );
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[test]
fn a_subscriber_that_never_reads_does_not_hold_memory() {
    let limits = HubLimits {
        history_bytes: 64 * 1024,
        app_log_bytes: 16 * 1024,
    };
    let hub = Hub::new(&InitialState::default(), limits);
    let mut idle = hub.subscribe(Stream::Events);
    for n in 0..10_000 {
        hub.emit(log_event(0, n, 100));
        assert!(hub.retained_bytes(Stream::Events) <= limits.history_bytes);
    }
    hub.emit(task_event(0, 10_000));
    // The idle subscriber resumes at the oldest retained event and ends with the newest.
    let mut got = Vec::new();
    while let Some(event) = idle.try_next() {
        let t = tag(&event);
        assert!(
            got.last().is_none_or(|last: &Tag| last.n < t.n),
            "{t:?} out of order"
        );
        got.push(t);
    }
    assert!(got.len() < 10_000, "{} events retained", got.len());
    assert_eq!(
        got.last().map(|t| (t.kind, t.n)),
        Some((Kind::Task, 10_000))
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrent producers
// ---------------------------------------------------------------------------------------------

const PRODUCERS: u64 = 4;
const PER_PRODUCER: u64 = 2_000;

/// Producer `p` emits `PER_PRODUCER` events numbered 0.., every third one a task event.
fn produce(hub: &Hub, p: u64) {
    for n in 0..PER_PRODUCER {
        if n % 3 == 0 {
            hub.emit(task_event(p, n));
        } else {
            hub.emit(log_event(p, n, (n % 64) as usize));
        }
        if n % 128 == 0 {
            std::thread::yield_now();
        }
    }
}

/// Reads a subscription until the hub is closed, with the async `next()`.
async fn collect(mut sub: Subscription) -> Vec<Tag> {
    let mut got = Vec::new();
    while let Some(event) = sub.next().await {
        got.push(tag(&event));
        assert!(
            got.len() as u64 <= PRODUCERS * PER_PRODUCER,
            "more events received than emitted"
        );
        if got.len() % 97 == 0 {
            tokio::task::yield_now().await;
        }
    }
    got
}

struct ConcurrentRun {
    /// Subscribers that subscribed before any producer started.
    early: Vec<Vec<Tag>>,
    /// Subscribers that subscribed while the producers were running.
    late: Vec<Vec<Tag>>,
    history: Vec<Tag>,
}

fn run_concurrently(limits: HubLimits) -> ConcurrentRun {
    let hub = Hub::new(&InitialState::default(), limits);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();

    let early: Vec<_> = (0..3)
        .map(|_| rt.spawn(collect(hub.subscribe(Stream::Events))))
        .collect();

    let start = Arc::new(Barrier::new(PRODUCERS as usize + 1));
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let hub = hub.clone();
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                produce(&hub, p);
            })
        })
        .collect();
    start.wait();

    // Subscribers that arrive mid-stream, from tokio tasks, at different points.
    let late: Vec<_> = (0..3u64)
        .map(|i| {
            let hub = hub.clone();
            rt.spawn(async move {
                for _ in 0..(i * 50) {
                    tokio::task::yield_now().await;
                }
                collect(hub.subscribe(Stream::Events)).await
            })
        })
        .collect();

    for producer in producers {
        producer.join().unwrap();
    }
    hub.close();
    let early = early.into_iter().map(|h| rt.block_on(h).unwrap()).collect();
    let late = late.into_iter().map(|h| rt.block_on(h).unwrap()).collect();
    ConcurrentRun {
        early,
        late,
        history: tags(&hub.history(Stream::Events)),
    }
}

/// Each producer's events appear in the order it emitted them, at most once.
fn assert_per_producer_order(got: &[Tag]) {
    let mut last: HashMap<u64, u64> = HashMap::new();
    for t in got {
        if let Some(prev) = last.insert(t.producer, t.n) {
            assert!(t.n > prev, "producer {}: {} after {prev}", t.producer, t.n);
        }
    }
}

/// The events `a` and `b` both hold come in the same relative order in both.
fn assert_same_relative_order(a: &[Tag], b: &[Tag]) {
    let position: HashMap<Tag, usize> = a.iter().enumerate().map(|(i, t)| (*t, i)).collect();
    assert_eq!(position.len(), a.len(), "duplicates in {a:?}");
    let mut last = None;
    for t in b {
        if let Some(&i) = position.get(t) {
            if let Some(prev) = last {
                assert!(i > prev, "{t:?} is ordered differently by two subscribers");
            }
            last = Some(i);
        }
    }
}

#[test]
fn concurrent_producers_every_subscriber_sees_the_history_order() {
    let run = run_concurrently(unlimited());
    assert_eq!(run.history.len(), (PRODUCERS * PER_PRODUCER) as usize);
    assert_per_producer_order(&run.history);
    for got in run.early.iter().chain(&run.late) {
        assert_eq!(got, &run.history, "a subscriber saw another order");
    }
}

#[test]
fn concurrent_producers_under_eviction_keep_one_order_and_every_task() {
    let tasks = PRODUCERS * PER_PRODUCER.div_ceil(3);
    let task_size = accounted_size(task_event(PRODUCERS, PER_PRODUCER));
    let log_size = accounted_size(log_event(PRODUCERS, PER_PRODUCER, 64));
    let limits = HubLimits {
        history_bytes: tasks as usize * task_size + 20 * log_size,
        app_log_bytes: 1024,
    };
    let run = run_concurrently(limits);
    assert!(
        run.history.len() < (PRODUCERS * PER_PRODUCER) as usize,
        "nothing was evicted"
    );
    let all_tasks: Vec<Tag> = (0..PRODUCERS)
        .flat_map(|p| {
            (0..PER_PRODUCER).step_by(3).map(move |n| Tag {
                kind: Kind::Task,
                producer: p,
                n,
            })
        })
        .collect();
    let everyone: Vec<&Vec<Tag>> = run
        .early
        .iter()
        .chain(&run.late)
        .chain(std::iter::once(&run.history))
        .collect();
    for got in &everyone {
        assert_per_producer_order(got);
    }
    for t in &all_tasks {
        assert!(run.history.contains(t), "task {t:?} was evicted");
        for got in run.early.iter().chain(&run.late) {
            assert!(got.contains(t), "a subscriber missed task {t:?}");
        }
    }
    for a in &everyone {
        for b in &everyone {
            assert_same_relative_order(a, b);
        }
    }
}
