//! `.dockerignore` handling with the semantics of `moby/patternmatcher` as Skaffold and BuildKit
//! use it.
//!
//! * Files: `<Dockerfile>.dockerignore` is preferred over `<context>/.dockerignore`
//!   ([`DockerIgnore::read`]).
//! * Lines (`ignorefile.ReadAll`): a UTF-8 BOM is dropped; a line whose first byte is `#` is a
//!   comment; the rest is trimmed, blank lines are skipped; `!` marks an exception; the pattern
//!   is cleaned like Go's `filepath.Clean` and a leading `/` is stripped.
//! * Patterns (`patternmatcher.New`): a bare `!` is an error; the syntax is Go's
//!   `filepath.Match` (`*` and `?` never cross `/`, `[...]` with `^` negation, `\` escapes) plus
//!   `**` (`**/` matches zero or more directories, a trailing `**` matches everything below).
//! * Matching (`MatchesOrParentMatches`): a pattern matches a path when it matches the path or
//!   any of its parent directories; the last matching pattern decides (an exception re-includes).

use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::dockerfile::gopath;

/// Errors reading or compiling `.dockerignore` patterns. `line` is 1-based within the input.
#[derive(Debug, thiserror::Error)]
pub enum DockerIgnoreError {
    /// The ignore file exists but could not be read.
    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A line holding only `!`.
    #[error("line {line}: illegal exclusion pattern: \"!\"")]
    BareExclusion { line: usize },
    /// A pattern Go's `filepath.Match` rejects (unclosed `[`, trailing `\`, ...).
    #[error("line {line}: invalid pattern {pattern:?}: syntax error in pattern")]
    BadPattern { line: usize, pattern: String },
}

#[derive(Clone)]
enum Matcher {
    /// No glob characters: the path must equal the pattern.
    Exact,
    /// `foo**`: the path must start with this prefix.
    Prefix(String),
    /// `**foo`: the path must end with this suffix (or equal it without its leading `/`).
    Suffix(String),
    Regex(Regex),
}

/// One compiled ignore pattern.
#[derive(Clone)]
pub struct Pattern {
    text: String,
    exclusion: bool,
    line: usize,
    matcher: Matcher,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", if self.exclusion { "!" } else { "" }, self.text)
    }
}

