//! `sha256`, `envTemplate`, `dateTime`, `customTemplate` and `--tag`: Skaffold's tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use skiff_config::model::{
    CustomTemplateTagger as CustomTemplateConfig, DateTimeTagger as DateTimeConfig,
    EnvTemplateTagger as EnvTemplateConfig, GitTagger, InputDigest, ShaTagger, TagPolicy,
    TaggerComponent,
};

use super::tag;
use crate::tag::{
    ChecksumTagger, Clock, CustomTag, CustomTemplateTagger, DateTimeTagger, EnvTemplateTagger,
    InputDigestTagger, TagError, TagInput, Tagger, TaggerSettings, run_tagger, tagger_for,
    try_tagger_for, try_tagger_for_with,
};

fn env(pairs: &[(&str, &str)]) -> Arc<BTreeMap<String, String>> {
    Arc::new(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// 2015-03-07 11:06:39.123456789 UTC.
fn fixed_clock() -> Clock {
    Arc::new(|| {
        "2015-03-07T11:06:39.123456789Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
    })
}

#[test]
fn skaffold_sha256_cases() {
    let t = ChecksumTagger;
    assert_eq!(tag(&t, "img:tag").unwrap(), "");
    assert_eq!(tag(&t, "img").unwrap(), "latest");
    assert_eq!(tag(&t, "registry.example.com:8080/img:tag").unwrap(), "");
    assert_eq!(tag(&t, "registry.example.com:8080/img").unwrap(), "latest");
    assert_eq!(tag(&t, "registry.example.com/img").unwrap(), "latest");
    assert!(tag(&t, "registry.example.com:8080:garbage").is_err());
}

#[test]
fn skaffold_env_template_cases() {
    let run = |template: &str, image: &str, vars: &[(&str, &str)]| {
        EnvTemplateTagger::new(template)
            .unwrap()
            .with_env(env(vars))
            .generate_tag(&TagInput::new(image, Path::new(".")))
    };
    assert_eq!(run("{{.IMAGE_NAME}}", "foo", &[]).unwrap(), "foo");
    assert_eq!(
        run(
            "{{.FOO}}-{{.BAZ}}:latest",
            "foo",
            &[("FOO", "BAR"), ("BAZ", "BAT")]
        )
        .unwrap(),
        "BAR-BAT:latest"
    );
    let err = run("{{.FOO}}:latest", "", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "environment variables missing for template keys: FOO"
    );
    // IMAGE_NAME from the artifact wins over the environment.
    assert_eq!(
        run(
            "{{.IMAGE_NAME}}-{{.FROM_ENV}}:latest",
            "image_name",
            &[("FROM_ENV", "FOO"), ("IMAGE_NAME", "BAT")]
        )
        .unwrap(),
        "image_name-FOO:latest"
    );
    for t in [
        "{{.IMAGE_NAME}}:tag@{{.DIGEST}}",
        "{{.IMAGE_NAME}}:tag@{{.DIGEST_ALGO}}:{{.DIGEST_HEX}}",
        "{{.IMAGE_NAME}}:{{.DIGEST}}",
        "{{.IMAGE_NAME}}:{{.DIGEST_ALGO}}",
        "{{.IMAGE_NAME}}:{{.DIGEST_HEX}}",
    ] {
        assert!(run(t, "foo", &[]).is_err(), "{t}");
    }
    // `default` can fill in a missing variable (missingkey=invalid).
    assert_eq!(
        run("{{default \"dev\" .STAGE}}", "foo", &[]).unwrap(),
        "dev"
    );
    // Syntax errors are reported when the tagger is built.
    let err = EnvTemplateTagger::new("{{.FOO").unwrap_err();
    assert!(matches!(err, TagError::ParseTemplate(_)));
    assert!(
        err.to_string()
            .starts_with("parsing template: template: envTemplate:1:")
    );
}

#[test]
fn skaffold_date_time_cases() {
    let at = |secs: i64, nanos: i32| -> Clock {
        Arc::new(move || jiff::Timestamp::new(secs, nanos).unwrap())
    };
    let run = |format: &str, tz: &str, clock: Clock| {
        DateTimeTagger::new(format, tz)
            .with_clock(clock)
            .generate_tag(&TagInput::new("test", Path::new(".")))
    };
    assert_eq!(
        run("", "UTC", at(1234, 123_456_789)).unwrap(),
        "1970-01-01_00-20-34.123_UTC"
    );
    assert_eq!(run("2006-01-02", "", fixed_clock()).unwrap().len(), 10);
    assert_eq!(
        run("2006-01-02", "UTC", fixed_clock()).unwrap(),
        "2015-03-07"
    );
    assert_eq!(
        run("", "America/New_York", fixed_clock()).unwrap(),
        "2015-03-07_06-06-39.123_EST"
    );
    // .999 drops trailing zeros, and the dot with them.
    assert_eq!(
        run("", "UTC", at(1234, 0)).unwrap(),
        "1970-01-01_00-20-34_UTC"
    );
    let err = run("2006-01-02", "foo", fixed_clock()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "bad timezone provided: \"foo\", error: unknown time zone foo"
    );
}

fn custom(template: &str, components: &[(&str, Arc<dyn Tagger>)]) -> CustomTemplateTagger {
    let settings = TaggerSettings {
        clock: Some(fixed_clock()),
        ..TaggerSettings::default()
    };
    CustomTemplateTagger::new(
        template,
        components
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        &settings,
    )
    .unwrap()
}

#[test]
fn skaffold_custom_template_cases() {
    let date: Arc<dyn Tagger> =
        Arc::new(DateTimeTagger::new("2006-01-02", "UTC").with_clock(fixed_clock()));
    let env_foo: Arc<dyn Tagger> = Arc::new(
        EnvTemplateTagger::new("{{.FOO}}")
            .unwrap()
            .with_env(env(&[("FOO", "BAR")])),
    );
    let env_bar: Arc<dyn Tagger> = Arc::new(
        EnvTemplateTagger::new("{{.BAR}}")
            .unwrap()
            .with_env(env(&[("FOO", "BAR")])),
    );
    let none: Vec<PathBuf> = Vec::new();
    let input = TagInput::new("test", Path::new(".")).with_dependencies(&none);
    let run = |t: &CustomTemplateTagger| t.generate_tag(&input);

    assert_eq!(run(&custom("", &[])).unwrap(), "");
    assert_eq!(run(&custom("foo-bar", &[])).unwrap(), "foo-bar");
    assert_eq!(
        run(&custom(
            "{{.FOO}}",
            &[("FOO", date.clone()), ("BAR", env_foo.clone())]
        ))
        .unwrap(),
        "2015-03-07"
    );
    assert_eq!(
        run(&custom(
            "foo-{{.FOO}}-{{.BAR}}",
            &[("FOO", env_foo.clone()), ("BAR", Arc::new(ChecksumTagger))]
        ))
        .unwrap(),
        "foo-BAR-latest"
    );
    let nested: Arc<dyn Tagger> = Arc::new(custom("", &[]));
    let err = run(&custom("{{.FOO}}", &[("FOO", nested)])).unwrap_err();
    assert!(matches!(err, TagError::InvalidComponent(_)));
    let err = run(&custom("{{.FOO}}", &[("FOO", env_bar)])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "evaluating custom template component: environment variables missing for template keys: BAR"
    );
    let err = run(&custom("{{.FOO}}", &[])).unwrap_err();
    assert_eq!(err.to_string(), "no tagger available for component FOO");
    assert_eq!(run(&custom("{{.SHA}}", &[])).unwrap(), "latest");
    // Built-in DATE uses the settings' clock and the default layout in the local zone.
    assert!(
        run(&custom("{{.DATE}}", &[]))
            .unwrap()
            .starts_with("2015-03-0")
    );
    assert_eq!(
        run(&custom(
            "{{.GIT}}-{{.DATE}}-{{.SHA}}-{{.INPUT_DIGEST}}",
            &[
                ("GIT", date.clone()),
                ("DATE", env_foo.clone()),
                ("SHA", date.clone()),
                ("INPUT_DIGEST", Arc::new(InputDigestTagger::new())),
            ]
        ))
        .unwrap(),
        "2015-03-07-BAR-2015-03-07-38e0b9de817f645c4bec37c0d4a3e58baecccb040f5718dc069a72c7385a0bed"
    );
    // Builtins-only: sprig functions are not available.
    let err = CustomTemplateTagger::new(
        "{{upper .FOO}}",
        BTreeMap::new(),
        &TaggerSettings::default(),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("parsing template: "), "{err}");
    assert!(
        CustomTemplateTagger::new("{{.FOO", BTreeMap::new(), &TaggerSettings::default()).is_err()
    );
}

#[test]
fn skaffold_create_components_cases() {
    let component = |name: &str, policy: TagPolicy| TaggerComponent {
        name: name.to_string(),
        tag_policy: Some(policy),
    };
    let ok = CustomTemplateConfig {
        template: "{{.FOE}}-{{.BAR}}".into(),
        components: vec![
            component("FOO", TagPolicy::GitCommit(GitTagger::default())),
            component("FOE", TagPolicy::Sha256(ShaTagger {})),
            component(
                "BAR",
                TagPolicy::EnvTemplate(EnvTemplateConfig {
                    template: "test".into(),
                }),
            ),
            component("BAT", TagPolicy::DateTime(DateTimeConfig::default())),
            component("BAS", TagPolicy::InputDigest(InputDigest {})),
        ],
    };
    let t = CustomTemplateTagger::from_config(&ok, &TaggerSettings::default()).unwrap();
    assert_eq!(tag(&t, "img").unwrap(), "latest-test");

    let nested = CustomTemplateConfig {
        template: "x".into(),
        components: vec![component(
            "FOO",
            TagPolicy::CustomTemplate(CustomTemplateConfig {
                template: "test".into(),
                components: vec![],
            }),
        )],
    };
    let err = CustomTemplateTagger::from_config(&nested, &TaggerSettings::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "nested customTemplate components are not supported in skaffold (FOO)"
    );

    let dup = CustomTemplateConfig {
        template: "x".into(),
        components: vec![
            component("FOO", TagPolicy::GitCommit(GitTagger::default())),
            component("FOO", TagPolicy::GitCommit(GitTagger::default())),
        ],
    };
    let err = CustomTemplateTagger::from_config(&dup, &TaggerSettings::default()).unwrap_err();
    assert_eq!(err.to_string(), "multiple components with name FOO");

    let unknown = CustomTemplateConfig {
        template: "x".into(),
        components: vec![TaggerComponent {
            name: "FOO".into(),
            tag_policy: None,
        }],
    };
    assert!(CustomTemplateTagger::from_config(&unknown, &TaggerSettings::default()).is_err());
}

#[test]
fn tagger_for_every_policy() {
    let settings = TaggerSettings {
        env: Some(env(&[("FOO", "bar")])),
        clock: Some(fixed_clock()),
        ..TaggerSettings::default()
    };
    let none: Vec<PathBuf> = Vec::new();
    let input = TagInput::new("img", Path::new(".")).with_dependencies(&none);
    let run = |p: TagPolicy| {
        try_tagger_for_with(&p, &settings)
            .unwrap()
            .generate_tag(&input)
    };
    assert_eq!(run(TagPolicy::Sha256(ShaTagger {})).unwrap(), "latest");
    assert_eq!(
        run(TagPolicy::EnvTemplate(EnvTemplateConfig {
            template: "{{.FOO}}-{{.IMAGE_NAME}}".into()
        }))
        .unwrap(),
        "bar-img"
    );
    assert_eq!(
        run(TagPolicy::DateTime(DateTimeConfig {
            format: "20060102".into(),
            timezone: "UTC".into()
        }))
        .unwrap(),
        "20150307"
    );
    assert_eq!(
        run(TagPolicy::InputDigest(InputDigest {})).unwrap(),
        "38e0b9de817f645c4bec37c0d4a3e58baecccb040f5718dc069a72c7385a0bed"
    );
    assert_eq!(
        run(TagPolicy::CustomTemplate(CustomTemplateConfig {
            template: "{{.SHA}}_{{.D}}".into(),
            components: vec![TaggerComponent {
                name: "D".into(),
                tag_policy: Some(TagPolicy::DateTime(DateTimeConfig {
                    format: "2006".into(),
                    timezone: "UTC".into()
                })),
            }],
        }))
        .unwrap(),
        "latest_2015"
    );

    // Invalid configuration: an error up front, or a failing tagger.
    let bad = TagPolicy::GitCommit(GitTagger {
        variant: "Bogus".into(),
        ..GitTagger::default()
    });
    assert!(try_tagger_for(&bad).is_err());
    let err = tagger_for(&bad).generate_tag(&input).unwrap_err();
    assert_eq!(
        err.to_string(),
        "creating tagger: \"Bogus\" is not a valid git tagger variant"
    );
}

#[test]
fn custom_tag_overrides_every_policy() {
    let policy = TagPolicy::Sha256(ShaTagger {});
    let t = run_tagger(Some(&policy), Some("v1.2.3"), &TaggerSettings::default()).unwrap();
    assert_eq!(tag(t.as_ref(), "img").unwrap(), "v1.2.3");
    // An empty --tag does not override.
    let t = run_tagger(Some(&policy), Some(""), &TaggerSettings::default()).unwrap();
    assert_eq!(tag(t.as_ref(), "img").unwrap(), "latest");
    assert!(matches!(
        tag(&CustomTag::new(""), "img").unwrap_err(),
        TagError::EmptyCustomTag
    ));
}
