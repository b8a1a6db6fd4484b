//! The digest a registry holds for a tag (Skaffold's `docker.RemoteDigest`): what a custom
//! script that pushed its image is checked against, and what the built reference carries.
//!
//! The registry is asked directly, as Skaffold does, with the crate's registry client
//! ([`crate::cache::registry::RegistryClient`]: HTTPS, plain HTTP for local and
//! `insecureRegistries` registries, credentials from the Docker config). When that fails for a
//! reason other than "no such manifest", the engine's `/distribution/{name}/json` endpoint is
//! tried (dockerd has it, with its own mirrors and insecure settings; Podman 4 does not).
//!
//! The digest is that of the manifest the tag points to: an image index for multi-platform
//! images, as with Skaffold (which tries the index first).

use skiff_docker::Engine;

use crate::cache::registry::RegistryClient;

/// Why a registry digest could not be had.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The registry has no manifest for the tag.
    #[error("{reference} was not found in its registry: {detail}")]
    NotFound {
        /// The reference asked for.
        reference: String,
        /// What the registry or engine said.
        detail: String,
    },
    /// The lookup itself failed (unreachable registry, refused credentials, unsupported engine).
    #[error("getting the digest of {reference}: {detail}")]
    Lookup {
        /// The reference asked for.
        reference: String,
        /// What went wrong.
        detail: String,
    },
}

/// The digest the registry holds for `reference`: asked with the registry client, then, if
/// that fails other than with "not found" and an engine is given, through the engine.
pub async fn remote_digest(
    engine: Option<&Engine>,
    reference: &str,
    insecure_registries: &[String],
) -> Result<String, RegistryError> {
    let client = RegistryClient::new(insecure_registries.iter().cloned());
    let direct = match client.digest(reference).await {
        Ok(Some(digest)) => return Ok(digest),
        Ok(None) => {
            return Err(RegistryError::NotFound {
                reference: reference.to_owned(),
                detail: "MANIFEST_UNKNOWN: manifest unknown".into(),
            });
        }
        Err(e) => e,
    };
    let Some(engine) = engine else {
        return Err(RegistryError::Lookup {
            reference: reference.to_owned(),
            detail: direct.to_string(),
        });
    };
    match engine_digest(engine, reference).await {
        Err(RegistryError::Lookup { reference, detail }) => Err(RegistryError::Lookup {
            reference,
            detail: format!("{direct}; through the engine: {detail}"),
        }),
        other => other,
    }
}

/// Asks the engine (`GET /distribution/{name}/json`, no credentials).
pub async fn engine_digest(engine: &Engine, reference: &str) -> Result<String, RegistryError> {
    match engine
        .client()
        .inspect_registry_image(reference, None)
        .await
    {
        Ok(inspect) => inspect
            .descriptor
            .digest
            .filter(|d| !d.is_empty())
            .ok_or_else(|| RegistryError::Lookup {
                reference: reference.to_owned(),
                detail: "the engine returned no digest".into(),
            }),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404,
            message,
        }) => {
            let message = message.trim();
            // Podman answers a plain-text 404 for the endpoint itself.
            if message.eq_ignore_ascii_case("not found") || message.contains("page not found") {
                Err(RegistryError::Lookup {
                    reference: reference.to_owned(),
                    detail: format!(
                        "the container engine at {} cannot inspect registry images (it has no /distribution endpoint)",
                        engine.host()
                    ),
                })
            } else {
                Err(RegistryError::NotFound {
                    reference: reference.to_owned(),
                    detail: message.to_owned(),
                })
            }
        }
        Err(e) => Err(RegistryError::Lookup {
            reference: reference.to_owned(),
            detail: e.to_string(),
        }),
    }
}
