//! `serde::Deserializer` over a positioned [`Node`] tree.
//!
//! Scalars are resolved by what the target type asks for, like yaml.v3 does for Skaffold: a
//! string field takes the text of any scalar (`version: 1.10` stays `"1.10"`), a number field
//! parses it, and `null` gives the zero value of non-optional fields. Errors carry the position
//! and the field path of the innermost node they happened at.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::{Node, NodeKind, Pos, Resolved, Segment};

/// The field path of the node being deserialized, as a chain of borrowed segments.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn segments(&self) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut cur = self;
        loop {
            match cur {
                Path::Root => break,
                Path::Key(parent, k) => {
                    out.push(Segment::Key((*k).to_string()));
                    cur = parent;
                }
                Path::Index(parent, i) => {
                    out.push(Segment::Index(*i));
                    cur = parent;
                }
            }
        }
        out.reverse();
        out
    }
}

/// A deserialization error: a message, and (once known) where it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    /// What is wrong.
    pub message: String,
    /// Position of the offending node (key or value).
    pub pos: Option<Pos>,
    /// Field path of the offending node (for an unknown or conflicting key: the mapping that
    /// holds it).
    pub path: Vec<Segment>,
}

impl DeError {
    fn new(message: impl Into<String>) -> Self {
        DeError {
            message: message.into(),
            pos: None,
            path: Vec::new(),
        }
    }

    /// Record where the error happened, unless an inner node already did.
    fn attach(mut self, node: &Node, path: Path<'_>) -> Self {
        if self.pos.is_none() {
            self.pos = Some(refine_pos(node, &self.message));
            self.path = path.segments();
        }
        self
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

/// For an error about a mapping that names some of its keys in backticks (an unknown key, two
/// members of a one-of group), point at the last of the named keys rather than at the mapping.
fn refine_pos(node: &Node, message: &str) -> Pos {
    let NodeKind::Map(entries) = &node.kind else {
        return node.pos;
    };
    let named: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    entries
        .iter()
        .filter(|(k, _)| k.as_str().is_some_and(|k| named.contains(&k)))
        .map(|(k, _)| k.pos)
        .max()
        .unwrap_or(node.pos)
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let (best, dist) = candidates
        .iter()
        .map(|c| (*c, levenshtein(&lower, &c.to_lowercase())))
        .min_by_key(|(_, d)| *d)?;
    let len = word.chars().count();
    let limit = match len {
        0..=3 => 1,
        4..=8 => 2,
        _ => 3,
    };
    (dist <= limit).then_some(best)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(msg.to_string())
    }

    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(format!("expected {exp}, found {unexp}"))
    }

    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        DeError::new(format!("invalid value {unexp}, expected {exp}"))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let msg = match did_you_mean(field, expected) {
            Some(s) => format!("unknown field `{field}`, did you mean `{s}`?"),
            None if expected.is_empty() => {
                format!("unknown field `{field}`: no fields are allowed here")
            }
            None => format!(
                "unknown field `{field}`, expected one of: {}",
                expected.join(", ")
            ),
        };
        DeError::new(msg)
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let msg = match did_you_mean(variant, expected) {
            Some(s) => format!("unknown value `{variant}`, did you mean `{s}`?"),
            None => format!(
                "unknown value `{variant}`, expected one of: {}",
                expected.join(", ")
            ),
        };
        DeError::new(msg)
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(format!("missing required field `{field}`"))
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(format!("duplicate field `{field}`"))
    }
}

/// Deserialize a value of type `T` from a node tree.
pub fn from_node<T: DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: Path::Root,
    })
    .map_err(|e| e.attach(node, Path::Root))
}

/// `deserialize_with` helper for Skaffold's `required` strings: present and not empty.
pub fn required_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = <String as serde::Deserialize>::deserialize(d)?;
    if s.is_empty() {
        Err(de::Error::custom("required value is empty"))
    } else {
        Ok(s)
    }
}

pub(crate) struct NodeDe<'de, 'p> {
    node: &'de Node,
    path: Path<'p>,
}

impl<'de> NodeDe<'de, '_> {
    fn mismatch(&self, expected: &str) -> DeError {
        DeError::new(format!(
            "expected {expected}, found {}",
            self.node.describe()
        ))
    }

    fn text(&self) -> Option<&'de str> {
        match &self.node.kind {
            NodeKind::Scalar { value, .. } => Some(value.as_str()),
            _ => None,
        }
    }

    fn integer(&self) -> Result<Resolved<'de>, DeError> {
        if self.node.is_null() {
            return Ok(Resolved::Int(0));
        }
        let text = self.text().ok_or_else(|| self.mismatch("an integer"))?;
        super::resolve_int(text.trim()).ok_or_else(|| self.mismatch("an integer"))
    }
}

