//! `proto.v2.SkaffoldV2Service`: the behaviour behind both the gRPC server and the HTTP gateway.

use std::pin::Pin;

use futures_util::Stream;
use skiff_events::state::{self as reducer, AutoTrigger};
use skiff_events::{Hub, Stream as HubStream, Subscription};
use skiff_proto::v2::skaffold_v2_service_server::SkaffoldV2Service;
use skiff_proto::v2::{
    Event, State, TriggerRequest, TriggerState, UserIntentRequest, trigger_state,
};
use tonic::{Request, Response, Status};

use crate::control::ControlSender;

/// The message a stream ends with when the session (and so the hub) ends.
pub const SESSION_ENDED: &str = "the skiff session has ended";

/// A stream of events as both servers send them.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Event, Status>> + Send + 'static>>;

/// The v2 API over a hub and a control channel.
#[derive(Debug, Clone)]
pub struct ApiService {
    hub: Hub,
    control: ControlSender,
}

impl ApiService {
    /// A service reading `hub` and sending control requests to `control`.
    pub fn new(hub: Hub, control: ControlSender) -> Self {
        Self { hub, control }
    }

    /// `GetState`.
    pub fn get_state(&self) -> State {
        self.hub.state()
    }

    /// `Events` or `ApplicationLogs`: retained history, then live events; ends with
    /// `UNAVAILABLE` when the session ends.
    pub fn stream(&self, which: HubStream) -> EventStream {
        let subscription = self.hub.subscribe(which);
        Box::pin(futures_util::stream::unfold(Some(subscription), next_event))
    }

    /// `Execute`: updates the state as Skaffold does and hands the intent to the runner.
    pub fn execute(&self, request: &UserIntentRequest) {
        let intent = request.intent.unwrap_or_default();
        self.hub.update_state(|state| {
            if intent.devloop || intent.build {
                reducer::reset_on_build(state);
            }
            if intent.deploy && !intent.devloop {
                reducer::reset_on_deploy(state);
            }
        });
        self.control.execute(&intent);
    }

    /// `AutoBuild`, `AutoSync`, `AutoDeploy`: switches a phase's auto trigger. A missing
    /// `enabled` counts as `false`; setting the current value is `ALREADY_EXISTS`.
    pub fn auto_trigger(&self, phase: AutoTrigger, request: &TriggerRequest) -> Result<(), Status> {
        let enabled = enabled(request.state.as_ref());
        self.hub.update_state(|state| {
            if reducer::auto_trigger(state, phase) == enabled {
                return Err(Status::already_exists(format!(
                    "auto {} is already set to {enabled}",
                    phase.as_str()
                )));
            }
            reducer::set_auto_trigger(state, phase, enabled);
            if enabled {
                match phase {
                    AutoTrigger::Build => reducer::reset_on_build(state),
                    AutoTrigger::Deploy => reducer::reset_on_deploy(state),
                    AutoTrigger::Sync => {}
                }
            }
            Ok(())
        })?;
        self.control.auto(phase, enabled);
        Ok(())
    }

    /// `Handle`: records an event posted by a client (custom builders, IDEs). Whatever it is,
    /// the session goes on: a posted `terminationEvent` is recorded like any other event.
    pub fn handle(&self, event: Event) {
        self.hub.handle(event);
    }
}

fn enabled(state: Option<&TriggerState>) -> bool {
    matches!(
        state.and_then(|s| s.val),
        Some(trigger_state::Val::Enabled(true))
    )
}

async fn next_event(
    subscription: Option<Subscription>,
) -> Option<(Result<Event, Status>, Option<Subscription>)> {
    let mut subscription = subscription?;
    match subscription.next().await {
        Some(event) => Some((Ok(Event::clone(&event)), Some(subscription))),
        None => Some((Err(Status::unavailable(SESSION_ENDED)), None)),
    }
}

#[tonic::async_trait]
impl SkaffoldV2Service for ApiService {
    async fn get_state(&self, _: Request<()>) -> Result<Response<State>, Status> {
        Ok(Response::new(ApiService::get_state(self)))
    }

    type EventsStream = EventStream;

    async fn events(&self, _: Request<()>) -> Result<Response<Self::EventsStream>, Status> {
        Ok(Response::new(self.stream(HubStream::Events)))
    }

