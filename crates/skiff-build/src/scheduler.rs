//! The artifact graph: builds artifacts in dependency order (`requires`), at most `concurrency`
//! at a time, emitting the Build subtask events; the first failure cancels the rest.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use futures_util::stream::{FuturesUnordered, StreamExt};
use skiff_config::model::Artifact;
use skiff_events::{BuildPlatforms, BuildStep, Hub, Output, Phase, Status, errors};
use skiff_proto::enums::StatusCode;
use skiff_proto::v2::ActionableErr;

use crate::builder::{BuildError, BuildOutput, BuildRequest, Builder, BuiltImage};
use crate::hooks::{BuildHookEnv, HookPhase, StaticHookEnv, run_build_hooks};

/// One artifact to build, with its builder chosen and its reference decided.
#[derive(Clone)]
pub struct Job {
    /// The artifact as configured.
    pub artifact: Artifact,
    /// The artifact's context directory, absolute.
    pub workspace: PathBuf,
    /// The reference to build (`registry/name:tag`).
    pub tag: String,
    /// The builder for the artifact's kind.
    pub builder: Arc<dyn Builder>,
}

/// How the whole set is built.
#[derive(Debug, Clone, Default)]
pub struct Schedule {
    /// Push results to their registries.
    pub push: bool,
    /// Builds at once; 0 means no limit.
    pub concurrency: usize,
    /// Target platforms for every artifact that does not set its own.
    pub platforms: Vec<String>,
    /// Registries reached over plain HTTP.
    pub insecure_registries: Vec<String>,
    /// Host and target platforms reported in events.
    pub event_platforms: BuildPlatforms,
    /// References of artifacts that need no build (cache hits), by image name, for the
    /// artifacts that require them.
    pub prebuilt: BTreeMap<String, String>,
    /// The run-wide variables of build hooks.
    pub hook_env: StaticHookEnv,
}

/// The build of a set failed; `image` is the artifact that failed first.
#[derive(Debug, thiserror::Error)]
#[error("building {image}: {error}")]
pub struct ScheduleError {
    /// The artifact whose build failed.
    pub image: String,
    /// Its error.
    pub error: BuildError,
}

impl ScheduleError {
    /// The error as it appears in events.
    pub fn actionable(&self) -> ActionableErr {
        self.error.actionable()
    }
}

/// Tool output (a builder's, the cache's, a hook's) written as Build output of one subtask: an
/// artifact's image name, or `SUBTASK_ID_NONE` for pipeline-level work.
pub struct SubtaskOutput<'a> {
    /// Where the output goes.
    pub output: &'a Output,
    /// The subtask id the log events carry.
    pub subtask: &'a str,
}

impl BuildOutput for SubtaskOutput<'_> {
    fn write(&self, text: &str) {
        self.output.write(Phase::Build, self.subtask, text);
    }
}

/// For each job, the indices of the jobs it requires, or an error naming a cycle.
fn dependencies(jobs: &[Job]) -> Result<Vec<Vec<usize>>, ScheduleError> {
    let index: HashMap<&str, usize> = jobs
        .iter()
        .enumerate()
        .map(|(i, j)| (j.artifact.image.as_str(), i))
        .collect();
    let deps: Vec<Vec<usize>> = jobs
        .iter()
        .map(|j| {
            j.artifact
                .requires
                .iter()
                .filter_map(|r| index.get(r.image.as_str()).copied())
                .collect()
        })
        .collect();
    // Kahn's algorithm: anything left over sits on a cycle.
    let mut pending: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..jobs.len()).filter(|&i| pending[i] == 0).collect();
    let mut done = 0;
    while let Some(i) = ready.pop() {
        done += 1;
        for (j, d) in deps.iter().enumerate() {
            if d.contains(&i) {
                pending[j] -= 1;
                if pending[j] == 0 {
                    ready.push(j);
                }
            }
        }
    }
    if done < jobs.len() {
        let cycle: Vec<&str> = (0..jobs.len())
            .filter(|&i| pending[i] > 0)
            .map(|i| jobs[i].artifact.image.as_str())
            .collect();
        return Err(ScheduleError {
            image: cycle[0].to_owned(),
            error: BuildError::new(
                StatusCode::BuildUnknown,
                format!(
                    "cycle detected in build dependencies involving {}",
                    cycle.join(", ")
                ),
            ),
        });
    }
    Ok(deps)
}

