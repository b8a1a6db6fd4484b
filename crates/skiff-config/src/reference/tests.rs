//! `parse_reference` and friends: Skaffold's `TestParseReference` table, then the grammar's and
//! go-digest's corner cases with Go's error messages.

use super::*;

const SHA: &str = "sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883";

fn parsed(image: &str) -> ImageReference {
    parse_reference(image).unwrap_or_else(|e| panic!("{image}: {e}"))
}

#[test]
fn skaffold_parse_reference_table() {
    // (image, name, tag, digest, fully qualified)
    let cases: &[(&str, &str, &str, &str, bool)] = &[
        (
            "host:1234/user/container:tag",
            "host:1234/user/container",
            "tag",
            "",
            true,
        ),
        (
            "host:1234/user/container",
            "host:1234/user/container",
            "",
            "",
            false,
        ),
        (
            "host/user/container:tag",
            "host/user/container",
            "tag",
            "",
            true,
        ),
        (
            "host/user/container:latest",
            "host/user/container",
            "latest",
            "",
            false,
        ),
        (
            &format!("gcr.io/k8s-skaffold/example@{SHA}"),
            "gcr.io/k8s-skaffold/example",
            "",
            SHA,
            true,
        ),
        (
            &format!("gcr.io/k8s-skaffold/example:v1@{SHA}"),
            "gcr.io/k8s-skaffold/example",
            "v1",
            SHA,
            true,
        ),
        ("nginx:latest", "nginx", "latest", "", false),
        (
            "ko://host/user/container",
            "host/user/container",
            "",
            "",
            false,
        ),
        (
            "ko://github.com/GoogleContainerTools/skaffold",
            "github.com/googlecontainertools/skaffold",
            "",
            "",
            false,
        ),
        (
            "gcr.io/k8s-skaffold/Example:Tag",
            "gcr.io/k8s-skaffold/example",
            "Tag",
            "",
            true,
        ),
        (
            &format!("us-central1-docker.pkg.dev/k8s-skaffold/Example:Tag@{SHA}"),
            "us-central1-docker.pkg.dev/k8s-skaffold/example",
            "Tag",
            SHA,
            true,
        ),
    ];
    for (image, name, tag, digest, fq) in cases {
        let r = parsed(image);
        assert_eq!(r.base_name, *name, "{image}");
        assert_eq!(r.tag, *tag, "{image}");
        assert_eq!(r.digest, *digest, "{image}");
        assert_eq!(r.fully_qualified, *fq, "{image}");
    }
    assert!(parse_reference("!!invalid!!").is_err());
}

#[test]
fn plain_name_has_no_domain_and_no_repo() {
    let r = parsed("busybox");
    assert_eq!(
        r,
        ImageReference {
            base_name: "busybox".into(),
            path: "busybox".into(),
            ..ImageReference::default()
        }
    );
}

#[test]
fn first_component_is_the_domain_when_it_can_be() {
    let r = parsed("localhost:5000/team/app:v2");
    assert_eq!(
        (r.domain.as_str(), r.path.as_str()),
        ("localhost:5000", "team/app")
    );
    assert_eq!(
        (r.repo.as_str(), r.name.as_str()),
        ("localhost:5000/team", "app")
    );

    let r = parsed("app/app:app");
    assert_eq!(
        (r.domain.as_str(), r.repo.as_str(), r.tag.as_str()),
        ("app", "app", "app")
    );

    let r = parsed("my_org/app");
    assert_eq!((r.domain.as_str(), r.path.as_str()), ("", "my_org/app"));
}

#[test]
fn port_and_ipv6_domains_are_not_tags() {
    let r = parsed("localhost:5000/app");
    assert_eq!((r.domain.as_str(), r.tag.as_str()), ("localhost:5000", ""));
    let r = parsed("localhost:5000/app:1.0");
    assert_eq!(
        (r.base_name.as_str(), r.tag.as_str()),
        ("localhost:5000/app", "1.0")
    );
    let r = parsed("[::1]:5000/app:dev");
    assert_eq!((r.domain.as_str(), r.tag.as_str()), ("[::1]:5000", "dev"));
    let r = parsed("app:5000");
    assert_eq!((r.base_name.as_str(), r.tag.as_str()), ("app", "5000"));
}

#[test]
fn sanitizing_drops_ko_and_lowercases_the_name_but_not_the_tag() {
    assert_eq!(sanitize_image_name("ko://Foo/Bar:TaG"), "foo/bar:TaG");
    assert_eq!(sanitize_image_name("Img"), "img");
    assert_eq!(sanitize_image_name("not valid"), "not valid");
    assert_eq!(sanitize_image_name("ko://not valid"), "not valid");
    assert!(parse_reference("UPPER/Case").is_ok());
}

