//! The docker target: one container per deployed image on a network of the run, through the
//! Engine API (dockerd or Podman's compatible socket).

pub mod logs;

/// The label carrying the run id on everything skiff deploys (Skaffold's label).
pub const RUN_ID_LABEL: &str = "skaffold.dev/run-id";

/// The label naming the artifact image a container was deployed from.
pub const IMAGE_LABEL: &str = "skiff.dev/image";
