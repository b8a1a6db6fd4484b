//! The custom builder: runs the artifact's `buildCommand` and then finds the image it made
//! (Skaffold's `pkg/skaffold/build/custom`).
//!
//! The command is a Go template over the environment, run as `sh -c <command>` (`cmd.exe /C` on
//! Windows) in the artifact's context directory, with no standard input. Its environment is, in
//! this order (see [`script_env`]):
//!
//! | variable | value |
//! |---|---|
//! | `IMAGE` | the full reference to build (`registry/name:tag`) |
//! | `PUSH_IMAGE` | `true` when the image must be pushed, else `false` |
//! | `BUILD_CONTEXT` | the absolute context directory |
//! | `PLATFORMS` | the target platforms, comma-separated (`linux/amd64,linux/arm64`); empty for the engine's own |
//! | `SKIP_TEST` | `true` with `--skip-tests`, else `false` |
//! | `IMAGE_REPO` | the reference without its tag (`registry/name`) |
//! | `IMAGE_TAG` | the tag (empty if the reference has none) |
//! | extra variables | [`ScriptSettings::extra_env`] (e.g. an engine's `DOCKER_HOST`) |
//! | `<alias>` | the built reference of each required artifact, by its alias |
//!
//! followed by skiff's own environment. As in Skaffold (Go keeps the last of duplicate
//! variables), a variable already set in skiff's environment wins over the ones above.
//!
//! After the command succeeded: when pushing, the registry must hold the tag and the result is
//! `IMAGE@digest`; otherwise the local engine must have the tag, which gets a second tag named
//! after the image id (`registry/name:<id>`), the result.

pub mod deps;
pub mod doublestar;
pub mod process;
pub mod registry;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use skiff_config::model::{Artifact, ArtifactType, CustomArtifact};
use skiff_config::reference::tag_with_digest;
use skiff_config::template;
use skiff_docker::{Engine, EngineError, split_tag};
use skiff_events::duration::go_duration;
use skiff_proto::enums::StatusCode;

pub use deps::{
    CustomDepsError, DEFAULT_DEPENDENCIES_TIMEOUT, ListError, custom_dependencies, list_files,
};

use crate::builder::{BuildError, BuildRequest, Builder, BuiltImage};
use crate::cache::tag_with_image_id;
use crate::dockerfile::gopath::{clean, go_quote};
use process::RunError;
use registry::RegistryError;

/// What the build command gets besides the request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScriptSettings {
    /// `--skip-tests` was given (the script sees `SKIP_TEST=true`).
    pub skip_tests: bool,
    /// Variables added after Skaffold's own and before the required artifacts', such as the
    /// `DOCKER_HOST` of an engine other than the default one.
    pub extra_env: Vec<(String, String)>,
}

/// The `custom` section of a custom artifact.
pub fn custom_artifact(artifact: &Artifact) -> Result<&CustomArtifact, BuildError> {
    match &artifact.artifact_type {
        Some(ArtifactType::Custom(custom)) => Ok(custom),
        _ => Err(BuildError::new(
            StatusCode::BuildUnknown,
            format!("artifact {} is not a custom artifact", artifact.image),
        )),
    }
}

/// Skaffold's `SanitizeImageName`: drops a `ko://` prefix and lowercases the name (not the tag).
fn sanitize(reference: &str) -> String {
    let reference = reference.strip_prefix("ko://").unwrap_or(reference);
    let (name, _) = split_tag(reference);
    format!("{}{}", name.to_lowercase(), &reference[name.len()..])
}

/// `IMAGE_REPO` and `IMAGE_TAG` of a reference: the name without tag or digest, and the tag
/// (empty when there is none).
pub fn image_repo_and_tag(reference: &str) -> (String, String) {
    let sanitized = sanitize(reference);
    let (name, tag) = split_tag(&sanitized);
    (name.to_owned(), tag.unwrap_or_default().to_owned())
}

/// `path` made absolute against the current directory and cleaned (Go's `filepath.Abs`).
fn absolute(path: &Path) -> String {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|cwd| cwd.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    clean(&joined.to_string_lossy())
}

