//! Removing the images a dev session built once nothing uses them, as Skaffold's local builder
//! does: after a rebuild, the image it replaced (once no deployed container runs it any more);
//! when the session ends with `--cache-artifacts=false` and without `--no-prune`, every image
//! the session built.

use std::collections::{BTreeSet, HashSet};

use skiff_build::builder::BuiltImage;
use skiff_docker::Engine;

/// What becomes of the images a dev session built.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImagePruning {
    /// Remove every image the session built when it ends (`--cache-artifacts=false` without
    /// `--no-prune`).
    pub on_exit: bool,
    /// Remove the untagged parents of a removed image too (not `--no-prune-children`).
    pub children: bool,
}

/// Images a session built, to remove when it has ended.
#[derive(Debug, Clone, Default)]
pub struct ImagesToPrune {
    pub(crate) references: Vec<String>,
    pub(crate) children: bool,
}

impl ImagesToPrune {
    /// Removes them, forced, each with every tag it has; failures are logged and skipped.
    pub async fn remove(self, engine: &Engine) {
        remove_images(engine, self.references, BTreeSet::new(), self.children).await;
    }
}

/// The local images a session built and replaced since, awaiting removal.
#[derive(Debug, Default)]
pub(crate) struct Replaced {
    references: BTreeSet<String>,
}

impl Replaced {
    /// Notes that `old` was replaced by another build of its image. Pushed images (a
    /// reference with a digest) live in their registry and are left alone.
    pub(crate) fn note(&mut self, old: &BuiltImage) {
        if !old.reference.contains('@') {
            self.references.insert(old.reference.clone());
        }
    }

    /// Takes the noted references that are not in `in_use`; those in use stay noted.
    pub(crate) fn take_unused(&mut self, in_use: &BTreeSet<String>) -> Vec<String> {
        let unused: Vec<String> = self.references.difference(in_use).cloned().collect();
        for reference in &unused {
            self.references.remove(reference);
        }
        unused
    }
}

/// Removes the images of `references` (forced, as Skaffold does, so every tag of each goes),
/// except an image that one of `in_use` also names. Failures (an image a container still
/// runs, one already gone) are logged and skipped.
pub(crate) async fn remove_images(
    engine: &Engine,
    references: Vec<String>,
    in_use: BTreeSet<String>,
    children: bool,
) {
    if references.is_empty() {
        return;
    }
    let mut used = HashSet::new();
    for reference in &in_use {
        if let Ok(Some(id)) = engine.image_id(reference).await {
            used.insert(id);
        }
    }
    for reference in references {
        let id = match engine.image_id(&reference).await {
            Ok(Some(id)) if !used.contains(&id) => id,
            Ok(_) => continue,
            Err(e) => {
                tracing::debug!("looking up image {reference} to prune it: {e}");
                continue;
            }
        };
        match engine.prune_image(&id, children).await {
            Ok(()) => tracing::debug!("pruned image {reference} ({id})"),
            Err(e) => tracing::debug!("pruning image {reference}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(reference: &str) -> BuiltImage {
        BuiltImage {
            image_name: "app".into(),
            reference: reference.into(),
        }
    }

    #[test]
    fn replaced_local_images_wait_until_nothing_uses_them() {
        let mut replaced = Replaced::default();
        replaced.note(&built("app:1111"));
        replaced.note(&built("app:2222"));
        replaced.note(&built("registry.test/app:v1@sha256:abcd"));
        let in_use = BTreeSet::from(["app:2222".to_owned(), "app:3333".to_owned()]);
        assert_eq!(replaced.take_unused(&in_use), ["app:1111"]);
        assert!(replaced.take_unused(&in_use).is_empty());
        assert_eq!(replaced.take_unused(&BTreeSet::new()), ["app:2222"]);
    }
}
