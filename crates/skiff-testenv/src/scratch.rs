//! What a test creates on an engine, removed when the test ends — after a failed assertion too
//! (feature `engine`).

use std::path::PathBuf;

use skiff_docker::{BuildRequest, Engine, context_tar};

use crate::base_image;

/// The containers, networks and images one test creates on an engine. Dropping it removes them
/// over a connection of its own (the test's runtime may already be gone): first the containers
/// carrying any of its labels and the containers it was given, then its networks, then its
/// images. Whatever is already gone is skipped.
pub struct Scratch {
    engine: Engine,
    left: Leftovers,
}

/// What is to be removed.
#[derive(Default)]
struct Leftovers {
    labels: Vec<String>,
    containers: Vec<String>,
    networks: Vec<String>,
    images: Vec<String>,
}

impl Scratch {
    /// Nothing to remove yet, on `engine`.
    pub fn new(engine: &Engine) -> Self {
        Self {
            engine: engine.clone(),
            left: Leftovers::default(),
        }
    }

    /// Removes, at the end, every container carrying `selector` (`key` or `key=value`).
    pub fn label(&mut self, selector: impl Into<String>) {
        self.left.labels.push(selector.into());
    }

    /// Removes, at the end, the container `id`.
    pub fn container(&mut self, id: impl Into<String>) {
        self.left.containers.push(id.into());
    }

    /// Removes, at the end, the network `name`.
    pub fn network(&mut self, name: impl Into<String>) {
        self.left.networks.push(name.into());
    }

    /// Builds `<name>:1` from the [`base_image`] followed by the Dockerfile lines `tail`
    /// (`CMD …`, `HEALTHCHECK …`), and returns that reference; the image is removed at the end.
    pub async fn image(&mut self, name: &str, tail: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let dockerfile = format!("FROM {}\n{tail}\n", base_image());
        std::fs::write(dir.path().join("Dockerfile"), dockerfile).unwrap();
        let tar = context_tar(dir.path(), [PathBuf::from("Dockerfile")]).unwrap();
        let reference = format!("{name}:1");
        let request = BuildRequest {
            dockerfile: "Dockerfile".into(),
            tag: reference.clone(),
            ..Default::default()
        };
        self.engine.build(tar, &request, |_| {}).await.unwrap();
        self.left.images.push(reference.clone());
        reference
    }
}

impl Leftovers {
    /// Removes everything, on `engine`.
    async fn remove(self, engine: Engine) {
        let mut ids = self.containers;
        for selector in &self.labels {
            let labelled = engine.containers_with_label(selector).await.unwrap();
            ids.extend(labelled.into_iter().map(|c| c.id));
        }
        for id in ids {
            engine.remove_container(&id).await.unwrap();
        }
        for network in self.networks {
            engine.remove_network(&network).await.unwrap();
        }
        for image in self.images {
            engine.remove_image(&image).await.unwrap();
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let left = std::mem::take(&mut self.left);
        let host = self.engine.host().to_owned();
        let removal = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let engine = Engine::connect(Some(&host)).await.unwrap();
                left.remove(engine).await;
            });
        });
        let removed = removal.join();
        // A second panic while the test's own unwinds would abort the whole test binary.
        if !std::thread::panicking() {
            removed.expect("what the test created is removed");
        }
    }
}
