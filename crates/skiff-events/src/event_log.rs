//! The `--event-log-file` writer: at exit, the retained event history is appended to `<F>.v2`,
//! one compact JSON object per line in the event-log dialect (lowerCamel, zero values omitted).

use std::fs::{self, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use skiff_proto::json::event_log_line;

use crate::hub::{Hub, Stream};

/// The path of the v2 event log for `--event-log-file <base>`: `<base>.v2`.
pub fn v2_path(base: &Path) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(".v2");
    PathBuf::from(name)
}

/// Appends the hub's event history to `<base>.v2`, creating missing parent directories (0700)
/// and the file (0600). Application logs are not included.
pub fn append_v2(hub: &Hub, base: &Path) -> io::Result<PathBuf> {
    let path = v2_path(base);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)?;
    }
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(&path)?;
    let mut out = BufWriter::new(file);
    for event in hub.history(Stream::Events) {
        out.write_all(event_log_line(event.as_ref()).as_bytes())?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HubLimits, InitialState, Phase};

    #[test]
    fn appends_one_json_line_per_event() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("missing/dir/events");
        let hub = Hub::new(&InitialState::default(), HubLimits::default());
        hub.task_in_progress(Phase::Build, "Build containers");
        hub.task_succeeded(Phase::Build);
        let path = append_v2(&hub, &base).unwrap();
        assert_eq!(path, dir.path().join("missing/dir/events.v2"));
        append_v2(&hub, &base).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<_> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        let first: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(
            first["taskEvent"],
            serde_json::json!({"id": "Build-0", "task": "Build", "description": "Build containers", "status": "InProgress"})
        );
        assert!(first["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
