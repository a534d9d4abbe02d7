//! Sending the outbox over SMTP, with retries and backoff.
//!
//! Each queued message is marked sent in the database right after the server accepted it:
//! the only window in which a crash can send something twice is between the server's `250`
//! and that commit. The stable Message-ID makes such a duplicate recognisable.

use crate::config::{Security, SmtpConfig};
use crate::store::{OutboxItem, Store, StoreError};
use chrono::Utc;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("smtp {host}:{port}: {source}")]
    Smtp {
        host: String,
        port: u16,
        source: lettre::transport::smtp::Error,
    },
    #[error("smtp.ca_file {path}: {detail}")]
    Ca { path: String, detail: String },
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("outbox item {id}: bad address {address:?}")]
    Address { id: i64, address: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The SMTP submission server, with pooled connections.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    port: u16,
}

impl Smtp {
    pub fn new(cfg: &SmtpConfig, timeout: Duration) -> Result<Smtp, SendError> {
        let tls_params = || -> Result<TlsParameters, SendError> {
            let mut b = TlsParameters::builder(cfg.host.clone());
            if let Some(path) = &cfg.ca_file {
                let ca_err = |detail: String| SendError::Ca {
                    path: path.display().to_string(),
                    detail,
                };
                let pem = std::fs::read(path).map_err(|e| ca_err(e.to_string()))?;
                let cert = Certificate::from_pem(&pem).map_err(|e| ca_err(e.to_string()))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls().map_err(|source| SendError::Smtp {
                host: cfg.host.clone(),
                port: cfg.port,
                source,
            })
        };
        let tls = match cfg.security {
            Security::Plain => Tls::None,
            Security::Starttls => Tls::Required(tls_params()?),
            Security::Tls => Tls::Wrapper(tls_params()?),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(cfg.host.clone())
            .port(cfg.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
            b = b.credentials(Credentials::new(user.clone(), pass.read("smtp.password")?));
        }
        Ok(Smtp {
            transport: b.build(),
            host: cfg.host.clone(),
            port: cfg.port,
        })
    }

    fn err(&self, source: lettre::transport::smtp::Error) -> SendError {
        SendError::Smtp {
            host: self.host.clone(),
            port: self.port,
            source,
        }
    }

    /// Connects and says hello (for `doctor` and start-up checks).
    pub async fn check(&self) -> Result<(), SendError> {
        self.transport
            .test_connection()
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub async fn send(&self, item: &OutboxItem) -> Result<(), SendError> {
        let from = if item.env_from.is_empty() {
            None
        } else {
            Some(
                item.env_from
                    .parse::<Address>()
                    .map_err(|_| SendError::Address {
                        id: item.id,
                        address: item.env_from.clone(),
                    })?,
            )
        };
        let to = item
            .rcpt
            .iter()
            .map(|r| {
                r.parse::<Address>().map_err(|_| SendError::Address {
                    id: item.id,
                    address: r.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(from, to).map_err(|_| SendError::Address {
            id: item.id,
            address: item.rcpt.join(","),
        })?;
        self.transport
            .send_raw(&envelope, &item.body)
            .await
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// The ticket of an outgoing Message-ID (`<LPR-2024-000123.ack@…>`), for the log.
fn ticket_of(message_id: &str) -> &str {
    let id = message_id.trim_start_matches('<');
    match id.split_once('.') {
        Some((t, _)) if t.parse::<crate::types::Ticket>().is_ok() => t,
        _ => "",
    }
}

/// What one pass over the outbox did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DrainStats {
    pub sent: usize,
    pub deferred: usize,
    pub failed: usize,
}

/// Delay before attempt `n + 1`: `initial`, twice that, four times, … up to an hour.
pub fn backoff(initial: Duration, attempts: i64) -> Duration {
    let secs = initial
        .as_secs()
        .max(1)
        .saturating_mul(1u64 << attempts.clamp(0, 12));
    Duration::from_secs(secs.min(3600))
}

/// Sends every due item once. `all`: ignore the backoff times (for `--once`).
/// Stops early, leaving the rest queued, when the server cannot be reached at all.
pub async fn drain(
    store: &Store,
    smtp: &Smtp,
    all: bool,
    retry_initial: Duration,
) -> Result<DrainStats, SendError> {
    let mut stats = DrainStats::default();
    let mut last_id = 0;
    loop {
        let batch = store.due(all, 200)?;
        let batch: Vec<_> = batch.into_iter().filter(|i| i.id > last_id).collect();
        if batch.is_empty() {
            return Ok(stats);
        }
        for item in batch {
            last_id = item.id;
            // Once started, a send is not cancelled: lettre must see the server's answer.
            match smtp.send(&item).await {
                Ok(()) => {
                    store.sent(item.id)?;
                    stats.sent += 1;
                    tracing::info!(
                        step = "sent",
                        ticket = ticket_of(&item.message_id),
                        kind = %item.kind,
                        message_id = %item.message_id,
                        rcpt = %item.rcpt.join(","),
                        "sent"
                    );
                }
                Err(e) => {
                    let permanent = matches!(&e, SendError::Smtp { source, .. } if source.is_permanent())
                        || matches!(e, SendError::Address { .. });
                    let next = Utc::now()
                        + chrono::Duration::from_std(backoff(retry_initial, item.attempts))
                            .unwrap_or(chrono::Duration::seconds(30));
                    store.send_failed(item.id, &e.to_string(), next, permanent)?;
                    if permanent {
                        stats.failed += 1;
                        tracing::error!(step = "send-failed", kind = %item.kind, message_id = %item.message_id, error = %e, "the server refused this message for good");
                    } else {
                        stats.deferred += 1;
                        tracing::warn!(step = "send-deferred", kind = %item.kind, message_id = %item.message_id, error = %e, "will retry");
                        let unreachable = matches!(&e, SendError::Smtp { source, .. } if source.status().is_none());
                        if unreachable {
                            // The server is down: don't hammer it with the rest of the queue.
                            let rest = store
                                .due(all, 100_000)?
                                .into_iter()
                                .filter(|i| i.id > last_id)
                                .count();
                            stats.deferred += rest;
                            return Ok(stats);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = |n| backoff(Duration::from_secs(30), n);
        assert_eq!(b(0), Duration::from_secs(30));
        assert_eq!(b(1), Duration::from_secs(60));
        assert_eq!(b(20), Duration::from_secs(3600));
    }
}
