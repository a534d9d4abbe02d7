//! Prometheus metrics over HTTP on a loopback address (`[metrics] listen`), off by default.
//!
//! A deliberately tiny HTTP/1.1 responder: one `GET /metrics` per connection, text format
//! 0.0.4. Counts come from the database at scrape time, so they survive restarts: from
//! counts the store keeps as pilah works, so that a scrape costs the same at any size.
//!
//! Owns the metric names, their help texts and labels, and the responder. It reads the
//! database's figures through [`Store::metrics_figures`] and the rest through [`Figures`],
//! which the daemon's shared state implements: it must not import the daemon, nor run SQL.

use crate::health::{Health, MailboxHealth};
use crate::store::{MetricsFigures, Store};
use std::collections::BTreeMap;
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

/// One metric family: its HELP and TYPE lines, then a sample per set of labels.
fn family<V: std::fmt::Display>(
    o: &mut String,
    name: &str,
    kind: &str,
    help: &str,
    samples: impl IntoIterator<Item = (String, V)>,
) {
    let _ = writeln!(o, "# HELP {name} {help}");
    let _ = writeln!(o, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(o, "{name} {value}");
        } else {
            let _ = writeln!(o, "{name}{{{labels}}} {value}");
        }
    }
}

/// `key="value",…` with each value escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", label(v)))
        .collect::<Vec<_>>()
        .join(",")
}

/// A sample without labels.
fn single<V>(value: V) -> [(String, V); 1] {
    [(String::new(), value)]
}

/// The metrics, in Prometheus text format.
pub fn render(shared: &impl Figures) -> String {
    let mut o = String::new();
    // Without the database's figures, the rest is still worth serving.
    if let Ok(figures) = shared.store().metrics_figures() {
        store_families(&mut o, figures);
    }
    health_families(&mut o, &shared.health().snapshot());
    family(
        &mut o,
        "pilah_rules_reload_failures_total",
        "counter",
        "Rule reloads refused because of errors.",
        single(shared.health().reload_failures.load(Ordering::Relaxed)),
    );
    family(
        &mut o,
        "pilah_notice_failures_total",
        "counter",
        "pilah's own notices (reminders, digests, alerts) that could not be composed and were not sent.",
        single(crate::act::notice::failures()),
    );
    let version = labels(&[("version", &shared.rules_version())]);
    family(
        &mut o,
        "pilah_rules_info",
        "gauge",
        "The rules set in use.",
        [(version, 1)],
    );
    o
}

/// The families counted in the database: messages, mail sent, the outbox.
fn store_families(o: &mut String, f: MetricsFigures) {
    family(
        o,
        "pilah_messages_total",
        "counter",
        "Messages recorded, by mailbox, category and outcome.",
        f.messages.iter().map(|(mb, cat, outcome, n)| {
            let l = labels(&[("mailbox", mb), ("category", cat), ("outcome", outcome)]);
            (l, *n)
        }),
    );
    family(
        o,
        "pilah_sent_total",
        "counter",
        "Mail sent, by kind (forward, ack, reminder, ...).",
        f.sent
            .iter()
            .map(|(kind, n)| (labels(&[("kind", kind)]), *n)),
    );
    family(
        o,
        "pilah_outbox_pending",
        "gauge",
        "Mail waiting to be sent.",
        single(f.pending),
    );
    let age = f
        .oldest_pending
        .map(|t| (chrono::Utc::now() - t).num_seconds().max(0))
        .unwrap_or(0);
    family(
        o,
        "pilah_outbox_oldest_age_seconds",
        "gauge",
        "Age of the oldest mail waiting to be sent.",
        single(age),
    );
    family(
        o,
        "pilah_outbox_failed_total",
        "counter",
        "Mail the server refused for good.",
        single(f.failed),
    );
}

/// The families kept in memory per mailbox: connection, last success, reconnects, restarts.
fn health_families(o: &mut String, health: &BTreeMap<String, MailboxHealth>) {
    let per_mailbox = |value: fn(&MailboxHealth) -> String| {
        health
            .iter()
            .map(move |(mb, h)| (labels(&[("mailbox", mb)]), value(h)))
    };
    family(
        o,
        "pilah_mailbox_up",
        "gauge",
        "Whether the mailbox's connection is up.",
        per_mailbox(|h| u8::from(h.connected).to_string()),
    );
    family(
        o,
        "pilah_mailbox_last_success_timestamp_seconds",
        "gauge",
        "Last successful fetch.",
        per_mailbox(|h| {
            h.last_success
                .map(|t| t.timestamp())
                .unwrap_or(0)
                .to_string()
        }),
    );
    family(
        o,
        "pilah_reconnects_total",
        "counter",
        "Connection failures followed by a reconnect.",
        per_mailbox(|h| h.reconnects.to_string()),
    );
    family(
        o,
        "pilah_spam_held_messages",
        "gauge",
        "New messages waiting in the mailbox for the spam engine ([spam] required = true).",
        per_mailbox(|h| h.held.to_string()),
    );
    family(
        o,
        "pilah_mailbox_task_restarts_total",
        "counter",
        "Mailbox tasks that ended abnormally (a panic) and were started again.",
        per_mailbox(|h| h.restarts.to_string()),
    );
}
