//! Config errors: where (file, line, column, field path), what, and Skaffold's status code.
//!
//! Every error renders as
//!
//! ```text
//! skaffold.yaml:6:5: build.artifacts[0]: unknown field `contxt`, did you mean `context`?
//!     6 |     contxt: .
//!       |     ^
//! ```
//!
//! The position and the source line are left out when unknown, and the field path when the
//! error is about the whole file or document.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::yaml::{Pos, Segment, format_path};

/// The Skaffold status codes that config errors carry: the same names and numbers as
/// `proto.enums.StatusCode` (`skiff_proto::enums::StatusCode`), so `code as i32` converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum StatusCode {
    /// A docker network mode `container:<name>` whose name is invalid.
    InitDockerNetworkInvalidContainerName = 123,
    /// A docker network mode that is not `container:…` where one is required.
    InitDockerNetworkInvalidMode = 125,
    /// A docker network mode whose container name could not be parsed.
    InitDockerNetworkParseErr = 126,
    /// Semantic validation failures that Skaffold reports as unknown init errors.
    InitUnknown = 510,
    /// YAML syntax errors, unknown fields, wrong types, missing or conflicting fields.
    ConfigFileParsingErr = 1201,
    /// The config file does not exist.
    ConfigFileNotFoundErr = 1202,
    /// A config named in `requires` was not found.
    ConfigDependencyNotFoundErr = 1203,
    /// Two configs of one file share a `metadata.name`.
    ConfigDuplicateNamesSameFileErr = 1204,
    /// Two configs of different files share a `metadata.name`.
    ConfigDuplicateNamesAcrossFilesErr = 1205,
    /// `-m/--module` matched no config.
    ConfigBadFilterErr = 1206,
    /// The file holds no config.
    ConfigZeroFoundErr = 1207,
    /// A profile could not be applied.
    ConfigApplyProfilesErr = 1208,
    /// Defaults could not be applied.
    ConfigDefaultValuesErr = 1209,
    /// Paths could not be made absolute.
    ConfigFilePathsSubstitutionErr = 1210,
    /// A config was imported twice with different profiles.
    ConfigMultiImportProfileConflictErr = 1211,
    /// A `-p/--profile` matched no profile.
    ConfigProfilesNotFoundErr = 1212,
    /// `apiVersion` is missing, not Skaffold's, or unknown.
    ConfigUnknownApiVersionErr = 1213,
    /// An unknown `manifests.validate` entry.
    ConfigUnknownValidator = 1214,
    /// An unknown `manifests.transform` entry.
    ConfigUnknownTransformer = 1215,
    /// A `rawYaml` manifest that does not exist.
    ConfigMissingManifestFileErr = 1216,
    /// A remote config that is not in the cache.
    ConfigRemoteRepoCacheNotFoundErr = 1217,
    /// A config that cannot be upgraded to the latest version.
    ConfigUpgradeErr = 1218,
}

impl StatusCode {
    /// The proto enum value name (`CONFIG_FILE_PARSING_ERR`).
    pub fn as_str_name(self) -> &'static str {
        match self {
            StatusCode::InitDockerNetworkInvalidContainerName => {
                "INIT_DOCKER_NETWORK_INVALID_CONTAINER_NAME"
            }
            StatusCode::InitDockerNetworkInvalidMode => "INIT_DOCKER_NETWORK_INVALID_MODE",
            StatusCode::InitDockerNetworkParseErr => "INIT_DOCKER_NETWORK_PARSE_ERR",
            StatusCode::InitUnknown => "INIT_UNKNOWN",
            StatusCode::ConfigFileParsingErr => "CONFIG_FILE_PARSING_ERR",
            StatusCode::ConfigFileNotFoundErr => "CONFIG_FILE_NOT_FOUND_ERR",
            StatusCode::ConfigDependencyNotFoundErr => "CONFIG_DEPENDENCY_NOT_FOUND_ERR",
            StatusCode::ConfigDuplicateNamesSameFileErr => "CONFIG_DUPLICATE_NAMES_SAME_FILE_ERR",
            StatusCode::ConfigDuplicateNamesAcrossFilesErr => {
                "CONFIG_DUPLICATE_NAMES_ACROSS_FILES_ERR"
            }
            StatusCode::ConfigBadFilterErr => "CONFIG_BAD_FILTER_ERR",
            StatusCode::ConfigZeroFoundErr => "CONFIG_ZERO_FOUND_ERR",
            StatusCode::ConfigApplyProfilesErr => "CONFIG_APPLY_PROFILES_ERR",
            StatusCode::ConfigDefaultValuesErr => "CONFIG_DEFAULT_VALUES_ERR",
            StatusCode::ConfigFilePathsSubstitutionErr => "CONFIG_FILE_PATHS_SUBSTITUTION_ERR",
            StatusCode::ConfigMultiImportProfileConflictErr => {
                "CONFIG_MULTI_IMPORT_PROFILE_CONFLICT_ERR"
            }
            StatusCode::ConfigProfilesNotFoundErr => "CONFIG_PROFILES_NOT_FOUND_ERR",
            StatusCode::ConfigUnknownApiVersionErr => "CONFIG_UNKNOWN_API_VERSION_ERR",
            StatusCode::ConfigUnknownValidator => "CONFIG_UNKNOWN_VALIDATOR",
            StatusCode::ConfigUnknownTransformer => "CONFIG_UNKNOWN_TRANSFORMER",
            StatusCode::ConfigMissingManifestFileErr => "CONFIG_MISSING_MANIFEST_FILE_ERR",
            StatusCode::ConfigRemoteRepoCacheNotFoundErr => {
                "CONFIG_REMOTE_REPO_CACHE_NOT_FOUND_ERR"
            }
            StatusCode::ConfigUpgradeErr => "CONFIG_UPGRADE_ERR",
        }
    }
}

