//! Which phases `--mute-logs` mutes: Skaffold's values `build`, `render`, `test`, `deploy`,
//! `status-check`, `all` and `none`, any number of them.

use std::fmt;
use std::str::FromStr;

use crate::names::Phase;

/// The phases that can be muted, with the name `--mute-logs` gives each.
const MUTABLE: [(Phase, &str); 5] = [
    (Phase::Build, "build"),
    (Phase::Render, "render"),
    (Phase::Test, "test"),
    (Phase::Deploy, "deploy"),
    (Phase::StatusCheck, "status-check"),
];

/// A set of muted phases: their output goes to a log file instead of the terminal. Parse one
/// `--mute-logs` value with [`str::parse`] and collect several into their union.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MutedPhases(u8);

impl MutedPhases {
    /// Every value `--mute-logs` accepts.
    pub const VALUES: [&'static str; 7] = [
        "build",
        "render",
        "test",
        "deploy",
        "status-check",
        "all",
        "none",
    ];

    /// Nothing muted.
    pub const NONE: MutedPhases = MutedPhases(0);

    /// Every mutable phase muted.
    pub const ALL: MutedPhases = MutedPhases((1 << MUTABLE.len()) - 1);

    /// Whether `phase`'s output goes to a log file. Only build, render, test, deploy and
    /// status-check can be muted.
    pub fn mutes(self, phase: Phase) -> bool {
        bit(phase).is_some_and(|bit| self.0 & bit != 0)
    }
}

/// The bit of a mutable phase.
fn bit(phase: Phase) -> Option<u8> {
    MUTABLE
        .iter()
        .position(|(p, _)| *p == phase)
        .map(|i| 1 << i)
}

/// A value that is not one of [`MutedPhases::VALUES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMutedPhase(pub String);

impl fmt::Display for UnknownMutedPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid --mute-logs value {:?}: expected one of {}",
            self.0,
            MutedPhases::VALUES.join(", ")
        )
    }
}

impl std::error::Error for UnknownMutedPhase {}

impl FromStr for MutedPhases {
    type Err = UnknownMutedPhase;

    /// One `--mute-logs` value: a phase name, `all` or `none`.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        match value {
            "all" => Ok(MutedPhases::ALL),
            "none" => Ok(MutedPhases::NONE),
            name => MUTABLE
                .iter()
                .find(|(_, n)| *n == name)
                .and_then(|(phase, _)| bit(*phase))
                .map(MutedPhases)
                .ok_or_else(|| UnknownMutedPhase(name.to_owned())),
        }
    }
}

impl FromIterator<MutedPhases> for MutedPhases {
    /// The union: a phase is muted when any value mutes it (`none` next to `build` still
    /// mutes the build, as in Skaffold).
    fn from_iter<I: IntoIterator<Item = MutedPhases>>(values: I) -> Self {
        MutedPhases(values.into_iter().fold(0, |all, v| all | v.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn muted(values: &[&str]) -> MutedPhases {
        values
            .iter()
            .map(|v| v.parse::<MutedPhases>())
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn muted_phases(set: MutedPhases) -> Vec<Phase> {
        [
            Phase::Build,
            Phase::Render,
            Phase::Test,
            Phase::Deploy,
            Phase::StatusCheck,
        ]
        .into_iter()
        .filter(|p| set.mutes(*p))
        .collect()
    }

    #[test]
    fn values_mute_what_skaffold_mutes() {
        assert_eq!(muted_phases(muted(&[])), []);
        assert_eq!(muted_phases(muted(&["none"])), []);
        assert_eq!(muted_phases(muted(&["build"])), [Phase::Build]);
        assert_eq!(muted_phases(muted(&["test"])), [Phase::Test]);
        assert_eq!(muted_phases(muted(&["render"])), [Phase::Render]);
        assert_eq!(muted_phases(muted(&["status-check"])), [Phase::StatusCheck]);
        assert_eq!(muted_phases(muted(&["deploy"])), [Phase::Deploy]);
        assert_eq!(
            muted_phases(muted(&["deploy", "build", "none"])),
            [Phase::Build, Phase::Deploy]
        );
        assert_eq!(
            muted_phases(muted(&["all"])),
            [
                Phase::Build,
                Phase::Render,
                Phase::Test,
                Phase::Deploy,
                Phase::StatusCheck
            ]
        );
        assert_eq!(
            muted(&["build", "render", "test", "deploy", "status-check"]),
            MutedPhases::ALL
        );
    }

    #[test]
    fn only_the_five_phases_can_be_muted() {
        assert!(!MutedPhases::ALL.mutes(Phase::Verify));
        assert!(!MutedPhases::ALL.mutes(Phase::Cleanup));
        assert!(!MutedPhases::ALL.mutes(Phase::PortForward));
    }

    #[test]
    fn unknown_values_are_refused_naming_the_accepted_ones() {
        let err = "logs".parse::<MutedPhases>().unwrap_err();
        assert_eq!(err, UnknownMutedPhase("logs".into()));
        assert!(
            err.to_string()
                .contains("build, render, test, deploy, status-check, all, none")
        );
        assert!("Build".parse::<MutedPhases>().is_err());
        for value in MutedPhases::VALUES {
            assert!(value.parse::<MutedPhases>().is_ok(), "{value}");
        }
    }
}
