//! Owner-only files: a library's folders are created 0700 and its files 0600 whatever the
//! process's umask (a vendor station is shared; a recorded screen is nobody else's), and a
//! library made looser — by an older version, another program, a copy — is tightened when it is
//! opened; [`share`] loosens what its owner means to share (an export asked to be readable by
//! others). Not its job: what is written.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Creates `path` and its missing parents as owner-only folders; an existing `path` is made
/// owner-only (its parents are left as they are: they are not the library's).
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(path)?;
    tighten_one(path, DIR_MODE)
}

/// Creates (or truncates) `path` as an owner-only file for writing.
pub fn create_file(path: &Path) -> io::Result<fs::File> {
    fs::OpenOptions::new().write(true).create(true).truncate(true).mode(FILE_MODE).open(path)
}

/// Creates `path` as an empty owner-only file if it does not exist (what SQLite then opens, and
/// whose mode it gives its WAL and shared-memory files). An existing file is never opened: on
/// Linux, closing any descriptor of a file drops every POSIX lock this process holds on it, and
/// SQLite's locks are POSIX locks. Opening the live database here once let another process take
/// itself for the last user, checkpoint and delete the WAL, and the recorder's later commits went
/// into the deleted file.
pub fn create_if_missing(path: &Path) -> io::Result<()> {
    match fs::OpenOptions::new().write(true).create_new(true).mode(FILE_MODE).open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Whether others (group or world) can reach `path`.
pub fn is_loose(path: &Path) -> io::Result<bool> {
    Ok(fs::symlink_metadata(path)?.permissions().mode() & 0o077 != 0)
}

fn tighten_one(path: &Path, mode: u32) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() || meta.permissions().mode() & 0o077 == 0 {
        return Ok(());
    }
    fs::set_permissions(path, fs::Permissions::from_mode((meta.permissions().mode() & 0o700) | mode))
}

/// Makes every folder under `root` (and `root`) 0700 and every file 0600; symbolic links are
/// not followed. Returns how many entries changed. `root` itself goes last, so an interrupted
/// walk is done again on the next open.
pub fn tighten(root: &Path) -> io::Result<usize> {
    let mut changed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let (path, kind) = (entry.path(), entry.file_type()?);
            if kind.is_symlink() {
                continue;
            }
            let loose = is_loose(&path)?;
            if kind.is_dir() {
                if loose {
                    tighten_one(&path, DIR_MODE)?;
                    changed += 1;
                }
                stack.push(path);
            } else if loose {
                tighten_one(&path, FILE_MODE)?;
                changed += 1;
            }
        }
    }
    if is_loose(root)? {
        tighten_one(root, DIR_MODE)?;
        changed += 1;
    }
    Ok(changed)
}

/// The opposite, for what its owner means to share (an export asked to be readable by others):
/// folders 0755, files 0644 under `root`.
pub fn share(root: &Path) -> io::Result<()> {
    let mut stack = vec![root.to_path_buf()];
    fs::set_permissions(root, fs::Permissions::from_mode(0o755))?;
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let (path, kind) = (entry.path(), entry.file_type()?);
            if kind.is_dir() {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
                stack.push(path);
            } else if kind.is_file() {
                fs::set_permissions(&path, fs::Permissions::from_mode(0o644))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Library;

    /// Every entry under `root` that others could read, with its mode.
    fn loose(root: &Path) -> Vec<(String, u32)> {
        let mut out = vec![];
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                let mode = e.metadata().unwrap().permissions().mode() & 0o777;
                if e.file_type().unwrap().is_dir() {
                    stack.push(e.path());
                }
                if mode & 0o077 != 0 {
                    out.push((e.path().display().to_string(), mode));
                }
            }
        }
        out
    }

    #[test]
    fn a_library_is_owner_only_whatever_the_umask_and_a_loose_one_is_tightened_on_open() {
        // The usual umask, which leaves new files readable by everyone.
        // SAFETY: umask only sets the process's file mode mask.
        unsafe { libc::umask(0o022) };
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("lib");
        {
            let lib = Library::open(&root).unwrap();
            lib.media().put(b"a frame", "webp").unwrap();
            let _lock = crate::store::RecorderLock::try_acquire(&root.join("locks/r1.lock")).unwrap();
            lib.conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);").unwrap();
            assert!(root.join("library.sqlite-wal").exists(), "the WAL is there to check");
            assert_eq!(loose(tmp.path()), vec![], "a new library and what it writes are its owner's only");
            assert_eq!(fs::metadata(&root).unwrap().permissions().mode() & 0o777, 0o700);
        }
        // Loosened by hand (an older version, a copy): opening tightens every entry.
        for p in [root.clone(), root.join("media"), root.join("library.sqlite")] {
            let mode = if p.is_dir() { 0o755 } else { 0o644 };
            fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        }
        let media_file = fs::read_dir(root.join("media")).unwrap().next().unwrap().unwrap().path();
        fs::set_permissions(&media_file, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(!loose(tmp.path()).is_empty());
        drop(Library::open(&root).unwrap());
        assert_eq!(loose(tmp.path()), vec![], "tightened on open");
        share(&root).unwrap();
        assert_eq!(fs::metadata(root.join("library.sqlite")).unwrap().permissions().mode() & 0o777, 0o644, "shared when asked");
    }
}
