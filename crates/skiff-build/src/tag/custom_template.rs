//! The `customTemplate` tag policy (`pkg/skaffold/tag/custom_template.go`, `CreateComponents` in
//! `tagger_mux.go`).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use skiff_config::model::{CustomTemplateTagger as CustomTemplateConfig, TagPolicy};
use skiff_config::template::{CUSTOM_TEMPLATE_NAME, Functions, MissingKey, Template};

use super::{
    ChecksumTagger, DateTimeTagger, GitCommitTagger, InputDigestTagger, TagError, TagInput, Tagger,
    TaggerSettings, try_tagger_for_with,
};

/// Tags with a Go template (builtins only, `missingkey=error`) whose fields are the tags of
/// other taggers: the named `components`, or the built-ins `GIT` (gitCommit, `Tags`), `DATE`
/// (dateTime with defaults), `SHA` (sha256) and `INPUT_DIGEST` (inputDigest). Only the
/// components the template references are evaluated.
#[derive(Clone)]
pub struct CustomTemplateTagger {
    template: Template,
    components: BTreeMap<String, Arc<dyn Tagger>>,
    settings: TaggerSettings,
}

impl fmt::Debug for CustomTemplateTagger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomTemplateTagger")
            .field("template", &self.template.text())
            .field("components", &self.components.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl CustomTemplateTagger {
    /// Skaffold's `NewCustomTemplateTagger`: parses `template` (syntax errors are
    /// `parsing template: ...`). `settings` configure the built-in components.
    pub fn new(
        template: &str,
        components: BTreeMap<String, Arc<dyn Tagger>>,
        settings: &TaggerSettings,
    ) -> Result<Self, TagError> {
        let template =
            Template::parse_with(CUSTOM_TEMPLATE_NAME, template, Functions::BuiltinsOnly)
                .map_err(|e| TagError::ParseTemplate(Box::new(e)))?;
        Ok(CustomTemplateTagger {
            template,
            components,
            settings: settings.clone(),
        })
    }

    /// Builds the tagger of a `customTemplate` policy, with its components (Skaffold's
    /// `CreateComponents`): duplicate names and nested `customTemplate` components are errors.
    pub fn from_config(
        config: &CustomTemplateConfig,
        settings: &TaggerSettings,
    ) -> Result<Self, TagError> {
        let mut components: BTreeMap<String, Arc<dyn Tagger>> = BTreeMap::new();
        for component in &config.components {
            let name = &component.name;
            if components.contains_key(name) {
                return Err(TagError::DuplicateComponent(name.clone()));
            }
            let tagger: Arc<dyn Tagger> = match &component.tag_policy {
                Some(TagPolicy::CustomTemplate(_)) => {
                    return Err(TagError::NestedCustomTemplate(name.clone()));
                }
                Some(policy) => Arc::from(try_tagger_for_with(policy, settings)?),
                None => return Err(TagError::UnknownComponent(name.clone())),
            };
            components.insert(name.clone(), tagger);
        }
        CustomTemplateTagger::new(&config.template, components, settings)
    }

    /// Skaffold's `EvaluateComponents`: the tag of every component the template references.
    pub fn evaluate_components(
        &self,
        input: &TagInput<'_>,
    ) -> Result<BTreeMap<String, String>, TagError> {
        let mut taggers: Vec<(String, Arc<dyn Tagger>)> = Vec::new();
        for field in self.template.fields() {
            if let Some(t) = self.components.get(&field) {
                if t.is_custom_template() {
                    return Err(TagError::InvalidComponent(field));
                }
                taggers.push((field, t.clone()));
                continue;
            }
            let builtin: Arc<dyn Tagger> = match field.as_str() {
                "GIT" => Arc::new(
                    GitCommitTagger::with_variant("", Default::default(), false)
                        .with_git_env(self.settings.git_env.iter().cloned()),
                ),
                "DATE" => {
                    let mut t = DateTimeTagger::new("", "");
                    if let Some(clock) = &self.settings.clock {
                        t = t.with_clock(clock.clone());
                    }
                    Arc::new(t)
                }
                "SHA" => Arc::new(ChecksumTagger),
                "INPUT_DIGEST" => Arc::new(InputDigestTagger::from_settings(&self.settings)),
                _ => return Err(TagError::NoComponent(field)),
            };
            taggers.push((field, builtin));
        }
        let mut values = BTreeMap::new();
        for (field, tagger) in taggers {
            let tag = tagger
                .generate_tag(input)
                .map_err(|e| TagError::Component(Box::new(e)))?;
            values.insert(field, tag);
        }
        Ok(values)
    }
}

impl Tagger for CustomTemplateTagger {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        let values = self.evaluate_components(input)?;
        tracing::debug!(
            "Executing custom template {} with custom map {:?}",
            self.template.text(),
            values
        );
        self.template
            .render(&values, MissingKey::Error)
            .map_err(|e| TagError::ExecuteCustomTemplate(Box::new(e)))
    }

    fn is_custom_template(&self) -> bool {
        true
    }
}
