//! `--port-forward`: which resources are forwarded.

use skiff_proto::enums::StatusCode;

use crate::error::DeployError;

/// The modes of `--port-forward` (Skaffold's spellings: `user`, `services`, `pods`, `debug`,
/// `off`, or a boolean, alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ForwardModes {
    /// `user`: the config's `portForward` entries.
    pub user: bool,
    /// `services`: every port of every Service of the run.
    pub services: bool,
    /// `pods`: every container port of the run's pods.
    pub pods: bool,
    /// `debug`: the ports of debugged containers (recorded; skiff's debug support forwards
    /// nothing yet).
    pub debug: bool,
}

impl ForwardModes {
    /// Parses the flag's values (each may be a comma-separated list). `true` means `user` and
    /// `services`, as in Skaffold; `false` and `off` mean nothing; either must stand alone.
    pub fn parse<S: AsRef<str>>(values: &[S]) -> Result<Self, DeployError> {
        let modes: Vec<&str> = values
            .iter()
            .flat_map(|v| v.as_ref().split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        let mut parsed = Self::default();
        for mode in &modes {
            let alone = matches!(*mode, "off") || parse_bool(mode).is_some();
            if alone && modes.len() > 1 {
                return Err(invalid(format!(
                    "port-forward {mode:?} cannot be combined with other options"
                )));
            }
            match *mode {
                "user" => parsed.user = true,
                "services" => parsed.services = true,
                "pods" => parsed.pods = true,
                "debug" => parsed.debug = true,
                "off" => {}
                other => match parse_bool(other) {
                    Some(on) => {
                        parsed.user = on;
                        parsed.services = on;
                    }
                    None => {
                        return Err(invalid(format!(
                            "unknown port-forward option {other:?}: expected: user, services, \
                             pods, debug, off"
                        )));
                    }
                },
            }
        }
        Ok(parsed)
    }

    /// Whether anything is forwarded.
    pub fn enabled(self) -> bool {
        self.user || self.services || self.pods || self.debug
    }
}

/// Go's `strconv.ParseBool`, which Skaffold uses for the boolean spellings.
fn parse_bool(value: &str) -> Option<bool> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn invalid(message: String) -> DeployError {
    DeployError::new(StatusCode::InitCreateDeployerError, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_skaffolds_spellings() {
        let modes = ForwardModes::parse(&["user,services", "pods"]).unwrap();
        assert!(modes.user && modes.services && modes.pods && !modes.debug);
        let compat = ForwardModes::parse(&["true"]).unwrap();
        assert!(compat.user && compat.services && !compat.pods);
        assert!(!ForwardModes::parse(&["off"]).unwrap().enabled());
        assert!(!ForwardModes::parse(&["false"]).unwrap().enabled());
        assert!(!ForwardModes::parse::<&str>(&[]).unwrap().enabled());
    }

    #[test]
    fn unknown_or_combined_exclusive_modes_are_refused() {
        let err = ForwardModes::parse(&["nodes"]).unwrap_err();
        assert_eq!(err.code, StatusCode::InitCreateDeployerError);
        assert!(err.message.contains("\"nodes\""), "{}", err.message);
        assert!(ForwardModes::parse(&["off,user"]).is_err());
        assert!(ForwardModes::parse(&["user", "true"]).is_err());
    }
}
