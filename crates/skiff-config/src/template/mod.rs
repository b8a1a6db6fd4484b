//! Go `text/template` expansion as Skaffold does it.
//!
//! Skaffold expands many `skaffold.yaml` fields (`tagPolicy.envTemplate.template`, docker
//! `buildArgs` values, helm `setValueTemplates`, release names and namespaces, hooks, ...) as Go
//! `text/template` strings. The data is a `map[string]string`: the process environment merged with
//! extra fields such as `IMAGE_REPO`, `IMAGE_NAME`, `IMAGE_TAG` and `IMAGE_DIGEST` (extra fields
//! win). The functions are Go's builtins, Skaffold's own `cmd`, and the sprig v2.22 function map
//! (`github.com/Masterminds/sprig` — note: *v2*, not v3, so e.g. there is no `required` and `trunc`
//! with a negative length is an error).
//!
//! The engine is the [`gotmpl`] crate (a port of Go's `text/template`); this module adds the
//! Skaffold function set, the parse-time checks Go performs and `gotmpl` defers (unknown functions,
//! undefined variables, stray `{{end}}`/`{{else}}`, `{{break}}` outside `{{range}}`) and Go-style
//! error messages (`template: NAME:LINE:COL: executing "NAME" at <.FOO>: map has no entry for key
//! "FOO"`).
//!
//! Entry points mirroring `pkg/skaffold/util/env_template.go`:
//! - [`expand_env_template`] — `ExpandEnvTemplate`: missing keys print `<no value>`.
//! - [`expand_env_template_or_fail`] — `ExpandEnvTemplateOrFail`: `missingkey=error`.
//! - [`evaluate_env_template_map`] — `EvaluateEnvTemplateMapWithEnv` (build args, labels, ...).
//! - [`check_no_value`] — the `envTemplate` tagger's `<no value>` check.
//!
//! Every entry point that reads the process environment has a `*_with_env` variant that takes the
//! environment as a map, so tests never need to mutate the real environment.
//!
//! # Known differences from Go + sprig
//! - Parse errors carry a column (`template: NAME:LINE:COL: ...`); Go prints only the line. Some
//!   lexer messages are worded differently (`unexpected character: '}'` where Go says
//!   `unexpected "}" in operand`).
//! - Execution errors are located at the *first* call of the failing function or the first
//!   reference to the missing key; errors raised inside Go builtins carry no location
//!   (`template: NAME: MESSAGE`).
//! - Strings are UTF-8: byte-offset functions (`substr`, `trunc`, `b64dec`, `cmd` output) that cut
//!   a character or produce invalid UTF-8 yield U+FFFD where Go keeps the raw bytes.
//! - `upper`/`lower`/`title` use one-to-one case mappings like Go, approximated from Rust's
//!   (a few Greek characters with iota subscript differ).
//! - A `time.Time` (`now`) is carried as its `String()` text without the monotonic suffix.
//! - sprig functions listed in `funcs::UNSUPPORTED_SPRIG` (crypto, random, semver, dicts, ...)
//!   are parse errors.

mod check;
mod funcs;
mod gofmt;
pub mod gotime;

#[cfg(test)]
mod tests;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::Value;

/// Structured template data: strings, lists and maps (`Value::Map`, `Value::List`, …).
pub use gofmt::quote as go_quote;
pub use gotmpl::Value as TemplateValue;
use gotmpl::parse::{ListNode, Pos};

pub use check::template_fields;

/// The name Skaffold gives every environment template (`template.New("envTemplate")`).
pub const ENV_TEMPLATE_NAME: &str = "envTemplate";
/// The name of the `customTemplate` tag policy's template.
pub const CUSTOM_TEMPLATE_NAME: &str = "customTemplate";

/// What a reference to a key absent from the data map does (Go's `missingkey` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingKey {
    /// Go's default (`missingkey=default`/`invalid`): the key evaluates to "no value", printed as
    /// `<no value>`, and functions such as `default` can still replace it.
    #[default]
    Default,
    /// `missingkey=error`: executing the reference fails with an error naming the key.
    Error,
}

