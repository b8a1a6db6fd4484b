//! Writing YAML that this crate's reader reads back to the same values.
//!
//! `serde_yaml_ng`'s emitter (libyaml) treats U+2028 and U+2029 as line breaks: in a plain,
//! single-quoted or literal scalar it ends the line there and indents the next one. A YAML 1.2
//! reader (saphyr, see the parent module) treats them as ordinary characters, so the indentation
//! becomes part of the string. [`to_string`] writes such strings as double-quoted scalars with the
//! `\L` and `\P` escapes (and `\N` for U+0085) instead, and leaves every other byte of the
//! emitter's output as it was. (A string holding U+0085 alone is already fine: libyaml deems it
//! unprintable and double-quotes the string itself.)

use serde::Serialize;
use serde_yaml_ng::{Mapping, Value};

/// The characters libyaml breaks a line at but YAML 1.2 does not count as line breaks. (U+0085
/// never reaches the output raw, but a string holding it and U+2028 is swapped whole.)
const NON_BREAKS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

/// Serializes `value` like `serde_yaml_ng::to_string`, except that strings (values and mapping
/// keys) containing U+0085, U+2028 or U+2029 become double-quoted scalars with escapes, so the
/// text reads back to the same value.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_yaml_ng::Error> {
    let text = serde_yaml_ng::to_string(value)?;
    if !text.contains(NON_BREAKS) {
        return Ok(text);
    }
    // Each affected string is swapped for a unique plain placeholder, which the emitter writes
    // verbatim and which occurs nowhere else in the output; then the placeholders are replaced.
    let prefix = (0..)
        .map(|i| format!("__skiff_escaped{i}_"))
        .find(|p| !text.contains(p.as_str()))
        .expect("some prefix is not in the text");
    let mut value = serde_yaml_ng::to_value(value)?;
    let mut swapped = Vec::new();
    swap_strings(&mut value, &mut |s| {
        let placeholder = format!("{prefix}{}_", swapped.len());
        swapped.push(std::mem::replace(s, placeholder));
    });
    let mut out = serde_yaml_ng::to_string(&value)?;
    for (i, s) in swapped.iter().enumerate() {
        out = out.replacen(&format!("{prefix}{i}_"), &double_quoted(s), 1);
    }
    Ok(out)
}

/// Calls `swap` on every string under `value` (mapping keys included) that contains one of
/// [`NON_BREAKS`].
fn swap_strings(value: &mut Value, swap: &mut dyn FnMut(&mut String)) {
    match value {
        Value::String(s) if s.contains(NON_BREAKS) => swap(s),
        Value::Sequence(items) => items.iter_mut().for_each(|v| swap_strings(v, swap)),
        Value::Mapping(m) => {
            let entries = std::mem::take(m);
            *m = entries
                .into_iter()
                .map(|(mut k, mut v)| {
                    swap_strings(&mut k, swap);
                    swap_strings(&mut v, swap);
                    (k, v)
                })
                .collect::<Mapping>();
        }
        Value::Tagged(t) => swap_strings(&mut t.value, swap),
        _ => {}
    }
}

/// `s` as a YAML double-quoted scalar, with every character that is not printable escaped.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\u{1b}' => out.push_str("\\e"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", u32::from(c))),
            '\u{feff}' => out.push_str("\\uFEFF"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::yaml::{de, parse_documents};

    /// `text` read back by this crate's reader.
    fn reread<T: serde::de::DeserializeOwned>(text: &str) -> T {
        let docs = parse_documents(text).unwrap_or_else(|e| panic!("{}:\n{text}", e.message));
        de::from_node(&docs[0].root).unwrap_or_else(|e| panic!("{e:?}:\n{text}"))
    }

    const TRICKY: &str = "a\u{2028}b\u{2029}c\u{85}d \"q\" \\ \t\u{1}\u{feff}\né";

    #[test]
    fn strings_with_unicode_breaks_round_trip() {
        let mut map = BTreeMap::new();
        map.insert("plain".to_string(), "value".to_string());
        map.insert("ARG".to_string(), TRICKY.to_string());
        map.insert(format!("key{TRICKY}"), "x\u{2028}".to_string());
        map.insert("ls".to_string(), "x\u{2028}y".to_string());
        map.insert("ps".to_string(), "x\u{2029}y".to_string());
        map.insert("nel".to_string(), "x\u{85}y".to_string());
        map.insert("literal".to_string(), "a\nb\u{2028}c\n".to_string());
        map.insert("k\u{2029}".to_string(), "v".to_string());
        let mut nested = BTreeMap::new();
        nested.insert("list".to_string(), vec![map.clone(), map]);

        let text = to_string(&nested).unwrap();
        assert!(text.contains(r#"ARG: "a\Lb\Pc\Nd \"q\" \\ \t\x01\uFEFF\né""#));
        assert!(text.contains(r#"literal: "a\nb\Lc\n""#), "{text}");
        let back: BTreeMap<String, Vec<BTreeMap<String, String>>> = reread(&text);
        assert_eq!(back, nested);
    }

    #[test]
    fn config_set_yaml_round_trips() {
        // What `skiff fix` prints: profile names and build args with U+2028/U+2029 included.
        let text = r#"apiVersion: skaffold/v2beta29
kind: Config
build:
  artifacts:
  - image: app
    docker:
      buildArgs:
        ARG: "x\Ly\Pz"
profiles:
- name: "p\Lq"
  build:
    artifacts:
    - image: app
      docker:
        buildArgs:
          "K\P": "v\Lw"
"#;
        let set = crate::load_str(text, "skaffold.yaml").unwrap();
        let yaml = set.to_yaml().unwrap();
        assert!(yaml.contains(r#"name: "p\Lq""#), "{yaml}");
        let again = crate::load_str(&yaml, "skaffold.yaml").unwrap();
        assert_eq!(again.entries[0].config, set.entries[0].config, "{yaml}");
    }

    #[test]
    fn plain_emitter_output_does_not_round_trip() {
        // Why this module exists: if this starts passing, serde_yaml_ng has been fixed.
        let text = serde_yaml_ng::to_string(&vec!["a\u{2028}b".to_string()]).unwrap();
        let back: Vec<String> = reread(&text);
        assert_ne!(back, vec!["a\u{2028}b".to_string()]);
    }

    #[test]
    fn other_output_is_unchanged() {
        let mut map = BTreeMap::new();
        map.insert("a", "multi\nline");
        map.insert("b", "8080");
        map.insert("c", "plain");
        assert_eq!(
            to_string(&map).unwrap(),
            serde_yaml_ng::to_string(&map).unwrap()
        );
        // Only the affected string changes; a text already holding the placeholder prefix
        // gets another one.
        map.insert("d", "__skiff_escaped0_0_");
        map.insert("e", "x\u{2028}y");
        let expected = serde_yaml_ng::to_string(&map)
            .unwrap()
            .replace("'x\u{2028}  y'", r#""x\Ly""#);
        assert_eq!(to_string(&map).unwrap(), expected);
    }
}