macro_rules! deserialize_int {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
            let (node, path) = (self.node, self.path);
            let r = match self.integer() {
                Ok(Resolved::Int(i)) => visitor.visit_i64(i),
                Ok(Resolved::UInt(u)) => visitor.visit_u64(u),
                Ok(_) => Err(self.mismatch("an integer")),
                Err(e) => Err(e),
            };
            r.map_err(|e| e.attach(node, path))
        }
    )*};
}

impl<'de> Deserializer<'de> for NodeDe<'de, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let r = match &node.kind {
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                iter: items.iter(),
                index: 0,
                path,
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapDe {
                iter: entries.iter(),
                path,
                value: None,
            }),
            NodeKind::Scalar { .. } => match node.resolve() {
                Some(Resolved::Null) | None => visitor.visit_unit(),
                Some(Resolved::Bool(b)) => visitor.visit_bool(b),
                Some(Resolved::Int(i)) => visitor.visit_i64(i),
                Some(Resolved::UInt(u)) => visitor.visit_u64(u),
                Some(Resolved::Float(f)) => visitor.visit_f64(f),
                Some(Resolved::Str(s)) => visitor.visit_borrowed_str(s),
            },
        };
        r.map_err(|e| e.attach(node, path))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let b = if node.is_null() {
            Some(false)
        } else {
            // yaml.v3 also accepts the YAML 1.1 spellings when the target is a bool.
            self.text().and_then(|t| match t.trim() {
                "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On"
                | "ON" => Some(true),
                "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off"
                | "OFF" => Some(false),
                _ => None,
            })
        };
        match b {
            Some(b) => visitor
                .visit_bool(b)
                .map_err(|e: DeError| e.attach(node, path)),
            None => Err(self.mismatch("a boolean").attach(node, path)),
        }
    }

    deserialize_int! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let f = if node.is_null() {
            Some(0.0)
        } else {
            self.text().and_then(|t| {
                let t = t.trim();
                match super::resolve_float(t).or_else(|| super::resolve_int(t)) {
                    Some(Resolved::Float(f)) => Some(f),
                    Some(Resolved::Int(i)) => Some(i as f64),
                    Some(Resolved::UInt(u)) => Some(u as f64),
                    _ => None,
                }
            })
        };
        match f {
            Some(f) => visitor
                .visit_f64(f)
                .map_err(|e: DeError| e.attach(node, path)),
            None => Err(self.mismatch("a number").attach(node, path)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let r = match &node.kind {
            _ if node.is_null() => visitor.visit_borrowed_str(""),
            NodeKind::Scalar { value, .. } => visitor.visit_borrowed_str(value),
            _ => Err(self.mismatch("a string")),
        };
        r.map_err(|e| e.attach(node, path))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        if node.is_null() {
            visitor
                .visit_none()
                .map_err(|e: DeError| e.attach(node, path))
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        if node.is_null() {
            visitor
                .visit_unit()
                .map_err(|e: DeError| e.attach(node, path))
        } else {
            Err(self.mismatch("null").attach(node, path))
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let r = match &node.kind {
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                iter: items.iter(),
                index: 0,
                path,
            }),
            _ if node.is_null() => visitor.visit_seq(SeqDe {
                iter: [].iter(),
                index: 0,
                path,
            }),
            _ => Err(self.mismatch("a list")),
        };
        r.map_err(|e| e.attach(node, path))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let r = match &node.kind {
            NodeKind::Map(entries) => visitor.visit_map(MapDe {
                iter: entries.iter(),
                path,
                value: None,
            }),
            _ if node.is_null() => visitor.visit_map(MapDe {
                iter: [].iter(),
                path,
                value: None,
            }),
            _ => Err(self.mismatch("a mapping")),
        };
        r.map_err(|e| e.attach(node, path))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (node, path) = (self.node, self.path);
        let r = match &node.kind {
            NodeKind::Scalar { value, .. } if !node.is_null() => visitor.visit_enum(EnumDe {
                key: value,
                value: None,
                path,
            }),
            NodeKind::Map(entries) if entries.len() == 1 => {
                let (k, v) = &entries[0];
                match k.as_str() {
                    Some(key) => visitor.visit_enum(EnumDe {
                        key,
                        value: Some(v),
                        path,
                    }),
                    None => Err(self.mismatch("a string or a single-key mapping")),
                }
            }
            _ => Err(self.mismatch("a string or a single-key mapping")),
        };
        r.map_err(|e| e.attach(node, path))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_unit()
    }
}

struct SeqDe<'de, 'p> {
    iter: std::slice::Iter<'de, Node>,
    index: usize,
    path: Path<'p>,
}

