//! Glob patterns with `**`, with the semantics of `github.com/bmatcuk/doublestar` v1.3.4, which
//! Skaffold uses for the `paths`/`ignore` lists of custom (and buildpacks, ko) artifacts.
//!
//! - Patterns are split into components on `/`. A component that is exactly `**` matches zero
//!   or more whole path components, but the pattern as a whole never matches an empty rest:
//!   `a/**` matches `a/b` and `a/b/c` but not `a`; `**/x` matches `x` and `a/b/x`.
//! - Inside a component: `*` (any run of characters, dot files included), `?` (one character),
//!   `[abc]`, `[a-z]`, `[^a-z]` (`^` negates; `!` is a literal), `\c` (the character `c`).
//!   A `**` that is not a whole component is a `*`.
//! - `{a,b}` alternatives, nested, which may span components (`{src/main,lib}/*.go`).
//! - [`glob`] lists the file system: `**` descends into directories and follows symbolic links
//!   to them; hidden entries are matched like any other.
//!
//! Differences from doublestar v1, both on odd input: malformed patterns (an unclosed `[` or
//! `{`, an empty class, a class starting with `-`) are rejected up front, where doublestar reports
//! them only when matching reaches them; alternatives are expanded before matching, so a `**`
//! produced by an alternative (`{**,x}/y`) is a `**` rather than a `*`; and `**` does not descend
//! into a directory already being walked through a symbolic link loop.

use std::fs;
use std::path::{Path, PathBuf};

/// A malformed pattern (Go's `path.ErrBadPattern`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Alternatives beyond this many are refused, against exponential `{a,b}{c,d}…` patterns.
const MAX_ALTERNATIVES: usize = 4096;

/// One element of a component.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Char(char),
    Any,
    Star,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// One path component of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Component {
    /// `**`: zero or more components.
    Globstar,
    /// A component with no wildcard: compared as is (escapes removed).
    Literal(String),
    /// A component with wildcards.
    Glob(Vec<Token>),
}

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    /// One component list per brace alternative.
    alternatives: Vec<Vec<Component>>,
}

