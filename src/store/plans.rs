//! The query plans of the store's reads: every statement that the report, `pilah messages`,
//! `pilah ticket show`, the metrics, a drain and the daemon's housekeeping run is recorded as it runs (SQLite's trace)
//! on a populated database, then planned again with `EXPLAIN QUERY PLAN`; none may walk all
//! of `messages` or `outbox`. Statements are planned as the store prepares them, with
//! placeholders and without `ANALYZE` statistics, as on an administrator's database.

use super::*;
use crate::types::{ImapUid, MailboxName};
use rusqlite::trace::{TraceEvent, TraceEventCodes};
use std::collections::BTreeSet;

/// Partial indexes that hold only a small part of their table: walking one is not walking
/// the history (alerts and quarantined messages only).
const SMALL_PARTIAL: [&str; 4] = [
    "outbox_alert_digests",
    "outbox_alerts",
    "outbox_alerted",
    "messages_quarantined",
];

/// Two mailboxes, six months of messages (people's, machine mail, quarantined, follow-ups),
/// each with a forward and an acknowledgement, sent, waiting or failed, and their tickets.
pub(super) fn populate(s: &Store) {
    s.conn()
        .execute_batch(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
             INSERT INTO messages (id, mailbox, uidvalidity, uid, message_id, sha256, size,
                 internal_date, fetched_at, raw_path, state, sender, subject, category, rule,
                 rules_version, machine, quarantine, region, region_source, ticket, relation,
                 folder, route, classified_at, filed_at)
             SELECT i, CASE i % 2 WHEN 0 THEN 'lapor' ELSE 'callcenter' END, 7, i,
                 'm' || i || '@example.org', printf('%064x', i), 1000 + i,
                 strftime('%Y-%m-%dT%H:%M:%SZ', '2025-01-01', '+' || (i * 90) || ' minutes'),
                 strftime('%Y-%m-%dT%H:%M:%SZ', '2025-01-01', '+' || (i * 90 + 1) || ' minutes'),
                 '/nowhere/' || i || '.eml',
                 CASE WHEN i % 97 = 0 THEN 'classified' ELSE 'filed' END,
                 'warga' || (i % 300) || '@example.org', 'laporan ' || i,
                 CASE i % 5 WHEN 0 THEN 'dbh' WHEN 1 THEN 'dau' ELSE 'umum' END, 'r' || (i % 5), 'v1',
                 CASE WHEN i % 13 = 0 THEN 'bounce' END,
                 CASE WHEN i % 101 = 0 THEN 'too large' END,
                 'Jawa Barat', 'domain',
                 'LPR-2025-' || printf('%06d', CASE WHEN i % 6 = 0 THEN i - 2 ELSE i END),
                 CASE WHEN i % 6 = 0 THEN 'follow-up' ELSE 'new' END,
                 'Pilah/x', 'dbh', 
                 strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', '+' || (i * 90 + 2) || ' minutes'),
                 strftime('%Y-%m-%dT%H:%M:%fZ', '2025-01-01', '+' || (i * 90 + 3) || ' minutes')
             FROM n;
             INSERT INTO tickets (ticket, mailbox, category, unit, sender, opened_at, forwarded)
             SELECT ticket, mailbox, category, 'dbh', sender, internal_date, 1 FROM messages
             WHERE relation = 'new';
             INSERT INTO outbox (message_row, kind, message_id, env_from, rcpt, unit, body,
                 created_at, next_attempt_at, sent_at, failed_at)
             SELECT id, k.kind, '<' || ticket || '.' || k.kind || '.' || id || '@djpk.test>', '',
                 '[\"pic@djpk.test\"]', 'dbh', X'00', classified_at, classified_at,
                 CASE WHEN id % 50 != 0 THEN classified_at END,
                 CASE WHEN id % 100 = 0 THEN classified_at END
             FROM messages, (SELECT 'forward' AS kind UNION ALL SELECT 'ack') k;",
        )
        .unwrap();
}

