//! Wire types of Skaffold's v2 event/control API (`proto.v2.SkaffoldV2Service`), generated from
//! the `.proto` files kept in this crate, and the two JSON dialects Skaffold speaks.

include!(concat!(env!("OUT_DIR"), "/mod.rs"));

pub mod json;

pub use proto::enums;
pub use proto::v2;
