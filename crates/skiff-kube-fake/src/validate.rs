//! The few validations whose `422 Invalid` answers skiff must handle like a real cluster's:
//! object names, workload selectors that must match their template, and immutable fields
//! (a workload's selector, a Job's template) that make a redeploy need delete-and-recreate.

use crate::error::{ApiError, ApiResult};
use crate::registry::ResourceType;
use serde_json::Value;

const SUBDOMAIN_RULE: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', \
     and must start and end with an alphanumeric character";
const LABEL_RULE: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', \
     and must start and end with an alphanumeric character";

fn invalid(rt: &ResourceType, name: &str, field: &str, detail: &str) -> ApiError {
    ApiError::invalid(&rt.kind, &rt.group, name, field, detail)
}

fn is_dns_label(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| alnum(c) || c == '-')
        && s.starts_with(alnum)
        && s.ends_with(alnum)
}

/// Checks `metadata.name`: a DNS-1123 label for namespaces and services, a subdomain otherwise.
pub fn name(rt: &ResourceType, name: &str) -> ApiResult<()> {
    let label_only = matches!(rt.plural.as_str(), "namespaces" | "services");
    let ok = if label_only {
        is_dns_label(name)
    } else {
        name.len() <= 253 && name.split('.').all(is_dns_label)
    };
    if ok {
        return Ok(());
    }
    let rule = if label_only {
        LABEL_RULE
    } else {
        SUBDOMAIN_RULE
    };
    Err(invalid(
        rt,
        name,
        "metadata.name",
        &format!("Invalid value: \"{name}\": {rule}"),
    ))
}

fn is_workload(rt: &ResourceType) -> bool {
    matches!(
        (rt.group.as_str(), rt.plural.as_str()),
        ("apps", _) | ("batch", "jobs")
    )
}

/// Checks a new or updated workload: a selector is present (except for Jobs, which get one
/// generated) and matches the template labels; on update, the selector (and a Job's template)
/// did not change.
pub fn workload(rt: &ResourceType, object: &Value, old: Option<&Value>) -> ApiResult<()> {
    if !is_workload(rt) {
        return Ok(());
    }
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let selector = object
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object);
    let labels = object
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object);
    match (selector, rt.plural.as_str()) {
        (None, "jobs") => {}
        (None, _) => return Err(invalid(rt, name, "spec.selector", "Required value")),
        (Some(selector), _) => {
            let matches = selector
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
            if !matches {
                let shown = serde_json::to_string(&labels).unwrap_or_default();
                return Err(invalid(
                    rt,
                    name,
                    "spec.template.metadata.labels",
                    &format!("Invalid value: {shown}: `selector` does not match template `labels`"),
                ));
            }
        }
    }
    let Some(old) = old else { return Ok(()) };
    let mut immutable = vec!["/spec/selector"];
    if rt.plural == "jobs" {
        immutable.push("/spec/template");
    }
    for pointer in immutable {
        let (before, after) = (old.pointer(pointer), object.pointer(pointer));
        if after.is_some() && before != after {
            let field = pointer.trim_start_matches('/').replace('/', ".");
            let shown = after.map(Value::to_string).unwrap_or_default();
            return Err(invalid(
                rt,
                name,
                &field,
                &format!("Invalid value: {shown}: field is immutable"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;
    use serde_json::json;

    fn rt(group: &str, plural: &str) -> ResourceType {
        Registry::default()
            .find(group, "v1", plural)
            .unwrap()
            .clone()
    }

    #[test]
    fn names() {
        assert!(name(&rt("", "configmaps"), "a.b-c").is_ok());
        assert!(name(&rt("", "services"), "a.b").is_err());
        let err = name(&rt("", "pods"), "Bad_Name").unwrap_err();
        assert_eq!(err.code, 422);
        assert!(
            err.message
                .starts_with("Pod \"Bad_Name\" is invalid: metadata.name: Invalid value"),
            "{}",
            err.message
        );
    }

    #[test]
    fn selector_must_match_template_and_stay_put() {
        let deploy = rt("apps", "deployments");
        let good = json!({"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web", "x": "y"}}}}});
        assert!(workload(&deploy, &good, None).is_ok());
        let mut bad = good.clone();
        bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "db"});
        assert_eq!(workload(&deploy, &bad, None).unwrap_err().code, 422);
        let mut moved = good.clone();
        moved["spec"]["selector"]["matchLabels"]["x"] = json!("y");
        let err = workload(&deploy, &moved, Some(&good)).unwrap_err();
        assert!(
            err.message.contains("spec.selector: Invalid value")
                && err.message.ends_with("field is immutable"),
            "{}",
            err.message
        );
    }

    #[test]
    fn job_template_is_immutable() {
        let jobs = rt("batch", "jobs");
        let job = json!({"metadata": {"name": "j"}, "spec": {"template": {"spec": {"containers": [{"image": "a"}]}}}});
        let mut changed = job.clone();
        changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("b");
        assert!(workload(&jobs, &job, None).is_ok());
        assert!(
            workload(&jobs, &changed, Some(&job))
                .unwrap_err()
                .message
                .contains("spec.template")
        );
    }
}
