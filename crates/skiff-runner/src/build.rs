//! The build phase: tag every artifact, build what needs building in dependency order, and
//! report it as Skaffold does (`Build-N` task, Build subtask events, `Generating tags...`).

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_build::builder::{BuildError, BuildRequest, Builder, BuiltImage};
use skiff_build::cache::{
    ArtifactCache, ArtifactHasher, CHECKING_CACHE, CacheOptions, FnLister, HashTarget,
    LookupRequest, RegistryClient,
};
use skiff_build::custom::CustomBuilder;
use skiff_build::docker::{DockerBuilder, engine_error};
use skiff_build::docker_cli::BuildPath;
use skiff_build::hooks::{BuildHookEnv, HookPhase, StaticHookEnv, run_build_hooks};
use skiff_build::scheduler::{Job, Schedule, ScheduleError, SubtaskOutput, build_all};
use skiff_build::sources::source_dependencies;
use skiff_build::tag::{
    DependencyError, DependencySource, TagInput, TaggerMux, TaggerSettings, image_tags,
    join_workspace,
};
use skiff_config::SkaffoldConfig;
use skiff_config::model::{Artifact, ArtifactType, BuildType};
use skiff_docker::Engine;
use skiff_events::{
    BuildPlatforms, BuildStep, LogFile, Output, Phase, SUBTASK_ID_NONE, Status, errors,
};
use skiff_proto::enums::StatusCode;

use crate::error::PipelineError;

/// How `build` runs, from the command line.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// `-t/--tag`: a tag that overrides every tag policy.
    pub custom_tag: Option<String>,
    /// `-d/--default-repo`.
    pub default_repo: Option<String>,
    /// `--push`: overrides `build.local.push`.
    pub push: Option<bool>,
    /// `--build-concurrency`: overrides `build.local.concurrency` (0 = no limit).
    pub concurrency: Option<usize>,
    /// `--platform`.
    pub platforms: Vec<String>,
    /// `-b/--build-image`: only the artifacts whose image name contains one of these (all when
    /// empty).
    pub only_images: Vec<String>,
    /// `--insecure-registry`, added to `build.insecureRegistries`.
    pub insecure_registries: Vec<String>,
    /// `--dry-run`: compute the tags, build nothing.
    pub dry_run: bool,
    /// `--cache-artifacts`: reuse images whose inputs did not change.
    pub cache_artifacts: bool,
    /// `--cache-file` (default `~/.skaffold/cache`).
    pub cache_file: Option<PathBuf>,
}

/// An artifact with the directory its context is relative to.
#[derive(Debug, Clone)]
pub struct ConfiguredArtifact {
    /// The artifact as configured.
    pub artifact: Artifact,
    /// The directory relative contexts are resolved against.
    pub base_dir: PathBuf,
}

impl ConfiguredArtifact {
    /// The artifact's context directory.
    pub fn workspace(&self) -> PathBuf {
        self.base_dir.join(&self.artifact.context)
    }
}

/// An artifact's source files as the `inputDigest` tagger wants them: relative to the base
/// directory, listed only when a tagger asks.
struct ArtifactSources<'a>(&'a ConfiguredArtifact);

impl DependencySource for ArtifactSources<'_> {
    fn dependencies(&self) -> Result<Cow<'_, [PathBuf]>, DependencyError> {
        let artifact = &self.0.artifact;
        let files = source_dependencies(artifact, &self.0.workspace())?;
        Ok(Cow::Owned(join_workspace(
            Path::new(&artifact.context),
            &files,
        )))
    }
}

/// The artifacts of `configs` to build, in config order, keeping those whose image name contains
/// one of `only` (all when it is empty).
pub fn artifacts(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    only: &[String],
) -> Vec<ConfiguredArtifact> {
    configs
        .iter()
        .flat_map(|c| &c.pipeline.build.artifacts)
        .filter(|a| only.is_empty() || only.iter().any(|o| a.image.contains(o.as_str())))
        .map(|a| ConfiguredArtifact {
            artifact: a.clone(),
            base_dir: base_dir.to_path_buf(),
        })
        .collect()
}

