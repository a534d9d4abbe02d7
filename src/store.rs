//! The record of everything pilah did: SQLite, one owner, WAL.
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

use crate::act::compose::OriginalEncoding;
use crate::classify::Verdict;
use crate::private;
use crate::types::{ImapUid, MailboxName, Ticket};
use chrono::{DateTime, Utc};
use rusqlite::config::DbConfig;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
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

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    /// Raw bytes on disk and a row in the database.
    Stored,
    /// Verdict recorded, outgoing mail queued.
    Classified,
    /// Moved to its folder in the mailbox: done.
    Filed,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Stored => "stored",
            MessageState::Classified => "classified",
            MessageState::Filed => "filed",
        }
    }
    fn parse(s: &str) -> MessageState {
        match s {
            "classified" => MessageState::Classified,
            "filed" => MessageState::Filed,
            _ => MessageState::Stored,
        }
    }
}

/// A message as recorded.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub id: i64,
    pub mailbox: String,
    pub uid: ImapUid,
    pub state: MessageState,
    pub raw_path: PathBuf,
    pub folder: Option<String>,
    pub internal_date: Option<DateTime<Utc>>,
}

/// What to record when a message is first seen.
pub struct NewMessage<'a> {
    pub mailbox: &'a MailboxName,
    pub uid: ImapUid,
    pub raw: &'a [u8],
    pub internal_date: Option<DateTime<Utc>>,
    pub message_id: Option<&'a str>,
}

/// One e-mail to send, as queued.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub message_row: Option<i64>,
    pub kind: String,
    pub message_id: String,
    pub env_from: String,
    pub rcpt: Vec<String>,
    pub attempts: i64,
}

/// What a message's verdict queues.
pub struct Outgoing {
    pub kind: &'static str,
    pub message_id: String,
    /// Envelope sender; empty for the null sender `<>`.
    pub env_from: String,
    pub rcpt: Vec<String>,
    pub unit: Option<String>,
    /// The whole message; for a forward, what comes before the original.
    pub body: Vec<u8>,
    /// A forward: the original (the raw file of the outbox row's message) goes between
    /// `body` and this tail when it is sent; it is not stored again.
    pub original: Option<(OriginalEncoding, Vec<u8>)>,
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

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS messages (
    id            INTEGER PRIMARY KEY,
    mailbox       TEXT NOT NULL,
    uidvalidity   INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    message_id    TEXT,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    internal_date TEXT,
    fetched_at    TEXT NOT NULL,
    raw_path      TEXT NOT NULL,
    state         TEXT NOT NULL,
    sender        TEXT,
    sender_name   TEXT,
    subject       TEXT,
    category      TEXT,
    rule          TEXT,
    rules_version TEXT,
    machine       TEXT,
    quarantine    TEXT,
    tags          TEXT,
    region        TEXT,
    region_source TEXT,
    ticket        TEXT,
    relation      TEXT,
    folder        TEXT,
    route         TEXT,
    ack_template  TEXT,
    ack_skipped   TEXT,
    classified_at TEXT,
    filed_at      TEXT,
    UNIQUE (mailbox, uidvalidity, uid)
);
CREATE INDEX IF NOT EXISTS messages_sha ON messages (mailbox, sha256);
CREATE INDEX IF NOT EXISTS messages_date ON messages (internal_date);
CREATE INDEX IF NOT EXISTS messages_ticket ON messages (ticket);
CREATE INDEX IF NOT EXISTS messages_mid ON messages (message_id);

CREATE TABLE IF NOT EXISTS ticket_seq (
    prefix TEXT NOT NULL,
    year   INTEGER NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY,
    message_row     INTEGER REFERENCES messages (id),
    kind            TEXT NOT NULL,
    message_id      TEXT NOT NULL UNIQUE,
    env_from        TEXT NOT NULL,
    rcpt            TEXT NOT NULL,
    unit            TEXT,
    -- The whole message, or, when `original` is set, what comes before the original.
    body            BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    sent_at         TEXT,
    failed_at       TEXT,
    -- A forward: how the original (messages.raw_path of message_row) goes between body and
    -- body_tail when it is sent: 'rfc822' as it is, 'base64'. NULL: body is the whole message.
    original        TEXT,
    body_tail       BLOB
);
-- What is due, in queue order from a cursor: (sent_at, failed_at) IS NULL, then id, so that
-- a pass reads the next 200 without visiting and sorting everything still queued.
DROP INDEX IF EXISTS outbox_pending;
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (sent_at, failed_at, id);
-- acks_since() runs once per acknowledgement: without this index it would scan the whole
-- outbox, bodies included (quadratic over a backlog; docs/performance.md).
CREATE INDEX IF NOT EXISTS outbox_acks ON outbox (rcpt, created_at) WHERE kind = 'ack';
CREATE INDEX IF NOT EXISTS outbox_ack_times ON outbox (created_at) WHERE kind = 'ack';
CREATE INDEX IF NOT EXISTS outbox_row ON outbox (message_row);
-- The alert cap (alerts_since) and the hourly digest of what went without an alert
-- (quarantined_without_alert): small partial indexes, of alerts and quarantined messages only.
CREATE INDEX IF NOT EXISTS outbox_alerts ON outbox (created_at) WHERE kind = 'alert';
CREATE INDEX IF NOT EXISTS outbox_alerted ON outbox (message_row) WHERE kind = 'alert';
CREATE INDEX IF NOT EXISTS outbox_alert_digests ON outbox (created_at) WHERE kind = 'alert-digest';
CREATE INDEX IF NOT EXISTS messages_quarantined ON messages (id) WHERE quarantine IS NOT NULL;

CREATE TABLE IF NOT EXISTS events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    message_row INTEGER,
    mailbox     TEXT,
    step        TEXT NOT NULL,
    detail      TEXT
);

