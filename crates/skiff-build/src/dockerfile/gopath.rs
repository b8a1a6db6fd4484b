//! Go's slash-path helpers as Docker and Skaffold use them: `path.Clean`, `filepath.Match` (Unix
//! rules: `\` escapes) and `filepath.Glob`. Written from the Go documentation and behaviour;
//! Unix only (skiff does not target Windows paths).

use std::fs;
use std::path::Path;

/// The error Go calls `filepath.ErrBadPattern`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

impl std::error::Error for BadPattern {}

/// Go `path.Clean`: the shortest lexically equivalent slash path. `""` becomes `"."`.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go `path.Join` of two elements (cleaned; empty elements ignored).
pub fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean(b),
        (false, true) => clean(a),
        (false, false) => clean(&format!("{a}/{b}")),
    }
}

/// Go `path.Base`.
pub fn base(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    match trimmed.rfind('/') {
        Some(i) => trimmed[i + 1..].to_string(),
        None => trimmed.to_string(),
    }
}

/// Whether `s` holds any of Go's (Unix) glob meta characters `*?[\`.
pub fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '\\'])
}

/// Splits off the leading run of `*` and the chunk up to the next unbracketed `*`.
fn scan_chunk(pattern: &str) -> (bool, &str, &str) {
    let trimmed = pattern.trim_start_matches('*');
    let star = trimmed.len() != pattern.len();
    let bytes = trimmed.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if i + 1 < bytes.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &trimmed[..i], &trimmed[i..])
}

/// Reads one (possibly escaped) character of a bracket expression.
fn get_esc(chunk: &str) -> Result<(char, &str), BadPattern> {
    let mut rest = chunk;
    match rest.chars().next() {
        None | Some('-') | Some(']') => return Err(BadPattern),
        Some('\\') => {
            rest = &rest[1..];
            if rest.is_empty() {
                return Err(BadPattern);
            }
        }
        _ => {}
    }
    let c = rest.chars().next().ok_or(BadPattern)?;
    let rest = &rest[c.len_utf8()..];
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((c, rest))
}

/// Matches one chunk (no `*`) at the start of `s`; returns the rest of `s` on success.
fn match_chunk<'a>(mut chunk: &str, mut s: &'a str) -> Result<Option<&'a str>, BadPattern> {
    let mut failed = false;
    while let Some(c) = chunk.chars().next() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            '[' => {
                let mut r = '\0';
                if !failed {
                    r = s.chars().next().unwrap_or('\0');
                    s = &s[r.len_utf8()..];
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut nrange = 0;
                loop {
                    if chunk.starts_with(']') && nrange > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some(after_dash) = chunk.strip_prefix('-') {
                        let (h, rest) = get_esc(after_dash)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    nrange += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    let sc = s.chars().next().unwrap_or('\0');
                    if sc == '/' {
                        failed = true;
                    }
                    s = &s[sc.len_utf8().min(s.len())..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut lit = c;
                if c == '\\' {
                    chunk = &chunk[1..];
                    lit = chunk.chars().next().ok_or(BadPattern)?;
                }
                if !failed {
                    match s.chars().next() {
                        Some(sc) if sc == lit => s = &s[sc.len_utf8()..],
                        _ => failed = true,
                    }
                }
                chunk = &chunk[lit.len_utf8()..];
            }
        }
    }
    if failed { Ok(None) } else { Ok(Some(s)) }
}

/// Go `filepath.Match` (Unix): whether `name` matches the shell pattern `pattern`.
/// `*` and `?` never match `/`. A malformed pattern is an error even when the match fails early.
pub fn match_pattern(mut pattern: &str, mut name: &str) -> Result<bool, BadPattern> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains('/'));
        }
        if let Some(t) = match_chunk(chunk, name)?
            && (t.is_empty() || !pattern.is_empty())
        {
            name = t;
            continue;
        }
        if star {
            for (i, c) in name.char_indices() {
                if c == '/' {
                    break;
                }
                let after = &name[i + c.len_utf8()..];
                if let Some(t) = match_chunk(chunk, after)? {
                    if pattern.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'pattern;
                }
            }
        }
        // The match failed: still report a malformed remainder of the pattern.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, "")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Checks a pattern's syntax the way Go's `filepath.Match(pattern, ".")` does.
pub fn validate_pattern(pattern: &str) -> Result<(), BadPattern> {
    match_pattern(pattern, ".").map(|_| ())
}

/// Go `filepath.Glob` applied to a slash pattern relative to `root` (the pattern is not
/// absolute and is already clean). Returns matching paths relative to `root`, in Go's order
/// (sorted per directory). I/O errors are ignored, like Go does.
pub fn glob(root: &Path, pattern: &str) -> Result<Vec<String>, BadPattern> {
    validate_pattern(pattern)?;
    glob_inner(root, pattern)
}

fn glob_inner(root: &Path, pattern: &str) -> Result<Vec<String>, BadPattern> {
    if !has_meta(pattern) {
        return Ok(if fs::symlink_metadata(root.join(pattern)).is_ok() {
            vec![pattern.to_string()]
        } else {
            Vec::new()
        });
    }
    let (dir, file) = match pattern.rfind('/') {
        Some(i) => (&pattern[..i], &pattern[i + 1..]),
        None => (".", pattern),
    };
    let dir = if dir.is_empty() { "/" } else { dir };
    let mut matches = Vec::new();
    if !has_meta(dir) {
        glob_dir(root, dir, file, &mut matches)?;
        return Ok(matches);
    }
    if dir == pattern {
        return Err(BadPattern);
    }
    for d in glob_inner(root, dir)? {
        glob_dir(root, &d, file, &mut matches)?;
    }
    Ok(matches)
}

fn glob_dir(
    root: &Path,
    dir: &str,
    pattern: &str,
    out: &mut Vec<String>,
) -> Result<(), BadPattern> {
    let abs = if dir == "." {
        root.to_path_buf()
    } else {
        root.join(dir)
    };
    match fs::metadata(&abs) {
        Ok(m) if m.is_dir() => {}
        _ => return Ok(()),
    }
    let Ok(entries) = fs::read_dir(&abs) else {
        return Ok(());
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        if match_pattern(pattern, &n)? {
            out.push(if dir == "." { n } else { format!("{dir}/{n}") });
        }
    }
    Ok(())
}

/// Go's `strconv.Quote` (`%q` of a string), used to echo user input in messages the way Docker
/// and Skaffold do. Re-exported as `skiff_build::go_quote`.
pub use skiff_config::template::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        for (i, o) in [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../a/..", ".."),
            ("a//b/./", "a/b"),
            ("/", "/"),
            ("./", "."),
        ] {
            assert_eq!(clean(i), o, "{i}");
        }
    }

    #[test]
    fn match_like_go() {
        let cases: &[(&str, &str, Result<bool, BadPattern>)] = &[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a?b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[]a]", "]", Err(BadPattern)),
            ("[-]", "-", Err(BadPattern)),
            ("[x-]", "x", Err(BadPattern)),
            ("\\", "a", Err(BadPattern)),
            ("[a-b-c]", "a", Err(BadPattern)),
            ("[", "a", Err(BadPattern)),
            ("[^", "a", Err(BadPattern)),
            ("a[", "x", Err(BadPattern)),
            ("*x", "xxx", Ok(true)),
        ];
        for (p, n, want) in cases {
            assert_eq!(match_pattern(p, n), *want, "{p} vs {n}");
        }
    }
}
