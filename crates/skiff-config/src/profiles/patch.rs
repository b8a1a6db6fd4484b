//! JSON patches applied to a positioned YAML tree, with the semantics of the library Skaffold
//! uses (`github.com/krishicks/yaml-patch` v0.0.10), which differ from RFC 6902 in places:
//!
//! - `op` defaults to `replace` (Skaffold fills it in before calling the library);
//! - `add` on a mapping sets the key (overwriting it); on a list it inserts at an index from 0 to
//!   the length, or appends with `-`;
//! - `replace` needs the key or index to exist;
//! - `move` removes `from` first, then *sets* `path` (on a list: overwrites the element at that
//!   index, growing the list with nulls when the index is past the end; `-` is not accepted);
//! - `copy` reads `from` (a missing mapping key reads as null) and *sets* `path` like `move`;
//! - `test` compares the value at `path` with `value` (a missing key equals `null`); a `test`
//!   without `value` fails;
//! - paths are JSON pointers (`~1` is `/`, `~0` is `~`) that must start with `/`; a path segment
//!   `key=value` ("extended syntax") selects every mapping below that point whose `key` is the
//!   string `value`, and the operation is applied at each match.
//!
//! Values from the patch keep their own positions, so a later error about a patched field points
//! at the patch.

use std::collections::BTreeMap;

use crate::yaml::{self, Node, NodeKind, Pos, Resolved, Style};

/// A JSON patch operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `add`
    Add,
    /// `remove`
    Remove,
    /// `replace` (the default)
    Replace,
    /// `move`
    Move,
    /// `copy`
    Copy,
    /// `test`
    Test,
}

impl Op {
    /// Parse an `op`; the empty string is `replace`, as in Skaffold.
    pub fn parse(op: &str) -> Option<Op> {
        Some(match op {
            "" | "replace" => Op::Replace,
            "add" => Op::Add,
            "remove" => Op::Remove,
            "move" => Op::Move,
            "copy" => Op::Copy,
            "test" => Op::Test,
            _ => return None,
        })
    }

    /// The op's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Add => "add",
            Op::Remove => "remove",
            Op::Replace => "replace",
            Op::Move => "move",
            Op::Copy => "copy",
            Op::Test => "test",
        }
    }
}

/// One patch to apply.
#[derive(Debug, Clone, Copy)]
pub struct Patch<'a> {
    /// `op` as written (`""` means `replace`).
    pub op: &'a str,
    /// The target JSON pointer.
    pub path: &'a str,
    /// The source JSON pointer of `move` and `copy`.
    pub from: &'a str,
    /// The value of `add`, `replace` and `test` (`None`: not given, which adds `null`).
    pub value: Option<&'a Node>,
    /// Where the patch is written, for nodes it creates without a value of their own.
    pub pos: Pos,
}

/// Why a patch does not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    /// The reason, as a sentence fragment (`key "foo" does not exist at /build`).
    pub reason: String,
}

