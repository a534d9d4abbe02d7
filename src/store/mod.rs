//! The record of everything pilah did: SQLite, one owner, WAL.
//!
//! `src/store/` owns the database: every table, every SQL statement, the schema and its
//! migrations, the connections and their transactions. The rest of pilah calls typed methods
//! on [`Store`] and, inside a transaction, on [`Tx`]; no other module imports rusqlite or
//! writes SQL. The store decides nothing about mail: who may join a ticket, what to send and
//! when belong to `ticket`, `pipeline` and `alerts`, and the store imports none of them (nor
//! the composer). This file holds the connections, the three kinds of transaction and the
//! errors; each table's statements live in the module named after it.
//!
//! A message is stored (raw file + row) before anything else happens to it, keyed by
//! (mailbox, UIDVALIDITY, UID) with its Message-ID and SHA-256. Its verdict, ticket and the
//! mail to send for it are written in one transaction; the outbox is drained separately and
//! each item is marked sent right after the SMTP server accepted it.
//!
//! Durability is paid once per fetch batch, not once per message: the batch's raw files are
//! written, then fsynced together (and their directory once); commits run with
//! `synchronous = NORMAL` (durable against a crash of pilah, not yet against a power cut)
//! and the one commit that must survive a power cut — the batch's verdicts and queued mail,
//! before the batch is moved out of the watched folder — runs with `synchronous = FULL`,
//! which also makes every earlier commit durable. What a power cut can undo is only what
//! pilah redoes without harm: a "filed" mark (the next drain finds the message moved), a
//! "sent" mark (the item is sent again, under the same Message-ID).

mod backup;
mod corrections;
mod mailboxes;
mod messages;
mod metrics;
mod original;
mod outbox;
#[cfg(test)]
mod plans;
mod report;
mod retention;
mod schema;
mod tickets;

pub use corrections::{
    Correctable, CorrectedBy, CorrectedMessage, CorrectionRecord, FolderStatus, NewCorrection,
    PlaceCandidate,
};
pub use messages::{
    MessageFilter, MessageState, MessageSummary, NewMessage, StoredMessage, VerdictRecord,
};
pub use metrics::MetricsFigures;
pub use original::{append_base64, OriginalEncoding};
pub use outbox::{OutboxChange, OutboxItem, Outgoing, Quarantined, Unsent};
pub use report::{
    ImportedCount, ReportApart, ReportCorrection, ReportMail, ReportPerson, ReportScope,
    ReportTicket,
};
pub use retention::Pruned;
pub use schema::CURRENT as SCHEMA_VERSION;
pub use tickets::{
    FollowUpMark, FollowUpState, ListedTicket, MessageIdOf, TicketHistory, TicketMail,
    TicketMessage, TicketRecord,
};

use crate::private;
use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {path}: {source}")]
    Db {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A database a newer pilah has used (its schema version is above this one's).
    #[error("database {path} has schema version {found}, but this pilah knows only versions up to {known}: a newer pilah has used it; upgrade pilah or restore a backup made before that upgrade")]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    /// The database or one of SQLite's companion files is not writable by its owner.
    #[error("{path} is read-only (mode {mode:o}): pilah must write it{companion}; make it writable (chmod 600 {path}) or restore the state directory from a backup")]
    ReadOnly {
        path: PathBuf,
        mode: u32,
        /// Said of `-wal` and `-shm`, which admins take for leftovers.
        companion: &'static str,
    },
    /// A forward whose original cannot be put in: it must not go out without it.
    #[error("outbox item {item} ({message_id}, ticket {ticket}): cannot attach the original {path}: {detail}")]
    Original {
        item: i64,
        message_id: String,
        ticket: String,
        path: String,
        detail: String,
    },
}

/// The database and the raw-mail directory of one state directory.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    /// The outbox's own connection: the sender reads queued mail and marks it sent without
    /// waiting for the mailboxes' work on `conn` (WAL: readers never wait, writers briefly).
    outbox: Arc<Mutex<Connection>>,
    state_dir: PathBuf,
    path: PathBuf,
}

