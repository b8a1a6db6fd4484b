//! The `envTemplate` tag policy (`pkg/skaffold/tag/env_template.go`).

use std::collections::BTreeMap;
use std::sync::Arc;

use skiff_config::template::{ENV_TEMPLATE_NAME, Template, env_template_tag, process_env};

use super::{TagError, TagInput, Tagger};

/// Tags with a Go template over the environment plus `IMAGE_NAME` (the artifact's image name,
/// which wins over an `IMAGE_NAME` variable). A reference to an unset variable prints
/// `<no value>`, which is an error (`environment variables missing for template keys`); functions
/// such as `default` can still supply a value.
#[derive(Debug, Clone)]
pub struct EnvTemplateTagger {
    template: Template,
    env: Option<Arc<BTreeMap<String, String>>>,
}

impl EnvTemplateTagger {
    /// Parses `template` with Skaffold's function set; a syntax error is
    /// `parsing template: template: envTemplate:...`.
    pub fn new(template: &str) -> Result<Self, TagError> {
        let template = Template::parse(ENV_TEMPLATE_NAME, template)
            .map_err(|e| TagError::ParseTemplate(Box::new(e)))?;
        Ok(EnvTemplateTagger {
            template,
            env: None,
        })
    }

    /// Uses `env` instead of the process environment (read at each tag otherwise).
    pub fn with_env(mut self, env: Arc<BTreeMap<String, String>>) -> Self {
        self.env = Some(env);
        self
    }
}

impl Tagger for EnvTemplateTagger {
    fn generate_tag(&self, input: &TagInput<'_>) -> Result<String, TagError> {
        let owned;
        let env = match &self.env {
            Some(env) => env.as_ref(),
            None => {
                owned = process_env();
                &owned
            }
        };
        env_template_tag(&self.template, env, input.image)
            .map_err(|e| TagError::Template(Box::new(e)))
    }
}