impl PatchError {
    fn new(reason: impl Into<String>) -> PatchError {
        PatchError {
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

type Result<T> = std::result::Result<T, PatchError>;

/// Apply one patch to `doc`. On error `doc` may be partly modified (Skaffold discards it).
pub fn apply(doc: &mut Node, patch: &Patch<'_>) -> Result<()> {
    let op = Op::parse(patch.op).ok_or_else(|| {
        PatchError::new(format!(
            "unknown op {:?} (expected one of add, remove, replace, move, copy, test)",
            patch.op
        ))
    })?;
    if patch.path.contains('=') {
        let paths = expand(doc, patch.path)?;
        for path in paths {
            perform(doc, op, &path, patch)?;
        }
        Ok(())
    } else {
        perform(doc, op, patch.path, patch)
    }
}

fn perform(doc: &mut Node, op: Op, path: &str, patch: &Patch<'_>) -> Result<()> {
    let value = || {
        patch
            .value
            .cloned()
            .unwrap_or_else(|| Node::null(patch.pos))
    };
    match op {
        Op::Add => {
            let (parent, key) = decompose(path)?;
            let con = find_container(doc, &parent)?;
            add(con, &key, value(), &parent)
        }
        Op::Remove => {
            let (parent, key) = decompose(path)?;
            let con = find_container(doc, &parent)?;
            remove(con, &key, &parent).map(|_| ())
        }
        Op::Replace => {
            let (parent, key) = decompose(path)?;
            let con = find_container(doc, &parent)?;
            if get(con, &key, &parent)?.is_none() {
                return Err(PatchError::new(format!(
                    "key {key:?} does not exist at {}",
                    pointer(&parent)
                )));
            }
            set(con, &key, value(), &parent)
        }
        Op::Move => {
            let (from_parent, from_key) = decompose_from(patch.from)?;
            let con = find_container(doc, &from_parent)?;
            let moved = remove(con, &from_key, &from_parent)?;
            let (parent, key) = decompose(path)?;
            let con = find_container(doc, &parent)?;
            set(con, &key, moved, &parent)
        }
        Op::Copy => {
            let (from_parent, from_key) = decompose_from(patch.from)?;
            let con = find_container(doc, &from_parent)?;
            let copied = get(con, &from_key, &from_parent)?
                .cloned()
                .unwrap_or_else(|| Node::null(patch.pos));
            let (parent, key) = decompose(path)?;
            let con = find_container(doc, &parent)?;
            set(con, &key, copied, &parent)
        }
        Op::Test => {
            let (parent, key) = decompose(path)?;
            let con = find_container(doc, &parent)?;
            let actual = get(con, &key, &parent)?;
            let Some(expected) = patch.value else {
                return Err(PatchError::new("test failed: the patch has no value"));
            };
            let actual_value = actual.map_or(serde_yaml_ng::Value::Null, yaml::to_value);
            let expected_value = yaml::to_value(expected);
            if actual_value == expected_value {
                Ok(())
            } else {
                Err(PatchError::new(format!(
                    "test failed: the value at {path} is {}, not {}",
                    short(&actual_value),
                    short(&expected_value)
                )))
            }
        }
    }
}

/// A short rendering of a value for error messages.
fn short(v: &serde_yaml_ng::Value) -> String {
    let s = match v {
        serde_yaml_ng::Value::Null => "null".to_string(),
        serde_yaml_ng::Value::String(s) => format!("{s:?}"),
        other => serde_yaml_ng::to_string(other)
            .unwrap_or_default()
            .trim_end()
            .replace('\n', " "),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}

/// Decode a JSON-pointer reference token: `~1` is `/`, `~0` is `~` (one pass, left to right).
pub fn decode_token(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.peek() {
                Some('1') => {
                    chars.next();
                    out.push('/');
                    continue;
                }
                Some('0') => {
                    chars.next();
                    out.push('~');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}

/// Split a pointer into its parent tokens and last token (both decoded).
fn decompose(path: &str) -> Result<(Vec<String>, String)> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(PatchError::new(format!(
            "the path {path:?} does not start with '/'"
        )));
    };
    let mut parts: Vec<String> = rest.split('/').map(decode_token).collect();
    let last = parts.pop().unwrap_or_default();
    Ok((parts, last))
}

fn decompose_from(from: &str) -> Result<(Vec<String>, String)> {
    if from.is_empty() {
        return Err(PatchError::new("`from` is required for move and copy"));
    }
    decompose(from).map_err(|e| PatchError::new(format!("from: {}", e.reason)))
}

/// Render tokens back into a pointer for messages.
fn pointer(tokens: &[String]) -> String {
    if tokens.is_empty() {
        return "the document root".to_string();
    }
    let mut out = String::new();
    for t in tokens {
        out.push('/');
        out.push_str(&t.replace('~', "~0").replace('/', "~1"));
    }
    out
}

fn is_container(node: &Node) -> bool {
    matches!(node.kind, NodeKind::Map(_) | NodeKind::Seq(_))
}

/// Go's `strconv.Atoi`: optional sign and decimal digits.
fn parse_index(token: &str) -> Option<i64> {
    let digits = token
        .strip_prefix('-')
        .or_else(|| token.strip_prefix('+'))
        .unwrap_or(token);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse::<i64>().ok()
}

fn index_of(token: &str, at: &[String]) -> Result<i64> {
    parse_index(token).ok_or_else(|| {
        PatchError::new(format!(
            "{token:?} is not a list index (at {}, a list)",
            pointer(at)
        ))
    })
}

fn find_container<'a>(doc: &'a mut Node, tokens: &[String]) -> Result<&'a mut Node> {
    let mut node = doc;
    for (depth, token) in tokens.iter().enumerate() {
        let here = &tokens[..depth];
        if let NodeKind::Scalar { .. } = node.kind {
            return Err(PatchError::new(format!(
                "{} is {}, not a mapping or list",
                pointer(here),
                node.describe()
            )));
        }
        node = match &mut node.kind {
            NodeKind::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.as_str() == Some(token.as_str()))
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    PatchError::new(format!("key {token:?} does not exist at {}", pointer(here)))
                })?,
            NodeKind::Seq(items) => {
                let i = index_of(token, here)?;
                let len = items.len();
                usize::try_from(i)
                    .ok()
                    .and_then(|i| items.get_mut(i))
                    .ok_or_else(|| {
                        PatchError::new(format!(
                            "index {i} is out of range at {} (a list of {len})",
                            pointer(here)
                        ))
                    })?
            }
            NodeKind::Scalar { .. } => unreachable!("checked above"),
        };
    }
    if !is_container(node) {
        return Err(PatchError::new(format!(
            "{} is {}, not a mapping or list",
            pointer(tokens),
            node.describe()
        )));
    }
    Ok(node)
}

