//! Which image a container runs, and getting it onto the engine as Skaffold does: a built
//! artifact's reference is used as it is (pulled only when the engine lacks it); any other image
//! is pulled every time unless `useLocalImages` lets a local copy stand. Unlike Skaffold, a pull
//! that fails (no network, an image that only exists locally) falls back to the local copy
//! with a warning instead of failing.

use skiff_build::builder::BuiltImage;
use skiff_docker::{Engine, EngineError};

/// The built artifact `image` names, if any.
fn built<'a>(image: &str, builds: &'a [BuiltImage]) -> Option<&'a BuiltImage> {
    builds.iter().find(|b| b.image_name == image)
}

/// Makes the image of a container configured with `image` available and returns the reference
/// to run.
pub(crate) async fn prepare(
    engine: &Engine,
    image: &str,
    builds: &[BuiltImage],
    use_local_images: bool,
) -> Result<String, EngineError> {
    if let Some(build) = built(image, builds) {
        engine.ensure_image(&build.reference).await?;
        return Ok(build.reference.clone());
    }
    if use_local_images {
        engine.ensure_image(image).await?;
    } else if let Err(pull) = engine.pull_image(image).await {
        if engine.image_id(image).await?.is_none() {
            return Err(pull);
        }
        tracing::warn!("{pull}; using the local copy of {image}");
    }
    Ok(image.to_owned())
}
