//! Connecting to a Docker-compatible engine (dockerd, or Podman's compatible socket) and the
//! image operations the builder needs: build, tag, inspect, push.

use std::collections::HashMap;
use std::sync::Arc;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, PushImageOptionsBuilder, TagImageOptionsBuilder,
};
use futures_util::StreamExt;
use tokio::sync::OnceCell;

use crate::error::EngineError;
use crate::reference::split_tag;

/// The socket used when `DOCKER_HOST` is not set.
pub const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

/// How long one engine request may take before it is abandoned, in seconds.
const REQUEST_TIMEOUT_SECS: u64 = 600;

/// A connection to a Docker-compatible engine.
#[derive(Debug, Clone)]
pub struct Engine {
    docker: Docker,
    host: String,
    /// The engine's answer to `version`, asked once per connection (every build and
    /// the pause image want the platform).
    version: Arc<OnceCell<EngineVersion>>,
}

/// What the engine says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineVersion {
    /// The engine's product version (`20.10.24`, `4.3.1`).
    pub version: String,
    /// The API version in use after negotiation (`1.41`).
    pub api_version: String,
    /// `os/arch` of the engine's host, in Go's spelling (`linux/amd64`).
    pub platform: String,
}

/// One image build.
#[derive(Debug, Clone, Default)]
pub struct BuildRequest {
    /// The Dockerfile's path inside the context.
    pub dockerfile: String,
    /// The reference to tag the result with (`name:tag`).
    pub tag: String,
    /// The stage to build (`--target`).
    pub target: Option<String>,
    /// Build arguments; `None` values pass the variable through from the engine's side unset.
    pub build_args: HashMap<String, String>,
    /// Network mode for `RUN` steps.
    pub network: Option<String>,
    /// Extra `/etc/hosts` entries (`host:ip`).
    pub add_hosts: Vec<String>,
    /// Images to use as cache sources.
    pub cache_from: Vec<String>,
    /// Do not use the build cache.
    pub no_cache: bool,
    /// Always pull a newer version of the base images.
    pub pull_parent: bool,
    /// Squash the new layers into one (needs an engine with experimental features).
    pub squash: bool,
    /// Target platform (`linux/amd64`), if not the engine's own.
    pub platform: Option<String>,
}

