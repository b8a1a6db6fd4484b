//! Copying files into a container through the archive API (`PUT /containers/{id}/archive`),
//! which needs nothing inside the container and works on stopped containers too.

use bollard::query_parameters::UploadToContainerOptionsBuilder;

use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Extracts the tar archive `tar` into the directory `dir` of the container `container`.
    /// Entries are created with the owner and mode their headers carry.
    pub async fn upload_archive(
        &self,
        container: &str,
        dir: &str,
        tar: Vec<u8>,
    ) -> Result<(), EngineError> {
        let options = UploadToContainerOptionsBuilder::new().path(dir).build();
        self.client()
            .upload_to_container(container, Some(options), bollard::body_full(tar.into()))
            .await
            .map_err(EngineError::api("upload archive to container"))
    }
}