impl Pattern {
    /// Compiles `pattern` (`/`-separated).
    pub fn new(pattern: &str) -> Result<Pattern, BadPattern> {
        let alternatives = expand_braces(pattern)?
            .iter()
            .map(|alt| {
                split_unescaped(alt, '/')
                    .into_iter()
                    .map(compile_component)
                    .collect::<Result<Vec<_>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pattern {
            text: pattern.to_owned(),
            alternatives,
        })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether `path` (`/`-separated) matches the whole pattern.
    pub fn matches(&self, path: &str) -> bool {
        let names: Vec<&str> = path.split('/').collect();
        self.alternatives
            .iter()
            .any(|components| match_components(components, &names))
    }
}

/// doublestar's `PathMatch`: whether `name` matches `pattern`.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    Ok(Pattern::new(pattern)?.matches(name))
}

/// doublestar's `Glob`: the paths on the file system matching `pattern` (absolute, or relative
/// to the current directory), in walk order; a path matched by several alternatives appears
/// once per alternative.
pub fn glob(pattern: &str) -> Result<Vec<PathBuf>, BadPattern> {
    let compiled = Pattern::new(pattern)?;
    let mut found = Vec::new();
    for (alt, components) in expand_braces(pattern)?.iter().zip(&compiled.alternatives) {
        let (base, components) = if alt.starts_with('/') {
            // The leading empty component of an absolute pattern is the root.
            (PathBuf::from("/"), &components[1..])
        } else {
            (PathBuf::from("."), &components[..])
        };
        glob_in(&base, components, &mut Vec::new(), &mut found);
    }
    Ok(found)
}

/// Matches `components` below directory `dir`, appending matches to `found`. `walking` holds
/// the directories a `**` is descending through, against symbolic link loops.
fn glob_in(
    dir: &Path,
    components: &[Component],
    walking: &mut Vec<(u64, u64)>,
    found: &mut Vec<PathBuf>,
) {
    // Leading literal components are joined without listing directories.
    let literal = components
        .iter()
        .take_while(|c| matches!(c, Component::Literal(_)))
        .count();
    let mut base = dir.to_path_buf();
    for c in &components[..literal] {
        if let Component::Literal(name) = c {
            base.push(name);
        }
    }
    let components = &components[literal..];
    if fs::symlink_metadata(&base).is_err() {
        return;
    }
    let Some((first, rest)) = components.split_first() else {
        found.push(base);
        return;
    };
    // Following a symbolic link to a directory is fine; anything else has no entries.
    let Ok(meta) = fs::metadata(&base) else {
        return;
    };
    if !meta.is_dir() {
        return;
    }
    let entries = sorted_entries(&base);
    if *first != Component::Globstar {
        for path in entries
            .iter()
            .filter(|(name, _)| component_matches(first, name))
            .map(|(_, path)| path)
        {
            if rest.is_empty() {
                found.push(path.clone());
            } else {
                glob_in(path, rest, walking, found);
            }
        }
        return;
    }
    let key = dir_key(&meta);
    walking.extend(key);
    for (_, path) in &entries {
        // Entries whose link target is missing are skipped.
        let Ok(meta) = fs::metadata(path) else {
            continue;
        };
        if meta.is_dir() {
            if rest.is_empty() {
                found.push(path.clone());
            }
            if dir_key(&meta).is_none_or(|k| !walking.contains(&k)) {
                glob_in(path, components, walking, found);
            }
        } else if rest.is_empty() {
            found.push(path.clone());
        }
    }
    if key.is_some() {
        walking.pop();
    }
    if !rest.is_empty() {
        // `**` standing for no directory at all.
        glob_in(&base, rest, walking, found);
    }
}

#[cfg(unix)]
fn dir_key(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn dir_key(_meta: &fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The entries of `dir` sorted by name; none when it can't be read (doublestar ignores I/O
/// errors while globbing).
fn sorted_entries(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(read) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut entries: Vec<(String, PathBuf)> = read
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

fn match_components(components: &[Component], names: &[&str]) -> bool {
    match components.split_first() {
        None => names.is_empty(),
        Some((Component::Globstar, rest)) => {
            if rest.is_empty() {
                !names.is_empty()
            } else {
                (0..names.len()).any(|i| match_components(rest, &names[i..]))
            }
        }
        Some((first, rest)) => match names.split_first() {
            Some((name, names)) => component_matches(first, name) && match_components(rest, names),
            None => false,
        },
    }
}

fn component_matches(component: &Component, name: &str) -> bool {
    match component {
        Component::Globstar => true,
        Component::Literal(text) => text == name,
        Component::Glob(tokens) => {
            let name: Vec<char> = name.chars().collect();
            match_tokens(tokens, &name)
        }
    }
}

/// Wildcard matching with backtracking on the last `*`.
fn match_tokens(tokens: &[Token], name: &[char]) -> bool {
    let (mut t, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match tokens.get(t) {
            Some(Token::Star) => {
                star = Some((t, n));
                t += 1;
                continue;
            }
            Some(token) if token_matches(token, name[n]) => {
                t += 1;
                n += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((st, sn)) => {
                t = st + 1;
                n = sn + 1;
                star = Some((st, sn + 1));
            }
            None => return false,
        }
    }
    tokens[t..].iter().all(|tok| *tok == Token::Star)
}

fn token_matches(token: &Token, c: char) -> bool {
    match token {
        Token::Char(x) => *x == c,
        Token::Any => true,
        Token::Star => true,
        Token::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
    }
}

fn compile_component(text: &str) -> Result<Component, BadPattern> {
    if text == "**" {
        return Ok(Component::Globstar);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let c = *chars.get(i + 1).ok_or(BadPattern)?;
                tokens.push(Token::Char(c));
                i += 2;
            }
            '*' => {
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
                i += 1;
            }
            '?' => {
                tokens.push(Token::Any);
                i += 1;
            }
            '[' => {
                let (token, next) = compile_class(&chars, i + 1)?;
                tokens.push(token);
                i = next;
            }
            c => {
                tokens.push(Token::Char(c));
                i += 1;
            }
        }
    }
    if tokens.iter().all(|t| matches!(t, Token::Char(_))) {
        let literal = tokens
            .iter()
            .map(|t| match t {
                Token::Char(c) => *c,
                _ => unreachable!(),
            })
            .collect();
        return Ok(Component::Literal(literal));
    }
    Ok(Component::Glob(tokens))
}

/// Compiles the class starting after `[` at `start`; returns it and the index after its `]`.
fn compile_class(chars: &[char], start: usize) -> Result<(Token, usize), BadPattern> {
    // The class ends at the first `]` not escaped by a backslash.
    let mut end = start;
    loop {
        match chars.get(end) {
            None => return Err(BadPattern),
            Some(']') if end == start || chars[end - 1] != '\\' => break,
            Some(_) => end += 1,
        }
    }
    let class = &chars[start..end];
    if class.is_empty() {
        return Err(BadPattern);
    }
    let negated = class[0] == '^';
    let mut i = usize::from(negated);
    let mut ranges = Vec::new();
    let next = |i: &mut usize| -> Result<char, BadPattern> {
        let c = *class.get(*i).ok_or(BadPattern)?;
        *i += 1;
        if c == '\\' {
            let escaped = *class.get(*i).ok_or(BadPattern)?;
            *i += 1;
            return Ok(escaped);
        }
        Ok(c)
    };
    while i < class.len() {
        if class[i] == '-' {
            return Err(BadPattern);
        }
        let lo = next(&mut i)?;
        let mut hi = lo;
        if class.get(i) == Some(&'-') {
            i += 1;
            if class.get(i).is_none_or(|c| *c == '-') {
                return Err(BadPattern);
            }
            hi = next(&mut i)?;
        }
        ranges.push((lo, hi));
    }
    Ok((Token::Class { negated, ranges }, end + 1))
}

/// Splits on `sep` where it is not escaped by a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// Expands `{a,b}` alternatives (nested, escapes respected) into plain patterns.
fn expand_braces(pattern: &str) -> Result<Vec<String>, BadPattern> {
    let chars: Vec<char> = pattern.chars().collect();
    let (alternatives, end) = expand_seq(&chars, 0, false)?;
    debug_assert_eq!(end, chars.len());
    Ok(alternatives)
}

/// Expands from `i` until the end (or, inside braces, until an unnested `,` or `}`).
fn expand_seq(
    chars: &[char],
    mut i: usize,
    nested: bool,
) -> Result<(Vec<String>, usize), BadPattern> {
    let mut results = vec![String::new()];
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let c = *chars.get(i + 1).ok_or(BadPattern)?;
                for r in &mut results {
                    r.push('\\');
                    r.push(c);
                }
                i += 2;
            }
            '{' => {
                let mut options = Vec::new();
                let mut j = i + 1;
                loop {
                    let (alts, end) = expand_seq(chars, j, true)?;
                    options.extend(alts);
                    match chars.get(end) {
                        Some(',') => j = end + 1,
                        Some('}') => {
                            i = end + 1;
                            break;
                        }
                        _ => return Err(BadPattern),
                    }
                }
                if results.len() * options.len() > MAX_ALTERNATIVES {
                    return Err(BadPattern);
                }
                results = results
                    .iter()
                    .flat_map(|r| options.iter().map(move |o| format!("{r}{o}")))
                    .collect();
            }
            ',' | '}' if nested => return Ok((results, i)),
            '[' => {
                // Braces and commas inside a class are class characters.
                let close = compile_class(chars, i + 1).map(|(_, next)| next)?;
                let class: String = chars[i..close].iter().collect();
                for r in &mut results {
                    r.push_str(&class);
                }
                i = close;
            }
            c => {
                for r in &mut results {
                    r.push(c);
                }
                i += 1;
            }
        }
    }
    if nested {
        // Reached the end inside braces.
        return Err(BadPattern);
    }
    Ok((results, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, name: &str) -> bool {
        path_match(pattern, name).unwrap()
    }

    #[test]
    fn globstar_matches_whole_components() {
        assert!(m("**", "a"));
        assert!(m("**", "a/b/c"));
        assert!(m("**/x", "x"));
        assert!(m("**/x", "a/b/x"));
        assert!(m("a/**", "a/b"));
        assert!(!m("a/**", "a"));
        assert!(m("a/**/b", "a/b"));
        assert!(m("a/**/b", "a/x/y/b"));
        assert!(!m("a/**/b", "a/x/y/c"));
        assert!(m("a**", "abc"));
        assert!(!m("a**", "a/b"));
    }

    #[test]
    fn component_wildcards() {
        assert!(m("*.go", "main.go"));
        assert!(m("*.go", ".hidden.go"));
        assert!(!m("*.go", "cmd/main.go"));
        assert!(m("?.txt", "a.txt"));
        assert!(m("[a-c]x", "bx"));
        assert!(!m("[^a-c]x", "bx"));
        assert!(m("[!a]", "!"));
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a*/b", "abc/b"));
        assert!(!m("a/*", "a"));
        assert!(m("*", ""));
    }

    #[test]
    fn alternatives() {
        assert!(m("{a,b}.txt", "b.txt"));
        assert!(m("{src/main,lib}/*.go", "src/main/x.go"));
        assert!(m("{src/main,lib}/*.go", "lib/x.go"));
        assert!(m("x{,.bak}", "x"));
        assert!(m("{a,{b,c}}", "c"));
        assert!(m("[{]", "{"));
    }

    #[test]
    fn malformed_patterns() {
        for bad in ["[", "[]", "[-a]", "[a-]", "{a,b", "a\\", "[a-\\"] {
            assert_eq!(Pattern::new(bad), Err(BadPattern), "{bad}");
        }
    }
}