/// Which functions a template may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Functions {
    /// Go builtins + sprig v2 + Skaffold's `cmd` (Skaffold's `ParseEnvTemplate`).
    #[default]
    Skaffold,
    /// Go builtins only (Skaffold's `ParseCustomTemplate`, used by `tagPolicy.customTemplate`).
    BuiltinsOnly,
}

/// Where an execution error happened, in Go's `ErrorContext` terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// Go's execution-error column: the 0-based byte offset of the node within its line.
    pub column: usize,
    /// The node as Go prints it between `<` and `>` (truncated to 20 characters plus `...`).
    pub context: String,
}

/// A template error. `Display` follows Go's `text/template` messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// A syntax error: `template: NAME:LINE:COL: MESSAGE`. (Go prints only the line for parse
    /// errors; the column is extra.)
    #[error("template: {template}:{line}:{column}: {message}")]
    Parse {
        /// The template's name.
        template: String,
        /// 1-based line.
        line: usize,
        /// 1-based column (in characters).
        column: usize,
        /// What is wrong, e.g. `function "foo" not defined`.
        message: String,
    },
    /// A key absent from the data map was referenced under [`MissingKey::Error`].
    #[error("{}", exec_message(template, location.as_ref(), &format!("map has no entry for key {}", gofmt::quote(key))))]
    MissingKey {
        /// The template's name.
        template: String,
        /// The missing key.
        key: String,
        /// Where it was referenced, when known.
        location: Option<Location>,
    },
    /// Any other execution error, e.g. `error calling cmd: running [false] ...`.
    #[error("{}", exec_message(template, location.as_ref(), message))]
    Exec {
        /// The template's name.
        template: String,
        /// Where it happened, when known.
        location: Option<Location>,
        /// Go's message after the location.
        message: String,
    },
    /// The output contained `<no value>` (the `envTemplate` tag policy's check). Skaffold says
    /// only `environment variables missing for template keys`; the key names are added here.
    #[error("environment variables missing for template keys{}", if keys.is_empty() { String::new() } else { format!(": {}", keys.join(", ")) })]
    NoValue {
        /// The fields the template references that were not in the data map.
        keys: Vec<String>,
    },
    /// Skaffold's wrapping of a parse error by `ExpandEnvTemplate[OrFail]`:
    /// `unable to parse template: "TEXT": template: envTemplate:...`.
    #[error("unable to parse template: {}: {source}", gofmt::quote(text))]
    Unparsable {
        /// The template text.
        text: String,
        /// The parse error.
        source: Box<TemplateError>,
    },
    /// Skaffold's wrapping by `EvaluateEnvTemplateMap`: `unable to get value for key "K": ...`.
    #[error("unable to get value for key {}: {source}", gofmt::quote(key))]
    ForKey {
        /// The map key whose value failed to expand.
        key: String,
        /// The underlying error.
        source: Box<TemplateError>,
    },
}

impl TemplateError {
    /// The missing key, for [`TemplateError::MissingKey`] (also when wrapped).
    pub fn missing_key(&self) -> Option<&str> {
        match self {
            TemplateError::MissingKey { key, .. } => Some(key),
            TemplateError::Unparsable { source, .. } | TemplateError::ForKey { source, .. } => {
                source.missing_key()
            }
            _ => None,
        }
    }
}

fn exec_message(template: &str, location: Option<&Location>, message: &str) -> String {
    match location {
        Some(l) => format!(
            "template: {template}:{}:{}: executing {} at <{}>: {message}",
            l.line,
            l.column,
            gofmt::quote(template),
            l.context
        ),
        None => format!("template: {template}: {message}"),
    }
}

/// A parsed template.
#[derive(Clone)]
pub struct Template {
    name: String,
    text: String,
    /// Executes with Go's default missing-key behaviour.
    inner: gotmpl::Template,
    /// The same template with `missingkey=error`.
    inner_error: gotmpl::Template,
}

impl std::fmt::Debug for Template {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Template")
            .field("name", &self.name)
            .field("text", &self.text)
            .finish_non_exhaustive()
    }
}

impl Template {
    /// Parses `text` with Skaffold's function set ([`Functions::Skaffold`]).
    pub fn parse(name: &str, text: &str) -> Result<Template, TemplateError> {
        Template::parse_with(name, text, Functions::Skaffold)
    }

