//! What the API server fills in on create: a Job's generated selector, a Service's cluster IP
//! and the initial status of the kinds that start with one (namespaces, pods, CRDs, nodes).

use crate::registry::ResourceType;
use crate::{names, object};
use serde_json::{Value, json};

/// Whether `rt` is CustomResourceDefinition itself (whose objects declare new types).
pub fn is_crd_type(rt: &ResourceType) -> bool {
    rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions"
}

/// What the API server defaults on a Job without a manual selector: a selector on the Job's
/// uid, and the matching labels on its pod template.
pub fn default_job(rt: &ResourceType, obj: &mut Value) {
    if (rt.group.as_str(), rt.plural.as_str()) != ("batch", "jobs")
        || obj.pointer("/spec/selector").is_some()
    {
        return;
    }
    let (uid, name) = (object::uid(obj).to_string(), object::name(obj).to_string());
    obj["spec"]["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
    let template = &mut obj["spec"]["template"];
    let labels = object::metadata_mut(template)
        .entry("labels")
        .or_insert_with(|| json!({}));
    for (k, v) in [
        ("batch.kubernetes.io/controller-uid", &uid),
        ("batch.kubernetes.io/job-name", &name),
        ("controller-uid", &uid),
        ("job-name", &name),
    ] {
        labels[k] = json!(v);
    }
}

/// What the API server allocates for a new Service that is not `ExternalName` and names no
/// `clusterIP`: an address of the service range (`10.96.0.0/12`), here derived from `serial`
/// (unique per object, so two Services never share one). Clients such as `helm --wait` hold a
/// Service without one as not ready. No traffic is ever sent to it.
pub fn default_service(rt: &ResourceType, obj: &mut Value, serial: u64) {
    if (rt.group.as_str(), rt.plural.as_str()) != ("", "services")
        || obj.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName")
        || obj
            .pointer("/spec/clusterIP")
            .and_then(Value::as_str)
            .is_some_and(|ip| !ip.is_empty())
    {
        return;
    }
    let ip = format!("10.96.{}.{}", (serial >> 8) & 0xff, serial & 0xff);
    let spec = obj
        .as_object_mut()
        .expect("an object")
        .entry("spec")
        .or_insert_with(|| json!({}));
    spec["clusterIP"] = json!(ip);
    spec["clusterIPs"] = json!([ip]);
}

/// The status a new object starts with (`None`: no status until a controller writes one). A
/// Node keeps the status it is created with, as a kubelet registers its node with one.
pub fn initial_status(rt: &ResourceType, obj: &Value) -> Option<Value> {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "nodes") => obj.get("status").cloned(),
        ("", "namespaces") => Some(json!({"phase": "Active"})),
        ("", "pods") => Some(json!({"phase": "Pending", "qosClass": "BestEffort"})),
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            let now = names::now_rfc3339();
            let storage: Vec<Value> = obj
                .pointer("/spec/versions")
                .and_then(Value::as_array)
                .map(|vs| {
                    vs.iter()
                        .filter(|v| v["storage"] == json!(true))
                        .map(|v| v["name"].clone())
                        .collect()
                })
                .unwrap_or_default();
            Some(json!({
                "conditions": [
                    {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts", "message": "no conflicts found"},
                    {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
                ],
                "acceptedNames": obj.pointer("/spec/names").cloned().unwrap_or_default(),
                "storedVersions": storage,
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn rt(plural: &str) -> ResourceType {
        Registry::default().find("", "v1", plural).unwrap().clone()
    }

    #[test]
    fn only_services_without_an_address_get_a_cluster_ip() {
        let mut plain = json!({"spec": {"ports": [{"port": 80}]}});
        default_service(&rt("services"), &mut plain, 0x1234);
        assert_eq!(plain["spec"]["clusterIP"], "10.96.18.52");
        assert_eq!(plain["spec"]["clusterIPs"], json!(["10.96.18.52"]));
        for kept in [
            json!({"spec": {"clusterIP": "None"}}),
            json!({"spec": {"type": "ExternalName", "externalName": "x.test"}}),
        ] {
            let mut obj = kept.clone();
            default_service(&rt("services"), &mut obj, 1);
            assert_eq!(obj, kept);
        }
        let mut config_map = json!({"data": {}});
        default_service(&rt("configmaps"), &mut config_map, 1);
        assert_eq!(config_map, json!({"data": {}}));
    }
}
