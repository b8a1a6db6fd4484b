//! In which order releases are installed: Skaffold's `dependsOn` dependency graph, grouped into
//! levels. A release's level is one more than the highest level of the releases it depends on;
//! the releases of one level do not depend on each other and may be installed concurrently, the
//! levels one after the other.
//!
//! Without any `dependsOn`, every release is on level 0 in configuration order. Otherwise the
//! releases are visited in configuration order, each after its dependencies (those in
//! configuration order too), and each level keeps that visiting order.
//!
//! Errors (`DEPLOY_HELM_USER_ERR`): two releases of one name, a dependency on a release that is
//! not configured, and a cycle, which is named release by release (`a -> b -> a`).

use std::collections::{BTreeMap, HashMap};

use skiff_config::model::HelmRelease;
use skiff_proto::enums::StatusCode;

use crate::DeployError;

/// The releases' indices grouped into levels, in installation order.
pub fn release_levels(releases: &[HelmRelease]) -> Result<Vec<Vec<usize>>, DeployError> {
    let mut index = HashMap::new();
    for (i, release) in releases.iter().enumerate() {
        if index.insert(release.name.as_str(), i).is_some() {
            return Err(order_error(format!(
                "duplicate release name {:?}",
                release.name
            )));
        }
    }
    let mut deps = Vec::with_capacity(releases.len());
    for release in releases {
        let mut of_release = Vec::new();
        for dep in &release.depends_on {
            let &i = index.get(dep.as_str()).ok_or_else(|| {
                order_error(format!(
                    "release {:?} depends on release {dep:?}, which is not configured",
                    release.name
                ))
            })?;
            of_release.push(i);
        }
        of_release.sort_unstable();
        deps.push(of_release);
    }
    let mut walk = Walk {
        releases,
        deps: &deps,
        level: vec![None; releases.len()],
        path: Vec::new(),
        order: Vec::new(),
    };
    for i in 0..releases.len() {
        walk.visit(i)?;
    }
    let mut levels: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &i in &walk.order {
        let level = walk.level[i].expect("every visited release has a level");
        levels.entry(level).or_default().push(i);
    }
    Ok(levels.into_values().collect())
}

/// A depth-first walk that assigns levels and detects cycles.
struct Walk<'a> {
    releases: &'a [HelmRelease],
    deps: &'a [Vec<usize>],
    level: Vec<Option<usize>>,
    /// The releases being visited, outermost first.
    path: Vec<usize>,
    /// Releases in the order their levels were settled.
    order: Vec<usize>,
}

impl Walk<'_> {
    fn visit(&mut self, i: usize) -> Result<usize, DeployError> {
        if let Some(level) = self.level[i] {
            return Ok(level);
        }
        if let Some(start) = self.path.iter().position(|&p| p == i) {
            let cycle: Vec<&str> = self.path[start..]
                .iter()
                .chain([&i])
                .map(|&p| self.releases[p].name.as_str())
                .collect();
            return Err(order_error(format!(
                "releases depend on each other in a cycle: {}",
                cycle.join(" -> ")
            )));
        }
        self.path.push(i);
        let mut level = 0;
        for &dep in &self.deps[i] {
            level = level.max(self.visit(dep)? + 1);
        }
        self.path.pop();
        self.level[i] = Some(level);
        self.order.push(i);
        Ok(level)
    }
}

fn order_error(message: String) -> DeployError {
    DeployError::new(
        StatusCode::DeployHelmUserErr,
        format!("unable to order the helm releases: {message}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn releases(spec: &[(&str, &[&str])]) -> Vec<HelmRelease> {
        spec.iter()
            .map(|(name, deps)| HelmRelease {
                name: name.to_string(),
                depends_on: deps.iter().map(|d| d.to_string()).collect(),
                ..HelmRelease::default()
            })
            .collect()
    }

    fn names(spec: &[(&str, &[&str])]) -> Vec<Vec<String>> {
        let rs = releases(spec);
        release_levels(&rs)
            .unwrap()
            .into_iter()
            .map(|level| level.into_iter().map(|i| rs[i].name.clone()).collect())
            .collect()
    }

    #[test]
    fn without_dependencies_all_releases_share_one_level_in_config_order() {
        assert_eq!(
            names(&[("c", &[]), ("a", &[]), ("b", &[])]),
            vec![vec!["c", "a", "b"]]
        );
        assert!(names(&[]).is_empty());
    }

    #[test]
    fn dependencies_come_first_and_levels_follow_the_longest_chain() {
        // web -> api -> db, web -> cache; metrics is independent.
        let levels = names(&[
            ("web", &["cache", "api"]),
            ("metrics", &[]),
            ("api", &["db"]),
            ("db", &[]),
            ("cache", &[]),
        ]);
        assert_eq!(
            levels,
            vec![vec!["db", "cache", "metrics"], vec!["api"], vec!["web"],]
        );
    }

    #[test]
    fn a_cycle_is_an_error_naming_its_releases() {
        let rs = releases(&[("a", &["b"]), ("b", &["c"]), ("c", &["a"]), ("d", &[])]);
        let err = release_levels(&rs).unwrap_err();
        assert_eq!(err.code, StatusCode::DeployHelmUserErr);
        assert!(
            err.message.ends_with("cycle: a -> b -> c -> a"),
            "{}",
            err.message
        );
        let selfish = releases(&[("a", &["a"])]);
        assert!(
            release_levels(&selfish)
                .unwrap_err()
                .message
                .ends_with("a -> a")
        );
    }

    #[test]
    fn unknown_dependencies_and_duplicate_names_are_errors() {
        let err = release_levels(&releases(&[("a", &["ghost"])])).unwrap_err();
        assert!(
            err.message.contains("\"a\" depends on release \"ghost\""),
            "{}",
            err.message
        );
        let err = release_levels(&releases(&[("a", &[]), ("a", &[])])).unwrap_err();
        assert!(
            err.message.contains("duplicate release name \"a\""),
            "{}",
            err.message
        );
    }
}
