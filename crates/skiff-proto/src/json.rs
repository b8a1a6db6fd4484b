//! The two JSON dialects Skaffold speaks for the same protobuf messages.
//!
//! * [`Dialect::Gateway`] is what the HTTP gateway writes (grpc-gateway v2 with protojson
//!   `UseProtoNames` + `EmitUnpopulated`): proto field names (`task_id`), every field present,
//!   `null` for unset messages, `[]`/`{}` for empty lists and maps, enum names.
//! * [`Dialect::EventLog`] is what `--event-log-file` writes (golang/protobuf `jsonpb.Marshaler{}`):
//!   lowerCamel JSON names (`taskId`), zero values omitted, enum names.
//!
//! Both keep proto declaration order for keys, sort map keys, write 64-bit integers as strings and
//! timestamps as RFC 3339 with a `Z` suffix. Decoding accepts either spelling of a field name and
//! ignores unknown fields, as the gateway does.

use std::sync::LazyLock;

use prost_reflect::{
    DescriptorPool, DeserializeOptions, DynamicMessage, FieldDescriptor, Kind, MapKey,
    MessageDescriptor, ReflectMessage, Value as ProtoValue,
};
use serde_json::{Map, Number, Value};

/// The encoded `FileDescriptorSet` of the v2 API, custom options included.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/skaffold_descriptor.bin"));

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    DescriptorPool::decode(FILE_DESCRIPTOR_SET)
        .expect("the descriptor set compiled into this crate decodes")
});

/// The descriptor pool of the v2 API (`proto.v2`, `proto.enums`, `google.api`, WKTs).
pub fn descriptor_pool() -> &'static DescriptorPool {
    &POOL
}

/// Which of Skaffold's two JSON renderings to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// HTTP gateway: proto names, every field emitted, `null` for unset messages.
    Gateway,
    /// Event-log file: lowerCamel names, zero values omitted.
    EventLog,
}

/// A request body that is not valid JSON for the expected message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(String);

/// Renders `msg` as a JSON value in the given dialect.
pub fn to_value<M: prost::Message + prost::Name>(msg: &M, dialect: Dialect) -> Value {
    let desc = message_descriptor::<M>();
    let mut dynamic = DynamicMessage::new(desc);
    dynamic
        .transcode_from(msg)
        .expect("a generated message transcodes into its own descriptor");
    message_value(&dynamic, dialect)
}

/// Renders `msg` as compact JSON text in the given dialect (no HTML escaping: protojson's
/// unary-response form).
pub fn to_string<M: prost::Message + prost::Name>(msg: &M, dialect: Dialect) -> String {
    to_value(msg, dialect).to_string()
}

/// One line of the `--event-log-file` `.v2` file, without the trailing newline: compact,
/// lowerCamel, zero values omitted, HTML-sensitive characters escaped as Go's `encoding/json` does.
pub fn event_log_line<M: prost::Message + prost::Name>(msg: &M) -> String {
    go_escape(&to_string(msg, Dialect::EventLog))
}

/// One line of an HTTP server stream, without the trailing newline:
/// `{"result":<message in gateway JSON>}`, compacted and escaped like grpc-gateway's output.
pub fn stream_result_line<M: prost::Message + prost::Name>(msg: &M) -> String {
    let mut wrapper = Map::new();
    wrapper.insert("result".into(), to_value(msg, Dialect::Gateway));
    go_escape(&Value::Object(wrapper).to_string())
}

/// Decodes a request body. Both proto names and JSON names are accepted, unknown fields are
/// ignored, enums may be names or numbers, and an empty (or all-whitespace) body yields the
/// default message.
pub fn from_json<M: prost::Message + prost::Name + Default>(body: &[u8]) -> Result<M, JsonError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(M::default());
    }
    let desc = message_descriptor::<M>();
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let options = DeserializeOptions::new().deny_unknown_fields(false);
    let dynamic = DynamicMessage::deserialize_with_options(desc, &mut deserializer, &options)
        .map_err(|e| JsonError(e.to_string()))?;
    deserializer.end().map_err(|e| JsonError(e.to_string()))?;
    dynamic
        .transcode_to::<M>()
        .map_err(|e| JsonError(e.to_string()))
}

/// Escapes `<`, `>`, `&`, U+2028 and U+2029 the way Go's `encoding/json` does. These characters
/// can only occur inside JSON strings, so escaping the whole text is safe.
pub fn go_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

fn message_descriptor<M: prost::Name>() -> MessageDescriptor {
    let name = M::full_name();
    POOL.get_message_by_name(&name)
        .unwrap_or_else(|| panic!("message {name} is not in the v2 API descriptor set"))
}

