//! Render hooks (`manifests.hooks.before` / `after`): host commands run before the renderers and
//! after them, as Skaffold's `pkg/skaffold/hooks/render.go` runs them.
//!
//! Each hook's `command` runs directly (no shell; `command[0]` is looked up on the `PATH`), in its
//! `dir` (relative to the config's directory; the current directory when empty). A hook whose
//! `os` list does not name the host's OS (Go's names: `linux`, `darwin`, `windows`) is skipped.
//! Hooks run in order and the first failure stops the render.
//!
//! Environment: the variables below, then the render's environment, which wins on duplicates
//! as in Skaffold.
//!
//! | variable | value |
//! |---|---|
//! | `SKAFFOLD_DEFAULT_REPO` | `--default-repo`, only when set |
//! | `SKAFFOLD_MULTI_LEVEL_REPO` | `true`/`false`, only when known |
//! | `SKAFFOLD_RPC_PORT`, `SKAFFOLD_HTTP_PORT` | the API ports, only when the API runs |
//! | `SKAFFOLD_WORK_DIR` | the working directory |
//! | `SKAFFOLD_KUBE_CONTEXT` | the kube context |
//! | `SKAFFOLD_NAMESPACES` | the target namespaces, comma-separated |
//!
//! `after` hooks read the rendered manifests on standard input (as [`ManifestList::to_yaml`]
//! prints them). With `withChange: true` a hook's standard output replaces the manifests (it
//! must not be empty) and the next hook reads the new ones; without it, the manifests are
//! unchanged. Skaffold also mixes such a hook's standard error into the new manifests; skiff
//! sends standard error to the output instead.
//!
//! Output, line by line: `Starting pre-render hooks...`, the hooks' own lines,
//! `Completed pre-render hooks...` (Skaffold's wording, with the dots); `Starting post-render
//! hooks...` … `Completed post-render hooks`. Nothing at all when there are no hooks.

use std::collections::BTreeMap;
use std::path::Path;

use skiff_config::hook_env::StaticHookEnv;
use skiff_config::model::{PostRenderHookItem, RenderHookItem};
use skiff_proto::enums::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use skiff_events::exit_status::describe_exit;

use crate::tools::{ToolCommand, find_on_path, quote_word};
use crate::{ManifestList, RenderError};

/// Where hooks write what they print, and the `Starting …`/`Completed …` lines.
pub trait HookOutput: Send + Sync {
    /// One chunk of output, usually a line with its trailing newline.
    fn write(&self, text: &str);
}

/// The `SKAFFOLD_*` variables of render hooks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderHookEnv {
    /// The variables every hook gets.
    pub statics: StaticHookEnv,
    /// The kube context.
    pub kube_context: String,
    /// The target namespaces.
    pub namespaces: Vec<String>,
}

impl RenderHookEnv {
    /// The variables, in Skaffold's order: the static ones, then `SKAFFOLD_KUBE_CONTEXT` and
    /// `SKAFFOLD_NAMESPACES`.
    pub fn vars(&self) -> Vec<(String, String)> {
        let mut vars = self.statics.vars();
        vars.push((
            "SKAFFOLD_KUBE_CONTEXT".to_string(),
            self.kube_context.clone(),
        ));
        vars.push(("SKAFFOLD_NAMESPACES".to_string(), self.namespaces.join(",")));
        vars
    }
}

/// Runs the render hooks of one config.
pub struct RenderHookRunner<'a> {
    /// The `SKAFFOLD_*` variables.
    pub hook_env: &'a RenderHookEnv,
    /// The render's environment (also where `command[0]` is looked up).
    pub env: &'a BTreeMap<String, String>,
    /// The config's directory, for relative `dir`s.
    pub base_dir: &'a Path,
    /// Where the hooks' output goes.
    pub out: &'a dyn HookOutput,
}

/// The parts of a host hook that running it needs.
struct HostCommand<'a> {
    command: &'a [String],
    os: &'a [String],
    dir: &'a str,
}

