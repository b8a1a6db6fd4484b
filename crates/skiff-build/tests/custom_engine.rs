//! The custom builder against the real engines and registry of the test environment
//! (`scripts/test-env`): a script that runs the Debian docker client (`/usr/bin/docker`), then the
//! builder's lookup of what the script made, in the engine or in the registry.
//!
//! Skipped with a note when `DOCKER_HOST` is not set, except under CI (`CI=true`), where the
//! environment must be there.

use std::fs;
use std::process::Command;

use skiff_build::builder::Builder;
use skiff_build::custom::CustomBuilder;
use skiff_build::custom::registry::{RegistryError, engine_digest, remote_digest};
use skiff_docker::Engine;
use skiff_proto::enums::StatusCode;
use skiff_testenv::{Collect, base_image, build_request, custom_artifact, registry, unique};

/// The engine at `host_var` and its address, which the build scripts' docker client is pointed at.
async fn engine(host_var: &str) -> Option<(Engine, String)> {
    let engine = skiff_testenv::engine(host_var).await?;
    let host = engine.host().to_owned();
    Some((engine, host))
}

/// The build script: the Debian docker client first on `PATH`, pointed at `host`.
fn script(host: &str) -> String {
    format!(
        "export PATH=/usr/bin:$PATH; export DOCKER_HOST={host}; \
         docker build --force-rm -t \"$IMAGE\" \"$BUILD_CONTEXT\" && \
         if [ \"$PUSH_IMAGE\" = true ]; then docker push \"$IMAGE\"; fi"
    )
}

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\nCOPY hello.txt /hello.txt\n", base_image()),
    )
    .unwrap();
    fs::write(dir.path().join("hello.txt"), unique("hello")).unwrap();
    dir
}

/// `docker inspect --format FORMAT REFERENCE` with the Debian client.
fn inspect(host: &str, format: &str, reference: &str) -> String {
    let out = Command::new("/usr/bin/docker")
        .args(["-H", host, "inspect", "--format", format, reference])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn a_local_build_is_tagged_with_its_image_id() {
    let Some((engine, host)) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = project();
    let name = format!("localhost/{}", unique("skiff-custom-local"));
    let tag = format!("{name}:v1");
    let a = custom_artifact(&name, &script(&host));
    let out = Collect::default();
    let built = CustomBuilder::new(engine.clone())
        .build(&build_request(&a, dir.path(), &tag, false, &out))
        .await
        .unwrap();

    let id = inspect(&host, "{{.Id}}", &tag);
    assert_eq!(built.image_name, name);
    assert_eq!(
        built.reference,
        format!("{name}:{}", id.trim_start_matches("sha256:"))
    );
    assert_eq!(engine.image_id(&built.reference).await.unwrap(), Some(id));
    // The script's output was streamed.
    assert!(
        out.text().contains("COPY hello.txt /hello.txt"),
        "{}",
        out.text()
    );
}

#[tokio::test]
async fn a_pushed_build_carries_the_registry_digest() {
    let Some((engine, host)) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = project();
    let name = format!("{}/{}", registry(), unique("skiff-custom-push"));
    let tag = format!("{name}:v1");
    let a = custom_artifact(&name, &script(&host));
    let out = Collect::default();
    let built = CustomBuilder::new(engine.clone())
        .build(&build_request(&a, dir.path(), &tag, true, &out))
        .await
        .unwrap();

    let repo_digest = inspect(&host, "{{index .RepoDigests 0}}", &tag);
    let digest = repo_digest.split_once('@').unwrap().1;
    assert_eq!(built.reference, format!("{tag}@{digest}"));
    // dockerd's distribution endpoint agrees with the registry itself.
    assert_eq!(engine_digest(&engine, &tag).await.unwrap(), digest);
    assert_eq!(remote_digest(None, &tag, &[]).await.unwrap(), digest);
    assert!(out.text().contains("digest: sha256:"), "{}", out.text());
}

#[tokio::test]
async fn a_script_that_builds_nothing_is_an_error() {
    let Some((engine, _host)) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = project();
    let name = format!("localhost/{}", unique("skiff-custom-nothing"));
    let tag = format!("{name}:v1");
    let a = custom_artifact(&name, "echo pretending to build \"$IMAGE\"");
    let out = Collect::default();
    let builder = CustomBuilder::new(engine.clone());
    let err = builder
        .build(&build_request(&a, dir.path(), &tag, false, &out))
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::BuildUnknown);
    assert!(
        err.message.starts_with(&format!(
            "the custom script didn't produce an image with tag [{tag}]: it must build $IMAGE into the container engine at "
        )),
        "{}",
        err.message
    );
    assert_eq!(out.text(), format!("pretending to build {tag}\n"));

    // Pushing: the registry must have the tag.
    let pushed = format!("{}/{}:v1", registry(), unique("skiff-custom-unpushed"));
    let err = builder
        .build(&build_request(&a, dir.path(), &pushed, true, &out))
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::BuildUnknown);
    assert!(
        err.message.starts_with(&format!(
            "the custom script didn't push an image with tag [{pushed}]: {pushed} was not found in its registry"
        )),
        "{}",
        err.message
    );
    let missing = engine_digest(&engine, &pushed).await.unwrap_err();
    assert!(
        matches!(missing, RegistryError::NotFound { .. }),
        "{missing}"
    );
}

