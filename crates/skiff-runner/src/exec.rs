//! The exec phase.
