//! [`ManifestList`]: the Kubernetes documents of a render, in order, each one a YAML mapping
//! whose key order is kept.

mod yaml_v3;

use serde_yaml_ng::Value;
use skiff_proto::enums::StatusCode;

use crate::RenderError;

/// The separator Skaffold puts between rendered documents.
const SEPARATOR: &str = "\n---\n";

/// The rendered documents, in the order they will be applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ManifestList {
    docs: Vec<Value>,
}

impl ManifestList {
    /// The documents of a multi-document YAML text; empty documents (`---` alone, comments
    /// only) are dropped, as kubectl does. `origin` names where the text came from in errors.
    ///
    /// A syntax error is reported as `origin:LINE:COLUMN: what is wrong`, the position counted
    /// from the start of `text` (so across documents of one file), with Skaffold's
    /// `RENDER_REPLACE_IMAGE_ERR` (Skaffold first parses the documents when it replaces images).
    pub fn parse(text: &str, origin: &str) -> Result<Self, RenderError> {
        let mut docs = Vec::new();
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let value: Value = serde::Deserialize::deserialize(document)
                .map_err(|err| syntax_error(&err, origin))?;
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

    /// The documents as `skaffold render` prints them (Skaffold's `ManifestList.String()`):
    /// each one as Go's yaml.v3 writes it (2-space indent, sequences indented under their key;
    /// keys in the source's order, where Skaffold sorts them), trimmed, joined by
    /// `\n---\n`, with no newline after the last one. Empty when there are no documents.
    pub fn to_yaml(&self) -> String {
        self.docs
            .iter()
            .map(|doc| yaml_v3::to_string(doc).trim().to_string())
            .collect::<Vec<_>>()
            .join(SEPARATOR)
    }
}

fn syntax_error(err: &serde_yaml_ng::Error, origin: &str) -> RenderError {
    let message = err.to_string();
    let text = match err.location() {
        Some(at) => {
            let (line, column) = (at.line(), at.column());
            let reason = message.replacen(&format!(" at line {line} column {column}"), "", 1);
            format!("{origin}:{line}:{column}: {reason}")
        }
        None => format!("{origin}: {message}"),
    };
    RenderError::new(
        StatusCode::RenderReplaceImageErr,
        format!("reading Kubernetes YAML: {text}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::assert_starts_with;

    #[test]
    fn parse_keeps_documents_in_order_and_drops_empty_ones() {
        let list = ManifestList::parse(
            "---\nkind: A\n---\n# only a comment\n---\nkind: B\n...\n",
            "m.yaml",
        )
        .unwrap();
        let kinds: Vec<_> = list.docs().iter().map(|d| d["kind"].clone()).collect();
        assert_eq!(kinds, [Value::from("A"), Value::from("B")]);
    }

    #[test]
    fn a_syntax_error_names_the_file_line_and_column() {
        let text = "kind: A\n---\nkind: B\nmetadata:\n  name: x\n   bad: y\n";
        let err = ManifestList::parse(text, "k8s/app.yaml").unwrap_err();
        assert_eq!(err.code, StatusCode::RenderReplaceImageErr);
        assert_starts_with(&err.message, "reading Kubernetes YAML: k8s/app.yaml:6:");
        assert!(!err.message.contains(" at line "), "{}", err.message);
    }

    #[test]
    fn to_yaml_joins_trimmed_documents_like_skaffold() {
        let list = ManifestList::parse(
            "kind: A\nmetadata: {name: a}\n---\nkind: B\napiVersion: v1\n",
            "m",
        )
        .unwrap();
        assert_eq!(
            list.to_yaml(),
            "kind: A\nmetadata:\n  name: a\n---\nkind: B\napiVersion: v1"
        );
        assert_eq!(ManifestList::default().to_yaml(), "");
    }

    #[test]
    fn to_yaml_reads_back_as_the_same_documents() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: 'true'\n  b: \"1\"\n  c: \"line1\\nline2\\n\"\n  d: ''\n  e: '*star'\n  f: \"tab\\there\"\n  g: 2024-01-02\n";
        let list = ManifestList::parse(text, "m").unwrap();
        let again = ManifestList::parse(&list.to_yaml(), "again").unwrap();
        assert_eq!(again, list);
    }
}
