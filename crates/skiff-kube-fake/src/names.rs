//! Generated names, hashes and timestamps in the forms Kubernetes uses.

use serde_json::Value;

/// The alphabet Kubernetes uses for generated name suffixes and hashes (no vowels, no
/// look-alike digits, so generated names never spell words).
const SAFE_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// A random suffix of `len` safe characters, as `generateName` appends (`web-7c9d8-x2kqz`).
pub fn random_suffix(len: usize) -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes
        .iter()
        .cycle()
        .take(len)
        .map(|b| SAFE_ALPHABET[usize::from(*b) % SAFE_ALPHABET.len()] as char)
        .collect()
}

/// A stable short hash of a pod template, like the `pod-template-hash` label.
pub fn template_hash(template: &Value) -> String {
    // FNV-1a over the canonical JSON text: stable across runs and processes.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in template.to_string().bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let mut out = String::new();
    for _ in 0..10 {
        out.push(SAFE_ALPHABET[(hash % SAFE_ALPHABET.len() as u64) as usize] as char);
        hash /= SAFE_ALPHABET.len() as u64;
    }
    out
}

/// A new object uid.
pub fn uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Now, as metadata timestamps are written: RFC 3339 with whole seconds (`2025-01-02T03:04:05Z`).
pub fn now_rfc3339() -> String {
    format!("{:.0}", jiff::Timestamp::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn suffix_uses_the_safe_alphabet() {
        let s = random_suffix(5);
        assert_eq!(s.len(), 5);
        assert!(s.bytes().all(|b| SAFE_ALPHABET.contains(&b)), "{s}");
    }

    #[test]
    fn template_hash_is_stable_and_sensitive() {
        let a = json!({"spec": {"containers": [{"image": "a:1"}]}});
        let b = json!({"spec": {"containers": [{"image": "a:2"}]}});
        assert_eq!(template_hash(&a), template_hash(&a.clone()));
        assert_ne!(template_hash(&a), template_hash(&b));
    }

    #[test]
    fn timestamps_have_whole_seconds() {
        let ts = now_rfc3339();
        assert!(ts.ends_with('Z') && !ts.contains('.'), "{ts}");
    }
}
