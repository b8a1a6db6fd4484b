//! The low-level Dockerfile parser, following BuildKit's `frontend/dockerfile/parser`: parser
//! directives (`# escape=`, `# syntax=`, `# check=`), comments, line continuations with the
//! escape token, per-instruction argument parsing (JSON exec form, whitespace lists,
//! `name=value` pairs, single strings, `ONBUILD` sub-commands), builder flags (`--x=y`) and
//! heredocs (`<<EOF`). Instruction keywords are case-insensitive.

use super::gopath::go_quote;
use super::shell::{Lexer, NoEnv};

/// A parse error: the 1-based line where the offending instruction starts, and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dockerfile parse error on line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        ParseError {
            line,
            message: message.into(),
        }
    }
}

/// A heredoc attached to an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator word, unquoted.
    pub name: String,
    /// The file descriptor prefix (`3<<EOF`), 0 when absent.
    pub file_descriptor: u32,
    /// Whether the body is subject to variable expansion (the word was not quoted).
    pub expand: bool,
    /// `<<-`: leading tabs are stripped.
    pub chomp: bool,
    /// The body, each line with its line ending.
    pub content: String,
}

/// One instruction of the AST (BuildKit's `Node` with its `Next` chain flattened into `args`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The instruction keyword as written (`COPY`, `copy`, ...).
    pub command: String,
    /// Builder flags (`--from=build`), quotes and escapes removed.
    pub flags: Vec<String>,
    /// Arguments as the instruction's line parser produced them. For `ENV` and `LABEL`
    /// they are `key, value, separator` triples (separator `"="` or `""` for the legacy
    /// `KEY value` form). Empty for `ONBUILD` (see `sub`).
    pub args: Vec<String>,
    /// The instruction triggered by `ONBUILD`.
    pub sub: Option<Box<Node>>,
    /// Whether the arguments were written in JSON (exec) form.
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    /// The logical line (continuations joined) the instruction was parsed from.
    pub original: String,
    /// 1-based first and last lines (heredoc bodies included).
    pub start_line: usize,
    pub end_line: usize,
}

impl Node {
    /// The lower-cased keyword.
    pub fn keyword(&self) -> String {
        self.command.to_ascii_lowercase()
    }

    /// BuildKit's `Node.Dump()` s-expression, e.g. `(copy ["--from=a"] "x" "/y")`.
    pub fn dump(&self) -> String {
        let mut s = String::from("(");
        s.push_str(&self.dump_inner());
        s.push(')');
        s
    }

    fn dump_inner(&self) -> String {
        let mut s = self.command.to_lowercase();
        if !self.flags.is_empty() {
            let flags: Vec<String> = self.flags.iter().map(|f| go_quote(f)).collect();
            s.push_str(&format!(" [{}]", flags.join(" ")));
        }
        if let Some(sub) = &self.sub {
            s.push(' ');
            s.push_str(&sub.dump());
        }
        for a in &self.args {
            s.push(' ');
            s.push_str(&go_quote(a));
        }
        s
    }
}

/// A parser directive found at the top of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    /// Lower-cased name: `escape`, `syntax` or `check`.
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// The parsed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseResult {
    pub nodes: Vec<Node>,
    /// The escape token in effect (`\` unless `# escape=`` ` ``).
    pub escape: char,
    pub directives: Vec<Directive>,
    /// Non-fatal findings (empty continuation lines).
    pub warnings: Vec<String>,
}

impl ParseResult {
    /// The value of the `# syntax=` directive, if any.
    pub fn syntax(&self) -> Option<&str> {
        self.directives
            .iter()
            .find(|d| d.name == "syntax")
            .map(|d| d.value.as_str())
    }
}

struct Directives {
    escape: char,
    done: bool,
    seen: Vec<String>,
    found: Vec<Directive>,
    line: usize,
}

