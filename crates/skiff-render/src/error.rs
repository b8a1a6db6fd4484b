//! What can go wrong rendering: a [`Failure`] with a Skaffold `StatusCode`, a message naming the
//! file or the tool, and a suggestion where Skaffold has one.

use skiff_events::errors::Failure;

/// A render step that failed.
pub type RenderError = Failure;