fn get<'a>(con: &'a Node, key: &str, at: &[String]) -> Result<Option<&'a Node>> {
    match &con.kind {
        NodeKind::Map(entries) => Ok(entries
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v)),
        NodeKind::Seq(items) => {
            let i = index_of(key, at)?;
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .map(Some)
                .ok_or_else(|| {
                    PatchError::new(format!(
                        "index {i} is out of range at {} (a list of {})",
                        pointer(at),
                        items.len()
                    ))
                })
        }
        NodeKind::Scalar { .. } => Ok(None),
    }
}

fn map_set(entries: &mut Vec<(Node, Node)>, key: &str, val: Node) {
    if let Some((_, v)) = entries.iter_mut().find(|(k, _)| k.as_str() == Some(key)) {
        *v = val;
    } else {
        let k = Node::scalar(key, Style::Quoted, val.pos);
        entries.push((k, val));
    }
}

fn set(con: &mut Node, key: &str, val: Node, at: &[String]) -> Result<()> {
    match &mut con.kind {
        NodeKind::Map(entries) => {
            map_set(entries, key, val);
            Ok(())
        }
        NodeKind::Seq(items) => {
            let i = index_of(key, at)?;
            let Ok(i) = usize::try_from(i) else {
                return Err(PatchError::new(format!(
                    "index {i} is out of range at {}",
                    pointer(at)
                )));
            };
            while items.len() <= i {
                items.push(Node::null(val.pos));
            }
            items[i] = val;
            Ok(())
        }
        NodeKind::Scalar { .. } => unreachable_scalar(at),
    }
}

fn add(con: &mut Node, key: &str, val: Node, at: &[String]) -> Result<()> {
    match &mut con.kind {
        NodeKind::Map(entries) => {
            map_set(entries, key, val);
            Ok(())
        }
        NodeKind::Seq(items) => {
            if key == "-" {
                items.push(val);
                return Ok(());
            }
            let i = index_of(key, at)?;
            match usize::try_from(i) {
                Ok(i) if i <= items.len() => {
                    items.insert(i, val);
                    Ok(())
                }
                _ => Err(PatchError::new(format!(
                    "index {i} is out of range at {} (a list of {}; add accepts 0 to {} or -)",
                    pointer(at),
                    items.len(),
                    items.len()
                ))),
            }
        }
        NodeKind::Scalar { .. } => unreachable_scalar(at),
    }
}

