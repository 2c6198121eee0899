//! The programs the server runs as child processes (ffmpeg, Shaka Packager), found once at start: a missing one is
//! reported once, in the start-up summary, and what needs it is not attempted.

use std::path::{Path, PathBuf};

/// What was found: each program's path, or `None`.
#[derive(Debug, Clone, Default)]
pub struct Tools {
    pub ffmpeg: Option<PathBuf>,
    pub packager: Option<PathBuf>,
}

impl Tools {
    /// Looks for ffmpeg on `PATH`, and for Shaka Packager as configured (`packager`).
    pub fn locate(packager: &Path) -> Self {
        Self {
            ffmpeg: locate(Path::new("ffmpeg")),
            packager: locate(packager),
        }
    }
}

/// Whether `program` names a file (it has a folder in it) rather than a program to look up on `PATH`.
pub fn is_path(program: &Path) -> bool {
    program.components().count() > 1
}

/// `program` as the system would run it: a path with a folder in it names a file; a bare name is looked up on
/// `PATH`. Only an executable file counts.
pub fn locate(program: &Path) -> Option<PathBuf> {
    if is_path(program) {
        return is_executable(program).then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Ties a child process to the server: killed when its handle is dropped, and sent SIGTERM by the kernel if the
/// server dies (a crash, SIGKILL), so no encoder outlives it.
pub fn bound_to_server(command: &mut tokio::process::Command) -> &mut tokio::process::Command {
    command.kill_on_drop(true);
    #[cfg(target_os = "linux")]
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to signal the child when its parent dies.
    unsafe {
        command.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            Ok(())
        });
    }
    command
}

/// Logs what the child `program` says on stderr (ffmpeg at `-loglevel error` says only what went wrong).
pub fn log_stderr(child: &mut tokio::process::Child, program: &'static str) {
    log_stderr_hiding(child, program, String::new());
}

/// [`log_stderr`], with `secret` (a stream key in the program's arguments, which it may repeat) never logged.
pub fn log_stderr_hiding(child: &mut tokio::process::Child, program: &'static str, secret: String) {
    use tokio::io::AsyncBufReadExt;
    if let Some(stderr) = child.stderr.take() {
        tokio::spawn(async move {
            let mut lines = tokio::io::BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if secret.is_empty() {
                    tracing::warn!(program, "{line}");
                } else {
                    tracing::warn!(program, "{}", line.replace(&secret, "<secret>"));
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_path_or_by_their_path() {
        let sh = locate(Path::new("sh")).expect("sh is on PATH");
        assert!(sh.is_absolute(), "{}", sh.display());
        assert_eq!(locate(&sh), Some(sh.clone()));
        assert_eq!(locate(Path::new("caravan-no-such-program")), None);
        assert_eq!(locate(Path::new("/nonexistent/ffmpeg")), None);

        // A file that cannot be run is not the program.
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("packager");
        std::fs::write(&plain, "#!/bin/sh\n").unwrap();
        assert_eq!(locate(&plain), None);
    }
}
