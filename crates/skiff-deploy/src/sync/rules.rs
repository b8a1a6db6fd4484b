//! Manual sync rules (`sync.manual`): the container paths a changed file is copied to, as
//! Skaffold's `matchSyncRules` maps them.

use skiff_build::custom::doublestar::path_match;
use skiff_config::model::SyncRule;
use skiff_proto::enums::StatusCode;

use super::paths::join;
use crate::error::DeployError;

/// Where the file `rel` (relative to the workspace, `/`-separated) goes by `rules`, one
/// destination per matching rule, in rule order; empty when no rule matches. A rule matches
/// when its `src` glob (with `**`) matches `rel`; the destination is `dest` under the image's
/// working directory `workdir` when `dest` is relative, followed by `rel` without the `strip`
/// prefix.
pub(super) fn destinations(
    rules: &[SyncRule],
    rel: &str,
    workdir: &str,
) -> Result<Vec<String>, DeployError> {
    let mut found = Vec::new();
    for rule in rules {
        if !glob_match(&rule.src, rel)? {
            continue;
        }
        let base = if rule.dest.starts_with('/') {
            ""
        } else {
            workdir
        };
        let sub = rel.strip_prefix(rule.strip.as_str()).unwrap_or(rel);
        found.push(join(&[base, &rule.dest, sub]));
    }
    Ok(found)
}

/// Whether the glob `pattern` (doublestar syntax) matches `rel`.
pub(super) fn glob_match(pattern: &str, rel: &str) -> Result<bool, DeployError> {
    path_match(pattern, rel).map_err(|e| {
        DeployError::new(
            StatusCode::SyncUnknown,
            format!("pattern error for {rel:?}: sync pattern {pattern:?}: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(src: &str, dest: &str, strip: &str) -> SyncRule {
        SyncRule {
            src: src.into(),
            dest: dest.into(),
            strip: strip.into(),
        }
    }

    #[test]
    fn relative_destinations_start_at_the_working_directory() {
        let rules = [rule("*.html", ".", "")];
        assert_eq!(
            destinations(&rules, "index.html", "/www").unwrap(),
            ["/www/index.html"]
        );
        assert!(
            destinations(&rules, "sub/index.html", "/www")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn strip_transplants_the_tree() {
        let rules = [rule("src/**/*.js", "/app/lib", "src/")];
        assert_eq!(
            destinations(&rules, "src/a/b/c.js", "/ignored").unwrap(),
            ["/app/lib/a/b/c.js"]
        );
        // Without the prefix, nothing is stripped.
        let rules = [rule("**/*.js", "/app", "lib/")];
        assert_eq!(
            destinations(&rules, "src/c.js", "/").unwrap(),
            ["/app/src/c.js"]
        );
    }

    #[test]
    fn every_matching_rule_gives_a_destination() {
        let rules = [rule("**/*", "/a", ""), rule("*.txt", "b", "")];
        assert_eq!(
            destinations(&rules, "x.txt", "/w").unwrap(),
            ["/a/x.txt", "/w/b/x.txt"]
        );
    }

    #[test]
    fn bad_patterns_are_errors() {
        let err = destinations(&[rule("[", ".", "")], "x", "/").unwrap_err();
        assert_eq!(err.code, StatusCode::SyncUnknown);
        assert!(err.message.contains("pattern error"), "{}", err.message);
    }
}
