//! Classifying engine errors: an engine that went away versus one that refused a request, and
//! which refusals callers handle themselves.

use crate::error::EngineError;

impl EngineError {
    /// Whether the engine could not be reached at all (not running, stopped mid-run, socket
    /// gone), rather than answering with an error.
    pub fn is_unreachable(&self) -> bool {
        use bollard::errors::Error;
        match self {
            EngineError::NotRunning { .. } => true,
            EngineError::Api { source, .. } => matches!(
                source,
                Error::IOError { .. }
                    | Error::HyperLegacyError { .. }
                    | Error::HyperResponseError { .. }
                    | Error::SocketNotFoundError(_)
                    | Error::RequestTimeoutError
            ),
            _ => false,
        }
    }

    /// Whether the engine refused the request as conflicting with an object that exists (HTTP
    /// 409), e.g. creating a container under a name that is taken.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            EngineError::Api {
                source: bollard::errors::Error::DockerResponseServerError {
                    status_code: 409,
                    ..
                },
                ..
            }
        )
    }
}

/// Whether an API error means the object does not exist (HTTP 404).
pub(crate) fn is_not_found(error: &bollard::errors::Error) -> bool {
    matches!(
        error,
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status_code: u16) -> EngineError {
        EngineError::Api {
            operation: "create container",
            source: bollard::errors::Error::DockerResponseServerError {
                status_code,
                message: "refused".into(),
            },
        }
    }

    #[test]
    fn server_answers_are_not_unreachable() {
        assert!(!answered(409).is_unreachable());
        let gone = EngineError::Api {
            operation: "create container",
            source: bollard::errors::Error::SocketNotFoundError("/var/run/docker.sock".into()),
        };
        assert!(gone.is_unreachable());
        let down = EngineError::NotRunning {
            host: "unix:///nowhere".into(),
            detail: "no such file".into(),
        };
        assert!(down.is_unreachable());
    }

    #[test]
    fn conflicts_are_409_answers() {
        assert!(answered(409).is_conflict());
        assert!(!answered(404).is_conflict());
    }
}
