//! What a local image's config says about how its containers run.

use crate::classify::is_not_found;
use crate::engine::Engine;
use crate::error::EngineError;

impl Engine {
    /// The working directory of the local image `reference` (`Config.WorkingDir`; `/` when the
    /// image sets none), or `None` when the engine has no such image.
    pub async fn image_working_dir(&self, reference: &str) -> Result<Option<String>, EngineError> {
        match self.client().inspect_image(reference).await {
            Ok(image) => {
                let dir = image.config.and_then(|c| c.working_dir).unwrap_or_default();
                Ok(Some(if dir.is_empty() { "/".to_owned() } else { dir }))
            }
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(EngineError::api("inspect image")(e)),
        }
    }
}
