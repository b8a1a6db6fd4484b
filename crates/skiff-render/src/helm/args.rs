//! The argument lists of `helm template` and `helm dep build`, in Skaffold's order.
//!
//! `helm template` (Skaffold's `templateArgs` and `ConstructOverrideArgs`):
//!
//! ```text
//! [--kube-context CTX] template RELEASE CHART
//!   FLAGS.TEMPLATE…
//!   --set K=V…             setValues, keys sorted
//!   --set-file K=PATH…     setFiles, keys sorted (`~` expanded, quoted when it has spaces)
//!   --set K=V…             setValueTemplates, keys sorted, key and value expanded
//!   -f FILE…               valuesFiles (`~` and templates expanded)
//!   --set K=V…             the command line's --set overrides, keys sorted
//!   -f OVERRIDES           when the release has `overrides`
//!   --version V            unless the release is `packaged`
//!   --namespace NS
//!   --repo REPO
//!   --skip-tests
//!   FLAGS.GLOBAL…
//!   [--kubeconfig FILE]
//! ```
//!
//! preceded by `secrets` when the release uses helm-secrets. `helm dep build CHART
//! FLAGS.DEPBUILD…` is wrapped the same way.
//!
//! Differences from Skaffold: `--kube-context` and `--kubeconfig` are only passed when set
//! (Skaffold passes an empty `--kube-context ""`); no `--post-renderer` (skiff replaces images and
//! adds labels itself after rendering); the overrides file is a temporary file instead of
//! `skaffold-overrides.yaml` in the current directory; relative `valuesFiles`/`setFiles` paths are
//! resolved after their templates are expanded.

use std::collections::BTreeMap;
use std::path::Path;

use skiff_config::model::{HelmDeployFlags, HelmRelease};
use skiff_config::template::expand_env_template_with_env;
use skiff_proto::enums::StatusCode;

use crate::RenderError;

/// How every helm command of a render is run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HelmOptions {
    /// `--kube-context`, when set.
    pub kube_context: String,
    /// `--kubeconfig`, when set.
    pub kube_config: String,
    /// The command line's `--namespace`: it replaces every release's `namespace`.
    pub namespace: String,
    /// The command line's `--set key=value` overrides.
    pub manifest_overrides: BTreeMap<String, String>,
}

/// What one release's `helm template` needs besides the release itself.
pub struct TemplateInputs<'a> {
    /// The expanded release name.
    pub release_name: &'a str,
    /// The chart: a local path or a remote chart reference.
    pub chart: &'a str,
    /// The namespace to pass, empty for none.
    pub namespace: &'a str,
    /// The overrides values file, when the release has `overrides`.
    pub overrides_file: Option<&'a Path>,
    /// The config's directory, for relative paths.
    pub base_dir: &'a Path,
    /// The environment (templates, `~`).
    pub env: &'a BTreeMap<String, String>,
    /// The built images' template data.
    pub image_data: &'a BTreeMap<String, String>,
}

/// `template RELEASE CHART …` (without the global wrapping of [`wrap`]).
pub fn template_args(
    release: &HelmRelease,
    flags: &HelmDeployFlags,
    options: &HelmOptions,
    inputs: &TemplateInputs<'_>,
) -> Result<Vec<String>, RenderError> {
    let mut args = vec![
        "template".to_string(),
        inputs.release_name.to_string(),
        inputs.chart.to_string(),
    ];
    args.extend(flags.template.iter().cloned());
    args.extend(override_args(release, options, inputs)?);
    if let Some(file) = inputs.overrides_file {
        args.extend(["-f".to_string(), file.display().to_string()]);
    }
    if release.packaged.is_none() && !release.version.is_empty() {
        args.extend(["--version".to_string(), release.version.clone()]);
    }
    if !inputs.namespace.is_empty() {
        args.extend(["--namespace".to_string(), inputs.namespace.to_string()]);
    }
    if !release.repo.is_empty() {
        args.extend(["--repo".to_string(), release.repo.clone()]);
    }
    if release.skip_tests {
        args.push("--skip-tests".to_string());
    }
    Ok(args)
}

/// `dep build CHART FLAGS.DEPBUILD…`.
pub fn dep_build_args(chart_path: &str, flags: &HelmDeployFlags) -> Vec<String> {
    ["dep", "build", chart_path]
        .into_iter()
        .map(String::from)
        .chain(flags.dep_build.iter().cloned())
        .collect()
}

