//! The mailboxes' state and the event log: `mailbox_state` (when pilah first saw a mailbox,
//! its UIDVALIDITY, its last success and error) and `events` (steps worth keeping beside the
//! messages: re-identified after a UIDVALIDITY change, found moved after a restart, …).
//!
//! Owns those two tables' statements and nothing else; it records what the daemon and the
//! pipeline report and must not decide anything about a mailbox (when to alert about a stale
//! one is `daemon`'s and `alerts`' business).

use super::{now, parse_ts, Store, StoreError};
use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

impl Store {
    /// Records one step worth keeping about a message or a mailbox.
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

    /// When pilah first reached a mailbox, if it has (read only).
    pub fn mailbox_first_seen(&self, mailbox: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let first: Option<String> = self
            .conn()
            .prepare_cached("SELECT first_seen FROM mailbox_state WHERE mailbox = ?1")?
            .query_row(params![mailbox], |r| r.get(0))
            .optional()?;
        Ok(first.as_deref().and_then(parse_ts))
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
}