/// The variables Skaffold sets for a build command, in its order, without the process
/// environment (which [`run_build_script`] appends, and which wins on duplicates).
pub fn script_env(request: &BuildRequest<'_>, settings: &ScriptSettings) -> Vec<(String, String)> {
    let (repo, tag) = image_repo_and_tag(&request.tag);
    let mut env = vec![
        ("IMAGE".to_owned(), request.tag.clone()),
        ("PUSH_IMAGE".to_owned(), request.push.to_string()),
        ("BUILD_CONTEXT".to_owned(), absolute(&request.workspace)),
        ("PLATFORMS".to_owned(), request.platforms.join(",")),
        ("SKIP_TEST".to_owned(), settings.skip_tests.to_string()),
        ("IMAGE_REPO".to_owned(), repo),
        ("IMAGE_TAG".to_owned(), tag),
    ];
    env.extend(settings.extra_env.iter().cloned());
    env.extend(
        request
            .required
            .iter()
            .map(|(alias, reference)| (alias.clone(), reference.clone())),
    );
    env
}

fn script_error(message: impl std::fmt::Display) -> BuildError {
    BuildError::new(
        StatusCode::BuildUnknown,
        format!("building custom artifact: {message}"),
    )
}

/// Runs the artifact's build command to its end, streaming its output to `request.output`.
///
/// Fails when the command template does not expand, the shell can't be started, or the command
/// exits with a non-zero status (the message has the status and the last output lines).
/// Dropping the returned future kills the command with everything it started.
pub async fn run_build_script(
    request: &BuildRequest<'_>,
    settings: &ScriptSettings,
) -> Result<(), BuildError> {
    let custom = custom_artifact(request.artifact)?;
    let command =
        template::expand_env_template(&custom.build_command, &BTreeMap::new()).map_err(|e| {
            script_error(format!(
                "retrieving cmd: unable to parse build command {}: {e}",
                go_quote(&custom.build_command)
            ))
        })?;

    let mut cmd = if cfg!(windows) {
        let mut cmd = tokio::process::Command::new("cmd.exe");
        cmd.arg("/C").arg(&command);
        cmd
    } else {
        let mut cmd = tokio::process::Command::new("sh");
        cmd.arg("-c").arg(&command);
        cmd
    };
    // Skaffold's variables, then the process environment, which wins on duplicates (Go's
    // exec keeps the last value of a repeated variable).
    cmd.env_clear();
    cmd.envs(script_env(request, settings));
    cmd.envs(std::env::vars_os());
    cmd.current_dir(absolute(&request.workspace));

    match process::run_streamed(cmd, request.output, None).await {
        Ok(done) if done.status.success() => Ok(()),
        Ok(done) => Err(script_error(format!(
            "{}{}",
            process::describe_status(&done.status),
            process::tail_message(&done.tail)
        ))),
        Err(RunError::TimedOut { after, tail }) => Err(script_error(format!(
            "timed out after {}{}",
            go_duration(after),
            process::tail_message(&tail)
        ))),
        Err(e) => Err(script_error(e)),
    }
}

/// Maps an engine failure of the post-build lookup.
fn engine_error(err: EngineError, what: impl std::fmt::Display) -> BuildError {
    match err {
        EngineError::NotRunning { .. } | EngineError::UnsupportedHost { .. } => {
            crate::docker::engine_error(err)
        }
        other => BuildError::new(
            StatusCode::BuildDockerGetDigestErr,
            format!("{what}: {other}"),
        ),
    }
}

/// Builds `custom` artifacts by running their build command, then checks the result with the
/// engine (a local image) or the registry (a pushed one).
#[derive(Debug, Clone)]
pub struct CustomBuilder {
    engine: Engine,
    settings: ScriptSettings,
    dependencies_timeout: Duration,
}

