//! A small YAML layer that keeps positions.
//!
//! `saphyr-parser` turns the text into events with spans; [`parse_documents`] builds a tree of
//! [`Node`]s from them (anchors and aliases resolved, `<<` merge keys applied, duplicate keys
//! rejected). The tree deserializes into any serde type through [`de::from_node`], with scalars
//! resolved by the target type as `gopkg.in/yaml.v3` does (a plain `8080` is a string for a string
//! field and an integer for an integer field), and every error carries the position and field
//! path of the node it happened at.
//!
//! [`to_value`] and [`from_value`] convert to and from `serde_yaml_ng::Value`, the value type that
//! the upgrade step works on; [`from_value`] borrows positions from the original tree by path.

pub mod de;
pub mod emit;

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

/// A position in the source text: 1-based line and column (in characters). `line == 0` means
/// "unknown" (for example a node that the upgrade step added).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, counted in characters.
    pub col: u32,
}

impl Pos {
    /// A position from a 1-based line and column.
    pub fn new(line: usize, col: usize) -> Pos {
        Pos {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            col: u32::try_from(col).unwrap_or(u32::MAX),
        }
    }

    /// Whether this position points somewhere in the source.
    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// How a scalar was written: this decides how a plain `true` or `8080` is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Unquoted: subject to null/bool/int/float resolution.
    Plain,
    /// Quoted or block (`|`, `>`): always a string.
    Quoted,
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Where the node starts.
    pub pos: Pos,
    /// What the node holds.
    pub kind: NodeKind,
}

/// The content of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// A scalar with its source text, style and optional tag (`!!str`, `!!int`…).
    Scalar {
        /// The text, after unescaping.
        value: String,
        /// Plain or quoted.
        style: Style,
        /// The tag suffix for core-schema tags (`str`, `int`, `bool`, `float`, `null`).
        tag: Option<String>,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order; keys are unique.
    Map(Vec<(Node, Node)>),
}

/// The resolved meaning of a scalar under the YAML 1.2 core schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// `~`, `null`, empty.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer that fits i64.
    Int(i64),
    /// An integer that fits u64 but not i64.
    UInt(u64),
    /// A float.
    Float(f64),
    /// Anything else.
    Str(&'a str),
}

impl Node {
    /// A plain or quoted scalar node.
    pub fn scalar(value: impl Into<String>, style: Style, pos: Pos) -> Node {
        Node {
            pos,
            kind: NodeKind::Scalar {
                value: value.into(),
                style,
                tag: None,
            },
        }
    }

    /// A null node.
    pub fn null(pos: Pos) -> Node {
        Node::scalar("", Style::Plain, pos)
    }

    /// Whether this is a null scalar (`~`, `null`, empty, or `!!null`).
    pub fn is_null(&self) -> bool {
        matches!(self.resolve(), Some(Resolved::Null))
    }

    /// The scalar's text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Resolve a scalar as `deserialize_any` would (YAML 1.2 core schema); `None` for
    /// collections.
    pub fn resolve(&self) -> Option<Resolved<'_>> {
        let NodeKind::Scalar { value, style, tag } = &self.kind else {
            return None;
        };
        let v = value.as_str();
        match tag.as_deref() {
            Some("str") => return Some(Resolved::Str(v)),
            Some("null") => return Some(Resolved::Null),
            Some("bool") => return Some(resolve_bool(v).map_or(Resolved::Str(v), Resolved::Bool)),
            Some("int") => return Some(resolve_int(v).unwrap_or(Resolved::Str(v))),
            Some("float") => {
                let f = resolve_float(v)
                    .or_else(|| resolve_int(v))
                    .map(|r| as_f64(&r));
                return Some(f.map_or(Resolved::Str(v), Resolved::Float));
            }
            _ => {}
        }
        if *style == Style::Quoted {
            return Some(Resolved::Str(v));
        }
        if matches!(v, "" | "~" | "null" | "Null" | "NULL") {
            return Some(Resolved::Null);
        }
        if let Some(b) = resolve_bool(v) {
            return Some(Resolved::Bool(b));
        }
        if let Some(i) = resolve_int(v) {
            return Some(i);
        }
        if let Some(f) = resolve_float(v) {
            return Some(f);
        }
        Some(Resolved::Str(v))
    }

    /// A short description of the node for error messages: `a mapping`, `a list`,
    /// `string "abc"`, `integer 5`…
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Seq(_) => "a list".to_string(),
            NodeKind::Map(_) => "a mapping".to_string(),
            NodeKind::Scalar { value, .. } => match self.resolve() {
                Some(Resolved::Null) => "null".to_string(),
                Some(Resolved::Bool(b)) => format!("boolean `{b}`"),
                Some(Resolved::Int(_) | Resolved::UInt(_)) => format!("integer `{value}`"),
                Some(Resolved::Float(_)) => format!("number `{value}`"),
                _ => format!("string {value:?}"),
            },
        }
    }

    /// Look up a mapping entry by key.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// Look up a mapping key node by key.
    pub fn get_key(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(k, _)| k),
            _ => None,
        }
    }
}

