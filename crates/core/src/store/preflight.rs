//! The library's preflight checks: it opens (not corrupt, not from a newer Apprentice) and the
//! disk holding it has room for the recording about to start. Not its job: the machine's
//! display, input and microphone (`apprentice_capture::preflight`) or the speech model.

use std::path::Path;

use super::Library;
use crate::model::Check;

/// Bytes an hour of active 1080p work takes (BENCHMARKS.md, capture: active session).
pub const ACTIVE_BYTES_PER_HOUR: u64 = 144_000_000;
/// Below this much free space a recording is warned about; below [`DISK_FAIL_BYTES`] it fails.
pub const DISK_WARN_BYTES: u64 = 5_000_000_000;
pub const DISK_FAIL_BYTES: u64 = 500_000_000;

/// Free bytes on the file system holding `dir` (or its nearest existing ancestor).
pub fn free_bytes(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let existing = dir.ancestors().find(|a| a.exists()).unwrap_or(Path::new("/"));
    let path = std::ffi::CString::new(existing.as_os_str().as_bytes()).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: statvfs writes into the zeroed struct we own; the path is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

pub fn checks(dir: &Path) -> Vec<Check> {
    let library = match Library::open(dir).and_then(|l| l.list()) {
        Ok(list) => Check::ok("library", format!("{}: {} recordings", dir.display(), list.len())),
        Err(e) => Check::fail("library", e.to_string(), "point --library (or $APPRENTICE_LIBRARY) at another directory; the damaged one is left as it is"),
    };
    let disk = match free_bytes(dir) {
        Ok(free) => {
            let summary = format!("{:.1} GB free: about {} hours of active recording", free as f64 / 1e9, free / ACTIVE_BYTES_PER_HOUR);
            let fix = "free space on that disk, or move the library (--library) to a larger one";
            if free < DISK_FAIL_BYTES {
                Check::fail("disk", summary, fix)
            } else if free < DISK_WARN_BYTES {
                Check::warn("disk", summary, fix)
            } else {
                Check::ok("disk", summary)
            }
        }
        Err(e) => Check::fail("disk", format!("cannot tell the free space of {}: {e}", dir.display()), "check that the library's disk is mounted"),
    };
    vec![library, disk]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CheckStatus;

    #[test]
    fn a_usable_library_passes_and_a_corrupt_one_fails_saying_why() {
        let dir = tempfile::tempdir().unwrap();
        let ok = checks(dir.path());
        assert_eq!(ok[0], Check::ok("library", format!("{}: 0 recordings", dir.path().display())));
        assert_eq!(ok[1].id, "disk");
        let free = free_bytes(dir.path()).unwrap();
        assert!(free > 0);
        let expected = if free < DISK_FAIL_BYTES {
            CheckStatus::Fail
        } else if free < DISK_WARN_BYTES {
            CheckStatus::Warn
        } else {
            CheckStatus::Ok
        };
        assert_eq!(ok[1].status, expected);
        assert!(ok[1].summary.ends_with(&format!("about {} hours of active recording", free / ACTIVE_BYTES_PER_HOUR)), "{}", ok[1].summary);

        let bad = tempfile::tempdir().unwrap();
        std::fs::write(bad.path().join("library.sqlite"), b"not a database".repeat(400)).unwrap();
        let c = &checks(bad.path())[0];
        assert_eq!(c.status, CheckStatus::Fail);
        assert!(c.summary.contains("library.sqlite is corrupt"), "{}", c.summary);
    }

    #[test]
    fn free_space_of_a_library_not_made_yet_is_its_parents() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(free_bytes(&dir.path().join("a/b/c")).unwrap() / 1_000_000, free_bytes(dir.path()).unwrap() / 1_000_000);
    }
}
