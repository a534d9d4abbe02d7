//! Messages: the `messages` table (one row per message pilah fetched, keyed by mailbox,
//! UIDVALIDITY and UID) and the raw files under `raw/` that it points at.
//!
//! Owns recording a message before anything else happens to it (raw file durable first,
//! then its row), re-identifying it after a UIDVALIDITY change, its verdict, its filing and
//! the `pilah messages` listing. It must not judge anything: the verdict, the ticket and the
//! mail to queue arrive decided, in a [`VerdictRecord`] and [`Outgoing`] items.

use super::outbox::{insert_outgoing, Outgoing};
use super::{now, parse_ts, private, sha256_hex, ts, Store, StoreError, Tx};
use crate::classify::Verdict;
use crate::types::{ImapUid, MailboxName, Ticket};
use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{params, OptionalExtension, ToSql};
use std::io::Write;
use std::path::{Path, PathBuf};

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

    fn parse(s: &str) -> Option<MessageState> {
        match s {
            "stored" => Some(MessageState::Stored),
            "classified" => Some(MessageState::Classified),
            "filed" => Some(MessageState::Filed),
            _ => None,
        }
    }
}

/// A `state` the database holds that this pilah does not know: an error, never read as
/// "stored" (which would judge the message again and send its mail twice).
#[derive(Debug, thiserror::Error)]
#[error("unknown message state {0:?} in the database (known: stored, classified, filed)")]
pub struct UnknownState(String);

