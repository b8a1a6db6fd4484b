//! Request bodies in Kubernetes' protobuf encoding, for the few kinds clients send that way.
//!
//! client-go clientsets can write protobuf (helm stores its releases as Secrets through one,
//! with `Content-Type: application/vnd.kubernetes.protobuf`, while accepting JSON answers). A
//! body is the magic `k8s\0` followed by a `runtime.Unknown` message (`typeMeta` = field 1 with
//! `apiVersion` 1 and `kind` 2; `raw` = field 2), whose `raw` is the object's own message.
//!
//! Decoded here, into the object's JSON: `v1` Secret and ConfigMap with the ObjectMeta fields a
//! client sets (name, generateName, namespace, uid, resourceVersion, generation, labels,
//! annotations, finalizers). Other ObjectMeta fields are server-owned and dropped; any other
//! kind is an error naming it.

use base64::Engine;
use serde_json::{Map, Value, json};

/// The magic prefix of a Kubernetes protobuf body.
pub const MAGIC: &[u8] = b"k8s\0";

/// Whether `bytes` is a Kubernetes protobuf body.
pub fn is_protobuf(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// The JSON object a protobuf body (with its magic prefix) encodes.
pub fn decode(bytes: &[u8]) -> Result<Value, String> {
    let envelope = bytes
        .strip_prefix(MAGIC)
        .ok_or("a protobuf body starts with k8s\\0")?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for field in Fields(envelope) {
        match field? {
            (1, Wire::Bytes(type_meta)) => {
                for field in Fields(type_meta) {
                    match field? {
                        (1, Wire::Bytes(b)) => api_version = text(b)?,
                        (2, Wire::Bytes(b)) => kind = text(b)?,
                        _ => {}
                    }
                }
            }
            (2, Wire::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    let mut object = match (api_version.as_str(), kind.as_str()) {
        ("v1", "Secret") => secret(raw)?,
        ("v1", "ConfigMap") => config_map(raw)?,
        _ => {
            return Err(format!(
                "protobuf bodies of {api_version} {kind} are not supported (send JSON)"
            ));
        }
    };
    object.insert("apiVersion".into(), api_version.into());
    object.insert("kind".into(), kind.into());
    Ok(Value::Object(object))
}

fn secret(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let mut object = Map::new();
    let (mut data, mut string_data) = (Map::new(), Map::new());
    for field in Fields(raw) {
        match field? {
            (1, Wire::Bytes(b)) => {
                object.insert("metadata".into(), object_meta(b)?);
            }
            (2, Wire::Bytes(b)) => {
                let (key, value) = map_entry(b)?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(value);
                data.insert(key, encoded.into());
            }
            (3, Wire::Bytes(b)) => {
                object.insert("type".into(), text(b)?.into());
            }
            (4, Wire::Bytes(b)) => {
                let (key, value) = map_entry(b)?;
                string_data.insert(key, text(value)?.into());
            }
            (5, Wire::Varint(v)) => {
                object.insert("immutable".into(), (v != 0).into());
            }
            _ => {}
        }
    }
    insert_non_empty(&mut object, "data", data);
    insert_non_empty(&mut object, "stringData", string_data);
    Ok(object)
}

fn config_map(raw: &[u8]) -> Result<Map<String, Value>, String> {
    let mut object = Map::new();
    let (mut data, mut binary_data) = (Map::new(), Map::new());
    for field in Fields(raw) {
        match field? {
            (1, Wire::Bytes(b)) => {
                object.insert("metadata".into(), object_meta(b)?);
            }
            (2, Wire::Bytes(b)) => {
                let (key, value) = map_entry(b)?;
                data.insert(key, text(value)?.into());
            }
            (3, Wire::Bytes(b)) => {
                let (key, value) = map_entry(b)?;
                let encoded = base64::engine::general_purpose::STANDARD.encode(value);
                binary_data.insert(key, encoded.into());
            }
            (4, Wire::Varint(v)) => {
                object.insert("immutable".into(), (v != 0).into());
            }
            _ => {}
        }
    }
    insert_non_empty(&mut object, "data", data);
    insert_non_empty(&mut object, "binaryData", binary_data);
    Ok(object)
}

fn object_meta(raw: &[u8]) -> Result<Value, String> {
    let mut meta = Map::new();
    let (mut labels, mut annotations, mut finalizers) = (Map::new(), Map::new(), Vec::new());
    for field in Fields(raw) {
        let (number, wire) = field?;
        let key = match number {
            1 => "name",
            2 => "generateName",
            3 => "namespace",
            5 => "uid",
            6 => "resourceVersion",
            _ => "",
        };
        match (number, wire) {
            (7, Wire::Varint(v)) => {
                meta.insert("generation".into(), json!(v));
            }
            (11, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                labels.insert(k, text(v)?.into());
            }
            (12, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b)?;
                annotations.insert(k, text(v)?.into());
            }
            (14, Wire::Bytes(b)) => finalizers.push(Value::from(text(b)?)),
            (_, Wire::Bytes(b)) if !key.is_empty() && !b.is_empty() => {
                meta.insert(key.into(), text(b)?.into());
            }
            _ => {}
        }
    }
    insert_non_empty(&mut meta, "labels", labels);
    insert_non_empty(&mut meta, "annotations", annotations);
    if !finalizers.is_empty() {
        meta.insert("finalizers".into(), finalizers.into());
    }
    Ok(Value::Object(meta))
}

fn insert_non_empty(object: &mut Map<String, Value>, key: &str, map: Map<String, Value>) {
    if !map.is_empty() {
        object.insert(key.into(), Value::Object(map));
    }
}

/// A `map<string, …>` entry: key = field 1, value = field 2 (either may be absent).
fn map_entry(raw: &[u8]) -> Result<(String, &[u8]), String> {
    let (mut key, mut value) = (String::new(), &[][..]);
    for field in Fields(raw) {
        match field? {
            (1, Wire::Bytes(b)) => key = text(b)?,
            (2, Wire::Bytes(b)) => value = b,
            _ => {}
        }
    }
    Ok((key, value))
}

fn text(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "a protobuf string is not UTF-8".to_string())
}

/// One field's value in the protobuf wire format.
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

/// The fields of one message, in order.
struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u64, Wire<'a>), String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.0.is_empty() {
            return None;
        }
        Some(self.field())
    }
}

