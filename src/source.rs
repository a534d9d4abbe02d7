//! Reading a mailbox over IMAP: connect (TLS, STARTTLS, or plain on loopback), select,
//! list UIDs, fetch in batches with `BODY.PEEK[]` (never setting `\Seen`), create folders,
//! move by UID, and wait with IDLE.
//!
//! async-imap has no timeouts of its own: every operation here runs under one, and any
//! error or timeout makes the caller drop the connection and reconnect.

use crate::config::{ImapConfig, Security};
use crate::types::MailboxName;
use async_imap::extensions::idle::IdleResponse;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use std::collections::HashSet;
use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// The byte stream under an IMAP session, TLS or not.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

type Session = async_imap::Session<Box<dyn Stream>>;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("mailbox {mailbox}: cannot connect to {host}:{port}: {source}")]
    Connect {
        mailbox: MailboxName,
        host: String,
        port: u16,
        source: std::io::Error,
    },
    #[error("mailbox {mailbox}: TLS with {host}: {detail}")]
    Tls {
        mailbox: MailboxName,
        host: String,
        detail: String,
    },
    #[error("mailbox {mailbox}: {op} timed out after {secs} s")]
    Timeout {
        mailbox: MailboxName,
        op: &'static str,
        secs: u64,
    },
    #[error("mailbox {mailbox}: {op}: {source}")]
    Imap {
        mailbox: MailboxName,
        op: &'static str,
        source: async_imap::error::Error,
    },
    #[error("mailbox {mailbox}: login as {user} refused: {source}")]
    Login {
        mailbox: MailboxName,
        user: String,
        source: async_imap::error::Error,
    },
    #[error("mailbox {mailbox}: {detail}")]
    Protocol {
        mailbox: MailboxName,
        detail: String,
    },
    /// The server will not take mail into this folder (CREATE refused and the folder not
    /// listed, or MOVE/COPY refused even after creating it once). The connection is fine:
    /// the caller files the messages elsewhere and carries on.
    #[error("mailbox {mailbox}: the server refuses folder {folder:?}: {op}: {detail}")]
    FolderRefused {
        mailbox: MailboxName,
        folder: String,
        op: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Secret(#[from] crate::config::ConfigError),
}

/// The server's `NO` to a command, as text (its response code and words), or `None` for any
/// other failure (a dropped connection, a timeout, `BAD`), which ends the connection.
fn refusal(e: &SourceError) -> Option<String> {
    match e {
        SourceError::Imap {
            source: async_imap::error::Error::No(words),
            ..
        } => Some(words.clone()),
        _ => None,
    }
}

/// Whether a `NO` says the target folder does not exist (RFC 3501 `[TRYCREATE]`).
fn is_trycreate(words: &str) -> bool {
    let w = words.to_ascii_lowercase();
    w.contains("trycreate")
}

/// A folder's state after SELECT.
#[derive(Debug, Clone, Copy)]
pub struct FolderState {
    pub uidvalidity: u32,
    pub exists: u32,
}

/// One fetched message. Its bytes stay in the IMAP response they came in: a large message
/// is held once, not once in the response and again in a copy.
pub struct Fetched {
    pub uid: u32,
    pub internal_date: Option<DateTime<Utc>>,
    fetch: async_imap::types::Fetch,
    headers_only: bool,
}

impl Fetched {
    /// The message (or only its header), as the server sent it.
    pub fn raw(&self) -> &[u8] {
        part(&self.fetch, self.headers_only).unwrap_or_default()
    }
}

/// The message, or only its header, in a FETCH response.
fn part(fetch: &async_imap::types::Fetch, headers_only: bool) -> Option<&[u8]> {
    if headers_only {
        fetch.header()
    } else {
        fetch.body()
    }
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetched")
            .field("uid", &self.uid)
            .field("internal_date", &self.internal_date)
            .field("size", &self.raw().len())
            .finish()
    }
}

/// A logged-in connection to one mailbox.
pub struct Connection {
    pub mailbox: MailboxName,
    session: Session,
    timeout: Duration,
    delimiter: String,
    known_folders: HashSet<String>,
    pub has_idle: bool,
    has_move: bool,
    has_uidplus: bool,
}

