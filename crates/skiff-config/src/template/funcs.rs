//! Skaffold's template functions: `cmd` plus the sprig v2.22 functions (the version Skaffold
//! vendors, `github.com/Masterminds/sprig v2.22.0`), with Go's argument checking.
//!
//! Go checks argument counts and types by reflection before calling a function; the helpers on
//! [`Args`] reproduce those messages (`wrong number of args for upper: want 1 got 2`,
//! `wrong type for value; expected string; got int`, `invalid value; expected string` for a
//! missing key). Errors a function itself returns — or panics, which Go's template engine turns
//! into errors — read `error calling NAME: ...`.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use gotmpl::{FuncMap, Value};
use sha2::{Digest, Sha256};

use super::{gofmt, gotime};

/// sprig v2.22 functions skiff does not implement (rarely used in Skaffold configs: crypto,
/// random, semver, reflection, dicts, network). Referencing one is a parse error, with a hint.
pub(super) const UNSUPPORTED_SPRIG: &[&str] = &[
    "hello",
    "date_modify",
    "dateModify",
    "ago",
    "toDate",
    "abbrev",
    "abbrevboth",
    "initials",
    "randAlphaNum",
    "randAlpha",
    "randAscii",
    "randNumeric",
    "swapcase",
    "shuffle",
    "snakecase",
    "camelcase",
    "kebabcase",
    "wrap",
    "wrapWith",
    "sha1sum",
    "adler32sum",
    "float64",
    "toDecimal",
    "until",
    "untilStep",
    "ceil",
    "floor",
    "round",
    "sortAlpha",
    "compact",
    "deepCopy",
    "toJson",
    "toPrettyJson",
    "typeOf",
    "typeIs",
    "typeIsLike",
    "kindOf",
    "kindIs",
    "deepEqual",
    "getHostByName",
    "b32enc",
    "b32dec",
    "tuple",
    "dict",
    "set",
    "unset",
    "hasKey",
    "pluck",
    "keys",
    "pick",
    "omit",
    "merge",
    "mergeOverwrite",
    "values",
    "append",
    "push",
    "prepend",
    "reverse",
    "uniq",
    "without",
    "has",
    "concat",
    "genPrivateKey",
    "derivePassword",
    "buildCustomCert",
    "genCA",
    "genSelfSignedCert",
    "genSignedCert",
    "encryptAES",
    "decryptAES",
    "uuidv4",
    "semver",
    "semverCompare",
    "urlParse",
    "urlJoin",
];

/// The Skaffold function map (sprig subset + `cmd` + the `index` override).
pub(super) fn skaffold_funcs() -> &'static FuncMap {
    static FUNCS: LazyLock<FuncMap> = LazyLock::new(build_skaffold_funcs);
    &FUNCS
}

/// Overrides of Go builtins that gotmpl's untyped values get wrong for Skaffold's
/// `map[string]string` data.
pub(super) fn builtin_overrides() -> &'static FuncMap {
    static FUNCS: LazyLock<FuncMap> = LazyLock::new(|| {
        let mut m = FuncMap::new();
        add(&mut m, "index", index);
        m
    });
    &FUNCS
}

pub(super) enum FnError {
    /// An argument-checking error (Go reports these without `error calling`).
    Arg(String),
    /// An error returned by (or a panic of) the function itself.
    Call(String),
}

type R = Result<Value, FnError>;

fn call_err(msg: impl Into<String>) -> FnError {
    FnError::Call(msg.into())
}

struct Args<'a> {
    name: &'static str,
    v: &'a [Value],
}

