//! The outbox: every e-mail pilah sends (forwards, acknowledgements, reminders, alerts,
//! digests), queued in the same transaction as the decision that caused it and marked sent
//! right after the SMTP server accepted it.
//!
//! Owns the `outbox` table: queueing, the due queue read from a cursor (on the outbox's own
//! connection, so that sending never waits for the mailboxes), the assembly of a forward
//! from its head, the raw file and its tail, the marks of an attempt, and the counts that
//! rate limits and alert caps are decided from. It must not decide those limits, compose
//! mail or talk SMTP: `pipeline`, `alerts` and `act::send` do.

use super::original::{append_original, OriginalEncoding};
use super::{now, ts, ts_ms, Store, StoreError, Tx};
use crate::types::OutboxKind;
use chrono::{DateTime, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// One e-mail to send, as queued.
#[derive(Debug, Clone)]
pub struct OutboxItem {
    pub id: i64,
    pub message_row: Option<i64>,
    pub kind: OutboxKind,
    pub message_id: String,
    pub env_from: String,
    pub rcpt: Vec<String>,
    pub attempts: i64,
}

/// What a message's verdict queues.
pub struct Outgoing {
    pub kind: OutboxKind,
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

impl ToSql for OutboxKind {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_str()))
    }
}

/// A kind the database holds that this pilah does not know is an error, not a guess.
impl FromSql for OutboxKind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let s = value.as_str()?;
        s.parse().map_err(|e: String| FromSqlError::Other(e.into()))
    }
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

/// Up to 500 bodies of mail sent before ?1, released at ?2.
const RELEASE_SENT_BODIES: &str = "UPDATE outbox
    SET body_size = length(body) + coalesce(length(body_tail), 0), body = X'',
        body_tail = NULL, released_at = ?2
    WHERE id IN (SELECT id FROM outbox WHERE released_at IS NULL AND sent_at < ?1 LIMIT 500)";

impl Store {
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
            let (last_at, cursor): (Option<String>, Option<i64>) = tx.tx
                .prepare_cached(
                    "SELECT max(created_at), max(message_row) FROM outbox WHERE kind = 'alert-digest'",
                )?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            if last_at.is_some_and(|t| t >= ts_ms(&digest_after)) {
                return Ok(Vec::new());
            }
            let mut st = tx.tx.prepare_cached(
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

    /// Releases the bodies of mail sent before `before`: the bytes pilah composed (an
    /// acknowledgement, a forward's head and tail) are dropped, and how many there were is
    /// kept in `body_size`; the Message-ID, kind, unit, recipients, times and attempts stay
    /// for the report, `pilah messages` and `ticket show`. Runs in transactions of 500 rows
    /// (a long history does not hold the write lock at once) and returns how many it
    /// released. Reads only what is still held (outbox_unreleased).
    pub fn release_sent_bodies(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let before = ts_ms(&before);
        let mut total = 0;
        loop {
            let n = self.transaction(|tx| {
                Ok(tx
                    .tx
                    .prepare_cached(RELEASE_SENT_BODIES)?
                    .execute(params![before, now()])?)
            })?;
            total += n;
            if n < 500 {
                return Ok(total);
            }
        }
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

impl Tx<'_> {
    /// Queues mail about message `message_row` (or none), due at once.
    pub fn queue(&self, message_row: Option<i64>, o: &Outgoing) -> Result<(), StoreError> {
        insert_outgoing(self.tx, message_row, o, &now())
    }

    /// How many acknowledgements went to `rcpt` since `since` (sliding window).
    pub fn acks_since(&self, rcpt: &str, since: DateTime<Utc>) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
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
    pub fn all_acks_since(&self, since: DateTime<Utc>) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached("SELECT count(*) FROM outbox WHERE kind = 'ack' AND created_at >= ?1")?
            .query_row(params![ts(&since)], |r| r.get(0))
            .map_err(Into::into)
    }

    /// How many alerts to the admin were queued since `since` (the cap of
    /// `limits.alerts_per_hour`).
    pub fn alerts_since(&self, since: DateTime<Utc>) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE kind = 'alert' AND created_at >= ?1",
            )?
            .query_row(params![ts_ms(&since)], |r| r.get(0))
            .map_err(Into::into)
    }
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

