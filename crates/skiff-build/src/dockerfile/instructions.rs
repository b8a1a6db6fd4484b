//! The typed instruction model built from the parser's AST, with the checks BuildKit's
//! `instructions.Parse` makes (Skaffold runs them too, unless the file has a `# syntax=`
//! directive, in which case unknown instructions and flags are tolerated).
//!
//! Values are kept as written: variable expansion happens when the instructions are evaluated
//! (see [`super::deps`]).

use super::gopath::go_quote;
use super::parser::{self, Directive, Heredoc, Node, ParseError};

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape token (`\` or `` ` ``).
    pub escape: char,
    pub directives: Vec<Directive>,
    /// All instructions in file order, `FROM` included.
    pub instructions: Vec<Instruction>,
    pub warnings: Vec<String>,
}

impl Dockerfile {
    /// Parses and checks Dockerfile text.
    pub fn parse(src: &str) -> Result<Dockerfile, ParseError> {
        let result = parser::parse(src)?;
        let lenient = result.syntax().is_some();
        let mut instructions = Vec::with_capacity(result.nodes.len());
        let mut seen_from = false;
        for node in &result.nodes {
            let inst = Instruction::from_node(node, lenient)?;
            match &inst.kind {
                InstructionKind::From(_) => seen_from = true,
                InstructionKind::Arg(_) => {}
                _ if !seen_from => {
                    return Err(ParseError::new(
                        node.start_line,
                        "no build stage in current context",
                    ));
                }
                _ => {}
            }
            instructions.push(inst);
        }
        Ok(Dockerfile {
            escape: result.escape,
            directives: result.directives,
            instructions,
            warnings: result.warnings,
        })
    }

    /// The `# syntax=` directive, if present.
    pub fn syntax(&self) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == "syntax")
            .map(|d| d.value.as_str())
    }

    /// The `ARG`s before the first `FROM` (global, "meta" args).
    pub fn meta_args(&self) -> impl Iterator<Item = &ArgDef> {
        self.instructions
            .iter()
            .take_while(|i| !matches!(i.kind, InstructionKind::From(_)))
            .flat_map(|i| match &i.kind {
                InstructionKind::Arg(defs) => defs.as_slice(),
                _ => &[],
            })
    }
}

/// One instruction with its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    pub kind: InstructionKind,
    /// 1-based first line.
    pub line: usize,
    /// 1-based last line (continuations and heredoc bodies included).
    pub end_line: usize,
    /// The logical source line.
    pub original: String,
}

/// What an instruction does. Only what dependency analysis needs is typed; everything else
/// is [`InstructionKind::Other`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstructionKind {
    From(From),
    /// `ARG name[=default] ...`
    Arg(Vec<ArgDef>),
    /// `ENV k=v ...` or legacy `ENV k v`; values as written (quotes kept).
    Env(Vec<(String, String)>),
    Workdir(String),
    /// `COPY` or `ADD`.
    Copy(Copy),
    /// `ONBUILD <instruction>`.
    Onbuild(Box<Instruction>),
    Other {
        /// Lower-cased keyword.
        keyword: String,
        args: Vec<String>,
        flags: Vec<String>,
        json: bool,
    },
}

/// `FROM [--platform=p] image [AS name]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct From {
    /// The image (or stage) reference as written.
    pub image: String,
    /// The stage name, lower-cased.
    pub name: Option<String>,
    pub platform: Option<String>,
}

/// One `ARG` definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgDef {
    pub name: String,
    /// The default as written (quotes kept), when `name=default` was given.
    pub default: Option<String>,
}

/// `COPY`/`ADD` with their flags. Sources and destination are as written.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copy {
    /// `true` for `ADD`.
    pub add: bool,
    /// Sources as written, heredoc markers (`<<EOF`) included.
    pub sources: Vec<String>,
    pub dest: String,
    /// `--from=<stage|image|index>`.
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    /// `--exclude=<pattern>` (repeatable).
    pub excludes: Vec<String>,
    /// `ADD --checksum=`.
    pub checksum: Option<String>,
    /// `ADD --keep-git-dir[=bool]`.
    pub keep_git_dir: Option<bool>,
    /// `ADD --unpack[=bool]`.
    pub unpack: Option<bool>,
    pub heredocs: Vec<Heredoc>,
    /// Whether the JSON (exec) form was used.
    pub json: bool,
    /// The flags as written.
    pub raw_flags: Vec<String>,
}

impl Copy {
    /// Whether a source is a heredoc marker (its content comes from the Dockerfile).
    pub fn is_heredoc_source(&self, src: &str) -> bool {
        matches!(parser::parse_heredoc(src), Ok(Some(_)))
    }
}