fn unsupported(artifact: &Artifact, what: &str, alternative: &str) -> PipelineError {
    PipelineError::new(
        Phase::Build,
        errors::actionable(
            StatusCode::InitCreateBuilderError,
            format!(
                "build.artifacts[{}]: {what} is not supported by skiff; {alternative}",
                artifact.image
            ),
            None,
        ),
    )
}

/// The builders skiff has, one per supported kind.
struct Builders {
    docker: Arc<dyn Builder>,
    custom: Arc<dyn Builder>,
}

impl Builders {
    /// The same builders writing their tools' output to log files (`--mute-logs build`).
    fn logging_to_files(self, output: &Output) -> Builders {
        let wrap = |inner| -> Arc<dyn Builder> {
            Arc::new(FileLoggingBuilder {
                inner,
                output: output.clone(),
            })
        };
        Builders {
            docker: wrap(self.docker),
            custom: wrap(self.custom),
        }
    }
}

/// A builder whose tools write to the artifact's log file, `build/<image>.log`, as Skaffold's
/// muted builds do: the terminal gets ` - writing logs to <file>` instead.
struct FileLoggingBuilder {
    inner: Arc<dyn Builder>,
    output: Output,
}

#[async_trait::async_trait]
impl Builder for FileLoggingBuilder {
    async fn build(&self, request: &BuildRequest<'_>) -> Result<BuiltImage, BuildError> {
        let image = request.artifact.image.as_str();
        let file = LogFile::create(&["build", &format!("{image}.log")]).map_err(|e| {
            BuildError::new(
                StatusCode::BuildUnknown,
                format!("unable to create log file for {image}: {e}"),
            )
        })?;
        request
            .output
            .write(&format!(" - writing logs to {}\n", file.path().display()));
        let output = self.output.to_file(file);
        let to_file = SubtaskOutput {
            output: &output,
            subtask: image,
        };
        let request = BuildRequest {
            artifact: request.artifact,
            workspace: request.workspace.clone(),
            tag: request.tag.clone(),
            push: request.push,
            platforms: request.platforms.clone(),
            required: request.required.clone(),
            insecure_registries: request.insecure_registries.clone(),
            output: &to_file,
        };
        self.inner.build(&request).await
    }

    fn dependencies(
        &self,
        artifact: &Artifact,
        workspace: &Path,
    ) -> Result<Vec<PathBuf>, BuildError> {
        self.inner.dependencies(artifact, workspace)
    }
}

/// The builder of an artifact's kind, or a clear error for kinds skiff cannot build.
fn builder_for(
    artifact: &Artifact,
    builders: &Builders,
) -> Result<Arc<dyn Builder>, PipelineError> {
    match &artifact.artifact_type {
        Some(ArtifactType::Docker(_)) | None => Ok(Arc::clone(&builders.docker)),
        Some(ArtifactType::Custom(_)) => Ok(Arc::clone(&builders.custom)),
        Some(ArtifactType::Bazel(_)) => Err(unsupported(
            artifact,
            "the bazel builder (`bazel`)",
            "run bazel from a custom builder (`custom.buildCommand`), or build with `docker`",
        )),
        Some(ArtifactType::Ko(_)) => Err(unsupported(
            artifact,
            "the ko builder (`ko`)",
            "run `ko build` from a custom builder (`custom.buildCommand`), or build with `docker`",
        )),
        Some(ArtifactType::Jib(_)) => Err(unsupported(
            artifact,
            "the jib builder (`jib`)",
            "run the jib Maven/Gradle goal from a custom builder (`custom.buildCommand`), or build with `docker`",
        )),
        Some(ArtifactType::Buildpacks(_)) => Err(unsupported(
            artifact,
            "the buildpacks builder (`buildpacks`)",
            "run `pack build` from a custom builder (`custom.buildCommand`), or build with `docker`",
        )),
        Some(ArtifactType::Kaniko(_)) => Err(unsupported(
            artifact,
            "the kaniko builder (`kaniko`, an in-cluster build)",
            "build locally with `docker` (build.local)",
        )),
    }
}

