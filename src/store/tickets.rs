//! Tickets: the `tickets` table (one row per ticket: its mailbox, category, unit, sender,
//! when it was opened, answered, reminded, escalated) and `ticket_seq` (the numbers, per
//! prefix and year), and the lookups that find the ticket a message points at.
//!
//! Owns those statements only. Who may join a ticket, what counts as an answer and when a
//! reminder is due are decided in `src/ticket.rs`, which calls these methods; this module
//! must not decide any of it, nor import the ticket module.

use super::{ts, Store, StoreError, Tx};
use crate::types::Ticket;
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

/// A ticket as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    pub ticket: String,
    pub mailbox: String,
    pub category: String,
    pub unit: Option<String>,
    pub sender: Option<String>,
    pub opened_at: String,
    pub answered_at: Option<String>,
    /// When a correction last gave the ticket to another unit: its wait counts from then.
    pub routed_at: Option<String>,
}

/// The columns [`record_from_row`] reads.
const RECORD_COLUMNS: &str =
    "ticket, mailbox, category, unit, sender, opened_at, answered_at, routed_at";

fn record_from_row(r: &rusqlite::Row) -> rusqlite::Result<TicketRecord> {
    Ok(TicketRecord {
        ticket: r.get(0)?,
        mailbox: r.get(1)?,
        category: r.get(2)?,
        unit: r.get(3)?,
        sender: r.get(4)?,
        opened_at: r.get(5)?,
        answered_at: r.get(6)?,
        routed_at: r.get(7)?,
    })
}

/// An open ticket as `pilah ticket list` shows it.
#[derive(Debug, Clone)]
pub struct ListedTicket {
    pub record: TicketRecord,
    /// Its first message's subject.
    pub subject: Option<String>,
}

/// Whose Message-ID a message answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageIdOf {
    /// Mail pilah sent about the ticket (a forward, an acknowledgement, a reminder).
    PilahMail,
    /// A recorded message of the ticket (its Message-ID was chosen by its sender).
    Original,
}

/// Which follow-up of an unanswered ticket went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpMark {
    Reminded,
    Escalated,
}

/// What the reminder pass needs to know of a ticket.
#[derive(Debug, Clone)]
pub struct FollowUpState {
    pub reminded_at: Option<String>,
    pub escalated_at: Option<String>,
    /// The ticket's first message (reminders are recorded against it).
    pub first_row: Option<i64>,
    pub subject: String,
}

/// A ticket and everything recorded about it, for `pilah ticket show`.
#[derive(Debug, Clone)]
pub struct TicketHistory {
    pub record: TicketRecord,
    pub answered_by: Option<String>,
    /// Its messages, in the order they were recorded.
    pub messages: Vec<TicketMessage>,
    /// The mail pilah queued about it, in queue order.
    pub mail: Vec<TicketMail>,
}

/// One recorded message of a ticket.
#[derive(Debug, Clone)]
pub struct TicketMessage {
    /// Its internal date, or when it was fetched.
    pub at: String,
    pub mailbox: String,
    pub uid: i64,
    /// new, follow-up, pic-answer, unverified-answer, duplicate.
    pub relation: String,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub folder: Option<String>,
}

/// One e-mail pilah queued about a ticket.
#[derive(Debug, Clone)]
pub struct TicketMail {
    pub created_at: String,
    pub kind: String,
    pub rcpt: Vec<String>,
    pub sent_at: Option<String>,
    pub failed_at: Option<String>,
    pub last_error: Option<String>,
    pub message_id: String,
}

