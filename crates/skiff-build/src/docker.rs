//! The docker builder: builds a `docker` artifact through the engine API (dockerd or Podman's
//! compatible socket), then pushes it or gives it a unique local tag.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use skiff_config::model::{Artifact, ArtifactType, DockerArtifact};
use skiff_config::template;
use skiff_docker::{Engine, EngineError};
use skiff_proto::enums::{StatusCode, SuggestionCode};

use crate::builder::{BuildError, BuildRequest, Builder, BuiltImage};
use crate::cache::{env_tags, tag_with_image_id};
use crate::docker_cli::{BuildPath, cli_args, cli_only_fields, run_docker_build};
use crate::dockerfile::{
    BuildArgs, DepsError, context_files, docker_dependencies, normalize_dockerfile_path,
};
use crate::dockerignore::DockerIgnore;

/// The Dockerfile name when an artifact does not set one.
const DEFAULT_DOCKERFILE: &str = "Dockerfile";

/// Where a Dockerfile from outside the context is placed inside the context tar.
const OUTSIDE_DOCKERFILE_NAME: &str = ".skiff.Dockerfile";

/// Builds `docker` artifacts with an engine.
#[derive(Debug, Clone)]
pub struct DockerBuilder {
    engine: Engine,
    path: BuildPath,
}

impl DockerBuilder {
    /// A builder that uses `engine` through its API.
    pub fn new(engine: Engine) -> Self {
        Self {
            engine,
            path: BuildPath::Api,
        }
    }

    /// Builds through the `docker` CLI instead (`useDockerCLI`, `useBuildkit`).
    pub fn with_path(mut self, path: BuildPath) -> Self {
        self.path = path;
        self
    }

    /// Builds through the engine API from a context tar; returns the image id.
    async fn build_with_api(
        &self,
        request: &BuildRequest<'_>,
        docker: &DockerArtifact,
        dockerfile: PathBuf,
        args: BuildArgs,
    ) -> Result<String, BuildError> {
        let unsupported = cli_only_fields(docker);
        if !unsupported.is_empty() {
            return Err(BuildError::new(
                StatusCode::BuildUserError,
                format!(
                    "build.artifacts[{}].docker: {} need the docker CLI with BuildKit",
                    request.artifact.image,
                    unsupported.join(", ")
                ),
            )
            .suggest(
                SuggestionCode::FixUserBuildErr,
                "Set build.local.useBuildkit: true.",
            ));
        }
        let workspace = request.workspace.clone();
        let context = tokio::task::spawn_blocking(move || context(&workspace, &dockerfile))
            .await
            .map_err(|e| BuildError::new(StatusCode::BuildUnknown, e.to_string()))??;
        let engine_request = skiff_docker::BuildRequest {
            dockerfile: context.dockerfile,
            tag: request.tag.clone(),
            target: Some(docker.target.clone()).filter(|t| !t.is_empty()),
            build_args: args
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect::<HashMap<_, _>>(),
            network: Some(docker.network.clone()).filter(|n| !n.is_empty()),
            add_hosts: docker.add_host.clone(),
            cache_from: docker.cache_from.clone(),
            no_cache: docker.no_cache,
            pull_parent: docker.pull_parent,
            squash: docker.squash,
            platform: request.platforms.first().cloned(),
        };
        self.engine
            .build(context.tar, &engine_request, |line| {
                request.output.write(line)
            })
            .await
            .map_err(engine_error)
    }

    /// Builds with `docker build`; returns the image id.
    async fn build_with_cli(
        &self,
        request: &BuildRequest<'_>,
        docker: &DockerArtifact,
        dockerfile: &Path,
        args: &BuildArgs,
    ) -> Result<String, BuildError> {
        let cli = cli_args(
            docker,
            dockerfile,
            &request.workspace,
            &request.tag,
            args,
            request.platforms.first().map(String::as_str),
        );
        run_docker_build(
            &cli,
            &request.workspace,
            self.path,
            self.engine.host(),
            request.output,
        )
        .await?;
        self.engine
            .image_id(&request.tag)
            .await
            .map_err(engine_error)?
            .ok_or_else(|| {
                BuildError::new(
                    StatusCode::BuildDockerGetDigestErr,
                    format!(
                        "docker build reported success but the engine has no image {}",
                        request.tag
                    ),
                )
            })
    }
}