/// Checks that every config builds locally: Cloud Build and in-cluster builds are not
/// supported.
fn check_build_type(configs: &[&SkaffoldConfig]) -> Result<(), PipelineError> {
    for config in configs {
        let what = match &config.pipeline.build.build_type {
            Some(BuildType::GoogleCloudBuild(_)) => "build.googleCloudBuild (Google Cloud Build)",
            Some(BuildType::Cluster(_)) => "build.cluster (in-cluster builds)",
            _ => continue,
        };
        return Err(PipelineError::new(
            Phase::Build,
            errors::actionable(
                StatusCode::InitCreateBuilderError,
                format!("{what} is not supported by skiff; use build.local"),
                None,
            ),
        ));
    }
    Ok(())
}

/// What the build phase produced.
#[derive(Debug, Clone, Default)]
pub struct BuildOutcome {
    /// Every artifact's reference (`--dry-run`: the tags that would be built).
    pub builds: Vec<BuiltImage>,
}

/// Runs the build phase over `configs` on `engine`, or on a connection of its own when
/// `None` (one is needed unless `opts.dry_run`).
pub async fn build(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    opts: &BuildOptions,
    engine: Option<&Engine>,
    output: &Output,
) -> Result<BuildOutcome, PipelineError> {
    let hub = output.hub();
    hub.task_in_progress(Phase::Build, "Build containers");
    let result = run(configs, base_dir, opts, engine, output).await;
    match &result {
        Ok(_) => hub.task_succeeded(Phase::Build),
        Err(err) => hub.task_failed(Phase::Build, err.actionable.clone()),
    }
    result
}

async fn run(
    configs: &[&SkaffoldConfig],
    base_dir: &Path,
    opts: &BuildOptions,
    engine: Option<&Engine>,
    output: &Output,
) -> Result<BuildOutcome, PipelineError> {
    check_build_type(configs)?;
    let artifacts = artifacts(configs, base_dir, &opts.only_images);

    let mux = TaggerMux::from_pipelines(
        configs.iter().map(|c| &c.pipeline.build),
        opts.custom_tag.as_deref(),
        &TaggerSettings::default(),
    )
    .map_err(|e| {
        PipelineError::new(
            Phase::Build,
            errors::actionable(StatusCode::InitCreateTaggerError, e.to_string(), None),
        )
    })?;
    let sources: Vec<ArtifactSources<'_>> = artifacts.iter().map(ArtifactSources).collect();
    let inputs: Vec<TagInput<'_>> = artifacts
        .iter()
        .zip(&sources)
        .map(|(a, sources)| {
            TagInput::for_artifact(&a.artifact)
                .with_base_dir(&a.base_dir)
                .with_dependencies(sources)
        })
        .collect();
    let mut printed = Vec::new();
    let tags = image_tags(
        &mux,
        &inputs,
        opts.default_repo.as_deref(),
        None,
        &mut printed,
    );
    output.phase(Phase::Build, &String::from_utf8_lossy(&printed));
    let tags = tags.map_err(|e| {
        PipelineError::new(
            Phase::Build,
            errors::actionable(StatusCode::BuildUnknown, e.to_string(), None),
        )
    })?;

    if opts.dry_run {
        let builds = tags
            .tags
            .iter()
            .map(|t| BuiltImage {
                image_name: t.image.clone(),
                reference: t.tag.clone(),
            })
            .collect();
        return Ok(BuildOutcome { builds });
    }

    let engine = match engine {
        Some(engine) => engine.clone(),
        None => Engine::connect(None)
            .await
            .map_err(|e| PipelineError::new(Phase::Build, engine_error(e).actionable()))?,
    };
    let mut builders = Builders {
        docker: Arc::new(DockerBuilder::new(engine.clone()).with_path(build_path(configs))),
        custom: Arc::new(CustomBuilder::new(engine.clone())),
    };
    if output.mutes(Phase::Build) {
        builders = builders.logging_to_files(output);
    }
    let mut jobs = Vec::with_capacity(artifacts.len());
    for configured in &artifacts {
        let artifact = &configured.artifact;
        jobs.push(Job {
            artifact: artifact.clone(),
            workspace: configured.workspace(),
            tag: tags
                .get(&artifact.image)
                .unwrap_or(&artifact.image)
                .to_owned(),
            builder: builder_for(artifact, &builders)?,
        });
    }

    let mut schedule = schedule(configs, opts, &engine).await;
    let cache = if opts.cache_artifacts {
        ArtifactCache::open(&CacheOptions {
            enabled: true,
            cache_file: opts.cache_file.clone(),
        })
    } else {
        ArtifactCache::disabled()
    };
    for warning in cache.warnings() {
        tracing::warn!("{warning}");
    }
    let registry = RegistryClient::new(schedule.insecure_registries.clone());
    let try_import_missing = local_build(configs).is_some_and(|l| l.try_import_missing);
    let (hits, misses) = check_cache(
        &cache,
        &jobs,
        &schedule,
        try_import_missing,
        &engine,
        &registry,
        output,
    )
    .await;
    schedule.prebuilt = hits
        .iter()
        .map(|b| (b.image_name.clone(), b.reference.clone()))
        .collect();

    let result = build_with_pipeline_hooks(configs, &misses, &schedule, output).await;
    if let Ok(built) = &result {
        for image in built {
            if let Err(e) = cache
                .record_build(&image.image_name, &image.reference, schedule.push, &engine)
                .await
            {
                tracing::warn!("recording {} in the cache: {e}", image.image_name);
            }
        }
    }
    if let Err(e) = cache.save() {
        tracing::warn!("saving the artifact cache: {e}");
    }
    let built = result?;
    // Report every artifact in config order.
    let builds = jobs
        .iter()
        .filter_map(|job| {
            let image = &job.artifact.image;
            hits.iter()
                .chain(built.iter())
                .find(|b| &b.image_name == image)
                .cloned()
        })
        .collect();
    Ok(BuildOutcome { builds })
}

