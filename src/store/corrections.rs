//! Corrections: the `corrections` table (a message's category changed by an agent's move
//! between pilah's folders or by `pilah ticket move`), `message_places` (where pilah last saw
//! each filed message in its own folders: folder, UIDVALIDITY, UID) and `folder_state` (each
//! watched folder's UIDVALIDITY, UIDNEXT and count at the last look).
//!
//! Owns those statements and the change of a message's and its ticket's category and unit.
//! Whether a move is a correction, and what mail it causes, are decided in
//! `src/correct/`; this module must not decide any of it.

use super::{now, parse_ts, Store, StoreError, Tx};
use crate::types::Ticket;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

/// A watched folder as the server described it (STATUS) at pilah's last look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub messages: u32,
}

/// A message that may be the one found at a new place: recorded, filed, and seen nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceCandidate {
    pub row: i64,
    /// The folder pilah filed it in (or a correction recorded).
    pub folder: Option<String>,
}

/// What a correction acts on: one recorded message and its ticket.
#[derive(Debug, Clone)]
pub struct Correctable {
    pub row: i64,
    pub mailbox: String,
    pub uid: u32,
    pub ticket: Option<String>,
    pub category: Option<String>,
    pub rule: Option<String>,
    pub folder: Option<String>,
    pub raw_path: std::path::PathBuf,
    pub internal_date: Option<DateTime<Utc>>,
    pub machine: Option<String>,
    pub quarantine: Option<String>,
    /// The raw file was removed after `[retention]`.
    pub pruned: bool,
    pub relation: Option<String>,
}

/// How a correction was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectedBy {
    /// An agent moved the message between pilah's folders in a mail client.
    ImapMove,
    /// `pilah ticket move`.
    Cli,
}

impl CorrectedBy {
    /// The word in `corrections.by`.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectedBy::ImapMove => "imap-move",
            CorrectedBy::Cli => "cli",
        }
    }
}

/// One correction to record, with the message's (and its ticket's) new category and unit.
#[derive(Debug, Clone)]
pub struct NewCorrection<'a> {
    pub row: i64,
    pub mailbox: &'a str,
    /// The ticket after the correction (one opened now for a message that had none).
    pub ticket: Option<&'a Ticket>,
    pub from_category: &'a str,
    pub to_category: &'a str,
    pub from_unit: Option<&'a str>,
    pub to_unit: Option<&'a str>,
    pub rule: Option<&'a str>,
    pub by: CorrectedBy,
    /// Where it was seen (`Pilah/dau → Pilah/dbh`) or who ran the command.
    pub detail: &'a str,
    /// The folder the message belongs in now.
    pub folder: &'a str,
    /// When (the reminders' clock: a new unit waits from then).
    pub at: DateTime<Utc>,
}

/// A correction as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRecord {
    pub id: i64,
    pub row: i64,
    pub ticket: Option<String>,
    pub mailbox: String,
    pub from_category: String,
    pub to_category: String,
    pub from_unit: Option<String>,
    pub to_unit: Option<String>,
    pub rule: Option<String>,
    pub by: String,
    pub detail: Option<String>,
    pub at: String,
}

const CORRECTION_COLUMNS: &str = "id, message_row, ticket, mailbox, from_category, to_category,
    from_unit, to_unit, rule, by, detail, at";

fn correction_from_row(r: &rusqlite::Row) -> rusqlite::Result<CorrectionRecord> {
    Ok(CorrectionRecord {
        id: r.get(0)?,
        row: r.get(1)?,
        ticket: r.get(2)?,
        mailbox: r.get(3)?,
        from_category: r.get(4)?,
        to_category: r.get(5)?,
        from_unit: r.get(6)?,
        to_unit: r.get(7)?,
        rule: r.get(8)?,
        by: r.get(9)?,
        detail: r.get(10)?,
        at: r.get(11)?,
    })
}

