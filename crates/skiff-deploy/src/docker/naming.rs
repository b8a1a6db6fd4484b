//! Container names, as Skaffold gives them: the image name, then `<name>-1`, `<name>-2`, … when
//! the name is taken.
//!
//! Skaffold uses the image name as is, which the engine rejects for any name with a registry
//! or a path (`localhost:5000/app`). Docker accepts `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, so every other
//! character becomes `-` and leading characters that cannot start a name are dropped:
//! `localhost:5000/app` runs as `localhost-5000-app`.

/// The name a container of `image` gets when the name is free.
pub(crate) fn base_name(image: &str) -> String {
    let sanitized: String = image
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = sanitized.trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() {
        "container".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The `attempt`-th name tried for `base`: `base`, then `base-1`, `base-2`, …
pub(crate) fn candidate(base: &str, attempt: usize) -> String {
    if attempt == 0 {
        base.to_owned()
    } else {
        format!("{base}-{attempt}")
    }
}

/// Whether `name` is one of the names [`candidate`] gives for `base` (Skaffold's
/// `^/?<name>(-\d+)?$`), so a cleanup finds the containers an earlier run started.
pub(crate) fn is_named_after(name: &str, base: &str) -> bool {
    let Some(rest) = name.trim_start_matches('/').strip_prefix(base) else {
        return false;
    };
    match rest.strip_prefix('-') {
        None => rest.is_empty(),
        Some(number) => !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_docker_rejects_are_sanitized() {
        assert_eq!(base_name("app"), "app");
        assert_eq!(
            base_name("localhost:5000/team/app"),
            "localhost-5000-team-app"
        );
        assert_eq!(base_name("gcr.io/p/web_1"), "gcr.io-p-web_1");
        assert_eq!(base_name("/weird"), "weird");
        assert_eq!(base_name("///"), "container");
    }

    #[test]
    fn taken_names_get_a_counter() {
        assert_eq!(candidate("app", 0), "app");
        assert_eq!(candidate("app", 2), "app-2");
    }

    #[test]
    fn cleanup_matches_the_names_a_run_gives() {
        assert!(is_named_after("app", "app"));
        assert!(is_named_after("/app-12", "app"));
        assert!(!is_named_after("app-", "app"));
        assert!(!is_named_after("app-x", "app"));
        assert!(!is_named_after("apps", "app"));
        assert!(!is_named_after("my-app", "app"));
        // Dots are literal, not regex wildcards.
        assert!(!is_named_after("gcrxio", "gcr.io"));
    }
}