impl Tx<'_> {
    /// Allocates the next ticket number for a prefix and year.
    pub fn next_ticket(&self, prefix: &str, year: i32) -> Result<Ticket, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO ticket_seq (prefix, year, last) VALUES (?1, ?2, 1)
                 ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1",
            )?
            .execute(params![prefix, year])?;
        let seq: i64 = self
            .tx
            .prepare_cached("SELECT last FROM ticket_seq WHERE prefix = ?1 AND year = ?2")?
            .query_row(params![prefix, year], |r| r.get(0))?;
        Ok(Ticket {
            prefix: prefix.to_string(),
            year,
            seq: seq as u32,
        })
    }

    /// The record of a ticket, if there is one.
    pub fn ticket(&self, ticket: &str) -> Result<Option<TicketRecord>, StoreError> {
        self.tx
            .prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM tickets WHERE ticket = ?1"
            ))?
            .query_row(params![ticket], record_from_row)
            .optional()
            .map_err(Into::into)
    }

    /// Records a new ticket (nothing happens when it exists).
    pub fn open_ticket(
        &self,
        ticket: &Ticket,
        mailbox: &str,
        category: &str,
        unit: Option<&str>,
        sender: Option<&str>,
        opened_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO tickets (ticket, mailbox, category, unit, sender, opened_at, forwarded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (ticket) DO NOTHING",
            )?
            .execute(params![
                ticket.to_string(),
                mailbox,
                category,
                unit,
                sender,
                ts(&opened_at),
                unit.is_some()
            ])?;
        Ok(())
    }

    /// Records the first answer of a PIC (a later one changes nothing).
    pub fn ticket_answered(
        &self,
        ticket: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE tickets SET answered_at = ?1, answered_by = ?2
                 WHERE ticket = ?3 AND answered_at IS NULL",
            )?
            .execute(params![ts(&at), by, ticket])?;
        Ok(())
    }

    /// The ticket a Message-ID (without its angle brackets) belongs to: mail pilah sent, or
    /// a recorded message's own ID.
    pub fn ticket_of_message_id(
        &self,
        bare: &str,
    ) -> Result<Option<(String, MessageIdOf)>, StoreError> {
        let by_pilah: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT m.ticket FROM outbox o JOIN messages m ON m.id = o.message_row
                 WHERE o.message_id = ?1 AND m.ticket IS NOT NULL LIMIT 1",
            )?
            .query_row(params![format!("<{bare}>")], |r| r.get(0))
            .optional()?;
        if let Some(t) = by_pilah {
            return Ok(Some((t, MessageIdOf::PilahMail)));
        }
        let by_original: Option<String> = self
            .tx
            .prepare_cached(
                "SELECT ticket FROM messages WHERE message_id = ?1 AND ticket IS NOT NULL
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![bare], |r| r.get(0))
            .optional()?;
        Ok(by_original.map(|t| (t, MessageIdOf::Original)))
    }

    /// The ticket of an earlier copy of message `row`: recorded before with the same
    /// Message-ID, sender and subject (another mailbox, or sent twice).
    pub fn ticket_of_earlier_copy(
        &self,
        row: i64,
        message_id: &str,
        sender: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached(
                "SELECT ticket FROM messages WHERE message_id = ?1 AND id != ?2 AND ticket IS NOT NULL
                   AND coalesce(sender, '') = ?3 AND coalesce(subject, '') = ?4
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![message_id, row, sender, subject], |r| r.get(0))
            .optional()
            .map_err(Into::into)
    }

    /// Records that a ticket's reminder or escalation went out at `at`.
    pub fn mark_followed_up(
        &self,
        ticket: &str,
        mark: FollowUpMark,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let sql = match mark {
            FollowUpMark::Reminded => "UPDATE tickets SET reminded_at = ?1 WHERE ticket = ?2",
            FollowUpMark::Escalated => "UPDATE tickets SET escalated_at = ?1 WHERE ticket = ?2",
        };
        self.tx
            .prepare_cached(sql)?
            .execute(params![ts(&at), ticket])?;
        Ok(())
    }
}