impl Engine {
    /// Connects to `host` (or `DOCKER_HOST`, or the default socket), negotiates the API
    /// version and checks that the engine answers.
    pub async fn connect(host: Option<&str>) -> Result<Engine, EngineError> {
        let host = host
            .map(str::to_owned)
            .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()))
            .unwrap_or_else(|| DEFAULT_HOST.to_owned());
        let not_running = |detail: String| EngineError::NotRunning {
            host: host.clone(),
            detail,
        };
        let docker = if let Some(path) = host.strip_prefix("unix://") {
            Docker::connect_with_unix(path, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else if host.starts_with("tcp://") || host.starts_with("http://") {
            Docker::connect_with_http(&host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        } else {
            return Err(EngineError::UnsupportedHost { host });
        }
        .map_err(|e| not_running(e.to_string()))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| not_running(e.to_string()))?;
        docker
            .ping()
            .await
            .map_err(|e| not_running(e.to_string()))?;
        Ok(Engine {
            docker,
            host,
            version: Arc::default(),
        })
    }

    /// The engine address in use (`unix:///var/run/docker.sock`).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The underlying API client, for operations this type does not wrap.
    pub fn client(&self) -> &Docker {
        &self.docker
    }

    /// The engine's version and platform (asked once per connection).
    pub async fn version(&self) -> Result<EngineVersion, EngineError> {
        self.version
            .get_or_try_init(|| async {
                let v = self
                    .docker
                    .version()
                    .await
                    .map_err(EngineError::api("version"))?;
                Ok(EngineVersion {
                    version: v.version.unwrap_or_default(),
                    api_version: self.docker.client_version().to_string(),
                    platform: format!(
                        "{}/{}",
                        v.os.unwrap_or_default(),
                        v.arch.unwrap_or_default()
                    ),
                })
            })
            .await
            .cloned()
    }

    /// Builds an image from a context tar, passing each line of build output to `on_output`,
    /// and returns the image id (`sha256:…`).
    pub async fn build(
        &self,
        context_tar: Vec<u8>,
        request: &BuildRequest,
        mut on_output: impl FnMut(&str),
    ) -> Result<String, EngineError> {
        let mut options = BuildImageOptionsBuilder::default()
            .dockerfile(&request.dockerfile)
            .t(&request.tag)
            .rm(true)
            .forcerm(true)
            .nocache(request.no_cache)
            .buildargs(&request.build_args)
            .target(request.target.as_deref().unwrap_or_default())
            .platform(request.platform.as_deref().unwrap_or_default());
        if let Some(network) = &request.network {
            options = options.networkmode(network);
        }
        if !request.add_hosts.is_empty() {
            options = options.extrahosts(&request.add_hosts.join(","));
        }
        if !request.cache_from.is_empty() {
            options = options.cachefrom(&request.cache_from);
        }
        if request.pull_parent {
            options = options.pull("1");
        }
        if request.squash {
            options = options.squash(true);
        }
        let body = bollard::body_full(context_tar.into());
        let mut stream = self.docker.build_image(options.build(), None, Some(body));
        let mut image_id = None;
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                Err(err) => return Err(self.unless_gone(EngineError::build(err)).await),
            };
            if let Some(detail) = info.error_detail {
                return Err(EngineError::BuildFailed {
                    message: detail.message.unwrap_or_default(),
                });
            }
            if let Some(text) = info.stream.as_deref().or(info.status.as_deref()) {
                on_output(text);
            }
            if let Some(id) = info.aux.and_then(|aux| aux.id) {
                image_id = Some(id);
            }
        }
        match image_id {
            Some(id) => Ok(id),
            // Engines without `aux` messages: ask for the tag that was just built.
            None => self
                .image_id(&request.tag)
                .await?
                .ok_or_else(|| EngineError::BuildFailed {
                    message: format!("the engine reported no image for {}", request.tag),
                }),
        }
    }

    /// `err`, or — when the engine no longer answers — that it is gone, which is what the user
    /// needs to know when a stream breaks off.
    pub async fn unless_gone(&self, err: EngineError) -> EngineError {
        if matches!(err, EngineError::Api { .. }) && self.docker.ping().await.is_err() {
            return EngineError::NotRunning {
                host: self.host.clone(),
                detail: format!("the engine stopped answering ({err})"),
            };
        }
        err
    }

    /// The id of a local image, or `None` if the engine has no such image.
    pub async fn image_id(&self, reference: &str) -> Result<Option<String>, EngineError> {
        match self.docker.inspect_image(reference).await {
            Ok(image) => Ok(image.id),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(EngineError::api("inspect image")(e)),
        }
    }

    /// Tags a local image (by id or reference) as `target` (`repo:tag`).
    pub async fn tag(&self, image: &str, target: &str) -> Result<(), EngineError> {
        let (repo, tag) = split_tag(target);
        let options = TagImageOptionsBuilder::default()
            .repo(repo)
            .tag(tag.unwrap_or("latest"))
            .build();
        self.docker
            .tag_image(image, Some(options))
            .await
            .map_err(EngineError::api("tag image"))
    }

    /// Pushes `reference` (`repo:tag`) and returns the digest the registry stored it under.
    pub async fn push(
        &self,
        reference: &str,
        mut on_output: impl FnMut(&str),
    ) -> Result<String, EngineError> {
        let (repo, tag) = split_tag(reference);
        let tag = tag.unwrap_or("latest");
        let options = PushImageOptionsBuilder::default().tag(tag).build();
        // An empty credential header is what engines expect when no login is configured.
        let credentials = Some(DockerCredentials::default());
        let mut stream = self.docker.push_image(repo, Some(options), credentials);
        let mut digest = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| EngineError::PushFailed {
                reference: reference.to_owned(),
                message: e.to_string(),
            })?;
            if let Some(detail) = info.error_detail {
                return Err(EngineError::PushFailed {
                    reference: reference.to_owned(),
                    message: detail.message.unwrap_or_default(),
                });
            }
            if let Some(status) = info.status.as_deref() {
                on_output(status);
                digest = digest.or_else(|| digest_in_status(status));
            }
        }
        digest.ok_or_else(|| EngineError::PushFailed {
            reference: reference.to_owned(),
            message: "the engine reported no digest for the pushed image".into(),
        })
    }
}

/// The digest in a push status line (`1: digest: sha256:… size: 943`), which both dockerd and
/// Podman write.
pub fn digest_in_status(status: &str) -> Option<String> {
    let rest = &status[status.find("digest: ")? + "digest: ".len()..];
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then(|| digest.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_read_from_the_status_line() {
        assert_eq!(
            digest_in_status("1: digest: sha256:957a size: 943").as_deref(),
            Some("sha256:957a")
        );
        assert_eq!(digest_in_status("The push refers to repository [x]"), None);
        assert_eq!(digest_in_status("digest: md5:abc"), None);
    }
}