/// The Skaffold suggestion codes config errors use (same names and numbers as
/// `proto.enums.SuggestionCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum SuggestionCode {
    /// Fix the docker network container name.
    FixDockerNetworkContainerName = 112,
    /// Only `container:` network modes name a container.
    FixDockerNetworkModeWhenExtractingContainerName = 114,
    /// Check the config file path.
    ConfigCheckFilePath = 700,
    /// Fix a `requires` entry.
    ConfigCheckDependencyDefinition = 701,
    /// Rename one of two configs.
    ConfigChangeNames = 702,
    /// Check the `-m/--module` selection.
    ConfigCheckFilter = 703,
    /// Fix a profile definition.
    ConfigCheckProfileDefinition = 704,
    /// Import a config with the same profiles everywhere.
    ConfigCheckDependencyProfilesSelection = 705,
    /// Check the `-p/--profile` selection.
    ConfigCheckProfileSelection = 706,
    /// Set a known `apiVersion`.
    ConfigFixApiVersion = 707,
    /// Fix a missing manifest.
    ConfigFixMissingManifestFile = 710,
    /// Allow cloning or syncing remote configs.
    ConfigEnableRemoteRepoSync = 711,
    /// Upgrade the config by hand.
    ConfigFixSkaffoldConfigVersion = 712,
}

impl SuggestionCode {
    /// The proto enum value name.
    pub fn as_str_name(self) -> &'static str {
        match self {
            SuggestionCode::FixDockerNetworkContainerName => "FIX_DOCKER_NETWORK_CONTAINER_NAME",
            SuggestionCode::FixDockerNetworkModeWhenExtractingContainerName => {
                "FIX_DOCKER_NETWORK_MODE_WHEN_EXTRACTING_CONTAINER_NAME"
            }
            SuggestionCode::ConfigCheckFilePath => "CONFIG_CHECK_FILE_PATH",
            SuggestionCode::ConfigCheckDependencyDefinition => "CONFIG_CHECK_DEPENDENCY_DEFINITION",
            SuggestionCode::ConfigChangeNames => "CONFIG_CHANGE_NAMES",
            SuggestionCode::ConfigCheckFilter => "CONFIG_CHECK_FILTER",
            SuggestionCode::ConfigCheckProfileDefinition => "CONFIG_CHECK_PROFILE_DEFINITION",
            SuggestionCode::ConfigCheckDependencyProfilesSelection => {
                "CONFIG_CHECK_DEPENDENCY_PROFILES_SELECTION"
            }
            SuggestionCode::ConfigCheckProfileSelection => "CONFIG_CHECK_PROFILE_SELECTION",
            SuggestionCode::ConfigEnableRemoteRepoSync => "CONFIG_ENABLE_REMOTE_REPO_SYNC",
            SuggestionCode::ConfigFixApiVersion => "CONFIG_FIX_API_VERSION",
            SuggestionCode::ConfigFixMissingManifestFile => "CONFIG_FIX_MISSING_MANIFEST_FILE",
            SuggestionCode::ConfigFixSkaffoldConfigVersion => "CONFIG_FIX_SKAFFOLD_CONFIG_VERSION",
        }
    }
}

