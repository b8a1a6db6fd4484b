//! The argument lists of the helm commands the deployer runs, in Skaffold's order.
//!
//! `helm install` / `helm upgrade` (Skaffold's `installArgs`):
//!
//! ```text
//! upgrade RELEASE FLAGS.UPGRADE… [--force] [--recreate-pods]   (the release exists)
//! install RELEASE FLAGS.INSTALL…                               (it does not)
//!   [--version V]          unless the release is `packaged`
//!   CHART
//!   [--namespace NS]
//!   [--repo REPO]
//!   [--create-namespace]   `createNamespace`, on install only
//!   --set… --set-file… --set… -f…   setValues, setFiles, setValueTemplates, valuesFiles
//!   [-f OVERRIDES]         when the release has `overrides`
//!   [--wait]
//!   [--post-renderer PROGRAM [--post-renderer-args ARG]…]
//! ```
//!
//! Every command is then wrapped as `skiff_render::helm::args::wrap` does it:
//! `[secrets] [--kube-context C] ARGS… FLAGS.GLOBAL… [--kubeconfig F]`.
//!
//! Differences from Skaffold: the post-renderer is whatever program the caller names (Skaffold
//! always runs its own `skaffold filter` and passes its arguments through the environment; here
//! they are `--post-renderer-args`, helm ≥ 3.10), and the overrides file is a temporary file.

use std::path::PathBuf;

use skiff_config::model::{HelmDeployFlags, HelmRelease};
use skiff_render::helm::args::{TemplateInputs, override_args};

use crate::DeployError;

/// The program helm pipes each release's rendered manifests through before applying them
/// (`--post-renderer`): it reads them on standard input and prints the manifests to apply
/// (skiff's will replace images and add the run's labels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRenderer {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments, each passed as `--post-renderer-args`.
    pub args: Vec<String>,
}

/// What one release's install or upgrade needs besides the release and the flags.
pub struct InstallInputs<'a> {
    /// Upgrade an installed release (`true`) or install a new one.
    pub upgrade: bool,
    /// `--force` on upgrade (`skaffold deploy --force`).
    pub force: bool,
    /// The chart's version after template expansion, empty for none.
    pub version: &'a str,
    /// The chart repository after template expansion, empty for none.
    pub repo: &'a str,
    /// Where the `--set`/`-f` arguments come from: release name, chart, namespace, overrides
    /// file, base directory, environment and image data.
    pub template: TemplateInputs<'a>,
    /// The post-renderer, if any.
    pub post_renderer: Option<&'a PostRenderer>,
}

/// `install …` or `upgrade …` for `release` (without the wrapping every command gets).
pub fn install_args(
    release: &HelmRelease,
    flags: &HelmDeployFlags,
    inputs: &InstallInputs<'_>,
) -> Result<Vec<String>, DeployError> {
    let template = &inputs.template;
    let mut args = Vec::new();
    if inputs.upgrade {
        args.extend(["upgrade".to_string(), template.release_name.to_string()]);
        args.extend(flags.upgrade.iter().cloned());
        if inputs.force {
            args.push("--force".to_string());
        }
        if release.recreate_pods {
            args.push("--recreate-pods".to_string());
        }
    } else {
        args.extend(["install".to_string(), template.release_name.to_string()]);
        args.extend(flags.install.iter().cloned());
    }
    if release.packaged.is_none() && !inputs.version.is_empty() {
        args.extend(["--version".to_string(), inputs.version.to_string()]);
    }
    args.push(template.chart.to_string());
    if !template.namespace.is_empty() {
        args.extend(["--namespace".to_string(), template.namespace.to_string()]);
    }
    if !inputs.repo.is_empty() {
        args.extend(["--repo".to_string(), inputs.repo.to_string()]);
    }
    if release.create_namespace == Some(true) && !inputs.upgrade {
        args.push("--create-namespace".to_string());
    }
    // The command line's `--set` overrides reach manifests through the post-renderer, as in
    // Skaffold, so none are passed here.
    args.extend(override_args(release, &Default::default(), template)?);
    if let Some(file) = template.overrides_file {
        args.extend(["-f".to_string(), file.display().to_string()]);
    }
    if release.wait {
        args.push("--wait".to_string());
    }
    if let Some(post) = inputs.post_renderer {
        args.extend([
            "--post-renderer".to_string(),
            post.program.display().to_string(),
        ]);
        for arg in &post.args {
            args.extend(["--post-renderer-args".to_string(), arg.clone()]);
        }
    }
    Ok(args)
}

/// `get all [--namespace NS] RELEASE`: succeeds only when the release is installed.
pub fn get_all_args(release_name: &str, namespace: &str) -> Vec<String> {
    with_namespace(vec!["get".into(), "all".into()], namespace, release_name)
}

/// `get manifest [--namespace NS] RELEASE`: the manifests helm applied for the release.
pub fn get_manifest_args(release_name: &str, namespace: &str) -> Vec<String> {
    with_namespace(
        vec!["get".into(), "manifest".into()],
        namespace,
        release_name,
    )
}

/// `uninstall [--namespace NS] RELEASE` (Skaffold's `helm delete`).
pub fn uninstall_args(release_name: &str, namespace: &str) -> Vec<String> {
    with_namespace(vec!["uninstall".into()], namespace, release_name)
}

