//! Dockerfiles: a BuildKit-compatible parser ([`parser`]), the typed instruction model
//! ([`instructions`]), shell-word expansion ([`shell`]) and the source-dependency analysis
//! Skaffold performs for docker artifacts ([`deps`]).

pub mod deps;
pub(crate) mod gopath;
pub mod instructions;
pub mod parser;
pub mod shell;

pub use deps::{
    BaseImageInfo, BaseImageInspector, BuildArgs, DepsError, NoBaseImageInspector, ResolvedCopy,
    Stage, base_images, context_files, docker_dependencies, docker_dependencies_with,
    normalize_dockerfile_path, resolve_stages, sync_map, sync_map_with,
};
pub use instructions::{ArgDef, Copy, Dockerfile, From, Instruction, InstructionKind};
pub use parser::{Heredoc, Node, ParseError, ParseResult};
pub use shell::{Env, Lexer, ShellError};
