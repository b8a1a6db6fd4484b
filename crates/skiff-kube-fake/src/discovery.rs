//! Discovery documents: `/version`, `/api`, `/apis`, `/apis/<group>` and the resource lists of
//! each group version, in the legacy (non-aggregated) format kube-rs and kubectl both read.

use crate::error::{ApiError, ApiResult};
use crate::registry::{Registry, ResourceType, VERBS};
use serde_json::{Value, json};

/// The Kubernetes version the fake claims.
pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.0-skiff-fake",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/openapi/v2`: an empty OpenAPI v2 document in protobuf, the form clients ask for (zero bytes
/// decode to a document with no definitions and no paths; served as `application/octet-stream`
/// like a real server, since the protobuf media type clients accept is no valid MIME type). Clients that validate objects client-side (helm, kubectl without
/// `--validate=false`) then find no schema for any kind and skip validation, as they do for
/// kinds a real server has no schema for, instead of failing to download the document.
pub async fn openapi_v2() -> impl axum::response::IntoResponse {
    (
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        Vec::<u8>::new(),
    )
}

/// `/api`: the core versions, with the address clients reached the server at.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_json(name: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
        .collect();
    json!({"name": name, "versions": versions, "preferredVersion": versions[0]})
}

/// `/apis`: every named group.
pub fn groups(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .groups()
        .iter()
        .map(|(name, versions)| group_json(name, versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`.
pub fn group(registry: &Registry, name: &str) -> ApiResult<Value> {
    let (name, versions) = registry
        .groups()
        .into_iter()
        .find(|(g, _)| g == name)
        .ok_or_else(ApiError::no_route)?;
    let mut group = group_json(&name, &versions);
    group["kind"] = json!("APIGroup");
    group["apiVersion"] = json!("v1");
    Ok(group)
}

fn resource_json(rt: &ResourceType) -> Vec<Value> {
    let verbs: Vec<&str> = VERBS
        .iter()
        .copied()
        .filter(|v| rt.plural != "namespaces" || *v != "deletecollection")
        .collect();
    let mut main = json!({
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": verbs,
    });
    if !rt.short_names.is_empty() {
        main["shortNames"] = json!(rt.short_names);
    }
    if matches!(
        rt.plural.as_str(),
        "pods"
            | "services"
            | "deployments"
            | "statefulsets"
            | "daemonsets"
            | "replicasets"
            | "jobs"
            | "cronjobs"
    ) {
        main["categories"] = json!(["all"]);
    }
    let subs = rt.subresources.iter().map(|s| {
        json!({"name": format!("{}/{}", rt.plural, s.name), "singularName": "", "namespaced": rt.namespaced, "kind": s.kind, "verbs": s.verbs})
    });
    std::iter::once(main).chain(subs).collect()
}

/// `/api/v1` or `/apis/<group>/<version>`.
pub fn resources(registry: &Registry, group: &str, version: &str) -> ApiResult<Value> {
    let types = registry.resources(group, version);
    if types.is_empty() {
        return Err(ApiError::no_route());
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let resources: Vec<Value> = types.into_iter().flat_map(resource_json).collect();
    Ok(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_resources_list_pod_subresources() {
        let list = resources(&Registry::default(), "", "v1").unwrap();
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        for want in [
            "pods",
            "pods/log",
            "pods/exec",
            "pods/portforward",
            "pods/status",
            "namespaces",
            "events",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        let ns = &list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "namespaces")
            .unwrap();
        assert_eq!(ns["namespaced"], false);
        assert!(
            !ns["verbs"]
                .as_array()
                .unwrap()
                .contains(&json!("deletecollection"))
        );
    }

    #[test]
    fn groups_and_unknown_versions() {
        let reg = Registry::default();
        let all = groups(&reg);
        assert!(
            all["groups"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["preferredVersion"]["groupVersion"] == "apps/v1")
        );
        assert_eq!(group(&reg, "batch").unwrap()["kind"], "APIGroup");
        assert_eq!(resources(&reg, "apps", "v2").unwrap_err().code, 404);
    }
}