fn with_namespace(mut args: Vec<String>, namespace: &str, release_name: &str) -> Vec<String> {
    if !namespace.is_empty() {
        args.extend(["--namespace".to_string(), namespace.to_string()]);
    }
    args.push(release_name.to_string());
    args
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use skiff_config::model::{FlatMap, HelmPackaged};

    use super::*;

    fn inputs<'a>(
        upgrade: bool,
        empty: &'a BTreeMap<String, String>,
        image_data: &'a BTreeMap<String, String>,
    ) -> InstallInputs<'a> {
        InstallInputs {
            upgrade,
            force: false,
            version: "",
            repo: "",
            template: TemplateInputs {
                release_name: "web",
                chart: "/cfg/chart",
                namespace: "",
                overrides_file: None,
                base_dir: Path::new("/cfg"),
                env: empty,
                image_data,
            },
            post_renderer: None,
        }
    }

    fn words(args: &[String]) -> String {
        args.join(" ")
    }

    #[test]
    fn a_plain_release_installs_its_chart() {
        let empty = BTreeMap::new();
        let release = HelmRelease::default();
        let args = install_args(
            &release,
            &HelmDeployFlags::default(),
            &inputs(false, &empty, &empty),
        );
        assert_eq!(words(&args.unwrap()), "install web /cfg/chart");
    }

    #[test]
    fn every_option_lands_in_skaffolds_order() {
        let empty = BTreeMap::new();
        let image_data = BTreeMap::from([("IMAGE_TAG".to_string(), "v1".to_string())]);
        let release = HelmRelease {
            set_values: FlatMap(
                [("b".to_string(), "2".into()), ("a".to_string(), "1".into())]
                    .into_iter()
                    .collect(),
            ),
            set_value_templates: FlatMap(
                [("image.tag".to_string(), "{{.IMAGE_TAG}}".into())]
                    .into_iter()
                    .collect(),
            ),
            values_files: vec!["values.yaml".into()],
            create_namespace: Some(true),
            wait: true,
            recreate_pods: true,
            ..HelmRelease::default()
        };
        let flags = HelmDeployFlags {
            install: vec!["--atomic".into()],
            upgrade: vec!["--reuse-values".into()],
            ..HelmDeployFlags::default()
        };
        let overrides = Path::new("/tmp/overrides.yaml");
        let post = PostRenderer {
            program: "/bin/skiff".into(),
            args: vec!["filter".into(), "--label=a=b".into()],
        };
        let mut install = inputs(false, &empty, &image_data);
        install.version = "1.2.3";
        install.repo = "https://charts.example";
        install.template.namespace = "apps";
        install.template.overrides_file = Some(overrides);
        install.post_renderer = Some(&post);
        assert_eq!(
            words(&install_args(&release, &flags, &install).unwrap()),
            "install web --atomic --version 1.2.3 /cfg/chart --namespace apps \
             --repo https://charts.example --create-namespace --set a=1 --set b=2 \
             --set image.tag=v1 -f /cfg/values.yaml -f /tmp/overrides.yaml --wait \
             --post-renderer /bin/skiff --post-renderer-args filter \
             --post-renderer-args --label=a=b"
        );

        // An upgrade: its own flags, --force, --recreate-pods, never --create-namespace.
        let mut upgrade = inputs(true, &empty, &image_data);
        upgrade.force = true;
        assert_eq!(
            words(&install_args(&release, &flags, &upgrade).unwrap()),
            "upgrade web --reuse-values --force --recreate-pods /cfg/chart --set a=1 \
             --set b=2 --set image.tag=v1 -f /cfg/values.yaml --wait"
        );
    }

    #[test]
    fn a_packaged_release_passes_no_version() {
        let empty = BTreeMap::new();
        let release = HelmRelease {
            packaged: Some(HelmPackaged::default()),
            ..HelmRelease::default()
        };
        let mut install = inputs(false, &empty, &empty);
        install.version = "9.9.9";
        let args = install_args(&release, &HelmDeployFlags::default(), &install).unwrap();
        assert!(!args.contains(&"--version".to_string()), "{args:?}");
    }

    #[test]
    fn a_bad_value_template_is_an_error_naming_the_release() {
        let empty = BTreeMap::new();
        let release = HelmRelease {
            name: "web".into(),
            set_value_templates: FlatMap(
                [("k".to_string(), "{{.Broken".into())]
                    .into_iter()
                    .collect(),
            ),
            ..HelmRelease::default()
        };
        let err = install_args(
            &release,
            &HelmDeployFlags::default(),
            &inputs(false, &empty, &empty),
        )
        .unwrap_err();
        assert_eq!(
            err.code,
            skiff_proto::enums::StatusCode::DeployHelmUserErr,
            "{err:?}"
        );
        assert!(err.message.contains("\"web\""), "{}", err.message);
    }

    #[test]
    fn query_commands_name_the_namespace_before_the_release() {
        assert_eq!(words(&get_all_args("web", "")), "get all web");
        assert_eq!(
            words(&get_manifest_args("web", "apps")),
            "get manifest --namespace apps web"
        );
        assert_eq!(
            words(&uninstall_args("web", "apps")),
            "uninstall --namespace apps web"
        );
    }
}
