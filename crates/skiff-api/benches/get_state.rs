//! `GetState` latency on loopback: over gRPC (the generated tonic client on one connection) and
//! over the HTTP gateway (one keep-alive HTTP/1.1 connection, requests written by hand), with
//! the in-process cost (snapshot + encode) as the baseline. Besides criterion's estimates, each
//! transport is timed over `SAMPLE_CALLS` single calls and its p50/p99 printed.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use prost::Message;
use skiff_api::{ApiConfig, ApiServer};
use skiff_events::{BuildPlatforms, BuildStep, Hub, HubLimits, InitialState, Phase, Status};
use skiff_proto::json::{self, Dialect};
use skiff_proto::v2::skaffold_v2_service_client::SkaffoldV2ServiceClient;
use skiff_proto::v2::{IntOrString, Metadata, PortForwardEvent};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tonic::transport::Channel;

const SAMPLE_CALLS: usize = 2_000;
const ARTIFACTS: [&str; 4] = ["frontend", "backend", "worker", "migrations"];

/// A hub whose state holds a few artifacts, forwarded ports and status-check resources.
fn populated_hub() -> Hub {
    let hub = Hub::new(
        &InitialState {
            artifacts: ARTIFACTS
                .iter()
                .map(|a| format!("registry.local/{a}"))
                .collect(),
            auto_build: true,
            auto_sync: true,
            auto_deploy: true,
            metadata: Metadata::default(),
        },
        HubLimits::default(),
    );
    hub.task_in_progress(Phase::DevLoop, "Update and redeploy");
    let platforms = BuildPlatforms {
        host: "linux/amd64".into(),
        targets: "linux/amd64".into(),
    };
    for a in ARTIFACTS {
        let image = format!("registry.local/{a}");
        hub.build_subtask(
            &image,
            BuildStep::Build,
            Status::Succeeded,
            &platforms,
            None,
        );
    }
    for (i, a) in ARTIFACTS.iter().take(3).enumerate() {
        hub.port_forwarded(PortForwardEvent {
            id: format!("{a}-svc"),
            local_port: 9000 + i as i32,
            pod_name: String::new(),
            container_name: String::new(),
            namespace: "default".into(),
            port_name: "http".into(),
            resource_type: "service".into(),
            resource_name: (*a).into(),
            address: "127.0.0.1".into(),
            target_port: Some(IntOrString {
                r#type: 0,
                int_val: 8080,
                str_val: String::new(),
            }),
            ..Default::default()
        });
        hub.status_check_subtask(
            &format!("deployment/{a}"),
            Status::Succeeded,
            Default::default(),
        );
    }
    hub
}

/// One keep-alive HTTP/1.1 connection that sends `GET /v2/state` and reads the response.
struct HttpClient {
    stream: TcpStream,
    buf: Vec<u8>,
}

const REQUEST: &[u8] = b"GET /v2/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n";

impl HttpClient {
    async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        }
    }

    /// Sends one request and returns the body length.
    async fn get_state(&mut self) -> usize {
        self.stream.write_all(REQUEST).await.unwrap();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if let Some(head_end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buf[..head_end]).unwrap();
                assert!(head.starts_with("HTTP/1.1 200 "), "{head}");
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().unwrap())
                    })
                    .expect("a content-length");
                let total = head_end + 4 + len;
                while self.buf.len() < total {
                    let n = self.stream.read(&mut chunk).await.unwrap();
                    assert!(n > 0, "connection closed");
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                self.buf.drain(..total);
                return len;
            }
            let n = self.stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

struct Setup {
    rt: Runtime,
    hub: Hub,
    server: Option<ApiServer>,
    grpc: SkaffoldV2ServiceClient<Channel>,
    http: HttpClient,
    _control: skiff_api::ControlReceiver,
}

fn setup() -> Setup {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let hub = populated_hub();
    let (tx, control) = skiff_api::control_channel();
    let (server, grpc, http) = rt.block_on(async {
        let server = ApiServer::start(
            ApiConfig {
                grpc_port: None,
                http_port: Some(0),
            },
            hub.clone(),
            tx,
        )
        .await
        .unwrap();
        let grpc = SkaffoldV2ServiceClient::connect(format!("http://{}", server.grpc_addr()))
            .await
            .unwrap();
        let http = HttpClient::connect(server.http_addr().unwrap()).await;
        (server, grpc, http)
    });
    Setup {
        rt,
        hub,
        server: Some(server),
        grpc,
        http,
        _control: control,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// Prints p50/p99/mean/max of `samples` (single calls, each timed on its own).
fn print_percentiles(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "percentiles {name}: n={} p50={:.1}µs p99={:.1}µs mean={:.1}µs max={:.1}µs",
        samples.len(),
        us(percentile(&samples, 0.50)),
        us(percentile(&samples, 0.99)),
        us(mean),
        us(*samples.last().unwrap()),
    );
}

/// Times `SAMPLE_CALLS` calls one by one (after 200 warm-up calls), all in one `block_on`, so
/// each sample is one request/response and nothing else.
macro_rules! sample_async {
    ($rt:expr, $call:expr) => {
        $rt.block_on(async {
            for _ in 0..200 {
                black_box($call);
            }
            let mut samples = Vec::with_capacity(SAMPLE_CALLS);
            for _ in 0..SAMPLE_CALLS {
                let start = Instant::now();
                black_box($call);
                samples.push(start.elapsed());
            }
            samples
        })
    };
}

fn sample_sync<T>(mut call: impl FnMut() -> T) -> Vec<Duration> {
    for _ in 0..200 {
        black_box(call());
    }
    (0..SAMPLE_CALLS)
        .map(|_| {
            let start = Instant::now();
            black_box(call());
            start.elapsed()
        })
        .collect()
}

fn get_state(c: &mut Criterion) {
    let mut s = setup();
    let state = s.hub.state();
    println!(
        "state: {} artifacts, {} forwarded ports, {} bytes protobuf, {} bytes gateway JSON",
        state.build_state.as_ref().unwrap().artifacts.len(),
        state.forwarded_ports.len(),
        state.encoded_len(),
        json::to_string(&state, Dialect::Gateway).len()
    );

    // Percentiles of single calls, each timed on its own.
    {
        let Setup {
            rt,
            grpc,
            http,
            hub,
            ..
        } = &mut s;
        let grpc_samples = sample_async!(rt, grpc.get_state(()).await.unwrap());
        print_percentiles("grpc", grpc_samples);
        let http_samples = sample_async!(rt, http.get_state().await);
        print_percentiles("http", http_samples);
        print_percentiles(
            "in_process_json",
            sample_sync(|| json::to_string(&hub.state(), Dialect::Gateway)),
        );
        print_percentiles(
            "in_process_protobuf",
            sample_sync(|| hub.state().encode_to_vec()),
        );
    }

    let mut group = c.benchmark_group("get_state");
    group.sample_size(50);
    let Setup {
        rt,
        grpc,
        http,
        hub,
        ..
    } = &mut s;
    group.bench_function("grpc", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(grpc.get_state(()).await.unwrap());
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("http", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(http.get_state().await);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("in_process_json", |b| {
        b.iter(|| json::to_string(&hub.state(), Dialect::Gateway))
    });
    group.bench_function("in_process_protobuf", |b| {
        b.iter(|| hub.state().encode_to_vec())
    });
    group.finish();

    let server = s.server.take().unwrap();
    s.rt.block_on(server.shutdown());
}

criterion_group!(benches, get_state);
criterion_main!(benches);
