//! `--default-repo` — Skaffold's `TestImageReplaceDefaultRepo` table.

use crate::tag::default_repo::{substitute, try_substitute};

#[test]
fn skaffold_default_repo_table() {
    let long = "gcr.io/herewehaveanincrediblylongregistryname/herewealsohaveanabnormallylongimagename/doubtyouveseenanimagethislong/butyouneverknowdoyouimeanpeopledosomecrazystuffoutthere/goodluckpushingthistoanyregistrymyfriend";
    let long_expected = "aws_account_id.dkr.ecr.region.amazonaws.com/gcr_io_herewehaveanincrediblylongregistryname_herewealsohaveanabnormallylongimagename_doubtyouveseenanimagethislong_butyouneverknowdoyouimeanpeopledosomecrazystuffoutthere_goodluckpushingthistoanyregistrymyfrien";
    let digest = "sha256:81daf011d63b68cfa514ddab7741a1adddd59d3264118dfb0fd9266328bb8883";
    // (description, image, default repo, multi-level repo, expected)
    type Case<'a> = (&'a str, String, Option<&'a str>, Option<bool>, String);
    let cases: Vec<Case<'_>> = vec![
        (
            "basic GCR concatenation",
            "gcr.io/some/registry".into(),
            Some("gcr.io/default"),
            None,
            "gcr.io/default/gcr.io/some/registry".into(),
        ),
        (
            "basic GCR concatenation without multi-level",
            "gcr.io/some/registry".into(),
            Some("gcr.io/default"),
            Some(false),
            "gcr.io/default/gcr.io/some/registry".into(),
        ),
        (
            "basic AR concatenation",
            "github.com/org/app".into(),
            Some("us-central1-docker.pkg.dev/default"),
            None,
            "us-central1-docker.pkg.dev/default/github.com/org/app".into(),
        ),
        (
            "basic AR concatenation without multi-level",
            "github.com/org/app".into(),
            Some("us-central1-docker.pkg.dev/default"),
            Some(false),
            "us-central1-docker.pkg.dev/default/github.com/org/app".into(),
        ),
        (
            "no default repo set",
            "gcr.io/some/registry".into(),
            None,
            None,
            "gcr.io/some/registry".into(),
        ),
        (
            "provided image has defaultRepo prefix",
            "gcr.io/default/registry".into(),
            Some("gcr.io/default"),
            None,
            "gcr.io/default/registry".into(),
        ),
        (
            "provided image has defaultRepo eu prefix",
            "eu.gcr.io/project/registry".into(),
            Some("eu.gcr.io/project"),
            None,
            "eu.gcr.io/project/registry".into(),
        ),
        (
            "image has shared prefix with defaultRepo",
            "gcr.io/default/example/registry".into(),
            Some("gcr.io/default/repository"),
            None,
            "gcr.io/default/repository/example/registry".into(),
        ),
        (
            "aws",
            "gcr.io/some/registry".into(),
            Some("aws_account_id.dkr.ecr.region.amazonaws.com"),
            None,
            "aws_account_id.dkr.ecr.region.amazonaws.com/gcr_io_some_registry".into(),
        ),
        (
            "aws multi-level",
            "gcr.io/some/registry".into(),
            Some("aws_account_id.dkr.ecr.region.amazonaws.com"),
            Some(true),
            "aws_account_id.dkr.ecr.region.amazonaws.com/gcr.io/some/registry".into(),
        ),
        (
            "aws over 255 chars",
            long.into(),
            Some("aws_account_id.dkr.ecr.region.amazonaws.com"),
            None,
            long_expected.into(),
        ),
        (
            "normal GCR concatenation with numbers and other characters",
            "gcr.io/k8s-skaffold/skaffold-example".into(),
            Some("gcr.io/k8s-skaffold"),
            None,
            "gcr.io/k8s-skaffold/skaffold-example".into(),
        ),
        (
            "image has shared prefix with defaultRepo, but not gcr",
            "myrepo/skaffold-example".into(),
            Some("myrepo"),
            None,
            "myrepo/skaffold-example".into(),
        ),
        (
            "ko with GCR",
            "ko://example.com/cmd/app".into(),
            Some("gcr.io/default"),
            None,
            "gcr.io/default/example.com/cmd/app".into(),
        ),
        (
            "ko not with GCR",
            "ko://example.com/cmd/app".into(),
            Some("myrepo"),
            None,
            "myrepo/example_com_cmd_app".into(),
        ),
        (
            "ko multi-level not with GCR",
            "ko://example.com/cmd/app".into(),
            Some("myrepo"),
            Some(true),
            "myrepo/example.com/cmd/app".into(),
        ),
        (
            "keep tag",
            "img:tag".into(),
            Some("gcr.io/default"),
            None,
            "gcr.io/default/img:tag".into(),
        ),
        (
            "keep digest",
            format!("img@{digest}"),
            Some("gcr.io/default"),
            None,
            format!("gcr.io/default/img@{digest}"),
        ),
        (
            "keep tag and digest",
            format!("img:tag@{digest}"),
            Some("gcr.io/default"),
            None,
            format!("gcr.io/default/img:tag@{digest}"),
        ),
    ];
    for (description, image, repo, multi, expected) in &cases {
        assert_eq!(
            try_substitute(image, *repo, *multi).unwrap(),
            *expected,
            "{description}"
        );
        if multi.is_none() {
            assert_eq!(substitute(image, *repo), *expected, "{description}");
        }
    }
    assert!(try_substitute("!!invalid!!", Some("gcr.io/default"), None).is_err());
    // The infallible form leaves an invalid name alone.
    assert_eq!(
        substitute("!!invalid!!", Some("gcr.io/default")),
        "!!invalid!!"
    );
}

#[test]
fn empty_default_repo_is_no_default_repo() {
    assert_eq!(substitute("Not/Parsed!", Some("")), "Not/Parsed!");
    assert_eq!(substitute("img:1", None), "img:1");
}

#[test]
fn names_are_lowercased_and_escaped_for_single_level_registries() {
    assert_eq!(
        substitute("Example.com/My_App:v1", Some("localhost:5000")),
        "localhost:5000/example_com_my_app:v1"
    );
    // A default repo without a GCP project id is not multi-level, even on gcr.io.
    assert_eq!(substitute("a/b", Some("gcr.io/abc")), "gcr.io/abc/a_b");
}