impl ToSql for MessageState {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

impl FromSql for MessageState {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        MessageState::parse(s).ok_or_else(|| FromSqlError::Other(Box::new(UnknownState(s.into()))))
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

impl Store {
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
            let dir = raw_dir(&self.state_dir, m.mailbox.as_str(), m.uid);
            let raw_path = dir.join(format!("{}.eml", m.uid.uid));
            files.write(&dir, &raw_path, m.raw)?;
            new.push((i, sha, raw_path));
        }
        files.sync()?;
        if !new.is_empty() {
            let fetched_at = now();
            self.transaction(|tx| {
                let mut st = tx.tx.prepare_cached(
                    "INSERT INTO messages (mailbox, uidvalidity, uid, message_id, sha256, size,
                         internal_date, fetched_at, raw_path, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
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
                        MessageState::Stored,
                    ])?;
                    out[*i] = Some(StoredMessage {
                        id: tx.tx.last_insert_rowid(),
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
    /// Reads only the messages still classified (the partial index messages_unfiled, whose
    /// literal `state = 'classified'` the query must repeat), not the mailbox's history.
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
                "SELECT id, uid, folder FROM messages
                 WHERE mailbox = ?1 AND uidvalidity = ?2 AND state = 'classified'",
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

    /// Messages classified but not filed under an earlier UIDVALIDITY of the mailbox, once
    /// a drain under `uidvalidity` has fetched every message of the folder: whatever was still
    /// there has been re-identified (moved to the new UIDVALIDITY), so these are no longer in
    /// the folder — moved before the change, with pilah stopped before recording it. They
    /// are recorded filed now, in the folder of their verdict.
    pub fn settle_moved_before_uidvalidity(
        &self,
        mailbox: &MailboxName,
        uidvalidity: u32,
    ) -> Result<usize, StoreError> {
        let rows: Vec<(i64, u32, Option<String>)> = {
            let conn = self.conn();
            let mut st = conn.prepare(
                "SELECT id, uidvalidity, folder FROM messages WHERE mailbox = ?1 AND uidvalidity != ?2 AND state = ?3",
            )?;
            let r = st
                .query_map(
                    params![mailbox.as_str(), uidvalidity, MessageState::Classified],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?
                .collect::<Result<Vec<_>, _>>()?;
            r
        };
        for (id, old, folder) in &rows {
            self.filed(&[*id], folder.as_deref().unwrap_or_default())?;
            self.event(
                Some(*id),
                mailbox.as_str(),
                "filed",
                &format!("found moved before UIDVALIDITY changed from {old} to {uidvalidity}"),
            )?;
        }
        Ok(rows.len())
    }

    /// Marks a message filed in `folder`.
    pub fn filed(&self, ids: &[i64], folder: &str) -> Result<(), StoreError> {
        self.transaction(|tx| {
            for id in ids {
                tx.tx
                    .prepare_cached(
                        "UPDATE messages SET state = ?4, folder = ?1, filed_at = ?2 WHERE id = ?3",
                    )?
                    .execute(params![folder, now(), id, MessageState::Filed])?;
            }
            Ok(())
        })
    }
}

/// The directory of a message's raw file: `raw/<mailbox>/<uidvalidity>/<xx>/`, `xx` the
/// UID's last byte in hexadecimal. A mailbox's history is spread over 256 directories per
/// UIDVALIDITY (a year of a busy mailbox, 150,000 messages, is about 600 files in each),
/// and consecutive UIDs go to different ones.
pub(super) fn raw_dir(state_dir: &Path, mailbox: &str, uid: ImapUid) -> PathBuf {
    state_dir
        .join("raw")
        .join(mailbox)
        .join(uid.uidvalidity.to_string())
        .join(format!("{:02x}", uid.uid & 0xff))
}

/// Moves the raw files of the layout before schema version 5 (`raw/<mailbox>/<uidvalidity>/
/// <uid>.eml`) into [`raw_dir`], inside the migration's transaction `tx` (not committed yet).
///
/// Crash-safe and idempotent: every file of a chunk is renamed first (same filesystem,
/// atomic), then the filesystem is synced (`syncfs`: the renames are durable), and only
/// then are the chunk's rows pointed at the new places, in `tx`, which the caller commits
/// after this returns. A crash before the commit leaves the schema version as it was and
/// some files already moved: the next start runs this again, finds those at their new place
/// (the old one empty), syncs again and points their rows there. A row whose file is at neither place, or whose path is not of the old
/// layout, is left as it was recorded.
pub(super) fn fan_out_raw(
    tx: &rusqlite::Transaction,
    state_dir: &Path,
) -> Result<usize, StoreError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| StoreError::Io { path, source }
    };
    let (mut moved, mut missing) = (0usize, 0usize);
    let mut first_missing: Option<(i64, String, PathBuf)> = None;
    let mut after = 0i64;
    let mut select = tx.prepare(
        "SELECT id, mailbox, uidvalidity, uid, raw_path FROM messages WHERE id > ?1
         ORDER BY id LIMIT ?2",
    )?;
    let mut update = tx.prepare("UPDATE messages SET raw_path = ?1 WHERE id = ?2")?;
    // In chunks, so that a long history is never in memory at once.
    loop {
        let rows: Vec<(i64, String, u32, u32, String)> = select
            .query_map(params![after, FAN_OUT_CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let Some(last) = rows.last() else {
            break;
        };
        after = last.0;
        let mut chunk: Vec<(i64, PathBuf)> = Vec::new();
        let mut renamed_in: Option<PathBuf> = None;
        for (id, mailbox, uidvalidity, uid, raw_path) in rows {
            let old = PathBuf::from(&raw_path);
            let old_dir = old.parent().map(Path::to_path_buf).unwrap_or_default();
            // Only the old layout: <...>/<uidvalidity>/<uid>.eml.
            if old.file_name() != Some(std::ffi::OsStr::new(&format!("{uid}.eml")))
                || old_dir.file_name() != Some(std::ffi::OsStr::new(&uidvalidity.to_string()))
            {
                continue;
            }
            let new_dir = old_dir.join(format!("{:02x}", uid & 0xff));
            let new = new_dir.join(format!("{uid}.eml"));
            if old.exists() {
                private::ensure_dir(&new_dir).map_err(io(&new_dir))?;
                std::fs::rename(&old, &new).map_err(io(&old))?;
            } else if !new.exists() {
                missing += 1;
                first_missing.get_or_insert((id, mailbox, old));
                continue;
            }
            // Also when an earlier, interrupted run renamed it: that rename may not be
            // durable yet either.
            renamed_in = Some(new_dir);
            chunk.push((id, new));
        }
        // The chunk's renames (and the directories they created) are on the disk before any
        // row points at their new place: one syncfs of the state directory's filesystem
        // instead of an fsync of each of up to 257 directories per mailbox.
        if let Some(dir) = renamed_in {
            let d = std::fs::File::open(&dir).map_err(io(&dir))?;
            rustix::fs::syncfs(&d).map_err(|e| StoreError::Io {
                path: dir.clone(),
                source: e.into(),
            })?;
        }
        for (id, new) in &chunk {
            update.execute(params![new.to_string_lossy(), id])?;
        }
        moved += chunk.len();
    }
    if let Some((id, mailbox, path)) = first_missing {
        tracing::warn!(step = "raw-missing", count = missing, first_row = id, mailbox = %mailbox, path = %path.display(), "recorded raw files are missing; their rows are left as they were");
    }
    if moved > 0 {
        tracing::info!(step = "raw-fanned-out", files = moved, state_dir = %state_dir.display(), "raw files moved into raw/<mailbox>/<uidvalidity>/<xx>/");
    }
    Ok(moved)
}

/// Rows read at a time by [`fan_out_raw`].
const FAN_OUT_CHUNK: i64 = 20_000;

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
        state: r.get(1)?,
        raw_path: PathBuf::from(r.get::<_, String>(2)?),
        folder: r.get(3)?,
        internal_date: r.get::<_, Option<String>>(4)?.as_deref().and_then(parse_ts),
    })
}

/// `pilah messages`: the listed messages (`{filter}`: by mailbox and date through
/// messages_month, by date through messages_date, or by ticket through messages_ticket;
/// sender, subject, category and unit are checked on those rows), set apart first, then their mail,
/// joined by outbox_row and counted per message. Set apart (`MATERIALIZED`) so that SQLite
/// does not walk every message in id order to save grouping the month's.
const LIST_MESSAGES: &str = "WITH listed AS MATERIALIZED (
        SELECT id, mailbox, uid, ticket, internal_date, sender, subject, category, rule,
               machine, quarantine, folder, route, ack_template, ack_skipped, region,
               spam_score, spam_symbols, spam_unscored
        FROM messages {filter})
    SELECT l.mailbox, l.uid, l.ticket, l.internal_date, l.sender, l.subject,
        l.category, l.rule, l.machine, l.quarantine, l.folder, l.route, l.ack_template,
        l.ack_skipped,
        count(CASE WHEN o.kind = 'forward' AND o.sent_at IS NOT NULL THEN 1 END),
        count(CASE WHEN o.kind = 'ack' AND o.sent_at IS NOT NULL THEN 1 END),
        l.region,
        count(CASE WHEN o.kind = 'forward' THEN 1 END),
        count(CASE WHEN o.kind = 'ack' THEN 1 END),
        count(CASE WHEN o.kind = 'forward' AND o.failed_at IS NOT NULL THEN 1 END),
        l.spam_score, l.spam_symbols, l.spam_unscored
    FROM listed l LEFT JOIN outbox o ON o.message_row = l.id
    GROUP BY l.id ORDER BY l.mailbox, l.internal_date, l.id";

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
    /// The spam engine's score, and the names of its rules that fired.
    pub spam_score: Option<f64>,
    pub spam_symbols: Vec<String>,
    /// Why the message was judged without a score (the engine failed, or it was too large).
    pub spam_unscored: Option<String>,
}

/// What `pilah messages` is asked for: every field given must match.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter<'a> {
    pub mailbox: Option<&'a str>,
    /// Arrival (internal date) from, up to but excluding.
    pub range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Part of the sender's address or name, any case (ASCII).
    pub sender: Option<&'a str>,
    /// Words that must all appear in the subject, any case (ASCII).
    pub subject_words: Vec<&'a str>,
    pub ticket: Option<&'a str>,
    pub category: Option<&'a str>,
    /// A unit the message was routed to.
    pub unit: Option<&'a str>,
}

