//! Hooks around real syncs on both engines: their order and output, what they see, and how a
//! failing one fails the sync.

use std::collections::HashMap;
use std::fs;

use skiff_build::hooks::{StaticHookEnv, host_os};
use skiff_config::model::{ContainerHook, HostHook, SyncHookItem, SyncHooks};
use skiff_events::Stream;
use skiff_proto::v2::event::EventType;
use skiff_testenv::{
    Printed, Scratch, base_image, engine, on_both_engines, recorded_events, recorded_output, unique,
};

use super::*;
use crate::docker::sync::Syncer;

/// A running container whose `/www/index.html` says `original`, removed at the end; a local
/// workspace whose `index.html` says `synced`; and a syncer.
struct World {
    engine: Engine,
    container: String,
    image: BuiltImage,
    workspace: tempfile::TempDir,
    plan: SyncPlan,
    syncer: Syncer,
    output: Output,
    printed: Printed,
    _scratch: Scratch,
}

impl World {
    async fn new(host_var: &str) -> Option<World> {
        let engine = engine(host_var).await?;
        let label = unique("skiff-sync-hooks");
        let mut scratch = Scratch::new(&engine);
        scratch.label(format!("{label}=1"));
        let spec = skiff_docker::ContainerSpec {
            image: base_image(),
            name: Some(unique("skiff-sync-hooks")),
            cmd: Some(vec![
                "sh".into(),
                "-c".into(),
                "mkdir -p /www && echo original > /www/index.html && exec sleep 300".into(),
            ]),
            labels: HashMap::from([(label, "1".to_owned())]),
            init: true,
            ..Default::default()
        };
        let container = engine.create_container(&spec).await.unwrap();
        engine.start_container(&container).await.unwrap();
        let workspace = tempfile::tempdir().unwrap();
        let page = workspace.path().join("index.html");
        fs::write(&page, "synced\n").unwrap();
        let (output, printed) = recorded_output();
        let world = World {
            syncer: Syncer::new(engine.clone()),
            engine,
            container,
            image: BuiltImage {
                image_name: "app".into(),
                reference: "app:1".into(),
            },
            workspace,
            plan: SyncPlan {
                copy: vec![(page, "/www/index.html".into())],
                delete: Vec::new(),
            },
            output,
            printed,
            _scratch: scratch,
        };
        // The container has written its page once `cat` finds it.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        while world.page().await.is_empty() {
            assert!(
                std::time::Instant::now() < deadline,
                "the container never wrote its page"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        Some(world)
    }

    /// Syncs the plan with `hooks`.
    async fn sync(&self, hooks: &SyncHooks) -> Result<usize, DeployError> {
        let statics = StaticHookEnv::current();
        let artifact = ArtifactSyncHooks {
            hooks,
            workspace: self.workspace.path(),
            statics: &statics,
        };
        self.syncer
            .sync_with_hooks(
                &self.container,
                &self.plan,
                &self.output,
                &self.image,
                &artifact,
            )
            .await
    }

    /// What the container's `/www/index.html` says now.
    async fn page(&self) -> String {
        let ran = self
            .engine
            .exec_to_end(&self.container, &["cat", "/www/index.html"])
            .await
            .unwrap();
        ran.stdout
    }

    /// The statuses of the `FileSyncEvent`s so far.
    fn file_sync_statuses(&self) -> Vec<String> {
        recorded_events(self.output.hub(), Stream::Events, |e| match e {
            EventType::FileSyncEvent(f) => Some(f.status.clone()),
            _ => None,
        })
    }
}

fn host(script: &str) -> SyncHookItem {
    SyncHookItem::Host(HostHook {
        command: vec!["sh".into(), "-c".into(), script.into()],
        ..Default::default()
    })
}

fn container(script: &str) -> SyncHookItem {
    SyncHookItem::Container(ContainerHook {
        command: vec!["sh".into(), "-c".into(), script.into()],
    })
}

async fn hooks_run_around_the_copy(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let seen = w.workspace.path().join("seen.txt");
    let skipped = w.workspace.path().join("skipped.txt");
    let other_os = if host_os() == "windows" {
        "linux"
    } else {
        "windows"
    };
    let hooks = SyncHooks {
        before: vec![
            host(&format!(
                "printf '%s|%s|%s|%s' \"$SKAFFOLD_IMAGE\" \"$SKAFFOLD_FILES_ADDED_OR_MODIFIED\" \
                 \"$SKAFFOLD_FILES_DELETED\" \"$SKAFFOLD_BUILD_CONTEXT\" > {}",
                seen.display()
            )),
            SyncHookItem::Host(HostHook {
                command: vec!["touch".into(), skipped.display().to_string()],
                os: vec![other_os.into()],
                ..Default::default()
            }),
            container("cat /www/index.html"),
        ],
        // Standard error is shown too (the engine does not keep the order of lines across the
        // two streams, so this hook writes only one).
        after: vec![container("cat /www/index.html >&2")],
    };
    assert_eq!(w.sync(&hooks).await.unwrap(), 1);

    assert_eq!(
        w.printed.text(),
        "Syncing 1 files for app:1\n\
         Starting pre-sync hooks for artifact \"app\"...\n\
         [app] original\n\
         Completed pre-sync hooks for artifact \"app\"\n\
         Starting post-sync hooks for artifact \"app\"...\n\
         [app] synced\n\
         Completed post-sync hooks for artifact \"app\"\n"
    );
    let workspace = w.workspace.path().display().to_string();
    assert_eq!(
        fs::read_to_string(&seen).unwrap(),
        format!("app:1|{workspace}/index.html||{workspace}")
    );
    assert!(!skipped.exists(), "a hook for another OS ran");
    assert_eq!(w.page().await, "synced\n");
    assert_eq!(w.file_sync_statuses(), ["InProgress", "Succeeded"]);
}

async fn a_failed_pre_sync_hook_skips_the_copy(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let hooks = SyncHooks {
        before: vec![host("true"), container("echo refusing; exit 3")],
        after: vec![container("echo never")],
    };
    let err = w.sync(&hooks).await.unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
    assert_eq!(
        err.message,
        format!(
            "pre-sync hooks failed for artifact \"app\": failed to execute container pre-sync \
             hook 2 for artifact \"app\": hook execution failed for container \"{}\": exit \
             status 3",
            &w.container[..12]
        )
    );
    let printed = w.printed.text();
    assert!(printed.contains("[app] refusing\n"), "{printed}");
    assert!(!printed.contains("never"), "{printed}");
    assert!(!printed.contains("Completed"), "{printed}");
    assert_eq!(w.page().await, "original\n");
    assert_eq!(w.file_sync_statuses(), ["InProgress", "Failed"]);
}

async fn a_failed_post_sync_hook_comes_after_the_copy(host_var: &str) {
    let Some(w) = World::new(host_var).await else {
        return;
    };
    let hooks = SyncHooks {
        before: Vec::new(),
        after: vec![host("echo broken; exit 1")],
    };
    let err = w.sync(&hooks).await.unwrap_err();
    assert_eq!(err.code, StatusCode::SyncUnknown);
    assert!(
        err.message.starts_with(
            "post-sync hooks failed for artifact \"app\": failed to execute host post-sync hook \
             1 for artifact \"app\": exit status 1"
        ),
        "{}",
        err.message
    );
    assert!(w.printed.text().contains("broken\n"));
    assert_eq!(w.page().await, "synced\n");
    assert_eq!(w.file_sync_statuses(), ["InProgress", "Failed"]);
}

on_both_engines!(
    hooks_run_around_the_copy,
    a_failed_pre_sync_hook_skips_the_copy,
    a_failed_post_sync_hook_comes_after_the_copy,
);
