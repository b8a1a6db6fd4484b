//! Removing a local image reference.

use bollard::query_parameters::RemoveImageOptionsBuilder;

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// Removes the local image `reference`: the tag goes, and the image with it when nothing
    /// else refers to it. A reference that is already gone is not an error.
    pub async fn remove_image(&self, reference: &str) -> Result<(), EngineError> {
        let options = RemoveImageOptionsBuilder::new().build();
        match self
            .client()
            .remove_image(reference, Some(options), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(EngineError::api("remove image")(e)),
        }
    }
}
