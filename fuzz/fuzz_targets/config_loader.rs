//! Arbitrary bytes (as UTF-8, lossily) as the text of a `skaffold.yaml`: `load_str` returns `Ok`
//! or `Err`, never panics. Whatever loads is printed with `to_yaml` and must load again; then it
//! gets Skaffold's defaults (`defaults::apply`), is validated, and the defaulted configs are
//! printed and reloaded the same way. Failing to read back what skiff itself printed is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skiff_config::defaults::{self, DefaultsOptions};
use skiff_config::{ConfigSet, ValidateOptions, load_str, validate};

const FILE: &str = "skaffold.yaml";

/// Print `set` and read it back; panics (a finding) if skiff cannot read its own output.
fn reload(set: &ConfigSet, what: &str) {
    let printed = set
        .to_yaml()
        .unwrap_or_else(|e| panic!("to_yaml of the {what} configs failed: {e}\n{set:#?}"));
    if let Err(e) = load_str(&printed, FILE) {
        panic!(
            "skiff cannot reload its own to_yaml output of the {what} configs: {e}\n--- printed:\n{printed}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(mut set) = load_str(&text, FILE) else {
        return;
    };
    reload(&set, "loaded");
    let opts = DefaultsOptions {
        kube_namespace: None,
        home_dir: Some("/home/fuzz".into()),
    };
    if defaults::apply(&mut set, &opts).is_err() {
        return;
    }
    let _ = validate(&set, &ValidateOptions::default());
    reload(&set, "defaulted");
});
