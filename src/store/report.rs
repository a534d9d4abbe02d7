//! The report's queries: the figures of one mailbox and month, read from `messages`,
//! `outbox` and `tickets`, and the counts from before pilah in `report_imported`.
//!
//! Owns those statements, all of them read on the read snapshot ([`Store::read`]) so that a
//! live daemon's commits are not held up, plus the one write of `pilah report import`. It
//! returns rows and counts; what they mean (shares, medians, comparisons, wording) is
//! `src/report/`'s, and this module must not compute or format any of it, nor import it.

use super::{parse_ts, ts, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::params;
use std::collections::BTreeMap;

/// The messages of one mailbox that arrived in `[from, to)`.
#[derive(Debug, Clone, Copy)]
pub struct ReportScope<'a> {
    pub mailbox: &'a str,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl ReportScope<'_> {
    fn params(&self) -> (&str, String, String) {
        (self.mailbox, ts(&self.from), ts(&self.to))
    }
}

/// `AND …` keeping new messages only: not PICs' answers, follow-ups or duplicates.
const ONLY_NEW: &str = " AND coalesce(relation, 'new') = 'new'";

/// A new message from a person, as the report reads it.
#[derive(Debug, Clone)]
pub struct ReportPerson {
    pub id: i64,
    pub region: Option<String>,
    pub region_source: Option<String>,
    pub sender: Option<String>,
    pub internal_date: Option<DateTime<Utc>>,
}

/// A forward or acknowledgement of a person's new message.
#[derive(Debug, Clone)]
pub struct ReportMail {
    /// The message's row.
    pub message: i64,
    pub kind: String,
    pub unit: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What the report counts apart from people's messages.
#[derive(Debug, Clone, Default)]
pub struct ReportApart {
    /// Machine mail by kind.
    pub machine: BTreeMap<String, i64>,
    pub quarantined: i64,
    pub pic_answers: i64,
}

/// A ticket opened in the scope.
#[derive(Debug, Clone)]
pub struct ReportTicket {
    pub ticket: String,
    pub unit: Option<String>,
    pub opened_at: String,
    pub answered_at: Option<String>,
}

/// One imported count: (mailbox, month `YYYY-MM`, category or "" for the total, label, count).
#[derive(Debug, Clone)]
pub struct ImportedCount<'a> {
    pub mailbox: &'a str,
    pub month: String,
    pub category: &'a str,
    pub label: Option<&'a str>,
    pub count: i64,
}

/// A new message of the scope whose category a person changed: the rule that had decided,
/// the category it gave, and the one the message has now (different).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCorrection {
    pub rule: String,
    pub original: String,
    pub corrected: String,
}