impl Directives {
    fn new() -> Self {
        Directives {
            escape: '\\',
            done: false,
            seen: Vec::new(),
            found: Vec::new(),
            line: 0,
        }
    }

    /// Looks for a parser directive on a line whose leading whitespace is already trimmed.
    /// Returns an error message for a repeated directive or an invalid escape token.
    fn possible_directive(&mut self, line: &str) -> Result<(), String> {
        self.line += 1;
        if self.done {
            return Ok(());
        }
        let Some(rest) = line.strip_prefix('#') else {
            self.done = true;
            return Ok(());
        };
        let rest = rest.trim_start();
        let Some((name, value)) = parse_directive_line(rest) else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            self.done = true;
            return Ok(());
        }
        if self.seen.contains(&name) {
            return Err(format!("only one {name} parser directive can be used"));
        }
        self.seen.push(name.clone());
        if name == "escape" {
            match value.as_str() {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                other => {
                    return Err(format!(
                        "invalid escape token '{other}' does not match ` or \\"
                    ));
                }
            }
        }
        self.found.push(Directive {
            name,
            value,
            line: self.line,
        });
        Ok(())
    }
}

/// `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`
fn parse_directive_line(s: &str) -> Option<(String, String)> {
    let mut chars = s.char_indices();
    let (_, first) = chars.next()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let mut end = s.len();
    for (i, c) in chars {
        if !c.is_ascii_alphanumeric() {
            end = i;
            break;
        }
    }
    let name = &s[..end];
    let rest = s[end..].trim_start_matches(is_go_regex_space);
    let rest = rest.strip_prefix('=')?;
    let value = rest
        .trim_start_matches(is_go_regex_space)
        .trim_end_matches(is_go_regex_space);
    if value.is_empty() {
        return None;
    }
    Some((name.to_string(), value.to_string()))
}

