//! Prometheus metrics over HTTP on a loopback address (`[metrics] listen`), off by default.
//!
//! A deliberately tiny HTTP/1.1 responder: one `GET /metrics` per connection, text format
//! 0.0.4. Counts come from the database at scrape time, so they survive restarts.

use crate::daemon::Shared;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

pub async fn serve(shared: Arc<Shared>, addr: SocketAddr, stop: watch::Receiver<bool>) {
    let listener = match TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(step = "metrics-failed", %addr, error = %e, "cannot serve metrics");
            return;
        }
    };
    tracing::info!(step = "metrics", %addr, "serving metrics on http://{addr}/metrics");
    let mut stop = stop;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut sock, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 2048];
                    let n = match tokio::time::timeout(std::time::Duration::from_secs(5), sock.read(&mut buf)).await {
                        Ok(Ok(n)) => n,
                        _ => return,
                    };
                    let req = String::from_utf8_lossy(&buf[..n]);
                    let (status, body) = if req.starts_with("GET /metrics ") || req.starts_with("GET / ") {
                        ("200 OK", render(&shared))
                    } else {
                        ("404 Not Found", "see /metrics\n".to_string())
                    };
                    let resp = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(resp.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
            _ = stop.changed() => return,
        }
    }
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', " ")
}

/// The metrics, in Prometheus text format.
pub fn render(shared: &Shared) -> String {
    let mut o = String::new();
    let rows = shared.store.read(|tx| {
        let mut st = tx.raw().prepare(
            "SELECT mailbox, coalesce(category, ''),
                    CASE WHEN quarantine IS NOT NULL THEN 'quarantined'
                         WHEN machine IS NOT NULL THEN 'machine'
                         WHEN state = 'filed' THEN 'filed'
                         ELSE state END,
                    count(*)
             FROM messages GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )?;
        let r = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        let pending: (i64, Option<String>) = tx.raw().query_row(
            "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let failed: i64 = tx.raw().query_row("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL", [], |r| r.get(0))?;
        let mut st = tx.raw().prepare("SELECT kind, count(*) FROM outbox WHERE sent_at IS NOT NULL GROUP BY kind ORDER BY kind")?;
        let sent = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok((r, pending, failed, sent))
    });
    if let Ok((messages, (pending, oldest), failed, sent)) = rows {
        let _ = writeln!(
            o,
            "# HELP pilah_messages_total Messages recorded, by mailbox, category and outcome."
        );
        let _ = writeln!(o, "# TYPE pilah_messages_total counter");
        for (mb, cat, outcome, n) in messages {
            let _ = writeln!(
                o,
                "pilah_messages_total{{mailbox=\"{}\",category=\"{}\",outcome=\"{}\"}} {n}",
                label(&mb),
                label(&cat),
                label(&outcome)
            );
        }
        let _ = writeln!(
            o,
            "# HELP pilah_sent_total Mail sent, by kind (forward, ack, reminder, ...)."
        );
        let _ = writeln!(o, "# TYPE pilah_sent_total counter");
        for (kind, n) in sent {
            let _ = writeln!(o, "pilah_sent_total{{kind=\"{}\"}} {n}", label(&kind));
        }
        let _ = writeln!(o, "# HELP pilah_outbox_pending Mail waiting to be sent.");
        let _ = writeln!(o, "# TYPE pilah_outbox_pending gauge");
        let _ = writeln!(o, "pilah_outbox_pending {pending}");
        let age = oldest
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| {
                (chrono::Utc::now() - t.with_timezone(&chrono::Utc))
                    .num_seconds()
                    .max(0)
            })
            .unwrap_or(0);
        let _ = writeln!(
            o,
            "# HELP pilah_outbox_oldest_age_seconds Age of the oldest mail waiting to be sent."
        );
        let _ = writeln!(o, "# TYPE pilah_outbox_oldest_age_seconds gauge");
        let _ = writeln!(o, "pilah_outbox_oldest_age_seconds {age}");
        let _ = writeln!(
            o,
            "# HELP pilah_outbox_failed_total Mail the server refused for good."
        );
        let _ = writeln!(o, "# TYPE pilah_outbox_failed_total counter");
        let _ = writeln!(o, "pilah_outbox_failed_total {failed}");
    }
    let health = shared.health.snapshot();
    let _ = writeln!(
        o,
        "# HELP pilah_mailbox_up Whether the mailbox's connection is up."
    );
    let _ = writeln!(o, "# TYPE pilah_mailbox_up gauge");
    for (mb, h) in &health {
        let _ = writeln!(
            o,
            "pilah_mailbox_up{{mailbox=\"{}\"}} {}",
            label(mb),
            u8::from(h.connected)
        );
    }
    let _ = writeln!(
        o,
        "# HELP pilah_mailbox_last_success_timestamp_seconds Last successful fetch."
    );
    let _ = writeln!(
        o,
        "# TYPE pilah_mailbox_last_success_timestamp_seconds gauge"
    );
    for (mb, h) in &health {
        let t = h.last_success.map(|t| t.timestamp()).unwrap_or(0);
        let _ = writeln!(
            o,
            "pilah_mailbox_last_success_timestamp_seconds{{mailbox=\"{}\"}} {t}",
            label(mb)
        );
    }
    let _ = writeln!(
        o,
        "# HELP pilah_reconnects_total Connection failures followed by a reconnect."
    );
    let _ = writeln!(o, "# TYPE pilah_reconnects_total counter");
    for (mb, h) in &health {
        let _ = writeln!(
            o,
            "pilah_reconnects_total{{mailbox=\"{}\"}} {}",
            label(mb),
            h.reconnects
        );
    }
    let _ = writeln!(
        o,
        "# HELP pilah_mailbox_task_restarts_total Mailbox tasks that ended abnormally (a panic) and were started again."
    );
    let _ = writeln!(o, "# TYPE pilah_mailbox_task_restarts_total counter");
    for (mb, h) in &health {
        let _ = writeln!(
            o,
            "pilah_mailbox_task_restarts_total{{mailbox=\"{}\"}} {}",
            label(mb),
            h.restarts
        );
    }
    let _ = writeln!(
        o,
        "# HELP pilah_rules_reload_failures_total Rule reloads refused because of errors."
    );
    let _ = writeln!(o, "# TYPE pilah_rules_reload_failures_total counter");
    let _ = writeln!(
        o,
        "pilah_rules_reload_failures_total {}",
        shared.health.reload_failures.load(Ordering::Relaxed)
    );
    let _ = writeln!(o, "# HELP pilah_rules_info The rules set in use.");
    let _ = writeln!(o, "# TYPE pilah_rules_info gauge");
    let _ = writeln!(
        o,
        "pilah_rules_info{{version=\"{}\"}} 1",
        label(&shared.rules().version)
    );
    o
}