fn imap_tls_config(
    cfg: &ImapConfig,
    mailbox: &MailboxName,
) -> Result<Arc<rustls::ClientConfig>, SourceError> {
    crate::tls::client_config(cfg.ca_file.as_deref()).map_err(|e| SourceError::Tls {
        mailbox: mailbox.clone(),
        host: cfg.host.clone(),
        detail: e.to_string(),
    })
}

impl Connection {
    fn imap_err(&self, op: &'static str) -> impl FnOnce(async_imap::error::Error) -> SourceError {
        let mailbox = self.mailbox.clone();
        move |source| SourceError::Imap {
            mailbox,
            op,
            source,
        }
    }

    /// Connects, reads the greeting, upgrades or wraps TLS as configured, and logs in.
    pub async fn open(
        mailbox: &MailboxName,
        cfg: &ImapConfig,
        timeout: Duration,
    ) -> Result<Connection, SourceError> {
        let password = cfg
            .password
            .read(&format!("mailbox {:?}", mailbox.as_str()))?;
        let connect_err = |source| SourceError::Connect {
            mailbox: mailbox.clone(),
            host: cfg.host.clone(),
            port: cfg.port,
            source,
        };
        let tcp = timed(
            mailbox,
            timeout,
            "connect",
            TcpStream::connect((cfg.host.as_str(), cfg.port)),
            connect_err,
        )
        .await?;
        let _ = tcp.set_nodelay(true);
        let tls_err = |detail: String| SourceError::Tls {
            mailbox: mailbox.clone(),
            host: cfg.host.clone(),
            detail,
        };
        let proto = |detail: &str| SourceError::Protocol {
            mailbox: mailbox.clone(),
            detail: detail.to_string(),
        };
        let stream: Box<dyn Stream> = match cfg.security {
            Security::Plain => Box::new(tcp),
            Security::Tls => {
                let tls = timed(
                    mailbox,
                    timeout,
                    "TLS handshake",
                    crate::tls::handshake(imap_tls_config(cfg, mailbox)?, &cfg.host, tcp),
                    |e| tls_err(e.to_string()),
                )
                .await?;
                Box::new(tls)
            }
            Security::Starttls => {
                let mut client = async_imap::Client::new(tcp);
                let greeting = timed(mailbox, timeout, "greeting", client.read_response(), |e| {
                    tls_err(e.to_string())
                })
                .await?;
                if greeting.is_none() {
                    return Err(proto(
                        "the server closed the connection before its greeting",
                    ));
                }
                timed(
                    mailbox,
                    timeout,
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                    |e| tls_err(format!("STARTTLS refused: {e}")),
                )
                .await?;
                let tcp = client.into_inner();
                let tls = timed(
                    mailbox,
                    timeout,
                    "TLS handshake",
                    crate::tls::handshake(imap_tls_config(cfg, mailbox)?, &cfg.host, tcp),
                    |e| tls_err(e.to_string()),
                )
                .await?;
                Box::new(tls)
            }
        };
        let mut client = async_imap::Client::new(stream);
        if cfg.security != Security::Starttls {
            let greeting = timed(mailbox, timeout, "greeting", client.read_response(), |e| {
                SourceError::Connect {
                    mailbox: mailbox.clone(),
                    host: cfg.host.clone(),
                    port: cfg.port,
                    source: e,
                }
            })
            .await?;
            if greeting.is_none() {
                return Err(proto(
                    "the server closed the connection before its greeting",
                ));
            }
        }
        let session = timed(
            mailbox,
            timeout,
            "login",
            client.login(&cfg.username, &password),
            |(source, _)| SourceError::Login {
                mailbox: mailbox.clone(),
                user: cfg.username.clone(),
                source,
            },
        )
        .await?;
        let mut conn = Connection {
            mailbox: mailbox.clone(),
            session,
            timeout,
            delimiter: "/".to_string(),
            known_folders: HashSet::new(),
            has_idle: false,
            has_move: false,
            has_uidplus: false,
        };
        let err = conn.imap_err("CAPABILITY");
        let caps = timed(
            mailbox,
            timeout,
            "CAPABILITY",
            conn.session.capabilities(),
            err,
        )
        .await?;
        conn.has_idle = caps.has_str("IDLE");
        conn.has_move = caps.has_str("MOVE");
        conn.has_uidplus = caps.has_str("UIDPLUS");
        conn.load_folders().await?;
        Ok(conn)
    }