#[derive(Clone, Copy, PartialEq)]
enum FlagType {
    Bool,
    String,
    Strings,
}

#[derive(Default)]
struct Flags {
    values: Vec<(String, Vec<String>)>,
}

impl Flags {
    fn get(&self, name: &str) -> Option<&Vec<String>> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
    fn string(&self, name: &str) -> Option<String> {
        self.get(name).and_then(|v| v.last().cloned())
    }
    fn boolean(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }
    fn strings(&self, name: &str) -> Vec<String> {
        self.get(name).cloned().unwrap_or_default()
    }
}

/// BuildKit's `BFlags.Parse`. In lenient mode unknown flags are skipped.
fn parse_flags(
    raw: &[String],
    allowed: &[(&str, FlagType)],
    lenient: bool,
) -> Result<Flags, String> {
    let mut flags = Flags::default();
    for a in raw {
        if a == "--" {
            break;
        }
        let Some(body) = a.strip_prefix("--") else {
            return Err(format!("arg should start with -- : {a}"));
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let flag_name = format!("--{name}");
        let Some((_, ty)) = allowed.iter().find(|(n, _)| *n == name) else {
            if lenient {
                continue;
            }
            return Err(format!("unknown flag: {flag_name}"));
        };
        if *ty != FlagType::Strings && flags.get(name).is_some() {
            return Err(format!("duplicate flag specified: {flag_name}"));
        }
        let v = match ty {
            FlagType::Bool => {
                if value == Some("") {
                    return Err(format!("missing a value on flag: {flag_name}"));
                }
                match value.unwrap_or("").to_ascii_lowercase().as_str() {
                    "true" | "" => "true".to_string(),
                    "false" => "false".to_string(),
                    _ => {
                        return Err(format!(
                            "expecting boolean value for flag {flag_name}, not: {}",
                            value.unwrap_or("")
                        ));
                    }
                }
            }
            FlagType::String | FlagType::Strings => match value {
                Some(v) => v.to_string(),
                None => return Err(format!("missing a value on flag: {flag_name}")),
            },
        };
        match flags.values.iter_mut().find(|(n, _)| n == name) {
            Some((_, vs)) => vs.push(v),
            None => flags.values.push((name.to_string(), vec![v])),
        }
    }
    Ok(flags)
}

use FlagType::{Bool, String as Str, Strings};

const COPY_FLAGS: &[(&str, FlagType)] = &[
    ("chown", Str),
    ("from", Str),
    ("chmod", Str),
    ("link", Bool),
    ("exclude", Strings),
    ("parents", Bool),
];
const ADD_FLAGS: &[(&str, FlagType)] = &[
    ("chown", Str),
    ("chmod", Str),
    ("link", Bool),
    ("keep-git-dir", Bool),
    ("checksum", Str),
    ("unpack", Bool),
    ("exclude", Strings),
];
const FROM_FLAGS: &[(&str, FlagType)] = &[("platform", Str)];
const RUN_FLAGS: &[(&str, FlagType)] = &[
    ("mount", Strings),
    ("network", Str),
    ("security", Str),
    ("device", Strings),
];
const HEALTHCHECK_FLAGS: &[(&str, FlagType)] = &[
    ("interval", Str),
    ("timeout", Str),
    ("start-period", Str),
    ("start-interval", Str),
    ("retries", Str),
];

const KNOWN: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

fn is_valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

impl Instruction {
    /// Builds the typed instruction from an AST node. `lenient` tolerates unknown
    /// instructions and flags (used under a `# syntax=` directive).
    pub fn from_node(node: &Node, lenient: bool) -> Result<Instruction, ParseError> {
        let err = |m: String| ParseError::new(node.start_line, m);
        let keyword = node.keyword();
        let kind = match keyword.as_str() {
            "from" => {
                let flags = parse_flags(&node.flags, FROM_FLAGS, lenient).map_err(err)?;
                let args = &node.args;
                let name = match args.len() {
                    3 if args[1].eq_ignore_ascii_case("as") => {
                        let name = args[2].to_lowercase();
                        if !is_valid_stage_name(&name) {
                            return Err(err(format!(
                                "invalid name for build stage: {}, name can't start with a number or contain symbols",
                                go_quote(&args[2])
                            )));
                        }
                        Some(name)
                    }
                    1 => None,
                    _ => return Err(err("FROM requires either one or three arguments".into())),
                };
                InstructionKind::From(From {
                    image: args[0].clone(),
                    name,
                    platform: flags.string("platform"),
                })
            }
            "arg" => {
                if node.args.is_empty() {
                    return Err(err("ARG requires at least one argument".into()));
                }
                let mut defs = Vec::new();
                for a in &node.args {
                    let def = match a.split_once('=') {
                        Some((k, v)) => {
                            if k.is_empty() {
                                return Err(err("ARG names can not be blank".into()));
                            }
                            ArgDef {
                                name: k.to_string(),
                                default: Some(v.to_string()),
                            }
                        }
                        None => ArgDef {
                            name: a.clone(),
                            default: None,
                        },
                    };
                    defs.push(def);
                }
                InstructionKind::Arg(defs)
            }
            "env" => {
                parse_flags(&node.flags, &[], lenient).map_err(err)?;
                if node.args.is_empty() {
                    return Err(err("ENV requires at least one argument".into()));
                }
                if !node.args.len().is_multiple_of(3) {
                    return Err(err("Bad input to ENV, too many arguments".into()));
                }
                let mut pairs = Vec::new();
                for t in node.args.chunks(3) {
                    if t[0].is_empty() {
                        return Err(err("ENV names can not be blank".into()));
                    }
                    pairs.push((t[0].clone(), t[1].clone()));
                }
                InstructionKind::Env(pairs)
            }
            "workdir" => {
                parse_flags(&node.flags, &[], lenient).map_err(err)?;
                if node.args.len() != 1 {
                    return Err(err("WORKDIR requires exactly one argument".into()));
                }
                InstructionKind::Workdir(node.args[0].clone())
            }
            "copy" | "add" => {
                let add = keyword == "add";
                let name = if add { "ADD" } else { "COPY" };
                if node.args.len() < 2 {
                    return Err(err(format!(
                        "{name} requires at least two arguments, but only one was provided. Destination could not be determined"
                    )));
                }
                let flags = parse_flags(
                    &node.flags,
                    if add { ADD_FLAGS } else { COPY_FLAGS },
                    lenient,
                )
                .map_err(err)?;
                let dest = node.args[node.args.len() - 1].clone();
                if matches!(parser::parse_heredoc(&dest), Ok(Some(_))) {
                    return Err(err(format!(
                        "{name} cannot accept a heredoc as a destination"
                    )));
                }
                let mut heredocs = node.heredocs.clone();
                for h in &mut heredocs {
                    if h.chomp {
                        h.content = parser::chomp_heredoc_content(&h.content);
                    }
                }
                InstructionKind::Copy(Copy {
                    add,
                    sources: node.args[..node.args.len() - 1].to_vec(),
                    dest,
                    from: flags.string("from"),
                    chown: flags.string("chown"),
                    chmod: flags.string("chmod"),
                    link: flags.boolean("link").unwrap_or(false),
                    parents: flags.boolean("parents").unwrap_or(false),
                    excludes: flags.strings("exclude"),
                    checksum: flags.string("checksum"),
                    keep_git_dir: flags.boolean("keep-git-dir"),
                    unpack: flags.boolean("unpack"),
                    heredocs,
                    json: node.json,
                    raw_flags: node.flags.clone(),
                })
            }
            "onbuild" => {
                parse_flags(&node.flags, &[], lenient).map_err(err)?;
                let Some(sub) = &node.sub else {
                    return Err(err("ONBUILD requires at least one argument".into()));
                };
                let trigger = sub.command.to_ascii_uppercase();
                match trigger.as_str() {
                    "ONBUILD" => {
                        return Err(err(
                            "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".into()
                        ));
                    }
                    "MAINTAINER" | "FROM" => {
                        return Err(err(format!(
                            "{trigger} isn't allowed as an ONBUILD trigger"
                        )));
                    }
                    _ => {}
                }
                let mut sub = sub.as_ref().clone();
                sub.start_line = node.start_line;
                sub.end_line = node.end_line;
                InstructionKind::Onbuild(Box::new(Instruction::from_node(&sub, lenient)?))
            }
            other => {
                if !KNOWN.contains(&other) {
                    if !lenient {
                        return Err(err(format!("unknown instruction: {}", node.command)));
                    }
                } else {
                    let allowed: &[(&str, FlagType)] = match other {
                        "run" => RUN_FLAGS,
                        "healthcheck" => HEALTHCHECK_FLAGS,
                        _ => &[],
                    };
                    parse_flags(&node.flags, allowed, lenient).map_err(err)?;
                }
                InstructionKind::Other {
                    keyword: other.to_string(),
                    args: node.args.clone(),
                    flags: node.flags.clone(),
                    json: node.json,
                }
            }
        };
        Ok(Instruction {
            kind,
            line: node.start_line,
            end_line: node.end_line,
            original: node.original.clone(),
        })
    }
}