#[test]
fn case_folds_like_go() {
    // Go's case-insensitive `[a-z]` matches the Kelvin sign, and `strings.ToLower` maps it to `k`.
    assert_eq!(sanitize_image_name("\u{212A}ube:V1"), "kube:V1");
    assert_eq!(parsed("\u{212A}ube").base_name, "kube");
    // `İ` does not fold to `i`, so it survives sanitizing, but Go's lower-casing maps it to `i`.
    assert_eq!(
        parse_reference("\u{130}mage"),
        Err(ReferenceError::NameContainsUppercase)
    );
    assert_eq!(
        ReferenceError::NameContainsUppercase.to_string(),
        "repository name must be lowercase"
    );
}

#[test]
fn separators_follow_the_grammar() {
    for ok in ["a_b", "a__b", "a---b", "a.b/c-d", "A.b/c"] {
        assert!(parse_reference(ok).is_ok(), "{ok}");
    }
    for bad in ["a___b", "a_.b", "a/", "/a", "a//b", "-app", "a..b"] {
        assert_eq!(
            parse_reference(bad),
            Err(ReferenceError::InvalidFormat),
            "{bad}"
        );
    }
}

#[test]
fn invalid_references_say_why() {
    assert_eq!(parse_reference(""), Err(ReferenceError::NameEmpty));
    for bad in [
        "not valid",
        "app:",
        "x/app:with/slash",
        "registry.example.com:8080:garbage",
        "test:bar:bar",
        &format!("app:{}", "t".repeat(129)),
    ] {
        assert_eq!(
            parse_reference(bad),
            Err(ReferenceError::InvalidFormat),
            "{bad}"
        );
    }
    assert_eq!(
        ReferenceError::InvalidFormat.to_string(),
        "invalid reference format"
    );
    assert_eq!(
        ReferenceError::NameEmpty.to_string(),
        "repository name must have at least one component"
    );
}

#[test]
fn only_the_path_counts_towards_the_length_limit() {
    assert!(parse_reference(&format!("app:{}", "t".repeat(128))).is_ok());
    assert!(parse_reference(&"a".repeat(255)).is_ok());
    assert_eq!(
        parse_reference(&"a".repeat(256)),
        Err(ReferenceError::NameTooLong)
    );
    assert_eq!(
        parse_reference(&format!("a/{}", "b".repeat(256))),
        Err(ReferenceError::NameTooLong)
    );
    // `a/` is the domain here, so the path is 255 characters.
    assert!(parse_reference(&format!("a/{}", "b".repeat(255))).is_ok());
    assert_eq!(
        ReferenceError::NameTooLong.to_string(),
        "repository name must not be more than 255 characters"
    );
}

#[test]
fn digests_are_checked_like_go_digest() {
    let r = parsed(&format!("gcr.io/a/b:v2@{SHA}"));
    assert_eq!(
        (r.base_name.as_str(), r.tag.as_str(), r.digest.as_str()),
        ("gcr.io/a/b", "v2", SHA)
    );
    for ok in [
        format!("app@sha384:{}", "a".repeat(96)),
        format!("app@sha512:{}", "0".repeat(128)),
    ] {
        assert!(parsed(&ok).fully_qualified, "{ok}");
    }
    let cases = [
        (
            "app@sha256:0123456789abcdef0123456789abcdef",
            ReferenceError::DigestInvalidLength,
        ),
        (
            "app@md5:0123456789abcdef0123456789abcdef",
            ReferenceError::DigestUnsupported,
        ),
        // An unknown algorithm that go-digest's shape rejects (upper case).
        (
            "app@MD5:0123456789abcdef0123456789abcdef",
            ReferenceError::DigestInvalidFormat,
        ),
        (
            &format!("app@{}", SHA.to_uppercase().replacen("SHA256", "sha256", 1)),
            ReferenceError::DigestInvalidFormat,
        ),
        // The grammar wants 32 or more hex digits.
        ("app@sha256:0123", ReferenceError::InvalidFormat),
    ];
    for (image, want) in cases {
        assert_eq!(parse_reference(image), Err(want), "{image}");
    }
    assert_eq!(
        ReferenceError::DigestInvalidFormat.to_string(),
        "invalid checksum digest format"
    );
    assert_eq!(
        ReferenceError::DigestInvalidLength.to_string(),
        "invalid checksum digest length"
    );
    assert_eq!(
        ReferenceError::DigestUnsupported.to_string(),
        "unsupported digest algorithm"
    );
}

#[test]
fn gcp_prefix_is_a_domain_and_a_project() {
    let prefix = |s: &str| GCP_PREFIX.find(s).map(|m| m.as_str().to_string());
    assert_eq!(
        prefix("gcr.io/my-project/app").as_deref(),
        Some("gcr.io/my-project/")
    );
    assert_eq!(prefix("gcr.io/abc/app"), None);
}

#[test]
fn tag_with_digest_appends_once() {
    assert_eq!(tag_with_digest("app:v1", SHA), format!("app:v1@{SHA}"));
    let pinned = format!("app:v1@{SHA}");
    assert_eq!(tag_with_digest(&pinned, SHA), pinned);
    assert_eq!(
        tag_with_digest("a:1sha256:x", "sha256:x"),
        "a:1sha256:x@sha256:x"
    );
}
