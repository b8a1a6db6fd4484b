//! The test phase.
