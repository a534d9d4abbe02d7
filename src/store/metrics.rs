//! The metrics' queries: counts of messages by outcome and of the outbox, read at scrape
//! time so that they survive restarts. The counts are kept as pilah works, in
//! `message_counts` and `outbox_counts` (maintained by triggers in the same transaction as
//! each change, see schema.rs): a scrape reads a few rows, whatever the history's length.
//!
//! Owns those statements (on the read snapshot, never holding up the daemon's commits). The
//! metric names, labels and the HTTP responder are `src/metrics.rs`'s; this module must not
//! format anything, nor know about the daemon.

use super::{parse_ts, Store, StoreError};
use chrono::{DateTime, Utc};

/// The database's figures for one scrape.
#[derive(Debug, Clone, Default)]
pub struct MetricsFigures {
    /// (mailbox, category or "", outcome, count): outcome quarantined, machine (not spam:
    /// spam a robot sent is counted under its category, as in the report), filed, or the
    /// message's state.
    pub messages: Vec<(String, String, String, i64)>,
    /// Mail waiting to be sent, and when the oldest of it was queued.
    pub pending: i64,
    pub oldest_pending: Option<DateTime<Utc>>,
    /// Mail the server refused for good.
    pub failed: i64,
    /// Mail sent, by kind.
    pub sent: Vec<(String, i64)>,
}

impl Store {
    /// The figures of `/metrics`, on one snapshot.
    pub fn metrics_figures(&self) -> Result<MetricsFigures, StoreError> {
        self.read(|tx| {
            let tx = tx.tx;
            // Kept by the triggers of schema version 5 as messages are recorded and judged:
            // a few rows per mailbox and category, whatever the history's length.
            let mut st = tx.prepare(
                "SELECT mailbox, category, outcome, n FROM message_counts WHERE n > 0
                 ORDER BY mailbox, category, outcome",
            )?;
            let messages = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            // What is waiting: read from the queue's own index (outbox_due), as long as the
            // queue, not the history.
            let (pending, oldest): (i64, Option<String>) = tx.query_row(
                "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let failed: i64 = tx.query_row(
                "SELECT coalesce(sum(n), 0) FROM outbox_counts WHERE what = 'failed'",
                [],
                |r| r.get(0),
            )?;
            let mut st = tx.prepare(
                "SELECT kind, n FROM outbox_counts WHERE what = 'sent' AND n > 0 ORDER BY kind",
            )?;
            let sent = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(MetricsFigures {
                messages,
                pending,
                oldest_pending: oldest.as_deref().and_then(parse_ts),
                failed,
                sent,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures as pilah counted them before schema version 5: from the whole tables.
    fn counted_from_the_tables(s: &Store) -> MetricsFigures {
        let c = s.conn();
        let messages = c
            .prepare(
                "SELECT mailbox, coalesce(category, ''),
                        CASE WHEN quarantine IS NOT NULL THEN 'quarantined'
                             WHEN machine IS NOT NULL AND coalesce(category, '') <> 'spam'
                                 THEN 'machine'
                             WHEN state = 'filed' THEN 'filed'
                             ELSE state END,
                        count(*)
                 FROM messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let failed = c
            .query_row(
                "SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let sent = c
            .prepare("SELECT kind, count(*) FROM outbox WHERE sent_at IS NOT NULL GROUP BY kind ORDER BY kind")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        MetricsFigures {
            messages,
            failed,
            sent,
            ..MetricsFigures::default()
        }
    }

    #[test]
    fn the_kept_counts_are_the_counts_of_the_tables_through_every_change() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        let same = |s: &Store, when: &str| {
            let f = s.metrics_figures().unwrap();
            let want = counted_from_the_tables(s);
            assert_eq!(f.messages, want.messages, "{when}");
            assert_eq!(f.failed, want.failed, "{when}");
            assert_eq!(f.sent, want.sent, "{when}");
        };
        same(&s, "empty");
        super::super::plans::populate(&s);
        same(&s, "recorded");
        // Judged again, filed, quarantined, moved to another mailbox, sent, failed, retried,
        // deleted: each change moves a message or a mail from one count to another.
        s.conn()
            .execute_batch(
                "UPDATE messages SET state = 'filed' WHERE state = 'classified';
                 UPDATE messages SET quarantine = 'x' WHERE id % 7 = 0;
                 UPDATE messages SET machine = NULL WHERE id % 26 = 0;
                 UPDATE messages SET category = 'lain' WHERE id % 11 = 0;
                 UPDATE messages SET mailbox = 'pengaduan' WHERE id % 17 = 0;
                 UPDATE outbox SET sent_at = '2025-06-01T00:00:00Z' WHERE sent_at IS NULL AND failed_at IS NULL;
                 UPDATE outbox SET failed_at = NULL WHERE id % 3 = 0;
                 UPDATE outbox SET kind = 'reminder' WHERE id % 19 = 0;
                 DELETE FROM outbox WHERE id % 23 = 0;
                 DELETE FROM messages WHERE id % 29 = 0 AND id NOT IN (SELECT message_row FROM outbox);",
            )
            .unwrap();
        same(&s, "changed");
        drop(s);
        // The counts are in the database: a restart finds them as they were.
        let s = Store::open(dir.path()).unwrap();
        same(&s, "reopened");
    }
}
