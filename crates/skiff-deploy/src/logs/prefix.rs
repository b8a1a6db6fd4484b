//! `deploy.logs.prefix`: what each log line starts with.

use skiff_proto::enums::StatusCode;

use crate::error::DeployError;

/// What each log line starts with (`deploy.logs.prefix`).
///
/// For pods, as Skaffold's Kubernetes logger: `[<container>]`, `[<pod> <container>]`, or for
/// `auto` the pod and container unless they have the same name. A docker target has containers
/// but no pods, and Skaffold's docker logger prints `[<image>] ` whatever the setting. skiff
/// does the same for `container`, `podAndContainer` and `auto`, and honours `none` (no prefix),
/// which Skaffold ignores for docker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogPrefix {
    /// `container`, Skaffold's default: the container's name, for docker the image name.
    #[default]
    Container,
    /// `podAndContainer`: pod and container names; for docker the image name.
    PodAndContainer,
    /// `auto`: the container name, with the pod's when they differ; for docker the image name.
    Auto,
    /// `none`: no prefix.
    None,
}

impl LogPrefix {
    /// Parses a `deploy.logs.prefix` value; an empty one is Skaffold's default, `container`.
    pub fn parse(value: &str) -> Result<Self, DeployError> {
        match value {
            "" | "container" => Ok(Self::Container),
            "podAndContainer" => Ok(Self::PodAndContainer),
            "auto" => Ok(Self::Auto),
            "none" => Ok(Self::None),
            other => Err(DeployError::new(
                StatusCode::InitCreateDeployerError,
                format!(
                    "unsupported deploy.logs.prefix {other:?}: use container, podAndContainer, \
                     auto or none"
                ),
            )),
        }
    }

    /// The prefix of the lines of a container deployed for `image`, without colour or the
    /// space that separates it from the line: `[<image>]`, or nothing.
    pub(crate) fn label(self, image: &str) -> String {
        match self {
            Self::Container | Self::PodAndContainer | Self::Auto => format!("[{image}]"),
            Self::None => String::new(),
        }
    }

    /// The prefix of the lines of `container` in `pod`, without colour or separating space.
    pub(crate) fn pod_label(self, pod: &str, container: &str) -> String {
        match self {
            Self::Container => format!("[{container}]"),
            Self::Auto if pod == container => format!("[{container}]"),
            Self::PodAndContainer | Self::Auto => format!("[{pod} {container}]"),
            Self::None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skaffold_spellings_with_container_as_default() {
        assert_eq!(LogPrefix::parse("").unwrap(), LogPrefix::Container);
        assert_eq!(LogPrefix::parse("container").unwrap(), LogPrefix::Container);
        assert_eq!(
            LogPrefix::parse("podAndContainer").unwrap(),
            LogPrefix::PodAndContainer
        );
        assert_eq!(LogPrefix::parse("auto").unwrap(), LogPrefix::Auto);
        assert_eq!(LogPrefix::parse("none").unwrap(), LogPrefix::None);
    }

    #[test]
    fn an_unknown_value_is_a_deployer_error() {
        let err = LogPrefix::parse("pod").unwrap_err();
        assert_eq!(err.code, StatusCode::InitCreateDeployerError);
        assert!(err.message.contains("\"pod\""), "{}", err.message);
    }

    #[test]
    fn docker_prefixes_name_the_image() {
        assert_eq!(LogPrefix::Container.label("web"), "[web]");
        assert_eq!(LogPrefix::PodAndContainer.label("web"), "[web]");
        assert_eq!(LogPrefix::Auto.label("web"), "[web]");
        assert_eq!(LogPrefix::None.label("web"), "");
    }

    #[test]
    fn pod_prefixes_follow_skaffolds_kubernetes_logger() {
        assert_eq!(LogPrefix::Container.pod_label("web-1", "app"), "[app]");
        assert_eq!(
            LogPrefix::PodAndContainer.pod_label("app", "app"),
            "[app app]"
        );
        assert_eq!(LogPrefix::Auto.pod_label("web-1", "app"), "[web-1 app]");
        assert_eq!(LogPrefix::Auto.pod_label("app", "app"), "[app]");
        assert_eq!(LogPrefix::None.pod_label("web-1", "app"), "");
    }
}
