//! Kubernetes manifests as skiff deploys them: the documents of the `manifests` section
//! (rawYaml globs, kustomize, helm template, kpt) turned into one [`ManifestList`], then hydrated
//! with the images skiff built, the run's labels and the target namespace.
//!
//! Everything here works offline; renderers that need a binary (`kustomize`/`kubectl`, `helm`,
//! `kpt`) say which one is missing and how to get it.

pub mod artifact;
pub mod error;
pub mod helm;
pub mod hooks;
pub mod images;
pub mod kpt;
pub mod kustomize;
pub mod labels;
pub mod manifest;
pub mod namespace;
pub mod raw_yaml;
pub mod render;
#[cfg(test)]
mod testing;
pub mod tools;
mod visit;

pub use artifact::BuiltArtifact;
pub use error::RenderError;
pub use manifest::ManifestList;
pub use visit::{GroupKind, TransformRules};