/// A helm subcommand's full argument list: `[--kube-context C] ARGS… GLOBAL… [--kubeconfig F]`,
/// with `secrets` in front for helm-secrets.
pub fn wrap(
    args: Vec<String>,
    flags: &HelmDeployFlags,
    options: &HelmOptions,
    use_secrets: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    if use_secrets {
        out.push("secrets".to_string());
    }
    if !options.kube_context.is_empty() {
        out.extend(["--kube-context".to_string(), options.kube_context.clone()]);
    }
    out.extend(args);
    out.extend(flags.global.iter().cloned());
    if !options.kube_config.is_empty() {
        out.extend(["--kubeconfig".to_string(), options.kube_config.clone()]);
    }
    out
}

/// The `--set`, `--set-file` and `-f` arguments of a release (Skaffold's
/// `ConstructOverrideArgs`), ending with `options.manifest_overrides`; the helm deployer's
/// install and upgrade use them too.
pub fn override_args(
    release: &HelmRelease,
    options: &HelmOptions,
    inputs: &TemplateInputs<'_>,
) -> Result<Vec<String>, RenderError> {
    let mut args = Vec::new();
    for (key, value) in &release.set_values.0 {
        args.extend(["--set".to_string(), format!("{key}={value}")]);
    }
    for (key, path) in &release.set_files {
        let path = resolve_path(&expand_home(path, inputs.env), inputs.base_dir);
        args.extend([
            "--set-file".to_string(),
            format!("{key}={}", quote_path(&path)),
        ]);
    }
    let expand = |field: &str, text: &str| {
        expand_env_template_with_env(text, inputs.env, inputs.image_data).map_err(|err| {
            RenderError::new(
                StatusCode::DeployHelmUserErr,
                format!(
                    "release {:?}: cannot expand {field} {text:?}: {err}",
                    release.name
                ),
            )
        })
    };
    for (key, template) in &release.set_value_templates.0 {
        let value = expand("setValueTemplates value", template)?;
        let key = expand("setValueTemplates key", key)?;
        // Skaffold drops one trailing `@` (left by `repo:tag@` templates written for v1's
        // `imageStrategy: helm`).
        let value = value.strip_suffix('@').unwrap_or(&value);
        args.extend(["--set".to_string(), format!("{key}={value}")]);
    }
    for file in &release.values_files {
        if file.starts_with("gs://") {
            return Err(RenderError::new(
                StatusCode::DeployHelmUserErr,
                format!(
                    "release {:?}: valuesFiles entry {file:?}: skiff does not download values \
                     files from Google Cloud Storage; copy it locally and list its path",
                    release.name
                ),
            ));
        }
        let expanded = expand("valuesFiles entry", &expand_home(file, inputs.env))?;
        args.extend(["-f".to_string(), resolve_path(&expanded, inputs.base_dir)]);
    }
    for (key, value) in &options.manifest_overrides {
        args.extend(["--set".to_string(), format!("{key}={value}")]);
    }
    Ok(args)
}

/// `~` and `~/…` with the `HOME` of `env`, as go-homedir expands them.
fn expand_home(path: &str, env: &BTreeMap<String, String>) -> String {
    match (path.strip_prefix('~'), env.get("HOME")) {
        (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
            format!("{home}{rest}")
        }
        _ => path.to_string(),
    }
}

/// `path` made absolute against `base_dir` (unchanged when empty or already absolute).
fn resolve_path(path: &str, base_dir: &Path) -> String {
    if path.is_empty() || Path::new(path).is_absolute() {
        path.to_string()
    } else {
        base_dir.join(path).display().to_string()
    }
}

