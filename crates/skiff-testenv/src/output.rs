//! An `Output` whose terminal text a test can read, and the events its hub recorded (feature
//! `events`).

use std::sync::{Arc, Mutex};

use skiff_events::{Hub, HubLimits, InitialState, Output, Stream};
use skiff_proto::v2::event::EventType;

/// What an [`Output`] made by [`recorded_output`] printed on the terminal so far. A handle:
/// clones read the same text.
#[derive(Clone, Default)]
pub struct Printed(Arc<Mutex<String>>);

impl Printed {
    /// Everything printed so far.
    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

/// An [`Output`] on a fresh hub that keeps what it prints, instead of showing it, in the
/// returned [`Printed`].
pub fn recorded_output() -> (Output, Printed) {
    let hub = Hub::new(&InitialState::default(), HubLimits::default());
    let printed = Printed::default();
    let sink = Arc::clone(&printed.0);
    let output = Output::new(
        hub,
        Arc::new(move |text: &str| sink.lock().unwrap().push_str(text)),
    );
    (output, printed)
}

/// What `pick` makes of the events in `hub`'s history of `stream`, in order, leaving out those
/// it maps to `None`.
pub fn recorded_events<T>(
    hub: &Hub,
    stream: Stream,
    pick: impl Fn(&EventType) -> Option<T>,
) -> Vec<T> {
    hub.history(stream)
        .iter()
        .filter_map(|event| event.event_type.as_ref().and_then(&pick))
        .collect()
}