fn docker_config(artifact: &Artifact) -> Result<&DockerArtifact, BuildError> {
    match &artifact.artifact_type {
        Some(ArtifactType::Docker(docker)) => Ok(docker),
        _ => Err(BuildError::new(
            StatusCode::BuildUnknown,
            format!("artifact {} is not a docker artifact", artifact.image),
        )),
    }
}

fn dockerfile_name(docker: &DockerArtifact) -> &str {
    if docker.dockerfile.is_empty() {
        DEFAULT_DOCKERFILE
    } else {
        &docker.dockerfile
    }
}

fn deps_error(artifact: &Artifact, err: DepsError) -> BuildError {
    BuildError::new(
        StatusCode::BuildDockerfileNotFound,
        format!("computing dependencies of {}: {err}", artifact.image),
    )
}

fn template_error(artifact: &Artifact, err: template::TemplateError) -> BuildError {
    BuildError::new(
        StatusCode::BuildUserError,
        format!("evaluating build args of {}: {err}", artifact.image),
    )
    .suggest(
        SuggestionCode::FixUserBuildErr,
        "Fix the templates in `buildArgs` and try again.",
    )
}

/// The build args sent to the engine: the artifact's templated `buildArgs`, then one arg per
/// required artifact, named by its alias, carrying the built reference.
fn build_args(
    request: &BuildRequest<'_>,
    docker: &DockerArtifact,
) -> Result<BuildArgs, BuildError> {
    let mut args = template::evaluate_env_template_map(&docker.build_args, &env_tags(&request.tag))
        .map_err(|e| template_error(request.artifact, e))?;
    for (alias, reference) in &request.required {
        args.insert(alias.clone(), Some(reference.clone()));
    }
    Ok(args)
}

/// Maps an engine failure to what Skaffold reports for it.
pub fn engine_error(err: EngineError) -> BuildError {
    match err {
        EngineError::NotRunning { .. } | EngineError::UnsupportedHost { .. } => {
            BuildError::new(StatusCode::BuildDockerDaemonNotRunning, err.to_string()).suggest(
                SuggestionCode::CheckDockerRunning,
                "Check if docker is running (start the engine, or point DOCKER_HOST at it).",
            )
        }
        EngineError::BuildFailed { .. } => {
            BuildError::new(StatusCode::BuildUserError, err.to_string())
                .suggest(SuggestionCode::FixUserBuildErr, "Please fix the Dockerfile and try again.")
        }
        EngineError::PushFailed { ref message, .. } if is_access_denied(message) => {
            BuildError::new(StatusCode::BuildPushAccessDenied, err.to_string()).suggest(
                SuggestionCode::DockerAuthConfigure,
                "Check your credentials for the registry (docker login) or set a registry you can push to with --default-repo.",
            )
        }
        EngineError::PushFailed { .. } => {
            BuildError::new(StatusCode::BuildDockerUnavailable, err.to_string()).suggest(
                SuggestionCode::CheckDefaultRepo,
                "Check that the registry is reachable, or set one with --default-repo (add it to insecureRegistries if it speaks plain HTTP).",
            )
        }
        EngineError::PullFailed { .. } => {
            BuildError::new(StatusCode::BuildDockerErrorNotFound, err.to_string()).suggest(
                SuggestionCode::FixUserBuildErr,
                "Check that the image exists and that the engine can reach its registry.",
            )
        }
        EngineError::Api { .. } => BuildError::new(StatusCode::BuildDockerUnknown, err.to_string())
            .suggest(
                SuggestionCode::DockerBuildRetry,
                "Docker build ran into internal error. Please retry.",
            ),
    }
}

fn is_access_denied(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    ["denied", "unauthorized", "authentication required"]
        .iter()
        .any(|needle| message.contains(needle))
}

/// The context sent to the engine, and the Dockerfile's path inside it.
struct Context {
    tar: Vec<u8>,
    dockerfile: String,
}