/// Skaffold's `SanitizeFilePath` (Unix): a path with spaces or tabs is wrapped in double quotes
/// for helm's `--set-file` parser; an empty one becomes `""`.
fn quote_path(path: &str) -> String {
    if path.is_empty() || path.contains([' ', '\t']) {
        format!("\"{path}\"")
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use skiff_config::model::{FlatMap, HelmPackaged};

    use super::*;
    use crate::testing::assert_contains;

    fn release() -> HelmRelease {
        HelmRelease {
            name: "web".into(),
            ..HelmRelease::default()
        }
    }

    fn inputs<'a>(
        env: &'a BTreeMap<String, String>,
        image_data: &'a BTreeMap<String, String>,
    ) -> TemplateInputs<'a> {
        TemplateInputs {
            release_name: "web",
            chart: "/cfg/chart",
            namespace: "",
            overrides_file: None,
            base_dir: Path::new("/cfg"),
            env,
            image_data,
        }
    }

    /// The `helm template` arguments for `release` with no flags, options or environment.
    fn plain_template_args(release: &HelmRelease) -> Result<Vec<String>, RenderError> {
        let empty = BTreeMap::new();
        template_args(
            release,
            &HelmDeployFlags::default(),
            &HelmOptions::default(),
            &inputs(&empty, &empty),
        )
    }

    fn flat(pairs: &[(&str, &str)]) -> FlatMap {
        FlatMap(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn the_argument_list_follows_skaffolds_order() {
        let mut r = release();
        r.set_values = flat(&[("b", "2"), ("a", "1")]);
        r.set_files = BTreeMap::from([("cfg".into(), "~/my file.txt".into())]);
        r.set_value_templates = flat(&[
            ("image.repository", "{{.IMAGE_REPO_app}}"),
            ("image.tag", "{{.IMAGE_TAG_app}}@"),
        ]);
        r.values_files = vec!["values-{{.ENV}}.yaml".into(), "/abs/v.yaml".into()];
        r.version = "1.2.3".into();
        r.repo = "https://charts.example.com".into();
        r.skip_tests = true;
        let flags = HelmDeployFlags {
            template: vec!["--include-crds".into()],
            ..HelmDeployFlags::default()
        };
        let options = HelmOptions {
            manifest_overrides: BTreeMap::from([("z".into(), "9".into())]),
            ..HelmOptions::default()
        };
        let env = BTreeMap::from([
            ("HOME".to_string(), "/home/u".to_string()),
            ("ENV".to_string(), "dev".to_string()),
        ]);
        let data = BTreeMap::from([
            ("IMAGE_REPO_app".to_string(), "reg/app".to_string()),
            ("IMAGE_TAG_app".to_string(), "v1".to_string()),
        ]);
        let mut inp = inputs(&env, &data);
        inp.namespace = "ns";
        inp.overrides_file = Some(Path::new("/tmp/over.yaml"));
        let args = template_args(&r, &flags, &options, &inp).unwrap();
        assert_eq!(
            args,
            [
                "template",
                "web",
                "/cfg/chart",
                "--include-crds",
                "--set",
                "a=1",
                "--set",
                "b=2",
                "--set-file",
                "cfg=\"/home/u/my file.txt\"",
                "--set",
                "image.repository=reg/app",
                "--set",
                "image.tag=v1",
                "-f",
                "/cfg/values-dev.yaml",
                "-f",
                "/abs/v.yaml",
                "--set",
                "z=9",
                "-f",
                "/tmp/over.yaml",
                "--version",
                "1.2.3",
                "--namespace",
                "ns",
                "--repo",
                "https://charts.example.com",
                "--skip-tests",
            ]
        );
    }

    #[test]
    fn packaged_releases_get_no_version_flag() {
        let mut r = release();
        r.version = "1.0.0".into();
        r.packaged = Some(HelmPackaged::default());
        assert_eq!(
            plain_template_args(&r).unwrap(),
            ["template", "web", "/cfg/chart"]
        );
    }

    #[test]
    fn a_bad_value_template_names_the_release_and_the_template() {
        let mut r = release();
        r.set_value_templates = flat(&[("image", "{{.IMAGE_REPO")]);
        let err = plain_template_args(&r).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmUserErr);
        assert_contains(&err.message, "\"web\"");
        assert_contains(&err.message, "{{.IMAGE_REPO");
    }

    #[test]
    fn wrapping_adds_context_globals_kubeconfig_and_secrets() {
        let flags = HelmDeployFlags {
            global: vec!["--debug".into()],
            dep_build: vec!["--skip-refresh".into()],
            ..HelmDeployFlags::default()
        };
        let options = HelmOptions {
            kube_context: "kind".into(),
            kube_config: "/k".into(),
            ..HelmOptions::default()
        };
        assert_eq!(
            wrap(dep_build_args("/c", &flags), &flags, &options, true),
            [
                "secrets",
                "--kube-context",
                "kind",
                "dep",
                "build",
                "/c",
                "--skip-refresh",
                "--debug",
                "--kubeconfig",
                "/k"
            ]
        );
        assert_eq!(
            wrap(
                vec!["template".into()],
                &HelmDeployFlags::default(),
                &HelmOptions::default(),
                false
            ),
            ["template"]
        );
    }
}