impl Pattern {
    /// The cleaned pattern, without its `!`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether this is an exception (`!pattern`).
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    /// 1-based line of the pattern in its input.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Whether the pattern matches exactly this slash path (parents are not considered).
    pub fn matches_path(&self, path: &str) -> bool {
        match &self.matcher {
            Matcher::Exact => path == self.text,
            Matcher::Prefix(p) => path.starts_with(p.as_str()),
            Matcher::Suffix(s) => {
                path.ends_with(s.as_str()) || s.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Matcher::Regex(re) => re.is_match(path),
        }
    }

    fn compile(line: usize, text: String, exclusion: bool) -> Result<Pattern, DockerIgnoreError> {
        let bad = || DockerIgnoreError::BadPattern {
            line,
            pattern: text.clone(),
        };
        gopath::validate_pattern(&text).map_err(|_| bad())?;
        let chars: Vec<char> = text.chars().collect();
        let n = chars.len();
        let mut re = String::from("^");
        #[derive(PartialEq, Clone, Copy)]
        enum Kind {
            Exact,
            Prefix,
            Suffix,
            Regex,
        }
        let mut kind = Kind::Exact;
        let mut i = 0;
        let mut iteration = 0;
        while i < n {
            let ch = chars[i];
            i += 1;
            match ch {
                '*' if i < n && chars[i] == '*' => {
                    i += 1;
                    if i < n && chars[i] == '/' {
                        i += 1;
                    }
                    if i == n {
                        if kind == Kind::Exact {
                            kind = Kind::Prefix;
                        } else {
                            re.push_str(".*");
                            kind = Kind::Regex;
                        }
                    } else {
                        re.push_str("(.*/)?");
                        kind = Kind::Regex;
                    }
                    if iteration == 0 {
                        kind = Kind::Suffix;
                    }
                }
                '*' => {
                    re.push_str("[^/]*");
                    kind = Kind::Regex;
                }
                '?' => {
                    re.push_str("[^/]");
                    kind = Kind::Regex;
                }
                '\\' => {
                    if i < n {
                        re.push_str(&regex::escape(&chars[i].to_string()));
                        i += 1;
                        kind = Kind::Regex;
                    } else {
                        re.push_str("\\\\");
                    }
                }
                '[' => {
                    i = push_class(&chars, i, &mut re).ok_or_else(bad)?;
                    kind = Kind::Regex;
                }
                ']' => {
                    re.push_str("\\]");
                    kind = Kind::Regex;
                }
                // Go passes `^` through to its regexp, where it is an anchor.
                '^' => re.push('^'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
            iteration += 1;
        }
        let matcher = match kind {
            Kind::Exact => Matcher::Exact,
            Kind::Prefix => Matcher::Prefix(text[..text.len() - 2].to_string()),
            Kind::Suffix => Matcher::Suffix(text[2..].to_string()),
            Kind::Regex => {
                re.push('$');
                Matcher::Regex(Regex::new(&re).map_err(|_| bad())?)
            }
        };
        Ok(Pattern {
            text,
            exclusion,
            line,
            matcher,
        })
    }

    /// The pattern without a trailing `/**` or `/*` (BuildKit's `patternWithoutTrailingGlob`).
    fn without_trailing_glob(&self) -> &str {
        let t = self.text.strip_suffix("/**").unwrap_or(&self.text);
        t.strip_suffix("/*").unwrap_or(t)
    }
}

/// Emits a bracket expression starting after its `[` at `chars[i]`; returns the index after `]`.
fn push_class(chars: &[char], mut i: usize, re: &mut String) -> Option<usize> {
    re.push('[');
    if chars.get(i) == Some(&'^') {
        re.push('^');
        i += 1;
    }
    let mut nrange = 0;
    let esc = |chars: &[char], i: &mut usize| -> Option<char> {
        let mut c = *chars.get(*i)?;
        if c == '-' || c == ']' {
            return None;
        }
        if c == '\\' {
            *i += 1;
            c = *chars.get(*i)?;
        }
        *i += 1;
        Some(c)
    };
    loop {
        if chars.get(i) == Some(&']') && nrange > 0 {
            re.push(']');
            return Some(i + 1);
        }
        let lo = esc(chars, &mut i)?;
        re.push_str(&format!("\\x{{{:x}}}", lo as u32));
        if chars.get(i) == Some(&'-') {
            i += 1;
            let hi = esc(chars, &mut i)?;
            re.push_str(&format!("-\\x{{{:x}}}", hi as u32));
        }
        nrange += 1;
    }
}

/// Per-pattern "this path or one of its parents matches" flags, carried down a directory walk so
/// that each entry is tested once per pattern instead of once per pattern and parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchState {
    hits: Vec<bool>,
}

/// A compiled `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
    exclusions: bool,
    prefix_only_exceptions: bool,
    source: Option<PathBuf>,
}

impl DockerIgnore {
    /// A matcher that ignores nothing.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds the matcher from the lines of an ignore file (comments, blanks and `!` handled
    /// as described in the module docs).
    pub fn from_patterns<I, S>(lines: I) -> Result<Self, DockerIgnoreError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut patterns = Vec::new();
        for (idx, raw) in lines.into_iter().enumerate() {
            let line_no = idx + 1;
            let mut line = raw.as_ref();
            if idx == 0 {
                line = line.strip_prefix('\u{feff}').unwrap_or(line);
            }
            // ignorefile.ReadAll: comments are recognised before trimming.
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            if p.is_empty() {
                continue;
            }
            let invert = p.starts_with('!');
            if invert {
                p = p[1..].trim();
            }
            let mut pattern = String::new();
            if !p.is_empty() {
                pattern = gopath::clean(p);
                if pattern.len() > 1 && pattern.starts_with('/') {
                    pattern.remove(0);
                }
            }
            if invert {
                pattern.insert(0, '!');
            }
            // patternmatcher.New: trimmed and cleaned again, then `!` is interpreted.
            let cleaned = gopath::clean(pattern.trim());
            let (exclusion, text) = match cleaned.strip_prefix('!') {
                Some("") => return Err(DockerIgnoreError::BareExclusion { line: line_no }),
                Some(rest) => (true, rest.to_string()),
                None => (false, cleaned),
            };
            patterns.push(Pattern::compile(line_no, text, exclusion)?);
        }
        let exclusions = patterns.iter().any(|p| p.exclusion);
        let prefix_only_exceptions = patterns.iter().filter(|p| p.exclusion).all(|p| {
            !p.without_trailing_glob()
                .contains(['*', '[', ']', '?', '^', '\\'])
        });
        Ok(DockerIgnore {
            patterns,
            exclusions,
            prefix_only_exceptions,
            source: None,
        })
    }