impl RenderHookRunner<'_> {
    /// Runs the `before` hooks.
    pub async fn run_before(&self, hooks: &[RenderHookItem]) -> Result<(), RenderError> {
        if hooks.is_empty() {
            return Ok(());
        }
        self.out.write("Starting pre-render hooks...\n");
        for host in hooks.iter().filter_map(|h| h.host.as_ref()) {
            let hook = HostCommand {
                command: &host.command,
                os: &host.os,
                dir: &host.dir,
            };
            self.run("pre-render", &hook, None, false).await?;
        }
        self.out.write("Completed pre-render hooks...\n");
        Ok(())
    }

    /// Runs the `after` hooks over `manifests` and returns the manifests as the last
    /// `withChange` hook left them.
    pub async fn run_after(
        &self,
        hooks: &[PostRenderHookItem],
        manifests: ManifestList,
    ) -> Result<ManifestList, RenderError> {
        if hooks.is_empty() {
            return Ok(manifests);
        }
        self.out.write("Starting post-render hooks...\n");
        let mut manifests = manifests;
        for host in hooks.iter().filter_map(|h| h.host.as_ref()) {
            let hook = HostCommand {
                command: &host.command,
                os: &host.os,
                dir: &host.dir,
            };
            let input = manifests.to_yaml();
            let Some(stdout) = self
                .run("post-render", &hook, Some(input), host.with_change)
                .await?
            else {
                continue;
            };
            if !host.with_change {
                continue;
            }
            if stdout.is_empty() {
                return Err(RenderError::new(
                    StatusCode::UnknownError,
                    format!(
                        "post-render hook {} printed nothing: the length of stdout should be \
                         greater than 0 when using render post hook with change",
                        command_line(hook.command)
                    ),
                ));
            }
            let origin = format!("output of post-render hook {}", command_line(hook.command));
            manifests = ManifestList::parse(&stdout, &origin)?;
        }
        self.out.write("Completed post-render hooks\n");
        Ok(manifests)
    }

    /// Runs one hook; `None` when its `os` list skips this host, else its standard output when
    /// `capture` (streamed to the output like standard error otherwise, and then empty).
    async fn run(
        &self,
        phase: &str,
        hook: &HostCommand<'_>,
        stdin: Option<String>,
        capture: bool,
    ) -> Result<Option<String>, RenderError> {
        if !hook.os.is_empty() && !hook.os.iter().any(|os| os == host_os()) {
            tracing::info!(
                "host hook execution skipped due to OS criteria {:?} not matched for commands: {}",
                hook.os.join(","),
                command_line(hook.command)
            );
            return Ok(None);
        }
        let failed = |why: String| {
            RenderError::new(
                StatusCode::UnknownError,
                format!("{phase} hook {} failed: {why}", command_line(hook.command)),
            )
        };
        let (program, args) = hook
            .command
            .split_first()
            .ok_or_else(|| failed("the hook has no command".to_string()))?;
        let resolved = find_on_path(program, self.env).ok_or_else(|| {
            failed(format!(
                "starting cmd: exec: {program:?}: executable file not found in $PATH"
            ))
        })?;
        let mut env: BTreeMap<String, String> = self.hook_env.vars().into_iter().collect();
        env.extend(self.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        let command = ToolCommand {
            program: resolved,
            args: args.to_vec(),
            env,
            dir: (!hook.dir.is_empty()).then(|| self.base_dir.join(hook.dir)),
            stdin: stdin.map(String::into_bytes),
        };
        let mut child = command
            .spawn()
            .map_err(|err| failed(format!("starting cmd: {err}")))?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let feed = command.feed(child.stdin.take());
        let read_stdout = async {
            match stdout {
                Some(pipe) if capture => read_all(pipe).await,
                Some(pipe) => {
                    self.stream(pipe).await;
                    String::new()
                }
                None => String::new(),
            }
        };
        let read_stderr = async {
            if let Some(pipe) = stderr {
                self.stream(pipe).await;
            }
        };
        let ((), captured, ()) = tokio::join!(feed, read_stdout, read_stderr);
        let status = child
            .wait()
            .await
            .map_err(|err| failed(format!("waiting for cmd: {err}")))?;
        if !status.success() {
            return Err(failed(describe_exit(&status)));
        }
        Ok(Some(captured))
    }

    /// Hands `pipe`'s lines to the output as they come.
    async fn stream(&self, pipe: impl AsyncRead + Unpin) {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            self.out.write(&format!("{line}\n"));
        }
    }
}

