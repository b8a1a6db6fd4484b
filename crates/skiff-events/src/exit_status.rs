//! How a process ended, as Skaffold (Go's `os.ProcessState.String()`) spells it in the messages
//! users see: `exit status 2`, `signal: killed`.

use std::process::ExitStatus;

/// Go's spelling of how a process ended: `exit status 2`, `signal: killed`.
pub fn describe_exit(status: &ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal: {}", signal_name(signal));
        }
    }
    status.to_string()
}

/// Go's name of a signal, for the common ones.
#[cfg(unix)]
fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGHUP => "hangup".into(),
        libc::SIGINT => "interrupt".into(),
        libc::SIGQUIT => "quit".into(),
        libc::SIGABRT => "aborted".into(),
        libc::SIGKILL => "killed".into(),
        libc::SIGSEGV => "segmentation fault".into(),
        libc::SIGPIPE => "broken pipe".into(),
        libc::SIGTERM => "terminated".into(),
        other => format!("signal {other}"),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt;

    #[test]
    fn exit_codes_and_signals_read_as_go_writes_them() {
        assert_eq!(
            describe_exit(&ExitStatus::from_raw(2 << 8)),
            "exit status 2"
        );
        assert_eq!(
            describe_exit(&ExitStatus::from_raw(libc::SIGKILL)),
            "signal: killed"
        );
        assert_eq!(
            describe_exit(&ExitStatus::from_raw(libc::SIGTERM)),
            "signal: terminated"
        );
    }
}
