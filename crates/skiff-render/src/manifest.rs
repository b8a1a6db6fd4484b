//! [`ManifestList`]: the Kubernetes documents of a render, in order, each one a YAML mapping
//! whose key order is kept.

use serde_yaml_ng::Value;
use skiff_proto::enums::StatusCode;

use crate::RenderError;

/// The rendered documents, in the order they will be applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestList {
    docs: Vec<Value>,
}

impl ManifestList {
    /// The documents of a multi-document YAML text; empty documents (`---` alone, comments
    /// only) are dropped, as kubectl does. `origin` names where the text came from in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Self, RenderError> {
        let mut docs = Vec::new();
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let value: Value = serde::Deserialize::deserialize(document).map_err(|err| {
                RenderError::new(
                    StatusCode::DeployReadManifestErr,
                    format!("reading manifests from {origin}: {err}"),
                )
            })?;
            if !value.is_null() {
                docs.push(value);
            }
        }
        Ok(Self { docs })
    }

    /// A list of the given documents.
    pub fn from_docs(docs: Vec<Value>) -> Self {
        Self { docs }
    }

    /// The documents.
    pub fn docs(&self) -> &[Value] {
        &self.docs
    }

    /// The documents, to change in place.
    pub fn docs_mut(&mut self) -> &mut [Value] {
        &mut self.docs
    }

    /// The documents, by value.
    pub fn into_docs(self) -> Vec<Value> {
        self.docs
    }

    /// Appends the documents of `other`.
    pub fn extend(&mut self, other: ManifestList) {
        self.docs.extend(other.docs);
    }

    /// How many documents there are.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// Whether there are no documents.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }
}
