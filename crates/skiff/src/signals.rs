//! Waiting for the user to stop skiff.

/// Completes on the first SIGINT (Ctrl-C) or SIGTERM.
pub async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    match (terminate, interrupt) {
        (Ok(mut terminate), Ok(mut interrupt)) => {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
            }
        }
        // Without signal handlers (never expected on Unix) fall back to Ctrl-C alone.
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
