//! Arbitrary bytes as the body of the gateway's POST/PUT routes: decoded as `Intent`
//! (`/v2/execute`), `TriggerState` (`/v2/*/auto_execute`) and `Event` (`/v2/events/handle`).
//! Whatever decodes is rendered in both JSON dialects, and each rendering must decode back to
//! the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff_proto::json::{self, Dialect};
use skiff_proto::v2::{Event, Intent, TriggerState};

fn check<M>(body: &[u8])
where
    M: prost::Message + prost::Name + Default + PartialEq + std::fmt::Debug,
{
    let Ok(msg) = json::from_json::<M>(body) else {
        return;
    };
    for dialect in [Dialect::Gateway, Dialect::EventLog] {
        let value = json::to_value(&msg, dialect);
        let text = value.to_string();
        let back = json::from_json::<M>(text.as_bytes()).unwrap_or_else(|e| {
            panic!("{dialect:?} rendering {text} of {msg:?} does not decode: {e}")
        });
        assert!(
            back == msg,
            "{dialect:?} rendering {text} decodes to {back:?}, not {msg:?}"
        );
    }
}

fuzz_target!(|body: &[u8]| {
    check::<Intent>(body);
    check::<TriggerState>(body);
    check::<Event>(body);
    if let Ok(event) = json::from_json::<Event>(body) {
        let _ = json::stream_result_line(&event);
        let _ = json::event_log_line(&event);
    }
});
