//! What the dev loop may do next: the auto triggers and the one-shot requests of API clients,
//! with the semantics of Skaffold's working (v1) control API.
//!
//! Each phase (build, sync, deploy) has an auto value (`--auto-build` …, changed by
//! `AutoBuild`/`AutoSync`/`AutoDeploy`) and an intent for the next iteration. The intent starts
//! at the auto value; `Execute` sets it for one iteration when auto is off (and is ignored when
//! auto is on); enabling auto sets it too. After an iteration the intents return to the auto
//! values.

use skiff_api::ControlRequests;

/// One flag per phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PhaseFlags {
    /// Build.
    pub build: bool,
    /// Sync.
    pub sync: bool,
    /// Deploy.
    pub deploy: bool,
}

impl PhaseFlags {
    /// The same value for every phase.
    pub const fn all(value: bool) -> Self {
        PhaseFlags {
            build: value,
            sync: value,
            deploy: value,
        }
    }

    /// Whether any phase is set.
    pub const fn any(&self) -> bool {
        self.build || self.sync || self.deploy
    }
}

/// The auto triggers and the intents of the next iteration.
#[derive(Debug, Clone)]
pub struct Intents {
    auto: PhaseFlags,
    next: PhaseFlags,
}

impl Intents {
    /// Intents that start at the `auto` values.
    pub fn new(auto: PhaseFlags) -> Self {
        Intents { auto, next: auto }
    }

    /// The auto triggers.
    pub fn auto(&self) -> PhaseFlags {
        self.auto
    }

    /// What the next iteration may do.
    pub fn next(&self) -> PhaseFlags {
        self.next
    }

    /// Applies API requests; returns whether they ask for an iteration now.
    pub fn apply(&mut self, requests: &ControlRequests) -> bool {
        let mut wake = false;
        let mut auto = |slot: &mut bool, next: &mut bool, value: Option<bool>| {
            if let Some(value) = value {
                *slot = value;
                *next = value;
                wake |= value;
            }
        };
        auto(
            &mut self.auto.build,
            &mut self.next.build,
            requests.auto_build,
        );
        auto(&mut self.auto.sync, &mut self.next.sync, requests.auto_sync);
        auto(
            &mut self.auto.deploy,
            &mut self.next.deploy,
            requests.auto_deploy,
        );
        let devloop = requests.devloop;
        let mut execute = |auto: bool, next: &mut bool, asked: bool| {
            if (asked || devloop) && !auto {
                *next = true;
                wake = true;
            }
        };
        execute(self.auto.build, &mut self.next.build, requests.build);
        execute(self.auto.sync, &mut self.next.sync, requests.sync);
        execute(self.auto.deploy, &mut self.next.deploy, requests.deploy);
        wake
    }

    /// After an iteration: the intents go back to the auto values.
    pub fn reset(&mut self) {
        self.next = self.auto;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(change: impl FnOnce(&mut ControlRequests)) -> ControlRequests {
        let mut r = ControlRequests::default();
        change(&mut r);
        r
    }

    #[test]
    fn execute_counts_only_when_auto_is_off() {
        let mut intents = Intents::new(PhaseFlags {
            build: true,
            sync: false,
            deploy: false,
        });
        assert!(!intents.apply(&requests(|r| r.build = true)));
        assert!(intents.apply(&requests(|r| r.deploy = true)));
        assert_eq!(
            intents.next(),
            PhaseFlags {
                build: true,
                sync: false,
                deploy: true
            }
        );
        intents.reset();
        assert_eq!(intents.next(), intents.auto());
    }

    #[test]
    fn devloop_asks_for_every_phase_and_auto_changes_stick() {
        let mut intents = Intents::new(PhaseFlags::all(false));
        assert!(intents.apply(&requests(|r| r.devloop = true)));
        assert_eq!(intents.next(), PhaseFlags::all(true));
        intents.reset();
        assert_eq!(intents.next(), PhaseFlags::all(false));

        assert!(intents.apply(&requests(|r| r.auto_sync = Some(true))));
        intents.reset();
        assert!(intents.next().sync && !intents.next().build);
        assert!(!intents.apply(&requests(|r| r.auto_sync = Some(false))));
        assert_eq!(intents.auto(), PhaseFlags::all(false));
    }
}