/// `text` as a LIKE pattern that finds it anywhere, its `%`, `_` and backslashes taken
/// literally (escaped with a backslash, `ESCAPE '\\'`).
fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

impl MessageFilter<'_> {
    /// The `WHERE` clause and its values, in order.
    fn clause(&self) -> (String, Vec<String>) {
        let mut filter: Vec<&str> = Vec::new();
        let mut values: Vec<String> = Vec::new();
        if let Some(mb) = self.mailbox {
            filter.push("mailbox = ?");
            values.push(mb.to_string());
        }
        if let Some((from, to)) = self.range {
            filter.push("internal_date >= ? AND internal_date < ?");
            values.extend([ts(&from), ts(&to)]);
        }
        if let Some(t) = self.ticket {
            filter.push("ticket = ?");
            values.push(t.to_string());
        }
        if let Some(c) = self.category {
            filter.push("category = ?");
            values.push(c.to_string());
        }
        if let Some(u) = self.unit {
            filter.push("(',' || route || ',') LIKE ? ESCAPE '\\'");
            values.push(contains_pattern(&format!(",{u},")));
        }
        if let Some(s) = self.sender {
            filter.push("(sender LIKE ? ESCAPE '\\' OR sender_name LIKE ? ESCAPE '\\')");
            values.extend([contains_pattern(s), contains_pattern(s)]);
        }
        for w in &self.subject_words {
            filter.push("subject LIKE ? ESCAPE '\\'");
            values.push(contains_pattern(w));
        }
        if filter.is_empty() {
            return (String::new(), values);
        }
        (format!("WHERE {}", filter.join(" AND ")), values)
    }
}