fn remove(con: &mut Node, key: &str, at: &[String]) -> Result<Node> {
    match &mut con.kind {
        NodeKind::Map(entries) => {
            let i = entries
                .iter()
                .position(|(k, _)| k.as_str() == Some(key))
                .ok_or_else(|| {
                    PatchError::new(format!("key {key:?} does not exist at {}", pointer(at)))
                })?;
            Ok(entries.remove(i).1)
        }
        NodeKind::Seq(items) => {
            let i = index_of(key, at)?;
            match usize::try_from(i) {
                Ok(i) if i < items.len() => Ok(items.remove(i)),
                _ => Err(PatchError::new(format!(
                    "index {i} is out of range at {} (a list of {})",
                    pointer(at),
                    items.len()
                ))),
            }
        }
        NodeKind::Scalar { .. } => unreachable_scalar(at),
    }
}

fn unreachable_scalar<T>(at: &[String]) -> Result<T> {
    Err(PatchError::new(format!(
        "{} is not a mapping or list",
        pointer(at)
    )))
}

/// The container a route points at: `None` for a scalar (the library's nil container).
type Route<'a> = Option<&'a Node>;

/// Expand a path with `key=value` segments into the plain pointers it matches, as yaml-patch's
/// `PathFinder` does (matches are visited in sorted order rather than Go's random map order, and
/// matches under several routes are all kept).
fn expand(doc: &Node, path: &str) -> Result<Vec<String>> {
    let Some(rest) = path.strip_prefix('/') else {
        return Err(PatchError::new(format!(
            "the path {path:?} does not start with '/'"
        )));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Ok(vec!["/".to_string()]);
    }
    let mut routes: BTreeMap<String, Route<'_>> = BTreeMap::new();
    routes.insert(String::new(), Some(doc));
    for part in rest.split('/') {
        routes = find_routes(&decode_token(part), routes)?;
    }
    if routes.is_empty() {
        return Err(PatchError::new(format!(
            "no mapping matches the selector(s) in {path}"
        )));
    }
    Ok(routes.into_keys().collect())
}

fn find_routes<'a>(
    part: &str,
    routes: BTreeMap<String, Route<'a>>,
) -> Result<BTreeMap<String, Route<'a>>> {
    if part == "-" {
        return Ok(routes
            .into_iter()
            .map(|(k, c)| (format!("{k}/-"), c))
            .collect());
    }
    let mut matches = BTreeMap::new();
    let selector = {
        let kv: Vec<&str> = part.split('=').collect();
        (kv.len() == 2).then(|| (kv[0], kv[1]))
    };
    for (prefix, container) in routes {
        if let Some((key, value)) = selector {
            find_all(&prefix, key, value, container, &mut matches);
            continue;
        }
        let Some(con) = container else {
            return Err(PatchError::new(format!(
                "{prefix} is not a mapping or list"
            )));
        };
        if let Ok(node) = get(con, part, &[]) {
            let route = match node {
                // The library keeps pointing at the parent for a missing key.
                None => Some(con),
                Some(n) => is_container(n).then_some(n),
            };
            matches.insert(format!("{prefix}/{part}"), route);
        }
    }
    Ok(matches)
}

fn find_all<'a>(
    prefix: &str,
    key: &str,
    value: &str,
    container: Route<'a>,
    out: &mut BTreeMap<String, Route<'a>>,
) {
    let Some(con) = container else { return };
    if let NodeKind::Map(_) = con.kind
        && let Some(v) = con.get(key)
        && v.resolve() == Some(Resolved::Str(value))
    {
        out.insert(prefix.to_string(), Some(con));
        return;
    }
    match &con.kind {
        NodeKind::Map(entries) => {
            for (k, v) in entries {
                let k = k.as_str().unwrap_or_default();
                find_all(
                    &format!("{prefix}/{k}"),
                    key,
                    value,
                    is_container(v).then_some(v),
                    out,
                );
            }
        }
        NodeKind::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                find_all(
                    &format!("{prefix}/{i}"),
                    key,
                    value,
                    is_container(v).then_some(v),
                    out,
                );
            }
        }
        NodeKind::Scalar { .. } => {}
    }
}