    type ApplicationLogsStream = EventStream;

    async fn application_logs(
        &self,
        _: Request<()>,
    ) -> Result<Response<Self::ApplicationLogsStream>, Status> {
        Ok(Response::new(self.stream(HubStream::ApplicationLogs)))
    }

    async fn execute(&self, request: Request<UserIntentRequest>) -> Result<Response<()>, Status> {
        ApiService::execute(self, request.get_ref());
        Ok(Response::new(()))
    }

    async fn auto_build(&self, request: Request<TriggerRequest>) -> Result<Response<()>, Status> {
        self.auto_trigger(AutoTrigger::Build, request.get_ref())
            .map(Response::new)
    }

    async fn auto_sync(&self, request: Request<TriggerRequest>) -> Result<Response<()>, Status> {
        self.auto_trigger(AutoTrigger::Sync, request.get_ref())
            .map(Response::new)
    }

    async fn auto_deploy(&self, request: Request<TriggerRequest>) -> Result<Response<()>, Status> {
        self.auto_trigger(AutoTrigger::Deploy, request.get_ref())
            .map(Response::new)
    }

    async fn handle(&self, request: Request<Event>) -> Result<Response<()>, Status> {
        ApiService::handle(self, request.into_inner());
        Ok(Response::new(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control;
    use futures_util::StreamExt;
    use skiff_events::{HubLimits, InitialState, Phase};
    use skiff_proto::v2::{Intent, TerminationEvent, event::EventType};

    fn service() -> (ApiService, Hub, control::ControlReceiver) {
        let hub = Hub::new(
            &InitialState {
                artifacts: vec!["img".into()],
                auto_build: true,
                ..Default::default()
            },
            HubLimits::default(),
        );
        let (tx, rx) = control::channel();
        (ApiService::new(hub.clone(), tx), hub, rx)
    }

    fn trigger(enabled: Option<bool>) -> TriggerRequest {
        TriggerRequest {
            state: Some(TriggerState {
                val: enabled.map(trigger_state::Val::Enabled),
            }),
        }
    }

    #[test]
    fn auto_trigger_rejects_the_current_value() {
        let (svc, hub, rx) = service();
        let err = svc
            .auto_trigger(AutoTrigger::Build, &trigger(Some(true)))
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::AlreadyExists);
        assert_eq!(err.message(), "auto Build is already set to true");
        let err = svc
            .auto_trigger(AutoTrigger::Deploy, &trigger(None))
            .unwrap_err();
        assert_eq!(err.message(), "auto Deploy is already set to false");
        svc.auto_trigger(AutoTrigger::Build, &trigger(Some(false)))
            .unwrap();
        assert!(!hub.state().build_state.unwrap().auto_trigger);
        assert_eq!(rx.try_take().unwrap().auto_build, Some(false));
    }

    #[test]
    fn execute_resets_state_and_forwards_the_intent() {
        let (svc, hub, rx) = service();
        hub.build_subtask(
            "img",
            skiff_events::BuildStep::Build,
            skiff_events::Status::Succeeded,
            &Default::default(),
            None,
        );
        svc.execute(&UserIntentRequest {
            intent: Some(Intent {
                build: true,
                ..Default::default()
            }),
        });
        assert_eq!(
            hub.state().build_state.unwrap().artifacts["img"],
            "NotStarted"
        );
        assert!(rx.try_take().unwrap().build);
    }

    #[tokio::test]
    async fn streams_replay_then_follow_and_end_unavailable() {
        let (svc, hub, _rx) = service();
        hub.task_in_progress(Phase::Build, "Build containers");
        let mut events = svc.stream(HubStream::Events);
        svc.handle(Event {
            timestamp: None,
            event_type: Some(EventType::TerminationEvent(TerminationEvent::default())),
        });
        hub.task_succeeded(Phase::Build);
        hub.close();
        let got: Vec<_> = events.by_ref().collect().await;
        assert_eq!(got.len(), 4);
        assert!(matches!(
            got[1].as_ref().unwrap().event_type,
            Some(EventType::TerminationEvent(_))
        ));
        assert_eq!(
            got[3].as_ref().unwrap_err().code(),
            tonic::Code::Unavailable
        );
    }
}
