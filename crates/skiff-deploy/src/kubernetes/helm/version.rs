//! Which helm is installed, for the features that need a minimum version: Skaffold reads the
//! first `v?<digit>…` word of `helm version` and refuses `createNamespace` before helm 3.2
//! (`DEPLOY_HELM_CREATE_NS_NOT_AVAILABLE`).

use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::DeployError;

/// A helm version's major and minor numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct HelmVersion {
    /// The major version (3 for `v3.17.3`).
    pub major: u64,
    /// The minor version (17 for `v3.17.3`).
    pub minor: u64,
}

/// The first helm version with `--create-namespace`.
pub const CREATE_NAMESPACE_SINCE: HelmVersion = HelmVersion { major: 3, minor: 2 };

impl std::fmt::Display for HelmVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The version in the output of `helm version` (`version.BuildInfo{Version:"v3.17.3", …}` or
/// `v3.17.3+ge4da497`): the first run of digits and dots after an optional `v`.
pub fn parse_helm_version(text: &str) -> Option<HelmVersion> {
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let mut numbers = text[start..]
        .split(|c: char| !c.is_ascii_digit())
        .map(str::parse::<u64>);
    let major = numbers.next()?.ok()?;
    let minor = numbers.next().and_then(Result::ok).unwrap_or(0);
    Some(HelmVersion { major, minor })
}

/// Skaffold's error when `createNamespace` is set and helm is older than 3.2.
pub fn check_create_namespace(version: HelmVersion) -> Result<(), DeployError> {
    if version >= CREATE_NAMESPACE_SINCE {
        return Ok(());
    }
    Err(DeployError::new(
        StatusCode::DeployHelmCreateNsNotAvailable,
        format!(
            "Skaffold config options `createNamespace` is not available in the current Helm \
             version {version}"
        ),
    )
    .suggest(
        SuggestionCode::UpgradeHelm32,
        "Please update Helm to version 3.2 or higher, or set `releases.createNamespace` to \
         false and try again",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_read_from_both_output_forms() {
        let v = |major, minor| Some(HelmVersion { major, minor });
        assert_eq!(parse_helm_version("v3.17.3+ge4da497\n"), v(3, 17));
        assert_eq!(
            parse_helm_version(r#"version.BuildInfo{Version:"v3.1.0", GitCommit:"b29d20b"}"#),
            v(3, 1)
        );
        assert_eq!(parse_helm_version("4"), v(4, 0));
        assert_eq!(parse_helm_version("no version here"), None);
    }

    #[test]
    fn create_namespace_needs_helm_3_2() {
        assert!(check_create_namespace(HelmVersion { major: 3, minor: 2 }).is_ok());
        assert!(check_create_namespace(HelmVersion { major: 4, minor: 0 }).is_ok());
        let err = check_create_namespace(HelmVersion { major: 3, minor: 1 }).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmCreateNsNotAvailable);
        assert!(err.message.ends_with("version 3.1"), "{}", err.message);
        assert_eq!(err.suggestion.unwrap().0, SuggestionCode::UpgradeHelm32);
    }
}
