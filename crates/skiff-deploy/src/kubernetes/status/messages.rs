//! The text of Skaffold's status check: resource names and the lines it writes.

use std::time::Duration;

use skiff_events::duration::humanize;

/// The line that starts a status check.
pub const WAITING: &str = "Waiting for deployments to stabilize...\n";

/// How Skaffold names a resource in events and lines: `kind/name`, prefixed with
/// `namespace:` outside the `default` namespace (`deployment/web`, `dev:pod/web-1`).
pub fn resource_id(namespace: &str, kind: &str, name: &str) -> String {
    if namespace == "default" {
        format!("{kind}/{name}")
    } else {
        format!("{namespace}:{kind}/{name}")
    }
}

/// The line that ends a successful status check: `Deployments stabilized in 2.5 seconds`
/// (Skaffold's wording, which keeps `second` singular below two seconds).
pub fn stabilized(elapsed: Duration) -> String {
    format!("Deployments stabilized in {}\n", humanize(elapsed))
}

/// The line for a resource that became ready, with how many of `total` are still pending.
pub fn ready_line(id: &str, pending: usize, total: usize) -> String {
    if pending > 0 {
        format!(" - {id} is ready. [{pending}/{total} deployment(s) still pending]\n")
    } else {
        format!(" - {id} is ready.\n")
    }
}

/// The line for a resource that failed.
pub(super) fn failed_line(id: &str, message: &str) -> String {
    format!(
        " - {id} failed. Error: {}.\n",
        message.trim_end_matches('\n')
    )
}

/// The log message of a pod whose state changed (an event-only `skaffoldLogEvent`).
pub(super) fn pod_update_log(id: &str, message: &str) -> String {
    format!(" - {id}: {message}\n")
}

/// The log message of a pod of a workload that rolled out.
pub(super) fn pod_running_log(id: &str) -> String {
    format!(" - {id}: running.\n")
}

/// A pending resource's report: its status, then each pod with a message and that pod's log
/// lines.
///
/// ```text
///  - dev:deployment/web: creating container web
///     - dev:pod/web-5d9c-xk2: creating container web
///       > [web-5d9c-xk2 web] a log line
/// ```
pub(super) fn report<'a>(
    id: &str,
    status: &str,
    pods: impl IntoIterator<Item = (String, &'a str, &'a [String])>,
) -> String {
    let mut text = format!(" - {id}: {}\n", status.trim_end_matches('\n'));
    for (pod, message, logs) in pods {
        text.push_str(&format!("    - {pod}: {message}\n"));
        for line in logs {
            text.push_str(&format!("      > {}\n", line.trim_end_matches('\n')));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_namespace_is_left_out_of_names() {
        assert_eq!(
            resource_id("default", "deployment", "web"),
            "deployment/web"
        );
        assert_eq!(
            resource_id("dev", "deployment", "web"),
            "dev:deployment/web"
        );
        assert_eq!(resource_id("", "pod", "p"), ":pod/p");
    }

    #[test]
    fn lines_read_as_skaffold_writes_them() {
        assert_eq!(
            ready_line("dev:deployment/dep", 4, 10),
            " - dev:deployment/dep is ready. [4/10 deployment(s) still pending]\n"
        );
        assert_eq!(
            ready_line("deployment/dep", 0, 1),
            " - deployment/dep is ready.\n"
        );
        assert_eq!(
            failed_line("deployment/dep", "could not stabilize within 10m0s\n"),
            " - deployment/dep failed. Error: could not stabilize within 10m0s.\n"
        );
        assert_eq!(
            stabilized(Duration::from_millis(2345)),
            "Deployments stabilized in 2.345 seconds\n"
        );
        assert_eq!(
            stabilized(Duration::from_millis(1234)),
            "Deployments stabilized in 1.234 second\n"
        );
        let logs = ["[p c] boom\n".to_owned()];
        assert_eq!(
            report(
                "dev:deployment/r2",
                "pod failed\n",
                [("dev:pod/p".to_owned(), "pod failed", &logs[..])]
            ),
            " - dev:deployment/r2: pod failed\n    - dev:pod/p: pod failed\n      > [p c] boom\n"
        );
    }
}