/// A corrected message as `rules suggest` and `rules fixtures export` read it: the category
/// the rules gave it first, the one it has now, and its stored raw file.
#[derive(Debug, Clone)]
pub struct CorrectedMessage {
    pub row: i64,
    pub mailbox: String,
    pub ticket: Option<String>,
    pub rule: Option<String>,
    /// The rules' category: that of the first correction's `from`.
    pub original: String,
    /// The category after the last correction.
    pub corrected: String,
    pub subject: Option<String>,
    pub raw_path: std::path::PathBuf,
    pub pruned: bool,
}

impl Store {
    /// The folder's state at pilah's last look, if it looked.
    pub fn folder_status(
        &self,
        mailbox: &str,
        folder: &str,
    ) -> Result<Option<FolderStatus>, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT uidvalidity, uidnext, messages FROM folder_state WHERE mailbox = ?1 AND folder = ?2",
            )?
            .query_row(params![mailbox, folder], |r| {
                Ok(FolderStatus {
                    uidvalidity: r.get(0)?,
                    uidnext: r.get(1)?,
                    messages: r.get(2)?,
                })
            })
            .optional()
            .map_err(Into::into)
    }

    /// Remembers the folder's state after a look.
    pub fn set_folder_status(
        &self,
        mailbox: &str,
        folder: &str,
        s: FolderStatus,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO folder_state (mailbox, folder, uidvalidity, uidnext, messages)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (mailbox, folder) DO UPDATE SET uidvalidity = ?3, uidnext = ?4, messages = ?5",
            )?
            .execute(params![mailbox, folder, s.uidvalidity, s.uidnext, s.messages])?;
        Ok(())
    }

    /// The UIDs pilah knows in a folder under `uidvalidity`, with the message each is (none:
    /// a message pilah did not file). Places under another UIDVALIDITY are forgotten first:
    /// their UIDs mean nothing any more.
    pub fn places_in(
        &self,
        mailbox: &str,
        folder: &str,
        uidvalidity: u32,
    ) -> Result<Vec<(u32, Option<i64>)>, StoreError> {
        self.transaction(|tx| {
            tx.tx
                .prepare_cached(
                    "DELETE FROM message_places WHERE mailbox = ?1 AND folder = ?2 AND uidvalidity != ?3",
                )?
                .execute(params![mailbox, folder, uidvalidity])?;
            let mut st = tx.tx.prepare_cached(
                "SELECT uid, message_row FROM message_places
                 WHERE mailbox = ?1 AND folder = ?2 AND uidvalidity = ?3",
            )?;
            let rows = st
                .query_map(params![mailbox, folder, uidvalidity], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Forgets places whose UIDs left the folder; returns the messages that were there.
    pub fn places_gone(
        &self,
        mailbox: &str,
        folder: &str,
        uidvalidity: u32,
        uids: &[u32],
    ) -> Result<Vec<i64>, StoreError> {
        self.transaction(|tx| {
            let mut rows = Vec::new();
            for uid in uids {
                let row: Option<Option<i64>> = tx
                    .tx
                    .prepare_cached(
                        "DELETE FROM message_places
                         WHERE mailbox = ?1 AND folder = ?2 AND uidvalidity = ?3 AND uid = ?4
                         RETURNING message_row",
                    )?
                    .query_row(params![mailbox, folder, uidvalidity, uid], |r| r.get(0))
                    .optional()?;
                rows.extend(row.flatten());
            }
            Ok(rows)
        })
    }

    /// Records that a UID of a folder is message `row` (none: not one pilah filed).
    pub fn place(
        &self,
        mailbox: &str,
        folder: &str,
        uidvalidity: u32,
        uid: u32,
        row: Option<i64>,
    ) -> Result<(), StoreError> {
        self.conn()
            .prepare_cached(
                "INSERT INTO message_places (mailbox, folder, uidvalidity, uid, message_row, seen_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (mailbox, folder, uidvalidity, uid) DO UPDATE SET message_row = ?5",
            )?
            .execute(params![mailbox, folder, uidvalidity, uid, row, now()])?;
        Ok(())
    }

    /// Messages of `mailbox` filed by pilah and seen in none of its folders now, with this
    /// Message-ID (none: without one) and size, and, without a Message-ID, this arrival
    /// time: what a message found at a new place may be.
    pub fn unplaced(
        &self,
        mailbox: &str,
        message_id: Option<&str>,
        size: u32,
        internal_date: Option<DateTime<Utc>>,
    ) -> Result<Vec<PlaceCandidate>, StoreError> {
        let conn = self.conn();
        let map = |r: &rusqlite::Row| {
            Ok(PlaceCandidate {
                row: r.get(0)?,
                folder: r.get(1)?,
            })
        };
        let unplaced = "AND state = 'filed' AND size = ?3
             AND NOT EXISTS (SELECT 1 FROM message_places p WHERE p.message_row = messages.id)
             ORDER BY id";
        let rows = match message_id {
            Some(id) => conn
                .prepare_cached(&format!(
                    "SELECT id, folder FROM messages WHERE message_id = ?2 AND mailbox = ?1 {unplaced}"
                ))?
                .query_map(params![mailbox, id, size], map)?
                .collect::<Result<Vec<_>, _>>()?,
            None => conn
                .prepare_cached(&format!(
                    "SELECT id, folder FROM messages WHERE mailbox = ?1 AND internal_date = ?2
                       AND message_id IS NULL {unplaced}"
                ))?
                .query_map(
                    params![mailbox, internal_date.as_ref().map(super::ts), size],
                    map,
                )?
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(rows)
    }

    /// The folders where pilah sees a filed message of this identity now (see
    /// [`Store::unplaced`]).
    pub fn placed_folders(
        &self,
        mailbox: &str,
        message_id: Option<&str>,
        size: u32,
        internal_date: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT DISTINCT p.folder FROM messages m JOIN message_places p ON p.message_row = m.id
             WHERE m.mailbox = ?1 AND m.size = ?3 AND m.state = 'filed'
               AND (CASE WHEN ?2 IS NULL THEN m.message_id IS NULL AND m.internal_date IS ?4
                         ELSE m.message_id = ?2 END)",
        )?;
        let rows = st
            .query_map(
                params![
                    mailbox,
                    message_id,
                    size,
                    internal_date.as_ref().map(super::ts)
                ],
                |r| r.get(0),
            )?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Messages seen in `folder` that belong in another folder now (`pilah ticket move`
    /// changed their category): (UID, row, the folder they belong in).
    pub fn misplaced_in(
        &self,
        mailbox: &str,
        folder: &str,
        uidvalidity: u32,
    ) -> Result<Vec<(u32, i64, String)>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT p.uid, m.id, m.folder FROM message_places p JOIN messages m ON m.id = p.message_row
             WHERE p.mailbox = ?1 AND p.folder = ?2 AND p.uidvalidity = ?3
               AND m.folder IS NOT NULL AND m.folder != p.folder",
        )?;
        let rows = st
            .query_map(params![mailbox, folder, uidvalidity], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Whether any message's recorded folder is not where pilah last saw it (a correction
    /// from the command line waits to be carried out in the mailbox).
    pub fn any_misplaced(&self, mailbox: &str) -> Result<bool, StoreError> {
        let n: i64 = self
            .conn()
            .prepare_cached(
                "SELECT count(*) FROM message_places p JOIN messages m ON m.id = p.message_row
                 WHERE p.mailbox = ?1 AND m.folder IS NOT NULL AND m.folder != p.folder",
            )?
            .query_row(params![mailbox], |r| r.get(0))?;
        Ok(n > 0)
    }

    /// The message a correction acts on.
    pub fn correctable(&self, row: i64) -> Result<Option<Correctable>, StoreError> {
        self.read(|tx| tx.correctable(row))
    }

    /// The first message of a ticket (the one a correction from the command line acts on).
    pub fn ticket_first_row(&self, ticket: &str) -> Result<Option<i64>, StoreError> {
        self.conn()
            .prepare_cached(
                "SELECT id FROM messages WHERE ticket = ?1 AND coalesce(relation, 'new') = 'new'
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![ticket], |r| r.get(0))
            .optional()
            .map_err(Into::into)
    }

    /// A ticket's corrections, oldest first.
    pub fn corrections_of_ticket(&self, ticket: &str) -> Result<Vec<CorrectionRecord>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(&format!(
            "SELECT {CORRECTION_COLUMNS} FROM corrections WHERE ticket = ?1 ORDER BY id"
        ))?;
        let rows = st
            .query_map(params![ticket], correction_from_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// The newest `limit` recorded new messages of a mailbox with a category: (row,
    /// category, subject), what `rules suggest` compares corrected messages with.
    pub fn recorded_subjects(
        &self,
        mailbox: &str,
        limit: usize,
    ) -> Result<Vec<(i64, String, String)>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT id, category, coalesce(subject, '') FROM messages
             WHERE mailbox = ?1 AND category IS NOT NULL AND quarantine IS NULL
               AND coalesce(relation, 'new') = 'new'
             ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![mailbox, limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every message whose category a correction changed and that has not been put back
    /// where the rules had it, oldest first (`rules suggest`, `rules fixtures export`).
    pub fn corrected_messages(&self) -> Result<Vec<CorrectedMessage>, StoreError> {
        let conn = self.conn();
        let mut st = conn.prepare(
            "SELECT m.id, m.mailbox, m.ticket, c.rule, c.from_category, m.category, m.subject,
                    m.raw_path, m.pruned_at IS NOT NULL
             FROM corrections c JOIN messages m ON m.id = c.message_row
             WHERE c.id = (SELECT min(id) FROM corrections WHERE message_row = m.id)
               AND m.category IS NOT NULL AND m.category != c.from_category
             ORDER BY m.id",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok(CorrectedMessage {
                    row: r.get(0)?,
                    mailbox: r.get(1)?,
                    ticket: r.get(2)?,
                    rule: r.get(3)?,
                    original: r.get(4)?,
                    corrected: r.get(5)?,
                    subject: r.get(6)?,
                    raw_path: std::path::PathBuf::from(r.get::<_, String>(7)?),
                    pruned: r.get(8)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}

impl Tx<'_> {
    /// The message a correction acts on, read in the correcting transaction.
    pub fn correctable(&self, row: i64) -> Result<Option<Correctable>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT id, mailbox, uid, ticket, category, rule, folder, raw_path, internal_date,
                        machine, quarantine, pruned_at IS NOT NULL, relation
                 FROM messages WHERE id = ?1",
            )?
            .query_row(params![row], |r| {
                Ok(Correctable {
                    row: r.get(0)?,
                    mailbox: r.get(1)?,
                    uid: r.get(2)?,
                    ticket: r.get(3)?,
                    category: r.get(4)?,
                    rule: r.get(5)?,
                    folder: r.get(6)?,
                    raw_path: std::path::PathBuf::from(r.get::<_, String>(7)?),
                    internal_date: r.get::<_, Option<String>>(8)?.as_deref().and_then(parse_ts),
                    machine: r.get(9)?,
                    quarantine: r.get(10)?,
                    pruned: r.get(11)?,
                    relation: r.get(12)?,
                })
            })
            .optional()
            .map_err(Into::into)
    }

    /// Records a correction and gives the message (and every message of its ticket, and
    /// the ticket) the new category, unit and folder. A ticket whose category has no unit
    /// (spam) gets none: it waits for nobody, so no reminder goes out for it.
    pub fn record_correction(&self, c: &NewCorrection) -> Result<i64, StoreError> {
        let ticket = c.ticket.map(|t| t.to_string());
        self.tx
            .prepare_cached(
                "UPDATE messages SET category = ?1, folder = ?2, ticket = coalesce(?3, ticket),
                     route = coalesce(?4, '')
                 WHERE id = ?5",
            )?
            .execute(params![c.to_category, c.folder, ticket, c.to_unit, c.row])?;
        if let Some(t) = &ticket {
            // The ticket's other messages (follow-ups, duplicates) follow it.
            self.tx
                .prepare_cached(
                    "UPDATE messages SET category = ?1, folder = ?2
                     WHERE ticket = ?3 AND id != ?4 AND category = ?5",
                )?
                .execute(params![c.to_category, c.folder, t, c.row, c.from_category])?;
            // A new unit waits from now, and gets its own reminder and escalation.
            self.tx
                .prepare_cached(
                    "UPDATE tickets SET category = ?1, unit = ?2, forwarded = (?2 IS NOT NULL),
                         routed_at = CASE WHEN unit IS ?2 THEN routed_at ELSE ?4 END,
                         reminded_at = CASE WHEN unit IS ?2 THEN reminded_at END,
                         escalated_at = CASE WHEN unit IS ?2 THEN escalated_at END
                     WHERE ticket = ?3",
                )?
                .execute(params![c.to_category, c.to_unit, t, super::ts(&c.at)])?;
        }
        self.tx
            .prepare_cached(
                "INSERT INTO corrections (message_row, ticket, mailbox, from_category, to_category,
                     from_unit, to_unit, rule, by, detail, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                c.row,
                ticket,
                c.mailbox,
                c.from_category,
                c.to_category,
                c.from_unit,
                c.to_unit,
                c.rule,
                c.by.as_str(),
                c.detail,
                super::ts_ms(&c.at),
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Whether mail whose Message-ID starts with `prefix` (`<TICKET.fwd.UNIT.`) was queued,
    /// and not cancelled: what a correction must not send twice.
    pub fn queued_with_prefix(&self, prefix: &str) -> Result<bool, StoreError> {
        // The range [prefix, prefix + U+10FFFF) on the unique index of message_id.
        let end = format!("{prefix}\u{10FFFF}");
        let n: i64 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE message_id >= ?1 AND message_id < ?2
                   AND cancelled_at IS NULL",
            )?
            .query_row(params![prefix, end], |r| r.get(0))?;
        Ok(n > 0)
    }

    /// Cancels the acknowledgements and forwards of a ticket's messages not sent yet (the
    /// ticket was found to be spam). Returns how many.
    pub fn cancel_unsent_of_ticket(&self, ticket: &str) -> Result<usize, StoreError> {
        let n = self
            .tx
            .prepare_cached(
                "UPDATE outbox SET cancelled_at = ?1, failed_at = ?1,
                     last_error = 'cancelled: the ticket was corrected to spam'
                 WHERE sent_at IS NULL AND failed_at IS NULL AND kind IN ('ack', 'forward')
                   AND message_row IN (SELECT id FROM messages WHERE ticket = ?2)",
            )?
            .execute(params![now(), ticket])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{MessageState, NewMessage};
    use crate::types::{ImapUid, MailboxName};

    fn filed(s: &Store, uid: u32, mid: &str, folder: &str) -> i64 {
        let mb = MailboxName("lapor".into());
        let m = s
            .record(&NewMessage {
                mailbox: &mb,
                uid: ImapUid {
                    uidvalidity: 7,
                    uid,
                },
                raw: b"Subject: x\r\n\r\nisi\r\n",
                internal_date: None,
                message_id: Some(mid),
            })
            .unwrap();
        s.filed(&[m.id], folder).unwrap();
        assert_eq!(
            s.find(&mb, m.uid).unwrap().unwrap().state,
            MessageState::Filed
        );
        m.id
    }

    #[test]
    fn a_message_seen_in_a_folder_is_no_candidate_until_it_leaves() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = filed(&s, 1, "a@x", "Pilah/dau");
        let size = 19;
        let found = s.unplaced("lapor", Some("a@x"), size, None).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].folder.as_deref(), Some("Pilah/dau"));
        s.place("lapor", "Pilah/dau", 3, 10, Some(a)).unwrap();
        assert!(s
            .unplaced("lapor", Some("a@x"), size, None)
            .unwrap()
            .is_empty());
        assert_eq!(
            s.places_in("lapor", "Pilah/dau", 3).unwrap(),
            vec![(10, Some(a))]
        );
        assert_eq!(
            s.places_gone("lapor", "Pilah/dau", 3, &[10]).unwrap(),
            vec![a]
        );
        assert_eq!(
            s.unplaced("lapor", Some("a@x"), size, None).unwrap().len(),
            1
        );
        // A different size is another message, whatever its Message-ID says.
        assert!(s
            .unplaced("lapor", Some("a@x"), 20, None)
            .unwrap()
            .is_empty());
        // Places under an older UIDVALIDITY are forgotten.
        s.place("lapor", "Pilah/dau", 3, 11, Some(a)).unwrap();
        assert!(s.places_in("lapor", "Pilah/dau", 4).unwrap().is_empty());
        assert_eq!(
            s.unplaced("lapor", Some("a@x"), size, None).unwrap().len(),
            1
        );
    }

    #[test]
    fn a_correction_changes_the_message_and_its_ticket_and_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let a = filed(&s, 1, "a@x", "Pilah/dau");
        let t: Ticket = "LPR-2024-000001".parse().unwrap();
        s.transaction(|tx| {
            tx.open_ticket(
                &t,
                "lapor",
                "dau",
                Some("dtu-dau"),
                None,
                chrono::Utc::now(),
            )
        })
        .unwrap();
        let id = s
            .transaction(|tx| {
                tx.record_correction(&NewCorrection {
                    row: a,
                    mailbox: "lapor",
                    ticket: Some(&t),
                    from_category: "dau",
                    to_category: "dbh",
                    from_unit: Some("dtu-dau"),
                    to_unit: Some("dtu-dbh"),
                    rule: Some("lapor-dau"),
                    by: CorrectedBy::ImapMove,
                    detail: "Pilah/dau → Pilah/dbh",
                    folder: "Pilah/dbh",
                    at: chrono::Utc::now(),
                })
            })
            .unwrap();
        assert!(id > 0);
        let rec = s.read(|tx| tx.ticket("LPR-2024-000001")).unwrap().unwrap();
        assert_eq!(
            (rec.category.as_str(), rec.unit.as_deref()),
            ("dbh", Some("dtu-dbh"))
        );
        let c = s.corrections_of_ticket("LPR-2024-000001").unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].by, "imap-move");
        let m = s.corrected_messages().unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(
            (m[0].original.as_str(), m[0].corrected.as_str()),
            ("dau", "dbh")
        );
        assert_eq!(
            s.correctable(a).unwrap().unwrap().folder.as_deref(),
            Some("Pilah/dbh")
        );
    }

    #[test]
    fn a_database_of_schema_7_takes_corrections_after_the_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pilah.sqlite");
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(include_str!("../../tests/fixtures/schema/v7.sql"))
                .unwrap();
            c.execute_batch(
                "INSERT INTO messages (id, mailbox, uidvalidity, uid, message_id, sha256, size,
                     fetched_at, raw_path, state, ticket, category, folder, rule)
                 VALUES (1, 'lapor', 7, 1, 'a@b', 'x', 1, '2024-03-01T00:00:00Z', '/nowhere',
                     'filed', 'LPR-2024-000001', 'dau', 'Pilah/dau', 'lapor-dau');
                 INSERT INTO tickets (ticket, mailbox, category, unit, sender, opened_at)
                 VALUES ('LPR-2024-000001', 'lapor', 'dau', 'dtu-dau', 'w@example.org',
                     '2024-03-01T00:00:00Z');",
            )
            .unwrap();
            c.pragma_update(None, "user_version", 7).unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.unplaced("lapor", Some("a@b"), 1, None).unwrap().len(), 1);
        let t: Ticket = "LPR-2024-000001".parse().unwrap();
        s.transaction(|tx| {
            tx.record_correction(&NewCorrection {
                row: 1,
                mailbox: "lapor",
                ticket: Some(&t),
                from_category: "dau",
                to_category: "spam",
                from_unit: Some("dtu-dau"),
                to_unit: None,
                rule: Some("lapor-dau"),
                by: CorrectedBy::Cli,
                detail: "admin",
                folder: "Pilah/spam",
                at: chrono::Utc::now(),
            })
        })
        .unwrap();
        assert!(
            s.open_tickets(None).unwrap().is_empty(),
            "spam waits for nobody"
        );
        assert_eq!(s.corrected_messages().unwrap()[0].corrected, "spam");
    }
}