    /// Parses `text` with the given function set.
    pub fn parse_with(
        name: &str,
        text: &str,
        functions: Functions,
    ) -> Result<Template, TemplateError> {
        let mut t = gotmpl::Template::new(name);
        if functions == Functions::Skaffold {
            t = t.funcs(funcs::skaffold_funcs().clone());
        } else {
            // Go's builtins only; `index` is replaced so that a missing map key yields "" (the
            // zero value of Skaffold's map[string]string) like Go, not "<no value>".
            t = t.funcs(funcs::builtin_overrides().clone());
        }
        let inner = t.parse(text).map_err(|e| from_parse_error(name, e))?;
        let tpl = Template {
            name: name.to_string(),
            text: text.to_string(),
            inner_error: inner.clone().missing_key(gotmpl::MissingKey::Error),
            inner: inner.missing_key(gotmpl::MissingKey::Invalid),
        };
        check::check(&tpl, functions)?;
        Ok(tpl)
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template's source text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The field names the template references (`{{.FOO}}`), in order of first appearance —
    /// Skaffold's `GetTemplateFields` (used by the `customTemplate` tag policy).
    pub fn fields(&self) -> Vec<String> {
        template_fields(self)
    }

    /// Executes with string variables `vars` (callers merge the environment with extra fields;
    /// see [`merge_env`]). The `env`/`expandenv` functions read the process environment.
    pub fn render(
        &self,
        vars: &BTreeMap<String, String>,
        missing: MissingKey,
    ) -> Result<String, TemplateError> {
        self.render_impl(vars, missing, None)
    }

    /// Like [`render`](Self::render), but the `env`/`expandenv` functions read `env` instead of
    /// the process environment.
    pub fn render_with_env(
        &self,
        vars: &BTreeMap<String, String>,
        missing: MissingKey,
        env: &BTreeMap<String, String>,
    ) -> Result<String, TemplateError> {
        self.render_impl(vars, missing, Some(Arc::new(env.clone())))
    }

    /// Executes with structured data (lists and maps, as Go templates see structs), for
    /// templates over command output such as `skiff build -o`.
    pub fn render_value(
        &self,
        data: &TemplateValue,
        missing: MissingKey,
    ) -> Result<String, TemplateError> {
        self.execute(data, missing, None)
    }

    fn render_impl(
        &self,
        vars: &BTreeMap<String, String>,
        missing: MissingKey,
        env: Option<Arc<BTreeMap<String, String>>>,
    ) -> Result<String, TemplateError> {
        let data = Value::Map(Arc::new(
            vars.iter()
                .map(|(k, v)| {
                    (
                        Arc::<str>::from(k.as_str()),
                        Value::String(v.as_str().into()),
                    )
                })
                .collect(),
        ));
        self.execute(&data, missing, env)
    }

    fn execute(
        &self,
        data: &Value,
        missing: MissingKey,
        env: Option<Arc<BTreeMap<String, String>>>,
    ) -> Result<String, TemplateError> {
        let inner = match missing {
            MissingKey::Default => &self.inner,
            MissingKey::Error => &self.inner_error,
        };
        let _frame = RenderFrame::push(env);
        let result = inner.execute_to_string(data);
        result.map_err(|e| self.convert_exec_error(e, take_failed_function()))
    }

    fn trees(&self) -> Vec<&ListNode> {
        self.inner
            .templates()
            .into_iter()
            .filter_map(|n| self.inner.lookup(n))
            .collect()
    }

    fn location_of(&self, pos: Pos, context: String) -> Location {
        let offset = pos.offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = 1 + before.matches('\n').count();
        let column = match before.rfind('\n') {
            Some(i) => offset - (i + 1),
            None => offset,
        };
        let context = if context.chars().count() > 20 {
            format!("{}...", context.chars().take(20).collect::<String>())
        } else {
            context
        };
        Location {
            line,
            column,
            context,
        }
    }

    fn convert_exec_error(
        &self,
        e: gotmpl::TemplateError,
        failed_fn: Option<&'static str>,
    ) -> TemplateError {
        use gotmpl::TemplateError as G;
        let template = self.name.clone();
        match e {
            G::MissingKey { key } => {
                let location = check::find_field(&self.trees(), &key)
                    .map(|(pos, ctx)| self.location_of(pos, ctx));
                TemplateError::MissingKey {
                    template,
                    key,
                    location,
                }
            }
            other => {
                let (message, func) = match other {
                    G::Exec(m) => (m, failed_fn.map(str::to_string)),
                    G::ArgCount {
                        name,
                        expected,
                        got,
                    } => (
                        format!("wrong number of args for {name}: want {expected} got {got}"),
                        Some(name),
                    ),
                    G::FuncPanic { name, message } => {
                        (format!("error calling {name}: {message}"), Some(name))
                    }
                    G::UndefinedTemplate(n) => {
                        (format!("template {} not defined", gofmt::quote(&n)), None)
                    }
                    G::UndefinedVariable(n) => (format!("undefined variable: {n}"), None),
                    G::UndefinedFunction(n) => (
                        format!("{} is not a defined function", gofmt::quote(&n)),
                        None,
                    ),
                    o => (o.to_string(), None),
                };
                let location = func
                    .and_then(|f| check::find_call(&self.trees(), &f))
                    .map(|(pos, ctx)| self.location_of(pos, ctx));
                TemplateError::Exec {
                    template,
                    location,
                    message,
                }
            }
        }
    }
}

fn from_parse_error(name: &str, e: gotmpl::TemplateError) -> TemplateError {
    use gotmpl::TemplateError as G;
    match e {
        G::Parse {
            line, col, message, ..
        }
        | G::Lex {
            line, col, message, ..
        } => TemplateError::Parse {
            template: name.to_string(),
            line,
            column: col,
            message,
        },
        other => TemplateError::Parse {
            template: name.to_string(),
            line: 1,
            column: 1,
            message: other.to_string(),
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Per-render context (thread-local, since gotmpl functions are registered before parsing).

struct FrameData {
    env: Option<Arc<BTreeMap<String, String>>>,
    failed_fn: Option<&'static str>,
}

thread_local! {
    static FRAMES: RefCell<Vec<FrameData>> = const { RefCell::new(Vec::new()) };
}

struct RenderFrame;

impl RenderFrame {
    fn push(env: Option<Arc<BTreeMap<String, String>>>) -> RenderFrame {
        FRAMES.with(|f| {
            f.borrow_mut().push(FrameData {
                env,
                failed_fn: None,
            })
        });
        RenderFrame
    }
}

impl Drop for RenderFrame {
    fn drop(&mut self) {
        FRAMES.with(|f| {
            f.borrow_mut().pop();
        });
    }
}

fn take_failed_function() -> Option<&'static str> {
    FRAMES.with(|f| f.borrow_mut().last_mut().and_then(|d| d.failed_fn.take()))
}

/// Records which Skaffold/sprig function failed, to locate the error in the template.
fn record_failed_function(name: &'static str) {
    FRAMES.with(|f| {
        if let Some(d) = f.borrow_mut().last_mut() {
            d.failed_fn = Some(name);
        }
    });
}

/// Looks up an environment variable for the `env`/`expandenv` functions: the injected
/// environment of the current render, or the process environment.
fn getenv(name: &str) -> String {
    let injected = FRAMES.with(|f| f.borrow().last().and_then(|d| d.env.clone()));
    match injected {
        Some(env) => env.get(name).cloned().unwrap_or_default(),
        None => std::env::var_os(name)
            .map(|v| v.to_string_lossy().into_owned())
            .unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Skaffold's env_template.go entry points.

/// The process environment as Go's `os.Environ()` split on the first `=` (non-UTF-8 bytes are
/// replaced by U+FFFD).
pub fn process_env() -> BTreeMap<String, String> {
    std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect()
}

/// `env` overlaid with `extra` (extra fields win), as Skaffold's `ExecuteEnvTemplate` builds its
/// data map.
pub fn merge_env(
    env: &BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut m = env.clone();
    m.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    m
}

fn expand(
    text: &str,
    env: Option<&BTreeMap<String, String>>,
    extra: &BTreeMap<String, String>,
    missing: MissingKey,
) -> Result<String, TemplateError> {
    let tpl = Template::parse(ENV_TEMPLATE_NAME, text).map_err(|e| TemplateError::Unparsable {
        text: text.to_string(),
        source: Box::new(e),
    })?;
    match env {
        Some(env) => tpl.render_with_env(&merge_env(env, extra), missing, env),
        None => tpl.render(&merge_env(&process_env(), extra), missing),
    }
}

/// Skaffold's `ExpandEnvTemplate`: parses `text` as `envTemplate` and executes it over the process
/// environment overlaid with `extra`. Missing keys print `<no value>`.
pub fn expand_env_template(
    text: &str,
    extra: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    expand(text, None, extra, MissingKey::Default)
}

/// [`expand_env_template`] with an explicit environment (which the `env`/`expandenv` functions
/// also read).
pub fn expand_env_template_with_env(
    text: &str,
    env: &BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    expand(text, Some(env), extra, MissingKey::Default)
}

/// Skaffold's `ExpandEnvTemplateOrFail` (helm release names, chart paths, versions, namespaces,
/// port-forward resources): like [`expand_env_template`] but with `missingkey=error`, so any
/// reference to an unset key — even inside `default` — fails with
/// [`TemplateError::MissingKey`] naming the key.
pub fn expand_env_template_or_fail(
    text: &str,
    extra: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    expand(text, None, extra, MissingKey::Error)
}

/// [`expand_env_template_or_fail`] with an explicit environment.
pub fn expand_env_template_or_fail_with_env(
    text: &str,
    env: &BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    expand(text, Some(env), extra, MissingKey::Error)
}

/// Skaffold's `EvaluateEnvTemplateMapWithEnv`: expands every value of `args` (keys are kept;
/// `None` values — flags without a value — stay `None`). Errors name the key.
pub fn evaluate_env_template_map(
    args: &BTreeMap<String, Option<String>>,
    extra: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Option<String>>, TemplateError> {
    evaluate_map(args, None, extra)
}

/// [`evaluate_env_template_map`] with an explicit environment.
pub fn evaluate_env_template_map_with_env(
    args: &BTreeMap<String, Option<String>>,
    env: &BTreeMap<String, String>,
    extra: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Option<String>>, TemplateError> {
    evaluate_map(args, Some(env), extra)
}

fn evaluate_map(
    args: &BTreeMap<String, Option<String>>,
    env: Option<&BTreeMap<String, String>>,
    extra: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Option<String>>, TemplateError> {
    let mut out = BTreeMap::new();
    for (k, v) in args {
        let value = match v {
            None => None,
            Some(v) => Some(expand(v, env, extra, MissingKey::Default).map_err(|e| {
                TemplateError::ForKey {
                    key: k.clone(),
                    source: Box::new(e),
                }
            })?),
        };
        out.insert(k.clone(), value);
    }
    Ok(out)
}

/// The `envTemplate` tag policy's check (`pkg/skaffold/tag/env_template.go`): after executing
/// with the default missing-key behaviour, any `<no value>` in `output` is an error. The error
/// names the fields of `template` that are absent from `vars`.
pub fn check_no_value(
    template: &Template,
    vars: &BTreeMap<String, String>,
    output: &str,
) -> Result<(), TemplateError> {
    if !output.contains("<no value>") {
        return Ok(());
    }
    let keys = template
        .fields()
        .into_iter()
        .filter(|f| !vars.contains_key(f))
        .collect();
    Err(TemplateError::NoValue { keys })
}

/// Renders the `envTemplate` tag policy: the template over the environment plus `IMAGE_NAME`,
/// then [`check_no_value`].
pub fn env_template_tag(
    template: &Template,
    env: &BTreeMap<String, String>,
    image_name: &str,
) -> Result<String, TemplateError> {
    let mut extra = BTreeMap::new();
    extra.insert("IMAGE_NAME".to_string(), image_name.to_string());
    let vars = merge_env(env, &extra);
    let out = template.render_with_env(&vars, MissingKey::Default, env)?;
    check_no_value(template, &vars, &out)?;
    Ok(out)
}