    async fn load_folders(&mut self) -> Result<(), SourceError> {
        let err = self.imap_err("LIST");
        let t = self.timeout;
        let mailbox = self.mailbox.clone();
        let names = timed(
            &mailbox,
            t,
            "LIST",
            async {
                let stream = self.session.list(Some(""), Some("*")).await?;
                stream.try_collect::<Vec<_>>().await
            },
            err,
        )
        .await?;
        for n in &names {
            if let Some(d) = n.delimiter() {
                self.delimiter = d.to_string();
            }
            self.known_folders.insert(n.name().to_string());
        }
        Ok(())
    }

    /// Whether a `/`-separated folder exists on the server.
    pub fn has_folder(&self, folder: &str) -> bool {
        self.known_folders.contains(&self.server_folder(folder))
    }

    /// A `/`-separated folder name in the server's own hierarchy.
    pub fn server_folder(&self, folder: &str) -> String {
        folder.replace('/', &self.delimiter)
    }

    pub async fn select(&mut self, folder: &str) -> Result<FolderState, SourceError> {
        let err = self.imap_err("SELECT");
        let mb = timed(
            &self.mailbox.clone(),
            self.timeout,
            "SELECT",
            self.session.select(folder),
            err,
        )
        .await?;
        let uidvalidity = mb.uid_validity.ok_or_else(|| SourceError::Protocol {
            mailbox: self.mailbox.clone(),
            detail: format!("SELECT {folder} gave no UIDVALIDITY"),
        })?;
        Ok(FolderState {
            uidvalidity,
            exists: mb.exists,
        })
    }

    /// Every UID in the selected folder, ascending.
    pub async fn uids(&mut self) -> Result<Vec<u32>, SourceError> {
        let err = self.imap_err("UID SEARCH");
        let set = timed(
            &self.mailbox.clone(),
            self.timeout,
            "UID SEARCH",
            self.session.uid_search("ALL"),
            err,
        )
        .await?;
        let mut v: Vec<u32> = set.into_iter().collect();
        v.sort_unstable();
        Ok(v)
    }

