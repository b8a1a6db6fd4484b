//! Measures the watcher (run by `bench/watcher`):
//!
//! - `latency [WRITES]`: write → first modify event for raw notify, and write → batch for skiff-watch with no
//!   quiet period and with [`DEFAULT_QUIET`]; median, p90 and max.
//! - `generate DIR FILES PER_DIR`: writes FILES small files into DIR, PER_DIR per directory.
//! - `watch DIR IDLE_SECS notify|polling`: the time to start watching DIR, the CPU used while
//!   idle for IDLE_SECS, the RSS, and write → batch latencies in that tree.

use std::path::Path;
use std::time::{Duration, Instant};

use notify::Watcher as _;
use skiff_watch::{DEFAULT_QUIET, FALLBACK_POLL_INTERVAL, PathFilter, Trigger, WatchRoot, Watcher};

const USAGE: &str = "usage: watch_bench latency [WRITES] | generate DIR FILES PER_DIR | watch DIR IDLE_SECS notify|polling";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |index: usize| -> Option<u64> { Some(args.get(index)?.parse().expect(USAGE)) };
    match (args.first().map(String::as_str), args.get(1)) {
        (Some("latency"), _) => latency(number(1).unwrap_or(200) as usize),
        (Some("generate"), Some(dir)) => generate(
            Path::new(dir),
            number(2).expect(USAGE) as usize,
            number(3).expect(USAGE) as usize,
        ),
        (Some("watch"), Some(dir)) => watch(
            Path::new(dir),
            Duration::from_secs(number(2).expect(USAGE)),
            match args.get(3).map(String::as_str) {
                Some("polling") => Trigger::Polling(FALLBACK_POLL_INTERVAL),
                _ => Trigger::Notify,
            },
        ),
        _ => eprintln!("{USAGE}"),
    }
}

fn latency(writes: usize) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "0").unwrap();

    let (events, received) = std::sync::mpsc::channel();
    let mut raw = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        // The open comes first, before the content changes: wait for the change itself.
        if event.is_ok_and(|event| event.kind.is_modify()) {
            let _ = events.send(Instant::now());
        }
    })
    .unwrap();
    raw.watch(dir.path(), notify::RecursiveMode::NonRecursive)
        .unwrap();
    let mut samples = Vec::with_capacity(writes);
    for i in 0..writes {
        while received.try_recv().is_ok() {}
        let start = Instant::now();
        std::fs::write(&file, i.to_string()).unwrap();
        samples.push(received.recv().unwrap() - start);
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(raw);
    report("raw notify: write -> first modify event", &mut samples);

    for quiet in [Duration::ZERO, DEFAULT_QUIET] {
        let mut samples = write_to_batch(dir.path(), &file, quiet, writes);
        report(
            &format!(
                "skiff-watch, quiet {} ms: write -> batch",
                quiet.as_millis()
            ),
            &mut samples,
        );
    }
}

/// Write → batch latencies for `writes` writes of `file`, each after the previous batch.
fn write_to_batch(dir: &Path, file: &Path, quiet: Duration, writes: usize) -> Vec<Duration> {
    let root = WatchRoot {
        owner: "bench".into(),
        dir: dir.to_path_buf(),
        filter: PathFilter::Everything,
    };
    let (_watcher, mut batches) = Watcher::start(vec![root], Trigger::Notify, quiet).unwrap();
    let mut samples = Vec::with_capacity(writes);
    for i in 0..writes {
        settle(&mut batches, quiet);
        let start = Instant::now();
        std::fs::write(file, format!("{i}-{quiet:?}")).unwrap();
        batches.blocking_recv().unwrap();
        samples.push(start.elapsed());
    }
    samples
}

/// Lets the events of the previous write pass and drops their batches, so the next sample
/// starts from an idle watcher.
fn settle(
    batches: &mut tokio::sync::mpsc::Receiver<Vec<skiff_watch::FileChange>>,
    quiet: Duration,
) {
    std::thread::sleep(quiet + Duration::from_millis(20));
    while batches.try_recv().is_ok() {}
}

fn watch(dir: &Path, idle: Duration, trigger: Trigger) {
    let rss_before = rss_kib("VmRSS");
    let root = WatchRoot {
        owner: "bench".into(),
        dir: dir.to_path_buf(),
        filter: PathFilter::Everything,
    };
    let started = Instant::now();
    let (watcher, mut batches) = Watcher::start(vec![root], trigger, DEFAULT_QUIET).unwrap();
    println!(
        "{:?}: start watching: {:.0} ms",
        watcher.mode(),
        started.elapsed().as_secs_f64() * 1000.0
    );

    let cpu_start = cpu_time();
    let wall_start = Instant::now();
    std::thread::sleep(idle);
    let cpu = cpu_time() - cpu_start;
    let wall = wall_start.elapsed();
    println!(
        "{:?}: idle {} s: CPU {:.2} s = {:.2} %",
        watcher.mode(),
        wall.as_secs(),
        cpu.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    );
    println!(
        "{:?}: RSS {} MiB (before starting {} MiB, peak {} MiB)",
        watcher.mode(),
        rss_kib("VmRSS") / 1024,
        rss_before / 1024,
        rss_kib("VmHWM") / 1024
    );

    let file = dir.join("bench-probe.txt");
    let mut samples = Vec::new();
    for i in 0..20 {
        settle(&mut batches, DEFAULT_QUIET);
        let start = Instant::now();
        std::fs::write(&file, format!("changed {i}")).unwrap();
        batches.blocking_recv().unwrap();
        samples.push(start.elapsed());
    }
    std::fs::remove_file(&file).unwrap();
    report(
        &format!("{:?}: write -> batch in the tree", watcher.mode()),
        &mut samples,
    );
}

/// Writes `files` small files, `per_dir` per directory, the directories grouped by hundreds.
fn generate(root: &Path, files: usize, per_dir: usize) {
    let started = Instant::now();
    let leaves = files.div_ceil(per_dir);
    for leaf in 0..leaves {
        let dir = root.join(format!("g{:03}/d{leaf:06}", leaf / 100));
        std::fs::create_dir_all(&dir).unwrap();
        for f in 0..per_dir.min(files - leaf * per_dir) {
            std::fs::write(dir.join(format!("f{f}.txt")), "content\n").unwrap();
        }
    }
    println!(
        "tree: {files} files in {} directories ({:.1} s to write)",
        leaves + leaves.div_ceil(100) + 1,
        started.elapsed().as_secs_f64()
    );
}

/// User plus system CPU time of this process, all threads.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name (which may hold spaces, inside parentheses).
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |fraction: f64| samples[((samples.len() - 1) as f64 * fraction).round() as usize];
    println!(
        "{what}: median {} us, p90 {} us, max {} us ({} samples)",
        at(0.5).as_micros(),
        at(0.9).as_micros(),
        samples[samples.len() - 1].as_micros(),
        samples.len()
    );
}
