//! Sending the outbox over SMTP, with retries and backoff.
//!
//! Each queued message is marked sent in the database right after the server accepted it:
//! the only window in which a crash of pilah can send something twice is between the
//! server's `250` and that commit. The mark is not fsynced (see `store`): a power cut can
//! also undo the last marks, and those items go out again. The stable Message-ID makes such
//! a duplicate recognisable.

use crate::config::{Auth, Security, SmtpConfig};
use crate::store::{OutboxItem, Store, StoreError};
use chrono::Utc;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use lettre::Address;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("smtp {host}:{port}: {source}")]
    Smtp {
        host: String,
        port: u16,
        source: lettre::transport::smtp::Error,
    },
    #[error("smtp {host}:{port}: {detail}")]
    Connect {
        host: String,
        port: u16,
        detail: String,
    },
    #[error("smtp.ca_file {path}: {detail}")]
    Ca { path: String, detail: String },
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    /// No access token for SMTP: the provider cannot be reached or refuses the grant.
    #[error("smtp: {0}")]
    OAuth2(#[from] crate::oauth2::OAuth2Error),
    #[error("outbox item {id}: bad address {address:?}")]
    Address { id: i64, address: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Sending this item panicked (in lettre or in pilah): it would again, so it is not retried.
    #[error("outbox item {id}: sending it failed inside pilah: {detail}")]
    Panicked { id: i64, detail: String },
}

impl SendError {
    /// The server cannot be reached at all (as opposed to refusing one message).
    fn unreachable(&self) -> bool {
        match self {
            // Without a token nothing can be sent: the pass stops, the outbox waits.
            SendError::Connect { .. } | SendError::OAuth2(_) => true,
            SendError::Smtp { source, .. } => source.status().is_none(),
            _ => false,
        }
    }

    fn permanent(&self) -> bool {
        match self {
            SendError::Smtp { source, .. } => source.is_permanent(),
            SendError::Address { .. } | SendError::Panicked { .. } => true,
            _ => false,
        }
    }
}

/// How pilah logs in to the SMTP server.
enum Login {
    Password(Credentials),
    /// XOAUTH2 with a token asked for at every connection (cached until near its expiry).
    OAuth2(String, Arc<crate::oauth2::TokenSource>),
}

/// Implicit TLS done with pilah's own rustls setup, handed to lettre as a stream.
#[derive(Debug)]
struct TlsTcp(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncRead for TlsTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

/// An open SMTP session, and whether its server pipelines commands (RFC 2920).
pub struct Connection {
    smtp: AsyncSmtpConnection,
    pipelining: bool,
    /// A transaction failed half-way: the session is closed without another word.
    poisoned: bool,
}

impl Connection {
    fn has_broken(&self) -> bool {
        self.poisoned || self.smtp.has_broken()
    }

    /// One mail transaction. With PIPELINING, MAIL, every RCPT and DATA go out in one write
    /// and their replies are read together: two round trips per message instead of three
    /// plus one per recipient. lettre has no pipelining of its own, so the commands are
    /// lettre's, written as one; without PIPELINING, lettre's own `send` is used.
    ///
    /// Any failure ends the session: a transaction that was refused half-way is never
    /// completed, and the next message opens a new session. The session is closed without
    /// a QUIT, which the server could take for message content after its 354; a session
    /// closed before the final dot delivers nothing.
    async fn transaction(
        &mut self,
        envelope: &Envelope,
        body: &[u8],
    ) -> Result<(), lettre::transport::smtp::Error> {
        let info = self.smtp.server_info();
        let mut params = Vec::new();
        let utf8 = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a: &Address| !AsRef::<str>::as_ref(a).is_ascii());
        let eight_bit = !body.is_ascii();
        if !self.pipelining
            || (utf8 && !info.supports_feature(Extension::SmtpUtfEight))
            || (eight_bit && !info.supports_feature(Extension::EightBitMime))
        {
            // lettre's own transaction, which also words the refusal of what the server
            // cannot take.
            return self.smtp.send(envelope, body).await.map(|_| ());
        }
        if utf8 {
            params.push(MailParameter::SmtpUtfEight);
        }
        if eight_bit {
            params.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let mut commands = Mail::new(envelope.from().cloned(), params).to_string();
        for to in envelope.to() {
            commands.push_str(&Rcpt::new(to.clone(), Vec::new()).to_string());
        }
        commands.push_str(&Data.to_string());
        // The reply to MAIL, then one per RCPT, then DATA's. A reply the server refused
        // is kept (the first one is the reason); a broken session ends at once.
        let mut refused = None;
        for n in 0..=envelope.to().len() + 1 {
            let reply = if n == 0 {
                self.smtp.command(&commands).await
            } else {
                self.smtp.read_response().await
            };
            match reply {
                Ok(_) => {}
                Err(e) if e.status().is_some() => {
                    refused.get_or_insert(e);
                }
                Err(e) => {
                    self.poisoned = true;
                    return Err(e);
                }
            }
        }
        if let Some(e) = refused {
            self.poisoned = true;
            return Err(e);
        }
        // In pieces: lettre copies what it is given to add the dot-stuffing, and a whole
        // forward of a large message copied at once would double pilah's memory for it.
        self.smtp
            .message_iter(body.chunks(SEND_CHUNK))
            .await
            .map(|_| ())
            .inspect_err(|_| self.poisoned = true)
    }
}

/// How much of a message is handed to the SMTP connection at a time.
const SEND_CHUNK: usize = 256 * 1024;

/// The SMTP submission server. One connection is opened per pass over the outbox and reused
/// for every message of it, its commands pipelined when the server offers PIPELINING (see
/// [`Connection::transaction`]), with `TCP_NODELAY` (lettre writes a message and its final
/// dot separately: with Nagle's algorithm each message would wait ~40 ms for a delayed ACK).
pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    /// For STARTTLS (lettre upgrades the connection).
    starttls: Option<TlsParameters>,
    /// For implicit TLS (pilah's rustls setup, as for IMAP).
    tls: Option<Arc<rustls::ClientConfig>>,
    login: Option<Login>,
    timeout: Duration,
    hello: ClientId,
    ca_file: Option<std::path::PathBuf>,
}

impl Smtp {
    pub fn new(cfg: &SmtpConfig, timeout: Duration) -> Result<Smtp, SendError> {
        let ca_err = |path: &std::path::Path, detail: String| SendError::Ca {
            path: path.display().to_string(),
            detail,
        };
        let starttls = match cfg.security {
            Security::Starttls => {
                let mut b = TlsParameters::builder(cfg.host.clone());
                if let Some(path) = &cfg.ca_file {
                    let pem = std::fs::read(path).map_err(|e| ca_err(path, e.to_string()))?;
                    let cert =
                        Certificate::from_pem(&pem).map_err(|e| ca_err(path, e.to_string()))?;
                    b = b.add_root_certificate(cert);
                }
                Some(b.build_rustls().map_err(|source| SendError::Smtp {
                    host: cfg.host.clone(),
                    port: cfg.port,
                    source,
                })?)
            }
            _ => None,
        };
        let tls = match cfg.security {
            Security::Tls => Some(crate::tls::client_config(cfg.ca_file.as_deref()).map_err(
                |e| {
                    ca_err(
                        cfg.ca_file.as_deref().unwrap_or(std::path::Path::new("-")),
                        e.to_string(),
                    )
                },
            )?),
            _ => None,
        };
        let login = match (&cfg.username, &cfg.auth) {
            (Some(user), Some(Auth::Password(pass))) => Some(Login::Password(Credentials::new(
                user.clone(),
                pass.read("smtp")?,
            ))),
            (Some(user), Some(Auth::OAuth2(tokens))) => {
                Some(Login::OAuth2(user.clone(), tokens.clone()))
            }
            _ => None,
        };
        Ok(Smtp {
            host: cfg.host.clone(),
            port: cfg.port,
            security: cfg.security,
            starttls,
            tls,
            login,
            timeout,
            hello: ClientId::default(),
            ca_file: cfg.ca_file.clone(),
        })
    }

    fn err(&self, source: lettre::transport::smtp::Error) -> SendError {
        SendError::Smtp {
            host: self.host.clone(),
            port: self.port,
            source,
        }
    }

    fn connect_err(&self, detail: impl std::fmt::Display) -> SendError {
        SendError::Connect {
            host: self.host.clone(),
            port: self.port,
            detail: detail.to_string(),
        }
    }

    async fn timed<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, SendError>>,
    ) -> Result<T, SendError> {
        tokio::time::timeout(self.timeout, fut)
            .await
            .unwrap_or_else(|_| {
                // Silence on a connection made: a server that waits for the TLS handshake
                // while pilah waits for its greeting.
                let hint = if what == "connect" && self.security != Security::Tls {
                    ": the server may expect TLS from the first byte (port 465 usually does): try security = \"tls\" for this port"
                } else {
                    ""
                };
                Err(self.connect_err(format!(
                    "{what} timed out after {} s{hint}",
                    self.timeout.as_secs()
                )))
            })
    }

    /// A failed TLS handshake (implicit or STARTTLS), said as what probably happened, the
    /// library's words after it.
    fn tls_err(&self, detail: impl std::fmt::Display) -> SendError {
        let text = detail.to_string();
        let hint = crate::tls::explain_text(&text, &self.host, self.ca_file.as_deref());
        self.connect_err(format!("TLS: {hint} ({text})"))
    }

    /// Opens a connection: TCP (no Nagle), TLS as configured, EHLO, AUTH.
    async fn connect(&self) -> Result<Connection, SendError> {
        self.timed("connect", async {
            let tcp = TcpStream::connect((self.host.as_str(), self.port))
                .await
                .map_err(|e| self.connect_err(e))?;
            let _ = tcp.set_nodelay(true);
            let stream: Box<dyn AsyncTokioStream> = match (&self.security, &self.tls) {
                (Security::Tls, Some(cfg)) => {
                    let tls = crate::tls::handshake(cfg.clone(), &self.host, tcp)
                        .await
                        .map_err(|e| self.tls_err(e))?;
                    Box::new(TlsTcp(tls))
                }
                _ => Box::new(tcp),
            };
            let mut conn = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
                .await
                .map_err(|e| self.err(e))?;
            if let Some(params) = &self.starttls {
                conn.starttls(params.clone(), &self.hello)
                    .await
                    .map_err(|e| self.tls_err(e))?;
            }
            // lettre keeps only the EHLO keywords it knows, and PIPELINING is not one:
            // asked again (before AUTH, which a new EHLO could reset).
            let ehlo = conn
                .command(Ehlo::new(self.hello.clone()))
                .await
                .map_err(|e| self.err(e))?;
            let pipelining = ehlo.message().any(|line| {
                line.split_whitespace()
                    .next()
                    .is_some_and(|k| k.eq_ignore_ascii_case("PIPELINING"))
            });
            match &self.login {
                Some(Login::Password(creds)) => {
                    conn.auth(&[Mechanism::Plain, Mechanism::Login], creds)
                        .await
                        .map_err(|e| self.err(e))?;
                }
                Some(Login::OAuth2(user, tokens)) => {
                    let token = tokens.token(self.timeout).await?;
                    let creds = Credentials::new(user.clone(), token);
                    if let Err(e) = conn.auth(&[Mechanism::Xoauth2], &creds).await {
                        // Perhaps revoked before its time: the next pass asks for a new one.
                        tokens.forget().await;
                        return Err(self.err(e));
                    }
                }
                None => {}
            }
            Ok(Connection {
                smtp: conn,
                pipelining,
                poisoned: false,
            })
        })
        .await
    }

    /// Connects and says hello (for `doctor` and start-up checks).
    pub async fn check(&self) -> Result<(), SendError> {
        let mut conn = self.connect().await?;
        let _ = conn.smtp.quit().await;
        Ok(())
    }

    fn envelope(item: &OutboxItem) -> Result<Envelope, SendError> {
        let bad = |address: &str| SendError::Address {
            id: item.id,
            address: address.to_string(),
        };
        let from = if item.env_from.is_empty() {
            None
        } else {
            Some(
                item.env_from
                    .parse::<Address>()
                    .map_err(|_| bad(&item.env_from))?,
            )
        };
        let to = item
            .rcpt
            .iter()
            .map(|r| r.parse::<Address>().map_err(|_| bad(r)))
            .collect::<Result<Vec<_>, _>>()?;
        Envelope::new(from, to).map_err(|_| bad(&item.rcpt.join(",")))
    }

    /// Sends one item over `conn` (opened if needed; dropped when it broke).
    async fn send_on(
        &self,
        conn: &mut Option<Connection>,
        item: &OutboxItem,
        body: &[u8],
    ) -> Result<(), SendError> {
        let envelope = Self::envelope(item)?;
        if conn.as_ref().is_none_or(|c| c.has_broken()) {
            *conn = Some(self.connect().await?);
        }
        let Some(c) = conn.as_mut() else {
            return Err(self.connect_err("no connection"));
        };
        // Once started, a send is not cancelled by pilah: only the network timeout ends it.
        let r = self
            .timed("send", async {
                c.transaction(&envelope, body)
                    .await
                    .map_err(|e| self.err(e))
            })
            .await;
        if r.is_err() && conn.as_ref().is_none_or(|c| c.has_broken()) {
            *conn = None;
        }
        if let Err(SendError::Connect { .. }) = &r {
            *conn = None;
        }
        r.map(|_| ())
    }

    /// Sends one item on a connection of its own.
    pub async fn send(&self, item: &OutboxItem, body: &[u8]) -> Result<(), SendError> {
        let mut conn = None;
        let r = self.send_on(&mut conn, item, body).await;
        if let Some(mut c) = conn {
            let _ = c.smtp.quit().await;
        }
        r
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
    /// The server could not be reached: the pass stopped early.
    pub unreachable: bool,
}

impl std::ops::AddAssign for DrainStats {
    fn add_assign(&mut self, o: DrainStats) {
        self.sent += o.sent;
        self.deferred += o.deferred;
        self.failed += o.failed;
        self.unreachable |= o.unreachable;
    }
}

/// Records that the server accepted `item`.
fn mark_sent(store: &Store, item: &OutboxItem, stats: &mut DrainStats) -> Result<(), StoreError> {
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
    Ok(())
}

/// Sends every due item queued after `*cursor` once, over one connection, and moves the
/// cursor past what it tried. `all`: ignore the backoff times (for `--once`). Stops early,
/// leaving the rest queued, when the server cannot be reached at all.
pub async fn drain(
    store: &Store,
    smtp: &Smtp,
    all: bool,
    retry_initial: Duration,
    cursor: &mut i64,
) -> Result<DrainStats, SendError> {
    let mut stats = DrainStats::default();
    let mut conn: Option<Connection> = None;
    let result = async {
        loop {
            let batch = store.due(all, *cursor, 200)?;
            if batch.is_empty() {
                return Ok(());
            }
            for item in batch {
                *cursor = item.id;
                let Some(e) = send_item(store, smtp, &mut conn, &item, &mut stats).await? else {
                    continue;
                };
                if after_failure(store, &item, &e, retry_initial, &mut stats)? {
                    // The server is down: don't hammer it with the rest of the queue.
                    let rest = store.due(all, *cursor, 100_000)?.len();
                    stats.deferred += rest;
                    stats.unreachable = true;
                    return Ok(());
                }
            }
        }
    }
    .await;
    if let Some(mut c) = conn {
        let _ = tokio::time::timeout(Duration::from_secs(5), c.smtp.quit()).await;
    }
    result.map(|()| stats)
}

/// Assembles and sends one item on the session (opening one if needed) and marks it sent.
/// Returns the send error, if any, for [`after_failure`]; an item that cannot be assembled
/// is failed here.
async fn send_item(
    store: &Store,
    smtp: &Smtp,
    conn: &mut Option<Connection>,
    item: &OutboxItem,
    stats: &mut DrainStats,
) -> Result<Option<SendError>, SendError> {
    let body = match store.outbox_body(item.id) {
        Ok(body) => body,
        Err(e @ StoreError::Original { .. }) => {
            // A forward whose original is gone or changed: never sent without it, not
            // retried blindly, and not in the way of the rest.
            store.send_failed(item.id, &e.to_string(), Utc::now(), true)?;
            stats.failed += 1;
            tracing::error!(step = "send-failed", ticket = ticket_of(&item.message_id), kind = %item.kind, message_id = %item.message_id, error = %e, "cannot assemble this message");
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    // One item's panic fails that item only (and the session it was on).
    let sent = {
        use futures::FutureExt;
        std::panic::AssertUnwindSafe(smtp.send_on(conn, item, &body))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                *conn = None;
                Err(SendError::Panicked {
                    id: item.id,
                    detail: crate::guard::panic_text(panic.as_ref()),
                })
            })
    };
    drop(body);
    match sent {
        // Marked at once: the only window for a duplicate is this commit.
        Ok(()) => {
            mark_sent(store, item, stats)?;
            Ok(None)
        }
        Err(e) => Ok(Some(e)),
    }
}

/// Records a failed send: for good, or to be retried after a doubling wait. Returns whether
/// the server could not be reached at all (the rest of the pass is pointless).
fn after_failure(
    store: &Store,
    item: &OutboxItem,
    e: &SendError,
    retry_initial: Duration,
    stats: &mut DrainStats,
) -> Result<bool, StoreError> {
    let permanent = e.permanent();
    let next = Utc::now()
        + chrono::Duration::from_std(crate::backoff::doubling(
            retry_initial,
            item.attempts.clamp(0, 31) as u32,
            Duration::from_secs(3600),
        ))
        .unwrap_or(chrono::Duration::seconds(30));
    store.send_failed(item.id, &e.to_string(), next, permanent)?;
    if permanent {
        stats.failed += 1;
        tracing::error!(step = "send-failed", ticket = ticket_of(&item.message_id), kind = %item.kind, message_id = %item.message_id, error = %e, "the server refused this message for good");
        return Ok(false);
    }
    stats.deferred += 1;
    tracing::warn!(step = "send-deferred", ticket = ticket_of(&item.message_id), kind = %item.kind, message_id = %item.message_id, error = %e, "will retry");
    Ok(e.unreachable())
}