impl<'a> Fields<'a> {
    fn field(&mut self) -> Result<(u64, Wire<'a>), String> {
        let tag = self.varint()?;
        let wire = match tag & 7 {
            0 => Wire::Varint(self.varint()?),
            1 => self.skip(8)?,
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| truncated())?;
                Wire::Bytes(self.take(len)?)
            }
            5 => self.skip(4)?,
            other => return Err(format!("unsupported protobuf wire type {other}")),
        };
        Ok((tag >> 3, wire))
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.0.split_first().ok_or_else(truncated)?;
            self.0 = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a protobuf varint is too long".into())
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], String> {
        if self.0.len() < len {
            return Err(truncated());
        }
        let (head, rest) = self.0.split_at(len);
        self.0 = rest;
        Ok(head)
    }

    fn skip(&mut self, len: usize) -> Result<Wire<'a>, String> {
        self.take(len).map(|_| Wire::Fixed)
    }
}

fn truncated() -> String {
    "the protobuf body is truncated".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes a length-delimited field.
    fn bytes_field(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::try_from(number << 3 | 2).unwrap()];
        let mut len = payload.len();
        loop {
            let byte = u8::try_from(len & 0x7f).unwrap();
            len >>= 7;
            if len == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
        out.extend_from_slice(payload);
        out
    }

    fn entry(key: &str, value: &[u8]) -> Vec<u8> {
        [bytes_field(1, key.as_bytes()), bytes_field(2, value)].concat()
    }

    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let type_meta = [
            bytes_field(1, api_version.as_bytes()),
            bytes_field(2, kind.as_bytes()),
        ]
        .concat();
        [MAGIC, &bytes_field(1, &type_meta), &bytes_field(2, raw)].concat()
    }

    #[test]
    fn a_secret_decodes_with_its_metadata_and_base64_data() {
        let meta = [
            bytes_field(1, b"sh.helm.release.v1.web.v1"),
            bytes_field(3, b""),
            bytes_field(11, &entry("owner", b"helm")),
            bytes_field(11, &entry("status", b"deployed")),
            vec![7 << 3, 3],
        ]
        .concat();
        let raw = [
            bytes_field(1, &meta),
            bytes_field(2, &entry("release", &[0xff, 0x00, b'a'])),
            bytes_field(3, b"helm.sh/release.v1"),
            vec![5 << 3, 1],
        ]
        .concat();
        let body = envelope("v1", "Secret", &raw);
        assert!(is_protobuf(&body));
        assert_eq!(
            decode(&body).unwrap(),
            json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": "sh.helm.release.v1.web.v1",
                    "generation": 3,
                    "labels": {"owner": "helm", "status": "deployed"},
                },
                "data": {"release": "/wBh"},
                "type": "helm.sh/release.v1",
                "immutable": true,
            })
        );
    }

    #[test]
    fn a_config_map_decodes_text_and_binary_data() {
        let raw = [
            bytes_field(1, &bytes_field(1, b"settings")),
            bytes_field(2, &entry("greeting", b"hello")),
            bytes_field(3, &entry("blob", b"\x01")),
        ]
        .concat();
        assert_eq!(
            decode(&envelope("v1", "ConfigMap", &raw)).unwrap(),
            json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "settings"},
                "data": {"greeting": "hello"},
                "binaryData": {"blob": "AQ=="},
            })
        );
    }

    #[test]
    fn other_kinds_and_broken_bodies_are_errors() {
        let err = decode(&envelope("apps/v1", "Deployment", &[])).unwrap_err();
        assert!(err.contains("apps/v1 Deployment"), "{err}");
        let mut truncated = envelope("v1", "Secret", &bytes_field(1, b"abc"));
        truncated.pop();
        assert!(decode(&truncated).unwrap_err().contains("truncated"));
        assert!(!is_protobuf(b"{}"));
    }
}
