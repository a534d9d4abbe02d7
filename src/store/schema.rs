//! The schema: every table and index of the database.
//!
//! Owns the `CREATE` statements and what brings a database made by an older pilah up to
//! date. It must not hold queries: those live beside their tables.

use rusqlite::{params, Connection};

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

const TICKETS: &str = r#"
CREATE TABLE IF NOT EXISTS tickets (
    ticket       TEXT PRIMARY KEY,
    mailbox      TEXT NOT NULL,
    category     TEXT NOT NULL,
    unit         TEXT,
    sender       TEXT,
    opened_at    TEXT NOT NULL,
    forwarded    INTEGER NOT NULL DEFAULT 0,
    answered_at  TEXT,
    answered_by  TEXT,
    reminded_at  TEXT,
    escalated_at TEXT
);
CREATE INDEX IF NOT EXISTS tickets_open ON tickets (answered_at, unit);

-- Counts from before pilah (`pilah report import`).
CREATE TABLE IF NOT EXISTS report_imported (
    mailbox     TEXT NOT NULL,
    month       TEXT NOT NULL,
    category    TEXT NOT NULL,
    label       TEXT,
    count       INTEGER NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (mailbox, month, category)
);
"#;

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

/// Creates what is missing and adds the columns a newer pilah brings.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    conn.execute_batch(SCHEMA)?;
    add_missing_columns(conn)?;
    conn.execute_batch(TICKETS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

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
}