#[tokio::test]
async fn a_failing_script_fails_the_build_with_its_output() {
    let Some((engine, host)) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = project();
    fs::write(
        dir.path().join("Dockerfile"),
        format!("FROM {}\nRUN echo about to fail && exit 7\n", base_image()),
    )
    .unwrap();
    let name = format!("localhost/{}", unique("skiff-custom-fail"));
    let a = custom_artifact(&name, &script(&host));
    let out = Collect::default();
    let err = CustomBuilder::new(engine)
        .build(&build_request(
            &a,
            dir.path(),
            &format!("{name}:v1"),
            false,
            &out,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code, StatusCode::BuildUnknown);
    assert!(
        err.message
            .starts_with("building custom artifact: exit status 7\nlast output lines:\n"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("returned a non-zero code: 7"),
        "{}",
        err.message
    );
    assert!(out.text().contains("about to fail"), "{}", out.text());
}

#[tokio::test]
async fn dependencies_through_the_builder() {
    let Some((engine, _host)) = engine("DOCKER_HOST").await else {
        return;
    };
    let dir = project();
    let a = custom_artifact("app", "true");
    let deps = CustomBuilder::new(engine)
        .dependencies(&a, dir.path())
        .unwrap();
    assert_eq!(
        deps,
        [
            std::path::PathBuf::from("Dockerfile"),
            std::path::PathBuf::from("hello.txt")
        ]
    );
}

#[tokio::test]
async fn podman_pushes_are_resolved_from_the_registry() {
    // Podman's compatible API has no distribution endpoint: the registry is asked directly.
    let Some((engine, host)) = engine("PODMAN_DOCKER_HOST").await else {
        return;
    };
    let dir = project();
    let name = format!("{}/{}", registry(), unique("skiff-custom-podman"));
    let tag = format!("{name}:v1");
    let a = custom_artifact(&name, &script(&host));
    let out = Collect::default();
    let built = CustomBuilder::new(engine.clone())
        .build(&build_request(&a, dir.path(), &tag, true, &out))
        .await
        .unwrap_or_else(|e| panic!("{}\n{}", e.message, out.text()));
    let digest = remote_digest(None, &tag, &[]).await.unwrap();
    assert_eq!(built.reference, format!("{tag}@{digest}"));

    let err = engine_digest(&engine, &tag).await.unwrap_err();
    assert!(
        err.to_string().contains("cannot inspect registry images"),
        "{err}"
    );
}