/// Queues one outgoing message, created at `created_at` and due at once (nothing happens
/// when its Message-ID is already queued). `message_row`: the message it is about.
pub(super) fn insert_outgoing(
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewMessage;
    use crate::types::{ImapUid, MailboxName};
    use rusqlite::OptionalExtension;

    fn queue_forward(s: &Store, row: i64, id: &str, original: OriginalEncoding) -> i64 {
        s.transaction(|tx| {
            tx.tx
                .prepare_cached(
                    "INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, body,
                     created_at, next_attempt_at, original, body_tail)
                 VALUES (?1, 'forward', ?2, '', '[]', X'48454144', '', '', ?3, X'5441494C')",
                )?
                .execute(params![row, id, original.as_str()])?;
            Ok(tx.tx.last_insert_rowid())
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
    fn the_bodies_of_mail_sent_long_enough_ago_are_released_and_the_rest_kept() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let queue = |id: &str, body: &[u8]| {
            s.queue(&Outgoing {
                kind: OutboxKind::Ack,
                message_id: id.into(),
                env_from: String::new(),
                rcpt: vec!["warga@example.org".into()],
                unit: None,
                body: body.to_vec(),
                original: None,
            })
            .unwrap();
            s.due(true, 0, 10)
                .unwrap()
                .into_iter()
                .find(|i| i.message_id == id)
                .unwrap()
                .id
        };
        let old = queue("<old>", b"terima kasih, lama");
        let recent = queue("<recent>", b"terima kasih, baru");
        let waiting = queue("<waiting>", b"terima kasih, menunggu");
        s.sent(old).unwrap();
        s.sent(recent).unwrap();
        s.conn()
            .execute(
                "UPDATE outbox SET sent_at = '2025-01-01T00:00:00.000Z' WHERE id = ?1",
                params![old],
            )
            .unwrap();
        let figures_before = s.metrics_figures().unwrap().sent;
        let cutoff = Utc::now() - chrono::Duration::days(30);
        assert_eq!(s.release_sent_bodies(cutoff).unwrap(), 1);
        assert_eq!(s.release_sent_bodies(cutoff).unwrap(), 0, "once");
        let row = |id: i64| {
            s.conn()
                .query_row(
                    "SELECT length(body), body_size, message_id, rcpt, sent_at IS NOT NULL,
                            released_at IS NOT NULL FROM outbox WHERE id = ?1",
                    params![id],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, Option<i64>>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, bool>(4)?,
                            r.get::<_, bool>(5)?,
                        ))
                    },
                )
                .unwrap()
        };
        let rcpt = "[\"warga@example.org\"]".to_string();
        assert_eq!(
            row(old),
            (0, Some(18), "<old>".into(), rcpt.clone(), true, true)
        );
        assert_eq!(
            row(recent),
            (18, None, "<recent>".into(), rcpt.clone(), true, false)
        );
        assert_eq!(s.outbox_body(waiting).unwrap(), b"terima kasih, menunggu");
        assert_eq!(s.metrics_figures().unwrap().sent, figures_before);
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
}

/// Mail not sent, as `pilah outbox list` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unsent {
    pub id: i64,
    pub kind: String,
    pub ticket: Option<String>,
    pub rcpt: Vec<String>,
    pub created_at: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    /// The last error: why it failed, or why it waits.
    pub last_error: Option<String>,
    /// Failed for good (or cancelled): never sent unless retried.
    pub failed_at: Option<String>,
    /// Cancelled by the admin.
    pub cancelled_at: Option<String>,
}

/// What the admin's retry or cancel of one item found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxChange {
    /// Done.
    Changed,
    /// The server accepted it at this time: it is not sent again, nor cancelled.
    AlreadySent(String),
    /// Its body was released (by `[retention]`) at this time: there is nothing to send.
    Released(String),
    /// No such item.
    Missing,
}

