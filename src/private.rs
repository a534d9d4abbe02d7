//! Files only pilah's own user may read: the state directory (0700) and everything pilah
//! creates in it (0600), whatever the process umask; and the check that refuses a password
//! file that group or others can read.
//!
//! A mode is set explicitly after creation (`fchmod`/`chmod`), because the mode given to
//! `open`/`mkdir` only ever loses bits to the umask: a umask of 0 would otherwise leave
//! nothing to take away from 0666, and an odd one such as 0277 would leave a directory pilah
//! cannot write.

use std::fs::{File, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The mode of the state directory and every directory in it.
pub const DIR_MODE: u32 = 0o700;
/// The mode of every file pilah creates in the state directory.
pub const FILE_MODE: u32 = 0o600;

/// A path whose mode pilah changed because it was looser than it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    pub path: PathBuf,
    pub was: u32,
    pub now: u32,
}

impl Tightened {
    /// Logs the change (a warning: someone or something loosened it).
    pub fn log(&self) {
        tracing::warn!(
            step = "mode-tightened",
            path = %self.path.display(),
            was = %format!("{:04o}", self.was),
            now = %format!("{:04o}", self.now),
            "permissions were looser than pilah allows; tightened"
        );
    }
}

/// The permission bits of a mode (no file type, no setuid/sticky bits).
pub fn bits(mode: u32) -> u32 {
    mode & 0o777
}

/// True when group or others have any permission.
pub fn open_to_others(mode: u32) -> bool {
    mode & 0o077 != 0
}

/// Creates `dir` and its missing parents as 0700 (parents outside pilah's own tree too, like
/// `mkdir -p -m 0700`), and brings `dir` itself to 0700 if it exists with looser modes.
/// Returns what it tightened.
pub fn ensure_dir(dir: &Path) -> std::io::Result<Option<Tightened>> {
    if !dir.is_dir() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        // The umask may have taken bits away (0277 would leave a directory pilah cannot
        // write): set the mode exactly.
        std::fs::set_permissions(dir, Permissions::from_mode(DIR_MODE))?;
        return Ok(None);
    }
    tighten(dir, DIR_MODE)
}

/// Sets `path` to `mode` if group or others have any permission on it; a missing file is
/// left alone. Returns what it tightened.
pub fn tighten(path: &Path, mode: u32) -> std::io::Result<Option<Tightened>> {
    // Through a symbolic link (systemd's /var/lib/pilah -> /var/lib/private/pilah): the
    // mode that matters is the target's, which is also what chmod changes.
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let was = bits(meta.permissions().mode());
    if !open_to_others(was) {
        return Ok(None);
    }
    std::fs::set_permissions(path, Permissions::from_mode(mode))?;
    Ok(Some(Tightened {
        path: path.to_path_buf(),
        was,
        now: mode,
    }))
}

/// Replaces `path` with `contents`, 0600, all at once: written to a file beside it, made
/// durable, then renamed over it (a reader never sees half of it), and the rename made
/// durable. `owner`: the user and group the file is given before it takes its place, where
/// this process may (a refusal leaves it this process's).
pub fn replace_file(
    path: &Path,
    contents: &[u8],
    owner: Option<(u32, u32)>,
) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("pilah-new");
    let mut f = create_file(&tmp, true)?;
    f.write_all(contents)?;
    f.sync_all()?;
    if let Some((uid, gid)) = owner {
        let _ = std::os::unix::fs::chown(&tmp, Some(uid), Some(gid));
    }
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Opens `path` for writing, creating it 0600 if it does not exist (`truncate` empties an
/// existing file). An existing file is brought to 0600 as well.
pub fn create_file(path: &Path, truncate: bool) -> std::io::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(truncate)
        .mode(FILE_MODE)
        .open(path)?;
    if bits(file.metadata()?.permissions().mode()) != FILE_MODE {
        file.set_permissions(Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        bits(std::fs::metadata(p).unwrap().permissions().mode())
    }

    #[test]
    fn a_new_directory_and_its_parents_are_0700_and_a_loose_one_is_tightened() {
        let t = tempfile::tempdir().unwrap();
        let deep = t.path().join("a/b/c");
        assert_eq!(ensure_dir(&deep).unwrap(), None);
        for p in ["a", "a/b", "a/b/c"] {
            assert_eq!(mode(&t.path().join(p)), 0o700, "{p}");
        }
        std::fs::set_permissions(&deep, Permissions::from_mode(0o755)).unwrap();
        let changed = ensure_dir(&deep).unwrap().unwrap();
        assert_eq!((changed.was, changed.now), (0o755, 0o700));
        assert_eq!(mode(&deep), 0o700);
        assert_eq!(ensure_dir(&deep).unwrap(), None, "already tight");
    }

    #[test]
    fn a_created_file_is_0600_and_an_existing_loose_one_is_brought_to_0600() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("f");
        create_file(&p, true).unwrap();
        assert_eq!(mode(&p), 0o600);
        std::fs::set_permissions(&p, Permissions::from_mode(0o644)).unwrap();
        create_file(&p, false).unwrap();
        assert_eq!(mode(&p), 0o600);
    }

    #[test]
    fn tighten_leaves_a_missing_file_and_a_private_one_alone() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(tighten(&t.path().join("none"), FILE_MODE).unwrap(), None);
        let p = t.path().join("ro");
        std::fs::write(&p, "x").unwrap();
        std::fs::set_permissions(&p, Permissions::from_mode(0o400)).unwrap();
        assert_eq!(tighten(&p, FILE_MODE).unwrap(), None);
        assert_eq!(mode(&p), 0o400);
    }
}