    /// Sizes of the given UIDs.
    pub async fn sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, u32)>, SourceError> {
        // In chunks: async-imap keeps a buffer block (4 KB at least) alive for every
        // response until it is dropped, so one FETCH for a backlog of 10,000 UIDs held
        // 40 MB at once (docs/performance.md, "Memory").
        let mut out = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(500) {
            let set = uid_set(chunk);
            let err = self.imap_err("UID FETCH sizes");
            let t = self.timeout;
            let mailbox = self.mailbox.clone();
            let fetches = timed(
                &mailbox,
                t,
                "UID FETCH sizes",
                async {
                    let s = self.session.uid_fetch(&set, "(UID RFC822.SIZE)").await?;
                    s.try_collect::<Vec<_>>().await
                },
                err,
            )
            .await?;
            out.extend(
                fetches
                    .iter()
                    .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0)))),
            );
        }
        Ok(out)
    }

    /// Fetches whole messages (or only their headers), without setting `\Seen`.
    pub async fn fetch(
        &mut self,
        uids: &[u32],
        headers_only: bool,
    ) -> Result<Vec<Fetched>, SourceError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let query = if headers_only {
            "(UID INTERNALDATE BODY.PEEK[HEADER])"
        } else {
            "(UID INTERNALDATE BODY.PEEK[])"
        };
        let err = self.imap_err("UID FETCH");
        // Large batches get more time: a slow link must not fail a big attachment.
        let t = self.timeout * (1 + uids.len() as u32 / 10);
        let mailbox = self.mailbox.clone();
        let fetches = timed(
            &mailbox,
            t,
            "UID FETCH",
            async {
                let s = self.session.uid_fetch(&set, query).await?;
                s.try_collect::<Vec<_>>().await
            },
            err,
        )
        .await?;
        let mut out = Vec::with_capacity(fetches.len());
        for f in fetches {
            let Some(uid) = f.uid else { continue };
            if part(&f, headers_only).is_none() {
                continue;
            }
            out.push(Fetched {
                uid,
                internal_date: f.internal_date().map(|d| d.with_timezone(&Utc)),
                fetch: f,
                headers_only,
            });
        }
        out.sort_by_key(|f| f.uid);
        Ok(out)
    }

    /// Whether the server lists `server_name` now (`LIST "" name`), asked afresh.
    async fn listed(&mut self, server_name: &str) -> Result<bool, SourceError> {
        let err = self.imap_err("LIST");
        let t = self.timeout;
        let mailbox = self.mailbox.clone();
        let names = timed(
            &mailbox,
            t,
            "LIST",
            async {
                let stream = self.session.list(Some(""), Some(server_name)).await?;
                stream.try_collect::<Vec<_>>().await
            },
            err,
        )
        .await?;
        Ok(names.iter().any(|n| {
            n.name() == server_name
                && !n
                    .attributes()
                    .iter()
                    .any(|a| matches!(a, async_imap::types::NameAttribute::NoSelect))
        }))
    }

    /// Creates a folder (and its parents) unless it exists. A `NO` to CREATE is taken for
    /// "it exists already" only when LIST then shows the folder (selectable); otherwise the
    /// folder is refused ([`SourceError::FolderRefused`]).
    pub async fn ensure_folder(&mut self, folder: &str) -> Result<String, SourceError> {
        let name = self.server_folder(folder);
        if self.known_folders.contains(&name) {
            return Ok(name);
        }
        let parts: Vec<&str> = folder.split('/').collect();
        for i in 1..=parts.len() {
            let partial = self.server_folder(&parts[..i].join("/"));
            if self.known_folders.contains(&partial) {
                continue;
            }
            let err = self.imap_err("CREATE");
            let r = timed(
                &self.mailbox.clone(),
                self.timeout,
                "CREATE",
                self.session.create(&partial),
                err,
            )
            .await;
            if let Err(e) = r {
                let Some(words) = refusal(&e) else {
                    return Err(e);
                };
                // Someone else created it meanwhile, or the server cannot make it: LIST says.
                // (A parent only needs to exist for the final folder, which is checked.)
                if i == parts.len() && !self.listed(&partial).await? {
                    return Err(SourceError::FolderRefused {
                        mailbox: self.mailbox.clone(),
                        folder: folder.to_string(),
                        op: "CREATE",
                        detail: words,
                    });
                }
            }
            self.known_folders.insert(partial);
        }
        Ok(name)
    }

    /// Moves UIDs of the selected folder to `folder` (created if needed). On `[TRYCREATE]`
    /// the folder is created and the move tried once more; a folder the server still
    /// refuses is [`SourceError::FolderRefused`] (nothing was moved; the connection is fine).
    pub async fn move_to(&mut self, uids: &[u32], folder: &str) -> Result<(), SourceError> {
        if uids.is_empty() {
            return Ok(());
        }
        let target = self.ensure_folder(folder).await?;
        let (op, e) = match self.move_once(uids, &target).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        // A refused STORE or EXPUNGE after a COPY is not about the target folder.
        let Some(words) = refusal(&e).filter(|_| op == "UID MOVE" || op == "UID COPY") else {
            return Err(e);
        };
        if !is_trycreate(&words) {
            return Err(SourceError::FolderRefused {
                mailbox: self.mailbox.clone(),
                folder: folder.to_string(),
                op,
                detail: words,
            });
        }
        tracing::warn!(step = "folder-missing", mailbox = %self.mailbox, folder, server = %words, "the server does not know the folder; creating it and trying once more");
        self.known_folders.remove(&target);
        let target = self.ensure_folder(folder).await?;
        match self.move_once(uids, &target).await {
            Ok(()) => Ok(()),
            Err((op, e)) => match refusal(&e).filter(|_| op == "UID MOVE" || op == "UID COPY") {
                Some(words) => Err(SourceError::FolderRefused {
                    mailbox: self.mailbox.clone(),
                    folder: folder.to_string(),
                    op,
                    detail: words,
                }),
                None => Err(e),
            },
        }
    }

    /// One `UID MOVE` (or COPY + STORE + EXPUNGE) to a server folder name; a failure comes
    /// with the command that failed.
    async fn move_once(
        &mut self,
        uids: &[u32],
        target: &str,
    ) -> Result<(), (&'static str, SourceError)> {
        let set = uid_set(uids);
        if self.has_move {
            let err = self.imap_err("UID MOVE");
            timed(
                &self.mailbox.clone(),
                self.timeout,
                "UID MOVE",
                self.session.uid_mv(&set, target),
                err,
            )
            .await
            .map_err(|e| ("UID MOVE", e))
        } else if self.has_uidplus {
            // COPY, then remove exactly these UIDs from the watched folder.
            let err = self.imap_err("UID COPY");
            timed(
                &self.mailbox.clone(),
                self.timeout,
                "UID COPY",
                self.session.uid_copy(&set, target),
                err,
            )
            .await
            .map_err(|e| ("UID COPY", e))?;
            let err = self.imap_err("UID STORE");
            let t = self.timeout;
            let mailbox = self.mailbox.clone();
            timed(
                &mailbox,
                t,
                "UID STORE",
                async {
                    let s = self
                        .session
                        .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                        .await?;
                    s.try_collect::<Vec<_>>().await
                },
                err,
            )
            .await
            .map_err(|e| ("UID STORE", e))?;
            let err = self.imap_err("UID EXPUNGE");
            timed(
                &mailbox,
                t,
                "UID EXPUNGE",
                async {
                    let s = self.session.uid_expunge(&set).await?;
                    s.try_collect::<Vec<_>>().await
                },
                err,
            )
            .await
            .map_err(|e| ("UID EXPUNGE", e))?;
            Ok(())
        } else {
            Err((
                "MOVE",
                SourceError::Protocol {
                    mailbox: self.mailbox.clone(),
                    detail:
                        "the server offers neither MOVE nor UIDPLUS: pilah cannot file mail safely"
                            .into(),
                },
            ))
        }
    }

    /// Waits with IDLE until the server reports something, `wait` passes, or `stop`
    /// resolves. Returns the connection for the next round.
    pub async fn idle(
        mut self,
        wait: Duration,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> Result<Connection, SourceError> {
        // Responses that arrived meanwhile would otherwise fill the bounded channel. Among
        // them, new mail announced while we were busy: then there is no need to wait.
        let mut grew = false;
        while let Ok(r) = self.session.unsolicited_responses.try_recv() {
            if matches!(
                r,
                async_imap::types::UnsolicitedResponse::Exists(_)
                    | async_imap::types::UnsolicitedResponse::Recent(_)
            ) {
                grew = true;
            }
        }
        if grew {
            return Ok(self);
        }
        let mut handle = self.session.idle();
        let mailbox = self.mailbox.clone();
        let imap = |op| {
            let mailbox = mailbox.clone();
            move |source| SourceError::Imap {
                mailbox,
                op,
                source,
            }
        };
        timed(&mailbox, self.timeout, "IDLE", handle.init(), imap("IDLE")).await?;
        let (fut, stop_source) = handle.wait_with_timeout(wait);
        let stopper = tokio::spawn(async move {
            stop.await;
            drop(stop_source);
        });
        let r = fut.await;
        stopper.abort();
        match r {
            Ok(IdleResponse::NewData(_))
            | Ok(IdleResponse::Timeout)
            | Ok(IdleResponse::ManualInterrupt) => {}
            Err(e) => return Err(imap("IDLE")(e)),
        }
        let session = timed(&mailbox, self.timeout, "DONE", handle.done(), imap("DONE")).await?;
        self.session = session;
        Ok(self)
    }

    /// Asks the server whether anything changed (for servers without IDLE).
    pub async fn noop(&mut self) -> Result<(), SourceError> {
        let err = self.imap_err("NOOP");
        timed(
            &self.mailbox.clone(),
            self.timeout,
            "NOOP",
            self.session.noop(),
            err,
        )
        .await
    }

    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

async fn timed<T, E>(
    mailbox: &MailboxName,
    timeout: Duration,
    op: &'static str,
    fut: impl Future<Output = Result<T, E>>,
    wrap: impl FnOnce(E) -> SourceError,
) -> Result<T, SourceError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(wrap(e)),
        Err(_) => Err(SourceError::Timeout {
            mailbox: mailbox.clone(),
            op,
            secs: timeout.as_secs(),
        }),
    }
}

/// `1:3,7,9:10` for UIDs 1,2,3,7,9,10.
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[10, 1, 2, 3, 7, 9]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
    }
}