/// What the admin does to one item.
#[derive(Debug, Clone, Copy)]
enum AdminChange {
    Retry,
    Cancel,
}

/// The unsent mail (outbox_due: sent_at is NULL), failed and waiting, in queue order; `all`:
/// also what waits without an error.
const UNSENT: &str = "SELECT o.id, o.kind, m.ticket, o.rcpt, o.created_at, o.attempts,
        o.next_attempt_at, o.last_error, o.failed_at, o.cancelled_at
    FROM outbox o LEFT JOIN messages m ON m.id = o.message_row
    WHERE o.sent_at IS NULL AND (?1 OR o.failed_at IS NOT NULL OR o.last_error IS NOT NULL)
    ORDER BY o.id";

impl Store {
    /// Mail that is not sent: failed for good, cancelled, or waiting after an error (`all`:
    /// also waiting without one).
    pub fn unsent(&self, all: bool) -> Result<Vec<Unsent>, StoreError> {
        let conn = self.outbox_conn();
        let mut st = conn.prepare_cached(UNSENT)?;
        let rows = st.query_map(params![all], |r| {
            Ok(Unsent {
                id: r.get(0)?,
                kind: r.get(1)?,
                ticket: r.get(2)?,
                rcpt: serde_json::from_str(&r.get::<_, String>(3)?).unwrap_or_default(),
                created_at: r.get(4)?,
                attempts: r.get(5)?,
                next_attempt_at: r.get(6)?,
                last_error: r.get(7)?,
                failed_at: r.get(8)?,
                cancelled_at: r.get(9)?,
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>().map_err(Into::into)
    }

    /// The admin's `pilah outbox retry`: an unsent item is due now again (failed or
    /// cancelled: no longer). An item the server accepted is left as it is: mail is never
    /// sent twice by a retry; nor one whose body `[retention]` released. Recorded as an event.
    pub fn retry_outbox(&self, item: i64) -> Result<OutboxChange, StoreError> {
        self.change_outbox(item, AdminChange::Retry)
    }

    /// The admin's `pilah outbox cancel`: an unsent item is never sent (failed, cancelled).
    pub fn cancel_outbox(&self, item: i64) -> Result<OutboxChange, StoreError> {
        self.change_outbox(item, AdminChange::Cancel)
    }

    fn change_outbox(&self, item: i64, change: AdminChange) -> Result<OutboxChange, StoreError> {
        self.transaction(|tx| {
            type Found = (Option<String>, Option<i64>, String, Option<String>);
            let found: Option<Found> = tx
                .tx
                .query_row(
                    "SELECT sent_at, message_row, message_id, released_at FROM outbox WHERE id = ?1",
                    params![item],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let Some((sent, row, message_id, released)) = found else {
                return Ok(OutboxChange::Missing);
            };
            if let Some(at) = sent {
                return Ok(OutboxChange::AlreadySent(at));
            }
            if let (Some(at), AdminChange::Retry) = (released, change) {
                return Ok(OutboxChange::Released(at));
            }
            let (sql, step) = match change {
                AdminChange::Retry => (
                    "UPDATE outbox SET failed_at = NULL, cancelled_at = NULL, next_attempt_at = ?2
                     WHERE id = ?1 AND sent_at IS NULL",
                    "outbox-retried",
                ),
                AdminChange::Cancel => (
                    "UPDATE outbox SET cancelled_at = ?2, failed_at = coalesce(failed_at, ?2)
                     WHERE id = ?1 AND sent_at IS NULL",
                    "outbox-cancelled",
                ),
            };
            tx.tx.execute(sql, params![item, now()])?;
            tx.tx.execute(
                "INSERT INTO events (at, message_row, mailbox, step, detail)
                 VALUES (?1, ?2, NULL, ?3, ?4)",
                params![
                    now(),
                    row,
                    step,
                    format!("outbox item {item} {message_id} by the admin")
                ],
            )?;
            Ok(OutboxChange::Changed)
        })
    }
}
