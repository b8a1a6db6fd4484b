//! Test helpers: Kubernetes objects written as the YAML of what an API server returns.

use k8s_openapi::serde::de::DeserializeOwned;

/// The object `yaml` describes; panics on YAML the type does not accept.
pub(crate) fn object<T: DeserializeOwned>(yaml: &str) -> T {
    serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| panic!("bad fixture: {e}\n{yaml}"))
}
