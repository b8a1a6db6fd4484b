//! The containers a sync goes to: those of the run's Running pods whose image is the built
//! reference, as Skaffold picks them (`spec.containers[].image` equal to the built tag).

use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use skiff_proto::enums::StatusCode;

use crate::error::DeployError;
use crate::kubernetes::client::api_error;
use crate::kubernetes::exec::Target;

/// The containers of `pod` whose image is `reference`, when the pod is Running.
pub(super) fn matching_containers(pod: &Pod, reference: &str) -> Vec<String> {
    let running = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .is_some_and(|phase| phase == "Running");
    if !running {
        return Vec::new();
    }
    pod.spec
        .iter()
        .flat_map(|spec| &spec.containers)
        .filter(|c| c.image.as_deref() == Some(reference))
        .map(|c| c.name.clone())
        .collect()
}

/// The image of the container `container` of `pod`, as its spec names it.
pub(super) fn container_image<'a>(pod: &'a Pod, container: &str) -> Option<&'a str> {
    pod.spec
        .iter()
        .flat_map(|spec| &spec.containers)
        .find(|c| c.name == container)
        .and_then(|c| c.image.as_deref())
}

/// Every container running `reference` in the Running pods labelled `selector` of the
/// namespaces of `apis`.
pub(super) async fn containers_running(
    apis: &[Api<Pod>],
    selector: &str,
    reference: &str,
) -> Result<Vec<Target>, DeployError> {
    let params = ListParams::default()
        .labels(selector)
        .fields("status.phase=Running");
    let mut targets = Vec::new();
    for api in apis {
        let pods = api.list(&params).await.map_err(|e| {
            api_error(
                &format!(
                    "getting pods for namespace {:?}",
                    api.namespace().unwrap_or_default()
                ),
                &e,
                StatusCode::SyncUnknown,
            )
        })?;
        for pod in &pods.items {
            let name = pod.name_any();
            targets.extend(
                matching_containers(pod, reference)
                    .into_iter()
                    .map(|container| Target {
                        api: api.clone(),
                        pod: name.clone(),
                        container,
                    }),
            );
        }
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(phase: &str, containers: &[(&str, &str)]) -> Pod {
        let containers: Vec<_> = containers
            .iter()
            .map(|(name, image)| serde_json::json!({"name": name, "image": image}))
            .collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web"},
            "spec": {"containers": containers},
            "status": {"phase": phase},
        }))
        .unwrap()
    }

    #[test]
    fn only_containers_of_the_reference_in_running_pods_match() {
        let both = pod(
            "Running",
            &[("app", "app:1"), ("side", "side:1"), ("b", "app:1")],
        );
        assert_eq!(matching_containers(&both, "app:1"), ["app", "b"]);
        assert!(matching_containers(&both, "app:2").is_empty());
        assert!(matching_containers(&pod("Pending", &[("app", "app:1")]), "app:1").is_empty());
    }

    #[test]
    fn a_containers_image_comes_from_the_spec() {
        let pod = pod("Running", &[("app", "app:1"), ("side", "side:1")]);
        assert_eq!(container_image(&pod, "side"), Some("side:1"));
        assert_eq!(container_image(&pod, "none"), None);
    }
}
