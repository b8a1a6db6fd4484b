//! Removing local images: a reference, or an image with all its tags.

use bollard::query_parameters::{RemoveImageOptions, RemoveImageOptionsBuilder};

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Removes the local image `reference`: the tag goes, and the image with it when nothing
    /// else refers to it. A reference that is already gone is not an error.
    pub async fn remove_image(&self, reference: &str) -> Result<(), EngineError> {
        self.remove(reference, RemoveImageOptionsBuilder::new().build())
            .await
    }

    /// Removes the local image `id` with every tag it has, even one a stopped container was
    /// created from (an image a running container uses stays: the engine refuses), and with
    /// `children`, its untagged parent images too (Skaffold's image pruning). An image that is
    /// already gone is not an error.
    pub async fn prune_image(&self, id: &str, children: bool) -> Result<(), EngineError> {
        let options = RemoveImageOptionsBuilder::new()
            .force(true)
            .noprune(!children)
            .build();
        self.remove(id, options).await
    }

    async fn remove(&self, image: &str, options: RemoveImageOptions) -> Result<(), EngineError> {
        match self.client().remove_image(image, Some(options), None).await {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(EngineError::api("remove image")(e)),
        }
    }
}
