//! The working directory of each built image, asked of the engine once: relative sync
//! destinations start there.

use std::collections::BTreeMap;

use skiff_docker::Engine;

/// Working directories by image reference.
#[derive(Debug, Default)]
pub(crate) struct WorkingDirs {
    known: BTreeMap<String, String>,
}

impl WorkingDirs {
    /// The working directory of the image `reference`, asked of `engine` the first time;
    /// `None` when the engine cannot tell. Only the references `current` accepts are kept.
    pub(crate) async fn of(
        &mut self,
        engine: &Engine,
        reference: &str,
        current: impl Fn(&str) -> bool,
    ) -> Option<String> {
        if let Some(dir) = self.known.get(reference) {
            return Some(dir.clone());
        }
        let dir = engine.image_working_dir(reference).await.ok().flatten()?;
        self.known.retain(|known, _| current(known));
        self.known.insert(reference.to_owned(), dir.clone());
        Some(dir)
    }
}