impl Args<'_> {
    fn exact(&self, n: usize) -> Result<(), FnError> {
        if self.v.len() != n {
            return Err(FnError::Arg(format!(
                "wrong number of args for {}: want {n} got {}",
                self.name,
                self.v.len()
            )));
        }
        Ok(())
    }

    fn at_least(&self, n: usize) -> Result<(), FnError> {
        if self.v.len() < n {
            return Err(FnError::Arg(format!(
                "wrong number of args for {}: want at least {n} got {}",
                self.name,
                self.v.len()
            )));
        }
        Ok(())
    }

    fn mismatch(&self, i: usize, expected: &str) -> FnError {
        match &self.v[i] {
            Value::Nil => FnError::Arg(format!("invalid value; expected {expected}")),
            other => FnError::Arg(format!(
                "wrong type for value; expected {expected}; got {}",
                gofmt::go_type(other)
            )),
        }
    }

    fn str(&self, i: usize) -> Result<&str, FnError> {
        match &self.v[i] {
            Value::String(s) => Ok(s),
            _ => Err(self.mismatch(i, "string")),
        }
    }

    fn int(&self, i: usize) -> Result<i64, FnError> {
        match &self.v[i] {
            Value::Int(n) => Ok(*n),
            // An integral float constant such as `5.0` is accepted for an int parameter.
            Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
            _ => Err(self.mismatch(i, "int")),
        }
    }

    fn bool(&self, i: usize) -> Result<bool, FnError> {
        match &self.v[i] {
            Value::Bool(b) => Ok(*b),
            _ => Err(self.mismatch(i, "bool")),
        }
    }

    fn strs_from(&self, i: usize) -> Result<Vec<&str>, FnError> {
        (i..self.v.len()).map(|j| self.str(j)).collect()
    }
}

#[cfg(test)]
thread_local! {
    /// Set when a function panicked (the proptests assert it never happens).
    pub(super) static FUNC_PANICKED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn add(m: &mut FuncMap, name: &'static str, f: fn(&Args) -> R) {
    m.insert(
        name.to_string(),
        Arc::new(move |v: &[Value]| {
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&Args { name, v })))
                    .unwrap_or_else(|p| {
                        #[cfg(test)]
                        FUNC_PANICKED.with(|c| c.set(true));
                        let msg = p
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| p.downcast_ref::<String>().cloned())
                            .unwrap_or_else(|| "panic".to_string());
                        Err(FnError::Call(msg))
                    });
            result.map_err(|e| {
                super::record_failed_function(name);
                gotmpl::TemplateError::Exec(match e {
                    FnError::Arg(m) => m,
                    FnError::Call(m) => format!("error calling {name}: {m}"),
                })
            })
        }),
    );
}

fn s(v: impl Into<Arc<str>>) -> Value {
    Value::String(v.into())
}

fn list_of_strings<I: IntoIterator<Item = S>, S: Into<Arc<str>>>(items: I) -> Value {
    Value::List(items.into_iter().map(|x| Value::String(x.into())).collect())
}

/// Go's `reflect`-based emptiness (sprig's `empty`).
fn is_empty(v: &Value) -> bool {
    match v {
        Value::Nil => true,
        Value::Bool(b) => !b,
        Value::Int(n) => *n == 0,
        Value::Uint(n) => *n == 0,
        Value::Float(f) => *f == 0.0,
        Value::String(s) => s.is_empty(),
        Value::List(l) => l.is_empty(),
        Value::Map(m) => m.is_empty(),
        Value::Function(_) => false,
    }
}

/// Go's runtime message for slicing a string out of range (`s[lo:hi]`), which the template
/// engine reports as `error calling NAME: runtime error: slice bounds out of range ...`.
fn slice_str(s: &str, lo: i64, hi: i64) -> Result<String, FnError> {
    let len = s.len() as i64;
    if hi < 0 || hi > len {
        let with = if hi > len {
            format!(" with length {len}")
        } else {
            String::new()
        };
        return Err(call_err(format!(
            "runtime error: slice bounds out of range [:{hi}]{with}"
        )));
    }
    if lo < 0 || lo > hi {
        return Err(call_err(format!(
            "runtime error: slice bounds out of range [{lo}:{hi}]"
        )));
    }
    Ok(gofmt::lossy(&s.as_bytes()[lo as usize..hi as usize]))
}

/// `unicode.ToUpper`/`ToLower`/`ToTitle` use simple (one-to-one) case mappings; Rust's are the
/// full ones (`ß` → `SS`). Keep characters whose full mapping is not a single character.
fn simple_case(c: char, upper: bool) -> char {
    if !upper && c == '\u{130}' {
        return 'i'; // İ → i (Go's simple mapping)
    }
    let mut it: Box<dyn Iterator<Item = char>> = if upper {
        Box::new(c.to_uppercase())
    } else {
        Box::new(c.to_lowercase())
    };
    match (it.next(), it.next()) {
        (Some(m), None) => m,
        _ => c,
    }
}

fn to_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        // Georgian Mkhedruli has upper-case (Mtavruli) forms but is its own title case.
        '\u{10D0}'..='\u{10FA}' | '\u{10FD}'..='\u{10FF}' => c,
        _ => simple_case(c, true),
    }
}