/// Tars the files of `workspace` that `.dockerignore` keeps, always including the Dockerfile (a
/// Dockerfile outside the context is added under a name of its own), as the docker CLI does.
fn context(workspace: &Path, dockerfile: &Path) -> Result<Context, BuildError> {
    let io_error = |what: &str, err: &dyn std::fmt::Display| {
        BuildError::new(StatusCode::BuildUserError, format!("{what}: {err}"))
    };
    let ignore = DockerIgnore::read(workspace, dockerfile)
        .map_err(|e| io_error("reading .dockerignore", &e))?;
    let mut files: Vec<PathBuf> = context_files(workspace, &ignore)
        .map_err(|e| io_error("listing the build context", &e))?
        .into_iter()
        .map(PathBuf::from)
        .collect();
    let inside = dockerfile
        .strip_prefix(workspace)
        .ok()
        .map(Path::to_path_buf);
    let tar = match &inside {
        Some(relative) => {
            if !files.contains(relative) {
                files.push(relative.clone());
            }
            skiff_docker::context_tar(workspace, files)
        }
        None => skiff_docker::context_tar_with(
            workspace,
            files,
            &[(OUTSIDE_DOCKERFILE_NAME, dockerfile)],
        ),
    }
    .map_err(|e| io_error("packing the build context", &e))?;
    let dockerfile = inside.map_or_else(
        || OUTSIDE_DOCKERFILE_NAME.to_owned(),
        |p| p.to_string_lossy().into_owned(),
    );
    Ok(Context { tar, dockerfile })
}

#[async_trait::async_trait]
impl Builder for DockerBuilder {
    async fn build(&self, request: &BuildRequest<'_>) -> Result<BuiltImage, BuildError> {
        let artifact = request.artifact;
        let docker = docker_config(artifact)?;
        let dockerfile = normalize_dockerfile_path(&request.workspace, dockerfile_name(docker))
            .map_err(|e| deps_error(artifact, e))?;
        if !dockerfile.is_file() {
            return Err(BuildError::new(
                StatusCode::BuildDockerfileNotFound,
                format!("Dockerfile {} not found", dockerfile.display()),
            )
            .suggest(
                SuggestionCode::FixSkaffoldConfigDockerfile,
                format!(
                    "Dockerfile not found. Please check config `dockerfile` for artifact {}.",
                    artifact.image
                ),
            ));
        }
        if request.platforms.len() > 1 {
            return Err(BuildError::new(
                StatusCode::BuildCrossPlatformErr,
                format!(
                    "building {} for several platforms ({}) needs a multi-platform builder; the engine API builds one platform at a time",
                    artifact.image,
                    request.platforms.join(", ")
                ),
            ));
        }
        let args = build_args(request, docker)?;
        let image_id = match self.path {
            BuildPath::Api => {
                self.build_with_api(request, docker, dockerfile, args)
                    .await?
            }
            BuildPath::Cli | BuildPath::Buildkit => {
                self.build_with_cli(request, docker, &dockerfile, &args)
                    .await?
            }
        };

        let reference = if request.push {
            let digest = self
                .engine
                .push(&request.tag, |line| {
                    request.output.write(&format!("{line}\n"))
                })
                .await
                .map_err(engine_error)?;
            format!("{}@{digest}", request.tag)
        } else {
            // A local image gets a tag unique to its content, so deployers always see the new one.
            let unique = tag_with_image_id(&request.tag, &image_id);
            self.engine
                .tag(&image_id, &unique)
                .await
                .map_err(engine_error)?;
            unique
        };
        Ok(BuiltImage {
            image_name: artifact.image.clone(),
            reference,
        })
    }

    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError> {
        dependencies(artifact, workspace)
    }
}

/// The source files of a docker artifact, relative to `workspace`: what its Dockerfile copies,
/// and the Dockerfile.
pub fn dependencies(artifact: &Artifact, workspace: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let docker = docker_config(artifact)?;
    let args = template::evaluate_env_template_map(&docker.build_args, &BTreeMap::new())
        .map_err(|e| template_error(artifact, e))?;
    docker_dependencies(workspace, dockerfile_name(docker), &args)
        .map_err(|e| deps_error(artifact, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_errors_are_classified() {
        let denied = engine_error(EngineError::PushFailed {
            reference: "r/x:1".into(),
            message: "denied: requested access to the resource is denied".into(),
        });
        assert_eq!(denied.code, StatusCode::BuildPushAccessDenied);
        let down = engine_error(EngineError::NotRunning {
            host: "h".into(),
            detail: "d".into(),
        });
        assert_eq!(down.code, StatusCode::BuildDockerDaemonNotRunning);
        assert_eq!(
            down.suggestion.unwrap().0,
            SuggestionCode::CheckDockerRunning
        );
    }
}
