//! go-digest's `Digest.Validate` for the digest of a reference that already follows the
//! reference grammar.

use std::sync::LazyLock;

use regex::Regex;

use super::ReferenceError;

/// go-digest's `DigestRegexpAnchored`: the shape of a digest of any algorithm.
static DIGEST_ANCHORED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")
        .expect("go-digest's pattern is a valid regular expression")
});

/// Checks `digest` (`algorithm:hex`): a known algorithm (sha256, sha384, sha512) with lower-case
/// hex of that algorithm's length.
pub(super) fn validate(digest: &str) -> Result<(), ReferenceError> {
    let Some((algorithm, encoded)) = digest
        .split_once(':')
        .filter(|(algorithm, encoded)| !algorithm.is_empty() && !encoded.is_empty())
    else {
        return Err(ReferenceError::DigestInvalidFormat);
    };
    let hex_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ if DIGEST_ANCHORED.is_match(digest) => return Err(ReferenceError::DigestUnsupported),
        _ => return Err(ReferenceError::DigestInvalidFormat),
    };
    if encoded.len() != hex_len {
        return Err(ReferenceError::DigestInvalidLength);
    }
    if encoded
        .bytes()
        .all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9'))
    {
        Ok(())
    } else {
        Err(ReferenceError::DigestInvalidFormat)
    }
}