/// Builds every job and returns the built images in the jobs' order.
pub async fn build_all(
    jobs: &[Job],
    schedule: &Schedule,
    hub: &Hub,
    output: &Output,
) -> Result<Vec<BuiltImage>, ScheduleError> {
    let deps = dependencies(jobs)?;
    let limit = if schedule.concurrency == 0 {
        jobs.len().max(1)
    } else {
        schedule.concurrency
    };
    let mut built: BTreeMap<usize, BuiltImage> = BTreeMap::new();
    let mut started = vec![false; jobs.len()];
    let mut running = FuturesUnordered::new();
    let mut failure = None;

    loop {
        if failure.is_none() {
            for i in 0..jobs.len() {
                if running.len() >= limit {
                    break;
                }
                if !started[i] && deps[i].iter().all(|d| built.contains_key(d)) {
                    started[i] = true;
                    let required =
                        required_references(&jobs[i], &deps[i], &built, &schedule.prebuilt);
                    running.push(build_one(i, &jobs[i], required, schedule, hub, output));
                }
            }
        }
        let Some((i, result)) = running.next().await else {
            break;
        };
        match result {
            Ok(image) => {
                built.insert(i, image);
            }
            Err(error) => {
                failure = Some(ScheduleError {
                    image: jobs[i].artifact.image.clone(),
                    error,
                });
                break;
            }
        }
    }

    if let Some(failure) = failure {
        // Dropping the running builds cancels them; report them and the unstarted ones.
        drop(running);
        let canceled = errors::actionable(StatusCode::BuildCancelled, "build canceled", None);
        for (i, job) in jobs.iter().enumerate() {
            if !built.contains_key(&i) && job.artifact.image != failure.image {
                hub.build_subtask(
                    &job.artifact.image,
                    BuildStep::Build,
                    Status::Canceled,
                    &schedule.event_platforms,
                    Some(canceled.clone()),
                );
            }
        }
        return Err(failure);
    }
    Ok(built.into_values().collect())
}

/// The references of a job's required artifacts, by alias: built in this run, or prebuilt.
fn required_references(
    job: &Job,
    deps: &[usize],
    built: &BTreeMap<usize, BuiltImage>,
    prebuilt: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    job.artifact
        .requires
        .iter()
        .filter(|r| !r.alias.is_empty())
        .filter_map(|r| {
            deps.iter()
                .filter_map(|d| built.get(d))
                .find(|b| b.image_name == r.image)
                .map(|b| b.reference.clone())
                .or_else(|| prebuilt.get(&r.image).cloned())
                .map(|reference| (r.alias.clone(), reference))
        })
        .collect()
}

async fn build_one(
    index: usize,
    job: &Job,
    required: BTreeMap<String, String>,
    schedule: &Schedule,
    hub: &Hub,
    output: &Output,
) -> (usize, Result<BuiltImage, BuildError>) {
    let image = job.artifact.image.as_str();
    let platforms = if job.artifact.platforms.is_empty() {
        schedule.platforms.clone()
    } else {
        job.artifact.platforms.clone()
    };
    hub.build_subtask(
        image,
        BuildStep::Build,
        Status::InProgress,
        &schedule.event_platforms,
        None,
    );
    output.write(Phase::Build, image, &format!("Building [{image}]...\n"));
    let sink = SubtaskOutput {
        output,
        subtask: image,
    };
    let request = BuildRequest {
        artifact: &job.artifact,
        workspace: job.workspace.clone(),
        tag: job.tag.clone(),
        push: schedule.push,
        platforms,
        required,
        insecure_registries: schedule.insecure_registries.clone(),
        output: &sink,
    };
    let hook_env = BuildHookEnv::for_artifact(
        &job.tag,
        schedule.push,
        &job.workspace,
        schedule.hook_env.clone(),
    );
    let result: Result<BuiltImage, BuildError> = async {
        run_build_hooks(
            HookPhase::Before,
            &job.artifact.hooks.before,
            &hook_env,
            &sink,
        )
        .await?;
        let built = job.builder.build(&request).await?;
        run_build_hooks(
            HookPhase::After,
            &job.artifact.hooks.after,
            &hook_env,
            &sink,
        )
        .await?;
        Ok(built)
    }
    .await;
    let (status, err) = match &result {
        Ok(_) => (Status::Succeeded, None),
        Err(e) => (Status::Failed, Some(e.actionable())),
    };
    hub.build_subtask(
        image,
        BuildStep::Build,
        status,
        &schedule.event_platforms,
        err,
    );
    (index, result)
}