/// Go's deprecated `strings.Title`: upper-case (title-case) the first letter of every word.
fn title(s: &str) -> String {
    fn is_separator(c: char) -> bool {
        if c.is_ascii() {
            return !(c.is_ascii_alphanumeric() || c == '_');
        }
        c.is_whitespace()
    }
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { to_title(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

/// goutils `Uncapitalize`: lower-case the first letter of every whitespace-separated word.
fn untitle(s: &str) -> String {
    let mut prev_space = true;
    s.chars()
        .map(|c| {
            let out = if prev_space { simple_case(c, false) } else { c };
            prev_space = c.is_whitespace();
            out
        })
        .collect()
}

/// goutils `DeleteWhiteSpace`, byte for byte: it walks *bytes*, so when the string contains any
/// white space, each non-ASCII byte is re-encoded as the Latin-1 character of that value (and the
/// bytes 0x85 and 0xA0 are dropped as white space). Strings without white space are unchanged.
fn nospace(s: &str) -> String {
    let is_space = |b: u8| matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xa0);
    if !s.bytes().any(is_space) {
        return s.to_string();
    }
    s.bytes()
        .filter(|b| !is_space(*b))
        .map(char::from)
        .collect()
}

/// Go's `strings.Split` (`sep == ""` splits into UTF-8 characters), limited to `n` parts when
/// `n > 0` (`strings.SplitN`).
fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let limit = if n < 0 || n as usize > chars.len() {
            chars.len()
        } else {
            n as usize
        };
        let mut out: Vec<String> = chars[..limit.saturating_sub(1)]
            .iter()
            .map(|c| c.to_string())
            .collect();
        if limit > 0 {
            out.push(chars[limit - 1..].iter().collect());
        }
        return out;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

fn split_map(parts: Vec<String>) -> Value {
    Value::Map(Arc::new(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (Arc::<str>::from(format!("_{i}")), s(p)))
            .collect::<BTreeMap<_, _>>(),
    ))
}

/// sprig's `strslice`: a list's non-nil elements as strings, a nil as nothing, anything else as
/// a one-element list.
fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(gofmt::strval)
            .collect(),
        Value::Nil => Vec::new(),
        other => vec![gofmt::strval(other)],
    }
}

/// sprig's `toInt64`: strings are parsed (0 on error), floats truncated, bools 0/1.
fn to_int64(v: &Value) -> i64 {
    match v {
        Value::String(s) => s.parse::<i64>().unwrap_or(0),
        Value::Int(n) => *n,
        Value::Uint(n) => i64::try_from(*n).unwrap_or(i64::MAX),
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        _ => 0,
    }
}

/// The largest output a single function may produce, instead of exhausting memory.
const MAX_OUTPUT: usize = 64 << 20;

fn list_op(a: &Args, op: &str) -> Result<Arc<[Value]>, FnError> {
    match &a.v[0] {
        Value::List(l) => Ok(l.clone()),
        Value::Nil => Err(call_err(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
        other => Err(call_err(format!(
            "Cannot find {op} on type {}",
            go_kind(other)
        ))),
    }
}

/// Go's `reflect.Kind` name of a value.
fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Uint(_) => "uint",
        Value::Float(_) => "float64",
        Value::String(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Function(_) => "func",
    }
}

// ----- regular expressions (Go's RE2 syntax on the `regex` crate) -----

/// Translates Go's ASCII-only Perl classes and word boundaries (`\d \w \s \b`; Go's are ASCII,
/// the `regex` crate's Unicode) into explicit ASCII forms.
fn go_regex_syntax(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push('\\');
                    break;
                };
                let (outside, inside) = match n {
                    'd' => ("[0-9]", "0-9"),
                    'D' => ("[^0-9]", "[^0-9]"),
                    'w' => ("[0-9A-Za-z_]", "0-9A-Za-z_"),
                    'W' => ("[^0-9A-Za-z_]", "[^0-9A-Za-z_]"),
                    's' => ("[\\t\\n\\f\\r ]", "\\t\\n\\f\\r "),
                    'S' => ("[^\\t\\n\\f\\r ]", "[^\\t\\n\\f\\r ]"),
                    'b' if !in_class => ("(?-u:\\b)", ""),
                    'B' if !in_class => ("(?-u:\\B)", ""),
                    _ => {
                        out.push('\\');
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(if in_class { inside } else { outside });
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                // A leading `^` and a leading `]` are part of the class syntax.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            '[' if in_class && chars.peek() == Some(&':') => {
                // POSIX class `[:alpha:]`: copy through its closing `:]`.
                out.push('[');
                for d in chars.by_ref() {
                    out.push(d);
                    if d == ']' {
                        break;
                    }
                }
            }
            '[' => out.push_str("\\["),
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            c => out.push(c),
        }
    }
    out
}

