//! The profile overlay: which fields of a profile replace the config's, following Skaffold's
//! `overlayProfileField` (`pkg/skaffold/schema/profiles.go`).
//!
//! Skaffold walks the Go structs by reflection:
//! - a struct field that is a plain (non-pointer) struct is walked field by field, unless its
//!   first field belongs to a one-of group, in which case the whole group is replaced by the
//!   profile's member when the profile sets one;
//! - every other field (list, pointer, map, string, number, bool) is replaced when the profile's
//!   value is not Go's zero value (an empty list or string, `0`, `false`, or an unset pointer).
//!
//! Both trees here are *normalized*: serialized from the typed model, which omits exactly the Go
//! zero values of non-pointer fields and keeps set pointers (`statusCheck: false`, `local: {}`),
//! so "the profile sets it" is "the key is present". The plain structs that are walked (rather
//! than replaced) are listed in [`PIPELINE`]; Go's inline one-of group `BuildType` (`local`,
//! `googleCloudBuild`, `cluster`) is the only group that is merged into its parent's keys.
//! `tagPolicy` is a one-of struct whose members are all its fields, so replacing it whole is the
//! same as Skaffold's rule. The deployers of `deploy` (`docker`, `helm`, `kpt`, `kubectl`,
//! `cloudrun`) are not a one-of group in Skaffold: each one is replaced on its own, so a profile
//! adding `helm` to a config with `kubectl` deploys with both.

use crate::yaml::{Node, NodeKind};

/// How the fields of one plain struct are overlaid.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Fields that are plain structs, walked recursively.
    pub structs: &'static [(&'static str, &'static Spec)],
    /// Inline one-of groups: when the profile sets a member, all members of the config are
    /// dropped and the profile's first member (in schema order) is used.
    pub groups: &'static [&'static [&'static str]],
}

const LEAF: Spec = Spec {
    structs: &[],
    groups: &[],
};

const BUILD: Spec = Spec {
    // `hooks` is `BuildHooks{before, after}`.
    structs: &[("hooks", &LEAF)],
    groups: &[&["local", "googleCloudBuild", "cluster"]],
};

const MANIFESTS: Spec = Spec {
    // The inline `Generate` struct's fields are `manifests`' own keys; `hooks` is
    // `RenderHooks{before, after}`.
    structs: &[("hooks", &LEAF)],
    groups: &[],
};

const LOGS: Spec = Spec {
    structs: &[("jsonParse", &LEAF)],
    groups: &[],
};

const DEPLOY: Spec = Spec {
    structs: &[("logs", &LOGS)],
    groups: &[],
};

/// The pipeline sections of a config or profile.
pub(crate) const PIPELINE: Spec = Spec {
    structs: &[
        ("build", &BUILD),
        ("manifests", &MANIFESTS),
        ("deploy", &DEPLOY),
        ("resourceSelector", &LEAF),
    ],
    groups: &[],
};

fn key_is(k: &Node, name: &str) -> bool {
    k.as_str() == Some(name)
}

/// Overlay the normalized `profile` mapping onto the normalized `config` mapping.
pub(crate) fn overlay(config: &mut Node, profile: &Node, spec: &Spec) {
    let NodeKind::Map(p_entries) = &profile.kind else {
        return;
    };
    if !matches!(config.kind, NodeKind::Map(_)) {
        *config = Node {
            pos: profile.pos,
            kind: NodeKind::Map(Vec::new()),
        };
    }
    let NodeKind::Map(c_entries) = &mut config.kind else {
        return;
    };
    for group in spec.groups {
        let chosen = group.iter().find_map(|member| {
            p_entries
                .iter()
                .find(|(k, _)| key_is(k, member))
                .map(|(k, v)| (k.clone(), v.clone()))
        });
        if let Some(entry) = chosen {
            c_entries.retain(|(k, _)| !group.iter().any(|m| key_is(k, m)));
            c_entries.push(entry);
        }
    }
    for (pk, pv) in p_entries {
        let Some(name) = pk.as_str() else { continue };
        if spec.groups.iter().any(|g| g.contains(&name)) {
            continue;
        }
        if let Some((_, sub)) = spec.structs.iter().find(|(n, _)| *n == name) {
            let existing = c_entries.iter_mut().find(|(k, _)| key_is(k, name));
            match existing {
                Some((_, cv)) => overlay(cv, pv, sub),
                None => {
                    let mut fresh = Node {
                        pos: pv.pos,
                        kind: NodeKind::Map(Vec::new()),
                    };
                    overlay(&mut fresh, pv, sub);
                    c_entries.push((pk.clone(), fresh));
                }
            }
            continue;
        }
        match c_entries.iter_mut().find(|(k, _)| key_is(k, name)) {
            // The profile's key node too, so that errors about the field point at the profile.
            Some(entry) => *entry = (pk.clone(), pv.clone()),
            None => c_entries.push((pk.clone(), pv.clone())),
        }
    }
}
