//! Arbitrary bytes as protobuf `Event`s posted to `Handle`: the whole input as one event, then
//! as a sequence of length-delimited events, each fed to a hub; then the state is rendered as
//! the gateway's `GetState` JSON and every recorded event as a stream line and an event-log line.

#![no_main]

use libfuzzer_sys::fuzz_target;
use prost::Message;
use skiff_events::{Hub, HubLimits, InitialState, Stream};
use skiff_proto::json::{self, Dialect};
use skiff_proto::v2::Event;

fn hub() -> Hub {
    Hub::new(
        &InitialState {
            artifacts: vec!["app".into(), "web".into()],
            auto_build: true,
            ..Default::default()
        },
        HubLimits {
            history_bytes: 256 * 1024,
            app_log_bytes: 64 * 1024,
        },
    )
}

fn render(hub: &Hub) {
    let state = hub.state();
    let _ = json::to_string(&state, Dialect::Gateway);
    let _ = json::to_string(&state, Dialect::EventLog);
    for stream in [Stream::Events, Stream::ApplicationLogs] {
        let mut sub = hub.subscribe(stream);
        while let Some(event) = sub.try_next() {
            let _ = json::stream_result_line(event.as_ref());
            let _ = json::event_log_line(event.as_ref());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = Event::decode(data) {
        let hub = hub();
        hub.handle(event.clone());
        hub.handle(event);
        render(&hub);
    }

    let hub = hub();
    let mut buf = data;
    while !buf.is_empty() {
        match Event::decode_length_delimited(&mut buf) {
            Ok(event) => hub.handle(event),
            Err(_) => break,
        }
    }
    render(&hub);
});
