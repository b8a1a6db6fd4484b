//! Reading `skaffold.yaml` files into typed configs.
//!
//! [`load_file`] reads a file of one or more YAML documents, skips empty and comment-only
//! documents, checks that each remaining document is a Skaffold config, upgrades older
//! `apiVersion`s to `skaffold/v4beta14` (through [`crate::upgrade::to_latest`]), and deserializes
//! each into a [`SkaffoldConfig`]. Nothing is defaulted or validated here: see
//! [`crate::defaults`] and [`crate::validate()`], which Skaffold runs after applying profiles.
//!
//! Every error names the file, line, column and field path (see [`ConfigError`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{ConfigError, StatusCode, SuggestionCode};
use crate::model::{API_VERSION, KIND, SkaffoldConfig};
use crate::yaml::{self, Node, NodeKind, Pos, Segment};

/// The configs of one or more files, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ConfigSet {
    /// One entry per config document.
    pub entries: Vec<ConfigEntry>,
}

/// One config and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    /// The typed config.
    pub config: SkaffoldConfig,
    /// Its source, for positions in later errors.
    pub source: Source,
}

/// Where a config came from: file, document, original version, and the YAML tree (with
/// positions) it was read from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// The file.
    pub file: PathBuf,
    /// 0-based index of the config among the file's configs (empty documents not counted), as
    /// Skaffold's `SourceIndex`.
    pub index: usize,
    /// The `apiVersion` the document was written in (before any upgrade).
    pub original_api_version: String,
    text: Arc<str>,
    root: Arc<Node>,
}

impl Source {
    /// A source for a config that was not read from a file (tests, generated configs).
    pub fn synthetic(file: impl Into<PathBuf>) -> Source {
        Source {
            file: file.into(),
            index: 0,
            original_api_version: API_VERSION.to_string(),
            text: Arc::from(""),
            root: Arc::new(Node::null(Pos::default())),
        }
    }

    /// The position of the field at `path` (its key, for a mapping entry), or of the nearest
    /// enclosing field that is in the file.
    pub fn locate(&self, path: &[Segment]) -> Pos {
        yaml::locate(&self.root, path)
    }

    /// The YAML tree the config was read from (after upgrading).
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The whole source text of the file.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The same source with another YAML tree (the config after profiles: nodes that came from
    /// a profile or a patch keep their own positions in the same file).
    pub(crate) fn with_root(&self, root: Node) -> Source {
        Source {
            root: Arc::new(root),
            ..self.clone()
        }
    }

    /// An error about the field at `path` of this config.
    pub fn error(
        &self,
        path: &[Segment],
        code: StatusCode,
        message: impl Into<String>,
    ) -> ConfigError {
        ConfigError::new(&self.file, code, message)
            .at(self.locate(path), &self.text)
            .with_path(path)
    }
}

impl ConfigSet {
    /// The configs, in order.
    pub fn configs(&self) -> impl Iterator<Item = &SkaffoldConfig> {
        self.entries.iter().map(|e| &e.config)
    }

    /// The configs, mutably (for applying profiles and defaults).
    pub fn configs_mut(&mut self) -> impl Iterator<Item = &mut SkaffoldConfig> {
        self.entries.iter_mut().map(|e| &mut e.config)
    }

    /// Number of configs.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No configs.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Append the configs of another set (for `requires`).
    pub fn extend(&mut self, other: ConfigSet) {
        self.entries.extend(other.entries);
    }

    /// All configs as one multi-document `skaffold/v4beta14` YAML text.
    pub fn to_yaml(&self) -> Result<String, serde_yaml_ng::Error> {
        let mut out = String::new();
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push_str("---\n");
            }
            out.push_str(&yaml::emit::to_string(&e.config)?);
        }
        Ok(out)
    }
}

/// Read and parse a `skaffold.yaml` file.
pub fn load_file(path: impl AsRef<Path>) -> Result<ConfigSet, ConfigError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ConfigError::not_found(path, &e),
        _ => ConfigError::new(
            path,
            StatusCode::ConfigFileParsingErr,
            format!("cannot read configuration file: {e}"),
        ),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let valid = String::from_utf8_lossy(valid);
        let line = valid.matches('\n').count() + 1;
        let col = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ConfigError::new(
            path,
            StatusCode::ConfigFileParsingErr,
            "the file is not valid UTF-8",
        )
        .at(Pos::new(line, col), &valid)
    })?;
    load_str(&text, path)
}