/// Runs each config's `build.hooks.before`, builds the jobs, then the `build.hooks.after`.
async fn build_with_pipeline_hooks(
    configs: &[&SkaffoldConfig],
    jobs: &[Job],
    schedule: &Schedule,
    output: &Output,
) -> Result<Vec<BuiltImage>, PipelineError> {
    let env = BuildHookEnv::for_pipeline(schedule.hook_env.clone());
    let sink = SubtaskOutput {
        output,
        subtask: SUBTASK_ID_NONE,
    };
    let hook_failure = |error: BuildError| PipelineError::new(Phase::Build, error.actionable());
    for config in configs {
        run_build_hooks(
            HookPhase::Before,
            &config.pipeline.build.hooks.before,
            &env,
            &sink,
        )
        .await
        .map_err(hook_failure)?;
    }
    let built = build_all(jobs, schedule, output.hub(), output)
        .await
        .map_err(|e: ScheduleError| PipelineError::new(Phase::Build, e.actionable()))?;
    for config in configs {
        run_build_hooks(
            HookPhase::After,
            &config.pipeline.build.hooks.after,
            &env,
            &sink,
        )
        .await
        .map_err(hook_failure)?;
    }
    Ok(built)
}

/// Looks every job up in the cache (`Checking cache...`, Cache subtask events) and retrieves
/// the hits. Returns the hits' images and the jobs that still need a build.
async fn check_cache(
    cache: &ArtifactCache,
    jobs: &[Job],
    schedule: &Schedule,
    try_import_missing: bool,
    engine: &Engine,
    registry: &RegistryClient,
    output: &Output,
) -> (Vec<BuiltImage>, Vec<Job>) {
    if !cache.is_enabled() {
        return (Vec::new(), jobs.to_vec());
    }
    let hub = output.hub();
    output.phase(Phase::Build, &format!("{CHECKING_CACHE}\n"));
    let targets = jobs.iter().map(|job| HashTarget {
        artifact: job.artifact.clone(),
        workspace: job.workspace.clone(),
        tag: job.tag.clone(),
        platforms: schedule.platforms.clone(),
        lister: Arc::new(FnLister(source_dependencies)),
    });
    let hasher = ArtifactHasher::new(targets, Arc::clone(cache.file_hashes()), "build");
    let requests: Vec<LookupRequest<'_>> = jobs
        .iter()
        .map(|job| LookupRequest {
            image_name: &job.artifact.image,
            tag: &job.tag,
            push: schedule.push,
            platforms: &schedule.platforms,
            try_import_missing,
        })
        .collect();
    for job in jobs {
        hub.build_subtask(
            &job.artifact.image,
            BuildStep::Cache,
            Status::InProgress,
            &schedule.event_platforms,
            None,
        );
    }
    let lookups = cache.check_all(&hasher, &requests, engine, registry).await;

    let mut hits = Vec::new();
    let mut misses = Vec::new();
    for ((job, request), lookup) in jobs.iter().zip(&requests).zip(lookups) {
        let image = job.artifact.image.as_str();
        let sink = SubtaskOutput {
            output,
            subtask: image,
        };
        let retrieved = match lookup {
            Ok(found) => {
                output.write(
                    Phase::Build,
                    image,
                    &format!(" - {image}: {}\n", found.result.message()),
                );
                cache
                    .retrieve(request, &found, engine, registry, &sink)
                    .await
            }
            Err(e) => Err(e),
        };
        match retrieved {
            Ok(Some(reference)) => {
                hub.build_subtask(
                    image,
                    BuildStep::Cache,
                    Status::Succeeded,
                    &schedule.event_platforms,
                    None,
                );
                hits.push(BuiltImage {
                    image_name: image.to_owned(),
                    reference,
                });
            }
            Ok(None) => {
                hub.build_subtask(
                    image,
                    BuildStep::Cache,
                    Status::Failed,
                    &schedule.event_platforms,
                    None,
                );
                misses.push(job.clone());
            }
            Err(e) => {
                tracing::warn!("cache check of {image} failed, building it: {e}");
                output.write(
                    Phase::Build,
                    image,
                    &format!(" - {image}: Error checking cache.\n"),
                );
                hub.build_subtask(
                    image,
                    BuildStep::Cache,
                    Status::Failed,
                    &schedule.event_platforms,
                    None,
                );
                misses.push(job.clone());
            }
        }
    }
    (hits, misses)
}

