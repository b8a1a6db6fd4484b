//! Splitting image references into repository, tag and digest.

/// Splits `repo[:tag][@digest]` into the repository and the tag, if any. A `:` that belongs to a
/// registry port (`127.0.0.1:5000/app`) is not a tag separator; a digest is dropped.
pub fn split_tag(reference: &str) -> (&str, Option<&str>) {
    let without_digest = reference
        .split_once('@')
        .map_or(reference, |(name, _)| name);
    let last_slash = without_digest.rfind('/').map_or(0, |i| i + 1);
    match without_digest[last_slash..].rfind(':') {
        Some(i) => {
            let colon = last_slash + i;
            (&without_digest[..colon], Some(&without_digest[colon + 1..]))
        }
        None => (without_digest, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_off_but_ports_are_not() {
        assert_eq!(split_tag("app"), ("app", None));
        assert_eq!(split_tag("app:1"), ("app", Some("1")));
        assert_eq!(
            split_tag("127.0.0.1:5000/app"),
            ("127.0.0.1:5000/app", None)
        );
        assert_eq!(
            split_tag("127.0.0.1:5000/team/app:v2"),
            ("127.0.0.1:5000/team/app", Some("v2"))
        );
        assert_eq!(
            split_tag("localhost:5000/app:1@sha256:ab"),
            ("localhost:5000/app", Some("1"))
        );
        assert_eq!(split_tag("app@sha256:ab"), ("app", None));
    }
}
