//! Profiles: which ones are active, and how an active profile changes its config
//! (Skaffold's `pkg/skaffold/schema/profiles.go`).
//!
//! **Activation.** With auto-activation on (the default; `--profile-auto-activation=false` turns
//! it off), every profile whose `activation` triggers is active, in the order the profiles are
//! written. An activation entry triggers when all its criteria hold:
//! - `env: KEY=VALUE`: the variable `KEY` matches the regular expression `VALUE` (a substring
//!   match; `!VALUE` negates it); `KEY=` (empty value) holds when `KEY` is unset or empty; an
//!   entry without `=` is an error;
//! - `kubeContext`: the `--kube-context` flag, or else the current context of the kubeconfig,
//!   matches the expression (`!` negates);
//! - `command`: the running command (`dev`, `run`, …) matches the expression (`!` negates).
//!
//! A profile triggers when any of its entries does, or with `requiresAllActivations: true` when
//! all of them do (and there is at least one). An expression that is not a valid regular
//! expression matches only the identical string. Then the names given with `-p` are applied in
//! order: `name` appends the profile (if this config has it and it is not active yet), `-name`
//! deactivates it. Names that no config defines are reported by the resolver
//! ([`crate::resolve()`]), not here: a config simply ignores profiles it does not have.
//!
//! **Application.** Each active profile is applied in turn: its pipeline sections are overlaid on
//! the config, then its `patches` are applied to the YAML form of the result ([`patch`] has the
//! semantics), and the YAML is read back into the typed config. The overlay follows Skaffold's
//! reflection walk: the plain structs `build`, `build.hooks`, `manifests`, `manifests.hooks`,
//! `deploy`, `deploy.logs`, `deploy.logs.jsonParse` and `resourceSelector` are merged field by
//! field; every other field the profile sets (a non-empty list, a non-empty string, a non-zero
//! number, `true`, or any optional value that is present, even `false` or `{}`) replaces the
//! config's; the build environment (`local`/`googleCloudBuild`/`cluster`) and `tagPolicy` are
//! replaced as a unit; the deployers of `deploy` are replaced one by one (a profile that adds
//! `helm` to a config with `kubectl` deploys with both). After
//! all profiles, for the commands that run a pipeline (`build`, `dev`, `deploy`, `debug`,
//! `render`, `run`, `diagnose`, `delete`) the `profiles` section is dropped, as in Skaffold.
//! Finally, when profiles were activated by the kube context and no `--kube-context` flag is
//! given, `deploy.kubeContext` (if set) must equal the current context.
//!
//! The config's [`Source`] gets the YAML tree after profiles, in which the fields a profile or
//! patch set keep their own positions: later errors (validation) about them point at the
//! profile.

pub mod patch;

mod overlay;

use std::collections::BTreeMap;

use regex::Regex;
use serde::Serialize;

use crate::error::{ConfigError, StatusCode, SuggestionCode};
use crate::load::{ConfigEntry, Source};
use crate::model::{Activation, Profile, SkaffoldConfig};
use crate::path;
use crate::yaml::{self, Node, Pos, Segment};

/// What profile activation looks at.
#[derive(Debug, Clone, Copy)]
pub struct ActivationContext<'a> {
    /// The command being run (`dev`, `build`, …), for `activation[].command`.
    pub command: &'a str,
    /// The `--kube-context` flag, if given: it takes precedence over the kubeconfig.
    pub kube_context: Option<&'a str>,
    /// The current context of the kubeconfig (`None`: no kubeconfig, matches as `""`).
    pub current_kube_context: Option<&'a str>,
    /// The environment, for `activation[].env`.
    pub env: &'a BTreeMap<String, String>,
    /// Whether profiles are auto-activated (`--profile-auto-activation`, default `true`).
    pub auto_activation: bool,
}

impl ActivationContext<'_> {
    fn effective_kube_context(&self) -> &str {
        match self.kube_context.filter(|c| !c.is_empty()) {
            Some(c) => c,
            None => self.current_kube_context.unwrap_or(""),
        }
    }
}

