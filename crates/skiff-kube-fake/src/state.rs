//! The state the HTTP handlers, the controller loop and the test's handle share.

use crate::controller::Controllers;
use crate::kubelet;
use crate::logs::Logs;
use crate::requests::RequestRecord;
use crate::script::Script;
use crate::store::Store;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::Notify;

/// How often the controller loop runs even without changes (for timed behaviours and deadlines).
const TICK: Duration = Duration::from_millis(50);

/// What a cluster simulates, fixed at start.
#[derive(Debug, Clone)]
pub struct Options {
    /// Run the workload controllers.
    pub controllers: bool,
    /// Run the kubelet simulation (pod statuses from scripted behaviours).
    pub kubelet: bool,
    /// How often watches that allow bookmarks get one.
    pub bookmark_interval: Duration,
}

/// Locks a mutex, carrying on after a panic elsewhere (the state stays usable for the test).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything one fake cluster holds. Lock order: store, then script, then logs.
pub struct Shared {
    /// Objects, registry, history.
    pub store: Mutex<Store>,
    /// What the test scripted.
    pub script: Mutex<Script>,
    /// Container logs.
    pub logs: Mutex<Logs>,
    /// Every request served.
    pub requests: Mutex<Vec<RequestRecord>>,
    /// Start options.
    pub options: Options,
    controllers: Mutex<Controllers>,
    wake: Arc<Notify>,
}

impl Shared {
    /// A fresh cluster state.
    pub fn new(options: Options) -> Arc<Self> {
        let wake = Arc::new(Notify::new());
        Arc::new(Self {
            store: Mutex::new(Store::new(wake.clone())),
            script: Mutex::new(Script::default()),
            logs: Mutex::new(Logs::default()),
            requests: Mutex::new(Vec::new()),
            options,
            controllers: Mutex::new(Controllers::default()),
            wake,
        })
    }

    /// One pass of the enabled controllers and the kubelet.
    pub fn reconcile(&self) {
        let mut store = lock(&self.store);
        if self.options.controllers {
            lock(&self.controllers).reconcile(&mut store);
        }
        if self.options.kubelet {
            kubelet::reconcile(&mut store, &mut lock(&self.script));
        }
    }

    /// Runs [`Shared::reconcile`] after every change and on a short tick, forever.
    pub async fn run_controllers(self: Arc<Self>) {
        loop {
            tokio::select! {
                () = self.wake.notified() => {}
                () = tokio::time::sleep(TICK) => {}
            }
            self.reconcile();
        }
    }
}
