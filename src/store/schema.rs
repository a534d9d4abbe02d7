//! The schema: every table and index of the database, and the ordered migrations that
//! bring a database made by an older pilah up to date.
//!
//! Owns the `CREATE`/`ALTER` statements and `PRAGMA user_version`, the schema version a
//! database declares. At open, a database of an older version (or none: made before pilah
//! declared versions, or new) gets every later migration in one IMMEDIATE transaction,
//! then the current version; a database of a newer version than this pilah knows is refused
//! ([`StoreError::TooNew`]) and left untouched. Each migration is written so that it also
//! applies to an unversioned database that already has some of it (`IF NOT EXISTS`, columns
//! added only when missing): pilah before schema versions created and altered tables at
//! every start. Migrations never drop or rewrite data. This module must not hold queries:
//! those live beside their tables.

use super::StoreError;
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use std::path::Path;

/// The schema version this pilah creates and knows: the last migration's.
pub const CURRENT: u32 = 9;

/// One change of the schema.
enum Step {
    /// Statements that change nothing when what they create is there already.
    Sql(&'static str),
    /// Work on the state directory beside the database (its argument), in the migration's
    /// transaction.
    Code(fn(&Transaction, &Path) -> Result<(), StoreError>),
    /// A column, added when the table does not have it.
    AddColumn {
        table: &'static str,
        column: &'static str,
        decl: &'static str,
    },
}

/// What one schema version adds to the one before.
struct Migration {
    version: u32,
    steps: &'static [Step],
}

/// Every schema version in order: the last one is [`CURRENT`].
const MIGRATIONS: &[Migration] = &[
    // 1: the tables of the first release (messages, tickets, outbox with whole bodies,
    // events, mailbox state, imported counts).
    Migration {
        version: 1,
        steps: &[Step::Sql(V1)],
    },
    // 2: a forward keeps the original out of the database: the outbox row holds pilah's
    // own bytes (`body`, then `body_tail`) and how the original goes between them
    // (`original`: 'rfc822' as it is, 'base64'; NULL: `body` is the whole message, as every
    // row queued before). The original comes from messages.raw_path when it is sent.
    Migration {
        version: 2,
        steps: &[
            Step::AddColumn {
                table: "outbox",
                column: "original",
                decl: "TEXT",
            },
            Step::AddColumn {
                table: "outbox",
                column: "body_tail",
                decl: "BLOB",
            },
        ],
    },
    // 3: what is due, in queue order from a cursor: (sent_at, failed_at) IS NULL, then id,
    // so that a pass reads the next 200 without visiting and sorting everything queued.
    Migration {
        version: 3,
        steps: &[Step::Sql(
            "DROP INDEX IF EXISTS outbox_pending;
             CREATE INDEX IF NOT EXISTS outbox_due ON outbox (sent_at, failed_at, id);",
        )],
    },
    // 4: the acknowledgement cap per hour (acks_since to anyone), a message's mail, and the
    // alert cap (alerts_since) and the hourly digest of what went without an alert
    // (quarantined_without_alert): small partial indexes, of alerts and quarantined
    // messages only.
    Migration {
        version: 4,
        steps: &[Step::Sql(
            "CREATE INDEX IF NOT EXISTS outbox_ack_times ON outbox (created_at) WHERE kind = 'ack';
             CREATE INDEX IF NOT EXISTS outbox_row ON outbox (message_row);
             CREATE INDEX IF NOT EXISTS outbox_alerts ON outbox (created_at) WHERE kind = 'alert';
             CREATE INDEX IF NOT EXISTS outbox_alerted ON outbox (message_row) WHERE kind = 'alert';
             CREATE INDEX IF NOT EXISTS outbox_alert_digests ON outbox (created_at) WHERE kind = 'alert-digest';
             CREATE INDEX IF NOT EXISTS messages_quarantined ON messages (id) WHERE quarantine IS NOT NULL;",
        )],
    },
    // 5: costs that follow the month, not the history. A mailbox's month by date
    // (messages_month, tickets_month: the report, `pilah messages`), the messages a restart
    // may have left unfiled (messages_unfiled: settle_moved on every drain), and the
    // metrics' counts kept as pilah works (message_counts, outbox_counts, maintained by
    // triggers in the transaction of each change, filled once here from what is recorded).
    // ... and the bodies of sent mail released after `limits.keep_sent_bodies_days`
    // (released_at; body_size keeps how large the body and tail were), found through
    // outbox_unreleased (what is still held, by when it was sent).
    Migration {
        version: 5,
        steps: &[
            Step::Sql(V5),
            Step::AddColumn {
                table: "outbox",
                column: "released_at",
                decl: "TEXT",
            },
            Step::AddColumn {
                table: "outbox",
                column: "body_size",
                decl: "INTEGER",
            },
            Step::Sql(
                "CREATE INDEX IF NOT EXISTS outbox_unreleased ON outbox (sent_at) WHERE released_at IS NULL;",
            ),
            // ... and raw/ fanned out: raw/<mailbox>/<uidvalidity>/<xx>/<uid>.eml.
            Step::Code(|tx, state_dir| super::messages::fan_out_raw(tx, state_dir).map(drop)),
        ],
    },
    // 6: the admin's hand on the outbox and the retention of personal data (issue 20):
    // mail the admin cancelled (`pilah outbox cancel`: cancelled_at, with failed_at so that
    // it is never due), and messages whose raw file was removed after `[retention]`
    // (pruned_at), found by date among those not pruned yet (messages_unpruned).
    Migration {
        version: 6,
        steps: &[
            Step::AddColumn {
                table: "outbox",
                column: "cancelled_at",
                decl: "TEXT",
            },
            Step::AddColumn {
                table: "messages",
                column: "pruned_at",
                decl: "TEXT",
            },
            Step::Sql(
                "CREATE INDEX IF NOT EXISTS messages_unpruned ON messages (internal_date) WHERE pruned_at IS NULL;",
            ),
        ],
    },
    // 7: spam sent by a robot is counted as spam in the metrics too (issue 15), as the report
    // counts it: the counting triggers made again and the counts taken afresh.
    Migration {
        version: 7,
        steps: &[Step::Sql(V7)],
    },
    // 8: corrections (issue 17): an agent's move of a message between pilah's folders, or
    // `pilah ticket move`, recorded with the category it had, the one it got and the rule
    // that had decided (corrections); where pilah last saw each message in its own folders,
    // by UIDVALIDITY and UID (message_places; message_row NULL: a message pilah did not
    // file, seen once and left alone); and each watched folder's state at the last look
    // (folder_state), so that an unchanged folder is not searched again.
    // ... and tickets.routed_at: when a correction gave the ticket to another unit, from
    // which its reminders count the wait.
    Migration {
        version: 8,
        steps: &[
            Step::Sql(V8),
            Step::AddColumn {
                table: "tickets",
                column: "routed_at",
                decl: "TEXT",
            },
        ],
    },
    // 9: what the spam engine said about each message (issue 15): its score and threshold,
    // the names of its rules that fired (comma-separated), or why it was judged unscored
    // (all NULL: no engine was asked, as for every message before).
    Migration {
        version: 9,
        steps: &[
            Step::AddColumn {
                table: "messages",
                column: "spam_score",
                decl: "REAL",
            },
            Step::AddColumn {
                table: "messages",
                column: "spam_threshold",
                decl: "REAL",
            },
            Step::AddColumn {
                table: "messages",
                column: "spam_symbols",
                decl: "TEXT",
            },
            Step::AddColumn {
                table: "messages",
                column: "spam_unscored",
                decl: "TEXT",
            },
        ],
    },
];

/// A message's outcome as the metrics count it (`NEW.` or `OLD.` in the triggers: `{r}`).
/// Spam sent by a robot counts as spam (its category), as in the report, not as machine mail.
macro_rules! outcome {
    ($r:literal) => {
        concat!(
            "CASE WHEN ",
            $r,
            "quarantine IS NOT NULL THEN 'quarantined' WHEN ",
            $r,
            "machine IS NOT NULL AND coalesce(",
            $r,
            "category, '') <> 'spam' THEN 'machine' WHEN ",
            $r,
            "state = 'filed' THEN 'filed' ELSE ",
            $r,
            "state END"
        )
    };
}

/// Schema version 5.
/// Counts `message_counts` again from `messages` (schema 5, and 7 for the new outcome).
macro_rules! message_recount {
    () => {
        concat!(
            "DELETE FROM message_counts;
INSERT INTO message_counts (mailbox, category, outcome, n)
    SELECT mailbox, coalesce(category, ''), ",
            outcome!(""),
            ", count(*)
    FROM messages GROUP BY 1, 2, 3;
"
        )
    };
}

/// The triggers that keep `message_counts` (schema 5, made again in 7).
macro_rules! message_triggers {
    () => {
        concat!("CREATE TRIGGER IF NOT EXISTS messages_counted_in AFTER INSERT ON messages BEGIN
    INSERT INTO message_counts (mailbox, category, outcome, n)
        VALUES (NEW.mailbox, coalesce(NEW.category, ''), ", outcome!("NEW."), ", 1)
        ON CONFLICT (mailbox, category, outcome) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS messages_counted_out AFTER DELETE ON messages BEGIN
    UPDATE message_counts SET n = n - 1 WHERE mailbox = OLD.mailbox
        AND category = coalesce(OLD.category, '') AND outcome = ", outcome!("OLD."), ";
END;
CREATE TRIGGER IF NOT EXISTS messages_counted_again
AFTER UPDATE OF mailbox, category, quarantine, machine, state ON messages
WHEN OLD.mailbox IS NOT NEW.mailbox OR coalesce(OLD.category, '') IS NOT coalesce(NEW.category, '')
    OR (", outcome!("OLD."), ") IS NOT (", outcome!("NEW."), ")
BEGIN
    UPDATE message_counts SET n = n - 1 WHERE mailbox = OLD.mailbox
        AND category = coalesce(OLD.category, '') AND outcome = ", outcome!("OLD."), ";
    INSERT INTO message_counts (mailbox, category, outcome, n)
        VALUES (NEW.mailbox, coalesce(NEW.category, ''), ", outcome!("NEW."), ", 1)
        ON CONFLICT (mailbox, category, outcome) DO UPDATE SET n = n + 1;
END;
")
    };
}

const V5: &str = concat!(
    "CREATE INDEX IF NOT EXISTS messages_month ON messages (mailbox, internal_date);
CREATE INDEX IF NOT EXISTS messages_unfiled ON messages (mailbox, uidvalidity) WHERE state = 'classified';
CREATE INDEX IF NOT EXISTS tickets_month ON tickets (mailbox, opened_at);
CREATE TABLE IF NOT EXISTS message_counts (
    mailbox  TEXT NOT NULL,
    category TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (mailbox, category, outcome)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox_counts (
    what TEXT NOT NULL,
    kind TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (what, kind)
) WITHOUT ROWID;
", message_recount!(), "DELETE FROM outbox_counts;
INSERT INTO outbox_counts (what, kind, n)
    SELECT 'sent', kind, count(*) FROM outbox WHERE sent_at IS NOT NULL GROUP BY kind;
INSERT INTO outbox_counts (what, kind, n)
    SELECT 'failed', '', count(*) FROM outbox WHERE failed_at IS NOT NULL;
", message_triggers!(), "CREATE TRIGGER IF NOT EXISTS outbox_counted_in AFTER INSERT ON outbox
WHEN NEW.sent_at IS NOT NULL OR NEW.failed_at IS NOT NULL
BEGIN
    INSERT INTO outbox_counts (what, kind, n) SELECT 'sent', NEW.kind, 1 WHERE NEW.sent_at IS NOT NULL
        ON CONFLICT (what, kind) DO UPDATE SET n = n + 1;
    INSERT INTO outbox_counts (what, kind, n) SELECT 'failed', '', 1 WHERE NEW.failed_at IS NOT NULL
        ON CONFLICT (what, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS outbox_counted_out AFTER DELETE ON outbox
WHEN OLD.sent_at IS NOT NULL OR OLD.failed_at IS NOT NULL
BEGIN
    UPDATE outbox_counts SET n = n - 1 WHERE OLD.sent_at IS NOT NULL AND what = 'sent' AND kind = OLD.kind;
    UPDATE outbox_counts SET n = n - 1 WHERE OLD.failed_at IS NOT NULL AND what = 'failed' AND kind = '';
END;
CREATE TRIGGER IF NOT EXISTS outbox_counted_again AFTER UPDATE OF kind, sent_at, failed_at ON outbox
WHEN OLD.kind IS NOT NEW.kind OR (OLD.sent_at IS NULL) IS NOT (NEW.sent_at IS NULL)
    OR (OLD.failed_at IS NULL) IS NOT (NEW.failed_at IS NULL)
BEGIN
    UPDATE outbox_counts SET n = n - 1 WHERE OLD.sent_at IS NOT NULL AND what = 'sent' AND kind = OLD.kind;
    UPDATE outbox_counts SET n = n - 1 WHERE OLD.failed_at IS NOT NULL AND what = 'failed' AND kind = '';
    INSERT INTO outbox_counts (what, kind, n) SELECT 'sent', NEW.kind, 1 WHERE NEW.sent_at IS NOT NULL
        ON CONFLICT (what, kind) DO UPDATE SET n = n + 1;
    INSERT INTO outbox_counts (what, kind, n) SELECT 'failed', '', 1 WHERE NEW.failed_at IS NOT NULL
        ON CONFLICT (what, kind) DO UPDATE SET n = n + 1;
END;
"
);
/// Schema version 7: the metrics count spam sent by a robot as spam, like the report.
const V7: &str = concat!(
    "DROP TRIGGER IF EXISTS messages_counted_in;
DROP TRIGGER IF EXISTS messages_counted_out;
DROP TRIGGER IF EXISTS messages_counted_again;
",
    message_recount!(),
    message_triggers!()
);

/// Schema version 8: corrections and the places of filed messages.
const V8: &str = "CREATE TABLE IF NOT EXISTS corrections (
    id            INTEGER PRIMARY KEY,
    message_row   INTEGER NOT NULL REFERENCES messages (id),
    ticket        TEXT,
    mailbox       TEXT NOT NULL,
    from_category TEXT NOT NULL,
    to_category   TEXT NOT NULL,
    from_unit     TEXT,
    to_unit       TEXT,
    rule          TEXT,
    by            TEXT NOT NULL,
    detail        TEXT,
    at            TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_message ON corrections (message_row);
CREATE INDEX IF NOT EXISTS corrections_ticket ON corrections (ticket);
CREATE INDEX IF NOT EXISTS corrections_at ON corrections (at);
CREATE TABLE IF NOT EXISTS message_places (
    mailbox     TEXT NOT NULL,
    folder      TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid         INTEGER NOT NULL,
    message_row INTEGER REFERENCES messages (id),
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (mailbox, folder, uidvalidity, uid)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS message_places_row ON message_places (message_row) WHERE message_row IS NOT NULL;
CREATE TABLE IF NOT EXISTS folder_state (
    mailbox     TEXT NOT NULL,
    folder      TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uidnext     INTEGER NOT NULL,
    messages    INTEGER NOT NULL,
    PRIMARY KEY (mailbox, folder)
) WITHOUT ROWID;
";
/// Schema version 1.
const V1: &str = r#"CREATE TABLE IF NOT EXISTS messages (
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
    body            BLOB NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    sent_at         TEXT,
    failed_at       TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (sent_at, failed_at, next_attempt_at);
-- acks_since() runs once per acknowledgement: without this index it would scan the whole
-- outbox, bodies included (quadratic over a backlog; docs/performance.md).
CREATE INDEX IF NOT EXISTS outbox_acks ON outbox (rcpt, created_at) WHERE kind = 'ack';

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

/// The schema version `conn`'s database declares (0: none).
pub(super) fn version(conn: &Connection) -> Result<u32, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Refuses a database a newer pilah has used: this one does not know what changed.
pub(super) fn check(found: u32, path: &Path) -> Result<(), StoreError> {
    if found > CURRENT {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            known: CURRENT,
        });
    }
    Ok(())
}

/// Brings the database of `conn` (at `path`) to [`CURRENT`], or refuses it when it is newer.
pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let db = |source| StoreError::Db {
        path: path.to_path_buf(),
        source,
    };
    let found = version(conn).map_err(db)?;
    check(found, path)?;
    if found == CURRENT {
        return Ok(());
    }
    // Under the write lock, looking again: two processes opening an old database at once
    // must not both migrate it.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    let found = version(&tx).map_err(db)?;
    check(found, path)?;
    let state_dir = path.parent().unwrap_or(Path::new("."));
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        for step in m.steps {
            match step {
                Step::Code(f) => f(&tx, state_dir)?,
                _ => apply(&tx, step).map_err(db)?,
            }
        }
    }
    tx.pragma_update(None, "user_version", CURRENT)
        .map_err(db)?;
    tx.commit().map_err(db)?;
    if found > 0 {
        tracing::info!(step = "migrated", database = %path.display(), from = found, to = CURRENT, "database schema brought up to date");
    }
    Ok(())
}

fn apply(tx: &Transaction, step: &Step) -> Result<(), rusqlite::Error> {
    match step {
        Step::Sql(sql) => tx.execute_batch(sql),
        Step::Code(_) => Ok(()),
        Step::AddColumn {
            table,
            column,
            decl,
        } => {
            let present: i64 = tx.query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2",
                params![table, column],
                |r| r.get(0),
            )?;
            if present == 0 {
                tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {decl}"))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{
        MessageState, NewMessage, OriginalEncoding, Outgoing, Store, StoreError, TicketRecord,
    };
    use crate::types::{ImapUid, MailboxName};

    /// The schema each earlier pilah created, as its source had it (tests/fixtures/schema/).
    const EARLIER: [(u32, &str); 8] = [
        (1, include_str!("../../tests/fixtures/schema/v1.sql")),
        (2, include_str!("../../tests/fixtures/schema/v2.sql")),
        (3, include_str!("../../tests/fixtures/schema/v3.sql")),
        (4, include_str!("../../tests/fixtures/schema/v4.sql")),
        (5, include_str!("../../tests/fixtures/schema/v5.sql")),
        (6, include_str!("../../tests/fixtures/schema/v6.sql")),
        (7, include_str!("../../tests/fixtures/schema/v7.sql")),
        (8, include_str!("../../tests/fixtures/schema/v8.sql")),
    ];

    #[test]
    fn spam_from_a_robot_counted_as_machine_mail_before_7_is_counted_as_spam_after() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pilah.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(EARLIER[5].1).unwrap();
            c.execute_batch(
                "INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, fetched_at,
                     raw_path, state, category, machine)
                 VALUES (1, 'lapor', 7, 1, 'x', 1, '2024-03-01T00:00:00Z', '/nowhere', 'filed',
                     'spam', 'auto-generated'),
                        (2, 'lapor', 7, 2, 'y', 1, '2024-03-01T00:00:00Z', '/nowhere', 'filed',
                     NULL, 'bounce');",
            )
            .unwrap();
            c.pragma_update(None, "user_version", 6).unwrap();
            let before: String = c
                .query_row(
                    "SELECT outcome FROM message_counts WHERE category = 'spam'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(before, "machine");
        }
        let s = Store::open(dir.path()).unwrap();
        let want = [("lapor", "", "machine", 1), ("lapor", "spam", "filed", 1)]
            .map(|(a, b, c, n)| (a.to_string(), b.to_string(), c.to_string(), n));
        assert_eq!(s.metrics_figures().unwrap().messages, want);
    }

