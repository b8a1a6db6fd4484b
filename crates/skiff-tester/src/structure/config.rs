//! The container-structure-test file format, `schemaVersion: 2.0.0`.
//!
//! Scalars where text is expected (`value: 8080`, `exposedPorts: [80]`, `args: [-n, 1]`) are read
//! as their text, and `null` lists as empty ones, as Go's YAML decoder does. Unknown fields are
//! errors naming the field; `licenseTests` and `containerRunOptions` are refused by name.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use skiff_build::go_quote;

/// The only schema version there is.
pub(crate) const SCHEMA_VERSION: &str = "2.0.0";

/// One structure test file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct StructureTestFile {
    /// Must be `2.0.0`.
    #[serde(default, deserialize_with = "scalar")]
    pub schema_version: String,
    /// Variables set for every command test (and its setup and teardown).
    #[serde(default, deserialize_with = "nullable")]
    pub global_env_vars: Vec<KeyValue>,
    /// Commands run in containers of the image.
    #[serde(default, deserialize_with = "nullable")]
    pub command_tests: Vec<CommandTest>,
    /// Paths that must (or must not) exist, with their mode and owner.
    #[serde(default, deserialize_with = "nullable")]
    pub file_existence_tests: Vec<FileExistenceTest>,
    /// Files whose contents must (not) match patterns.
    #[serde(default, deserialize_with = "nullable")]
    pub file_content_tests: Vec<FileContentTest>,
    /// The image's configuration.
    #[serde(default)]
    pub metadata_test: Option<MetadataTest>,
    /// Refused: skiff cannot check licenses.
    #[serde(default)]
    license_tests: Option<IgnoredAny>,
    /// Refused: skiff runs containers with the engine's defaults.
    #[serde(default)]
    container_run_options: Option<IgnoredAny>,
}

/// A `key`/`value` pair: an environment variable or a label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct KeyValue {
    /// The name.
    #[serde(default, deserialize_with = "scalar")]
    pub key: String,
    /// The value (a regular expression with `isRegex`).
    #[serde(default, deserialize_with = "scalar")]
    pub value: String,
    /// Whether `value` is a regular expression (metadata tests only).
    #[serde(default)]
    pub is_regex: bool,
}

/// A command run in a fresh container of the image.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CommandTest {
    /// The test's name. Required.
    #[serde(default, deserialize_with = "scalar")]
    pub name: String,
    /// Commands run first, each in a container whose result the next step starts from.
    #[serde(default, deserialize_with = "scalar_lists")]
    pub setup: Vec<Vec<String>>,
    /// Commands run after the test, from the same starting point as the test.
    #[serde(default, deserialize_with = "scalar_lists")]
    pub teardown: Vec<Vec<String>>,
    /// Variables for this test, after the global ones.
    #[serde(default, deserialize_with = "nullable")]
    pub env_vars: Vec<KeyValue>,
    /// The expected exit code (default 0).
    #[serde(default)]
    pub exit_code: i64,
    /// The program. Required.
    #[serde(default, deserialize_with = "scalar")]
    pub command: String,
    /// Its arguments.
    #[serde(default, deserialize_with = "scalars")]
    pub args: Vec<String>,
    /// Patterns standard output must match.
    #[serde(default, deserialize_with = "scalars")]
    pub expected_output: Vec<String>,
    /// Patterns standard output must not match.
    #[serde(default, deserialize_with = "scalars")]
    pub excluded_output: Vec<String>,
    /// Patterns standard error must match.
    #[serde(default, deserialize_with = "scalars")]
    pub expected_error: Vec<String>,
    /// Patterns standard error must not match.
    #[serde(default, deserialize_with = "scalars")]
    pub excluded_error: Vec<String>,
}

/// A path that must (or must not) exist.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FileExistenceTest {
    /// The test's name. Required.
    #[serde(default, deserialize_with = "scalar")]
    pub name: String,
    /// The path in the image. Required.
    #[serde(default, deserialize_with = "scalar")]
    pub path: String,
    /// Whether the path must exist (default `true`).
    #[serde(default = "yes")]
    pub should_exist: bool,
    /// The mode as Go prints it (`-rw-r--r--`, `drwxr-xr-x`).
    #[serde(default, deserialize_with = "scalar")]
    pub permissions: String,
    /// The owner's id (`-1` or missing: not checked).
    #[serde(default)]
    pub uid: Option<i64>,
    /// The group's id (`-1` or missing: not checked).
    #[serde(default)]
    pub gid: Option<i64>,
    /// `owner`, `group`, `other` or `any`.
    #[serde(default, deserialize_with = "scalar")]
    pub is_executable_by: String,
}

