//! The full references, the fall-back, `--tag`, `--default-repo` and the per-pipeline mux.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_config::model::{
    Artifact, ArtifactType, BuildConfig, DockerArtifact, EnvTemplateTagger as EnvTemplateConfig,
    GitTagger, ShaTagger, TagPolicy,
};

use crate::tag::{
    ChecksumTagger, CustomTag, DateTimeTagger, EnvTemplateTagger, FALLBACK_WARNING, TagError,
    TagInput, Tagger, TaggerMux, TaggerSettings, dockerfile_for_digest,
    generate_fully_qualified_image_name, image_tags,
};

fn env_tagger(template: &str) -> EnvTemplateTagger {
    EnvTemplateTagger::new(template)
        .unwrap()
        .with_env(Arc::new([("FOO".to_string(), "BAR".to_string())].into()))
}

#[test]
fn skaffold_fully_qualified_image_name_cases() {
    let full = |t: &dyn Tagger, image: &str| {
        generate_fully_qualified_image_name(t, &TagInput::new(image, Path::new(".")))
    };
    assert_eq!(full(&ChecksumTagger, "test").unwrap(), "test:latest");
    assert_eq!(full(&ChecksumTagger, "test:tag").unwrap(), "test:tag");
    assert_eq!(full(&env_tagger("{{.FOO}}"), "test").unwrap(), "test:BAR");
    assert!(full(&env_tagger("{{.BAR}}"), "test").is_err());
    let date = DateTimeTagger::new("2006-01-02", "UTC").with_clock(Arc::new(|| {
        "2015-03-07T11:06:39Z".parse::<jiff::Timestamp>().unwrap()
    }));
    assert_eq!(full(&date, "test").unwrap(), "test:2015-03-07");
    assert!(full(&DateTimeTagger::new("2006", "FOO"), "test").is_err());
    let err = full(&CustomTag::new("bar:bar"), "test").unwrap_err();
    assert_eq!(
        err.to_string(),
        "parsing image name: invalid reference format"
    );
    assert!(full(&ChecksumTagger, "test:bar:bar").is_err());
    let err = full(&env_tagger("{{.BAR}}"), "test").unwrap_err();
    assert!(err.to_string().starts_with("generating tag: "), "{err}");
}

struct Failing;

impl Tagger for Failing {
    fn generate_tag(&self, _: &TagInput<'_>) -> Result<String, TagError> {
        Err(TagError::NoTagger("boom".into()))
    }
}

fn run(
    tagger: &dyn Tagger,
    images: &[&str],
    default_repo: Option<&str>,
) -> (Result<crate::tag::ImageTags, TagError>, String) {
    let inputs: Vec<TagInput<'_>> = images
        .iter()
        .map(|i| TagInput::new(i, Path::new(".")))
        .collect();
    let mut out = Vec::new();
    let r = image_tags(tagger, &inputs, default_repo, None, &mut out);
    (r, String::from_utf8(out).unwrap())
}

#[test]
fn output_and_default_repo() {
    let (tags, out) = run(
        &CustomTag::new("v1"),
        &["app", "gcr.io/x/worker", "img:old"],
        Some("gcr.io/my-project"),
    );
    let tags = tags.unwrap();
    // `img:old:v1` is not a reference: that artifact falls back to sha256 (keeping `old`).
    assert_eq!(
        out,
        format!(
            "Generating tags...\n - app -> gcr.io/my-project/app:v1\n - gcr.io/x/worker -> gcr.io/my-project/gcr.io/x/worker:v1\n - img:old -> gcr.io/my-project/img:old\n{FALLBACK_WARNING}\n"
        )
    );
    assert_eq!(tags.get("app"), Some("gcr.io/my-project/app:v1"));
    assert!(tags.any_fallback());

    let (tags, out) = run(&CustomTag::new("v1"), &["app"], None);
    assert_eq!(out, "Generating tags...\n - app -> app:v1\n");
    assert!(!tags.unwrap().any_fallback());

    let (_, out) = run(&CustomTag::new("v1"), &[], None);
    assert_eq!(out, "No tags generated\n");
}

#[test]
fn failing_tagger_falls_back_to_sha256() {
    let mut mux = TaggerMux::new();
    mux.insert("bad", Arc::new(Failing));
    mux.insert("good", Arc::new(CustomTag::new("1.0")));
    mux.insert("bad:pinned", Arc::new(Failing));
    let (tags, out) = run(&mux, &["good", "bad", "bad:pinned", "unknown"], None);
    let tags = tags.unwrap();
    assert_eq!(
        out,
        format!(
            "Generating tags...\n - good -> good:1.0\n - bad -> bad:latest\n - bad:pinned -> bad:pinned\n - unknown -> unknown:latest\n{FALLBACK_WARNING}\n"
        )
    );
    assert_eq!(
        FALLBACK_WARNING,
        "Some taggers failed. Rerun with -vdebug for errors."
    );
    assert!(tags.any_fallback());
    let unknown = tags.tags.iter().find(|t| t.image == "unknown").unwrap();
    assert_eq!(
        unknown.fallback_cause.as_ref().unwrap().to_string(),
        "generating tag: no valid tagger found for artifact: \"unknown\""
    );
    assert!(tags.tags[0].fallback_cause.is_none());
}

