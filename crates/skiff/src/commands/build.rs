//! `skiff build`: build the artifacts, tag them, push them if asked, and print what was built.

use skiff_config::SkaffoldConfig;
use skiff_runner::build::{BuildOutcome, build};

use crate::options::{BuildCommandOptions, OutputFormat, OutputSettings};
use crate::session::{CommandSession, interruptible};
use skiff_config::template::{MissingKey, TemplateValue};
use std::collections::BTreeMap;

/// Builds what `opts` selects; the API serves the session while it runs.
pub async fn run(opts: BuildCommandOptions) -> anyhow::Result<()> {
    let outcome = CommandSession::within(
        &opts.config,
        &opts.api,
        "build",
        OutputSettings {
            quiet: opts.quiet,
            mute_logs: opts.mute_logs,
        },
        async |session| {
            let configs: Vec<&SkaffoldConfig> = session.configs.iter().collect();
            let work = build(
                &configs,
                &session.base_dir,
                &opts.build,
                None,
                &session.output,
            );
            interruptible(&mut session.interrupts, work).await
        },
    )
    .await?;
    report(&opts, &outcome)
}

/// Prints (`-q`) and writes (`--file-output`) the built images as Skaffold's JSON.
fn report(opts: &BuildCommandOptions, outcome: &BuildOutcome) -> anyhow::Result<()> {
    if !opts.quiet && opts.file_output.is_none() {
        return Ok(());
    }
    let text = match &opts.output {
        OutputFormat::Json => builds_json(outcome),
        OutputFormat::Template(template) => template
            .render_value(&template_data(outcome), MissingKey::Error)
            .map_err(|e| anyhow::anyhow!("rendering --output: {e}"))?,
    };
    if opts.quiet {
        print!("{text}");
    }
    if let Some(path) = &opts.file_output {
        std::fs::write(path, &text)
            .map_err(|e| anyhow::anyhow!("writing --file-output {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The data `-o` templates see, shaped like Skaffold's `BuildOutput` struct: `.Builds`, each
/// with `.ImageName` and `.Tag`.
fn template_data(outcome: &BuildOutcome) -> TemplateValue {
    let builds: Vec<TemplateValue> = outcome
        .builds
        .iter()
        .map(|b| {
            let fields: BTreeMap<String, TemplateValue> = [
                (
                    "ImageName".to_owned(),
                    TemplateValue::from(b.image_name.clone()),
                ),
                ("Tag".to_owned(), TemplateValue::from(b.reference.clone())),
            ]
            .into();
            TemplateValue::from(fields)
        })
        .collect();
    let data: BTreeMap<String, TemplateValue> =
        [("Builds".to_owned(), TemplateValue::from(builds))].into();
    TemplateValue::from(data)
}

/// `{"builds":[{"imageName":…,"tag":…}]}`, encoded as Go's `encoding/json` encodes it.
pub fn builds_json(outcome: &BuildOutcome) -> String {
    let builds: Vec<serde_json::Value> = outcome
        .builds
        .iter()
        .map(|b| serde_json::json!({"imageName": b.image_name, "tag": b.reference}))
        .collect();
    skiff_proto::json::go_escape(&serde_json::json!({ "builds": builds }).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_build::builder::BuiltImage;

    #[test]
    fn builds_json_matches_skaffold() {
        let outcome = BuildOutcome {
            builds: vec![BuiltImage {
                image_name: "app".into(),
                reference: "app:abc<&>".into(),
            }],
        };
        assert_eq!(
            builds_json(&outcome),
            r#"{"builds":[{"imageName":"app","tag":"app:abc\u003c\u0026\u003e"}]}"#
        );
    }
}