impl Default for FileExistenceTest {
    fn default() -> Self {
        Self {
            name: String::new(),
            path: String::new(),
            should_exist: true,
            permissions: String::new(),
            uid: None,
            gid: None,
            is_executable_by: String::new(),
        }
    }
}

fn yes() -> bool {
    true
}

/// A file whose contents must (not) match patterns.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FileContentTest {
    /// The test's name. Required.
    #[serde(default, deserialize_with = "scalar")]
    pub name: String,
    /// The path in the image. Required.
    #[serde(default, deserialize_with = "scalar")]
    pub path: String,
    /// Patterns the contents must match.
    #[serde(default, deserialize_with = "scalars")]
    pub expected_contents: Vec<String>,
    /// Patterns the contents must not match.
    #[serde(default, deserialize_with = "scalars")]
    pub excluded_contents: Vec<String>,
}

/// The image's configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MetadataTest {
    /// Variables that must be set, with these values (or matching with `isRegex`).
    #[serde(default, alias = "env", deserialize_with = "nullable")]
    pub env_vars: Vec<KeyValue>,
    /// Variables that must not be set (`key` only).
    #[serde(default, deserialize_with = "nullable")]
    pub unbound_env_vars: Vec<KeyValue>,
    /// Ports that must be exposed (`8080`, or `8080/udp` with a protocol).
    #[serde(default, deserialize_with = "scalars")]
    pub exposed_ports: Vec<String>,
    /// Ports that must not be exposed.
    #[serde(default, deserialize_with = "scalars")]
    pub unexposed_ports: Vec<String>,
    /// The exact entrypoint (`[]`: none); not checked when missing.
    #[serde(default, deserialize_with = "optional_scalars")]
    pub entrypoint: Option<Vec<String>>,
    /// The exact command; not checked when missing.
    #[serde(default, deserialize_with = "optional_scalars")]
    pub cmd: Option<Vec<String>>,
    /// The working directory; not checked when empty.
    #[serde(default, deserialize_with = "scalar")]
    pub workdir: String,
    /// Volumes that must be declared.
    #[serde(default, deserialize_with = "scalars")]
    pub volumes: Vec<String>,
    /// Volumes that must not be declared.
    #[serde(default, deserialize_with = "scalars")]
    pub unmounted_volumes: Vec<String>,
    /// Labels that must be set, with these values (or matching with `isRegex`).
    #[serde(default, deserialize_with = "nullable")]
    pub labels: Vec<KeyValue>,
    /// The user; not checked when empty.
    #[serde(default, deserialize_with = "scalar")]
    pub user: String,
}

impl MetadataTest {
    /// Whether nothing is checked (container-structure-test skips an empty metadata test).
    pub fn is_empty(&self) -> bool {
        self.env_vars.is_empty()
            && self.unbound_env_vars.is_empty()
            && self.exposed_ports.is_empty()
            && self.unexposed_ports.is_empty()
            && self.entrypoint.is_none()
            && self.cmd.is_none()
            && self.workdir.is_empty()
            && self.volumes.is_empty()
            && self.unmounted_volumes.is_empty()
            && self.labels.is_empty()
            && self.user.is_empty()
    }
}

impl StructureTestFile {
    /// Parses and checks a file's text: the schema version, and no section skiff cannot run.
    pub fn parse(text: &str) -> Result<StructureTestFile, String> {
        let file: StructureTestFile = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        if file.license_tests.is_some() {
            return Err(
                "licenseTests are not supported by skiff's structure tests; \
                        remove them, or check licenses in a custom test (test[].custom)"
                    .into(),
            );
        }
        if file.container_run_options.is_some() {
            return Err(
                "containerRunOptions is not supported by skiff's structure tests: \
                        containers run with the image's user and the engine's defaults"
                    .into(),
            );
        }
        if file.schema_version != SCHEMA_VERSION {
            return Err(if file.schema_version.is_empty() {
                format!(
                    "schemaVersion is missing: set it to {}",
                    go_quote(SCHEMA_VERSION)
                )
            } else {
                format!(
                    "unsupported schemaVersion {}: skiff supports {}",
                    go_quote(&file.schema_version),
                    go_quote(SCHEMA_VERSION)
                )
            });
        }
        Ok(file)
    }
}