    /// Parses the text of an ignore file.
    pub fn parse(content: &str) -> Result<Self, DockerIgnoreError> {
        Self::from_patterns(content.lines())
    }

    /// Reads the patterns Skaffold uses for a build: `<dockerfile>.dockerignore` if it exists,
    /// else `<context>/.dockerignore`, else none. `dockerfile` is the Dockerfile's path as
    /// resolved by [`crate::dockerfile::normalize_dockerfile_path`].
    pub fn read(context: &Path, dockerfile: &Path) -> Result<Self, DockerIgnoreError> {
        let mut specific = dockerfile.as_os_str().to_owned();
        specific.push(".dockerignore");
        for candidate in [PathBuf::from(specific), context.join(".dockerignore")] {
            match fs::read(&candidate) {
                Ok(bytes) => {
                    let mut ignore = Self::parse(&String::from_utf8_lossy(&bytes))?;
                    ignore.source = Some(candidate);
                    return Ok(ignore);
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(DockerIgnoreError::Io {
                        path: candidate,
                        source,
                    });
                }
            }
        }
        Ok(Self::empty())
    }

    /// The file the patterns came from, when read with [`DockerIgnore::read`].
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The compiled patterns, in file order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether there is no pattern at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any pattern is an exception (`!`).
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// `MatchesOrParentMatches`: whether the slash path `rel` (relative to the context) is
    /// excluded.
    pub fn matches(&self, rel: &str) -> bool {
        self.is_excluded(&self.state_for(rel))
    }

    /// Whether an excluded directory can be skipped without looking inside: true when no
    /// exception could re-include anything below it. Exceptions holding glob characters
    /// (other than a trailing `/*` or `/**`) disable skipping, like BuildKit's fsutil does.
    pub fn can_skip_dir(&self, rel_dir: &str) -> bool {
        if !self.exclusions {
            return true;
        }
        if !self.prefix_only_exceptions {
            return false;
        }
        let dir_slash = format!("{rel_dir}/");
        !self.patterns.iter().filter(|p| p.exclusion).any(|p| {
            let mut pat = p.without_trailing_glob().to_string();
            pat.push('/');
            pat.starts_with(&dir_slash)
        })
    }

    /// The match state of `rel` computed from scratch (the path and all its parents). For the
    /// context root `"."` nothing matches, as no parent of a top-level entry is checked.
    pub fn state_for(&self, rel: &str) -> MatchState {
        if rel == "." || rel.is_empty() {
            return MatchState {
                hits: vec![false; self.patterns.len()],
            };
        }
        let mut prefixes: Vec<&str> = Vec::new();
        for (i, c) in rel.char_indices() {
            if c == '/' && i > 0 {
                prefixes.push(&rel[..i]);
            }
        }
        let hits = self
            .patterns
            .iter()
            .map(|p| p.matches_path(rel) || prefixes.iter().any(|pre| p.matches_path(pre)))
            .collect();
        MatchState { hits }
    }

    /// The state of `child_rel`, a direct child of the path whose state is `parent`.
    pub fn child_state(&self, parent: &MatchState, child_rel: &str) -> MatchState {
        let hits = self
            .patterns
            .iter()
            .zip(&parent.hits)
            .map(|(p, &h)| h || p.matches_path(child_rel))
            .collect();
        MatchState { hits }
    }

    /// Whether a path with this state is excluded: the last matching pattern decides.
    pub fn is_excluded(&self, state: &MatchState) -> bool {
        self.patterns
            .iter()
            .zip(&state.hits)
            .rev()
            .find(|(_, h)| **h)
            .is_some_and(|(p, _)| !p.exclusion)
    }

    /// Whether `child_rel`, a direct child of the path whose state is `parent`, is excluded
    /// (cheaper than computing its full state).
    pub fn child_excluded(&self, parent: &MatchState, child_rel: &str) -> bool {
        for (p, &h) in self.patterns.iter().zip(&parent.hits).rev() {
            if h || p.matches_path(child_rel) {
                return !p.exclusion;
            }
        }
        false
    }
}