fn message_value(msg: &DynamicMessage, dialect: Dialect) -> Value {
    let desc = msg.descriptor();
    if desc.full_name() == "google.protobuf.Timestamp" {
        return timestamp_value(msg);
    }
    let mut object = Map::new();
    for field in desc.fields() {
        let in_oneof = field
            .containing_oneof()
            .is_some_and(|oneof| !oneof.is_synthetic());
        let present = msg.has_field(&field);
        let emit = present || (dialect == Dialect::Gateway && !in_oneof);
        if !emit {
            continue;
        }
        let key = match dialect {
            Dialect::Gateway => field.name(),
            Dialect::EventLog => field.json_name(),
        };
        let value = if present {
            field_value(&field, &msg.get_field(&field), dialect)
        } else {
            unpopulated_value(&field)
        };
        object.insert(key.to_owned(), value);
    }
    Value::Object(object)
}

/// What protojson's `EmitUnpopulated` writes for a field that is not set.
fn unpopulated_value(field: &FieldDescriptor) -> Value {
    if field.is_map() {
        Value::Object(Map::new())
    } else if field.is_list() {
        Value::Array(Vec::new())
    } else if let Kind::Message(_) = field.kind() {
        Value::Null
    } else {
        single_value(&field.kind(), &field.default_value(), Dialect::Gateway)
    }
}

fn field_value(field: &FieldDescriptor, value: &ProtoValue, dialect: Dialect) -> Value {
    match value {
        ProtoValue::List(items) => Value::Array(
            items
                .iter()
                .map(|v| single_value(&field.kind(), v, dialect))
                .collect(),
        ),
        ProtoValue::Map(entries) => {
            let Kind::Message(entry) = field.kind() else {
                unreachable!("map fields have an entry message")
            };
            let value_kind = entry.map_entry_value_field().kind();
            let mut sorted: Vec<_> = entries.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| (map_key_string(k), single_value(&value_kind, v, dialect)))
                    .collect(),
            )
        }
        single => single_value(&field.kind(), single, dialect),
    }
}

fn single_value(kind: &Kind, value: &ProtoValue, dialect: Dialect) -> Value {
    match value {
        ProtoValue::Bool(b) => Value::Bool(*b),
        ProtoValue::I32(n) => Value::from(*n),
        ProtoValue::U32(n) => Value::from(*n),
        ProtoValue::I64(n) => Value::String(n.to_string()),
        ProtoValue::U64(n) => Value::String(n.to_string()),
        ProtoValue::F32(f) => float_value(f64::from(*f)),
        ProtoValue::F64(f) => float_value(*f),
        ProtoValue::String(s) => Value::String(s.clone()),
        ProtoValue::Bytes(b) => Value::String(base64(b)),
        ProtoValue::EnumNumber(n) => match kind {
            Kind::Enum(e) => e
                .get_value(*n)
                .map(|v| Value::String(v.name().to_owned()))
                .unwrap_or_else(|| Value::from(*n)),
            _ => Value::from(*n),
        },
        ProtoValue::Message(m) => message_value(m, dialect),
        ProtoValue::List(_) | ProtoValue::Map(_) => {
            unreachable!("lists and maps are never nested in protobuf")
        }
    }
}

fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

