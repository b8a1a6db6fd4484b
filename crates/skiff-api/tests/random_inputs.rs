//! Property tests over random and mutated inputs: the same checks as the `fuzz/` targets
//! (`http_bodies`, `handle_events`), run by `cargo test` so they need neither nightly nor
//! cargo-fuzz.
//!
//! * Request bodies: bytes decoded as `Intent`, `TriggerState` and `Event`; whatever decodes
//!   renders in both JSON dialects and each rendering decodes back to the same message.
//! * Posted events: bytes decoded as protobuf `Event`s are handled by a hub, whose state then
//!   renders as `GetState` JSON and whose events render as stream and event-log lines.

use proptest::prelude::*;
use prost::Message;
use skiff_events::{Hub, HubLimits, InitialState, Stream};
use skiff_proto::json::{self, Dialect};
use skiff_proto::v2::{Event, Intent, TriggerState};

/// Well-formed bodies the mutations start from.
const JSON_SEEDS: &[&str] = &[
    r#"{"build":true,"sync":false,"deploy":true,"devloop":false}"#,
    r#"{"enabled":true}"#,
    r#"{}"#,
    r#"{"timestamp":"2026-08-21T10:15:30.123456789Z","taskEvent":{"id":"Build-1","task":"Build","description":"Build containers","iteration":1,"status":"InProgress","actionableErr":{"errCode":"BUILD_USER_ERROR","message":"boom","suggestions":[{"suggestionCode":"FIX_USER_BUILD_ERR","action":"fix it"}]}}}"#,
    r#"{"portEvent":{"task_id":"PortForward-1","localPort":9000,"targetPort":{"type":0,"intVal":8080,"strVal":""}}}"#,
    r#"{"debuggingContainerEvent":{"status":"Started","podName":"p","debugPorts":{"dlv":56268}}}"#,
    r#"{"skaffoldLogEvent":{"task_id":"Build-1","subtask_id":"-1","level":"WARN","message":"a \u0026 \u003cb\u003e\n"}}"#,
    r#"{"metaEvent":{"entry":"Starting Skaffold","metadata":{"build":{"numberOfArtifacts":2,"builders":[{"type":"DOCKER","count":2}],"type":"LOCAL"},"runID":"abc"}}}"#,
];

/// Tokens a mutation may splice in: field names, enum names and awkward values.
const JSON_TOKENS: &[&str] = &[
    "\"timestamp\":",
    "\"taskEvent\":",
    "\"level\":",
    "\"errCode\":",
    "\"debugPorts\":",
    "\"enabled\":",
    "\"localPort\":",
    "\"BUILD_USER_ERROR\"",
    "\"9999-12-31T23:59:59.999999999Z\"",
    "\"0001-01-01T00:00:00Z\"",
    "\"1970-01-01T00:00:00+01:00\"",
    "2147483648",
    "-2147483649",
    "1e400",
    "null",
    "[]",
    "{}",
    "\"\\ud800\"",
    ",",
    ":",
];

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Splice(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), any::<usize>()).prop_map(|(i, t)| Edit::Splice(i, t)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit], tokens: &[&str]) -> Vec<u8> {
    for e in edits {
        let len = bytes.len();
        match *e {
            Edit::Flip(i, b) if len > 0 => bytes[i % len] ^= b,
            Edit::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Edit::Delete(i) if len > 0 => {
                bytes.remove(i % len);
            }
            Edit::Splice(i, t) if !tokens.is_empty() => {
                let at = i % (len + 1);
                let token = tokens[t % tokens.len()].as_bytes();
                bytes.splice(at..at, token.iter().copied());
            }
            Edit::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

fn json_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        (0..JSON_SEEDS.len(), prop::collection::vec(edit(), 0..6)).prop_map(|(seed, edits)| apply(
            JSON_SEEDS[seed].into(),
            &edits,
            JSON_TOKENS
        )),
    ]
}

fn round_trips<M>(body: &[u8]) -> Result<(), TestCaseError>
where
    M: prost::Message + prost::Name + Default + PartialEq + std::fmt::Debug,
{
    let Ok(msg) = json::from_json::<M>(body) else {
        return Ok(());
    };
    for dialect in [Dialect::Gateway, Dialect::EventLog] {
        let text = json::to_string(&msg, dialect);
        let back = json::from_json::<M>(text.as_bytes());
        prop_assert!(
            back.as_ref().is_ok_and(|back| *back == msg),
            "{dialect:?} rendering {text} of {msg:?} decodes to {back:?}"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn request_bodies_decode_or_fail_cleanly_and_round_trip(body in json_body()) {
        round_trips::<Intent>(&body)?;
        round_trips::<TriggerState>(&body)?;
        round_trips::<Event>(&body)?;
        if let Ok(event) = json::from_json::<Event>(&body) {
            let line = json::stream_result_line(&event);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&line).is_ok(), "{line}");
            let line = json::event_log_line(&event);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&line).is_ok(), "{line}");
        }
    }
}

/// Encoded events the mutations start from (what `Handle` gets from gRPC clients).
fn event_seeds() -> Vec<Vec<u8>> {
    JSON_SEEDS
        .iter()
        .filter_map(|body| json::from_json::<Event>(body.as_bytes()).ok())
        .filter(|event| event.event_type.is_some())
        .map(|event| event.encode_to_vec())
        .collect()
}

fn event_bytes() -> impl Strategy<Value = Vec<u8>> {
    let seeds = event_seeds();
    let single = seeds.clone();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..256),
        // One encoded event, mutated.
        (0..seeds.len(), prop::collection::vec(edit(), 0..4)).prop_map(move |(i, edits)| apply(
            single[i].clone(),
            &edits,
            &[]
        )),
        // Several length-delimited events (what the sequence variant reads), mutated.
        (
            prop::collection::vec(0..seeds.len(), 1..6),
            prop::collection::vec(edit(), 0..4)
        )
            .prop_map(move |(picks, edits)| {
                let mut bytes = Vec::new();
                for i in picks {
                    prost::encoding::encode_varint(seeds[i].len() as u64, &mut bytes);
                    bytes.extend_from_slice(&seeds[i]);
                }
                apply(bytes, &edits, &[])
            }),
    ]
}

fn small_hub() -> Hub {
    Hub::new(
        &InitialState {
            artifacts: vec!["app".into(), "web".into()],
            auto_build: true,
            ..Default::default()
        },
        HubLimits {
            history_bytes: 64 * 1024,
            app_log_bytes: 16 * 1024,
        },
    )
}

fn render(hub: &Hub) -> Result<(), TestCaseError> {
    let state = hub.state();
    let text = json::to_string(&state, Dialect::Gateway);
    prop_assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_ok(),
        "{text}"
    );
    let _ = json::to_string(&state, Dialect::EventLog);
    for stream in [Stream::Events, Stream::ApplicationLogs] {
        let mut sub = hub.subscribe(stream);
        while let Some(event) = sub.try_next() {
            let _ = json::stream_result_line(event.as_ref());
            let _ = json::event_log_line(event.as_ref());
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn posted_events_never_break_the_hub_or_get_state(data in event_bytes()) {
        if let Ok(event) = Event::decode(data.as_slice()) {
            let hub = small_hub();
            hub.handle(event.clone());
            hub.handle(event);
            render(&hub)?;
        }
        let hub = small_hub();
        let mut buf = data.as_slice();
        while !buf.is_empty() {
            match Event::decode_length_delimited(&mut buf) {
                Ok(event) => hub.handle(event),
                Err(_) => break,
            }
        }
        render(&hub)?;
    }
}