/// Skaffold's `util.RegexEqual`: `actual` matches the regular expression `expected` (unanchored),
/// or equals it; a leading `!` negates. An invalid expression matches only an equal string.
pub fn regex_equal(expected: &str, actual: &str) -> bool {
    match expected.strip_prefix('!') {
        Some(not) => !regex_match(not, actual),
        None => regex_match(expected, actual),
    }
}

fn regex_match(expected: &str, actual: &str) -> bool {
    if actual == expected {
        return true;
    }
    Regex::new(expected).is_ok_and(|re| re.is_match(actual))
}

/// Whether one `activation` entry triggers. The error is Skaffold's message for a malformed
/// `env`.
pub fn is_activation_triggered(
    cond: &Activation,
    ctx: &ActivationContext<'_>,
) -> Result<bool, String> {
    let command = cond.command.is_empty() || regex_equal(&cond.command, ctx.command);
    let env = is_env(&cond.env, ctx.env)?;
    let kube_context = cond.kube_context.is_empty()
        || regex_equal(&cond.kube_context, ctx.effective_kube_context());
    Ok(command && env && kube_context)
}

fn is_env(env: &str, vars: &BTreeMap<String, String>) -> Result<bool, String> {
    if env.is_empty() {
        return Ok(true);
    }
    let Some((key, value)) = env.split_once('=') else {
        return Err(format!(
            "invalid env variable format: {env}, should be KEY=VALUE"
        ));
    };
    let actual = vars.get(key).map_or("", String::as_str);
    // `KEY=` would match anything as a regular expression: it means "unset or empty".
    if value.is_empty() {
        return Ok(actual.is_empty());
    }
    Ok(regex_equal(value, actual))
}

/// The profiles active for one config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivatedProfiles {
    /// Names in the order they are applied.
    pub names: Vec<String>,
    /// Auto-activated profiles that were activated by a `kubeContext` criterion.
    pub context_specific: Vec<String>,
}

/// A malformed activation: the profile and activation entry indexes, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationError {
    /// Index of the profile in `profiles`.
    pub profile: usize,
    /// Index of the entry in its `activation`.
    pub activation: usize,
    /// Skaffold's message.
    pub message: String,
}

/// Which profiles of `profiles` are active, given the activation context and the `-p` names
/// (`name` or `-name`), in Skaffold's order.
pub fn activated_profiles(
    profiles: &[Profile],
    ctx: &ActivationContext<'_>,
    named: &[String],
) -> Result<ActivatedProfiles, ActivationError> {
    let mut out = ActivatedProfiles::default();
    if ctx.auto_activation {
        for (i, profile) in profiles.iter().enumerate() {
            let (active, context_specific) =
                is_profile_activated(profile, ctx).map_err(|(activation, message)| {
                    ActivationError {
                        profile: i,
                        activation,
                        message,
                    }
                })?;
            if active {
                if context_specific {
                    out.context_specific.push(profile.name.clone());
                }
                out.names.push(profile.name.clone());
            }
        }
    }
    for name in named {
        if let Some(off) = name.strip_prefix('-') {
            out.names.retain(|n| n != off);
        } else if profiles.iter().any(|p| &p.name == name) && !out.names.contains(name) {
            out.names.push(name.clone());
        }
    }
    Ok(out)
}

/// `(activated, activated by a kube context)`, or the failing activation index and message.
fn is_profile_activated(
    profile: &Profile,
    ctx: &ActivationContext<'_>,
) -> Result<(bool, bool), (usize, String)> {
    if profile.requires_all_activations {
        if profile.activation.is_empty() {
            return Ok((false, false));
        }
        let mut context_specific = false;
        for (j, cond) in profile.activation.iter().enumerate() {
            if !is_activation_triggered(cond, ctx).map_err(|m| (j, m))? {
                return Ok((false, false));
            }
            context_specific |= !cond.kube_context.is_empty();
        }
        return Ok((true, context_specific));
    }
    for (j, cond) in profile.activation.iter().enumerate() {
        if is_activation_triggered(cond, ctx).map_err(|m| (j, m))? {
            return Ok((true, !cond.kube_context.is_empty()));
        }
    }
    Ok((false, false))
}