/// What [`Store::inspect`] finds in a database.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// Messages recorded.
    pub messages: i64,
    /// The schema version it declares (0: none yet; below [`SCHEMA_VERSION`]: brought up to
    /// date at the next start).
    pub version: u32,
}

/// One open transaction of the store, as the rest of pilah sees it: typed methods (defined
/// beside the tables they touch), no SQL. Given to the closures of [`Store::transaction`],
/// [`Store::read`] and [`Store::durable_transaction`].
pub struct Tx<'a> {
    tx: &'a Transaction<'a>,
}

impl Tx<'_> {
    /// Starts a savepoint named `name` inside the transaction (one message's writes, which
    /// [`Tx::rollback_to`] undoes without undoing the batch's).
    pub fn savepoint(&self, name: &'static str) -> Result<(), StoreError> {
        self.tx.execute_batch(&format!("SAVEPOINT {name}"))?;
        Ok(())
    }

    /// Keeps what was written since the savepoint `name`, and ends it.
    pub fn release(&self, name: &'static str) -> Result<(), StoreError> {
        self.tx.execute_batch(&format!("RELEASE {name}"))?;
        Ok(())
    }

    /// Undoes what was written since the savepoint `name` (which stays open).
    pub fn rollback_to(&self, name: &'static str) -> Result<(), StoreError> {
        self.tx.execute_batch(&format!("ROLLBACK TO {name}"))?;
        Ok(())
    }
}

