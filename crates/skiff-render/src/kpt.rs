//! `manifests.kpt` (each package rendered with `kpt fn render DIR -o unwrap`, as Skaffold's kpt
//! renderer does), and the `transform`/`validate` kpt functions, which skiff does not run.
//!
//! From kpt's output Skaffold drops the `Kptfile` and the documents annotated
//! `config.kubernetes.io/local-config: "true"`: they configure kpt and are not for the cluster.

use std::collections::BTreeMap;
use std::path::Path;

use serde_yaml_ng::Value;
use skiff_config::model::RenderConfig;
use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::tools::{KPT, ToolCommand};
use crate::{ManifestList, RenderError};

/// The annotation that marks a document as configuration for kpt only.
const LOCAL_CONFIG: &str = "config.kubernetes.io/local-config";

/// `manifests.transform`: the transformers Skaffold accepts (`transform.transformerAllowlist`).
const TRANSFORM: KptFunctions = KptFunctions {
    field: "transform",
    kind: "transformer",
    allowed: &[
        "set-namespace",
        "set-labels",
        "set-annotations",
        "create-setters",
        "apply-setters",
        "ensure-name-substring",
        "search-replace",
        "set-enforcement-action",
    ],
    code: StatusCode::ConfigUnknownTransformer,
    suggestion: (
        SuggestionCode::ConfigAllowlistTransformers,
        "please only use the following transformers in skaffold-managed mode: [set-labels]. to \
         use custom transformers, please use kpt-managed mode.",
    ),
};

/// `manifests.validate`: the validators Skaffold accepts (`validate.validatorAllowlist`).
const VALIDATE: KptFunctions = KptFunctions {
    field: "validate",
    kind: "validator",
    allowed: &["kubeval", "gatekeeper"],
    code: StatusCode::ConfigUnknownValidator,
    suggestion: (
        SuggestionCode::ConfigAllowlistValidators,
        "please only use the following validators in skaffold-managed mode: [kubeval]. to use \
         custom validators, please use kpt-managed mode.",
    ),
};