fn as_f64(r: &Resolved<'_>) -> f64 {
    match r {
        Resolved::Int(i) => *i as f64,
        Resolved::UInt(u) => *u as f64,
        Resolved::Float(f) => *f,
        _ => f64::NAN,
    }
}

/// `true`/`false` in the spellings of the YAML 1.2 core schema.
pub fn resolve_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Integers of the core schema: decimal with optional sign, `0x…`, `0o…`.
pub fn resolve_int(v: &str) -> Option<Resolved<'_>> {
    let (neg, digits) = match v.as_bytes().first()? {
        b'-' => (true, &v[1..]),
        b'+' => (false, &v[1..]),
        _ => (false, v),
    };
    let (radix, digits) = if let Some(h) = digits.strip_prefix("0x") {
        (16, h)
    } else if let Some(o) = digits.strip_prefix("0o") {
        (8, o)
    } else {
        (10, digits)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if neg {
        let n = -(i128::try_from(magnitude).ok()?);
        i64::try_from(n).ok().map(Resolved::Int)
    } else if let Ok(i) = i64::try_from(magnitude) {
        Some(Resolved::Int(i))
    } else {
        u64::try_from(magnitude).ok().map(Resolved::UInt)
    }
}

/// Floats of the core schema, including `.inf` and `.nan`.
pub fn resolve_float(v: &str) -> Option<Resolved<'_>> {
    match v {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Some(Resolved::Float(f64::INFINITY));
        }
        "-.inf" | "-.Inf" | "-.INF" => return Some(Resolved::Float(f64::NEG_INFINITY)),
        ".nan" | ".NaN" | ".NAN" => return Some(Resolved::Float(f64::NAN)),
        _ => {}
    }
    // [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
    let b = v.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let int_digits = i - int_start;
    let mut frac_digits = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        frac_digits = i - s;
    }
    if int_digits == 0 && frac_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return None;
        }
    }
    if i != b.len() {
        return None;
    }
    v.parse::<f64>().ok().map(Resolved::Float)
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Where the problem was found.
    pub pos: Pos,
    /// What is wrong.
    pub message: String,
}

/// One document of a (possibly multi-document) stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The root node; a null scalar for an empty or comment-only document.
    pub root: Node,
    /// 0-based index of the document in the stream (counting empty ones).
    pub index: usize,
}

impl Document {
    /// An empty (or comment-only) document.
    pub fn is_empty(&self) -> bool {
        self.root.is_null()
    }
}

/// Alias expansion budget: a document may not grow past this many nodes through aliases
/// ("billion laughs").
const MAX_ALIAS_NODES: usize = 100_000;

/// Deepest nesting of collections accepted (the deserializer recurses once per level).
const MAX_DEPTH: usize = 128;

fn pos_of(span: &Span) -> Pos {
    Pos::new(span.start.line(), span.start.col() + 1)
}