/// Parse `skaffold.yaml` text; `file` names it in errors and in each [`Source`].
pub fn load_str(text: &str, file: impl AsRef<Path>) -> Result<ConfigSet, ConfigError> {
    let file = file.as_ref();
    let text: Arc<str> = Arc::from(text.strip_prefix('\u{feff}').unwrap_or(text));
    let docs = yaml::parse_documents(&text).map_err(|e| {
        ConfigError::new(file, StatusCode::ConfigFileParsingErr, e.message).at(e.pos, &text)
    })?;

    let mut set = ConfigSet::default();
    for doc in docs.into_iter().filter(|d| !d.is_empty()) {
        let index = set.entries.len();
        let err = |pos: Pos, path: &[Segment], code, msg: String| {
            ConfigError::new(file, code, msg)
                .at(pos, &text)
                .with_path(path)
        };
        let mut root = doc.root;
        if !matches!(root.kind, NodeKind::Map(_)) {
            return Err(err(
                root.pos,
                &[],
                StatusCode::ConfigFileParsingErr,
                format!(
                    "a skaffold config must be a mapping, found {}",
                    root.describe()
                ),
            ));
        }
        let version = check_api_version(&root, file, &text)?;
        // Skaffold drops top-level keys starting with `.`: they only hold YAML anchors.
        if let NodeKind::Map(entries) = &mut root.kind {
            entries.retain(|(k, _)| !k.as_str().is_some_and(|k| k.starts_with('.')));
        }
        if version != API_VERSION {
            root = upgrade_document(&root, &version, file, &text)?;
        }
        let config: SkaffoldConfig = yaml::de::from_node(&root).map_err(|e| {
            err(
                e.pos.unwrap_or(root.pos),
                &e.path,
                StatusCode::ConfigFileParsingErr,
                e.message,
            )
        })?;
        if config.kind != KIND {
            let pos = root.get("kind").map_or(root.pos, |n| n.pos);
            return Err(err(
                pos,
                &[Segment::Key("kind".into())],
                StatusCode::ConfigFileParsingErr,
                format!(
                    "unknown kind {:?}: a skaffold config has `kind: {KIND}`",
                    config.kind
                ),
            ));
        }
        let name = &config.metadata.name;
        if !name.is_empty() && set.configs().any(|c| &c.metadata.name == name) {
            let path = [Segment::Key("metadata".into()), Segment::Key("name".into())];
            return Err(err(
                yaml::locate(&root, &path),
                &path,
                StatusCode::ConfigDuplicateNamesSameFileErr,
                format!(
                    "multiple skaffold configs named {name:?} found in file {:?}",
                    file.display().to_string()
                ),
            )
            .with_suggestion(
                SuggestionCode::ConfigChangeNames,
                format!(
                    "Change the name of one of the occurrences of config {name:?} to make it unique"
                ),
            ));
        }
        set.entries.push(ConfigEntry {
            config,
            source: Source {
                file: file.to_path_buf(),
                index,
                original_api_version: version,
                text: text.clone(),
                root: Arc::new(root),
            },
        });
    }
    if set.is_empty() {
        return Err(ConfigError::new(
            file,
            StatusCode::ConfigZeroFoundErr,
            format!(
                "failed to get any valid configs from file {:?}: it holds no YAML document",
                file.display().to_string()
            ),
        ));
    }
    Ok(set)
}