#[test]
fn invalid_image_name_fails_even_the_fallback() {
    let (r, _) = run(&Failing, &["Not Valid"], None);
    let err = r.unwrap_err();
    assert!(matches!(err, TagError::Fallback { .. }));
    assert_eq!(
        err.to_string(),
        "generating checksum as fall-back tag for \"Not Valid\": generating tag: invalid reference format"
    );
}

#[test]
fn empty_tag_keeps_the_image_name() {
    let (tags, _) = run(&CustomTag::new("v1"), &["app"], None);
    assert_eq!(tags.unwrap().get("app"), Some("app:v1"));
    let (tags, _) = run(&ChecksumTagger, &["app:given"], Some("reg.example.com"));
    assert_eq!(
        tags.unwrap().get("app:given"),
        Some("reg.example.com/app:given")
    );
}

fn build(policy: Option<TagPolicy>, images: &[&str]) -> BuildConfig {
    BuildConfig {
        tag_policy: policy,
        artifacts: images
            .iter()
            .map(|i| Artifact {
                image: i.to_string(),
                ..Artifact::default()
            })
            .collect(),
        ..BuildConfig::default()
    }
}

#[test]
fn mux_uses_each_pipelines_policy_and_custom_tag_wins() {
    let pipelines = [
        build(Some(TagPolicy::Sha256(ShaTagger {})), &["a", "b"]),
        build(
            Some(TagPolicy::EnvTemplate(EnvTemplateConfig {
                template: "{{.IMAGE_NAME}}-x".into(),
            })),
            &["c"],
        ),
    ];
    let mux = TaggerMux::from_pipelines(&pipelines, None, &TaggerSettings::default()).unwrap();
    let (tags, _) = run(&mux, &["a", "b", "c"], None);
    let tags = tags.unwrap();
    assert_eq!(tags.get("a"), Some("a:latest"));
    assert_eq!(tags.get("c"), Some("c:c-x"));
    assert!(mux.get("b").is_some() && mux.get("z").is_none());

    let mux =
        TaggerMux::from_pipelines(&pipelines, Some("custom"), &TaggerSettings::default()).unwrap();
    let (tags, _) = run(&mux, &["a", "b", "c"], None);
    let tags = tags.unwrap();
    assert_eq!(
        tags.tags.iter().map(|t| t.tag.as_str()).collect::<Vec<_>>(),
        ["a:custom", "b:custom", "c:custom"]
    );

    let bad = [build(
        Some(TagPolicy::GitCommit(GitTagger {
            variant: "nope".into(),
            ..GitTagger::default()
        })),
        &["a"],
    )];
    let err = TaggerMux::from_pipelines(&bad, None, &TaggerSettings::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "creating tagger: \"nope\" is not a valid git tagger variant"
    );
}

#[test]
fn default_policy_is_git_commit_and_falls_back_outside_a_repo() {
    let tmp = tempfile::tempdir().unwrap();
    let pipelines = [build(None, &["app"])];
    let settings = TaggerSettings {
        git_env: vec![(
            "GIT_CEILING_DIRECTORIES".into(),
            tmp.path().parent().unwrap().as_os_str().to_owned(),
        )],
        ..TaggerSettings::default()
    };
    let mux = TaggerMux::from_pipelines(&pipelines, None, &settings).unwrap();
    let inputs = [TagInput::new("app", tmp.path())];
    let mut out = Vec::new();
    let tags = image_tags(&mux, &inputs, None, None, &mut out).unwrap();
    assert_eq!(tags.get("app"), Some("app:latest"));
    let out = String::from_utf8(out).unwrap();
    assert!(out.ends_with(&format!("{FALLBACK_WARNING}\n")), "{out}");
    let cause = tags.tags[0].fallback_cause.as_ref().unwrap().to_string();
    assert!(
        cause.starts_with("generating tag: unable to find git commit: "),
        "{cause}"
    );
}

#[test]
fn artifacts_give_their_dockerfile_for_input_digest() {
    let docker = Artifact {
        image: "app".into(),
        context: "svc".into(),
        artifact_type: Some(ArtifactType::Docker(DockerArtifact {
            dockerfile: "Dockerfile.dev".into(),
            ..DockerArtifact::default()
        })),
        ..Artifact::default()
    };
    assert_eq!(dockerfile_for_digest(&docker), Some("Dockerfile.dev"));
    let input = TagInput::for_artifact(&docker);
    assert_eq!(input.image, "app");
    assert_eq!(input.workspace, Path::new("svc"));
    assert_eq!(input.dockerfile, Some(Path::new("Dockerfile.dev")));
    assert_eq!(dockerfile_for_digest(&Artifact::default()), None);

    // The mux passes the input through to the artifact's tagger.
    let deps: Vec<PathBuf> = Vec::new();
    let input = input.with_dependencies(&deps);
    let mut mux = TaggerMux::new();
    mux.insert("app", Arc::new(crate::tag::InputDigestTagger::new()));
    assert_eq!(mux.generate_tag(&input).unwrap().len(), 64);
}