enum Frame {
    Seq {
        pos: Pos,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        pos: Pos,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// Parse every document of a YAML stream into position-carrying trees.
pub fn parse_documents(src: &str) -> Result<Vec<Document>, SyntaxError> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut alias_budget = MAX_ALIAS_NODES;

    for item in Parser::new_from_str(src) {
        let (event, span) = item.map_err(|e| SyntaxError {
            pos: Pos::new(e.marker().line(), e.marker().col() + 1),
            message: e.info().to_string(),
        })?;
        let pos = pos_of(&span);
        let done: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                anchors.clear();
                root = None;
                None
            }
            Event::DocumentEnd => {
                let index = docs.len();
                docs.push(Document {
                    root: root.take().unwrap_or_else(|| Node::null(pos)),
                    index,
                });
                None
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().ok_or_else(|| SyntaxError {
                    pos,
                    message: "unknown anchor".to_string(),
                })?;
                let n = count_nodes(&node);
                if n > alias_budget {
                    return Err(SyntaxError {
                        pos,
                        message: "document is too large after expanding aliases".to_string(),
                    });
                }
                alias_budget -= n;
                Some((node, 0))
            }
            Event::Scalar(value, style, anchor, tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    _ => Style::Quoted,
                };
                let tag = tag.and_then(|t| core_tag(&t.handle, &t.suffix));
                Some((
                    Node {
                        pos,
                        kind: NodeKind::Scalar {
                            value: value.into_owned(),
                            style,
                            tag,
                        },
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(..) | Event::MappingStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(SyntaxError {
                    pos,
                    message: format!("collections are nested more than {MAX_DEPTH} levels deep"),
                });
            }
            Event::SequenceStart(anchor, _) => {
                stack.push(Frame::Seq {
                    pos,
                    anchor,
                    items: Vec::new(),
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push(Frame::Map {
                    pos,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { pos, anchor, items }) => Some((
                    Node {
                        pos,
                        kind: NodeKind::Seq(items),
                    },
                    anchor,
                )),
                _ => unreachable_frame(pos)?,
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    pos,
                    anchor,
                    entries,
                    ..
                }) => {
                    let entries = finish_mapping(entries)?;
                    Some((
                        Node {
                            pos,
                            kind: NodeKind::Map(entries),
                        },
                        anchor,
                    ))
                }
                _ => unreachable_frame(pos)?,
            },
        };
        if let Some((node, anchor)) = done {
            if anchor > 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    Ok(docs)
}

fn unreachable_frame<T>(pos: Pos) -> Result<T, SyntaxError> {
    Err(SyntaxError {
        pos,
        message: "unbalanced collection".to_string(),
    })
}

fn core_tag(handle: &str, suffix: &str) -> Option<String> {
    let core = handle == "tag:yaml.org,2002:" || handle == "!!";
    let suffix = suffix.strip_prefix("tag:yaml.org,2002:").unwrap_or(suffix);
    (core && matches!(suffix, "str" | "int" | "bool" | "float" | "null"))
        .then(|| suffix.to_string())
}

fn count_nodes(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count_nodes(k) + count_nodes(v))
                .sum::<usize>()
        }
    }
}

fn key_text(key: &Node) -> Option<Cow<'_, str>> {
    match &key.kind {
        NodeKind::Scalar { value, .. } => Some(Cow::Borrowed(value)),
        _ => None,
    }
}

fn is_merge_key(key: &Node) -> bool {
    matches!(&key.kind, NodeKind::Scalar { value, style: Style::Plain, .. } if value == "<<")
}

/// Apply `<<` merge keys (explicit keys win, earlier merged maps win over later ones) and reject
/// duplicate keys, as yaml.v3 does.
fn finish_mapping(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, SyntaxError> {
    let mut explicit: Vec<(Node, Node)> = Vec::with_capacity(entries.len());
    let mut merged: Vec<(Node, Node)> = Vec::new();
    let mut seen: HashMap<String, Pos> = HashMap::new();
    for (k, v) in entries {
        if is_merge_key(&k) {
            let sources: Vec<Node> = match v.kind {
                NodeKind::Map(_) => vec![v],
                NodeKind::Seq(items) => items,
                _ => {
                    return Err(SyntaxError {
                        pos: v.pos,
                        message: "map merge requires a mapping or a list of mappings".to_string(),
                    });
                }
            };
            for src in sources {
                let NodeKind::Map(src_entries) = src.kind else {
                    return Err(SyntaxError {
                        pos: src.pos,
                        message: "map merge requires a mapping or a list of mappings".to_string(),
                    });
                };
                for (mk, mv) in src_entries {
                    merged.push((mk, mv));
                }
            }
            continue;
        }
        if let Some(text) = key_text(&k) {
            if let Some(first) = seen.get(text.as_ref()) {
                return Err(SyntaxError {
                    pos: k.pos,
                    message: format!(
                        "duplicate key `{text}` (first defined at line {})",
                        first.line
                    ),
                });
            }
            seen.insert(text.into_owned(), k.pos);
        }
        explicit.push((k, v));
    }
    for (k, v) in merged {
        if let Some(text) = key_text(&k) {
            if seen.contains_key(text.as_ref()) {
                continue;
            }
            seen.insert(text.into_owned(), k.pos);
        }
        explicit.push((k, v));
    }
    Ok(explicit)
}

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl From<&str> for Segment {
    fn from(k: &str) -> Self {
        Segment::Key(k.to_string())
    }
}

impl From<String> for Segment {
    fn from(k: String) -> Self {
        Segment::Key(k)
    }
}

impl From<usize> for Segment {
    fn from(i: usize) -> Self {
        Segment::Index(i)
    }
}

/// Build a field path as an array of segments: `path!["build", "artifacts", 0, "docker"]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {
        [$($crate::yaml::Segment::from($seg)),*]
    };
}

