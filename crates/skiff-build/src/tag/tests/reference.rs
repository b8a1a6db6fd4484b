//! `parse_reference` — Skaffold's `TestParseReference` table plus error messages.

use crate::tag::reference::{ReferenceError, parse_reference, sanitize_image_name};

const DIGEST: &str = "sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883";

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
            "gcr.io/k8s-skaffold/example@sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883",
            "gcr.io/k8s-skaffold/example",
            "",
            DIGEST,
            true,
        ),
        (
            "gcr.io/k8s-skaffold/example:v1@sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883",
            "gcr.io/k8s-skaffold/example",
            "v1",
            DIGEST,
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
            "us-central1-docker.pkg.dev/k8s-skaffold/Example:Tag@sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883",
            "us-central1-docker.pkg.dev/k8s-skaffold/example",
            "Tag",
            DIGEST,
            true,
        ),
    ];
    for (image, name, tag, digest, fq) in cases {
        let r = parse_reference(image).unwrap_or_else(|e| panic!("{image}: {e}"));
        assert_eq!(r.base_name, *name, "{image}");
        assert_eq!(r.tag, *tag, "{image}");
        assert_eq!(r.digest, *digest, "{image}");
        assert_eq!(r.fully_qualified, *fq, "{image}");
    }
    assert!(parse_reference("!!invalid!!").is_err());
}

#[test]
fn parts_of_a_reference() {
    let r = parse_reference("localhost:5000/team/app:v2").unwrap();
    assert_eq!(r.domain, "localhost:5000");
    assert_eq!(r.path, "team/app");
    assert_eq!(r.repo, "localhost:5000/team");
    assert_eq!(r.name, "app");
    let r = parse_reference("app").unwrap();
    assert_eq!((r.domain.as_str(), r.path.as_str()), ("", "app"));
    assert_eq!((r.repo.as_str(), r.name.as_str()), ("", ""));
}

#[test]
fn errors_read_like_go() {
    assert_eq!(parse_reference("").unwrap_err(), ReferenceError::NameEmpty);
    assert_eq!(
        parse_reference("registry.example.com:8080:garbage").unwrap_err(),
        ReferenceError::InvalidFormat
    );
    assert_eq!(
        parse_reference("test:bar:bar").unwrap_err().to_string(),
        "invalid reference format"
    );
    assert_eq!(
        parse_reference(&format!("a/{}", "b".repeat(256))).unwrap_err(),
        ReferenceError::NameTooLong
    );
    assert_eq!(
        parse_reference("img@sha256:abcd1234abcd1234abcd1234abcd1234").unwrap_err(),
        ReferenceError::DigestInvalidLength
    );
    assert_eq!(
        parse_reference("img@md5:abcd1234abcd1234abcd1234abcd1234").unwrap_err(),
        ReferenceError::DigestUnsupported
    );
    assert_eq!(
        ReferenceError::DigestInvalidFormat.to_string(),
        "invalid checksum digest format"
    );
}

#[test]
fn sanitizing_keeps_the_tag_case() {
    assert_eq!(sanitize_image_name("ko://Foo/Bar:TaG"), "foo/bar:TaG");
    assert_eq!(sanitize_image_name("Img"), "img");
}
