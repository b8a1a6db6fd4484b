//! One document printed the way Skaffold prints rendered manifests: Go's `gopkg.in/yaml.v3`
//! encoder with a 2-space indent — except that mapping keys keep the order of the source
//! (Skaffold's round trip through a Go map sorts them; skiff keeps the author's order so the
//! output reads and diffs like the input).
//!
//! What that means for the text:
//! - block sequences are indented under their key (`containers:\n  - name: x`);
//! - empty collections are `{}` and `[]`, nulls `null`, floats in Go's `%g` form (`1`, `0.5`,
//!   `1e+06`);
//! - strings are plain when they read back as the same string, double-quoted when they would
//!   read as something else (`"true"`, `"1"`, `""`, `"2024-01-02"`, `"on"`), single-quoted when
//!   they only start or end awkwardly (`'*x'`, `' x'`), literal blocks (`|-`) when they span
//!   lines, and double-quoted with escapes when they hold tabs or unprintable characters;
//! - no line is ever wrapped.

use std::fmt::Write as _;

use serde_yaml_ng::{Mapping, Number, Value};

/// The indentation step.
const INDENT: usize = 2;

/// `value` as yaml.v3 prints it (ends with a newline).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Mapping(m) if !m.is_empty() => write_mapping(&mut out, m, 0),
        Value::Sequence(s) if !s.is_empty() => write_sequence(&mut out, s, 0),
        other => {
            write_scalar(&mut out, other, 0);
            out.push('\n');
        }
    }
    out
}

/// Writes the entries of a non-empty mapping, each key at column `indent`. The first key is
/// written where the cursor is (after `- ` in a sequence, or at the start of a line).
fn write_mapping(out: &mut String, mapping: &Mapping, indent: usize) {
    for (i, (key, value)) in mapping.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        write_key(out, key);
        out.push(':');
        write_value_after_key(out, value, indent);
    }
}

/// Writes the items of a non-empty sequence, each `- ` at column `indent`.
fn write_sequence(out: &mut String, items: &[Value], indent: usize) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            pad(out, indent);
        }
        out.push_str("- ");
        match item {
            Value::Mapping(m) if !m.is_empty() => write_mapping(out, m, indent + INDENT),
            Value::Sequence(s) if !s.is_empty() => write_sequence(out, s, indent + INDENT),
            scalar => {
                write_scalar(out, scalar, indent);
                out.push('\n');
            }
        }
    }
}

/// The value of a mapping entry whose key sits at column `indent`; the cursor is after `:`.
fn write_value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Mapping(m) if !m.is_empty() => {
            out.push('\n');
            pad(out, indent + INDENT);
            write_mapping(out, m, indent + INDENT);
        }
        Value::Sequence(s) if !s.is_empty() => {
            out.push('\n');
            pad(out, indent + INDENT);
            write_sequence(out, s, indent + INDENT);
        }
        scalar => {
            out.push(' ');
            write_scalar(out, scalar, indent);
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// A mapping key: scalars as scalars (never as literal blocks), anything else in flow style.
fn write_key(out: &mut String, key: &Value) {
    match key {
        Value::String(s) => match string_style(s) {
            Style::Literal => write_double_quoted(out, s),
            style => write_string(out, s, style, 0),
        },
        Value::Mapping(_) | Value::Sequence(_) => write_flow(out, key),
        other => write_scalar(out, other, 0),
    }
}

/// A scalar, or an empty collection, in a collection whose entries sit at column `indent`.
fn write_scalar(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n)),
        Value::String(s) => write_string(out, s, string_style(s), indent),
        Value::Mapping(_) | Value::Sequence(_) => write_flow(out, value),
        Value::Tagged(tagged) => {
            let _ = write!(out, "{} ", tagged.tag);
            write_scalar(out, &tagged.value, indent);
        }
    }
}

/// Flow style, for empty collections and the odd collection used as a key.
fn write_flow(out: &mut String, value: &Value) {
    match value {
        Value::Mapping(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(out, k);
                out.push_str(": ");
                write_flow(out, v);
            }
            out.push('}');
        }
        Value::Sequence(s) => {
            out.push('[');
            for (i, v) in s.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(out, v);
            }
            out.push(']');
        }
        Value::String(s) => write_double_quoted(out, s),
        other => write_scalar(out, other, 0),
    }
}

