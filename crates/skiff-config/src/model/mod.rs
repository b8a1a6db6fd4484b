//! Typed model of `skaffold/v4beta14`: one Rust type for every definition of Skaffold's JSON
//! schema.
//!
//! Conventions:
//! - Field names are the snake_case of the YAML keys (`context`, not Go's `Workspace`); keys that
//!   camelCase cannot spell (`HTTP_PROXY`, `useDockerCLI`, `projectID`) are renamed explicitly.
//! - Every struct rejects unknown keys. Optional scalars follow Skaffold's Go types: a Go
//!   `string` is a `String` where `""` means unset, a Go pointer is an `Option`.
//! - Skaffold's one-of groups (`yamltags:"oneOf=…"`) are enums: [`ArtifactType`], [`BuildType`],
//!   [`TagPolicy`], [`SyncMode`], [`ConfigSource`], [`ChartSource`], [`SecretSource`],
//!   [`CustomDependencySource`], [`CustomTestDependencySource`], [`SyncHookItem`],
//!   [`DeployHookItem`]. Setting two members is an error that names both.
//! - Serialization skips empty and unset fields, so a loaded config prints back as valid
//!   `v4beta14` YAML.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[macro_use]
mod macros;

mod build;
mod config;
mod deploy;
mod pipeline;
mod render;

pub use build::*;
pub use config::*;
pub use deploy::*;
pub use pipeline::*;
pub use render::*;

/// Any YAML value: used where Skaffold embeds Kubernetes types (`tolerations`, `volumes`,
/// kaniko `env` and `volumeMounts`) or free-form YAML (helm `overrides`, patch `value`).
pub type YamlValue = serde_yaml_ng::Value;

/// The only `apiVersion` the typed model describes.
pub const API_VERSION: &str = "skaffold/v4beta14";

/// The default (and only) `kind`.
pub const KIND: &str = "Config";

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}

pub(crate) fn is_zero<T: Default + PartialEq>(n: &T) -> bool {
    *n == T::default()
}

pub(crate) fn is_default<T: Default + PartialEq>(t: &T) -> bool {
    *t == T::default()
}

/// What counts as "set" for a member of a one-of group: Skaffold treats a member as set when it
/// is not its Go zero value, so an empty string is unset while an empty list (`paths: []`) is set.
pub(crate) trait OneOfValue {
    fn is_zero(&self) -> bool {
        false
    }
}

impl OneOfValue for String {
    fn is_zero(&self) -> bool {
        self.is_empty()
    }
}
impl<T> OneOfValue for Vec<T> {}
impl OneOfValue for bool {}

/// `schema` with the `description` made of a type's doc comment lines (as `#[doc]` gives them),
/// trimmed and joined by newlines as the derived schemas' descriptions are.
pub(crate) fn described(mut schema: schemars::Schema, doc: &[&str]) -> schemars::Schema {
    let lines: Vec<&str> = doc.iter().map(|line| line.trim()).collect();
    let description = lines.join("\n");
    if !description.trim().is_empty() {
        schema.insert("description".into(), description.trim().into());
    }
    schema
}

/// The message for two members of a one-of group set together.
pub(crate) fn one_of_conflict(first: &str, second: &str, all: &[&str]) -> String {
    format!(
        "`{first}` and `{second}` cannot both be set: use only one of {}",
        all.join(", ")
    )
}

/// The message for a required one-of group with no member set.
pub(crate) fn one_of_missing(all: &[&str]) -> String {
    format!("one of {} must be set", all.join(", "))
}

/// A port: a number, or a name (`http`) that Kubernetes resolves. A number written as a quoted
/// string is a number, as in Skaffold.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IntOrString {
    /// A numeric value.
    Int(i64),
    /// A name.
    String(String),
}

impl Default for IntOrString {
    fn default() -> Self {
        IntOrString::Int(0)
    }
}

impl IntOrString {
    /// The number, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            IntOrString::Int(i) => Some(*i),
            IntOrString::String(_) => None,
        }
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(i) => write!(f, "{i}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(i) => s.serialize_i64(*i),
            IntOrString::String(v) => s.serialize_str(v),
        }
    }
}

