//! The verify phase.