/// Whether Skaffold keeps the `profiles` section after applying profiles for this command: it
/// drops it for the commands that run the pipeline.
pub fn keeps_profiles(command: &str) -> bool {
    !matches!(
        command,
        "build" | "dev" | "deploy" | "debug" | "render" | "run" | "diagnose" | "delete"
    )
}

/// Apply the active profiles to one config, as Skaffold's `ApplyProfiles`: returns the names of
/// the applied profiles, in order.
pub fn apply_profiles(
    entry: &mut ConfigEntry,
    ctx: &ActivationContext<'_>,
    named: &[String],
) -> Result<Vec<String>, ConfigError> {
    let profiles = entry.config.profiles.clone();
    let original = entry.source.clone();
    let activated = activated_profiles(&profiles, ctx, named).map_err(|e| {
        let path = path!["profiles", e.profile, "activation", e.activation, "env"];
        profile_error(
            entry,
            &original,
            locate(&original, &path),
            &path,
            format!("finding auto-activated profiles: {}", e.message),
        )
    })?;
    if !activated.names.is_empty() {
        let mut config = entry.config.clone();
        let mut tree = normalize(&entry.config, original.root())
            .map_err(|m| profile_error(entry, &original, original.root().pos, &[], m))?;
        for name in &activated.names {
            let Some(index) = profiles.iter().rposition(|p| &p.name == name) else {
                return Err(profile_error(
                    entry,
                    &original,
                    Pos::default(),
                    &[],
                    format!("couldn't find profile {name}"),
                ));
            };
            let applied = apply_one(tree, &profiles[index], index, &original);
            (config, tree) = applied.map_err(|e| {
                let message = format!("applying profile {name:?}: {}", e.message);
                profile_error(entry, &original, e.pos, &e.path, message)
            })?;
        }
        entry.config = config;
        entry.source = original.with_root(tree);
    }
    if !keeps_profiles(ctx.command) {
        entry.config.profiles.clear();
    }
    check_kube_context_consistency(entry, ctx, &activated.context_specific)?;
    Ok(activated.names)
}

/// Apply one profile of the config by name, whether or not it would be active (for tools that
/// show a profile's effect).
pub fn apply_profile(entry: &mut ConfigEntry, name: &str) -> Result<(), ConfigError> {
    let original = entry.source.clone();
    let Some(index) = entry.config.profiles.iter().rposition(|p| p.name == name) else {
        return Err(profile_error(
            entry,
            &original,
            Pos::default(),
            &[],
            format!("couldn't find profile {name}"),
        ));
    };
    let profile = entry.config.profiles[index].clone();
    let tree = normalize(&entry.config, original.root())
        .map_err(|m| profile_error(entry, &original, original.root().pos, &[], m))?;
    let (config, tree) = apply_one(tree, &profile, index, &original).map_err(|e| {
        let message = format!("applying profile {name:?}: {}", e.message);
        profile_error(entry, &original, e.pos, &e.path, message)
    })?;
    entry.config = config;
    entry.source = original.with_root(tree);
    Ok(())
}

/// An error while applying one profile, before it is wrapped with the config and file.
struct ApplyError {
    pos: Pos,
    path: Vec<Segment>,
    message: String,
}

fn locate(source: &Source, path: &[Segment]) -> Pos {
    yaml::locate(source.root(), path)
}

/// A typed value as a YAML tree, with positions taken from `original` by path.
fn normalize<T: Serialize>(value: &T, original: &Node) -> Result<Node, String> {
    let value = serde_yaml_ng::to_value(value)
        .map_err(|e| format!("cannot convert the config to YAML: {e}"))?;
    Ok(yaml::from_value(&value, original))
}