/// What the user can do about an error (Skaffold's `Suggestion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    /// The suggestion code.
    pub code: SuggestionCode,
    /// The action, as a sentence.
    pub action: String,
}

/// One config error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file the error is about.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub pos: Option<Pos>,
    /// The field path (`build.artifacts[0].docker`); empty when the error is about the whole
    /// file or document.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// Skaffold's status code for it.
    pub code: StatusCode,
    /// What to do about it, when Skaffold has a suggestion.
    pub suggestion: Option<Box<Suggestion>>,
    /// The source line at `pos`, for the caret display.
    pub source_line: Option<String>,
}

impl ConfigError {
    /// An error about `file` with no position yet.
    pub fn new(file: impl Into<PathBuf>, code: StatusCode, message: impl Into<String>) -> Self {
        ConfigError {
            file: file.into(),
            pos: None,
            path: String::new(),
            message: message.into(),
            code,
            suggestion: None,
            source_line: None,
        }
    }

    /// Set the position, taking the source line for the caret from `source`.
    pub fn at(mut self, pos: Pos, source: &str) -> Self {
        if pos.is_known() {
            self.pos = Some(pos);
            self.source_line = source
                .lines()
                .nth(pos.line as usize - 1)
                .map(str::to_string);
        }
        self
    }

    /// Set the field path.
    pub fn with_path(mut self, path: &[Segment]) -> Self {
        self.path = format_path(path);
        self
    }

