//! The metrics' queries: counts of messages by outcome and of the outbox, read at scrape
//! time so that they survive restarts.
//!
//! Owns those statements (on the read snapshot, never holding up the daemon's commits). The
//! metric names, labels and the HTTP responder are `src/metrics.rs`'s; this module must not
//! format anything, nor know about the daemon.

use super::{parse_ts, Store, StoreError};
use chrono::{DateTime, Utc};

/// The database's figures for one scrape.
#[derive(Debug, Clone, Default)]
pub struct MetricsFigures {
    /// (mailbox, category or "", outcome, count): outcome quarantined, machine, filed, or
    /// the message's state.
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
            let mut st = tx.prepare(
                "SELECT mailbox, coalesce(category, ''),
                        CASE WHEN quarantine IS NOT NULL THEN 'quarantined'
                             WHEN machine IS NOT NULL THEN 'machine'
                             WHEN state = 'filed' THEN 'filed'
                             ELSE state END,
                        count(*)
                 FROM messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            )?;
            let messages = st
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            let (pending, oldest): (i64, Option<String>) = tx.query_row(
                "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let failed: i64 = tx.query_row(
                "SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            let mut st = tx.prepare(
                "SELECT kind, count(*) FROM outbox WHERE sent_at IS NOT NULL GROUP BY kind ORDER BY kind",
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