impl schemars::JsonSchema for IntOrString {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntOrString".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A port number, or a port name that Kubernetes resolves.",
            "anyOf": [{ "type": "integer" }, { "type": "string" }, { "type": "boolean" }]
        })
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = IntOrString;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port number or name")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<IntOrString, E> {
                Ok(IntOrString::Int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<IntOrString, E> {
                i64::try_from(v)
                    .map(IntOrString::Int)
                    .map_err(|_| E::custom(format!("number {v} is too large")))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<IntOrString, E> {
                Ok(IntOrString::String(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<IntOrString, E> {
                Err(E::custom(format!(
                    "expected a port number or name, found number `{v}`"
                )))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IntOrString, E> {
                Ok(match v.parse::<i64>() {
                    Ok(i) => IntOrString::Int(i),
                    Err(_) => IntOrString::String(v.to_string()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// Helm `setValues`/`setValueTemplates`: nested mappings and lists are flattened into dotted
/// keys (`image.tag`, `list[0]`), scalars into strings, as Skaffold's `util.FlatMap` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FlatMap(pub BTreeMap<String, String>);

impl FlatMap {
    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The schema of a free-form YAML mapping (any keys, any values).
fn free_form_mapping(description: &str) -> schemars::Schema {
    schemars::json_schema!({ "description": description, "type": "object" })
}

impl schemars::JsonSchema for FlatMap {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FlatMap".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        free_form_mapping(
            "Values set on the command line: nested mappings and lists become dotted keys.",
        )
    }
}

impl<'de> Deserialize<'de> for FlatMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = YamlValue::deserialize(d)?;
        let mut out = BTreeMap::new();
        match &value {
            YamlValue::Null => {}
            YamlValue::Mapping(m) => flatten_mapping(m, "", &mut out),
            _ => return Err(serde::de::Error::custom("expected a mapping")),
        }
        Ok(FlatMap(out))
    }
}

fn scalar_key(k: &YamlValue) -> String {
    match k {
        YamlValue::String(s) => s.clone(),
        other => go_format(other),
    }
}

fn flatten_mapping(m: &serde_yaml_ng::Mapping, prefix: &str, out: &mut BTreeMap<String, String>) {
    for (k, v) in m {
        flatten_item(v, &format!("{prefix}{}", scalar_key(k)), out);
    }
}

fn flatten_item(v: &YamlValue, key: &str, out: &mut BTreeMap<String, String>) {
    match v {
        YamlValue::Mapping(m) => flatten_mapping(m, &format!("{key}."), out),
        YamlValue::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten_item(item, &format!("{key}[{i}]"), out);
            }
        }
        other => {
            out.insert(key.to_string(), go_format(other));
        }
    }
}

/// Go's `fmt.Sprintf("%v", v)` for a YAML scalar.
fn go_format(v: &YamlValue) -> String {
    match v {
        YamlValue::Null => "<nil>".to_string(),
        YamlValue::Bool(b) => b.to_string(),
        YamlValue::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && f.abs() < 1e21 {
                    format!("{f:.0}")
                } else {
                    format!("{f}")
                }
            } else {
                n.to_string()
            }
        }
        YamlValue::String(s) => s.clone(),
        YamlValue::Tagged(t) => go_format(&t.value),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .to_string(),
    }
}

/// Helm `overrides`: free-form values written to a values file, in source order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HelmOverrides(pub serde_yaml_ng::Mapping);

impl schemars::JsonSchema for HelmOverrides {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HelmOverrides".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        free_form_mapping("Free-form values written to a values file.")
    }
}

impl HelmOverrides {
    /// No values.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The Kubernetes resource type of a port forward (`Service`, `Pod`, `Deployment`, …, or
/// `Container` for the docker deployer). Skaffold compares it case-insensitively.
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct ResourceType(pub String);

impl ResourceType {
    /// Not set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lower-cased type, as Skaffold compares it.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl_one_of_value!(
    GitInfo,
    GoogleCloudStorageInfo,
    GoogleCloudBuildRepoV2Info,
    LocalBuild,
    GoogleCloudBuild,
    ClusterDetails,
    GitTagger,
    ShaTagger,
    EnvTemplateTagger,
    DateTimeTagger,
    CustomTemplateTagger,
    InputDigest,
    DockerArtifact,
    BazelArtifact,
    KoArtifact,
    JibArtifact,
    KanikoArtifact,
    BuildpackArtifact,
    CustomArtifact,
    DockerfileDependency,
    HostHook,
    ContainerHook,
    NamedContainerHook,
);

#[cfg(test)]
mod tests;