    /// Set the field path from an already formatted string.
    pub fn with_path_str(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Attach a suggestion.
    pub fn with_suggestion(mut self, code: SuggestionCode, action: impl Into<String>) -> Self {
        self.suggestion = Some(Box::new(Suggestion {
            code,
            action: action.into(),
        }));
        self
    }

    /// The first line of the display: `file:line:col: path: message`.
    pub fn headline(&self) -> String {
        let mut out = self.file.display().to_string();
        if let Some(pos) = self.pos {
            out.push_str(&format!(":{}:{}", pos.line, pos.col));
        }
        out.push_str(": ");
        if !self.path.is_empty() {
            out.push_str(&self.path);
            out.push_str(": ");
        }
        out.push_str(&self.message);
        out
    }

    /// The error for a file that cannot be found.
    pub fn not_found(file: &Path, err: &std::io::Error) -> Self {
        ConfigError::new(
            file,
            StatusCode::ConfigFileNotFoundErr,
            format!(
                "unable to find configuration file {:?}: {err}",
                file.display().to_string()
            ),
        )
        .with_suggestion(
            SuggestionCode::ConfigCheckFilePath,
            format!(
                "Check that the specified configuration file exists at {:?}",
                file.display().to_string()
            ),
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.headline())?;
        if let (Some(pos), Some(line)) = (self.pos, &self.source_line) {
            let number = pos.line.to_string();
            let gutter = " ".repeat(number.len());
            // Keep tabs so that the caret lines up under the same column.
            let pad: String = line
                .chars()
                .take((pos.col as usize).saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n {number} | {line}\n {gutter} | {pad}^")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Several config errors (validation reports all it finds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigErrors(pub Vec<ConfigError>);

impl ConfigErrors {
    /// The errors.
    pub fn iter(&self) -> std::slice::Iter<'_, ConfigError> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl IntoIterator for ConfigErrors {
    type Item = ConfigError;
    type IntoIter = std::vec::IntoIter<ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ConfigErrors {
    type Item = &'a ConfigError;
    type IntoIter = std::slice::Iter<'a, ConfigError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_with_caret() {
        let src = "build:\n  artifacts:\n  - image: x\n    contxt: .\n";
        let e = ConfigError::new(
            "skaffold.yaml",
            StatusCode::ConfigFileParsingErr,
            "unknown field",
        )
        .at(Pos { line: 4, col: 5 }, src)
        .with_path_str("build.artifacts[0]");
        assert_eq!(
            e.to_string(),
            "skaffold.yaml:4:5: build.artifacts[0]: unknown field\n 4 |     contxt: .\n   |     ^"
        );
    }

    #[test]
    fn display_without_position() {
        let e = ConfigError::new("a.yaml", StatusCode::ConfigZeroFoundErr, "no config");
        assert_eq!(e.to_string(), "a.yaml: no config");
    }

    #[test]
    fn codes_match_the_proto_enum() {
        use skiff_proto::enums::StatusCode as P;
        for (ours, theirs) in [
            (
                StatusCode::InitDockerNetworkInvalidContainerName,
                P::InitDockerNetworkInvalidContainerName,
            ),
            (
                StatusCode::InitDockerNetworkInvalidMode,
                P::InitDockerNetworkInvalidMode,
            ),
            (
                StatusCode::InitDockerNetworkParseErr,
                P::InitDockerNetworkParseErr,
            ),
            (StatusCode::InitUnknown, P::InitUnknown),
            (StatusCode::ConfigFileParsingErr, P::ConfigFileParsingErr),
            (StatusCode::ConfigFileNotFoundErr, P::ConfigFileNotFoundErr),
            (
                StatusCode::ConfigDependencyNotFoundErr,
                P::ConfigDependencyNotFoundErr,
            ),
            (
                StatusCode::ConfigDuplicateNamesSameFileErr,
                P::ConfigDuplicateNamesSameFileErr,
            ),
            (
                StatusCode::ConfigDuplicateNamesAcrossFilesErr,
                P::ConfigDuplicateNamesAcrossFilesErr,
            ),
            (StatusCode::ConfigBadFilterErr, P::ConfigBadFilterErr),
            (StatusCode::ConfigZeroFoundErr, P::ConfigZeroFoundErr),
            (
                StatusCode::ConfigApplyProfilesErr,
                P::ConfigApplyProfilesErr,
            ),
            (
                StatusCode::ConfigDefaultValuesErr,
                P::ConfigDefaultValuesErr,
            ),
            (
                StatusCode::ConfigFilePathsSubstitutionErr,
                P::ConfigFilePathsSubstitutionErr,
            ),
            (
                StatusCode::ConfigMultiImportProfileConflictErr,
                P::ConfigMultiImportProfileConflictErr,
            ),
            (
                StatusCode::ConfigProfilesNotFoundErr,
                P::ConfigProfilesNotFoundErr,
            ),
            (
                StatusCode::ConfigUnknownApiVersionErr,
                P::ConfigUnknownApiVersionErr,
            ),
            (
                StatusCode::ConfigUnknownValidator,
                P::ConfigUnknownValidator,
            ),
            (
                StatusCode::ConfigUnknownTransformer,
                P::ConfigUnknownTransformer,
            ),
            (
                StatusCode::ConfigMissingManifestFileErr,
                P::ConfigMissingManifestFileErr,
            ),
            (
                StatusCode::ConfigRemoteRepoCacheNotFoundErr,
                P::ConfigRemoteRepoCacheNotFoundErr,
            ),
            (StatusCode::ConfigUpgradeErr, P::ConfigUpgradeErr),
        ] {
            assert_eq!(ours as i32, theirs as i32, "{ours:?}");
            assert_eq!(ours.as_str_name(), theirs.as_str_name());
        }
        use skiff_proto::enums::SuggestionCode as S;
        for (ours, theirs) in [
            (
                SuggestionCode::FixDockerNetworkContainerName,
                S::FixDockerNetworkContainerName,
            ),
            (
                SuggestionCode::FixDockerNetworkModeWhenExtractingContainerName,
                S::FixDockerNetworkModeWhenExtractingContainerName,
            ),
            (SuggestionCode::ConfigCheckFilePath, S::ConfigCheckFilePath),
            (
                SuggestionCode::ConfigCheckDependencyDefinition,
                S::ConfigCheckDependencyDefinition,
            ),
            (SuggestionCode::ConfigChangeNames, S::ConfigChangeNames),
            (SuggestionCode::ConfigCheckFilter, S::ConfigCheckFilter),
            (
                SuggestionCode::ConfigCheckProfileDefinition,
                S::ConfigCheckProfileDefinition,
            ),
            (
                SuggestionCode::ConfigCheckDependencyProfilesSelection,
                S::ConfigCheckDependencyProfilesSelection,
            ),
            (
                SuggestionCode::ConfigCheckProfileSelection,
                S::ConfigCheckProfileSelection,
            ),
            (
                SuggestionCode::ConfigEnableRemoteRepoSync,
                S::ConfigEnableRemoteRepoSync,
            ),
            (SuggestionCode::ConfigFixApiVersion, S::ConfigFixApiVersion),
            (
                SuggestionCode::ConfigFixMissingManifestFile,
                S::ConfigFixMissingManifestFile,
            ),
            (
                SuggestionCode::ConfigFixSkaffoldConfigVersion,
                S::ConfigFixSkaffoldConfigVersion,
            ),
        ] {
            assert_eq!(ours as i32, theirs as i32, "{ours:?}");
            assert_eq!(ours.as_str_name(), theirs.as_str_name());
        }
    }
}