    #[test]
    fn a_message_recorded_before_9_has_no_spam_score_and_new_verdicts_keep_theirs() {
        use crate::spam::{Scan, SpamScore, Unscored};
        use crate::store::{MessageFilter, VerdictRecord};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pilah.sqlite");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(EARLIER[7].1).unwrap();
            c.execute_batch(
                "INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, fetched_at,
                     raw_path, state, category, internal_date)
                 VALUES (1, 'lapor', 7, 1, 'x', 1, '2024-03-01T00:00:00Z', '/nowhere', 'filed',
                     'dbh', '2024-03-01T00:00:00Z');",
            )
            .unwrap();
            c.pragma_update(None, "user_version", 8).unwrap();
        }
        let s = Store::open(dir.path()).unwrap();
        let mb = MailboxName("lapor".into());
        let verdict = crate::classify::Verdict {
            category: "spam".into(),
            rule: Some("spam-mesin-skor".into()),
            machine: None,
            route: Vec::new(),
            ack: None,
            folder: "Pilah/spam".into(),
            tags: Vec::new(),
            rules_version: "v".into(),
        };
        let scans = [
            Scan::Scored(SpamScore {
                score: 12.5,
                threshold: 5.0,
                symbols: vec!["GTUBE".into(), "MISSING_MID".into()],
            }),
            Scan::Unscored(Unscored::TooLarge {
                size: 2 << 20,
                max: 500 << 10,
            }),
        ];
        for (uid, scan) in (2..).zip(&scans) {
            let m = s
                .record(&NewMessage {
                    mailbox: &mb,
                    uid: ImapUid {
                        uidvalidity: 7,
                        uid,
                    },
                    raw: b"Subject: x\r\n\r\nx\r\n",
                    internal_date: Some(chrono::Utc::now()),
                    message_id: None,
                })
                .unwrap();
            s.transaction(|tx| {
                tx.record_verdict(
                    &VerdictRecord {
                        message_row: m.id,
                        verdict: &verdict,
                        quarantine: None,
                        sender: None,
                        sender_name: None,
                        subject: "x",
                        ticket: None,
                        relation: "new",
                        region: None,
                        ack_skipped: None,
                        spam: Some(scan),
                    },
                    &[],
                )
            })
            .unwrap();
        }
        let listed = s.list_messages(&MessageFilter::default()).unwrap();
        let spam: Vec<(Option<f64>, Vec<String>, Option<String>)> = listed
            .iter()
            .map(|m| {
                (
                    m.spam_score,
                    m.spam_symbols.clone(),
                    m.spam_unscored.clone(),
                )
            })
            .collect();
        assert_eq!(
            spam,
            [
                (None, vec![], None),
                (Some(12.5), vec!["GTUBE".into(), "MISSING_MID".into()], None),
                (
                    None,
                    vec![],
                    Some("unscored: 2048 KB is over spam.max_size_kb (500 KB)".into())
                ),
            ]
        );
    }

    /// Tables with their columns, and indexes with theirs: what a database looks like.
    fn shape(c: &Connection) -> Vec<String> {
        let mut st = c
            .prepare("SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
            .unwrap();
        let objects: Vec<(String, String, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let mut out = Vec::new();
        for (kind, name, table) in objects {
            let info = if kind == "table" {
                "SELECT name || ' ' || type || ' ' || \"notnull\" || ' ' || coalesce(dflt_value, '') || ' ' || pk FROM pragma_table_info(?1) ORDER BY cid"
            } else {
                "SELECT coalesce(name, '') FROM pragma_index_info(?1) ORDER BY seqno"
            };
            let cols: Vec<String> = c
                .prepare(info)
                .unwrap()
                .query_map([&name], |r| r.get(0))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            out.push(format!("{kind} {name} on {table}: {}", cols.join(", ")));
        }
        out
    }

    fn user_version(path: &Path) -> u32 {
        version(&Connection::open(path).unwrap()).unwrap()
    }

    #[test]
    fn a_new_database_declares_the_current_version() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(user_version(s.path()), CURRENT);
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(CURRENT));
        assert!(MIGRATIONS
            .windows(2)
            .all(|w| w[1].version == w[0].version + 1));
        let found = Store::inspect(s.path()).unwrap();
        assert_eq!((found.messages, found.version), (0, CURRENT));
    }

    #[test]
    fn every_earlier_schema_is_brought_up_to_date_and_works() {
        let fresh = tempfile::tempdir().unwrap();
        let want = shape(&Connection::open(Store::open(fresh.path()).unwrap().path()).unwrap());
        // As pilah left them before it declared versions (0), and as declared.
        for (v, sql) in EARLIER {
            for declared in [0, v] {
                let case = format!("schema {v}, declared {declared}");
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("pilah.sqlite");
                {
                    let c = Connection::open(&path).unwrap();
                    c.execute_batch(sql).unwrap();
                    // A classified message with its ticket, and its forward queued whole.
                    c.execute_batch(
                        "INSERT INTO messages (id, mailbox, uidvalidity, uid, message_id, sha256, size,
                             fetched_at, raw_path, state, ticket, sender, subject, category)
                         VALUES (1, 'lapor', 7, 1, 'a@b', 'x', 1, '2024-03-01T00:00:00Z', '/nowhere',
                             'classified', 'LPR-2024-000001', 'warga@example.org', 'laporan', 'dbh');
                         INSERT INTO ticket_seq VALUES ('LPR', 2024, 1);
                         INSERT INTO tickets (ticket, mailbox, category, unit, sender, opened_at)
                         VALUES ('LPR-2024-000001', 'lapor', 'dbh', 'dbh', 'warga@example.org',
                             '2024-03-01T00:00:00Z');
                         INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, unit,
                             body, created_at, next_attempt_at)
                         VALUES (1, 'forward', '<old>', '', '[\"pic@djpk.test\"]', 'dbh',
                             X'57484F4C45', '', '');",
                    )
                    .unwrap();
                    c.pragma_update(None, "user_version", declared).unwrap();
                }
                let s = Store::open(dir.path()).unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!(user_version(&path), CURRENT, "{case}");
                // The metrics count what was recorded before their counts were kept.
                let counted = s.metrics_figures().unwrap().messages;
                let want_counted = [("lapor", "dbh", "classified", 1)]
                    .map(|(a, b, c, n)| (a.to_string(), b.to_string(), c.to_string(), n));
                assert_eq!(counted, want_counted, "{case}");
                assert_eq!(shape(&Connection::open(&path).unwrap()), want, "{case}");
                // What was there is there: the queued forward goes out as it was queued, the
                // message is still classified, its ticket open, the numbers go on.
                let old = s.due(true, 0, 10).unwrap();
                assert_eq!(old.len(), 1, "{case}");
                assert_eq!(s.outbox_body(old[0].id).unwrap(), b"WHOLE", "{case}");
                let mb = MailboxName("lapor".into());
                let uid = |uid| ImapUid {
                    uidvalidity: 7,
                    uid,
                };
                let m = s.find(&mb, uid(1)).unwrap().expect("the old message");
                assert_eq!(m.state, MessageState::Classified, "{case}");
                let open: Vec<TicketRecord> = s.open_tickets(Some("dbh")).unwrap();
                assert_eq!(open.len(), 1, "{case}");
                // And what is new works: a message, its ticket, a forward with its original.
                let raw = b"Subject: baru\r\n\r\nisi\r\n";
                let new = s
                    .record(&NewMessage {
                        mailbox: &mb,
                        uid: uid(2),
                        raw,
                        internal_date: None,
                        message_id: Some("c@d"),
                    })
                    .unwrap();
                let t = s
                    .transaction(|tx| {
                        let t = tx.next_ticket("LPR", 2024)?;
                        tx.queue(
                            Some(new.id),
                            &Outgoing {
                                kind: crate::types::OutboxKind::Forward,
                                message_id: "<new>".into(),
                                env_from: String::new(),
                                rcpt: vec!["pic@djpk.test".into()],
                                unit: Some("dbh".into()),
                                body: b"HEAD".to_vec(),
                                original: Some((OriginalEncoding::AsIs, b"TAIL".to_vec())),
                            },
                        )?;
                        Ok(t)
                    })
                    .unwrap();
                assert_eq!(t.to_string(), "LPR-2024-000002", "{case}");
                let queued = s.due(true, old[0].id, 10).unwrap();
                assert_eq!(
                    s.outbox_body(queued[0].id).unwrap(),
                    [&b"HEAD"[..], raw, b"TAIL"].concat(),
                    "{case}"
                );
                drop(s);
                // Opening again changes nothing.
                Store::open(dir.path()).unwrap();
                assert_eq!(shape(&Connection::open(&path).unwrap()), want, "{case}");
            }
        }
    }

    /// A version-4 state directory: three messages recorded with raw files in the old
    /// layout (`raw/lapor/7/<uid>.eml`), the third's file missing, and a forward of the
    /// first waiting for its original.
    fn old_layout(dir: &Path) -> Vec<Vec<u8>> {
        let raws: Vec<Vec<u8>> = (1..=3)
            .map(|i| format!("Subject: {i}\r\n\r\nisi {i}\r\n").into_bytes())
            .collect();
        let old_dir = dir.join("raw/lapor/7");
        std::fs::create_dir_all(&old_dir).unwrap();
        let c = Connection::open(dir.join("pilah.sqlite")).unwrap();
        c.execute_batch(EARLIER[3].1).unwrap();
        for (i, raw) in raws.iter().enumerate() {
            let uid = i + 1;
            let path = old_dir.join(format!("{uid}.eml"));
            if uid != 3 {
                std::fs::write(&path, raw).unwrap();
            }
            c.execute(
                "INSERT INTO messages (id, mailbox, uidvalidity, uid, sha256, size, fetched_at,
                     raw_path, state)
                 VALUES (?1, 'lapor', 7, ?1, ?2, ?3, '2024-03-01T00:00:00Z', ?4, 'filed')",
                params![
                    uid as i64,
                    crate::store::sha256_hex(raw),
                    raw.len() as i64,
                    path.to_string_lossy()
                ],
            )
            .unwrap();
        }
        c.execute_batch(
            "INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, body, created_at,
                 next_attempt_at, original, body_tail)
             VALUES (1, 'forward', '<f>', '', '[]', X'48454144', '', '', 'rfc822', X'5441494C');",
        )
        .unwrap();
        c.pragma_update(None, "user_version", 4).unwrap();
        raws
    }

    fn raw_paths(path: &Path) -> Vec<String> {
        let c = Connection::open(path).unwrap();
        let mut st = c
            .prepare("SELECT raw_path FROM messages ORDER BY id")
            .unwrap();
        let rows = st.query_map([], |r| r.get(0)).unwrap();
        rows.map(|r| r.unwrap()).collect()
    }

    #[test]
    fn raw_files_of_the_old_layout_are_fanned_out_and_their_rows_follow() {
        let dir = tempfile::tempdir().unwrap();
        let raws = old_layout(dir.path());
        let s = Store::open(dir.path()).unwrap();
        let d = dir.path().display().to_string();
        assert_eq!(
            raw_paths(s.path()),
            [
                format!("{d}/raw/lapor/7/01/1.eml"),
                format!("{d}/raw/lapor/7/02/2.eml"),
                format!("{d}/raw/lapor/7/3.eml"),
            ],
            "the missing file's row is left as it was"
        );
        assert_eq!(
            std::fs::read(dir.path().join("raw/lapor/7/02/2.eml")).unwrap(),
            raws[1]
        );
        assert!(!dir.path().join("raw/lapor/7/1.eml").exists());
        // The forward finds its original at the new place.
        let item = s.due(true, 0, 10).unwrap()[0].id;
        assert_eq!(
            s.outbox_body(item).unwrap(),
            [&b"HEAD"[..], &raws[0], b"TAIL"].concat()
        );
        // New messages go to the new layout; the moved directories are private.
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("raw/lapor/7/01"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn a_fan_out_cut_short_is_finished_at_the_next_start() {
        let dir = tempfile::tempdir().unwrap();
        let raws = old_layout(dir.path());
        // As a crash leaves it: the first file moved, the database not yet told.
        std::fs::create_dir_all(dir.path().join("raw/lapor/7/01")).unwrap();
        std::fs::rename(
            dir.path().join("raw/lapor/7/1.eml"),
            dir.path().join("raw/lapor/7/01/1.eml"),
        )
        .unwrap();
        let s = Store::open(dir.path()).unwrap();
        let d = dir.path().display().to_string();
        assert_eq!(
            raw_paths(s.path())[..2],
            [
                format!("{d}/raw/lapor/7/01/1.eml"),
                format!("{d}/raw/lapor/7/02/2.eml"),
            ]
        );
        let item = s.due(true, 0, 10).unwrap()[0].id;
        assert_eq!(
            s.outbox_body(item).unwrap(),
            [&b"HEAD"[..], &raws[0], b"TAIL"].concat()
        );
        drop(s);
        // Opening again moves nothing.
        Store::open(dir.path()).unwrap();
        assert_eq!(
            raw_paths(&dir.path().join("pilah.sqlite"))[0],
            format!("{d}/raw/lapor/7/01/1.eml")
        );
    }

    #[test]
    fn a_database_of_a_newer_pilah_is_refused_and_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = Store::open(dir.path()).unwrap().path().to_path_buf();
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", CURRENT + 1)
            .unwrap();
        let Err(e) = Store::open(dir.path()) else {
            panic!("a newer database was opened");
        };
        assert!(matches!(e, StoreError::TooNew { .. }), "{e}");
        let text = e.to_string();
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(
            text.contains(&format!("schema version {}", CURRENT + 1)),
            "{text}"
        );
        assert!(text.contains(&format!("up to {CURRENT}")), "{text}");
        assert!(text.contains("upgrade pilah or restore a backup"), "{text}");
        assert_eq!(user_version(&path), CURRENT + 1, "left as it is");
        // pilah doctor says the same.
        let e = Store::inspect(&path).unwrap_err().to_string();
        assert!(e.contains("upgrade pilah or restore a backup"), "{e}");
    }

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