/// Runs `f` in a transaction of `behavior` and commits it.
fn in_transaction<T>(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    f: impl FnOnce(&Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn.transaction_with_behavior(behavior)?;
    let out = f(&Tx { tx: &tx })?;
    tx.commit()?;
    Ok(out)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn ts(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A time as `now()` writes it, for comparisons with the columns it fills.
fn ts_ms(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub fn sha256_hex(raw: &[u8]) -> String {
    hex(&Sha256::digest(raw))
}

/// The directories under `dir`, three levels deep (`raw/<mailbox>/<uidvalidity>/<xx>`);
/// none when `dir` does not exist.
fn subdirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut level = vec![dir.to_path_buf()];
    for _ in 0..3 {
        let mut next = Vec::new();
        for d in &level {
            let entries = match std::fs::read_dir(d) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            for e in entries {
                let e = e?;
                if e.file_type()?.is_dir() {
                    next.push(e.path());
                }
            }
        }
        out.extend(next.iter().cloned());
        level = next;
    }
    Ok(out)
}

pub(crate) use crate::hex::hex;

impl Store {
    /// For a failure that SQLite calls "attempt to write a readonly database" (naming no
    /// file): which of the database's files cannot be written now, with their modes, e.g.
    /// "pilah.sqlite-shm (mode 444)". None for any other failure.
    pub fn read_only_files(&self, e: &StoreError) -> Option<String> {
        let StoreError::Sql(rusqlite::Error::SqliteFailure(f, _)) = e else {
            return None;
        };
        if f.code != rusqlite::ErrorCode::ReadOnly {
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        let files: Vec<String> = ["pilah.sqlite", "pilah.sqlite-wal", "pilah.sqlite-shm"]
            .iter()
            .filter_map(|name| {
                let p = self.state_dir.join(name);
                let mode = std::fs::metadata(&p).ok()?.permissions().mode() & 0o7777;
                (mode & 0o200 == 0).then(|| format!("{} (mode {mode:o})", p.display()))
            })
            .collect();
        Some(if files.is_empty() {
            format!(
                "the database in {} is read-only to SQLite (its files have their write bit: \
                 is the file system mounted read-only?)",
                self.state_dir.display()
            )
        } else {
            format!(
                "read-only: {} (SQLite's -wal and -shm files are part of the database: make \
                 them writable, chmod 600)",
                files.join(", ")
            )
        })
    }

    /// Opens (creating if needed) the database in `state_dir`.
    pub fn open(state_dir: &Path) -> Result<Store, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        if let Some(t) = private::ensure_dir(state_dir).map_err(io(state_dir))? {
            t.log();
        }
        let path = state_dir.join("pilah.sqlite");
        // SQLite creates the database with 0644 less the umask, and its -wal and -shm with
        // the database's own mode: create the database 0600 first (an empty file is a new
        // database to SQLite), and bring an existing one and its companions to 0600.
        if !path.exists() {
            private::create_file(&path, false).map_err(io(&path))?;
        }
        for name in ["pilah.sqlite", "pilah.sqlite-wal", "pilah.sqlite-shm"] {
            let p = state_dir.join(name);
            if let Some(t) = private::tighten(&p, private::FILE_MODE).map_err(io(&p))? {
                t.log();
            }
            // SQLite fails on a read-only -shm or -wal with "attempt to write a readonly
            // database", naming neither: name the file here.
            if let Ok(meta) = std::fs::metadata(&p) {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode() & 0o7777;
                if mode & 0o200 == 0 {
                    return Err(StoreError::ReadOnly {
                        path: p,
                        mode,
                        companion: if name == "pilah.sqlite" {
                            ""
                        } else {
                            " (SQLite's -wal and -shm files are part of the database)"
                        },
                    });
                }
            }
        }
        // The raw messages' directories (their files are 0600 since pilah made them so;
        // older ones are out of reach behind these directories).
        let raw = state_dir.join("raw");
        for dir in std::iter::once(raw.clone()).chain(subdirs(&raw).map_err(io(&raw))?) {
            if let Some(t) = private::tighten(&dir, private::DIR_MODE).map_err(io(&dir))? {
                t.log();
            }
        }
        let db = |source| StoreError::Db {
            path: path.clone(),
            source,
        };
        let connect = || -> Result<Connection, rusqlite::Error> {
            let conn = Connection::open(&path)?;
            conn.pragma_update(None, "journal_mode", "WAL")?;
            conn.pragma_update(None, "synchronous", "NORMAL")?;
            conn.pragma_update(None, "foreign_keys", "ON")?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            // Every statement of the per-message paths stays prepared.
            conn.set_prepared_statement_cache_capacity(64);
            // ... and is not prepared again for every new value bound to it: without the
            // query planner stability guarantee, SQLite re-plans a statement whose WHERE
            // binds a parameter on a table with a partial index (outbox_acks) each time the
            // value changes, which was a sixth of the outbox's CPU. The partial index is
            // only used with its literal `kind = 'ack'`, which this does not change.
            conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
            Ok(conn)
        };
        let mut conn = connect().map_err(db)?;
        schema::migrate(&mut conn, &path)?;
        let outbox = connect().map_err(db)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            outbox: Arc::new(Mutex::new(outbox)),
            state_dir: state_dir.to_path_buf(),
            path,
        })
    }

    /// Looks at an existing database without changing it (`pilah doctor`, which must never
    /// create one): opened read-only.
    pub fn inspect(path: &Path) -> Result<Inspection, StoreError> {
        let db = |source| StoreError::Db {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(db)?;
        let version = schema::version(&conn).map_err(db)?;
        schema::check(version, path)?;
        let messages = conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .map_err(db)?;
        Ok(Inspection { messages, version })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A poisoned lock means a panic while holding it; the connection itself is fine.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn outbox_conn(&self) -> MutexGuard<'_, Connection> {
        self.outbox.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one transaction (durable against a crash of pilah; see the module's
    /// documentation for power cuts). Transactions take the write lock when they begin, so
    /// that one that reads and then writes never finds the database changed under it by
    /// the outbox's connection.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        in_transaction(&mut self.conn(), TransactionBehavior::Immediate, f)
    }

    /// Runs `f`, which only reads, on one consistent snapshot without taking the write lock
    /// (reports, `ticket show`, metrics: a live daemon's commits are not held up).
    pub fn read<T>(&self, f: impl FnOnce(&Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        in_transaction(&mut self.conn(), TransactionBehavior::Deferred, f)
    }

    /// Runs `f` in one transaction whose commit is on the disk when this returns, together
    /// with every commit before it (`synchronous = FULL` fsyncs the write-ahead log). Used
    /// before an action pilah cannot take back: moving messages out of the watched folder.
    pub fn durable_transaction<T>(
        &self,
        f: impl FnOnce(&Tx) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let result = in_transaction(&mut conn, TransactionBehavior::Immediate, f);
        let reset = conn.pragma_update(None, "synchronous", "NORMAL");
        let out = result?;
        reset?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_only_failure_names_the_file_that_cannot_be_written() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.mailbox_seen("lapor", 1).unwrap();
        let shm = dir.path().join("pilah.sqlite-shm");
        assert!(shm.exists(), "WAL mode keeps a -shm file");
        let read_only = StoreError::Sql(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_READONLY),
            Some("attempt to write a readonly database".into()),
        ));
        let hint = store.read_only_files(&read_only).unwrap();
        assert!(hint.contains("mounted read-only"), "{hint}");
        std::fs::set_permissions(&shm, std::fs::Permissions::from_mode(0o444)).unwrap();
        let hint = store.read_only_files(&read_only).unwrap();
        assert!(hint.contains("pilah.sqlite-shm (mode 444)"), "{hint}");
        assert!(!hint.contains("pilah.sqlite (mode"), "{hint}");
        let other = StoreError::Sql(rusqlite::Error::QueryReturnedNoRows);
        assert_eq!(store.read_only_files(&other), None);
    }
    use crate::types::{ImapUid, MailboxName};

    #[test]
    fn the_state_directory_is_0700_and_the_database_its_wal_and_raw_files_0600() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let top = tempfile::tempdir().unwrap();
        let dir = top.path().join("state");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let s = Store::open(&dir).unwrap();
        let mb = MailboxName("lapor".into());
        let m = s
            .record(&NewMessage {
                mailbox: &mb,
                uid: ImapUid {
                    uidvalidity: 7,
                    uid: 1,
                },
                raw: b"Subject: x\r\n\r\nisi\r\n",
                internal_date: None,
                message_id: None,
            })
            .unwrap();
        assert_eq!(mode(&dir), 0o700, "a loose state directory is tightened");
        for f in ["pilah.sqlite", "pilah.sqlite-wal", "pilah.sqlite-shm"] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
        assert_eq!(mode(&m.raw_path), 0o600);
        assert!(m.raw_path.ends_with("raw/lapor/7/01/1.eml"), "{m:?}");
        for d in ["raw", "raw/lapor", "raw/lapor/7", "raw/lapor/7/01"] {
            assert_eq!(mode(&dir.join(d)), 0o700, "{d}");
        }
        // An older installation's loose files are tightened at the next open.
        drop(s);
        let loose = std::fs::Permissions::from_mode(0o644);
        std::fs::set_permissions(dir.join("pilah.sqlite"), loose.clone()).unwrap();
        std::fs::set_permissions(
            dir.join("raw/lapor"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let _s = Store::open(&dir).unwrap();
        assert_eq!(mode(&dir.join("pilah.sqlite")), 0o600);
        assert_eq!(mode(&dir.join("raw/lapor")), 0o700);
    }

    #[test]
    fn a_durable_transaction_leaves_the_connection_as_it_found_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let sync = |s: &Store| -> i64 {
            s.conn()
                .query_row("PRAGMA synchronous", [], |r| r.get(0))
                .unwrap()
        };
        assert_eq!(sync(&s), 1, "NORMAL by default");
        let failed: Result<(), StoreError> = s.durable_transaction(|tx| {
            tx.tx
                .prepare_cached("INSERT INTO no_such_table VALUES (1)")?
                .execute([])?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(sync(&s), 1, "NORMAL again after a failed durable commit");
        s.durable_transaction(|tx| {
            tx.tx.prepare_cached("INSERT INTO events (message_row, mailbox, step, detail, at) VALUES (NULL, 'lapor', 'x', 'y', 'now')")?.execute(
                [],
            )?;
            Ok(())
        })
        .unwrap();
        assert_eq!(sync(&s), 1);
    }
}