impl<'de> SeqAccess<'de> for SeqDe<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.iter.next() else {
            return Ok(None);
        };
        let path = Path::Index(&self.path, self.index);
        self.index += 1;
        seed.deserialize(NodeDe { node, path })
            .map(Some)
            .map_err(|e| e.attach(node, path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapDe<'de, 'p> {
    iter: std::slice::Iter<'de, (Node, Node)>,
    path: Path<'p>,
    value: Option<(&'de Node, &'de str)>,
}

impl<'de> MapAccess<'de> for MapDe<'de, '_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((k, v)) = self.iter.next() else {
            return Ok(None);
        };
        let Some(key) = k.as_str() else {
            return Err(DeError::new("mapping keys must be scalars").attach(k, self.path));
        };
        self.value = Some((v, key));
        let path = self.path;
        seed.deserialize(NodeDe { node: k, path })
            .map(Some)
            .map_err(|e| e.attach(k, path))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some((node, key)) = self.value.take() else {
            return Err(DeError::new(
                "internal error: mapping value requested before its key",
            ));
        };
        let path = Path::Key(&self.path, key);
        seed.deserialize(NodeDe { node, path })
            .map_err(|e| e.attach(node, path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct EnumDe<'de, 'p> {
    key: &'de str,
    value: Option<&'de Node>,
    path: Path<'p>,
}

impl<'de, 'p> EnumAccess<'de> for EnumDe<'de, 'p> {
    type Error = DeError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), DeError> {
        let de = de::value::BorrowedStrDeserializer::<DeError>::new(self.key);
        let v = seed.deserialize(de)?;
        Ok((v, self))
    }
}

impl<'de> VariantAccess<'de> for EnumDe<'de, '_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        match self.value {
            None => Ok(()),
            Some(n) if n.is_null() => Ok(()),
            Some(n) => {
                Err(DeError::new(format!("`{}` takes no value", self.key)).attach(n, self.path))
            }
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        match self.value {
            Some(node) => {
                let path = Path::Key(&self.path, self.key);
                seed.deserialize(NodeDe { node, path })
                    .map_err(|e| e.attach(node, path))
            }
            None => Err(DeError::new(format!("`{}` needs a value", self.key))),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Some(node) => NodeDe {
                node,
                path: Path::Key(&self.path, self.key),
            }
            .deserialize_seq(visitor),
            None => Err(DeError::new(format!("`{}` needs a list", self.key))),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            Some(node) => NodeDe {
                node,
                path: Path::Key(&self.path, self.key),
            }
            .deserialize_map(visitor),
            None => Err(DeError::new(format!("`{}` needs a mapping", self.key))),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Deserialize;

    use super::*;
    use crate::yaml::{format_path, parse_documents};

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct T {
        name: String,
        #[serde(default)]
        port: i32,
        #[serde(default)]
        flag: bool,
        #[serde(default)]
        opt: Option<String>,
        #[serde(default)]
        list: Vec<String>,
        #[serde(default)]
        args: BTreeMap<String, Option<String>>,
    }

    fn de<X: DeserializeOwned>(src: &str) -> Result<X, DeError> {
        let docs = parse_documents(src).unwrap();
        from_node(&docs[0].root)
    }

    #[test]
    fn scalars_follow_the_target_type() {
        let t: T =
            de("name: 1.10\nport: 8080\nflag: yes\nopt: ~\nlist: [1, true]\nargs: {A: 1, B: }\n")
                .unwrap();
        assert_eq!(t.name, "1.10");
        assert_eq!(t.port, 8080);
        assert!(t.flag);
        assert_eq!(t.opt, None);
        assert_eq!(t.list, vec!["1", "true"]);
        assert_eq!(t.args.get("A"), Some(&Some("1".to_string())));
        assert_eq!(t.args.get("B"), Some(&None));
    }

    #[test]
    fn unknown_field_suggests_and_points_at_the_key() {
        let e = de::<T>("name: x\nprot: 1\n").unwrap_err();
        assert_eq!(e.message, "unknown field `prot`, did you mean `port`?");
        assert_eq!(e.pos, Some(Pos { line: 2, col: 1 }));
        assert!(e.path.is_empty());
    }

    #[test]
    fn type_errors_name_the_field() {
        let e = de::<T>("name: x\nlist:\n  a: b\n").unwrap_err();
        assert_eq!(e.message, "expected a list, found a mapping");
        assert_eq!(format_path(&e.path), "list");
        assert_eq!(e.pos, Some(Pos { line: 3, col: 3 }));
        let e = de::<T>("name: x\nport: http\n").unwrap_err();
        assert_eq!(e.message, "expected an integer, found string \"http\"");
        let e = de::<Vec<T>>("- name: x\n- port: 1\n").unwrap_err();
        assert_eq!(e.message, "missing required field `name`");
        assert_eq!(format_path(&e.path), "[1]");
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("contxt", &["image", "context"]),
            Some("context")
        );
        assert_eq!(
            did_you_mean("dockerFile", &["dockerfile"]),
            Some("dockerfile")
        );
        assert_eq!(did_you_mean("zzz", &["image", "context"]), None);
    }
}