fn go_regex(pattern: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(&go_regex_syntax(pattern))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let msg = e.to_string();
            let detail = msg
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or(msg.as_str())
                .to_string();
            let quoted = if pattern.contains('`') || pattern.chars().any(|c| c.is_control()) {
                gofmt::quote(pattern)
            } else {
                format!("`{pattern}`")
            };
            format!("regexp: Compile({quoted}): error parsing regexp: {detail}: `{pattern}`")
        })
}

fn must_regex(pattern: &str) -> Result<regex::Regex, FnError> {
    go_regex(pattern).map_err(FnError::Call)
}

/// Go's `FindAllString(s, n)`: `n < 0` means all matches.
fn find_all<'s>(re: &regex::Regex, s: &'s str, n: i64) -> Vec<regex::Match<'s>> {
    let it = re.find_iter(s);
    if n < 0 {
        it.collect()
    } else {
        it.take(n as usize).collect()
    }
}

// ----- path (Go's `path` package, slash-separated) -----

fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for el in p.split('/') {
        match el {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            e => parts.push(e),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".to_string();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_string();
        }
    }
    String::new()
}

// ----- the function table -----

fn index(a: &Args) -> R {
    a.at_least(1)?;
    let mut item = a.v[0].clone();
    for idx in &a.v[1..] {
        item = match (&item, idx) {
            (Value::Nil, _) => return Err(call_err("index of untyped nil")),
            (Value::List(l), Value::Int(_) | Value::Uint(_)) => {
                let i = to_int64(idx);
                if i < 0 || i as usize >= l.len() {
                    return Err(call_err(format!("index out of range: {i}")));
                }
                l[i as usize].clone()
            }
            (Value::String(st), Value::Int(_) | Value::Uint(_)) => {
                let i = to_int64(idx);
                if i < 0 || i as usize >= st.len() {
                    return Err(call_err(format!("index out of range: {i}")));
                }
                Value::Int(i64::from(st.as_bytes()[i as usize]))
            }
            (Value::List(_) | Value::String(_), Value::Nil) => {
                return Err(call_err("cannot index slice/array with nil"));
            }
            (Value::List(_) | Value::String(_), other) => {
                return Err(call_err(format!(
                    "cannot index slice/array with type {}",
                    gofmt::go_type(other)
                )));
            }
            // Skaffold's data (and `split`'s result) is a map[string]string: a missing key
            // indexes to the zero value "".
            (Value::Map(m), Value::String(k)) => m.get(k.as_ref()).cloned().unwrap_or(s("")),
            (Value::Map(_), other) => {
                return Err(call_err(format!(
                    "value has type {}; should be string",
                    gofmt::go_type(other)
                )));
            }
            (other, _) => {
                return Err(call_err(format!(
                    "can't index item of type {}",
                    gofmt::go_type(other)
                )));
            }
        };
    }
    Ok(item)
}

fn run_cmd(a: &Args) -> R {
    a.at_least(1)?;
    let name = a.str(0)?;
    let args = a.strs_from(1)?;
    let mut argv = vec![name];
    argv.extend(args.iter().copied());
    let cmdline = argv.join(" ");
    let output = std::process::Command::new(name)
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound && !name.contains('/') {
                call_err(format!(
                    "starting command {cmdline}: exec: {}: executable file not found in $PATH",
                    gofmt::quote(name)
                ))
            } else {
                call_err(format!("starting command {cmdline}: {e}"))
            }
        })?;
    if !output.status.success() {
        let cause = match output.status.code() {
            Some(c) => format!("exit status {c}"),
            None => {
                #[cfg(unix)]
                {
                    use std::os::unix::process::ExitStatusExt;
                    match output.status.signal() {
                        Some(sig) => format!("signal: {}", signal_name(sig)),
                        None => output.status.to_string(),
                    }
                }
                #[cfg(not(unix))]
                {
                    output.status.to_string()
                }
            }
        };
        return Err(call_err(format!(
            "running [{cmdline}]\n - stdout: {}\n - stderr: {}\n - cause: {cause}",
            gofmt::quote(&gofmt::lossy(&output.stdout)),
            gofmt::quote(&gofmt::lossy(&output.stderr)),
        )));
    }
    Ok(s(gofmt::lossy(&output.stdout).trim()))
}

