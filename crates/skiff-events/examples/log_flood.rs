//! Memory check: 1,000,000 `SkaffoldLogEvent` lines of about 100 bytes into a hub with the
//! default 64 MiB history cap while one subscriber drains on a tokio task. Prints the retained
//! bytes and the process's resident set size (VmRSS) and peak (VmHWM) at 0, 250k, 500k, 750k
//! and 1M lines.
//!
//! `cargo run --release -p skiff-events --example log_flood`
//!
//! With `-- --stalled` the subscriber reads nothing until all lines are emitted (a client that
//! stopped reading): memory stays bounded all the same, and it then gets the retained tail.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use skiff_events::{DEFAULT_HISTORY_CAP, Hub, HubLimits, InitialState, Stream};
use skiff_proto::v2::{SkaffoldLogEvent, event::EventType};

const LINES: u64 = 1_000_000;
const REPORT_EVERY: u64 = 250_000;

/// `VmRSS` and `VmHWM` from `/proc/self/status`, in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn report(hub: &Hub, lines: u64, received: u64, started: Instant) {
    let (rss, hwm) = memory_kib();
    println!(
        "{lines:>9} lines | retained {:>10} bytes ({:>6.2} MiB, {:>6} events) | subscriber got {received:>9} | VmRSS {:>7.1} MiB | VmHWM {:>7.1} MiB | {:>6.2} s",
        hub.retained_bytes(Stream::Events),
        hub.retained_bytes(Stream::Events) as f64 / (1024.0 * 1024.0),
        hub.history(Stream::Events).len(),
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        started.elapsed().as_secs_f64(),
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    println!(
        "history cap {DEFAULT_HISTORY_CAP} bytes ({} MiB); {LINES} lines of ~100 bytes",
        DEFAULT_HISTORY_CAP / (1024 * 1024)
    );
    if std::env::args().any(|a| a == "--stalled") {
        println!("the subscriber reads nothing until every line is emitted");
    }

    let stalled = std::env::args().any(|a| a == "--stalled");
    let (start_reading, may_read) = tokio::sync::oneshot::channel::<()>();
    let received = Arc::new(AtomicU64::new(0));
    let mut sub = hub.subscribe(Stream::Events);
    let counter = Arc::clone(&received);
    let drain = rt.spawn(async move {
        if stalled {
            let _ = may_read.await;
        }
        let mut last_seen = String::new();
        while let Some(event) = sub.next().await {
            if let Some(EventType::SkaffoldLogEvent(e)) = &event.event_type {
                last_seen.clone_from(&e.message);
            }
            counter.fetch_add(1, Ordering::Relaxed);
        }
        last_seen
    });

    let started = Instant::now();
    report(&hub, 0, 0, started);
    for n in 1..=LINES {
        hub.emit(EventType::SkaffoldLogEvent(SkaffoldLogEvent {
            task_id: "Build-1".into(),
            subtask_id: "app".into(),
            level: 3,
            // 100 bytes of message.
            message: format!("{n:010} step 3/7 : RUN go build -o /out/app ./cmd/app && strip /out/app && ls -l /out/app.bin\n"),
        }));
        if n % REPORT_EVERY == 0 {
            report(&hub, n, received.load(Ordering::Relaxed), started);
        }
    }
    hub.close();
    let _ = start_reading.send(());
    let last = rt.block_on(drain).unwrap();
    let got = received.load(Ordering::Relaxed);
    println!(
        "done: the subscriber received {got} of {LINES} lines ({} evicted before it read them); last: {:?}",
        LINES - got,
        last.trim_end()
    );
    report(&hub, LINES, received.load(Ordering::Relaxed), started);
}
