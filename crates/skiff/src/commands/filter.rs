//! `skiff filter`: reads Kubernetes manifests on stdin and writes them to stdout with the given
//! labels on every resource and pod template, as Skaffold's rules place them. helm runs it as
//! the post-renderer of the releases skiff installs, so that their workloads carry the run id
//! that the status check, the logs and the port forwards select by.

use std::io::{Read, Write};

use skiff_render::ManifestList;
use skiff_render::TransformRules;
use skiff_render::labels::set_labels;

use crate::options::FilterOptions;

/// Filters stdin to stdout.
pub fn run(opts: FilterOptions) -> anyhow::Result<()> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    let filtered = filter(&text, &opts)?;
    std::io::stdout().write_all(filtered.as_bytes())?;
    Ok(())
}

/// `text` with `opts.labels` set.
fn filter(text: &str, opts: &FilterOptions) -> anyhow::Result<String> {
    let mut manifests =
        ManifestList::parse(text, "stdin").map_err(|e| anyhow::anyhow!("{}", e.message))?;
    set_labels(&mut manifests, &opts.labels, &TransformRules::default())
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    Ok(manifests.to_yaml())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn resources_and_pod_templates_get_the_labels() {
        let opts = FilterOptions {
            labels: BTreeMap::from([("skaffold.dev/run-id".to_owned(), "r1".to_owned())]),
        };
        let out = filter(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    metadata:\n      labels:\n        app: web\n    spec:\n      containers:\n      - name: web\n        image: web\n",
            &opts,
        )
        .unwrap();
        assert_eq!(out.matches("skaffold.dev/run-id: r1").count(), 2, "{out}");
    }

    #[test]
    fn broken_yaml_is_an_error() {
        let opts = FilterOptions {
            labels: BTreeMap::new(),
        };
        assert!(filter("kind: [", &opts).is_err());
    }
}