impl Store {
    /// A ticket with its messages and the mail queued about it, on one snapshot.
    pub fn ticket_history(&self, ticket: &str) -> Result<Option<TicketHistory>, StoreError> {
        self.read(|tx| {
            let Some(record) = tx.ticket(ticket)? else {
                return Ok(None);
            };
            let tx = tx.tx;
            let mut st = tx.prepare(
                "SELECT coalesce(internal_date, fetched_at), mailbox, uid, coalesce(relation, 'new'),
                        sender, subject, folder
                 FROM messages WHERE ticket = ?1 ORDER BY id",
            )?;
            let messages = st
                .query_map(params![ticket], |r| {
                    Ok(TicketMessage {
                        at: r.get(0)?,
                        mailbox: r.get(1)?,
                        uid: r.get(2)?,
                        relation: r.get(3)?,
                        sender: r.get(4)?,
                        subject: r.get(5)?,
                        folder: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut st = tx.prepare(
                "SELECT created_at, kind, rcpt, sent_at, failed_at, last_error, message_id
                 FROM outbox WHERE id IN (
                     SELECT o.id FROM messages m CROSS JOIN outbox o
                     WHERE m.ticket = ?1 AND o.message_row = m.id
                     UNION
                     SELECT id FROM outbox WHERE message_id >= ?2 AND message_id < ?3)
                 ORDER BY id",
            )?;
            // Mail about its messages (messages_ticket, then outbox_row), and mail whose
            // Message-ID pilah made for the ticket, `<TICKET.kind.random@domain>`: the
            // Message-IDs from `<TICKET.` up to `<TICKET/` ('/' follows '.'), a range of the
            // outbox's unique index.
            let (first, past) = (format!("<{ticket}."), format!("<{ticket}/"));
            let mail = st
                .query_map(params![ticket, first, past], |r| {
                    Ok(TicketMail {
                        created_at: r.get(0)?,
                        kind: r.get(1)?,
                        rcpt: serde_json::from_str(&r.get::<_, String>(2)?).unwrap_or_default(),
                        sent_at: r.get(3)?,
                        failed_at: r.get(4)?,
                        last_error: r.get(5)?,
                        message_id: r.get(6)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let answered_by: Option<String> = tx
                .query_row(
                    "SELECT answered_by FROM tickets WHERE ticket = ?1",
                    params![ticket],
                    |r| r.get(0),
                )
                .optional()?
                .flatten();
            Ok(Some(TicketHistory {
                record,
                answered_by,
                messages,
                mail,
            }))
        })
    }

    /// Open (unanswered) tickets that went to a unit (any unit: `None`), oldest first.
    pub fn open_tickets(&self, unit: Option<&str>) -> Result<Vec<TicketRecord>, StoreError> {
        self.read(|tx| {
            let mut st = tx.tx.prepare(&format!(
                "SELECT {RECORD_COLUMNS} FROM tickets
                 WHERE answered_at IS NULL AND unit IS NOT NULL AND (?1 IS NULL OR unit = ?1)
                 ORDER BY opened_at, ticket"
            ))?;
            let rows = st.query_map(params![unit], record_from_row)?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// [`Store::open_tickets`], each with the subject of its first message, for
    /// `pilah ticket list` (the subject through messages_ticket).
    pub fn open_tickets_listed(&self, unit: Option<&str>) -> Result<Vec<ListedTicket>, StoreError> {
        self.read(|tx| {
            let mut st = tx.tx.prepare(&format!(
                "SELECT {RECORD_COLUMNS},
                     (SELECT m.subject FROM messages m WHERE m.ticket = tickets.ticket
                      ORDER BY m.id LIMIT 1)
                 FROM tickets
                 WHERE answered_at IS NULL AND unit IS NOT NULL AND (?1 IS NULL OR unit = ?1)
                 ORDER BY opened_at, ticket"
            ))?;
            let rows = st.query_map(params![unit], |r| {
                Ok(ListedTicket {
                    record: record_from_row(r)?,
                    subject: r.get(8)?,
                })
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
    }

    /// A ticket's reminder marks and its first message, if the ticket exists.
    pub fn follow_up_state(&self, ticket: &str) -> Result<Option<FollowUpState>, StoreError> {
        self.read(|tx| {
            let tx = tx.tx;
            let flags: Option<(Option<String>, Option<String>)> = tx
                .query_row(
                    "SELECT reminded_at, escalated_at FROM tickets WHERE ticket = ?1",
                    params![ticket],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((reminded_at, escalated_at)) = flags else {
                return Ok(None);
            };
            let first: Option<(i64, Option<String>)> = tx
                .query_row(
                    "SELECT id, subject FROM messages WHERE ticket = ?1 ORDER BY id LIMIT 1",
                    params![ticket],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            Ok(Some(FollowUpState {
                reminded_at,
                escalated_at,
                first_row: first.as_ref().map(|f| f.0),
                subject: first.and_then(|f| f.1).unwrap_or_default(),
            }))
        })
    }

    /// The Message-ID of the first forward of message `row` to `unit`.
    pub fn first_forward(&self, row: i64, unit: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| {
            tx.tx
                .prepare_cached(
                    "SELECT message_id FROM outbox WHERE message_row = ?1 AND kind = 'forward' AND unit = ?2
                     ORDER BY id LIMIT 1",
                )?
                .query_row(params![row, unit], |r| r.get(0))
                .optional()
                .map_err(Into::into)
        })
    }

    /// Whether mail with this Message-ID was queued already.
    pub fn outbox_has(&self, message_id: &str) -> Result<bool, StoreError> {
        self.read(|tx| {
            Ok(tx
                .tx
                .prepare_cached("SELECT count(*) FROM outbox WHERE message_id = ?1")?
                .query_row(params![message_id], |r| r.get::<_, i64>(0))?
                > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_count_per_prefix_and_year() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let t = |p: &str, y| {
            s.transaction(|tx| tx.next_ticket(p, y))
                .unwrap()
                .to_string()
        };
        assert_eq!(t("LPR", 2024), "LPR-2024-000001");
        assert_eq!(t("LPR", 2024), "LPR-2024-000002");
        assert_eq!(t("CC", 2024), "CC-2024-000001");
        assert_eq!(t("LPR", 2025), "LPR-2025-000001");
    }
}
