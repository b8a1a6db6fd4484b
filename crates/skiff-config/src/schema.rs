//! The JSON schema of `skaffold.yaml`, generated from the typed model ([`crate::model`]).
//!
//! The schema describes the latest version only, the one the model is: property names are the
//! YAML keys, doc comments become `description`s, and every object rejects unknown keys
//! (`additionalProperties: false`), as the loader does.

use schemars::generate::SchemaSettings;

use crate::model::SkaffoldConfig;
use crate::upgrade::{self, LATEST_VERSION};

/// Why no schema is generated for a version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// A version skiff reads (and upgrades) but does not describe.
    #[error(
        "skiff generates the schema of the latest version only ({LATEST_VERSION}); `skiff fix` \
         upgrades a config to it"
    )]
    NotLatest {
        /// The version asked for.
        version: String,
    },
    /// A version skiff does not know.
    #[error("schema {version:?} not found: supported versions are {supported}", supported = upgrade::supported_summary())]
    Unknown {
        /// The version asked for.
        version: String,
    },
}

/// The JSON schema (draft-07) of a `skaffold.yaml` document of `version`, which must be
/// [`LATEST_VERSION`].
pub fn json_schema(version: &str) -> Result<serde_json::Value, SchemaError> {
    if version != LATEST_VERSION {
        let version = version.to_string();
        return Err(if upgrade::is_supported(&version) {
            SchemaError::NotLatest { version }
        } else {
            SchemaError::Unknown { version }
        });
    }
    let schema = SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<SkaffoldConfig>();
    Ok(meta_schema_first(schema.to_value()))
}

/// The schema with its `$schema` key moved to the front, where readers look for it.
fn meta_schema_first(schema: serde_json::Value) -> serde_json::Value {
    let serde_json::Value::Object(mut rest) = schema else {
        return schema;
    };
    let mut out = serde_json::Map::new();
    if let Some(meta) = rest.remove("$schema") {
        out.insert("$schema".to_string(), meta);
    }
    out.append(&mut rest);
    serde_json::Value::Object(out)
}