/// Render a field path as `build.artifacts[0].docker.buildArgs["a.b"]`.
pub fn format_path(segments: &[Segment]) -> String {
    let mut out = String::new();
    for seg in segments {
        push_segment(&mut out, seg);
    }
    out
}

pub(crate) fn push_segment(out: &mut String, seg: &Segment) {
    match seg {
        Segment::Key(k) => {
            let simple = !k.is_empty()
                && k.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '/');
            if simple {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            } else {
                out.push_str(&format!("[{k:?}]"));
            }
        }
        Segment::Index(i) => out.push_str(&format!("[{i}]")),
    }
}

/// Find the node at a path.
pub fn lookup<'a>(root: &'a Node, path: &[Segment]) -> Option<&'a Node> {
    let mut node = root;
    for seg in path {
        node = match (seg, &node.kind) {
            (Segment::Key(k), NodeKind::Map(_)) => node.get(k)?,
            (Segment::Index(i), NodeKind::Seq(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// The position of the field at `path`: the key's position for a mapping entry (that is where a
/// reader looks), the item's position for a list element; the nearest ancestor that exists when
/// the path does not (for example a field that defaults filled in).
pub fn locate(root: &Node, path: &[Segment]) -> Pos {
    for len in (0..=path.len()).rev() {
        let (parent, last) = match len {
            0 => return root.pos,
            _ => (&path[..len - 1], &path[len - 1]),
        };
        let Some(parent) = lookup(root, parent) else {
            continue;
        };
        match last {
            Segment::Key(k) => {
                if let Some(key) = parent.get_key(k) {
                    return key.pos;
                }
            }
            Segment::Index(i) => {
                if let NodeKind::Seq(items) = &parent.kind
                    && let Some(item) = items.get(*i)
                {
                    return item.pos;
                }
            }
        }
    }
    root.pos
}

/// Convert a node tree into a `serde_yaml_ng::Value` (scalars resolved by the core schema).
pub fn to_value(node: &Node) -> serde_yaml_ng::Value {
    use serde_yaml_ng::Value;
    match &node.kind {
        NodeKind::Seq(items) => Value::Sequence(items.iter().map(to_value).collect()),
        NodeKind::Map(entries) => {
            let mut m = serde_yaml_ng::Mapping::new();
            for (k, v) in entries {
                m.insert(to_value(k), to_value(v));
            }
            Value::Mapping(m)
        }
        NodeKind::Scalar { .. } => match node.resolve() {
            Some(Resolved::Null) | None => Value::Null,
            Some(Resolved::Bool(b)) => Value::Bool(b),
            Some(Resolved::Int(i)) => Value::Number(i.into()),
            Some(Resolved::UInt(u)) => Value::Number(u.into()),
            Some(Resolved::Float(f)) => Value::Number(f.into()),
            Some(Resolved::Str(s)) => Value::String(s.to_string()),
        },
    }
}

/// Convert a `serde_yaml_ng::Value` back into a node tree, taking each node's position from the
/// node at the same path in `original` (or the nearest ancestor that exists there).
pub fn from_value(value: &serde_yaml_ng::Value, original: &Node) -> Node {
    let mut path = Vec::new();
    from_value_at(value, original, &mut path)
}

fn from_value_at(value: &serde_yaml_ng::Value, original: &Node, path: &mut Vec<Segment>) -> Node {
    use serde_yaml_ng::Value;
    let pos = value_pos(original, path);
    match value {
        Value::Null => Node::null(pos),
        Value::Bool(b) => Node::scalar(b.to_string(), Style::Plain, pos),
        Value::Number(n) => Node::scalar(n.to_string(), Style::Plain, pos),
        Value::String(s) => Node::scalar(s.clone(), Style::Quoted, pos),
        Value::Sequence(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                path.push(Segment::Index(i));
                out.push(from_value_at(item, original, path));
                path.pop();
            }
            Node {
                pos,
                kind: NodeKind::Seq(out),
            }
        }
        Value::Mapping(m) => {
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let key_str = match k {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => String::new(),
                };
                path.push(Segment::Key(key_str.clone()));
                let key_pos = locate_exact_key(original, path).unwrap_or(pos);
                let vnode = from_value_at(v, original, path);
                path.pop();
                out.push((Node::scalar(key_str, Style::Quoted, key_pos), vnode));
            }
            Node {
                pos,
                kind: NodeKind::Map(out),
            }
        }
        Value::Tagged(t) => from_value_at(&t.value, original, path),
    }
}

fn locate_exact_key(original: &Node, path: &[Segment]) -> Option<Pos> {
    let (last, parent) = path.split_last()?;
    let Segment::Key(k) = last else { return None };
    lookup(original, parent)?.get_key(k).map(|n| n.pos)
}

fn value_pos(original: &Node, path: &[Segment]) -> Pos {
    for len in (0..=path.len()).rev() {
        if let Some(n) = lookup(original, &path[..len]) {
            return n.pos;
        }
    }
    original.pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> Node {
        let mut docs = parse_documents(src).unwrap();
        assert_eq!(docs.len(), 1);
        docs.remove(0).root
    }

    #[test]
    fn positions_are_one_based() {
        let n = one("a:\n  b: c\n");
        let a = n.get("a").unwrap();
        assert_eq!(n.get_key("a").unwrap().pos, Pos { line: 1, col: 1 });
        assert_eq!(a.get_key("b").unwrap().pos, Pos { line: 2, col: 3 });
        assert_eq!(a.get("b").unwrap().pos, Pos { line: 2, col: 6 });
    }

    #[test]
    fn multi_document_and_empty_documents() {
        let docs = parse_documents("# only a comment\n---\na: 1\n---\n---\nb: 2\n").unwrap();
        let non_empty: Vec<_> = docs.iter().filter(|d| !d.is_empty()).collect();
        assert_eq!(non_empty.len(), 2);
        assert!(
            parse_documents("# nothing\n")
                .unwrap()
                .iter()
                .all(Document::is_empty)
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let n = one("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
        let u = n.get("use").unwrap();
        assert_eq!(u.get("x").unwrap().as_str(), Some("1"));
        assert_eq!(u.get("y").unwrap().as_str(), Some("3"));
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let err = parse_documents("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(err.pos, Pos { line: 3, col: 1 });
        assert_eq!(err.message, "duplicate key `a` (first defined at line 1)");
    }

    #[test]
    fn deep_nesting_is_rejected() {
        let src = format!("{}{}", "[".repeat(150), "]".repeat(150));
        let err = parse_documents(&src).unwrap_err();
        assert_eq!(
            err.message,
            "collections are nested more than 128 levels deep"
        );
        // The parser has a limit of its own for much deeper input.
        let src = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse_documents(&src).is_err());
    }

    #[test]
    fn alias_bombs_are_rejected() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..8 {
            let p = i - 1;
            src.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
        }
        let err = parse_documents(&src).unwrap_err();
        assert_eq!(err.message, "document is too large after expanding aliases");
    }

    #[test]
    fn syntax_error_position() {
        let err = parse_documents("a: [1, 2\nb: c\n").unwrap_err();
        assert!(err.pos.line >= 2, "{err:?}");
    }

    #[test]
    fn scalar_resolution() {
        let n = one("a: 8080\nb: '8080'\nc: true\nd: ~\ne: 1.5\nf: 0x1F\ng: abc\nh: !!str 5\n");
        assert_eq!(n.get("a").unwrap().resolve(), Some(Resolved::Int(8080)));
        assert_eq!(n.get("b").unwrap().resolve(), Some(Resolved::Str("8080")));
        assert_eq!(n.get("c").unwrap().resolve(), Some(Resolved::Bool(true)));
        assert_eq!(n.get("d").unwrap().resolve(), Some(Resolved::Null));
        assert_eq!(n.get("e").unwrap().resolve(), Some(Resolved::Float(1.5)));
        assert_eq!(n.get("f").unwrap().resolve(), Some(Resolved::Int(31)));
        assert_eq!(n.get("g").unwrap().resolve(), Some(Resolved::Str("abc")));
        assert_eq!(n.get("h").unwrap().resolve(), Some(Resolved::Str("5")));
    }

    #[test]
    fn value_round_trip_keeps_positions() {
        let n = one("a:\n  b: [1, two]\n");
        let v = to_value(&n);
        let back = from_value(&v, &n);
        assert_eq!(
            back.get("a").unwrap().get_key("b").unwrap().pos,
            Pos { line: 2, col: 3 }
        );
        assert_eq!(to_value(&back), v);
    }

    #[test]
    fn locate_falls_back_to_ancestors() {
        let n = one("build:\n  artifacts:\n  - image: x\n");
        let p = [
            Segment::Key("build".into()),
            Segment::Key("artifacts".into()),
            Segment::Index(0),
        ];
        assert_eq!(locate(&n, &p), Pos { line: 3, col: 5 });
        let mut deeper = p.to_vec();
        deeper.push(Segment::Key("context".into()));
        assert_eq!(locate(&n, &deeper), Pos { line: 3, col: 5 });
        assert_eq!(format_path(&deeper), "build.artifacts[0].context");
    }
}