fn apply_one(
    mut tree: Node,
    profile: &Profile,
    index: usize,
    original: &Source,
) -> Result<(SkaffoldConfig, Node), ApplyError> {
    let profile_path = path!["profiles", index];
    let profile_node = yaml::lookup(original.root(), &profile_path)
        .cloned()
        .unwrap_or_else(|| Node::null(original.root().pos));
    let profile_tree =
        normalize(&profile.pipeline, &profile_node).map_err(|message| ApplyError {
            pos: profile_node.pos,
            path: profile_path.to_vec(),
            message,
        })?;
    overlay::overlay(&mut tree, &profile_tree, &overlay::PIPELINE);

    for (j, p) in profile.patches.iter().enumerate() {
        let base = path!["profiles", index, "patches", j].to_vec();
        let at = |key: &str| {
            let mut v = base.clone();
            v.push(Segment::Key(key.to_string()));
            v
        };
        let value_node = p.value.as_ref().map(|v| {
            yaml::lookup(original.root(), &at("value"))
                .cloned()
                .unwrap_or_else(|| yaml::from_value(v, &Node::null(locate(original, &at("value")))))
        });
        let patch = patch::Patch {
            op: &p.op,
            path: &p.path,
            from: &p.from,
            value: value_node.as_ref(),
            pos: locate(original, &base),
        };
        patch::apply(&mut tree, &patch).map_err(|e| {
            let field = if patch::Op::parse(&p.op).is_none() {
                at("op")
            } else {
                at("path")
            };
            let op = patch::Op::parse(&p.op).map_or(p.op.as_str(), |o| o.as_str());
            ApplyError {
                pos: locate(original, &field),
                path: field,
                message: format!(
                    "invalid path: {} (patches[{j}], op {op}: {})",
                    p.path, e.reason
                ),
            }
        })?;
    }

    let config: SkaffoldConfig = yaml::de::from_node(&tree).map_err(|e| ApplyError {
        pos: e.pos.unwrap_or(tree.pos),
        path: e.path,
        message: e.message,
    })?;
    let tree = normalize(&config, &tree).map_err(|message| ApplyError {
        pos: tree.pos,
        path: Vec::new(),
        message,
    })?;
    Ok((config, tree))
}

/// Skaffold's `ConfigProfileActivationErr` around `message`, positioned in `source`.
fn profile_error(
    entry: &ConfigEntry,
    source: &Source,
    pos: Pos,
    path: &[Segment],
    message: String,
) -> ConfigError {
    let name = &entry.config.metadata.name;
    let file = source.file.display().to_string();
    ConfigError::new(
        &source.file,
        StatusCode::ConfigApplyProfilesErr,
        format!("failed to apply profiles to config {name:?} defined in file {file:?}: {message}"),
    )
    .at(pos, source.text())
    .with_path(path)
    .with_suggestion(
        SuggestionCode::ConfigCheckProfileDefinition,
        format!(
            "There's an issue with one of the profiles defined in config {name:?} in file {file:?}; refer to the documentation on how to author valid profiles: https://skaffold.dev/docs/environment/profiles/"
        ),
    )
}

fn check_kube_context_consistency(
    entry: &ConfigEntry,
    ctx: &ActivationContext<'_>,
    context_specific: &[String],
) -> Result<(), ConfigError> {
    if ctx.kube_context.is_some_and(|c| !c.is_empty()) {
        return Ok(());
    }
    let current = ctx.current_kube_context.unwrap_or("");
    let effective = &entry.config.pipeline.deploy.kube_context;
    if effective.is_empty() || effective == current || context_specific.is_empty() {
        return Ok(());
    }
    let path = path!["deploy", "kubeContext"];
    Err(profile_error(
        entry,
        &entry.source,
        entry.source.locate(&path),
        &path,
        format!(
            "profiles {} were activated by kube-context {current:?}, but the effective kube-context is {effective:?} -- please revise your `profiles.activation` and `deploy.kubeContext` configurations",
            go_quote_list(context_specific)
        ),
    ))
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
pub(crate) fn go_quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| crate::template::go_quote(s)).collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests;