/// Every statement `run` makes the store prepare (on both connections), in order.
fn statements(s: &Store, run: impl FnOnce()) -> Vec<String> {
    let seen = Arc::new(Mutex::new(Vec::<String>::new()));
    for mut conn in [s.conn(), s.outbox_conn()] {
        let seen = seen.clone();
        conn.trace_v2(
            TraceEventCodes::SQLITE_TRACE_STMT,
            Some(move |e: TraceEvent<'_>| {
                if let TraceEvent::Stmt(st, _) = e {
                    seen.lock().unwrap().push(st.sql().into_owned());
                }
            }),
        )
        .unwrap();
    }
    run();
    for mut conn in [s.conn(), s.outbox_conn()] {
        conn.trace_v2(TraceEventCodes::empty(), None::<fn(TraceEvent<'_>)>)
            .unwrap();
    }
    let out = seen.lock().unwrap().clone();
    out
}

/// The plan's lines that walk a whole `messages` or `outbox` (under a name or an alias),
/// or a mailbox's whole history (an index searched by the mailbox alone, or by the mailbox
/// and its UIDVALIDITY: what the report's months and settle_moved did before schema 5).
fn full_scans(plan: &[String]) -> Vec<String> {
    plan.iter()
        .filter(|line| {
            let mut w = line.split_whitespace();
            let op = w.next();
            let ours = w
                .next()
                .is_some_and(|t| ["messages", "outbox", "m", "o"].contains(&t));
            let small = SMALL_PARTIAL.iter().any(|i| line.contains(i));
            let mailbox_wide = line.ends_with("(mailbox=?)")
                || (line.ends_with("(mailbox=? AND uidvalidity=?)")
                    && !line.contains("messages_unfiled"));
            ours && !small && (op == Some("SCAN") || (op == Some("SEARCH") && mailbox_wide))
        })
        .cloned()
        .collect()
}

#[test]
fn no_read_of_the_report_messages_tickets_metrics_or_a_drain_walks_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let s = Store::open(dir.path()).unwrap();
    populate(&s);
    let month = |m: u32| ReportScope {
        mailbox: "lapor",
        from: chrono::NaiveDate::from_ymd_opt(2025, m, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
        to: chrono::NaiveDate::from_ymd_opt(2025, m + 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
    };
    let mb = MailboxName("lapor".into());
    let sql = statements(&s, || {
        // The report.
        let scope = month(3);
        assert!(!s.report_people(&scope).unwrap().is_empty());
        s.report_categories(&scope).unwrap();
        s.report_rules_versions(&scope).unwrap();
        s.report_apart(&scope).unwrap();
        assert!(!s.report_mail(&scope).unwrap().is_empty());
        s.report_tickets(&scope).unwrap();
        s.messages_in(&scope).unwrap();
        s.imported_counts("lapor", "2025-03").unwrap();
        // pilah messages: a month, a mailbox's month (without a month, the listing is the
        // history, or a mailbox's: walking it is what was asked).
        // A search: within a month (by sender, subject words, category, unit), or by ticket.
        let range = Some((scope.from, scope.to));
        for (m, r) in [(None, range), (Some("lapor"), range)] {
            let f = MessageFilter {
                mailbox: m,
                range: r,
                ..Default::default()
            };
            assert!(!s.list_messages(&f).unwrap().is_empty());
            let search = MessageFilter {
                sender: Some("warga1"),
                subject_words: vec!["laporan", "1"],
                category: Some("dbh"),
                unit: Some("dbh"),
                ..f
            };
            s.list_messages(&search).unwrap();
        }
        let by_ticket = MessageFilter {
            ticket: Some("LPR-2025-000100"),
            ..Default::default()
        };
        assert_eq!(s.list_messages(&by_ticket).unwrap().len(), 2);
        assert!(!s.recorded_categories().unwrap().is_empty());
        // pilah ticket show, and the ticket lookups of a drain.
        let h = s.ticket_history("LPR-2025-000100").unwrap().unwrap();
        assert_eq!(h.mail.len(), 4, "{:?}", h.mail);
        s.open_tickets(Some("dbh")).unwrap();
        assert!(!s.open_tickets_listed(None).unwrap().is_empty());
        s.follow_up_state("LPR-2025-000100").unwrap();
        s.first_forward(199, "dbh").unwrap();
        s.outbox_has("<x>").unwrap();
        // The metrics.
        s.metrics_figures().unwrap();
        // A drain: what is known, what moved, what to send, the caps.
        s.find(
            &mb,
            ImapUid {
                uidvalidity: 7,
                uid: 2,
            },
        )
        .unwrap();
        s.record(&NewMessage {
            mailbox: &mb,
            uid: ImapUid {
                uidvalidity: 8,
                uid: 1,
            },
            raw: b"Subject: x\r\n\r\nisi\r\n",
            internal_date: None,
            message_id: Some("new@example.org"),
        })
        .unwrap();
        s.settle_moved(&mb, 7, &[2, 4]).unwrap();
        s.due(true, 0, 200).unwrap();
        // Retention: what is old enough, and its removal (files that are not there).
        let old = chrono::NaiveDate::from_ymd_opt(2025, 2, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc();
        assert!(s.prunable(old).unwrap().messages > 0);
        assert!(s.prune(old, true).unwrap().missing > 0);
        assert_eq!(s.prune(old, true).unwrap().messages, 0);
        // pilah outbox list|retry|cancel.
        assert!(!s.unsent(false).unwrap().is_empty());
        s.unsent(true).unwrap();
        s.retry_outbox(100).unwrap();
        s.cancel_outbox(50).unwrap();
        s.pending_count().unwrap();
        s.release_sent_bodies(Utc::now() - chrono::Duration::days(200))
            .unwrap();
        s.quarantined_without_alert(Utc::now(), Utc::now() - chrono::Duration::days(400))
            .unwrap();
        s.transaction(|tx| {
            tx.acks_since("warga1@example.org", Utc::now())?;
            tx.all_acks_since(Utc::now())?;
            tx.alerts_since(Utc::now())?;
            tx.ticket_of_message_id("LPR-2025-000001.forward.1@djpk.test")?;
            tx.ticket_of_earlier_copy(5, "m5@example.org", "warga5@example.org", "laporan 5")?;
            tx.ticket("LPR-2025-000001")?;
            Ok(())
        })
        .unwrap();
    });
    let planner = rusqlite::Connection::open(s.path()).unwrap();
    let mut scans = Vec::new();
    let mut planned = BTreeSet::new();
    for q in sql {
        let head = q.trim_start().to_ascii_uppercase();
        if !["SELECT", "WITH", "UPDATE", "DELETE", "INSERT"]
            .iter()
            .any(|k| head.starts_with(k))
            || !planned.insert(q.clone())
        {
            continue;
        }
        let mut st = planner
            .prepare(&format!("EXPLAIN QUERY PLAN {q}"))
            .unwrap_or_else(|e| panic!("{q}: {e}"));
        let mut rows = st.raw_query();
        let mut plan = Vec::new();
        while let Some(r) = rows.next().unwrap() {
            plan.push(r.get::<_, String>(3).unwrap());
        }
        for line in full_scans(&plan) {
            scans.push(format!("{line}\n  in: {q}\n  plan: {plan:?}"));
        }
    }
    assert!(planned.len() > 25, "only {} statements seen", planned.len());
    assert!(scans.is_empty(), "full scans:\n{}", scans.join("\n"));
}
