//! How files reach one container: over its shell session (opened lazily, opened again when it
//! died), or — for an image without a shell — over a session of skiff's helper copied in, or,
//! where the helper cannot run, through the archive API for copies and a direct `rm` exec for
//! deletions.

use std::sync::atomic::{AtomicUsize, Ordering};

use skiff_docker::Engine;
use skiff_proto::enums::{StatusCode, SuggestionCode};

use super::helper::{HELPER_PATH, helper_archive};
use super::session::{OpenError, Request, RequestError, Session, names_missing_executable};
use crate::error::{DeployError, engine_error};

/// How many times a request is sent over a fresh session after the session broke.
const ATTEMPTS: usize = 2;

/// The way into one container.
#[derive(Debug, Default)]
pub(super) enum Transport {
    /// Nothing open yet, or the last session died.
    #[default]
    Closed,
    /// A session (of the image's shell or skiff's helper) that answered its last request.
    Open(Session),
    /// The image has no shell and the helper cannot run: the archive API and direct execs.
    NoShell,
}

impl Transport {
    /// Carries out `request` in `container`, opening a session as needed and counting the
    /// sessions opened in `opened`.
    pub(super) async fn send(
        &mut self,
        engine: &Engine,
        container: &str,
        request: Request<'_>,
        opened: &AtomicUsize,
    ) -> Result<(), DeployError> {
        let mut broken = String::new();
        for _ in 0..ATTEMPTS {
            if matches!(self, Transport::Closed) {
                *self = open(engine, container).await?;
                if matches!(self, Transport::Open(_)) {
                    opened.fetch_add(1, Ordering::Relaxed);
                }
            }
            match self {
                Transport::Open(session) => match session.send(request).await {
                    Ok(()) => return Ok(()),
                    Err(RequestError::Broken(why)) => {
                        tracing::debug!("sync session in container {container} broke: {why}");
                        *self = Transport::Closed;
                        broken = why;
                    }
                    Err(RequestError::Failed(why)) => return Err(failed(request, container, &why)),
                },
                Transport::NoShell => return without_shell(engine, container, request).await,
                Transport::Closed => unreachable!("a transport is opened before use"),
            }
        }
        Err(failed(request, container, &broken))
    }
}

/// A shell session in `container`; when its image has no shell, a session of skiff's helper,
/// or [`Transport::NoShell`] when the helper cannot run either.
async fn open(engine: &Engine, container: &str) -> Result<Transport, DeployError> {
    match Session::open(engine, container).await {
        Ok(session) => Ok(Transport::Open(session)),
        Err(OpenError::NoShell(why)) => {
            tracing::debug!("container {container} has no shell ({why})");
            match open_helper(engine, container).await {
                Ok(session) => Ok(Transport::Open(session)),
                Err(why) => {
                    tracing::debug!(
                        "skiff's sync helper cannot run in container {container} ({why}); \
                         syncing through the archive API"
                    );
                    Ok(Transport::NoShell)
                }
            }
        }
        Err(OpenError::Engine(e)) => Err(engine_error(
            &format!("opening a sync session in container {container}"),
            &e,
            StatusCode::SyncUnknown,
        )),
        Err(OpenError::Failed(why)) => Err(DeployError::new(
            StatusCode::SyncUnknown,
            format!("opening a sync session in container {container}: {why}"),
        )),
    }
}

/// Copies skiff's sync helper into `container` and opens a session of it; why not when it
/// cannot (an engine architecture without a helper, a file system it cannot be written to).
async fn open_helper(engine: &Engine, container: &str) -> Result<Session, String> {
    let version = engine.version().await.map_err(|e| e.to_string())?;
    let arch = version.platform.rsplit('/').next().unwrap_or_default();
    let archive = helper_archive(arch).ok_or_else(|| format!("no helper for {arch}"))?;
    engine
        .upload_archive(container, "/", archive)
        .await
        .map_err(|e| e.to_string())?;
    Session::open_helper(engine, container, HELPER_PATH)
        .await
        .map_err(|e| format!("{e:?}"))
}

/// Carries out `request` in a container without a shell: copies through the archive API,
/// deletions with `rm` run directly (which fails when the image has no `rm` either).
async fn without_shell(
    engine: &Engine,
    container: &str,
    request: Request<'_>,
) -> Result<(), DeployError> {
    match request {
        Request::Copy(tar) => engine
            .upload_archive(container, "/", tar.to_vec())
            .await
            .map_err(|e| {
                engine_error(
                    &format!("copying files into container {container}"),
                    &e,
                    StatusCode::SyncUnknown,
                )
            }),
        Request::Delete(paths) => {
            let mut cmd = vec!["rm", "-rf", "--"];
            cmd.extend(paths.iter().map(String::as_str));
            let no_rm = || {
                DeployError::new(
                    StatusCode::SyncUnknown,
                    format!(
                        "deleting files in container {container}: its image has neither a shell \
                         nor rm"
                    ),
                )
                .suggest(
                    SuggestionCode::CheckContainerImage,
                    "Add a shell or rm to the image so deleted files can be synced, or leave \
                     deletions out of the sync rules so they trigger a rebuild.",
                )
            };
            let ran = match engine.exec_to_end(container, &cmd).await {
                Ok(ran) => ran,
                Err(e) if names_missing_executable(&e.to_string()) => return Err(no_rm()),
                Err(e) => {
                    return Err(engine_error(
                        &format!("deleting files in container {container}"),
                        &e,
                        StatusCode::SyncUnknown,
                    ));
                }
            };
            match ran.exit_code {
                Some(0) => Ok(()),
                Some(126 | 127) => Err(no_rm()),
                _ if names_missing_executable(&ran.stderr) => Err(no_rm()),
                code => Err(failed(
                    request,
                    container,
                    &format!("rm exited ({code:?}): {}", ran.stderr.trim()),
                )),
            }
        }
    }
}

/// A request that failed in `container` for the reason `why`.
fn failed(request: Request<'_>, container: &str, why: &str) -> DeployError {
    let what = match request {
        Request::Copy(_) => "copying files into",
        Request::Delete(_) => "deleting files in",
    };
    DeployError::new(
        StatusCode::SyncUnknown,
        format!("{what} container {container}: {why}"),
    )
}
