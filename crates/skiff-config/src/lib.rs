//! The `skaffold.yaml` model: every field of `skaffold/v4beta14` with Skaffold's defaults, older
//! `apiVersion`s upgraded, multi-document files and modules, profiles, templating, and validation
//! errors that name the file, line, column and field.
//!
//! Commands start at [`resolve()`]: it turns the `-f/-m/-p` options into the effective configs
//! (loading, `requires`, profiles, defaults, validation), in Skaffold's order.

pub mod defaults;
pub mod error;
pub mod hook_env;
pub mod load;
pub mod model;
pub mod profiles;
pub mod reference;
pub mod requires;
pub mod resolve;
pub mod schema;
pub mod template;
pub mod upgrade;
pub mod validate;
pub mod yaml;

pub use error::{ConfigError, ConfigErrors, StatusCode};
pub use load::{ConfigEntry, ConfigSet, Source, load_file, load_str};
pub use model::SkaffoldConfig;
pub use requires::git::SyncRemoteCache;
pub use resolve::{ResolveOptions, ResolvedConfig, ResolvedEntry, resolve};
pub use validate::{ValidateOptions, validate};