/// How a string is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// yaml.v3's choice (`encoder.stringv`, then libyaml's `select_scalar_style`).
fn string_style(s: &str) -> Style {
    let shape = analyze(s);
    if s.contains('\n') {
        return if shape.block_allowed {
            Style::Literal
        } else {
            Style::DoubleQuoted
        };
    }
    if !reads_back_as_string(s) {
        return Style::DoubleQuoted;
    }
    if shape.plain_allowed {
        Style::Plain
    } else if shape.single_quoted_allowed {
        Style::SingleQuoted
    } else {
        Style::DoubleQuoted
    }
}

fn write_string(out: &mut String, s: &str, style: Style, indent: usize) {
    match style {
        Style::Plain => out.push_str(s),
        Style::SingleQuoted => {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
        Style::DoubleQuoted => write_double_quoted(out, s),
        Style::Literal => write_literal(out, s, indent + INDENT),
    }
}

/// A `|` block: the header with its indentation and chomping hints, then each line at `indent`
/// (empty lines stay empty).
fn write_literal(out: &mut String, s: &str, indent: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        let _ = write!(out, "{INDENT}");
    }
    let trailing_breaks = s.len() - s.trim_end_matches('\n').len();
    match trailing_breaks {
        0 => out.push('-'),
        1 if s.len() > 1 => {}
        _ => out.push('+'),
    }
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            pad(out, indent);
            out.push_str(line);
        }
    }
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\u{07}' => out.push_str("\\a"),
            '\u{08}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{0b}' => out.push_str("\\v"),
            '\u{0c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if !is_printable(c) || c == '\u{feff}' => {
                let v = c as u32;
                let _ = match v {
                    0..=0xff => write!(out, "\\x{v:02X}"),
                    0x100..=0xffff => write!(out, "\\u{v:04X}"),
                    _ => write!(out, "\\U{v:08X}"),
                };
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// libyaml's printable set (yaml.v3 emits Unicode, but not characters beyond the BMP).
fn is_printable(c: char) -> bool {
    matches!(c as u32, 0x0a | 0x20..=0x7e | 0xa0..=0xd7ff | 0xe000..=0xfffd) && c != '\u{feff}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// What libyaml's `analyze_scalar` allows for a string, in block context.
struct Shape {
    plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(s: &str) -> Shape {
    if s.is_empty() {
        return Shape {
            plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special, mut tabs) = (false, false, false);
    let (mut leading, mut trailing_space, mut trailing_break) = (false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_whitespace = chars
            .get(i + 1)
            .is_none_or(|n| matches!(n, ' ' | '\t') || is_break(*n));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if c == '\t' {
            tabs = true;
        } else if !is_printable(c) {
            special = true;
        }
        let last = i + 1 == chars.len();
        if c == ' ' {
            leading |= i == 0;
            trailing_space |= last;
            break_space |= previous_break;
            (previous_space, previous_break) = (true, false);
        } else if is_break(c) {
            line_breaks = true;
            leading |= i == 0;
            trailing_break |= last;
            space_break |= previous_space;
            (previous_space, previous_break) = (false, true);
        } else {
            (previous_space, previous_break) = (false, false);
        }
        preceded_by_whitespace = matches!(c, ' ' | '\t') || is_break(c);
    }
    let awkward_edges = leading || trailing_space || trailing_break;
    Shape {
        plain_allowed: !(awkward_edges
            || break_space
            || space_break
            || tabs
            || special
            || line_breaks
            || block_indicators),
        single_quoted_allowed: !(break_space || space_break || tabs || special),
        block_allowed: !(trailing_space || space_break || special),
    }
}

/// Whether an unquoted `s` would be read back by yaml.v3 as the same string (and is not one
/// of the YAML 1.1 spellings yaml.v3 still quotes for other parsers' sake).
fn reads_back_as_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", ".nan",
        ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
        "-.INF", "<<", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N", "no", "No", "NO",
        "off", "Off", "OFF",
    ];
    if SPECIAL.contains(&s) {
        return false;
    }
    match s.as_bytes()[0] {
        b'.' => !is_yaml_float(s),
        b'+' | b'-' | b'0'..=b'9' => {
            !(is_timestamp(s) || is_go_number(&s.replace('_', "")) || is_base60_float(s))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` forms with a base prefix (`0x`, `0o`, `0b`, or a leading
/// `0` for octal), or a YAML float (which covers every run of decimal digits).
fn is_go_number(s: &str) -> bool {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let prefixed = [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ]
    .iter()
    .any(|(prefix, radix)| {
        unsigned
            .strip_prefix(prefix)
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_digit(*radix)))
    });
    prefixed || is_yaml_float(s)
}

/// yaml.v3's float pattern: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
fn is_yaml_float(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        Some(("", frac)) => !frac.is_empty() && digits(frac),
        Some((int, frac)) => digits(int) && digits(frac),
        None => !mantissa.is_empty() && digits(mantissa),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// YAML 1.1 sexagesimal floats (`190:20:30.15`), which yaml.v3 quotes on output.
fn is_base60_float(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let Some((head, rest)) = body.split_once(':') else {
        return false;
    };
    let (sexagesimal, fraction) = match rest.split_once('.') {
        Some((groups, frac)) => (groups, Some(frac)),
        None => (rest, None),
    };
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit() && c != '0')
        && head.chars().all(|c| c.is_ascii_digit() || c == '_');
    let groups_ok = sexagesimal.split(':').all(|g| {
        let b = g.as_bytes();
        match b {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        }
    });
    let fraction_ok = fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
    head_ok && groups_ok && fraction_ok
}

/// The timestamp forms yaml.v3 recognises (`2006-1-2`, with an optional time part).
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let number_in = |t: &str, max_len: usize, lo: u32, hi: u32| {
        !t.is_empty()
            && t.len() <= max_len
            && t.chars().all(|c| c.is_ascii_digit())
            && t.parse::<u32>().is_ok_and(|v| (lo..=hi).contains(&v))
    };
    let date_ok =
        parts.len() == 3 && number_in(parts[1], 2, 1, 12) && number_in(parts[2], 2, 1, 31);
    date_ok && time.is_none_or(|t| is_clock(t, s.contains(' ')))
}

/// `15:4:5` with optional fraction, then (unless space-separated) `Z` or `±07:00`.
fn is_clock(t: &str, space_separated: bool) -> bool {
    let (clock, zone) = if space_separated {
        (t, "")
    } else {
        match t.find(['Z', '+', '-']) {
            Some(i) => (&t[..i], &t[i..]),
            None => return false,
        }
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (clock, None),
    };
    let fields: Vec<&str> = hms.split(':').collect();
    let in_range = |f: &str, hi: u32| {
        (1..=2).contains(&f.len())
            && f.chars().all(|c| c.is_ascii_digit())
            && f.parse::<u32>().is_ok_and(|v| v <= hi)
    };
    let clock_ok = fields.len() == 3
        && in_range(fields[0], 23)
        && in_range(fields[1], 59)
        && in_range(fields[2], 59)
        && fraction.is_none_or(|f| !f.is_empty() && f.chars().all(|c| c.is_ascii_digit()));
    let zone_ok = match zone {
        "" => space_separated,
        "Z" => true,
        z => {
            let b = z.as_bytes();
            b.len() == 6 && b[3] == b':' && [1, 2, 4, 5].iter().all(|&i| b[i].is_ascii_digit())
        }
    };
    clock_ok && zone_ok
}

/// A number as Go prints it after a round trip through `interface{}`: integers in decimal,
/// floats with `strconv.FormatFloat(f, 'g', -1, 64)`.
fn go_number(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    go_float(n.as_f64().unwrap_or(f64::NAN))
}

fn go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // Shortest round-trip digits and the decimal exponent, from Rust's `{:e}`.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if f < 0.0 { "-" } else { "" };
    // Go's shortest `%g` uses the exponent form below 1e-4 and from 1e6 up.
    if !(-4..6).contains(&exp) {
        return format!("{sign}{}", go_exponent_form(&digits, exp));
    }
    let point = exp + 1;
    let text = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if (point as usize) >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{text}")
}

fn go_exponent_form(digits: &str, exp: i32) -> String {
    let (first, rest) = digits.split_at(1);
    let mantissa = if rest.is_empty() {
        first.to_string()
    } else {
        format!("{first}.{rest}")
    };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> String {
        to_string(&serde_yaml_ng::from_str(text).unwrap())
    }

    /// Asserts that each string `s` of `cases` prints as `want` (newline included).
    #[track_caller]
    fn assert_strings<'a>(cases: impl IntoIterator<Item = (&'a str, impl AsRef<str>)>) {
        for (s, want) in cases {
            assert_eq!(to_string(&Value::String(s.into())), want.as_ref(), "{s:?}");
        }
    }

    #[test]
    fn keys_keep_their_order_and_sequences_are_indented() {
        let out = yaml(
            "kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: i\n    args: [a, b]\n",
        );
        assert_eq!(
            out,
            "kind: Pod\napiVersion: v1\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: i\n      args:\n        - a\n        - b\n"
        );
    }

    #[test]
    fn empty_collections_and_nulls_use_flow_and_null() {
        assert_eq!(
            yaml("a: {}\nb: []\nc: ~\nd: [[], {}]\n"),
            "a: {}\nb: []\nc: null\nd:\n  - []\n  - {}\n"
        );
    }

    #[test]
    fn nested_sequences_start_on_the_dash_line() {
        assert_eq!(yaml("- [a, b]\n- c\n"), "- - a\n  - b\n- c\n");
    }

    #[test]
    fn strings_that_would_read_as_other_types_are_double_quoted() {
        let strings = [
            "true",
            "on",
            "No",
            "1",
            "0x1F",
            "1_000",
            "1.5",
            ".5",
            "1e3",
            "",
            "~",
            "null",
            "2024-01-02",
            "2024-1-2T10:00:00Z",
            "190:20:30",
            "09",
            "-1",
            "0o17",
            "0b1",
        ];
        assert_strings(strings.map(|s| (s, format!("\"{s}\"\n"))));
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        let strings = [
            "nginx:1.25",
            "a b",
            "1.2.3",
            "v1",
            "0x",
            "1.2e",
            "http://x:80/a",
            "-x",
            "a#b",
        ];
        assert_strings(strings.map(|s| (s, format!("{s}\n"))));
    }

    #[test]
    fn awkward_strings_are_single_quoted() {
        assert_strings([
            ("*x", "'*x'\n"),
            (" x", "' x'\n"),
            ("it's: x", "'it''s: x'\n"),
            ("- x", "'- x'\n"),
            ("ab:", "'ab:'\n"),
        ]);
    }

    #[test]
    fn tabs_and_control_characters_are_escaped() {
        assert_strings([
            ("a\tb", "\"a\\tb\"\n"),
            ("a\u{1}", "\"a\\x01\"\n"),
            ("é", "é\n"),
            ("😀", "\"\\U0001F600\"\n"),
        ]);
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        assert_eq!(
            yaml("data:\n  a: \"x\\ny\"\n  b: \"x\\n\\ny\\n\"\n  c: \"x\\n\\n\"\n"),
            "data:\n  a: |-\n    x\n    y\n  b: |\n    x\n\n    y\n  c: |+\n    x\n\n"
        );
        assert_eq!(yaml("- \" lead\\nx\"\n"), "- |2-\n   lead\n  x\n");
        // A space before a line break forbids the block form.
        assert_eq!(yaml("a: \"x \\ny\"\n"), "a: \"x \\ny\"\n");
    }

    #[test]
    fn numbers_print_like_go() {
        assert_eq!(
            yaml("[1, -2, 1.0, 0.5, 1000000.0, 1.5e-7, 123456.7, 1e21]\n"),
            "- 1\n- -2\n- 1\n- 0.5\n- 1e+06\n- 1.5e-07\n- 123456.7\n- 1e+21\n"
        );
    }
}