/// A scalar read as its text.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        deserializer.deserialize_any(Text)
    }
}

/// A value where `null` means its default.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Scalar::deserialize(deserializer)?.0)
}

fn texts(items: Vec<Scalar>) -> Vec<String> {
    items.into_iter().map(|s| s.0).collect()
}

fn scalars<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(texts(nullable(deserializer)?))
}

fn optional_scalars<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    Ok(Option::<Vec<Scalar>>::deserialize(deserializer)?.map(texts))
}

fn scalar_lists<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Vec<String>>, D::Error> {
    let lists: Vec<Vec<Scalar>> = nullable(deserializer)?;
    Ok(lists.into_iter().map(texts).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_file_parses() {
        let file = StructureTestFile::parse(
            r#"
schemaVersion: 2.0.0
globalEnvVars:
  - key: GREETING
    value: hi
commandTests:
  - name: echo
    setup: [[touch, /tmp/x]]
    command: echo
    args: [-n, 1]
    envVars:
      - key: PORT
        value: 8080
    expectedOutput: ["^1$"]
    exitCode: 0
fileExistenceTests:
  - name: passwd
    path: /etc/passwd
    permissions: -rw-r--r--
    uid: 0
    isExecutableBy: any
fileContentTests:
  - name: hosts
    path: /etc/hosts
    expectedContents: [localhost]
metadataTest:
  envVars:
    - key: PATH
      value: /bin
      isRegex: true
  exposedPorts: [8080, "9090/udp"]
  entrypoint: []
  cmd: ["sh"]
"#,
        )
        .unwrap();
        assert_eq!(file.global_env_vars[0].key, "GREETING");
        let command = &file.command_tests[0];
        assert_eq!(command.setup, [["touch", "/tmp/x"]]);
        assert_eq!(command.args, ["-n", "1"]);
        assert_eq!(command.env_vars[0].value, "8080");
        let exists = &file.file_existence_tests[0];
        assert!(exists.should_exist);
        assert_eq!((exists.uid, exists.gid), (Some(0), None));
        let metadata = file.metadata_test.as_ref().unwrap();
        assert_eq!(metadata.exposed_ports, ["8080", "9090/udp"]);
        assert_eq!(metadata.entrypoint, Some(Vec::new()));
        assert_eq!(metadata.cmd, Some(vec!["sh".to_owned()]));
        assert!(!metadata.is_empty());
    }

    #[test]
    fn null_lists_and_an_empty_metadata_test_count_for_nothing() {
        let file =
            StructureTestFile::parse("schemaVersion: '2.0.0'\ncommandTests:\nmetadataTest: {}\n")
                .unwrap();
        assert!(file.command_tests.is_empty());
        assert!(file.metadata_test.unwrap().is_empty());
    }

    #[test]
    fn unknown_and_unsupported_fields_are_named() {
        let err = StructureTestFile::parse(
            "schemaVersion: 2.0.0\ncommandTests:\n  - name: x\n    command: ls\n    expectOutput: [x]\n",
        )
        .unwrap_err();
        assert!(err.contains("unknown field `expectOutput`"), "{err}");
        assert!(err.contains("line 5"), "{err}");
        let err =
            StructureTestFile::parse("schemaVersion: 2.0.0\nlicenseTests:\n  - debian: true\n")
                .unwrap_err();
        assert!(err.starts_with("licenseTests are not supported"), "{err}");
        let err =
            StructureTestFile::parse("schemaVersion: 2.0.0\ncontainerRunOptions:\n  user: root\n")
                .unwrap_err();
        assert!(
            err.starts_with("containerRunOptions is not supported"),
            "{err}"
        );
    }

    #[test]
    fn the_schema_version_is_required() {
        let err = StructureTestFile::parse("commandTests: []\n").unwrap_err();
        assert!(err.contains("schemaVersion is missing"), "{err}");
        let err = StructureTestFile::parse("schemaVersion: 1.0.0\n").unwrap_err();
        assert!(err.contains("unsupported schemaVersion \"1.0.0\""), "{err}");
    }
}