impl Store {
    /// The categories of recorded messages (from the metrics' counts, a table of one row
    /// per mailbox, category and outcome): names an agent may search for although today's
    /// rules no longer have them.
    pub fn recorded_categories(&self) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT DISTINCT category FROM message_counts WHERE n > 0 AND category != ''
             ORDER BY category",
        )?;
        let rows = st.query_map([], |r| r.get(0))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }

    /// Recorded messages that match `filter`, by mailbox and arrival.
    pub fn list_messages(&self, filter: &MessageFilter) -> Result<Vec<MessageSummary>, StoreError> {
        let (filter, values) = filter.clause();
        let sql = LIST_MESSAGES.replace("{filter}", &filter);
        let conn = self.conn();
        let mut st = conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(values), |r| {
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
                spam_score: r.get(20)?,
                spam_symbols: r
                    .get::<_, Option<String>>(21)?
                    .map(|s| {
                        s.split(',')
                            .filter(|x| !x.is_empty())
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                spam_unscored: r.get(22)?,
            })
        })?;
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
    /// What the spam engine said (`None`: no engine was asked).
    pub spam: Option<&'a crate::spam::Scan>,
}

/// Writes the verdict and queues the outgoing mail, in the caller's transaction.
impl Tx<'_> {
    pub fn record_verdict(
        &self,
        rec: &VerdictRecord,
        outgoing: &[Outgoing],
    ) -> Result<(), StoreError> {
        let v = rec.verdict;
        let score = rec.spam.and_then(|s| s.score());
        let unscored = match rec.spam {
            Some(crate::spam::Scan::Unscored(why)) => Some(why.to_string()),
            _ => None,
        };
        self.tx
            .prepare_cached(
                "UPDATE messages SET state = ?20, sender = ?1, sender_name = ?2, subject = ?3,
             category = ?4, rule = ?5, rules_version = ?6, machine = ?7, quarantine = ?8,
             tags = ?9, region = ?10, region_source = ?11, ticket = ?12, route = ?13,
             ack_template = ?14, ack_skipped = ?15, classified_at = ?16, folder = ?18,
             relation = ?19, spam_score = ?21, spam_threshold = ?22, spam_symbols = ?23,
             spam_unscored = ?24
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
                MessageState::Classified,
                score.map(|s| s.score),
                score.map(|s| s.threshold),
                score.map(|s| s.symbols.join(",")),
                unscored,
            ])?;
        let t = now();
        for o in outgoing {
            insert_outgoing(self.tx, Some(rec.message_row), o, &t)?;
        }
        Ok(())
    }
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
                // The directories it may have created: the UID's, its UIDVALIDITY's, the
                // mailbox's (their entries are in their parents).
                for parent in dir.ancestors().skip(1).take(3) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_unknown_state_is_an_error_not_a_message_to_judge_again() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mb = MailboxName("lapor".into());
        let uid = ImapUid {
            uidvalidity: 1,
            uid: 1,
        };
        s.record(&NewMessage {
            mailbox: &mb,
            uid,
            raw: b"Subject: x\r\n\r\nisi\r\n",
            internal_date: None,
            message_id: None,
        })
        .unwrap();
        rusqlite::Connection::open(s.path())
            .unwrap()
            .execute("UPDATE messages SET state = 'judged'", [])
            .unwrap();
        let e = s.find(&mb, uid).unwrap_err().to_string();
        assert!(e.contains("unknown message state \"judged\""), "{e}");
    }
}
