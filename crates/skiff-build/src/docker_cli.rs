//! Building through the `docker` CLI, for what the engine API cannot do: BuildKit features
//! (`secrets`, `ssh`), `cliFlags`, and `build.local.useDockerCLI` / `useBuildkit`.

use std::path::Path;
use std::process::Stdio;

use skiff_config::model::{DockerArtifact, SecretSource};
use skiff_proto::enums::{StatusCode, SuggestionCode};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use crate::builder::{BuildError, BuildOutput};
use crate::dockerfile::BuildArgs;

/// How the docker builder reaches the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BuildPath {
    /// Through the engine API (dockerd or Podman's socket).
    #[default]
    Api,
    /// Through the `docker` CLI (`build.local.useDockerCLI`).
    Cli,
    /// Through the `docker` CLI with BuildKit (`build.local.useBuildkit: true`).
    Buildkit,
}

/// The `docker build` arguments for an artifact, context last.
pub fn cli_args(
    docker: &DockerArtifact,
    dockerfile: &Path,
    workspace: &Path,
    tag: &str,
    args: &BuildArgs,
    platform: Option<&str>,
) -> Vec<String> {
    let mut cli = vec![
        "build".to_owned(),
        "--file".to_owned(),
        dockerfile.display().to_string(),
        "--tag".to_owned(),
        tag.to_owned(),
    ];
    for (name, value) in args {
        cli.push("--build-arg".to_owned());
        cli.push(match value {
            Some(value) => format!("{name}={value}"),
            None => name.clone(),
        });
    }
    let mut flag = |name: &str, value: &str| {
        cli.push(format!("--{name}"));
        cli.push(value.to_owned());
    };
    if !docker.target.is_empty() {
        flag("target", &docker.target);
    }
    if !docker.network.is_empty() {
        flag("network", &docker.network);
    }
    for host in &docker.add_host {
        flag("add-host", host);
    }
    for image in &docker.cache_from {
        flag("cache-from", image);
    }
    for secret in &docker.secrets {
        let source = match &secret.source {
            Some(SecretSource::Src(path)) => format!(",src={path}"),
            Some(SecretSource::Env(var)) => format!(",env={var}"),
            None => String::new(),
        };
        flag("secret", &format!("id={}{source}", secret.id));
    }
    if !docker.ssh.is_empty() {
        flag("ssh", &docker.ssh);
    }
    if let Some(platform) = platform {
        flag("platform", platform);
    }
    if docker.no_cache {
        cli.push("--no-cache".to_owned());
    }
    if docker.pull_parent {
        cli.push("--pull".to_owned());
    }
    if docker.squash {
        cli.push("--squash".to_owned());
    }
    cli.extend(docker.cli_flags.iter().cloned());
    cli.push(workspace.display().to_string());
    cli
}

/// The config fields only the CLI path can honour, when set.
pub fn cli_only_fields(docker: &DockerArtifact) -> Vec<&'static str> {
    let mut fields = Vec::new();
    if !docker.secrets.is_empty() {
        fields.push("secrets");
    }
    if !docker.ssh.is_empty() {
        fields.push("ssh");
    }
    if !docker.cli_flags.is_empty() {
        fields.push("cliFlags");
    }
    fields
}

/// Runs `docker build` with `args` in `workspace`, streaming its output; `engine_host` is the
/// engine the CLI must talk to.
pub async fn run_docker_build(
    args: &[String],
    workspace: &Path,
    path: BuildPath,
    engine_host: &str,
    output: &dyn BuildOutput,
) -> Result<(), BuildError> {
    let mut command = Command::new("docker");
    command
        .args(args)
        .current_dir(workspace)
        .env("DOCKER_HOST", engine_host)
        .env(
            "DOCKER_BUILDKIT",
            if path == BuildPath::Buildkit {
                "1"
            } else {
                "0"
            },
        )
        // BuildKit's progress as plain lines, which read well in a log.
        .env("BUILDKIT_PROGRESS", "plain")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().map_err(|e| {
        BuildError::new(StatusCode::BuildDockerUnknown, format!("running the docker CLI: {e}"))
            .suggest(
                SuggestionCode::DockerBuildRetry,
                "Install the docker CLI, or remove build.local.useDockerCLI/useBuildkit to build through the engine API.",
            )
    })?;
    let stdout = child.stdout.take().map(|s| BufReader::new(s).lines());
    let stderr = child.stderr.take().map(|s| BufReader::new(s).lines());
    let mut tail: Vec<String> = Vec::new();
    let mut forward = |line: String| {
        output.write(&format!("{line}\n"));
        tail.push(line);
        if tail.len() > 20 {
            tail.remove(0);
        }
    };
    if let (Some(mut out), Some(mut err)) = (stdout, stderr) {
        let (mut out_done, mut err_done) = (false, false);
        while !(out_done && err_done) {
            tokio::select! {
                line = out.next_line(), if !out_done => match line {
                    Ok(Some(line)) => forward(line),
                    _ => out_done = true,
                },
                line = err.next_line(), if !err_done => match line {
                    Ok(Some(line)) => forward(line),
                    _ => err_done = true,
                },
            }
        }
    }
    let status = child
        .wait()
        .await
        .map_err(|e| BuildError::new(StatusCode::BuildDockerUnknown, e.to_string()))?;
    if status.success() {
        return Ok(());
    }
    Err(BuildError::new(
        StatusCode::BuildUserError,
        format!("docker build failed ({status}):\n{}", tail.join("\n")),
    )
    .suggest(
        SuggestionCode::FixUserBuildErr,
        "Please fix the Dockerfile and try again.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use skiff_config::model::DockerSecret;

    #[test]
    fn every_field_becomes_its_flag() {
        let docker = DockerArtifact {
            target: "prod".into(),
            network: "host".into(),
            add_host: vec!["db:10.0.0.1".into()],
            cache_from: vec!["cache:1".into()],
            secrets: vec![DockerSecret {
                id: "tok".into(),
                source: Some(SecretSource::Env("TOKEN".into())),
            }],
            ssh: "default".into(),
            no_cache: true,
            pull_parent: true,
            cli_flags: vec!["--label=x=y".into()],
            ..Default::default()
        };
        let args: BuildArgs = [
            ("A".to_owned(), Some("1".to_owned())),
            ("B".to_owned(), None),
        ]
        .into();
        let cli = cli_args(
            &docker,
            Path::new("/w/Dockerfile"),
            Path::new("/w"),
            "img:t",
            &args,
            Some("linux/amd64"),
        );
        assert_eq!(
            cli.join(" "),
            "build --file /w/Dockerfile --tag img:t --build-arg A=1 --build-arg B --target prod --network host \
             --add-host db:10.0.0.1 --cache-from cache:1 --secret id=tok,env=TOKEN --ssh default \
             --platform linux/amd64 --no-cache --pull --label=x=y /w"
        );
        assert_eq!(cli_only_fields(&docker), ["secrets", "ssh", "cliFlags"]);
    }
}
