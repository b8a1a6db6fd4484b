//! The metadata test: the image's configuration (environment, labels, ports, volumes,
//! entrypoint, command, working directory, user) as the engine's image inspection reports it.

use std::collections::HashMap;

use bollard::models::ImageConfig;

use super::config::{KeyValue, MetadataTest};
use super::gofmt::go_list;
use super::report::{TestResult, regex};

/// Checks `config` against the test, with container-structure-test's messages.
pub(crate) fn check_metadata(test: &MetadataTest, config: &ImageConfig) -> TestResult {
    let mut result = TestResult::new("Metadata Test".into());
    let env: HashMap<&str, &str> = config
        .env
        .iter()
        .flatten()
        .map(|e| e.split_once('=').unwrap_or((e.as_str(), "")))
        .collect();
    let labels: HashMap<&str, &str> = config
        .labels
        .iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();

    check_pairs(&mut result, &test.env_vars, &env, "env var", |key| {
        format!("variable {key} not found in image env")
    });
    for var in &test.unbound_env_vars {
        if env.contains_key(var.key.as_str()) {
            result.fail(format!(
                "env variable {} should not be present in image metadata",
                var.key
            ));
        }
    }
    check_pairs(&mut result, &test.labels, &labels, "label", |key| {
        format!("label {key} not found in image metadata")
    });

    let actual_list = |list: &Option<Vec<String>>| list.clone().unwrap_or_default();
    for (what, expected, actual) in [
        ("Cmd", &test.cmd, &config.cmd),
        ("entrypoint", &test.entrypoint, &config.entrypoint),
    ] {
        let actual = actual_list(actual);
        if let Some(expected) = expected
            && &actual != expected
        {
            result.fail(format!(
                "Image {what} {} does not match expected {what}: {}",
                go_list(&actual),
                go_list(expected)
            ));
        }
    }
    let workdir = config.working_dir.as_deref().unwrap_or_default();
    if !test.workdir.is_empty() && test.workdir != workdir {
        result.fail(format!(
            "Image workdir {workdir} does not match config workdir: {}",
            test.workdir
        ));
    }
    let user = config.user.as_deref().unwrap_or_default();
    if !test.user.is_empty() && test.user != user {
        result.fail(format!(
            "Image user {user} does not match config user: {}",
            test.user
        ));
    }

    let ports = actual_list(&config.exposed_ports);
    let exposed = |port: &str| ports.iter().any(|p| same_port(port, p));
    for port in &test.exposed_ports {
        if !exposed(port) {
            result.fail(format!("Port {port} not found in config"));
        }
    }
    for port in &test.unexposed_ports {
        if exposed(port) {
            result.fail(format!("Port {port} should not be exposed"));
        }
    }
    let volumes = actual_list(&config.volumes);
    for volume in &test.volumes {
        if !volumes.contains(volume) {
            result.fail(format!("Volume {volume} not found in config"));
        }
    }
    for volume in &test.unmounted_volumes {
        if volumes.contains(volume) {
            result.fail(format!("Volume {volume} should not be mounted"));
        }
    }
    result
}

/// Checks expected key/value pairs (values exact, or regular expressions with `isRegex`).
fn check_pairs(
    result: &mut TestResult,
    expected: &[KeyValue],
    actual: &HashMap<&str, &str>,
    what: &str,
    missing: impl Fn(&str) -> String,
) {
    for pair in expected {
        if pair.key.is_empty() {
            result.fail(format!("{what} key cannot be empty"));
            continue;
        }
        let Some(value) = actual.get(pair.key.as_str()) else {
            result.fail(missing(&pair.key));
            continue;
        };
        if pair.is_regex {
            if let Some(re) = regex(result, &pair.value)
                && !re.is_match(value)
            {
                result.fail(format!(
                    "{what} {} value {value} does not match regex {}",
                    pair.key, pair.value
                ));
            }
        } else if *value != pair.value {
            result.fail(format!(
                "{what} {} value {value} does not match expected value: {}",
                pair.key, pair.value
            ));
        }
    }
}

/// Whether the expected `port` (`8080`, or `8080/udp`) names the exposed `actual`
/// (`8080/tcp`): without a protocol only the number is compared, as container-structure-test
/// does.
fn same_port(port: &str, actual: &str) -> bool {
    if port.contains('/') {
        port == actual
    } else {
        actual.split('/').next() == Some(port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> ImageConfig {
        ImageConfig {
            env: Some(vec!["PATH=/usr/bin:/bin".into(), "MODE=prod".into()]),
            labels: Some(HashMap::from([("team".into(), "core".into())])),
            exposed_ports: Some(vec!["8080/tcp".into(), "53/udp".into()]),
            volumes: Some(vec!["/data".into()]),
            entrypoint: Some(vec!["/app".into()]),
            cmd: Some(vec!["--serve".into()]),
            working_dir: Some("/srv".into()),
            user: Some("1000".into()),
            ..Default::default()
        }
    }

    fn pair(key: &str, value: &str, is_regex: bool) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: value.into(),
            is_regex,
        }
    }

    #[test]
    fn a_matching_image_passes() {
        let test = MetadataTest {
            env_vars: vec![pair("MODE", "prod", false), pair("PATH", "/bin$", true)],
            unbound_env_vars: vec![pair("DEBUG", "", false)],
            labels: vec![pair("team", "^co", true)],
            exposed_ports: vec!["8080".into(), "53/udp".into()],
            unexposed_ports: vec!["53/tcp".into(), "22".into()],
            volumes: vec!["/data".into()],
            unmounted_volumes: vec!["/tmp".into()],
            entrypoint: Some(vec!["/app".into()]),
            cmd: Some(vec!["--serve".into()]),
            workdir: "/srv".into(),
            user: "1000".into(),
        };
        let result = check_metadata(&test, &config());
        assert!(result.passed(), "{:?}", result.errors);
    }

    #[test]
    fn every_difference_is_reported() {
        let test = MetadataTest {
            env_vars: vec![pair("MODE", "dev", false), pair("HOME", "/", false)],
            unbound_env_vars: vec![pair("MODE", "", false)],
            labels: vec![pair("team", "^x", true)],
            exposed_ports: vec!["9090".into()],
            unexposed_ports: vec!["8080".into()],
            volumes: vec!["/logs".into()],
            unmounted_volumes: vec!["/data".into()],
            entrypoint: Some(vec![]),
            cmd: Some(vec!["sh".into()]),
            workdir: "/".into(),
            user: "root".into(),
        };
        let result = check_metadata(&test, &config());
        assert_eq!(
            result.errors,
            [
                "env var MODE value prod does not match expected value: dev",
                "variable HOME not found in image env",
                "env variable MODE should not be present in image metadata",
                "label team value core does not match regex ^x",
                "Image Cmd [--serve] does not match expected Cmd: [sh]",
                "Image entrypoint [/app] does not match expected entrypoint: []",
                "Image workdir /srv does not match config workdir: /",
                "Image user 1000 does not match config user: root",
                "Port 9090 not found in config",
                "Port 8080 should not be exposed",
                "Volume /logs not found in config",
                "Volume /data should not be mounted",
            ]
        );
    }
}
