//! The deploy phase.