/// Go regexp's `\s`: `[\t\n\f\r ]`.
fn is_go_regex_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ')
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]+`.
fn is_ws(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

fn split_ws(s: &str) -> Vec<&str> {
    // Go's regexp.Split(s, -1) on `[\t\v\f\r ]+` (s is already trimmed by the callers, but
    // inner runs may still produce the usual pieces).
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_ws = false;
    for (i, c) in s.char_indices() {
        if is_ws(c) {
            if !in_ws {
                out.push(&s[start..i]);
                in_ws = true;
            }
        } else if in_ws {
            start = i;
            in_ws = false;
        }
    }
    if in_ws {
        out.push("");
    } else {
        out.push(&s[start..]);
    }
    out
}

fn split_ws2(s: &str) -> (String, Option<String>) {
    match s.char_indices().find(|(_, c)| is_ws(*c)) {
        None => (s.to_string(), None),
        Some((i, _)) => {
            let rest = s[i..].trim_start_matches(is_ws);
            (s[..i].to_string(), Some(rest.to_string()))
        }
    }
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Removes a trailing line-continuation token. Returns the line and whether the logical line
/// ends here.
fn trim_continuation(line: &str, escape: char) -> (String, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    if let Some(before) = body.strip_suffix(escape) {
        match before.chars().last() {
            None => return (String::new(), false),
            Some(c) if c != escape => return (before.to_string(), false),
            Some(_) => {}
        }
    }
    (line.to_string(), true)
}

/// Parses Dockerfile text.
pub fn parse(src: &str) -> Result<ParseResult, ParseError> {
    let mut d = Directives::new();
    let mut lines = split_lines(src).into_iter().peekable();
    let mut current_line = 0usize;
    let mut nodes: Vec<Node> = Vec::new();
    let mut warnings = Vec::new();

    while let Some(raw) = lines.next() {
        let raw = if current_line == 0 {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        let processed =
            process_line(&mut d, raw, true).map_err(|m| ParseError::new(current_line + 1, m))?;
        current_line += 1;
        let start_line = current_line;
        let (first, mut is_end) = trim_continuation(&processed, d.escape);
        if is_end && first.is_empty() {
            continue;
        }
        let mut buf = first;
        let mut has_empty_continuation = false;
        while !is_end {
            let Some(raw) = lines.next() else { break };
            let processed = process_line(&mut d, raw, false)
                .map_err(|m| ParseError::new(current_line + 1, m))?;
            current_line += 1;
            if is_comment(raw) {
                continue;
            }
            if trim_newline(&processed).trim_start().is_empty() {
                has_empty_continuation = true;
                continue;
            }
            let (part, end) = trim_continuation(&processed, d.escape);
            is_end = end;
            buf.push_str(&part);
        }
        if has_empty_continuation {
            warnings.push(format!("Empty continuation line found in: {buf}"));
        }

        let mut node =
            node_from_line(&buf, d.escape).map_err(|m| ParseError::new(start_line, m))?;

        if can_contain_heredoc(&node) && buf.contains("<<") {
            let heredocs = heredocs_from_line(&buf).map_err(|m| ParseError::new(start_line, m))?;
            for mut heredoc in heredocs {
                let mut terminated = false;
                let mut content = String::new();
                for raw in lines.by_ref() {
                    current_line += 1;
                    let mut candidate = trim_newline(raw);
                    if heredoc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == heredoc.name {
                        terminated = true;
                        break;
                    }
                    content.push_str(raw);
                }
                if !terminated {
                    return Err(ParseError::new(start_line, "unterminated heredoc"));
                }
                heredoc.content = content;
                if let Some(sub) = &mut node.sub {
                    sub.heredocs.push(heredoc.clone());
                }
                node.heredocs.push(heredoc);
            }
        }
        node.start_line = start_line;
        node.end_line = current_line;
        nodes.push(node);
    }

    if nodes.is_empty() {
        return Err(ParseError::new(
            current_line.max(1),
            "file with no instructions",
        ));
    }
    Ok(ParseResult {
        nodes,
        escape: d.escape,
        directives: d.found,
        warnings,
    })
}

/// Splits like Go's line scanner that keeps line endings.
fn split_lines(src: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, b) in src.bytes().enumerate() {
        if b == b'\n' {
            out.push(&src[start..=i]);
            start = i + 1;
        }
    }
    if start < src.len() {
        out.push(&src[start..]);
    }
    out
}

fn process_line(d: &mut Directives, token: &str, strip_left: bool) -> Result<String, String> {
    let mut token = trim_newline(token);
    if strip_left {
        token = token.trim_start();
    }
    d.possible_directive(token)?;
    if is_comment(token) {
        return Ok(String::new());
    }
    Ok(token.to_string())
}

fn can_contain_heredoc(node: &Node) -> bool {
    let target = match &node.sub {
        Some(sub) if node.keyword() == "onbuild" => sub.as_ref(),
        _ => node,
    };
    matches!(target.keyword().as_str(), "add" | "copy" | "run") && !target.json
}

/// Finds the heredoc markers of a logical line.
fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let lex = Lexer {
        escape: '\\',
        raw_quotes: true,
        raw_escapes: true,
        skip_unset_env: true,
    };
    let words = lex.process_words(line, &NoEnv).unwrap_or_default();
    let mut docs = Vec::new();
    for word in words {
        if let Some(h) = parse_heredoc(&word)? {
            docs.push(h);
        }
    }
    Ok(docs)
}

/// Parses one word as a heredoc marker (`[n]<<[-]WORD`), BuildKit's `ParseHeredoc`.
pub fn parse_heredoc(src: &str) -> Result<Option<Heredoc>, String> {
    // ^(\d*)<<(-?)\s*([^<]*)$
    let digits_end = src
        .char_indices()
        .find(|(_, c)| !c.is_ascii_digit())
        .map(|(i, _)| i)
        .unwrap_or(src.len());
    let Some(after) = src[digits_end..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, after) = match after.strip_prefix('-') {
        Some(a) => (true, a),
        None => (false, after),
    };
    let rest = after.trim_start_matches(is_go_regex_space);
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    let fd = src[..digits_end].parse::<u32>().unwrap_or(0);
    let mut lex = Lexer {
        escape: '\\',
        raw_quotes: false,
        raw_escapes: false,
        skip_unset_env: true,
    };
    let words = lex.process_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    if words.len() != 1 {
        return Ok(None);
    }
    lex.raw_quotes = true;
    let raw_words = lex.process_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    if raw_words.len() != words.len() {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        ));
    }
    let count = |s: &str| s.chars().filter(|c| *c == '\'' || *c == '"').count();
    Ok(Some(Heredoc {
        name: words[0].clone(),
        file_descriptor: fd,
        expand: count(&words[0]) == count(&raw_words[0]),
        chomp,
        content: String::new(),
    }))
}

/// Removes leading tabs from every line of a `<<-` heredoc body.
pub fn chomp_heredoc_content(src: &str) -> String {
    split_lines(src)
        .into_iter()
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

fn node_from_line(line: &str, escape: char) -> Result<Node, String> {
    let (command, flags, args) = split_command(line, escape)?;
    let keyword = command.to_ascii_lowercase();
    let mut node = Node {
        command,
        flags,
        args: Vec::new(),
        sub: None,
        json: false,
        heredocs: Vec::new(),
        original: line.to_string(),
        start_line: 0,
        end_line: 0,
    };
    match keyword.as_str() {
        "add" | "copy" | "volume" => {
            let (a, json) = parse_maybe_json_to_list(&args)?;
            node.args = a;
            node.json = json;
        }
        "arg" => node.args = parse_words(&args, escape),
        "cmd" | "entrypoint" | "run" | "shell" => {
            let (a, json) = parse_maybe_json(&args)?;
            node.args = a;
            node.json = json;
        }
        "env" => node.args = parse_name_val(&args, "ENV", escape)?,
        "label" => node.args = parse_name_val(&args, "LABEL", escape)?,
        "expose" | "from" => node.args = parse_strings_ws(&args),
        "healthcheck" => {
            let (a, json) = parse_health_config(&args)?;
            node.args = a;
            node.json = json;
        }
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            if !args.is_empty() {
                node.args = vec![args];
            }
        }
        "onbuild" => {
            if !args.is_empty() {
                node.sub = Some(Box::new(node_from_line(&args, escape)?));
            }
        }
        // Unknown instructions parse (and are rejected later by the instruction layer).
        _ => node.args = vec![String::new()],
    }
    Ok(node)
}

fn split_command(line: &str, escape: char) -> Result<(String, Vec<String>, String), String> {
    let trimmed = line.trim();
    let (cmd, rest) = split_ws2(trimmed);
    let (args, flags) = match rest {
        Some(rest) => extract_builder_flags(&rest, escape),
        None => (String::new(), Vec::new()),
    };
    Ok((cmd, flags, args.trim().to_string()))
}

/// Splits leading `--flag[=value]` words off an instruction's arguments.
fn extract_builder_flags(line: &str, escape: char) -> (String, Vec<String>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<(usize, char)> = line.char_indices().collect();
    let n = chars.len();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut buf = String::new();
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= n {
        let ch = if pos < n { chars[pos].1 } else { '\0' };
        if phase == Phase::Spaces {
            if pos == n {
                break;
            }
            if ch.is_whitespace() {
                pos += 1;
                continue;
            }
            if ch != '-' || pos + 1 == n || chars[pos + 1].1 != '-' {
                return (line[chars[pos].0..].to_string(), words);
            }
            phase = Phase::Word;
        }
        if pos == n {
            if buf != "--" && (blank_ok || !buf.is_empty()) {
                words.push(buf);
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if buf == "--" {
                    return (line[chars[pos].0..].to_string(), words);
                }
                if blank_ok || !buf.is_empty() {
                    words.push(std::mem::take(&mut buf));
                }
                buf.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if ch == escape {
                if pos + 1 == n {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = chars[pos].1;
            }
            buf.push(c);
            pos += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if ch == escape {
            if pos + 1 == n {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = chars[pos].1;
        }
        buf.push(c);
        pos += 1;
    }
    (String::new(), words)
}

/// Splits into words on whitespace, keeping quotes and escapes (they are processed later).
fn parse_words(rest: &str, escape: char) -> Vec<String> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<char> = rest.chars().collect();
    let n = chars.len();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut buf = String::new();
    let mut pos = 0;
    while pos <= n {
        let ch = if pos < n { chars[pos] } else { '\0' };
        if phase == Phase::Spaces {
            if pos == n {
                break;
            }
            if ch.is_whitespace() {
                pos += 1;
                continue;
            }
            phase = Phase::Word;
        }
        if pos == n {
            if blank_ok || !buf.is_empty() {
                words.push(std::mem::take(&mut buf));
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !buf.is_empty() {
                    words.push(std::mem::take(&mut buf));
                }
                buf.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            let mut c = ch;
            if ch == escape {
                if pos + 1 == n {
                    pos += 1;
                    continue;
                }
                buf.push(ch);
                pos += 1;
                c = chars[pos];
            }
            buf.push(c);
            pos += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        let mut c = ch;
        if ch == escape && quote != '\'' {
            if pos + 1 == n {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            buf.push(ch);
            c = chars[pos];
        }
        buf.push(c);
        pos += 1;
    }
    words
}

fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<String>, String> {
    let words = parse_words(rest, escape);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    if !words[0].contains('=') {
        let (name, value) = split_ws2(rest);
        let Some(value) = value else {
            return Err(format!("{key} must have two arguments"));
        };
        return Ok(vec![name, value, String::new()]);
    }
    let mut out = Vec::new();
    for word in words {
        let Some((k, v)) = word.split_once('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                go_quote(&word)
            ));
        };
        out.push(k.to_string());
        out.push(v.to_string());
        out.push("=".to_string());
    }
    Ok(out)
}

fn parse_strings_ws(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    split_ws(rest).into_iter().map(str::to_string).collect()
}

enum JsonOutcome {
    Array(Vec<String>),
    NotStringArray,
    NotJson,
}

fn parse_json(rest: &str) -> JsonOutcome {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return JsonOutcome::NotJson;
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(rest) {
        Err(_) => JsonOutcome::NotJson,
        Ok(values) => {
            let mut out = Vec::with_capacity(values.len());
            for v in values {
                match v {
                    serde_json::Value::String(s) => out.push(s),
                    _ => return JsonOutcome::NotStringArray,
                }
            }
            JsonOutcome::Array(out)
        }
    }
}

const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

fn parse_maybe_json(rest: &str) -> Result<(Vec<String>, bool), String> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    match parse_json(rest) {
        JsonOutcome::Array(a) => Ok((a, true)),
        JsonOutcome::NotStringArray => Err(NOT_STRING_ARRAY.into()),
        JsonOutcome::NotJson => Ok((vec![rest.to_string()], false)),
    }
}

fn parse_maybe_json_to_list(rest: &str) -> Result<(Vec<String>, bool), String> {
    match parse_json(rest) {
        JsonOutcome::Array(a) => Ok((a, true)),
        JsonOutcome::NotStringArray => Err(NOT_STRING_ARRAY.into()),
        JsonOutcome::NotJson => Ok((parse_strings_ws(rest), false)),
    }
}

fn parse_health_config(rest: &str) -> Result<(Vec<String>, bool), String> {
    let sep = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let typ = rest[..sep].to_string();
    let remainder = rest[sep..].trim_start();
    let (cmd, json) = parse_maybe_json(remainder)?;
    let mut args = vec![typ];
    args.extend(cmd);
    Ok((args, json))
}