fn map_key_string(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

fn timestamp_value(msg: &DynamicMessage) -> Value {
    let ts: prost_types::Timestamp = msg
        .transcode_to()
        .expect("a google.protobuf.Timestamp transcodes to prost_types::Timestamp");
    // prost-types formats exactly like protojson: UTC, `Z`, 0/3/6/9 fractional digits.
    Value::String(ts.to_string())
}

/// Standard base64 with padding, as protojson writes `bytes` fields.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::enums::{StatusCode, SuggestionCode};
    use crate::proto::v2::{
        ActionableErr, Event, IntOrString, Intent, PortForwardEvent, SkaffoldLogEvent, Suggestion,
        TaskEvent, TriggerState, event::EventType, trigger_state,
    };
    use serde_json::json;

    fn ts() -> prost_types::Timestamp {
        prost_types::Timestamp {
            seconds: 1_787_307_330,
            nanos: 123_456_789,
        }
    }

    fn build_task_event() -> Event {
        Event {
            timestamp: Some(ts()),
            event_type: Some(EventType::TaskEvent(TaskEvent {
                id: "Build-1".into(),
                task: "Build".into(),
                description: "Build containers".into(),
                iteration: 1,
                status: "InProgress".into(),
                actionable_err: None,
            })),
        }
    }

    #[test]
    fn gateway_and_event_log_lines_match_skaffold() {
        let event = build_task_event();
        assert_eq!(
            stream_result_line(&event),
            r#"{"result":{"timestamp":"2026-08-21T10:15:30.123456789Z","taskEvent":{"id":"Build-1","task":"Build","description":"Build containers","iteration":1,"status":"InProgress","actionableErr":null}}}"#
        );
        assert_eq!(
            event_log_line(&event),
            r#"{"timestamp":"2026-08-21T10:15:30.123456789Z","taskEvent":{"id":"Build-1","task":"Build","description":"Build containers","iteration":1,"status":"InProgress"}}"#
        );
    }

    #[test]
    fn gateway_uses_proto_names_and_event_log_lower_camel() {
        let event = Event {
            timestamp: None,
            event_type: Some(EventType::SkaffoldLogEvent(SkaffoldLogEvent {
                task_id: "Build-1".into(),
                subtask_id: "-1".into(),
                level: crate::proto::enums::LogLevel::Standard as i32,
                message: "a & <b>\n".into(),
            })),
        };
        assert_eq!(
            to_value(&event, Dialect::Gateway),
            json!({"timestamp": null, "skaffoldLogEvent": {"task_id": "Build-1", "subtask_id": "-1", "level": "STANDARD", "message": "a & <b>\n"}})
        );
        assert_eq!(
            event_log_line(&event),
            r#"{"skaffoldLogEvent":{"taskId":"Build-1","subtaskId":"-1","level":"STANDARD","message":"a \u0026 \u003cb\u003e\n"}}"#
        );
    }

    #[test]
    fn zero_enum_is_emitted_only_by_the_gateway() {
        let event = Event {
            timestamp: None,
            event_type: Some(EventType::SkaffoldLogEvent(SkaffoldLogEvent::default())),
        };
        assert_eq!(
            to_value(&event, Dialect::Gateway)["skaffoldLogEvent"]["level"],
            json!("DEBUG")
        );
        assert_eq!(event_log_line(&event), r#"{"skaffoldLogEvent":{}}"#);
    }

    #[test]
    fn nested_errors_and_int_or_string() {
        let event = Event {
            timestamp: None,
            event_type: Some(EventType::PortEvent(PortForwardEvent {
                task_id: "PortForward-1".into(),
                local_port: 9000,
                target_port: Some(IntOrString {
                    r#type: 0,
                    int_val: 8080,
                    str_val: String::new(),
                }),
                ..Default::default()
            })),
        };
        let v = to_value(&event, Dialect::Gateway);
        assert_eq!(
            v["portEvent"]["targetPort"],
            json!({"type": 0, "intVal": 8080, "strVal": ""})
        );
        assert_eq!(v["portEvent"]["localPort"], json!(9000));
        let err = ActionableErr {
            err_code: StatusCode::BuildUserError as i32,
            message: "boom".into(),
            suggestions: vec![Suggestion {
                suggestion_code: SuggestionCode::FixUserBuildErr as i32,
                action: "fix it".into(),
            }],
        };
        assert_eq!(
            to_value(&err, Dialect::EventLog),
            json!({"errCode": "BUILD_USER_ERROR", "message": "boom", "suggestions": [{"suggestionCode": "FIX_USER_BUILD_ERR", "action": "fix it"}]})
        );
    }

    #[test]
    fn map_keys_are_sorted_numerically() {
        let mut state = crate::proto::v2::State::default();
        for port in [10000, 9000, 9001] {
            state.forwarded_ports.insert(
                port,
                PortForwardEvent {
                    local_port: port,
                    ..Default::default()
                },
            );
        }
        let text = to_string(&state, Dialect::EventLog);
        let a = text.find("\"9000\"").unwrap();
        let b = text.find("\"9001\"").unwrap();
        let c = text.find("\"10000\"").unwrap();
        assert!(a < b && b < c, "{text}");
    }

    #[test]
    fn decoding_accepts_both_spellings_and_ignores_unknown_fields() {
        let a: SkaffoldLogEvent =
            from_json(br#"{"task_id":"a","level":"WARN","bogus":1}"#).unwrap();
        let b: SkaffoldLogEvent = from_json(br#"{"taskId":"a","level":2}"#).unwrap();
        assert_eq!(a, b);
        let intent: Intent = from_json(b"").unwrap();
        assert_eq!(intent, Intent::default());
        let state: TriggerState = from_json(br#"{"enabled":true}"#).unwrap();
        assert_eq!(state.val, Some(trigger_state::Val::Enabled(true)));
        assert!(from_json::<Intent>(b"{not json").is_err());
        assert!(from_json::<Intent>(br#"{"build":true} trailing"#).is_err());
        assert!(from_json::<Intent>(br#"{"build":"yes"}"#).is_err());
    }

    #[test]
    fn base64_matches_rfc4648() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }
}
