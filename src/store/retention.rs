//! Retention of personal data (`[retention]`): the raw files of messages older than the
//! configured age are removed, and optionally their subject and sender's name; the rows,
//! with everything the report counts (mailbox, dates, category, region, ticket, outcome,
//! the sender's address), stay.
//!
//! Only messages that are done are pruned: filed, with no mail of theirs still waiting to be
//! sent (a forward needs its original). Their mail that failed for good or was cancelled has
//! its body released with them (it can no longer be retried). The files go first, then the rows are marked
//! (`pruned_at`): a crash in between leaves rows whose files are gone, which the next pass
//! marks without complaint.

use super::{now, ts, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::path::PathBuf;

/// What a prune did, or would do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub messages: u64,
    /// Bytes of raw mail removed (as recorded).
    pub bytes: u64,
    /// Raw files that were already gone.
    pub missing: u64,
}

/// Messages that may be pruned: arrived before ?1, not pruned (messages_unpruned), filed,
/// nothing of theirs waiting in the outbox (outbox_row).
const PRUNABLE: &str = "FROM messages m WHERE m.pruned_at IS NULL AND m.internal_date < ?1
    AND m.state = 'filed'
    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_row = m.id
                    AND o.sent_at IS NULL AND o.failed_at IS NULL)";

/// Rows pruned per transaction.
const CHUNK: i64 = 500;

impl Store {
    /// What [`Store::prune`] would remove.
    pub fn prunable(&self, before: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let (messages, bytes): (i64, i64) = self.conn().query_row(
            &format!("SELECT count(*), coalesce(sum(m.size), 0) {PRUNABLE}"),
            params![ts(&before)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(Pruned {
            messages: messages.max(0) as u64,
            bytes: bytes.max(0) as u64,
            missing: 0,
        })
    }

    /// Removes the raw files of the messages that arrived before `before` and are done, and
    /// with `erase_subjects` their subject and sender's name; marks them pruned.
    pub fn prune(&self, before: DateTime<Utc>, erase_subjects: bool) -> Result<Pruned, StoreError> {
        let mut done = Pruned::default();
        loop {
            let rows: Vec<(i64, String, i64)> = {
                let conn = self.conn();
                let mut st = conn.prepare_cached(&format!(
                    "SELECT m.id, m.raw_path, m.size {PRUNABLE} LIMIT ?2"
                ))?;
                let r = st
                    .query_map(params![ts(&before), CHUNK], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                r
            };
            for (_, path, size) in &rows {
                let path = PathBuf::from(path);
                match std::fs::remove_file(&path) {
                    Ok(()) => done.bytes += (*size).max(0) as u64,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => done.missing += 1,
                    Err(source) => return Err(StoreError::Io { path, source }),
                }
            }
            self.transaction(|tx| {
                let mut st = tx.tx.prepare_cached(
                    "UPDATE messages SET pruned_at = ?2,
                         subject = CASE WHEN ?3 THEN NULL ELSE subject END,
                         sender_name = CASE WHEN ?3 THEN NULL ELSE sender_name END
                     WHERE id = ?1",
                )?;
                // Mail of theirs that never went out (failed for good, cancelled) holds
                // what pilah composed about them: released like sent mail's.
                let mut release = tx.tx.prepare_cached(
                    "UPDATE outbox
                     SET body_size = length(body) + coalesce(length(body_tail), 0), body = X'',
                         body_tail = NULL, released_at = ?2
                     WHERE message_row = ?1 AND released_at IS NULL AND sent_at IS NULL",
                )?;
                let at = now();
                for (id, _, _) in &rows {
                    st.execute(params![id, at, erase_subjects])?;
                    release.execute(params![id, at])?;
                }
                Ok(())
            })?;
            done.messages += rows.len() as u64;
            if (rows.len() as i64) < CHUNK {
                return Ok(done);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewMessage, OutboxChange, Outgoing};
    use crate::types::{ImapUid, MailboxName, OutboxKind};

    #[test]
    fn only_finished_messages_lose_their_raw_file_and_mail_that_never_went_out_its_text() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let mb = MailboxName("lapor".into());
        let march: DateTime<Utc> = "2024-03-05T02:30:00Z".parse().unwrap();
        let record = |uid: u32| {
            let m = s
                .record(&NewMessage {
                    mailbox: &mb,
                    uid: ImapUid {
                        uidvalidity: 7,
                        uid,
                    },
                    raw: format!("Subject: {uid}\r\n\r\nisi\r\n").as_bytes(),
                    internal_date: Some(march),
                    message_id: None,
                })
                .unwrap();
            s.filed(&[m.id], "Pilah/x").unwrap();
            s.transaction(|tx| {
                tx.queue(
                    Some(m.id),
                    &Outgoing {
                        kind: OutboxKind::Ack,
                        message_id: format!("<ack{uid}@djpk.test>"),
                        env_from: String::new(),
                        rcpt: vec!["warga@example.org".into()],
                        unit: None,
                        body: b"Yth. Budi, laporan Anda".to_vec(),
                        original: None,
                    },
                )
            })
            .unwrap();
            m
        };
        // One whose acknowledgement failed for good, one whose acknowledgement still waits.
        let (failed, waiting) = (record(1), record(2));
        let item = s.due(true, 0, 10).unwrap()[0].id;
        s.send_failed(item, "550 no such user", Utc::now(), true)
            .unwrap();
        let april: DateTime<Utc> = "2024-04-01T00:00:00Z".parse().unwrap();
        assert_eq!(s.prunable(april).unwrap().messages, 1);
        assert_eq!(s.prunable(march).unwrap().messages, 0, "not old enough");
        let p = s.prune(april, true).unwrap();
        assert_eq!((p.messages, p.missing), (1, 0));
        assert!(!failed.raw_path.exists());
        assert!(waiting.raw_path.exists(), "its mail still needs it");
        // The failed acknowledgement's text is gone: a retry has nothing to send.
        assert!(matches!(
            s.retry_outbox(item).unwrap(),
            OutboxChange::Released(_)
        ));
        assert_eq!(s.prune(april, true).unwrap().messages, 0);
    }
}