/// Renders each kpt package directory of `dirs` (relative to `base_dir`) with the `kpt` binary
/// found on the `PATH` of `env`.
pub async fn render_kpt(
    dirs: &[String],
    base_dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<ManifestList, RenderError> {
    let kpt = KPT.locate(env)?;
    let mut list = ManifestList::default();
    for dir in dirs {
        let package = base_dir.join(dir).display().to_string();
        let cmd = ToolCommand::new(
            kpt.clone(),
            ["fn", "render", &package, "-o", "unwrap"]
                .map(String::from)
                .to_vec(),
            env,
        );
        let text = cmd
            .stdout(
                StatusCode::UnknownError,
                &format!("kpt fn render of package {dir:?} failed"),
            )
            .await?;
        let rendered = ManifestList::parse(&text, &format!("kpt fn render output of {package}"))?;
        list.extend(ManifestList::from_docs(
            rendered
                .into_docs()
                .into_iter()
                .filter(is_deployable)
                .collect(),
        ));
    }
    Ok(list)
}

/// Whether a kpt output document is for the cluster (not a `Kptfile`, not local config).
fn is_deployable(doc: &Value) -> bool {
    let kptfile = doc.get("kind").and_then(Value::as_str) == Some("Kptfile");
    let local = doc
        .get("metadata")
        .and_then(|m| m.get("annotations"))
        .and_then(|a| a.get(LOCAL_CONFIG))
        .and_then(Value::as_str)
        == Some("true");
    !kptfile && !local
}

/// Checks `manifests.transform` and `manifests.validate`. Skaffold runs these kpt functions in
/// containers; skiff does not, so any entry is an error naming it. A name outside Skaffold's
/// allow-list gets Skaffold's own error and suggestion first.
pub fn check_kpt_functions(config: &RenderConfig) -> Result<(), RenderError> {
    let transformers = config.transform.iter().flatten().map(|t| t.name.as_str());
    check_functions(&TRANSFORM, transformers)?;
    let validators = config.validate.iter().flatten().map(|v| v.name.as_str());
    check_functions(&VALIDATE, validators)
}

/// One list of kpt functions in the config, and Skaffold's rules for it.
struct KptFunctions {
    field: &'static str,
    kind: &'static str,
    allowed: &'static [&'static str],
    code: StatusCode,
    suggestion: (SuggestionCode, &'static str),
}

fn check_functions<'a>(
    functions: &KptFunctions,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), RenderError> {
    let names: Vec<&str> = names.into_iter().collect();
    let KptFunctions { field, kind, .. } = functions;
    if let Some((i, name)) = names
        .iter()
        .enumerate()
        .find(|(_, n)| !functions.allowed.contains(n))
    {
        let (code, action) = functions.suggestion;
        return Err(RenderError::new(
            functions.code,
            format!("manifests.{field}[{i}]: unsupported {kind} {name:?}"),
        )
        .suggest(code, action));
    }
    match names.first() {
        None => Ok(()),
        Some(name) => Err(RenderError::new(
            functions.code,
            format!(
                "manifests.{field}[0]: the {kind} {name:?} is a kpt function that runs in a \
                 container; skiff does not run kpt functions. Remove manifests.{field}, or run \
                 the function in a kpt package listed under manifests.kpt"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use skiff_config::model::{Transformer, Validator};

    use super::*;
    use crate::testing::{assert_contains, assert_starts_with};

    #[test]
    fn kptfiles_and_local_config_are_not_deployed() {
        let list = ManifestList::parse(
            "kind: Kptfile\n---\nkind: ConfigMap\nmetadata:\n  annotations:\n    config.kubernetes.io/local-config: \"true\"\n---\nkind: ConfigMap\nmetadata:\n  name: keep\n",
            "kpt",
        )
        .unwrap();
        let kept: Vec<_> = list.docs().iter().filter(|d| is_deployable(d)).collect();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["metadata"]["name"], "keep");
    }

    #[test]
    fn transform_and_validate_entries_are_errors_naming_the_field() {
        assert!(check_kpt_functions(&RenderConfig::default()).is_ok());
        let config = RenderConfig {
            transform: Some(vec![]),
            validate: Some(vec![]),
            ..RenderConfig::default()
        };
        assert!(check_kpt_functions(&config).is_ok());

        let transform = |name: &str| RenderConfig {
            transform: Some(vec![Transformer {
                name: name.into(),
                config_map: vec![],
            }]),
            ..RenderConfig::default()
        };
        let validate = |name: &str| RenderConfig {
            validate: Some(vec![Validator {
                name: name.into(),
                config_map: vec![],
            }]),
            ..RenderConfig::default()
        };
        let cases = [
            (
                transform("set-labels"),
                StatusCode::ConfigUnknownTransformer,
                "manifests.transform[0]: the transformer \"set-labels\" is a kpt function that runs in a container",
                None,
            ),
            (
                transform("nope"),
                StatusCode::ConfigUnknownTransformer,
                "manifests.transform[0]: unsupported transformer \"nope\"",
                Some(SuggestionCode::ConfigAllowlistTransformers),
            ),
            (
                validate("kubeval"),
                StatusCode::ConfigUnknownValidator,
                "manifests.validate[0]: the validator \"kubeval\" is a kpt function that runs in a container",
                None,
            ),
            (
                validate("nope"),
                StatusCode::ConfigUnknownValidator,
                "manifests.validate[0]: unsupported validator \"nope\"",
                Some(SuggestionCode::ConfigAllowlistValidators),
            ),
        ];
        for (config, code, start, suggestion) in cases {
            let err = check_kpt_functions(&config).unwrap_err();
            assert_eq!(err.code, code, "{}", err.message);
            assert_starts_with(&err.message, start);
            assert_eq!(err.suggestion.map(|s| s.0), suggestion, "{}", err.message);
        }
    }

    #[tokio::test]
    async fn a_missing_kpt_says_how_to_install_it() {
        let env = BTreeMap::from([("PATH".to_string(), "/nonexistent".to_string())]);
        let err = render_kpt(&["pkg".into()], Path::new("."), &env)
            .await
            .unwrap_err();
        assert_starts_with(&err.message, "kpt not found");
        assert_contains(&err.message, "https://kpt.dev/installation/");
    }
}