CREATE TABLE IF NOT EXISTS mailbox_state (
    mailbox       TEXT PRIMARY KEY,
    first_seen    TEXT NOT NULL,
    uidvalidity   INTEGER,
    last_success  TEXT,
    last_error    TEXT,
    last_error_at TEXT
);
"#;

/// Runs `f` in a transaction of `behavior` and commits it.
fn in_transaction<T>(
    conn: &mut Connection,
    behavior: TransactionBehavior,
    f: impl FnOnce(&Transaction) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let tx = conn.transaction_with_behavior(behavior)?;
    let out = f(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// What `Store::outbox_body` assembles a message from.
const OUTBOX_BODY: &str = "SELECT o.body, o.original, o.body_tail, o.message_id, o.message_row,
        m.raw_path, m.size, m.sha256, m.ticket
    FROM outbox o LEFT JOIN messages m ON m.id = o.message_row
    WHERE o.id = ?1";

/// Mail due for sending after a cursor, in queue order (served by the `outbox_due` index).
const DUE: &str = "SELECT id, message_row, kind, message_id, env_from, rcpt, attempts FROM outbox
     WHERE sent_at IS NULL AND failed_at IS NULL AND (?1 OR next_attempt_at <= ?2)
       AND id > ?3
     ORDER BY id LIMIT ?4";

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

/// The directories under `dir`, two levels deep (`raw/<mailbox>/<uidvalidity>`); none when
/// `dir` does not exist.
fn subdirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut level = vec![dir.to_path_buf()];
    for _ in 0..2 {
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
        conn.execute_batch(SCHEMA).map_err(db)?;
        add_missing_columns(&mut conn).map_err(db)?;
        conn.execute_batch(crate::ticket::SCHEMA).map_err(db)?;
        let outbox = connect().map_err(db)?;
        Ok(Store {
            conn: Arc::new(Mutex::new(conn)),
            outbox: Arc::new(Mutex::new(outbox)),
            state_dir: state_dir.to_path_buf(),
            path,
        })
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
        f: impl FnOnce(&Transaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        in_transaction(&mut self.conn(), TransactionBehavior::Immediate, f)
    }

    /// Runs `f`, which only reads, on one consistent snapshot without taking the write lock
    /// (reports, `ticket show`, metrics: a live daemon's commits are not held up).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        in_transaction(&mut self.conn(), TransactionBehavior::Deferred, f)
    }

    /// Runs `f` in one transaction whose commit is on the disk when this returns, together
    /// with every commit before it (`synchronous = FULL` fsyncs the write-ahead log). Used
    /// before an action pilah cannot take back: moving messages out of the watched folder.
    pub fn durable_transaction<T>(
        &self,
        f: impl FnOnce(&Transaction) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.conn();
        conn.pragma_update(None, "synchronous", "FULL")?;
        let result = in_transaction(&mut conn, TransactionBehavior::Immediate, f);
        let reset = conn.pragma_update(None, "synchronous", "NORMAL");
        let out = result?;
        reset?;
        Ok(out)
    }

    pub fn event(
        &self,
        message_row: Option<i64>,
        mailbox: &str,
        step: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.conn().prepare_cached("INSERT INTO events (at, message_row, mailbox, step, detail) VALUES (?1, ?2, ?3, ?4, ?5)")?.execute(
            params![now(), message_row, mailbox, step, detail],
        )?;
        Ok(())
    }

    // ---- mailboxes ----

    /// Records that a mailbox was reached; returns when pilah first saw it.
    pub fn mailbox_seen(
        &self,
        mailbox: &str,
        uidvalidity: u32,
    ) -> Result<DateTime<Utc>, StoreError> {
        let conn = self.conn();
        let t = now();
        conn.prepare_cached(
            "INSERT INTO mailbox_state (mailbox, first_seen, uidvalidity, last_success)
             VALUES (?1, ?2, ?3, ?2)
             ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = ?3, last_success = ?2",
        )?
        .execute(params![mailbox, t, uidvalidity])?;
        let first: String = conn
            .prepare_cached("SELECT first_seen FROM mailbox_state WHERE mailbox = ?1")?
            .query_row(params![mailbox], |r| r.get(0))?;
        Ok(parse_ts(&first).unwrap_or_else(Utc::now))
    }

    pub fn mailbox_error(&self, mailbox: &str, error: &str) -> Result<(), StoreError> {
        let t = now();
        self.conn()
            .prepare_cached(
                "INSERT INTO mailbox_state (mailbox, first_seen, last_error, last_error_at)
             VALUES (?1, ?2, ?3, ?2)
             ON CONFLICT (mailbox) DO UPDATE SET last_error = ?3, last_error_at = ?2",
            )?
            .execute(params![mailbox, t, error])?;
        Ok(())
    }

    // ---- messages ----

    /// The record of a UID, if there is one.
    pub fn find(
        &self,
        mailbox: &MailboxName,
        uid: ImapUid,
    ) -> Result<Option<StoredMessage>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT id, state, raw_path, folder, internal_date FROM messages
             WHERE mailbox = ?1 AND uidvalidity = ?2 AND uid = ?3",
        )?;
        let found = st
            .query_row(params![mailbox.as_str(), uid.uidvalidity, uid.uid], |r| {
                stored_from_row(r, mailbox.as_str(), uid)
            })
            .optional()?;
        Ok(found)
    }

    /// The record of a message pilah already has: under this UID, or under another
    /// UIDVALIDITY (same mailbox, SHA-256 and Message-ID), which is then re-identified.
    fn known(&self, m: &NewMessage, sha: &str) -> Result<Option<StoredMessage>, StoreError> {
        if let Some(known) = self.find(m.mailbox, m.uid)? {
            return Ok(Some(known));
        }
        let existing = self
            .conn()
            .query_row(
                "SELECT id, state, raw_path, folder, internal_date FROM messages
                 WHERE mailbox = ?1 AND sha256 = ?2 AND uidvalidity != ?3
                   AND coalesce(message_id, '') = coalesce(?4, '')
                 ORDER BY id LIMIT 1",
                params![m.mailbox.as_str(), sha, m.uid.uidvalidity, m.message_id],
                |r| stored_from_row(r, m.mailbox.as_str(), m.uid),
            )
            .optional()?;
        if let Some(known) = &existing {
            self.conn()
                .prepare_cached("UPDATE messages SET uidvalidity = ?1, uid = ?2 WHERE id = ?3")?
                .execute(params![m.uid.uidvalidity, m.uid.uid, known.id])?;
            self.event(
                Some(known.id),
                m.mailbox.as_str(),
                "reidentified",
                &format!(
                    "UIDVALIDITY changed: now {}:{}",
                    m.uid.uidvalidity, m.uid.uid
                ),
            )?;
        }
        Ok(existing)
    }

    /// Writes one message's raw bytes to disk (fsynced) and records it, before anything
    /// else happens to it.
    pub fn record(&self, m: &NewMessage) -> Result<StoredMessage, StoreError> {
        let mut out = self.record_batch(std::slice::from_ref(m))?;
        out.pop().ok_or_else(|| StoreError::Io {
            path: self.state_dir.clone(),
            source: std::io::Error::other("a recorded message went missing"),
        })
    }

    /// Writes a fetched batch's raw bytes to disk and records the batch, before anything
    /// else happens to it. The files are fsynced together, then their directory once, then
    /// the rows are inserted in one transaction; returns one record per message, in order.
    /// A message already known (same UID, or re-identified after a UIDVALIDITY change) is
    /// returned as it is, not written again.
    pub fn record_batch(&self, batch: &[NewMessage]) -> Result<Vec<StoredMessage>, StoreError> {
        let mut out: Vec<Option<StoredMessage>> = Vec::with_capacity(batch.len());
        let mut new: Vec<(usize, String, PathBuf)> = Vec::new();
        let mut files = RawFiles::default();
        for (i, m) in batch.iter().enumerate() {
            let sha = sha256_hex(m.raw);
            if let Some(known) = self.known(m, &sha)? {
                out.push(Some(known));
                continue;
            }
            out.push(None);
            let dir = self
                .state_dir
                .join("raw")
                .join(m.mailbox.as_str())
                .join(m.uid.uidvalidity.to_string());
            let raw_path = dir.join(format!("{}.eml", m.uid.uid));
            files.write(&dir, &raw_path, m.raw)?;
            new.push((i, sha, raw_path));
        }
        files.sync()?;
        if !new.is_empty() {
            let fetched_at = now();
            self.transaction(|tx| {
                let mut st = tx.prepare_cached(
                    "INSERT INTO messages (mailbox, uidvalidity, uid, message_id, sha256, size,
                         internal_date, fetched_at, raw_path, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'stored')",
                )?;
                for (i, sha, raw_path) in &new {
                    let m = &batch[*i];
                    st.execute(params![
                        m.mailbox.as_str(),
                        m.uid.uidvalidity,
                        m.uid.uid,
                        m.message_id,
                        sha,
                        m.raw.len() as i64,
                        m.internal_date.as_ref().map(ts),
                        fetched_at,
                        raw_path.to_string_lossy(),
                    ])?;
                    out[*i] = Some(StoredMessage {
                        id: tx.last_insert_rowid(),
                        mailbox: m.mailbox.to_string(),
                        uid: m.uid,
                        state: MessageState::Stored,
                        raw_path: raw_path.clone(),
                        folder: None,
                        internal_date: m.internal_date,
                    });
                }
                Ok(())
            })?;
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Messages classified but not filed whose UID is no longer in the watched folder: the
    /// move happened, and pilah stopped before recording it. They are recorded filed now.
    pub fn settle_moved(
        &self,
        mailbox: &MailboxName,
        uidvalidity: u32,
        present: &[u32],
    ) -> Result<usize, StoreError> {
        let present: std::collections::HashSet<u32> = present.iter().copied().collect();
        let rows: Vec<(i64, u32, Option<String>)> = {
            let conn = self.conn();
            let mut st = conn.prepare(
                "SELECT id, uid, folder FROM messages WHERE mailbox = ?1 AND uidvalidity = ?2 AND state = 'classified'",
            )?;
            let r = st
                .query_map(params![mailbox.as_str(), uidvalidity], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            r
        };
        let mut n = 0;
        for (id, uid, folder) in rows {
            if !present.contains(&uid) {
                let folder = folder.unwrap_or_default();
                self.filed(&[id], &folder)?;
                self.event(
                    Some(id),
                    mailbox.as_str(),
                    "filed",
                    "found moved after a restart",
                )?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Marks a message filed in `folder`.
    pub fn filed(&self, ids: &[i64], folder: &str) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for id in ids {
                tx.prepare_cached(
                    "UPDATE messages SET state = 'filed', folder = ?1, filed_at = ?2 WHERE id = ?3",
                )?
                .execute(params![folder, now(), id])?;
            }
            Ok(())
        })
    }

    // ---- outbox ----

    /// Mail due for sending, oldest first, queued after item `after` (0: from the start).
    /// `all`: also what waits for its next attempt.
    pub fn due(&self, all: bool, after: i64, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let conn = self.outbox_conn();
        let mut st = conn.prepare_cached(DUE)?;
        let rows = st.query_map(params![all, now(), after, limit as i64], |r| {
            let rcpt: String = r.get(5)?;
            Ok(OutboxItem {
                id: r.get(0)?,
                message_row: r.get(1)?,
                kind: r.get(2)?,
                message_id: r.get(3)?,
                env_from: r.get(4)?,
                rcpt: serde_json::from_str(&rcpt).unwrap_or_default(),
                attempts: r.get(6)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }

    /// The bytes of one queued message, read when it is sent (a queue of large forwards is
    /// never held in memory at once). A forward is assembled here: its head, the original
    /// read from the message's raw file straight into place, its tail, in one buffer of
    /// the final size. The raw file must be the one recorded (size and SHA-256), or the
    /// item fails with [`StoreError::Original`]: a forward never goes out without its original.
    pub fn outbox_body(&self, item: i64) -> Result<Vec<u8>, StoreError> {
        let row =
            self.outbox_conn()
                .prepare_cached(OUTBOX_BODY)?
                .query_row(params![item], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, Option<Vec<u8>>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?,
                        r.get::<_, Option<String>>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                        r.get::<_, Option<String>>(7)?,
                        r.get::<_, Option<String>>(8)?,
                    ))
                })?;
        // The lock is released: reading a large file does not hold up the pipeline.
        let (head, original, tail, message_id, message_row, raw_path, size, sha, ticket) = row;
        let Some(original) = original else {
            return Ok(head);
        };
        let path = raw_path
            .clone()
            .unwrap_or_else(|| "(no stored message)".into());
        let fail = |detail: String| StoreError::Original {
            item,
            message_id: message_id.clone(),
            ticket: ticket.clone().unwrap_or_else(|| "-".into()),
            path: path.clone(),
            detail,
        };
        let encoding = OriginalEncoding::parse(&original)
            .ok_or_else(|| fail(format!("unknown encoding {original:?} of the original")))?;
        let (Some(raw_path), Some(size), Some(sha)) = (raw_path, size, sha) else {
            return Err(fail(format!(
                "the outbox row names no stored message (message_row {message_row:?})"
            )));
        };
        let tail = tail.unwrap_or_default();
        let size = u64::try_from(size).map_err(|e| fail(e.to_string()))?;
        let len = usize::try_from(size).map_err(|e| fail(e.to_string()))?;
        let mut out = Vec::with_capacity(head.len() + encoding.encoded_len(len) + tail.len());
        out.extend_from_slice(&head);
        drop(head);
        append_original(&mut out, Path::new(&raw_path), size, &sha, encoding).map_err(fail)?;
        out.extend_from_slice(&tail);
        Ok(out)
    }

    pub fn sent(&self, item: i64) -> Result<(), StoreError> {
        self.outbox_conn().prepare_cached("UPDATE outbox SET sent_at = ?1, attempts = attempts + 1, last_error = NULL WHERE id = ?2")?.execute(
            params![now(), item],
        )?;
        Ok(())
    }

    /// Records a failed attempt; `permanent` stops retrying.
    pub fn send_failed(
        &self,
        item: i64,
        error: &str,
        next: DateTime<Utc>,
        permanent: bool,
    ) -> Result<(), StoreError> {
        self.outbox_conn()
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?1, next_attempt_at = ?2,
                 failed_at = CASE WHEN ?3 THEN ?4 ELSE NULL END
             WHERE id = ?5",
            )?
            .execute(params![error, ts(&next), permanent, now(), item])?;
        Ok(())
    }

    /// Queues mail that belongs to no message (alerts to the admin).
    pub fn queue(&self, o: &Outgoing) -> Result<(), StoreError> {
        insert_outgoing(&self.conn(), None, o, &now())
    }

    /// The quarantined messages that got no alert of their own (over `limits.alerts_per_hour`)
    /// and are in no digest yet, if the last digest is older than `digest_after` (or none):
    /// at most one digest per hour. Only messages quarantined since `not_before` count.
    pub fn quarantined_without_alert(
        &self,
        digest_after: DateTime<Utc>,
        not_before: DateTime<Utc>,
    ) -> Result<Vec<Quarantined>, StoreError> {
        self.read(|tx| {
            let (last_at, cursor): (Option<String>, Option<i64>) = tx
                .prepare_cached(
                    "SELECT max(created_at), max(message_row) FROM outbox WHERE kind = 'alert-digest'",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if last_at.is_some_and(|t| t >= ts_ms(&digest_after)) {
                return Ok(Vec::new());
            }
            let mut st = tx.prepare_cached(
                "SELECT m.id, m.mailbox, m.uidvalidity, m.uid, m.quarantine FROM messages m
                 WHERE m.quarantine IS NOT NULL AND m.id > ?1 AND m.classified_at >= ?2
                   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_row = m.id AND o.kind = 'alert')
                 ORDER BY m.id",
            )?;
            let rows = st
                .query_map(params![cursor.unwrap_or(0), ts_ms(&not_before)], |r| {
                    Ok(Quarantined {
                        row: r.get(0)?,
                        mailbox: r.get(1)?,
                        uidvalidity: r.get(2)?,
                        uid: r.get(3)?,
                        reason: r.get(4)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Queues a digest of alerts; `last`: the newest message it lists (the next digest
    /// starts after it).
    pub fn queue_alert_digest(&self, last: i64, o: &Outgoing) -> Result<(), StoreError> {
        insert_outgoing(&self.conn(), Some(last), o, &now())
    }

    pub fn pending_count(&self) -> Result<i64, StoreError> {
        self.conn()
            .query_row(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
                [],
                |r| r.get(0),
            )
            .map_err(Into::into)
    }
}

/// Appends the original of a forward, read from its raw file (which must be the one recorded:
/// `size` bytes with SHA-256 `sha`) straight into `out`, in `encoding`. The error says what
/// is wrong with the file.
fn append_original(
    out: &mut Vec<u8>,
    path: &Path,
    size: u64,
    sha: &str,
    encoding: OriginalEncoding,
) -> Result<(), String> {
    let mut file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let on_disk = file.metadata().map_err(|e| e.to_string())?.len();
    if on_disk != size {
        return Err(format!(
            "the file has {on_disk} bytes, {size} were recorded"
        ));
    }
    let mut hasher = Sha256::new();
    let start = out.len();
    let read = match encoding {
        OriginalEncoding::AsIs => {
            let n = (&mut file)
                .take(size)
                .read_to_end(out)
                .map_err(|e| e.to_string())?;
            hasher.update(&out[start..]);
            n
        }
        OriginalEncoding::Base64 => {
            crate::act::compose::append_base64((&mut file).take(size), out, &mut hasher)
                .map_err(|e| e.to_string())?
        }
    };
    if read as u64 != size {
        return Err(format!("read {read} bytes, {size} were recorded"));
    }
    if hex(&hasher.finalize()) != sha {
        return Err(
            "the file's SHA-256 is not the one recorded when the message was fetched".into(),
        );
    }
    Ok(())
}

/// Reads `id, state, raw_path, folder, internal_date`.
fn stored_from_row(
    r: &rusqlite::Row,
    mailbox: &str,
    uid: ImapUid,
) -> rusqlite::Result<StoredMessage> {
    Ok(StoredMessage {
        id: r.get(0)?,
        mailbox: mailbox.to_string(),
        uid,
        state: MessageState::parse(&r.get::<_, String>(1)?),
        raw_path: PathBuf::from(r.get::<_, String>(2)?),
        folder: r.get(3)?,
        internal_date: r.get::<_, Option<String>>(4)?.as_deref().and_then(parse_ts),
    })
}

/// One message as `pilah messages` lists it: where it went and what was done.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MessageSummary {
    pub mailbox: String,
    pub uid: i64,
    pub ticket: Option<String>,
    pub internal_date: Option<DateTime<Utc>>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub category: Option<String>,
    pub rule: Option<String>,
    pub machine: Option<String>,
    pub quarantine: Option<String>,
    pub folder: Option<String>,
    pub route: Vec<String>,
    pub ack_template: Option<String>,
    pub ack_skipped: Option<String>,
    pub forwards_sent: i64,
    pub acks_sent: i64,
    /// Forwards and acknowledgements queued at all (sent or not).
    pub forwards_queued: i64,
    pub acks_queued: i64,
    /// Forwards that failed for good (refused by the server, or their original is gone).
    pub forwards_failed: i64,
    pub region: Option<String>,
}

impl Store {
    /// Recorded messages, by mailbox and arrival; optionally one mailbox, one time range.
    pub fn list_messages(
        &self,
        mailbox: Option<&str>,
        range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Vec<MessageSummary>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT m.mailbox, m.uid, m.ticket, m.internal_date, m.sender, m.subject, m.category,
                    m.rule, m.machine, m.quarantine, m.folder, m.route, m.ack_template, m.ack_skipped,
                    (SELECT count(*) FROM outbox o WHERE o.message_row = m.id AND o.kind = 'forward' AND o.sent_at IS NOT NULL),
                    (SELECT count(*) FROM outbox o WHERE o.message_row = m.id AND o.kind = 'ack' AND o.sent_at IS NOT NULL),
                    m.region,
                    (SELECT count(*) FROM outbox o WHERE o.message_row = m.id AND o.kind = 'forward'),
                    (SELECT count(*) FROM outbox o WHERE o.message_row = m.id AND o.kind = 'ack'),
                    (SELECT count(*) FROM outbox o WHERE o.message_row = m.id AND o.kind = 'forward' AND o.failed_at IS NOT NULL)
             FROM messages m
             WHERE (?1 IS NULL OR m.mailbox = ?1)
               AND (?2 IS NULL OR (m.internal_date >= ?2 AND m.internal_date < ?3))
             ORDER BY m.mailbox, m.internal_date, m.id",
        )?;
        let rows = st.query_map(
            params![mailbox, range.map(|r| ts(&r.0)), range.map(|r| ts(&r.1))],
            |r| {
                Ok(MessageSummary {
                    mailbox: r.get(0)?,
                    uid: r.get(1)?,
                    ticket: r.get(2)?,
                    internal_date: r.get::<_, Option<String>>(3)?.as_deref().and_then(parse_ts),
                    sender: r.get(4)?,
                    subject: r.get(5)?,
                    category: r.get(6)?,
                    rule: r.get(7)?,
                    machine: r.get(8)?,
                    quarantine: r.get(9)?,
                    folder: r.get(10)?,
                    route: r
                        .get::<_, Option<String>>(11)?
                        .map(|s| {
                            s.split(',')
                                .filter(|x| !x.is_empty())
                                .map(String::from)
                                .collect()
                        })
                        .unwrap_or_default(),
                    ack_template: r.get(12)?,
                    ack_skipped: r.get(13)?,
                    forwards_sent: r.get(14)?,
                    acks_sent: r.get(15)?,
                    region: r.get(16)?,
                    forwards_queued: r.get(17)?,
                    acks_queued: r.get(18)?,
                    forwards_failed: r.get(19)?,
                })
            },
        )?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }
}

/// The part of recording a verdict that runs inside the caller's transaction.
pub struct VerdictRecord<'a> {
    pub message_row: i64,
    pub verdict: &'a Verdict,
    pub quarantine: Option<&'a str>,
    pub sender: Option<&'a str>,
    pub sender_name: Option<&'a str>,
    pub subject: &'a str,
    pub ticket: Option<&'a Ticket>,
    /// How it relates to earlier tickets: new, follow-up, pic-answer, duplicate.
    pub relation: &'a str,
    pub region: Option<(&'a str, &'a str)>,
    pub ack_skipped: Option<&'a str>,
}

/// Allocates the next ticket number for a prefix and year.
pub fn next_ticket(tx: &Transaction, prefix: &str, year: i32) -> Result<Ticket, StoreError> {
    tx.prepare_cached(
        "INSERT INTO ticket_seq (prefix, year, last) VALUES (?1, ?2, 1)
         ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1",
    )?
    .execute(params![prefix, year])?;
    let seq: i64 = tx
        .prepare_cached("SELECT last FROM ticket_seq WHERE prefix = ?1 AND year = ?2")?
        .query_row(params![prefix, year], |r| r.get(0))?;
    Ok(Ticket {
        prefix: prefix.to_string(),
        year,
        seq: seq as u32,
    })
}

/// How many acknowledgements went to `rcpt` since `since` (sliding window).
pub fn acks_since(tx: &Transaction, rcpt: &str, since: DateTime<Utc>) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "SELECT count(*) FROM outbox WHERE kind = 'ack' AND rcpt = ?1 AND created_at >= ?2",
    )?
    .query_row(
        params![
            serde_json::to_string(&[rcpt]).unwrap_or_default(),
            ts(&since)
        ],
        |r| r.get(0),
    )
    .map_err(Into::into)
}

/// Acknowledgements queued since `since`, to anyone (the hourly cap).
pub fn all_acks_since(tx: &Transaction, since: DateTime<Utc>) -> Result<i64, StoreError> {
    tx.prepare_cached("SELECT count(*) FROM outbox WHERE kind = 'ack' AND created_at >= ?1")?
        .query_row(params![ts(&since)], |r| r.get(0))
        .map_err(Into::into)
}

/// How many alerts to the admin were queued since `since` (the cap of
/// `limits.alerts_per_hour`).
pub fn alerts_since(tx: &Transaction, since: DateTime<Utc>) -> Result<i64, StoreError> {
    tx.prepare_cached("SELECT count(*) FROM outbox WHERE kind = 'alert' AND created_at >= ?1")?
        .query_row(params![ts_ms(&since)], |r| r.get(0))
        .map_err(Into::into)
}

/// A quarantined message that went without an alert of its own.
#[derive(Debug, Clone)]
pub struct Quarantined {
    pub row: i64,
    pub mailbox: String,
    pub uidvalidity: u32,
    pub uid: u32,
    pub reason: String,
}

/// Writes the verdict and queues the outgoing mail, in the caller's transaction.
pub fn record_verdict(
    tx: &Transaction,
    rec: &VerdictRecord,
    outgoing: &[Outgoing],
) -> Result<(), StoreError> {
    let v = rec.verdict;
    tx.prepare_cached(
        "UPDATE messages SET state = 'classified', sender = ?1, sender_name = ?2, subject = ?3,
             category = ?4, rule = ?5, rules_version = ?6, machine = ?7, quarantine = ?8,
             tags = ?9, region = ?10, region_source = ?11, ticket = ?12, route = ?13,
             ack_template = ?14, ack_skipped = ?15, classified_at = ?16, folder = ?18,
             relation = ?19
         WHERE id = ?17",
    )?
    .execute(params![
        rec.sender,
        rec.sender_name,
        rec.subject,
        v.category,
        v.rule_or_fallback(),
        v.rules_version,
        v.machine.map(|m| m.as_str()),
        rec.quarantine,
        v.tags.join(","),
        rec.region.map(|r| r.0),
        rec.region.map(|r| r.1),
        rec.ticket.map(|t| t.to_string()),
        v.route.join(","),
        v.ack,
        rec.ack_skipped,
        now(),
        rec.message_row,
        v.folder,
        rec.relation,
    ])?;
    let t = now();
    for o in outgoing {
        insert_outgoing(tx, Some(rec.message_row), o, &t)?;
    }
    Ok(())
}

/// Queues one outgoing message, created at `created_at` and due at once (nothing happens
/// when its Message-ID is already queued). `message_row`: the message it is about.
pub fn insert_outgoing(
    c: &Connection,
    message_row: Option<i64>,
    o: &Outgoing,
    created_at: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, unit, body,
             created_at, next_attempt_at, original, body_tail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)
         ON CONFLICT (message_id) DO NOTHING",
    )?
    .execute(params![
        message_row,
        o.kind,
        o.message_id,
        o.env_from,
        serde_json::to_string(&o.rcpt).unwrap_or_default(),
        o.unit,
        o.body,
        created_at,
        o.original.as_ref().map(|(e, _)| e.as_str()),
        o.original.as_ref().map(|(_, tail)| tail),
    ])?;
    Ok(())
}

/// Raw files of one batch, written first and made durable together before any record
/// points at them.
///
/// A few files are fsynced one by one (then renamed into place, then their directory
/// fsynced). A larger batch is renamed into place and made durable with one `syncfs` of the
/// state directory's filesystem: on a virtual disk every fsync is a cache flush of a few
/// milliseconds, so fsyncing 50 files costs 50 flushes where `syncfs` costs one (plus
/// writing whatever else is dirty on that filesystem). Until `sync` returns nothing refers
/// to these files: a power cut before it leaves the messages in the watched folder, fetched
/// and written again on the next drain.
#[derive(Default)]
struct RawFiles {
    /// (the file, its temporary name, its final name)
    written: Vec<(std::fs::File, PathBuf, PathBuf)>,
    dirs: std::collections::BTreeSet<PathBuf>,
    created: std::collections::BTreeSet<PathBuf>,
}

/// Up to this many files, fsync each; above, one `syncfs`.
const FSYNC_EACH_UP_TO: usize = 4;

impl RawFiles {
    fn write(&mut self, dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        if !self.dirs.contains(dir) {
            if !dir.is_dir() {
                private::ensure_dir(dir).map_err(io)?;
                if let Some(parent) = dir.parent() {
                    self.created.insert(parent.to_path_buf());
                }
            }
            self.dirs.insert(dir.to_path_buf());
        }
        let tmp = path.with_extension("eml.tmp");
        let mut f = private::create_file(&tmp, true).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        self.written.push((f, tmp, path.to_path_buf()));
        Ok(())
    }

    fn sync(self) -> Result<(), StoreError> {
        let each = self.written.len() <= FSYNC_EACH_UP_TO;
        let mut any: Option<std::fs::File> = None;
        for (f, tmp, path) in self.written {
            let io = |source| StoreError::Io {
                path: path.clone(),
                source,
            };
            if each {
                f.sync_all().map_err(io)?;
            }
            std::fs::rename(&tmp, &path).map_err(io)?;
            any = Some(f);
        }
        let Some(file) = any else {
            return Ok(());
        };
        if each {
            for dir in self.dirs.iter().chain(self.created.iter()) {
                if let Ok(d) = std::fs::File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            return Ok(());
        }
        rustix::fs::syncfs(&file).map_err(|e| StoreError::Io {
            path: self.dirs.iter().next().cloned().unwrap_or_default(),
            source: e.into(),
        })
    }
}

/// Columns added after the first release: a database made by an older pilah gets them at
/// open (`CREATE TABLE IF NOT EXISTS` leaves an existing table as it is). Rows from before
/// keep NULL in them, which means what it meant then.
const ADDED_COLUMNS: &[(&str, &str, &str)] = &[
    ("outbox", "original", "TEXT"),
    ("outbox", "body_tail", "BLOB"),
];

fn add_missing_columns(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    fn missing(
        c: &Connection,
    ) -> Result<Vec<&'static (&'static str, &'static str, &'static str)>, rusqlite::Error> {
        let mut out = Vec::new();
        for added in ADDED_COLUMNS {
            let present: i64 = c.query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
                params![added.0, added.1],
                |r| r.get(0),
            )?;
            if present == 0 {
                out.push(added);
            }
        }
        Ok(out)
    }
    if missing(conn)?.is_empty() {
        return Ok(());
    }
    // Under the write lock, looking again: two processes opening an old database at once
    // must not both add a column.
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (table, column, decl) in missing(&tx)? {
        tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_count_per_prefix_and_year() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let t = |p: &str, y| {
            s.transaction(|tx| next_ticket(tx, p, y))
                .unwrap()
                .to_string()
        };
        assert_eq!(t("LPR", 2024), "LPR-2024-000001");
        assert_eq!(t("LPR", 2024), "LPR-2024-000002");
        assert_eq!(t("CC", 2024), "CC-2024-000001");
        assert_eq!(t("LPR", 2025), "LPR-2025-000001");
    }

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
        for d in ["raw", "raw/lapor", "raw/lapor/7"] {
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

    fn queue_forward(s: &Store, row: i64, id: &str, original: OriginalEncoding) -> i64 {
        s.transaction(|tx| {
            tx.prepare_cached(
                "INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, body,
                     created_at, next_attempt_at, original, body_tail)
                 VALUES (?1, 'forward', ?2, '', '[]', X'48454144', '', '', ?3, X'5441494C')",
            )?
            .execute(params![row, id, original.as_str()])?;
            Ok(tx.last_insert_rowid())
        })
        .unwrap()
    }

    #[test]
    fn a_forward_is_assembled_from_its_head_the_raw_file_and_its_tail() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mb = MailboxName("lapor".into());
        let raw = b"Subject: x\r\n\r\nisi pesan\r\n".to_vec();
        let m = s
            .record(&NewMessage {
                mailbox: &mb,
                uid: ImapUid {
                    uidvalidity: 1,
                    uid: 1,
                },
                raw: &raw,
                internal_date: None,
                message_id: None,
            })
            .unwrap();
        let as_is = queue_forward(&s, m.id, "<a>", OriginalEncoding::AsIs);
        let body = s.outbox_body(as_is).unwrap();
        assert_eq!(body, [&b"HEAD"[..], &raw, b"TAIL"].concat());
        assert_eq!(body.capacity(), body.len(), "sized up front");
        let b64 = queue_forward(&s, m.id, "<b>", OriginalEncoding::Base64);
        assert_eq!(
            s.outbox_body(b64).unwrap(),
            b"HEADU3ViamVjdDogeA0KDQppc2kgcGVzYW4NCg==TAIL"
        );

        // Changed on disk (same size): not sent.
        std::fs::write(&m.raw_path, b"Subject: y\r\n\r\nisi pesan\r\n").unwrap();
        let e = s.outbox_body(as_is).unwrap_err();
        assert!(matches!(e, StoreError::Original { .. }), "{e}");
        assert!(e.to_string().contains("SHA-256"), "{e}");
        // Truncated.
        std::fs::write(&m.raw_path, b"Subject: x\r\n").unwrap();
        let e = s.outbox_body(b64).unwrap_err();
        assert!(e.to_string().contains("bytes"), "{e}");
        // Gone: the error names the item, the outgoing Message-ID and the path.
        std::fs::remove_file(&m.raw_path).unwrap();
        let e = s.outbox_body(as_is).unwrap_err().to_string();
        assert!(e.contains(&format!("outbox item {as_is}")), "{e}");
        assert!(e.contains("<a>"), "{e}");
        assert!(e.contains(&m.raw_path.display().to_string()), "{e}");
    }

    #[test]
    fn an_older_database_gets_the_new_columns_and_its_queued_bodies_go_out_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        {
            // The outbox as the first release created it, with one forward queued whole.
            let c = Connection::open(dir.path().join("pilah.sqlite")).unwrap();
            c.execute_batch(
                "CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY, message_row INTEGER, kind TEXT NOT NULL,
                    message_id TEXT NOT NULL UNIQUE, env_from TEXT NOT NULL, rcpt TEXT NOT NULL,
                    unit TEXT, body BLOB NOT NULL, created_at TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT NOT NULL,
                    last_error TEXT, sent_at TEXT, failed_at TEXT);
                 INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, body,
                     created_at, next_attempt_at)
                 VALUES (NULL, 'forward', '<old>', '', '[]', X'57484F4C45', '', '');",
            )
            .unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        let item = s.due(true, 0, 10).unwrap()[0].id;
        assert_eq!(s.outbox_body(item).unwrap(), b"WHOLE");
        let cols: i64 = s
            .conn()
            .query_row(
                "SELECT count(*) FROM pragma_table_info('outbox') WHERE name IN ('original', 'body_tail')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(cols, 2);
        drop(s);
        // Opening again finds nothing to add.
        Store::open(dir.path()).unwrap();
    }

    #[test]
    fn a_message_is_recorded_once_and_reidentified_after_uidvalidity_changes() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mb = MailboxName("lapor".into());
        let raw = b"Subject: x\r\n\r\nbody\r\n";
        let new = |uidvalidity, uid| NewMessage {
            mailbox: &mb,
            uid: ImapUid { uidvalidity, uid },
            raw,
            internal_date: None,
            message_id: Some("a@b"),
        };
        let a = s.record(&new(1, 7)).unwrap();
        assert_eq!(std::fs::read(&a.raw_path).unwrap(), raw);
        let again = s.record(&new(1, 7)).unwrap();
        assert_eq!(a.id, again.id);
        s.filed(&[a.id], "Pilah/x").unwrap();
        let moved = s.record(&new(2, 3)).unwrap();
        assert_eq!(moved.id, a.id);
        assert_eq!(moved.state, MessageState::Filed);
        assert!(s
            .find(
                &mb,
                ImapUid {
                    uidvalidity: 1,
                    uid: 7
                }
            )
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_batch_is_recorded_in_order_with_its_files_in_place_and_known_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mb = MailboxName("callcenter".into());
        let raws: Vec<Vec<u8>> = (0..8)
            .map(|i| format!("Subject: {i}\r\n\r\nbody {i}\r\n").into_bytes())
            .collect();
        let new = |uid: u32| NewMessage {
            mailbox: &mb,
            uid: ImapUid {
                uidvalidity: 9,
                uid,
            },
            raw: &raws[uid as usize],
            internal_date: None,
            message_id: None,
        };
        let first = s.record(&new(2)).unwrap();
        let batch: Vec<NewMessage> = (0..8).map(new).collect();
        let stored = s.record_batch(&batch).unwrap();
        assert_eq!(stored.len(), 8);
        for (i, m) in stored.iter().enumerate() {
            assert_eq!(m.uid.uid, i as u32);
            assert_eq!(std::fs::read(&m.raw_path).unwrap(), raws[i]);
            assert_eq!(s.find(&mb, m.uid).unwrap().map(|f| f.id), Some(m.id));
        }
        assert_eq!(
            stored[2].id, first.id,
            "a known message is not recorded twice"
        );
        let leftovers: Vec<_> = std::fs::read_dir(stored[0].raw_path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "tmp"))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[test]
    fn the_due_query_reads_the_queue_in_order_without_sorting_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let plan: Vec<String> = {
            let conn = s.outbox_conn();
            let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {DUE}")).unwrap();
            let rows = st
                .query_map(params![true, now(), 5, 200], |r| r.get::<_, String>(3))
                .unwrap();
            rows.map(|r| r.unwrap()).collect()
        };
        let plan = plan.join("\n");
        assert!(plan.contains("outbox_due"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn a_statement_is_not_prepared_again_for_each_value_bound_to_it() {
        // The outbox's per-message queries bind the item's id; with the partial index on
        // outbox, SQLite would re-plan them for every new id unless told not to.
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        for conn in [s.conn(), s.outbox_conn()] {
            let mut st = conn.prepare(OUTBOX_BODY).unwrap();
            for id in 1..=5 {
                let _ = st.query_row(params![id], |_| Ok(())).optional().unwrap();
            }
            assert_eq!(
                st.get_status(rusqlite::StatementStatus::RePrepare),
                0,
                "re-prepared"
            );
        }
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
            tx.prepare_cached("INSERT INTO no_such_table VALUES (1)")?
                .execute([])?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(sync(&s), 1, "NORMAL again after a failed durable commit");
        s.durable_transaction(|tx| {
            tx.prepare_cached("INSERT INTO events (message_row, mailbox, step, detail, at) VALUES (NULL, 'lapor', 'x', 'y', 'now')")?.execute(
                [],
            )?;
            Ok(())
        })
        .unwrap();
        assert_eq!(sync(&s), 1);
    }
}
