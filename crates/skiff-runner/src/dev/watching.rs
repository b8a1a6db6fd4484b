//! What the dev loop says while it waits for changes, as Skaffold's triggers say it.

use skiff_events::duration::go_duration;
use skiff_watch::Trigger;

/// The line shown after each iteration: with no auto trigger on (`active` false), that the
/// loop does not watch; otherwise how `trigger` watches.
pub(super) fn watching_message(trigger: Trigger, active: bool) -> String {
    match trigger {
        _ if !active => "Not watching for changes...\n".to_owned(),
        Trigger::Notify => "Watching for changes...\n".to_owned(),
        Trigger::Polling(interval) => {
            format!("Watching for changes every {}...\n", go_duration(interval))
        }
        Trigger::Manual => "Press any key to rebuild/redeploy the changes\n".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn each_trigger_says_how_it_watches() {
        assert_eq!(
            watching_message(Trigger::Notify, true),
            "Watching for changes...\n"
        );
        assert_eq!(
            watching_message(Trigger::Polling(Duration::from_millis(1500)), true),
            "Watching for changes every 1.5s...\n"
        );
        assert_eq!(
            watching_message(Trigger::Manual, true),
            "Press any key to rebuild/redeploy the changes\n"
        );
        assert_eq!(
            watching_message(Trigger::Manual, false),
            "Not watching for changes...\n"
        );
    }
}
