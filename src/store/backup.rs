//! A consistent copy of the database while pilah runs: SQLite's online backup API, in one
//! step on a read-only connection of its own (one read snapshot: WAL lets pilah go on
//! writing meanwhile), then checked (`PRAGMA integrity_check`) on the copy.

use super::{private, schema, Inspection, Store, StoreError};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;

impl Store {
    /// Copies the database at `db` (not opened by a [`Store`]: nothing is migrated or
    /// changed) to `dest`, a new file private to its owner, and checks the copy.
    pub fn backup(db: &Path, dest: &Path) -> Result<Inspection, StoreError> {
        let at = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Db { path, source }
        };
        let src =
            Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(at(db))?;
        schema::check(schema::version(&src).map_err(at(db))?, db)?;
        drop(
            private::create_file(dest, false).map_err(|source| StoreError::Io {
                path: dest.to_path_buf(),
                source,
            })?,
        );
        {
            let mut dst = Connection::open(dest).map_err(at(dest))?;
            let backup = rusqlite::backup::Backup::new(&src, &mut dst).map_err(at(dest))?;
            // -1: every page in one step, on one read snapshot of the source.
            match backup.step(-1).map_err(at(dest))? {
                rusqlite::backup::StepResult::Done => {}
                other => {
                    return Err(StoreError::Io {
                        path: dest.to_path_buf(),
                        source: std::io::Error::other(format!(
                            "the online backup did not finish ({other:?}); try again"
                        )),
                    })
                }
            }
        }
        let copy = Connection::open_with_flags(dest, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(at(dest))?;
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(at(dest))?;
        if check != "ok" {
            return Err(StoreError::Io {
                path: dest.to_path_buf(),
                source: std::io::Error::other(format!(
                    "the copy fails its integrity check: {check}"
                )),
            });
        }
        Store::inspect(dest)
    }
}