async fn read_all(mut pipe: impl AsyncRead + Unpin) -> String {
    let mut bytes = Vec::new();
    let _ = pipe.read_to_end(&mut bytes).await;
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The host's OS as Go's `runtime.GOOS` names it.
fn host_os() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// A command for messages: `[sh -c "exit 1"]`.
fn command_line(command: &[String]) -> String {
    let words: Vec<String> = command.iter().map(|w| quote_word(w)).collect();
    format!("[{}]", words.join(" "))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Mutex;

    use skiff_config::model::{HostHook, PostRenderHostHook};

    use super::*;
    use crate::testing::assert_contains;

    /// What a runner needs, owned by the test; [`Fixture::runner`] borrows it.
    struct Fixture {
        hook_env: RenderHookEnv,
        env: BTreeMap<String, String>,
        base_dir: PathBuf,
        out: Collect,
    }

    impl Fixture {
        /// No `SKAFFOLD_*` values, the system `PATH`, the current directory as the config's.
        fn new() -> Self {
            Self {
                hook_env: RenderHookEnv::default(),
                env: BTreeMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
                base_dir: PathBuf::from("."),
                out: Collect::default(),
            }
        }

        fn runner(&self) -> RenderHookRunner<'_> {
            RenderHookRunner {
                hook_env: &self.hook_env,
                env: &self.env,
                base_dir: &self.base_dir,
                out: &self.out,
            }
        }

        /// Everything written to the output so far.
        fn output(&self) -> String {
            self.out.0.lock().unwrap().clone()
        }
    }

    #[derive(Default)]
    struct Collect(Mutex<String>);

    impl HookOutput for Collect {
        fn write(&self, text: &str) {
            self.0.lock().unwrap().push_str(text);
        }
    }

    fn sh(script: &str) -> Vec<String> {
        vec!["sh".into(), "-c".into(), script.into()]
    }

    /// A `before` hook running `command` on the OSes `os` (every OS when empty).
    fn before_on(command: Vec<String>, os: &[&str]) -> RenderHookItem {
        RenderHookItem {
            host: Some(HostHook {
                command,
                os: os.iter().map(|os| os.to_string()).collect(),
                dir: String::new(),
            }),
        }
    }

    fn before(script: &str) -> RenderHookItem {
        before_on(sh(script), &[])
    }

    fn after(script: &str, with_change: bool) -> PostRenderHookItem {
        PostRenderHookItem {
            host: Some(PostRenderHostHook {
                command: sh(script),
                with_change,
                ..PostRenderHostHook::default()
            }),
        }
    }

    #[test]
    fn variables_follow_skaffolds_order_and_skip_unset_ones() {
        let vars = RenderHookEnv {
            statics: StaticHookEnv {
                default_repo: Some("reg".into()),
                work_dir: "/w".into(),
                ..StaticHookEnv::default()
            },
            kube_context: "kind".into(),
            namespaces: vec!["a".into(), "b".into()],
        }
        .vars();
        assert_eq!(
            vars,
            [
                ("SKAFFOLD_DEFAULT_REPO", "reg"),
                ("SKAFFOLD_WORK_DIR", "/w"),
                ("SKAFFOLD_KUBE_CONTEXT", "kind"),
                ("SKAFFOLD_NAMESPACES", "a,b"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
    }

    #[tokio::test]
    async fn before_hooks_see_the_variables_and_their_output_is_framed() {
        let dir = tempfile::tempdir().unwrap();
        let fixture = Fixture {
            hook_env: RenderHookEnv {
                kube_context: "kind".into(),
                namespaces: vec!["ns".into()],
                ..RenderHookEnv::default()
            },
            base_dir: dir.path().to_path_buf(),
            ..Fixture::new()
        };
        fixture
            .runner()
            .run_before(&[before(
                "echo \"$SKAFFOLD_KUBE_CONTEXT $SKAFFOLD_NAMESPACES $(pwd)\"",
            )])
            .await
            .unwrap();
        assert_eq!(
            fixture.output(),
            format!(
                "Starting pre-render hooks...\nkind ns {}\nCompleted pre-render hooks...\n",
                std::env::current_dir().unwrap().display()
            )
        );
    }

    #[tokio::test]
    async fn a_failing_hook_names_its_command_and_status() {
        let fixture = Fixture::new();
        let runner = fixture.runner();
        let err = runner
            .run_before(&[before("echo oops >&2; exit 3")])
            .await
            .unwrap_err();
        assert_eq!(
            err.message,
            "pre-render hook [sh -c \"echo oops >&2; exit 3\"] failed: exit status 3"
        );
        assert_contains(&fixture.output(), "oops\n");
        let missing = before_on(vec!["no-such-hook-tool".into()], &[]);
        let err = runner.run_before(&[missing]).await.unwrap_err();
        assert_contains(&err.message, "executable file not found");
    }

    #[tokio::test]
    async fn after_hooks_read_the_manifests_and_with_change_replaces_them() {
        let fixture = Fixture::new();
        let runner = fixture.runner();
        let input = ManifestList::parse("kind: A\n---\nkind: B\n", "m").unwrap();
        let result = runner
            .run_after(
                &[
                    after("grep -c kind", false),
                    after("sed 's/kind: B/kind: C/'; echo note >&2", true),
                    after("cat", false),
                ],
                input,
            )
            .await
            .unwrap();
        assert_eq!(result.to_yaml(), "kind: A\n---\nkind: C");
        assert_eq!(
            fixture.output(),
            "Starting post-render hooks...\n2\nnote\nkind: A\n---\nkind: C\nCompleted post-render hooks\n"
        );

        let err = runner
            .run_after(&[after("cat >/dev/null", true)], result)
            .await
            .unwrap_err();
        assert_contains(&err.message, "stdout should be greater than 0");
    }

    #[tokio::test]
    async fn hooks_for_another_os_are_skipped() {
        let fixture = Fixture::new();
        let item = before_on(sh("exit 1"), &["plan9"]);
        fixture.runner().run_before(&[item]).await.unwrap();
    }
}
