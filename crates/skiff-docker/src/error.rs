//! What can go wrong talking to the engine.

/// An engine operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Nothing answers at the engine address.
    #[error("cannot connect to the container engine at {host}: {detail}")]
    NotRunning {
        /// The address tried.
        host: String,
        /// What the connection attempt reported.
        detail: String,
    },
    /// `DOCKER_HOST` names a transport skiff does not speak.
    #[error("unsupported DOCKER_HOST {host:?}: use unix:///path/to/socket or tcp://host:port")]
    UnsupportedHost {
        /// The address given.
        host: String,
    },
    /// The engine ran the build and it failed (a Dockerfile step, a missing file, …).
    #[error("{message}")]
    BuildFailed {
        /// The engine's message, with the failing step.
        message: String,
    },
    /// The registry refused the push or the push broke off.
    #[error("pushing {reference}: {message}")]
    PushFailed {
        /// What was pushed.
        reference: String,
        /// The engine's or registry's message.
        message: String,
    },
    /// The image could not be pulled.
    #[error("pulling {reference}: {message}")]
    PullFailed {
        /// What was pulled.
        reference: String,
        /// The engine's or registry's message.
        message: String,
    },
    /// Any other API call failed.
    #[error("{operation}: {source}")]
    Api {
        /// What was attempted.
        operation: &'static str,
        /// The API error.
        source: bollard::errors::Error,
    },
}

impl EngineError {
    /// Wraps an API error of the named operation.
    pub fn api(operation: &'static str) -> impl FnOnce(bollard::errors::Error) -> EngineError {
        move |source| EngineError::Api { operation, source }
    }

    /// Classifies an error from the build stream: the engine's own messages are build
    /// failures; transport errors stay API errors.
    pub fn build(source: bollard::errors::Error) -> EngineError {
        match source {
            bollard::errors::Error::DockerStreamError { error } => {
                EngineError::BuildFailed { message: error }
            }
            bollard::errors::Error::DockerResponseServerError { message, .. } => {
                EngineError::BuildFailed { message }
            }
            source => EngineError::Api {
                operation: "build image",
                source,
            },
        }
    }
}