impl Store {
    /// People's new messages (not machine mail, not quarantined, with a category), in order
    /// of arrival.
    pub fn report_people(&self, scope: &ReportScope) -> Result<Vec<ReportPerson>, StoreError> {
        let sql = format!(
            "SELECT id, region, region_source, sender, internal_date FROM messages
             WHERE mailbox = ?1 AND internal_date >= ?2 AND internal_date < ?3
               AND (machine IS NULL OR category = 'spam') AND quarantine IS NULL AND category IS NOT NULL{ONLY_NEW}
             ORDER BY internal_date, id"
        );
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let mut st = tx.tx.prepare(&sql)?;
            let rows = st
                .query_map(params![mb, from, to], |r| {
                    Ok(ReportPerson {
                        id: r.get(0)?,
                        region: r.get(1)?,
                        region_source: r.get(2)?,
                        sender: r.get(3)?,
                        internal_date: r.get::<_, Option<String>>(4)?.as_deref().and_then(parse_ts),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// People's new messages whose category a correction changed and that were not put
    /// back where the rules had them.
    pub fn report_corrections(
        &self,
        scope: &ReportScope,
    ) -> Result<Vec<ReportCorrection>, StoreError> {
        let sql = format!(
            "SELECT coalesce(c.rule, 'fallback'), c.from_category, m.category
             FROM messages m JOIN corrections c ON c.message_row = m.id
             WHERE m.mailbox = ?1 AND m.internal_date >= ?2 AND m.internal_date < ?3
               AND m.quarantine IS NULL AND m.category IS NOT NULL{ONLY_NEW}
               AND c.id = (SELECT min(id) FROM corrections WHERE message_row = m.id)
               AND m.category != c.from_category
             ORDER BY m.internal_date, m.id"
        );
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let mut st = tx.tx.prepare(&sql)?;
            let rows = st
                .query_map(params![mb, from, to], |r| {
                    Ok(ReportCorrection {
                        rule: r.get(0)?,
                        original: r.get(1)?,
                        corrected: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// People's new messages per deciding rule (`fallback`: none decided).
    pub fn report_rules(&self, scope: &ReportScope) -> Result<BTreeMap<String, i64>, StoreError> {
        let sql = format!(
            "SELECT coalesce(rule, 'fallback'), count(*) FROM messages
             WHERE mailbox = ?1 AND internal_date >= ?2 AND internal_date < ?3
               AND (machine IS NULL OR category = 'spam') AND quarantine IS NULL AND category IS NOT NULL{ONLY_NEW}
             GROUP BY 1"
        );
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let mut st = tx.tx.prepare(&sql)?;
            let rows = st
                .query_map(params![mb, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<BTreeMap<_, _>, _>>()?;
            Ok(rows)
        })
    }

    /// People's new messages per category, largest first.
    pub fn report_categories(&self, scope: &ReportScope) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = format!(
            "SELECT category, count(*) FROM messages
             WHERE mailbox = ?1 AND internal_date >= ?2 AND internal_date < ?3
               AND (machine IS NULL OR category = 'spam') AND quarantine IS NULL AND category IS NOT NULL{ONLY_NEW}
             GROUP BY category ORDER BY count(*) DESC, category"
        );
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let mut st = tx.tx.prepare(&sql)?;
            let rows = st
                .query_map(params![mb, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The rules versions that judged the messages, and how many each.
    pub fn report_rules_versions(
        &self,
        scope: &ReportScope,
    ) -> Result<BTreeMap<String, i64>, StoreError> {
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let mut st = tx.tx.prepare(
                "SELECT rules_version, count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND rules_version IS NOT NULL GROUP BY rules_version",
            )?;
            let rows = st
                .query_map(params![mb, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<BTreeMap<String, i64>, _>>()?;
            Ok(rows)
        })
    }

    /// Machine mail by kind, quarantined messages, PICs' answers.
    pub fn report_apart(&self, scope: &ReportScope) -> Result<ReportApart, StoreError> {
        let (mb, from, to) = scope.params();
        let p = params![mb, from, to];
        self.read(|tx| {
            let tx = tx.tx;
            let mut st = tx.prepare(
                "SELECT machine, count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND machine IS NOT NULL
                   AND category IS NOT 'spam' GROUP BY machine ORDER BY machine",
            )?;
            let machine = st
                .query_map(p, |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<BTreeMap<String, i64>, _>>()?;
            let quarantined: i64 = tx.query_row(
                "SELECT count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND quarantine IS NOT NULL",
                p,
                |r| r.get(0),
            )?;
            let pic_answers: i64 = tx.query_row(
                "SELECT count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND (machine IS NULL OR category = 'spam') AND quarantine IS NULL
                   AND category IS NOT NULL AND relation = 'pic-answer'",
                p,
                |r| r.get(0),
            )?;
            Ok(ReportApart {
                machine,
                quarantined,
                pic_answers,
            })
        })
    }

    /// The forwards and acknowledgements of people's new messages, in queue order. The
    /// month's messages first (messages_month), then their mail (outbox_row): `CROSS JOIN`
    /// keeps SQLite from walking the whole outbox in queue order instead.
    pub fn report_mail(&self, scope: &ReportScope) -> Result<Vec<ReportMail>, StoreError> {
        let sql = format!(
            "SELECT m.id, o.kind, o.unit, o.sent_at FROM messages m CROSS JOIN outbox o
             WHERE o.message_row = m.id AND m.mailbox = ?1 AND m.internal_date >= ?2 AND m.internal_date < ?3
               AND (m.machine IS NULL OR m.category = 'spam') AND m.quarantine IS NULL AND m.category IS NOT NULL{}
               AND o.kind IN ('forward', 'ack')
             ORDER BY o.id",
            ONLY_NEW.replace("relation", "m.relation")
        );
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let mut st = tx.tx.prepare(&sql)?;
            let rows = st
                .query_map(params![mb, from, to], |r| {
                    Ok(ReportMail {
                        message: r.get(0)?,
                        kind: r.get(1)?,
                        unit: r.get(2)?,
                        sent_at: r.get::<_, Option<String>>(3)?.as_deref().and_then(parse_ts),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The tickets opened in the scope, and the messages that joined an earlier ticket or
    /// repeated one, by relation (`follow-up`, `duplicate`), on one snapshot.
    pub fn report_tickets(
        &self,
        scope: &ReportScope,
    ) -> Result<(Vec<ReportTicket>, BTreeMap<String, i64>), StoreError> {
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            let tx = tx.tx;
            let mut st = tx.prepare(
                "SELECT ticket, unit, opened_at, answered_at FROM tickets
                 WHERE mailbox = ?1 AND opened_at >= ?2 AND opened_at < ?3",
            )?;
            let tickets = st
                .query_map(params![mb, from, to], |r| {
                    Ok(ReportTicket {
                        ticket: r.get(0)?,
                        unit: r.get(1)?,
                        opened_at: r.get(2)?,
                        answered_at: r.get(3)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut st = tx.prepare(
                "SELECT relation, count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND relation IN ('follow-up', 'duplicate') GROUP BY relation",
            )?;
            let relations = st
                .query_map(params![mb, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<BTreeMap<String, i64>, _>>()?;
            Ok((tickets, relations))
        })
    }

    /// How many messages pilah recorded in the scope (all of them).
    pub fn messages_in(&self, scope: &ReportScope) -> Result<i64, StoreError> {
        let (mb, from, to) = scope.params();
        self.read(|tx| {
            Ok(tx.tx.query_row(
                "SELECT count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2 AND internal_date < ?3",
                params![mb, from, to],
                |r| r.get(0),
            )?)
        })
    }

    /// The imported (category, label, count) rows of a mailbox and month (`YYYY-MM`),
    /// largest first; category "" is the part of the total without one.
    #[allow(clippy::type_complexity)]
    pub fn imported_counts(
        &self,
        mailbox: &str,
        month: &str,
    ) -> Result<Vec<(String, Option<String>, i64)>, StoreError> {
        self.read(|tx| {
            let mut st = tx.tx.prepare(
                "SELECT category, label, count FROM report_imported WHERE mailbox = ?1 AND month = ?2
                 ORDER BY count DESC, category",
            )?;
            let rows = st
                .query_map(params![mailbox, month], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// Writes imported counts in one transaction: each (mailbox, month) in `replace` loses
    /// what was imported for it before, then `rows` are inserted, from file `source`.
    pub fn save_imported(
        &self,
        replace: &[(&str, String)],
        rows: &[ImportedCount],
        source: &str,
    ) -> Result<(), StoreError> {
        let now = ts(&Utc::now());
        self.transaction(|tx| {
            let tx = tx.tx;
            for (mb, month) in replace {
                tx.execute(
                    "DELETE FROM report_imported WHERE mailbox = ?1 AND month = ?2",
                    params![mb, month],
                )?;
            }
            for r in rows {
                tx.execute(
                    "INSERT INTO report_imported (mailbox, month, category, label, count, source, imported_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                    params![r.mailbox, r.month, r.category, r.label, r.count, source, now],
                )?;
            }
            Ok(())
        })
    }
}
