//! Prometheus metrics over HTTP on a loopback address (`[metrics] listen`), off by default.
//!
//! A deliberately tiny HTTP/1.1 responder: one `GET /metrics` per connection, text format
//! 0.0.4. Counts come from the database at scrape time, so they survive restarts: from
//! counts the store keeps as pilah works, so that a scrape costs the same at any size.
//!
//! Owns the metric names, their help texts and labels, and the responder. It reads the
//! database's figures through [`Store::metrics_figures`] and the rest through [`Figures`],
//! which the daemon's shared state implements: it must not import the daemon, nor run SQL.

use crate::health::Health;
use crate::store::{MetricsFigures, Store};
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// What the metrics are read from (the daemon's shared state).
pub trait Figures: Send + Sync + 'static {
    fn store(&self) -> &Store;
    fn health(&self) -> &Health;
    /// The version of the rules set in use.
    fn rules_version(&self) -> String;
}

pub async fn serve<F: Figures>(shared: Arc<F>, addr: SocketAddr, stop: watch::Receiver<bool>) {
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
                        ("200 OK", render(shared.as_ref()))
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
pub fn render(shared: &impl Figures) -> String {
    let mut o = String::new();
    // Without the database's figures, the rest is still worth serving.
    if let Ok(MetricsFigures {
        messages,
        pending,
        oldest_pending: oldest,
        failed,
        sent,
    }) = shared.store().metrics_figures()
    {
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
            .map(|t| (chrono::Utc::now() - t).num_seconds().max(0))
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
    let health = shared.health().snapshot();
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
        shared.health().reload_failures.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        o,
        "# HELP pilah_notice_failures_total pilah's own notices (reminders, digests, alerts) that could not be composed and were not sent."
    );
    let _ = writeln!(o, "# TYPE pilah_notice_failures_total counter");
    let _ = writeln!(
        o,
        "pilah_notice_failures_total {}",
        crate::act::notice::failures()
    );
    let _ = writeln!(o, "# HELP pilah_rules_info The rules set in use.");
    let _ = writeln!(o, "# TYPE pilah_rules_info gauge");
    let _ = writeln!(
        o,
        "pilah_rules_info{{version=\"{}\"}} 1",
        label(&shared.rules_version())
    );
    o
}