/// Check that a document is a Skaffold config and return its `apiVersion`.
fn check_api_version(root: &Node, file: &Path, text: &str) -> Result<String, ConfigError> {
    let path = [Segment::Key("apiVersion".into())];
    let Some(node) = root.get("apiVersion") else {
        let what = match root.get("kind").and_then(Node::as_str) {
            Some(kind) => format!(" (it has kind {kind:?})"),
            None => String::new(),
        };
        return Err(ConfigError::new(
            file,
            StatusCode::ConfigUnknownApiVersionErr,
            format!("missing apiVersion{what}: a skaffold config starts with `apiVersion: {API_VERSION}`"),
        )
        .at(root.pos, text)
        .with_suggestion(SuggestionCode::ConfigFixApiVersion, fix_api_version_action()));
    };
    let version = match &node.kind {
        NodeKind::Scalar { value, .. } if !node.is_null() => value.clone(),
        _ => {
            return Err(ConfigError::new(
                file,
                StatusCode::ConfigUnknownApiVersionErr,
                format!(
                    "apiVersion must be a string like {API_VERSION:?}, found {}",
                    node.describe()
                ),
            )
            .at(node.pos, text)
            .with_path(&path));
        }
    };
    if !version.starts_with("skaffold/") {
        let kind = root.get("kind").and_then(Node::as_str).unwrap_or("");
        return Err(ConfigError::new(
            file,
            StatusCode::ConfigUnknownApiVersionErr,
            format!(
                "not a skaffold config: apiVersion {version:?}{}; every document of a skaffold \
                 config file must have `apiVersion: skaffold/…`",
                if kind.is_empty() {
                    String::new()
                } else {
                    format!(", kind {kind:?}")
                }
            ),
        )
        .at(node.pos, text)
        .with_path(&path));
    }
    Ok(version)
}

fn fix_api_version_action() -> String {
    "Set the config 'apiVersion' to a known value. Check https://skaffold.dev/docs/references/yaml/ \
     for the list of valid API versions. Otherwise, check that your skaffold version is up-to-date"
        .to_string()
}

/// The upgrade extension point: one document of an older `apiVersion`, as a
/// `serde_yaml_ng::Value`, through `crate::upgrade::to_latest(doc: Value) -> Result<Value,
/// UpgradeError>`; the result is mapped back onto the original tree for positions.
fn upgrade_document(
    root: &Node,
    version: &str,
    file: &Path,
    text: &str,
) -> Result<Node, ConfigError> {
    use crate::upgrade::UpgradeError;
    let at = |path: &[Segment], code: StatusCode, message: String| {
        ConfigError::new(file, code, message)
            .at(yaml::locate(root, path), text)
            .with_path(path)
    };
    let e = match crate::upgrade::to_latest(yaml::to_value(root)) {
        Ok(value) => return Ok(yaml::from_value(&value, root)),
        Err(e) => e,
    };
    let message = e.to_string();
    Err(match e {
        UpgradeError::UnknownVersion { .. } | UpgradeError::MissingApiVersion => at(
            &[Segment::Key("apiVersion".into())],
            StatusCode::ConfigUnknownApiVersionErr,
            message,
        )
        .with_suggestion(
            SuggestionCode::ConfigFixApiVersion,
            fix_api_version_action(),
        ),
        UpgradeError::UnknownField {
            location, field, ..
        } => {
            // `location` is a path, possibly followed by ` (name "…")`.
            let mut path = parse_path(location.split(" (").next().unwrap_or(""));
            path.push(Segment::Key(field));
            at(&path, StatusCode::ConfigFileParsingErr, message)
        }
        UpgradeError::Unconvertible { field, .. } => {
            at(&parse_path(&field), StatusCode::ConfigUpgradeErr, message).with_suggestion(
                SuggestionCode::ConfigFixSkaffoldConfigVersion,
                format!("Upgrade skaffold config version from {version} to {API_VERSION} manually"),
            )
        }
        _ => at(&[], StatusCode::ConfigUpgradeErr, message),
    })
}

/// Parse a field path such as `profiles[1].deploy.kpt` into segments.
pub fn parse_path(s: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in s.split('.').filter(|p| !p.is_empty()) {
        let mut rest = part;
        if let Some(i) = rest.find('[') {
            if i > 0 {
                out.push(Segment::Key(rest[..i].to_string()));
            }
            rest = &rest[i..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(end) = stripped.find(']') else { break };
                match stripped[..end].parse::<usize>() {
                    Ok(n) => out.push(Segment::Index(n)),
                    Err(_) => out.push(Segment::Key(stripped[..end].trim_matches('"').to_string())),
                }
                rest = &stripped[end + 1..];
            }
        } else {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests;
