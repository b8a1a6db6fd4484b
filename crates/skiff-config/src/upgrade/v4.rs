//! Structural steps of the v4 era: `skaffold/v4beta1` … `skaffold/v4beta14`.

use serde_yaml_ng::{Mapping, Value};

use super::util::{
    for_each_artifact, for_each_pipeline, is_true, map_mut, retain_keys, seq_maps_mut, take,
};
use super::{Ctx, UpgradeError};

/// v4beta3 → v4beta4. A verify test's `container` was a full Kubernetes container spec; the next
/// version has its own type with only `name`, `image`, `command`, `args` and `env` (whose
/// entries keep only `name` and `value`). Everything else is dropped.
pub(crate) fn v4beta3(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for (i, test) in seq_maps_mut(pipeline, "verify") {
            let Some(container) = map_mut(test, "container") else {
                continue;
            };
            let path = format!("{prefix}verify[{i}].container");
            for dropped in retain_keys(container, &["name", "image", "command", "args", "env"]) {
                ctx.warn(
                    format!("{path}.{dropped}"),
                    "dropped: not a verify container field",
                );
            }
            for (j, env) in seq_maps_mut(container, "env") {
                for dropped in retain_keys(env, &["name", "value"]) {
                    ctx.warn(
                        format!("{path}.env[{j}].{dropped}"),
                        "dropped: verify env entries have only name and value",
                    );
                }
            }
        }
        Ok(())
    })
}

/// v4beta4 → v4beta5. kaniko's `noPush` is dropped.
pub(crate) fn v4beta4(ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, prefix| {
        for_each_artifact(pipeline, prefix, |artifact, path| {
            if let Some(kaniko) = map_mut(artifact, "kaniko")
                && let Some(no_push) = take(kaniko, "noPush")
                && is_true(Some(&no_push))
            {
                ctx.warn(format!("{path}.kaniko.noPush"), "dropped");
            }
            Ok(())
        })
    })
}

/// v4beta7 → v4beta8. The kpt deployer's force option was spelled `false` in v4beta7's schema;
/// it is `force` from v4beta8 on.
pub(crate) fn v4beta7(_ctx: &mut Ctx<'_>, doc: &mut Mapping) -> Result<(), UpgradeError> {
    for_each_pipeline(doc, |pipeline, _| {
        if let Some(kpt) = map_mut(pipeline, "deploy").and_then(|d| map_mut(d, "kpt")) {
            let old = std::mem::take(kpt);
            for (k, v) in old {
                let is_false_key = matches!(&k, Value::Bool(false))
                    || matches!(&k, Value::String(s) if s == "false");
                if is_false_key {
                    kpt.insert(Value::String("force".to_owned()), v);
                } else {
                    kpt.insert(k, v);
                }
            }
        }
        Ok(())
    })
}
