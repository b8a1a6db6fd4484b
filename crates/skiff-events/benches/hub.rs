//! Hub throughput: fan-out of live events to 10 subscribers, and replay of a large history to
//! a new subscriber, each next to a baseline measured in the same run.
//!
//! * `fanout/hub`: a producer emits `FANOUT_EVENTS` log lines while 10 subscribers, each on its
//!   own tokio task, drain `next()`; the time ends when every subscriber has seen every event.
//!   Throughput is events/s delivered to all 10. Baseline `fanout/tokio_broadcast`: the same
//!   events as `Arc<Event>` through a `tokio::sync::broadcast` channel of capacity
//!   `FANOUT_EVENTS` (so nothing lags) to 10 receiver tasks.
//! * `replay/hub_*`: a new subscriber reads 100,000 retained events. Baseline `replay/vec_clone`:
//!   cloning a `Vec` of the same 100,000 `Arc<Event>`s.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use skiff_events::{Hub, HubLimits, InitialState, Stream};
use skiff_proto::v2::{Event, SkaffoldLogEvent, event::EventType};
use tokio::runtime::Runtime;

const SUBSCRIBERS: usize = 10;
const FANOUT_EVENTS: u64 = 50_000;
const REPLAY_EVENTS: u64 = 100_000;

/// A log line of about 100 bytes of message, as a build step writes.
fn log_line(n: u64) -> EventType {
    EventType::SkaffoldLogEvent(SkaffoldLogEvent {
        task_id: "Build-1".into(),
        subtask_id: "app".into(),
        level: 3,
        message: format!(
            "#{n:08} [builder 3/7] RUN go build -o /out/app ./cmd/app && strip /out/app  # ok\n"
        ),
    })
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One fan-out round through the hub; returns the elapsed time.
fn hub_fanout(rt: &Runtime, events: u64) -> Duration {
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    let drains: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| {
            let mut sub = hub.subscribe(Stream::Events);
            rt.spawn(async move {
                let mut n = 0u64;
                while let Some(event) = sub.next().await {
                    black_box(&event);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let start = Instant::now();
    for n in 0..events {
        hub.emit(log_line(n));
    }
    hub.close();
    for drain in drains {
        assert_eq!(rt.block_on(drain).unwrap(), events);
    }
    start.elapsed()
}

/// The same round through a plain tokio broadcast channel.
fn broadcast_fanout(rt: &Runtime, events: u64) -> Duration {
    let (tx, _) = tokio::sync::broadcast::channel::<Arc<Event>>(events as usize);
    let drains: Vec<_> = (0..SUBSCRIBERS)
        .map(|_| {
            let mut rx = tx.subscribe();
            rt.spawn(async move {
                let mut n = 0u64;
                while let Ok(event) = rx.recv().await {
                    black_box(&event);
                    n += 1;
                }
                n
            })
        })
        .collect();
    let start = Instant::now();
    for n in 0..events {
        let event = Event {
            timestamp: Some(prost_types::Timestamp::from(std::time::SystemTime::now())),
            event_type: Some(log_line(n)),
        };
        tx.send(Arc::new(event)).unwrap();
    }
    drop(tx);
    for drain in drains {
        assert_eq!(rt.block_on(drain).unwrap(), events);
    }
    start.elapsed()
}

/// Emitting with no subscriber at all: the producer's own cost.
fn emit_only(events: u64) -> Duration {
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    let start = Instant::now();
    for n in 0..events {
        hub.emit(log_line(n));
    }
    start.elapsed()
}

fn fanout(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("fanout");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(FANOUT_EVENTS));
    group.bench_function("hub", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| hub_fanout(&rt, FANOUT_EVENTS)).sum())
    });
    group.bench_function("tokio_broadcast", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| broadcast_fanout(&rt, FANOUT_EVENTS))
                .sum()
        })
    });
    group.bench_function("hub_emit_only", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| emit_only(FANOUT_EVENTS)).sum())
    });
    group.finish();
}

fn replay(c: &mut Criterion) {
    let rt = runtime();
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    for n in 0..REPLAY_EVENTS {
        hub.emit(log_line(n));
    }
    let retained = hub.history(Stream::Events);
    assert_eq!(
        retained.len() as u64,
        REPLAY_EVENTS,
        "the default cap retains all of them"
    );
    println!(
        "replay: {} events retained in {} accounted bytes",
        retained.len(),
        hub.retained_bytes(Stream::Events)
    );

    let mut group = c.benchmark_group("replay");
    group.sample_size(20);
    group.throughput(Throughput::Elements(REPLAY_EVENTS));
    group.bench_function("hub_try_next", |b| {
        b.iter(|| {
            let mut sub = hub.subscribe(Stream::Events);
            let mut n = 0u64;
            while let Some(event) = sub.try_next() {
                black_box(&event);
                n += 1;
            }
            assert_eq!(n, REPLAY_EVENTS);
        })
    });
    group.bench_function("hub_next_async", |b| {
        b.iter(|| {
            let mut sub = hub.subscribe(Stream::Events);
            let n = rt.block_on(async {
                let mut n = 0u64;
                while n < REPLAY_EVENTS {
                    let event = sub.next().await.unwrap();
                    black_box(&event);
                    n += 1;
                }
                n
            });
            assert_eq!(n, REPLAY_EVENTS);
        })
    });
    group.bench_function("vec_clone", |b| {
        b.iter(|| {
            let copy: Vec<Arc<Event>> = retained.clone();
            for event in &copy {
                black_box(event);
            }
            black_box(copy)
        })
    });
    group.finish();
}

criterion_group!(benches, fanout, replay);
criterion_main!(benches);