impl CustomBuilder {
    /// A builder that looks built images up in `engine`.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            settings: ScriptSettings::default(),
            dependencies_timeout: DEFAULT_DEPENDENCIES_TIMEOUT,
        }
    }

    /// Sets what build commands get besides the request.
    pub fn with_settings(mut self, settings: ScriptSettings) -> Self {
        self.settings = settings;
        self
    }

    /// Sets how long a `dependencies.command` may run (default
    /// [`DEFAULT_DEPENDENCIES_TIMEOUT`]).
    pub fn with_dependencies_timeout(mut self, timeout: Duration) -> Self {
        self.dependencies_timeout = timeout;
        self
    }

    /// The engine images are looked up in.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The digest the registry holds for the pushed tag.
    async fn pushed_reference(&self, request: &BuildRequest<'_>) -> Result<String, BuildError> {
        let digest = registry::remote_digest(
            Some(&self.engine),
            &request.tag,
            &request.insecure_registries,
        )
        .await
        .map_err(|e| match e {
            RegistryError::NotFound { .. } => BuildError::new(
                StatusCode::BuildUnknown,
                format!(
                    "the custom script didn't push an image with tag [{}]: {e}",
                    request.tag
                ),
            ),
            RegistryError::Lookup { .. } => {
                BuildError::new(StatusCode::BuildRegistryGetDigestErr, e.to_string())
            }
        })?;
        Ok(tag_with_digest(&request.tag, &digest))
    }

    /// The local image's id-named tag (Skaffold's `TagWithImageID`).
    async fn local_reference(&self, request: &BuildRequest<'_>) -> Result<String, BuildError> {
        let tag = &request.tag;
        let id = self
            .engine
            .image_id(tag)
            .await
            .map_err(|e| engine_error(e, format_args!("getting imageID for {tag}")))?
            .filter(|id| !id.is_empty())
            .ok_or_else(|| {
                BuildError::new(
                    StatusCode::BuildUnknown,
                    format!(
                        "the custom script didn't produce an image with tag [{tag}]: it must build $IMAGE into the container engine at {} (or push it when $PUSH_IMAGE is true)",
                        self.engine.host()
                    ),
                )
            })?;
        let unique = tag_with_image_id(tag, &id);
        self.engine
            .tag(&id, &unique)
            .await
            .map_err(|e| engine_error(e, format_args!("tagging {id} as {unique}")))?;
        Ok(unique)
    }
}

#[async_trait::async_trait]
impl Builder for CustomBuilder {
    async fn build(&self, request: &BuildRequest<'_>) -> Result<BuiltImage, BuildError> {
        custom_artifact(request.artifact)?;
        if !request.push {
            // The image must end up in the engine: fail fast when it is not there.
            self.engine
                .version()
                .await
                .map_err(|e| engine_error(e, "checking the container engine"))?;
        }
        run_build_script(request, &self.settings).await?;
        let reference = if request.push {
            self.pushed_reference(request).await?
        } else {
            self.local_reference(request).await?
        };
        Ok(BuiltImage {
            image_name: request.artifact.image.clone(),
            reference,
        })
    }

    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError> {
        dependencies(artifact, workspace, self.dependencies_timeout)
    }
}

/// The source files of a custom artifact, relative to `workspace` (a `command` dependency may
/// run for at most `timeout`).
pub fn dependencies(
    artifact: &Artifact,
    workspace: &Path,
    timeout: Duration,
) -> Result<Vec<PathBuf>, BuildError> {
    let custom = custom_artifact(artifact)?;
    custom_dependencies(custom, workspace, timeout).map_err(|e| {
        BuildError::new(
            StatusCode::BuildUnknown,
            format!("computing dependencies of {}: {e}", artifact.image),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_and_tag_follow_skaffold() {
        assert_eq!(
            image_repo_and_tag("127.0.0.1:5000/Team/App:V1"),
            ("127.0.0.1:5000/team/app".into(), "V1".into())
        );
        assert_eq!(image_repo_and_tag("app"), ("app".into(), String::new()));
        assert_eq!(
            image_repo_and_tag("ko://example.com/cmd/app:1"),
            ("example.com/cmd/app".into(), "1".into())
        );
        assert_eq!(
            image_repo_and_tag("r/app:1@sha256:ab"),
            ("r/app".into(), "1".into())
        );
    }
}
