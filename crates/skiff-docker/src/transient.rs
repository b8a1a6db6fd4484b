//! Riding out Podman's passing container states: while Podman stops a container it briefly
//! reports it as `stopped`, a state of its own between running and exited that the Engine API
//! does not have, so the client cannot read the answer. It passes within moments, so calls that
//! read container states repeat themselves for a while instead of failing.

use std::future::Future;
use std::time::Duration;

/// How often a call is repeated while Podman reports a passing state the client cannot read,
/// and how long it waits in between.
const RETRIES: usize = 50;
const WAIT: Duration = Duration::from_millis(20);

/// Whether the client could not read an answer because Podman reported a container as
/// `stopped`.
fn is_transient_podman_state(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::JsonDataError { message, .. }
            if message.contains("unknown variant `stopped`")
    )
}

/// The result of `call`, made again (up to about a second) while its answer holds a state
/// Podman only passes through.
pub(crate) async fn past_transient_states<T, F>(
    mut call: impl FnMut() -> F,
) -> Result<T, bollard::errors::Error>
where
    F: Future<Output = Result<T, bollard::errors::Error>>,
{
    let mut attempts = 0;
    loop {
        match call().await {
            Err(e) if is_transient_podman_state(&e) && attempts < RETRIES => {
                attempts += 1;
                tokio::time::sleep(WAIT).await;
            }
            result => return result,
        }
    }
}
