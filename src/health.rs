//! What the daemon knows about its own health: each mailbox loop's state and heartbeat, and
//! counters. It feeds systemd (READY, STATUS, WATCHDOG), the metrics endpoint, and the log.
//!
//! It must not decide anything: it records and reports what the loops tell it.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct MailboxHealth {
    /// "connecting", "fetching", "idle", "reconnecting in 4 s", …
    pub state: String,
    pub connected: bool,
    pub connected_once: bool,
    /// Last time the loop showed it is alive (not stuck in a network operation).
    pub last_beat: Instant,
    pub last_success: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub reconnects: u64,
    /// The mailbox task ended (a panic) and was started again.
    pub restarts: u64,
    /// New messages waiting in the mailbox for the spam engine after the last pass
    /// (`[spam] required = true` and the engine down).
    pub held: usize,
}

#[derive(Debug)]
pub struct Health {
    mailboxes: Mutex<BTreeMap<String, MailboxHealth>>,
    pub reload_failures: AtomicU64,
    pub started: Instant,
}

impl Health {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Health {
        let now = Instant::now();
        Health {
            mailboxes: Mutex::new(
                names
                    .into_iter()
                    .map(|n| {
                        (
                            n.to_string(),
                            MailboxHealth {
                                state: "starting".into(),
                                connected: false,
                                connected_once: false,
                                last_beat: now,
                                last_success: None,
                                last_error: None,
                                reconnects: 0,
                                restarts: 0,
                                held: 0,
                            },
                        )
                    })
                    .collect(),
            ),
            reload_failures: AtomicU64::new(0),
            started: now,
        }
    }

    fn with(&self, mailbox: &str, f: impl FnOnce(&mut MailboxHealth)) {
        let mut m = self.mailboxes.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(h) = m.get_mut(mailbox) {
            h.last_beat = Instant::now();
            f(h);
        }
    }

    /// The loop is alive; `state` says what it does now.
    pub fn state(&self, mailbox: &str, state: &str) {
        self.with(mailbox, |h| h.state = state.to_string());
    }

    pub fn beat(&self, mailbox: &str) {
        self.with(mailbox, |_| {});
    }

    pub fn connected(&self, mailbox: &str) {
        self.with(mailbox, |h| {
            h.connected = true;
            h.connected_once = true;
        });
    }

    pub fn success(&self, mailbox: &str) {
        self.with(mailbox, |h| {
            h.last_success = Some(Utc::now());
            h.last_error = None;
        });
    }

    /// How many new messages the last pass left waiting for the spam engine.
    pub fn held(&self, mailbox: &str, held: usize) {
        self.with(mailbox, |h| h.held = held);
    }

    pub fn failed(&self, mailbox: &str, error: &str, retry_in: Duration) {
        self.with(mailbox, |h| {
            h.connected = false;
            h.reconnects += 1;
            h.last_error = Some(error.to_string());
            h.state = format!("reconnecting in {} s", retry_in.as_secs());
        });
    }

    /// The mailbox task ended abnormally (`why`) and is started again in `retry_in`.
    pub fn crashed(&self, mailbox: &str, why: &str, retry_in: Duration) {
        self.with(mailbox, |h| {
            h.connected = false;
            h.restarts += 1;
            h.last_error = Some(why.to_string());
            h.state = format!("restarting in {} s after a crash", retry_in.as_secs());
        });
    }

    pub fn snapshot(&self) -> BTreeMap<String, MailboxHealth> {
        self.mailboxes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn all_connected_once(&self) -> bool {
        self.snapshot().values().all(|h| h.connected_once)
    }

    /// No mailbox loop has been silent for longer than `limit`.
    pub fn alive(&self, limit: Duration) -> bool {
        self.snapshot()
            .values()
            .all(|h| h.last_beat.elapsed() <= limit)
    }

    /// "lapor: idle; callcenter: reconnecting in 4 s (login refused); outbox: 2 queued".
    pub fn status_line(&self, outbox_pending: i64) -> String {
        let mut parts: Vec<String> = self
            .snapshot()
            .iter()
            .map(|(name, h)| match (&h.last_error, h.connected) {
                (Some(e), false) => {
                    let e: String = e.chars().take(80).collect();
                    format!("{name}: {} ({e})", h.state)
                }
                _ if h.held > 0 => {
                    format!("{name}: {} ({} held for the spam engine)", h.state, h.held)
                }
                _ => format!("{name}: {}", h.state),
            })
            .collect();
        parts.push(format!("outbox: {outbox_pending} queued"));
        parts.join("; ")
    }

    /// A rules reload was refused (counted for the metrics).
    pub fn reload_refused(&self) {
        self.reload_failures.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_names_each_mailbox() {
        let h = Health::new(["lapor", "callcenter"]);
        h.connected("lapor");
        h.state("lapor", "idle");
        h.failed("callcenter", "login refused", Duration::from_secs(4));
        assert_eq!(
            h.status_line(2),
            "callcenter: reconnecting in 4 s (login refused); lapor: idle; outbox: 2 queued"
        );
        assert!(!h.all_connected_once());
        assert!(h.alive(Duration::from_secs(60)));
        h.held("lapor", 3);
        assert_eq!(
            h.status_line(0),
            "callcenter: reconnecting in 4 s (login refused); lapor: idle (3 held for the spam engine); outbox: 0 queued"
        );
        h.crashed("lapor", "panic: boom", Duration::from_secs(2));
        assert_eq!(
            h.status_line(0),
            "callcenter: reconnecting in 4 s (login refused); lapor: restarting in 2 s after a crash (panic: boom); outbox: 0 queued"
        );
        assert_eq!(h.snapshot()["lapor"].restarts, 1);
    }
}
