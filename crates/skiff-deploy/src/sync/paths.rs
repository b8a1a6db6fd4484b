//! Container paths as Go's `path` package builds them: `/`-separated, joined and cleaned
//! lexically, as Skaffold computes sync destinations.

/// Go's `path.Join`: the non-empty `parts` joined with `/`, cleaned; empty when all are empty.
pub(super) fn join(parts: &[&str]) -> String {
    let joined = parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    clean(&joined)
}

/// Go's `path.Clean`: the shortest equivalent path, `.` for an empty one.
pub(super) fn clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if kept.last().is_some_and(|last| *last != "..") {
                    kept.pop();
                } else if !rooted {
                    kept.push("..");
                }
            }
            name => kept.push(name),
        }
    }
    let body = kept.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_cleans_like_go() {
        assert_eq!(join(&["/app", ".", "index.html"]), "/app/index.html");
        assert_eq!(join(&["", "/www/", "a//b"]), "/www/a/b");
        assert_eq!(join(&["/", "static", "../x"]), "/x");
        assert_eq!(join(&["", "", ""]), "");
        assert_eq!(join(&["a", "../.."]), "..");
    }

    #[test]
    fn clean_keeps_the_root() {
        assert_eq!(clean("/../a"), "/a");
        assert_eq!(clean("/"), "/");
        assert_eq!(clean(""), ".");
        assert_eq!(clean("a/./b/"), "a/b");
    }
}