/// How docker artifacts are built: `useBuildkit: true` and `useDockerCLI` go through the
/// `docker` CLI, anything else through the engine API.
fn build_path(configs: &[&SkaffoldConfig]) -> BuildPath {
    match local_build(configs) {
        Some(local) if local.use_buildkit == Some(true) => BuildPath::Buildkit,
        Some(local) if local.use_docker_cli => BuildPath::Cli,
        _ => BuildPath::Api,
    }
}

/// The `build.local` section of the first config, if it builds locally.
fn local_build<'a>(configs: &[&'a SkaffoldConfig]) -> Option<&'a skiff_config::model::LocalBuild> {
    configs
        .first()
        .and_then(|c| match &c.pipeline.build.build_type {
            Some(BuildType::Local(local)) => Some(local),
            _ => None,
        })
}

async fn schedule(configs: &[&SkaffoldConfig], opts: &BuildOptions, engine: &Engine) -> Schedule {
    let local = configs
        .first()
        .and_then(|c| match &c.pipeline.build.build_type {
            Some(BuildType::Local(local)) => Some(local),
            _ => None,
        });
    let push = opts
        .push
        .or_else(|| local.and_then(|l| l.push))
        .unwrap_or(false);
    let concurrency = opts
        .concurrency
        .or_else(|| {
            local
                .and_then(|l| l.concurrency)
                .map(|c| usize::try_from(c).unwrap_or(1))
        })
        .unwrap_or(1);
    let host = engine
        .version()
        .await
        .map(|v| v.platform)
        .unwrap_or_default();
    let mut insecure_registries: Vec<String> = configs
        .iter()
        .flat_map(|c| c.pipeline.build.insecure_registries.iter().cloned())
        .collect();
    insecure_registries.extend(opts.insecure_registries.iter().cloned());
    Schedule {
        push,
        concurrency,
        platforms: opts.platforms.clone(),
        insecure_registries,
        event_platforms: BuildPlatforms {
            host,
            targets: opts.platforms.join(","),
        },
        prebuilt: Default::default(),
        hook_env: StaticHookEnv {
            default_repo: opts.default_repo.clone(),
            multi_level_repo: None,
            rpc_port: None,
            http_port: None,
            work_dir: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_events::Stream;
    use skiff_proto::v2::event::EventType;
    use skiff_testenv::{recorded_events, recorded_output};

    /// A builder whose tool prints one step.
    struct OneStep;

    #[async_trait::async_trait]
    impl Builder for OneStep {
        async fn build(&self, request: &BuildRequest<'_>) -> Result<BuiltImage, BuildError> {
            request.output.write("Step 1/1 : FROM base\n");
            Ok(BuiltImage {
                image_name: request.artifact.image.clone(),
                reference: request.tag.clone(),
            })
        }

        fn dependencies(&self, _: &Artifact, _: &Path) -> Result<Vec<PathBuf>, BuildError> {
            Ok(Vec::new())
        }
    }

    #[tokio::test]
    async fn a_muted_build_writes_its_tools_output_to_the_artifacts_log_file() {
        let (output, printed) = recorded_output();
        let image = format!("example.com/mute/img-{}", std::process::id());
        let artifact = Artifact {
            image: image.clone(),
            ..Default::default()
        };
        let to_terminal = SubtaskOutput {
            output: &output,
            subtask: &image,
        };
        let request = BuildRequest {
            artifact: &artifact,
            workspace: PathBuf::from("."),
            tag: format!("{image}:1"),
            push: false,
            platforms: Vec::new(),
            required: Default::default(),
            insecure_registries: Vec::new(),
            output: &to_terminal,
        };
        let builders = Builders {
            docker: Arc::new(OneStep),
            custom: Arc::new(OneStep),
        }
        .logging_to_files(&output);

        let built = builders.docker.build(&request).await.unwrap();

        assert_eq!(built.reference, format!("{image}:1"));
        let file = std::env::temp_dir().join(format!(
            "skaffold/build/example.com-mute-img-{}.log",
            std::process::id()
        ));
        assert_eq!(
            printed.text(),
            format!(" - writing logs to {}\n", file.display())
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "Step 1/1 : FROM base\n"
        );
        std::fs::remove_file(&file).unwrap();
        let logs = recorded_events(output.hub(), Stream::Events, |e| match e {
            EventType::SkaffoldLogEvent(l) => Some((l.subtask_id.clone(), l.message.clone())),
            _ => None,
        });
        assert_eq!(
            logs,
            [(image, format!(" - writing logs to {}\n", file.display()))]
        );
    }

    #[test]
    fn build_image_keeps_artifacts_whose_name_contains_it() {
        let mut set = skiff_config::load_str(
            "apiVersion: skaffold/v4beta14\nkind: Config\nbuild:\n  artifacts:\n    - image: web-frontend\n    - image: db\n    - image: web-backend\n",
            "skaffold.yaml",
        )
        .unwrap();
        skiff_config::defaults::apply(&mut set, &Default::default()).unwrap();
        let configs: Vec<&SkaffoldConfig> = set.entries.iter().map(|e| &e.config).collect();
        let names = |only: &[&str]| -> Vec<String> {
            let only: Vec<String> = only.iter().map(|s| (*s).to_owned()).collect();
            artifacts(&configs, Path::new("/p"), &only)
                .into_iter()
                .map(|a| a.artifact.image)
                .collect()
        };
        assert_eq!(names(&[]), ["web-frontend", "db", "web-backend"]);
        assert_eq!(names(&["web"]), ["web-frontend", "web-backend"]);
        assert_eq!(names(&["db", "front"]), ["web-frontend", "db"]);
    }
}