#[cfg(unix)]
fn signal_name(sig: i32) -> String {
    match sig {
        1 => "hangup".into(),
        2 => "interrupt".into(),
        6 => "aborted".into(),
        9 => "killed".into(),
        11 => "segmentation fault".into(),
        13 => "broken pipe".into(),
        15 => "terminated".into(),
        n => format!("signal {n}"),
    }
}

fn date_arg(a: &Args, i: usize) -> jiff::Timestamp {
    match &a.v[i] {
        Value::String(st) => gotime::parse_time_string(st).unwrap_or_else(jiff::Timestamp::now),
        Value::Int(n) => gotime::unix(*n),
        // sprig formats anything else (including a missing key) as the current time.
        _ => jiff::Timestamp::now(),
    }
}

fn build_skaffold_funcs() -> FuncMap {
    let mut m = FuncMap::new();

    add(&mut m, "index", index);
    add(&mut m, "cmd", run_cmd);

    // Defaults and flow.
    add(&mut m, "default", |a| {
        a.at_least(1)?;
        Ok(match a.v.get(1) {
            Some(g) if !is_empty(g) => g.clone(),
            _ => a.v[0].clone(),
        })
    });
    add(&mut m, "empty", |a| {
        a.exact(1)?;
        Ok(Value::Bool(is_empty(&a.v[0])))
    });
    add(&mut m, "coalesce", |a| {
        Ok(a.v
            .iter()
            .find(|v| !is_empty(v))
            .cloned()
            .unwrap_or(Value::Nil))
    });
    add(&mut m, "ternary", |a| {
        a.exact(3)?;
        Ok(if a.bool(2)? {
            a.v[0].clone()
        } else {
            a.v[1].clone()
        })
    });
    add(&mut m, "fail", |a| {
        a.exact(1)?;
        Err(call_err(a.str(0)?))
    });
    add(&mut m, "toString", |a| {
        a.exact(1)?;
        Ok(s(gofmt::strval(&a.v[0])))
    });

    // Strings.
    add(&mut m, "upper", |a| {
        a.exact(1)?;
        Ok(s(a
            .str(0)?
            .chars()
            .map(|c| simple_case(c, true))
            .collect::<String>()))
    });
    add(&mut m, "lower", |a| {
        a.exact(1)?;
        Ok(s(a
            .str(0)?
            .chars()
            .map(|c| simple_case(c, false))
            .collect::<String>()))
    });
    add(&mut m, "title", |a| {
        a.exact(1)?;
        Ok(s(title(a.str(0)?)))
    });
    add(&mut m, "untitle", |a| {
        a.exact(1)?;
        Ok(s(untitle(a.str(0)?)))
    });
    add(&mut m, "trim", |a| {
        a.exact(1)?;
        Ok(s(a.str(0)?.trim()))
    });
    add(&mut m, "nospace", |a| {
        a.exact(1)?;
        Ok(s(nospace(a.str(0)?)))
    });
    fn trim_all(a: &Args) -> R {
        a.exact(2)?;
        let cutset = a.str(0)?;
        Ok(s(a.str(1)?.trim_matches(|c| cutset.contains(c))))
    }
    add(&mut m, "trimAll", trim_all);
    add(&mut m, "trimall", trim_all);
    add(&mut m, "trimPrefix", |a| {
        a.exact(2)?;
        let (p, st) = (a.str(0)?, a.str(1)?);
        Ok(s(st.strip_prefix(p).unwrap_or(st)))
    });
    add(&mut m, "trimSuffix", |a| {
        a.exact(2)?;
        let (p, st) = (a.str(0)?, a.str(1)?);
        Ok(s(st.strip_suffix(p).unwrap_or(st)))
    });
    add(&mut m, "replace", |a| {
        a.exact(3)?;
        let (old, new, src) = (a.str(0)?, a.str(1)?, a.str(2)?);
        if old.is_empty() && (src.chars().count() + 1).saturating_mul(new.len()) > MAX_OUTPUT {
            return Err(call_err("strings: Replace output length overflow"));
        }
        Ok(s(src.replace(old, new)))
    });
    add(&mut m, "contains", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.contains(a.str(0)?)))
    });
    add(&mut m, "hasPrefix", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.starts_with(a.str(0)?)))
    });
    add(&mut m, "hasSuffix", |a| {
        a.exact(2)?;
        Ok(Value::Bool(a.str(1)?.ends_with(a.str(0)?)))
    });
    add(&mut m, "quote", |a| {
        let parts: Vec<String> =
            a.v.iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(|v| gofmt::quote(&gofmt::strval(v)))
                .collect();
        Ok(s(parts.join(" ")))
    });
    add(&mut m, "squote", |a| {
        let parts: Vec<String> =
            a.v.iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(|v| format!("'{}'", gofmt::strval(v)))
                .collect();
        Ok(s(parts.join(" ")))
    });
    add(&mut m, "cat", |a| {
        let parts: Vec<String> =
            a.v.iter()
                .filter(|v| !matches!(v, Value::Nil))
                .map(gofmt::strval)
                .collect();
        Ok(s(parts.join(" ")))
    });
    fn indent(a: &Args, newline: bool) -> R {
        a.exact(2)?;
        let (n, text) = (a.int(0)?, a.str(1)?);
        if n < 0 {
            return Err(call_err("strings: negative Repeat count"));
        }
        let lines = text.matches('\n').count() + 1;
        if (n as usize).saturating_mul(lines) > MAX_OUTPUT {
            return Err(call_err("strings: Repeat output length overflow"));
        }
        let pad = " ".repeat(n as usize);
        let body = format!("{pad}{}", text.replace('\n', &format!("\n{pad}")));
        Ok(s(if newline { format!("\n{body}") } else { body }))
    }
    add(&mut m, "indent", |a| indent(a, false));
    add(&mut m, "nindent", |a| indent(a, true));
    add(&mut m, "substr", |a| {
        a.exact(3)?;
        let (start, end, st) = (a.int(0)?, a.int(1)?, a.str(2)?);
        let len = st.len() as i64;
        let out = if start < 0 {
            slice_str(st, 0, end)?
        } else if end < 0 || end > len {
            slice_str(st, start, len)?
        } else {
            slice_str(st, start, end)?
        };
        Ok(s(out))
    });
    add(&mut m, "trunc", |a| {
        a.exact(2)?;
        let (c, st) = (a.int(0)?, a.str(1)?);
        if st.len() as i64 <= c {
            return Ok(s(st));
        }
        Ok(s(slice_str(st, 0, c)?))
    });
    add(&mut m, "repeat", |a| {
        a.exact(2)?;
        let (count, st) = (a.int(0)?, a.str(1)?);
        if count < 0 {
            return Err(call_err("strings: negative Repeat count"));
        }
        if (count as u64).saturating_mul(st.len() as u64) > MAX_OUTPUT as u64 {
            return Err(call_err("strings: Repeat output length overflow"));
        }
        Ok(s(st.repeat(count as usize)))
    });
    add(&mut m, "plural", |a| {
        a.exact(3)?;
        let (one, many, n) = (a.str(0)?, a.str(1)?, a.int(2)?);
        Ok(s(if n == 1 { one } else { many }))
    });
    add(&mut m, "split", |a| {
        a.exact(2)?;
        Ok(split_map(go_split(a.str(1)?, a.str(0)?, -1)))
    });
    add(&mut m, "splitn", |a| {
        a.exact(3)?;
        Ok(split_map(go_split(a.str(2)?, a.str(0)?, a.int(1)?)))
    });
    add(&mut m, "splitList", |a| {
        a.exact(2)?;
        Ok(list_of_strings(go_split(a.str(1)?, a.str(0)?, -1)))
    });
    add(&mut m, "join", |a| {
        a.exact(2)?;
        Ok(s(strslice(&a.v[1]).join(a.str(0)?)))
    });
    add(&mut m, "toStrings", |a| {
        a.exact(1)?;
        Ok(list_of_strings(strslice(&a.v[0])))
    });

    // Environment.
    add(&mut m, "env", |a| {
        a.exact(1)?;
        Ok(s(super::getenv(a.str(0)?)))
    });
    add(&mut m, "expandenv", |a| {
        a.exact(1)?;
        Ok(s(gofmt::expand(a.str(0)?, super::getenv)))
    });

    // Encodings and hashes.
    add(&mut m, "b64enc", |a| {
        a.exact(1)?;
        Ok(s(gofmt::b64_encode(a.str(0)?.as_bytes())))
    });
    add(&mut m, "b64dec", |a| {
        a.exact(1)?;
        Ok(s(match gofmt::b64_decode(a.str(0)?.as_bytes()) {
            Ok(bytes) => gofmt::lossy(&bytes),
            Err(off) => format!("illegal base64 data at input byte {off}"),
        }))
    });
    add(&mut m, "sha256sum", |a| {
        a.exact(1)?;
        let digest = Sha256::digest(a.str(0)?.as_bytes());
        Ok(s(digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()))
    });

    // Regular expressions.
    add(&mut m, "regexMatch", |a| {
        a.exact(2)?;
        let (re, st) = (a.str(0)?, a.str(1)?);
        Ok(Value::Bool(go_regex(re).is_ok_and(|r| r.is_match(st))))
    });
    add(&mut m, "regexFind", |a| {
        a.exact(2)?;
        let re = must_regex(a.str(0)?)?;
        Ok(s(re.find(a.str(1)?).map_or("", |m| m.as_str())))
    });
    add(&mut m, "regexFindAll", |a| {
        a.exact(3)?;
        let re = must_regex(a.str(0)?)?;
        let (st, n) = (a.str(1)?, a.int(2)?);
        Ok(list_of_strings(
            find_all(&re, st, n).iter().map(|m| m.as_str()),
        ))
    });
    add(&mut m, "regexReplaceAll", |a| {
        a.exact(3)?;
        let re = must_regex(a.str(0)?)?;
        Ok(s(re.replace_all(a.str(1)?, a.str(2)?).into_owned()))
    });
    add(&mut m, "regexReplaceAllLiteral", |a| {
        a.exact(3)?;
        let re = must_regex(a.str(0)?)?;
        Ok(s(re
            .replace_all(a.str(1)?, regex::NoExpand(a.str(2)?))
            .into_owned()))
    });
    add(&mut m, "regexSplit", |a| {
        a.exact(3)?;
        let (pat, st, n) = (a.str(0)?, a.str(1)?, a.int(2)?);
        let re = must_regex(pat)?;
        if n == 0 {
            return Ok(Value::List(Arc::from([])));
        }
        if !pat.is_empty() && st.is_empty() {
            return Ok(list_of_strings([""]));
        }
        let mut parts: Vec<&str> = Vec::new();
        let (mut beg, mut end) = (0, 0);
        for m in find_all(&re, st, n) {
            if n > 0 && parts.len() as i64 == n - 1 {
                break;
            }
            end = m.start();
            if m.end() != 0 {
                parts.push(&st[beg..end]);
            }
            beg = m.end();
        }
        if end != st.len() {
            parts.push(&st[beg..]);
        }
        Ok(list_of_strings(parts))
    });

    // Lists.
    add(&mut m, "list", |a| {
        Ok(Value::List(a.v.iter().cloned().collect()))
    });
    add(&mut m, "first", |a| {
        a.exact(1)?;
        Ok(list_op(a, "first")?.first().cloned().unwrap_or(Value::Nil))
    });
    add(&mut m, "last", |a| {
        a.exact(1)?;
        Ok(list_op(a, "last")?.last().cloned().unwrap_or(Value::Nil))
    });
    add(&mut m, "rest", |a| {
        a.exact(1)?;
        let l = list_op(a, "rest")?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::List(l[1..].iter().cloned().collect())
        })
    });
    add(&mut m, "initial", |a| {
        a.exact(1)?;
        let l = list_op(a, "initial")?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::List(l[..l.len() - 1].iter().cloned().collect())
        })
    });

    // Numbers (sprig's "very basic arithmetic" on int64).
    add(&mut m, "atoi", |a| {
        a.exact(1)?;
        Ok(Value::Int(a.str(0)?.parse::<i64>().unwrap_or(0)))
    });
    fn conv(a: &Args) -> R {
        a.exact(1)?;
        Ok(Value::Int(to_int64(&a.v[0])))
    }
    add(&mut m, "int", conv);
    add(&mut m, "int64", conv);
    add(&mut m, "add1", |a| {
        a.exact(1)?;
        Ok(Value::Int(to_int64(&a.v[0]).wrapping_add(1)))
    });
    add(&mut m, "add", |a| {
        Ok(Value::Int(
            a.v.iter()
                .fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
        ))
    });
    add(&mut m, "sub", |a| {
        a.exact(2)?;
        Ok(Value::Int(
            to_int64(&a.v[0]).wrapping_sub(to_int64(&a.v[1])),
        ))
    });
    add(&mut m, "mul", |a| {
        a.at_least(1)?;
        Ok(Value::Int(
            a.v.iter()
                .skip(1)
                .fold(to_int64(&a.v[0]), |acc, v| acc.wrapping_mul(to_int64(v))),
        ))
    });
    fn divide(a: &Args, rem: bool) -> R {
        a.exact(2)?;
        let (x, y) = (to_int64(&a.v[0]), to_int64(&a.v[1]));
        if y == 0 {
            return Err(call_err("runtime error: integer divide by zero"));
        }
        Ok(Value::Int(if rem {
            x.wrapping_rem(y)
        } else {
            x.wrapping_div(y)
        }))
    }
    add(&mut m, "div", |a| divide(a, false));
    add(&mut m, "mod", |a| divide(a, true));
    fn extreme(a: &Args, max: bool) -> R {
        a.at_least(1)?;
        let vals = a.v.iter().map(to_int64);
        Ok(Value::Int(if max {
            vals.max().unwrap_or(0)
        } else {
            vals.min().unwrap_or(0)
        }))
    }
    add(&mut m, "max", |a| extreme(a, true));
    add(&mut m, "biggest", |a| extreme(a, true));
    add(&mut m, "min", |a| extreme(a, false));

    // Paths (Go's `path`, slash-separated).
    add(&mut m, "base", |a| {
        a.exact(1)?;
        Ok(s(path_base(a.str(0)?)))
    });
    add(&mut m, "dir", |a| {
        a.exact(1)?;
        Ok(s(path_dir(a.str(0)?)))
    });
    add(&mut m, "clean", |a| {
        a.exact(1)?;
        Ok(s(path_clean(a.str(0)?)))
    });
    add(&mut m, "ext", |a| {
        a.exact(1)?;
        Ok(s(path_ext(a.str(0)?)))
    });
    add(&mut m, "isAbs", |a| {
        a.exact(1)?;
        Ok(Value::Bool(a.str(0)?.starts_with('/')))
    });

    // Dates. A Go `time.Time` is carried as its `String()` form; see `gotime`.
    add(&mut m, "now", |a| {
        a.exact(0)?;
        Ok(s(gotime::time_string(
            jiff::Timestamp::now(),
            &gotime::local(),
        )))
    });
    add(&mut m, "date", |a| {
        a.exact(2)?;
        let layout = a.str(0)?;
        Ok(s(gotime::format(date_arg(a, 1), &gotime::local(), layout)))
    });
    fn date_in_zone(a: &Args) -> R {
        a.exact(3)?;
        let (layout, zone) = (a.str(0)?, a.str(2)?);
        let tz = gotime::load_location(zone).unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(s(gotime::format(date_arg(a, 1), &tz, layout)))
    }
    add(&mut m, "dateInZone", date_in_zone);
    add(&mut m, "date_in_zone", date_in_zone);
    add(&mut m, "htmlDate", |a| {
        a.exact(1)?;
        Ok(s(gotime::format(
            date_arg(a, 0),
            &gotime::local(),
            "2006-01-02",
        )))
    });
    add(&mut m, "htmlDateInZone", |a| {
        a.exact(2)?;
        let tz = gotime::load_location(a.str(1)?).unwrap_or(jiff::tz::TimeZone::UTC);
        Ok(s(gotime::format(date_arg(a, 0), &tz, "2006-01-02")))
    });
    add(&mut m, "unixEpoch", |a| {
        a.exact(1)?;
        match &a.v[0] {
            Value::String(st) => match gotime::parse_time_string(st) {
                Some(t) => Ok(s(t.as_second().to_string())),
                None => Err(FnError::Arg(
                    "wrong type for value; expected time.Time; got string".into(),
                )),
            },
            _ => Err(a.mismatch(0, "time.Time")),
        }
    });

    m
}
