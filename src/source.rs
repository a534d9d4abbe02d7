//! Reading a mailbox over IMAP: connect (TLS, STARTTLS, or plain on loopback), select,
//! list UIDs, fetch in batches with `BODY.PEEK[]` (never setting `\Seen`), create folders,
//! move by UID, and wait with IDLE.
//!
//! async-imap has no timeouts of its own: every operation here runs under one, and any
//! error or timeout makes the caller drop the connection and reconnect.

use crate::config::{Auth, ImapConfig, Security};
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
    /// A TLS failure, with what it probably means ([`crate::tls::explain`]) and the
    /// library's own words after it.
    #[error("mailbox {mailbox}: TLS with {host}:{port}: {hint} ({cause})")]
    Tls {
        mailbox: MailboxName,
        host: String,
        port: u16,
        hint: String,
        cause: String,
    },
    /// Connected, but nothing came: a server that expects TLS from the first byte waits
    /// for the client's handshake while pilah waits for its greeting.
    #[error("mailbox {mailbox}: {host}:{port} sent no greeting within {secs} s: the server may expect TLS from the first byte (port 993 usually does): try security = \"tls\" for this port")]
    NoGreeting {
        mailbox: MailboxName,
        host: String,
        port: u16,
        secs: u64,
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
    /// A command about one folder failed in a way that ends the connection (not a `NO`).
    #[error("mailbox {mailbox}: {op} {folder:?}: {source}")]
    Folder {
        mailbox: MailboxName,
        folder: String,
        op: &'static str,
        source: async_imap::error::Error,
    },
    #[error("mailbox {mailbox}: login as {user} refused: {source}")]
    Login {
        mailbox: MailboxName,
        user: String,
        source: async_imap::error::Error,
    },
    /// No access token: the provider's endpoint cannot be reached or refuses the grant.
    #[error("mailbox {mailbox}: {source}")]
    OAuth2 {
        mailbox: MailboxName,
        source: Box<crate::oauth2::OAuth2Error>,
    },
    #[error("mailbox {mailbox}: {detail}")]
    Protocol {
        mailbox: MailboxName,
        detail: String,
    },
    /// The server will not take mail into this folder (CREATE refused and the folder not
    /// listed, or MOVE/COPY refused even after creating it once, or a name the server's
    /// hierarchy cannot hold). The connection is fine: the caller files the messages
    /// elsewhere and carries on.
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
        }
        | SourceError::Folder {
            source: async_imap::error::Error::No(words),
            ..
        } => Some(server_words(words)),
        _ => None,
    }
}

/// The server's words in async-imap's text of a `NO` (`code: Some(TryCreate), info:
/// Some("Mailbox does not exist.")`): `[TryCreate] Mailbox does not exist.`. Text of
/// another shape is returned as it is.
fn server_words(raw: &str) -> String {
    let Some((code, info)) = raw
        .strip_prefix("code: ")
        .and_then(|r| r.split_once(", info: "))
    else {
        return raw.to_string();
    };
    let info = match info
        .strip_prefix("Some(\"")
        .and_then(|i| i.strip_suffix("\")"))
    {
        Some(i) => i.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => String::new(),
    };
    match code.strip_prefix("Some(").and_then(|c| c.strip_suffix(')')) {
        Some(c) => format!("[{c}] {info}"),
        None => info,
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
    /// The UID the next message will get (none: the server did not say).
    pub uidnext: Option<u32>,
}

/// A folder's state as STATUS tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FolderStatus {
    pub uidvalidity: u32,
    pub uidnext: u32,
    pub exists: u32,
}

/// What identifies a message in a folder without its body (see [`Connection::identities`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uid: u32,
    pub size: u32,
    pub internal_date: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
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

/// How filed messages leave the watched folder, by what the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filing {
    /// `UID MOVE` (RFC 6851).
    Move,
    /// `UID COPY`, `UID STORE +FLAGS (\Deleted)`, `UID EXPUNGE` of exactly those UIDs
    /// (UIDPLUS, RFC 4315).
    CopyExpunge,
    /// `UID COPY` and `UID STORE +FLAGS (\Deleted)`, never EXPUNGE: a plain EXPUNGE would
    /// also remove what other clients flagged `\Deleted` and are not done with. The copies
    /// stay in the watched folder, flagged, until the mailbox's own expunge (the admin's
    /// client, a cron job) removes them; pilah lists only messages not flagged `\Deleted`
    /// there, so it never takes one up again.
    CopyFlag,
}

impl Filing {
    /// The admin's words for it (doctor).
    pub fn describe(self) -> &'static str {
        match self {
            Filing::Move => "UID MOVE",
            Filing::CopyExpunge => "UID COPY + \\Deleted + UID EXPUNGE (UIDPLUS; no MOVE)",
            Filing::CopyFlag => "UID COPY + \\Deleted, never EXPUNGE (neither MOVE nor UIDPLUS): the filed copies stay in the watched folder, flagged \\Deleted, until the mailbox is expunged by its admin",
        }
    }
}

/// Where pilah's folders go on this server: a prefix and the hierarchy delimiter, from the
/// personal namespace (RFC 2342) or the config's `folder_prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    /// Put before every folder name: `INBOX.` on Courier, empty on Dovecot's default.
    pub prefix: String,
    pub delimiter: String,
    /// Where the prefix came from: `NAMESPACE`, `folder_prefix`, or `none` (a server
    /// without NAMESPACE).
    pub origin: &'static str,
}

impl Hierarchy {
    fn new(prefix: &str, delimiter: &str, origin: &'static str) -> Hierarchy {
        let mut prefix = prefix.to_string();
        if !prefix.is_empty() && !delimiter.is_empty() && !prefix.ends_with(delimiter) {
            prefix.push_str(delimiter);
        }
        Hierarchy {
            prefix,
            delimiter: delimiter.to_string(),
            origin,
        }
    }

    /// A `/`-separated folder name of the config or the rules (`Pilah/apbd`) as the server
    /// names it (`Pilah/apbd` on Dovecot, `INBOX.Pilah.apbd` on Courier). A name whose first
    /// part is `INBOX` is already anchored and gets no prefix. A part holding the server's
    /// own delimiter would silently become two levels: an error.
    pub fn server_name(&self, folder: &str) -> Result<String, String> {
        let parts: Vec<&str> = folder.split('/').collect();
        if self.delimiter != "/" && !self.delimiter.is_empty() {
            if let Some(p) = parts.iter().find(|p| p.contains(self.delimiter.as_str())) {
                return Err(format!(
                    "{p:?} holds the server's hierarchy delimiter {:?}: name the folder with '/' between its levels",
                    self.delimiter
                ));
            }
        }
        let joined = parts.join(&self.delimiter);
        if parts[0].eq_ignore_ascii_case("INBOX") {
            Ok(joined)
        } else {
            Ok(format!("{}{joined}", self.prefix))
        }
    }
}

/// The personal namespace of a `* NAMESPACE` line (RFC 2342): its first prefix and
/// delimiter (`None` for `NIL`, no personal namespace). `Err` for a line that is not one.
fn parse_namespace(line: &str) -> Result<Option<(String, Option<String>)>, String> {
    let rest = line
        .strip_prefix("* NAMESPACE ")
        .ok_or_else(|| format!("not a NAMESPACE response: {line:?}"))?;
    if rest.starts_with("NIL") {
        return Ok(None);
    }
    let bad = || format!("cannot read the NAMESPACE response {line:?}");
    let mut rest = rest.strip_prefix("((").ok_or_else(bad)?;
    let prefix = quoted(&mut rest).ok_or_else(bad)?;
    rest = rest.trim_start();
    let delimiter = if rest.starts_with("NIL") {
        None
    } else {
        Some(quoted(&mut rest).ok_or_else(bad)?)
    };
    Ok(Some((prefix, delimiter)))
}

/// Takes one IMAP quoted string off the front of `s`.
fn quoted(s: &mut &str) -> Option<String> {
    let mut chars = s.strip_prefix('"')?.char_indices();
    let mut out = String::new();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                *s = &s[i + 2..];
                return Some(out);
            }
            '\\' => out.push(chars.next()?.1),
            c => out.push(c),
        }
    }
    None
}

/// What the server offers that pilah uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct Capabilities {
    pub idle: bool,
    pub r#move: bool,
    pub uidplus: bool,
    pub condstore: bool,
    pub namespace: bool,
}

/// A logged-in connection to one mailbox.
pub struct Connection {
    pub mailbox: MailboxName,
    session: Session,
    timeout: Duration,
    hierarchy: Hierarchy,
    known_folders: HashSet<String>,
    pub caps: Capabilities,
    pub has_idle: bool,
}

fn imap_tls_config(
    cfg: &ImapConfig,
    mailbox: &MailboxName,
) -> Result<Arc<rustls::ClientConfig>, SourceError> {
    crate::tls::client_config(cfg.ca_file.as_deref()).map_err(|e| SourceError::Tls {
        mailbox: mailbox.clone(),
        host: cfg.host.clone(),
        port: cfg.port,
        hint: "cannot read ca_file".into(),
        cause: e.to_string(),
    })
}

/// A TLS handshake with the server, its failure explained.
async fn tls_over(
    mailbox: &MailboxName,
    cfg: &ImapConfig,
    timeout: Duration,
    tcp: TcpStream,
) -> Result<Box<dyn Stream>, SourceError> {
    let config = imap_tls_config(cfg, mailbox)?;
    let tls = timed(
        mailbox,
        timeout,
        "TLS handshake",
        crate::tls::handshake(config, &cfg.host, tcp),
        |e| SourceError::Tls {
            mailbox: mailbox.clone(),
            host: cfg.host.clone(),
            port: cfg.port,
            hint: crate::tls::explain(&e, &cfg.host, cfg.ca_file.as_deref()),
            cause: e.to_string(),
        },
    )
    .await?;
    Ok(Box::new(tls))
}

/// Reads the server's greeting. Silence means a server that waits for a TLS handshake;
/// `NoGreeting` says so.
async fn greeting<T: Stream>(
    mailbox: &MailboxName,
    cfg: &ImapConfig,
    timeout: Duration,
    client: &mut async_imap::Client<T>,
) -> Result<(), SourceError> {
    let r = tokio::time::timeout(timeout, client.read_response()).await;
    let closed = || SourceError::Protocol {
        mailbox: mailbox.clone(),
        detail: "the server closed the connection before its greeting".into(),
    };
    match r {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) => Err(closed()),
        Ok(Err(source)) => Err(SourceError::Connect {
            mailbox: mailbox.clone(),
            host: cfg.host.clone(),
            port: cfg.port,
            source,
        }),
        Err(_) => Err(SourceError::NoGreeting {
            mailbox: mailbox.clone(),
            host: cfg.host.clone(),
            port: cfg.port,
            secs: timeout.as_secs(),
        }),
    }
}

/// Connects and reads the greeting, with TLS or STARTTLS as configured: a client ready to
/// log in.
async fn connect(
    mailbox: &MailboxName,
    cfg: &ImapConfig,
    timeout: Duration,
) -> Result<async_imap::Client<Box<dyn Stream>>, SourceError> {
    let tcp = timed(
        mailbox,
        timeout,
        "connect",
        TcpStream::connect((cfg.host.as_str(), cfg.port)),
        |source| SourceError::Connect {
            mailbox: mailbox.clone(),
            host: cfg.host.clone(),
            port: cfg.port,
            source,
        },
    )
    .await?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = match cfg.security {
        Security::Plain => Box::new(tcp),
        Security::Tls => tls_over(mailbox, cfg, timeout, tcp).await?,
        Security::Starttls => {
            let mut client = async_imap::Client::new(tcp);
            greeting(mailbox, cfg, timeout, &mut client).await?;
            timed(
                mailbox,
                timeout,
                "STARTTLS",
                client.run_command_and_check_ok("STARTTLS", None),
                |e| SourceError::Tls {
                    mailbox: mailbox.clone(),
                    host: cfg.host.clone(),
                    port: cfg.port,
                    hint: "the server refused STARTTLS: does this port offer it? (security = \"tls\" is for ports like 993)".into(),
                    cause: e.to_string(),
                },
            )
            .await?;
            let client = async_imap::Client::new(
                tls_over(mailbox, cfg, timeout, client.into_inner()).await?,
            );
            return Ok(client);
        }
    };
    let mut client = async_imap::Client::new(stream);
    greeting(mailbox, cfg, timeout, &mut client).await?;
    Ok(client)
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

    fn folder_err(
        &self,
        op: &'static str,
        folder: &str,
    ) -> impl FnOnce(async_imap::error::Error) -> SourceError {
        let mailbox = self.mailbox.clone();
        let folder = folder.to_string();
        move |source| SourceError::Folder {
            mailbox,
            folder,
            op,
            source,
        }
    }

    /// Connects, reads the greeting, upgrades or wraps TLS as configured, logs in, and
    /// learns the server: its capabilities, namespace and folders.
    pub async fn open(
        mailbox: &MailboxName,
        cfg: &ImapConfig,
        timeout: Duration,
    ) -> Result<Connection, SourceError> {
        let session = match &cfg.auth {
            Auth::Password(secret) => {
                let password = secret.read(&format!("mailbox {:?}", mailbox.as_str()))?;
                let client = connect(mailbox, cfg, timeout).await?;
                timed(
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
                .await?
            }
            Auth::OAuth2(tokens) => Self::authenticate(mailbox, cfg, tokens, timeout).await?,
        };
        let mut conn = Connection {
            mailbox: mailbox.clone(),
            session,
            timeout,
            hierarchy: Hierarchy::new("", "/", "none"),
            known_folders: HashSet::new(),
            caps: Capabilities::default(),
            has_idle: false,
        };
        conn.learn(cfg.folder_prefix.as_deref()).await?;
        Ok(conn)
    }

    /// Logs in with an OAuth2 access token (`AUTHENTICATE XOAUTH2` or `OAUTHBEARER`). A
    /// refused token is forgotten, so the next attempt asks the provider for a new one (it
    /// may have been revoked before its time).
    async fn authenticate(
        mailbox: &MailboxName,
        cfg: &ImapConfig,
        tokens: &crate::oauth2::TokenSource,
        timeout: Duration,
    ) -> Result<Session, SourceError> {
        let oauth = |source| SourceError::OAuth2 {
            mailbox: mailbox.clone(),
            source: Box::new(source),
        };
        let token = tokens.token(timeout).await.map_err(oauth)?;
        let mechanism = tokens.config().mechanism;
        let client = connect(mailbox, cfg, timeout).await?;
        let auth = crate::oauth2::ImapAuth::new(mechanism, &cfg.username, &token);
        let r = timed(
            mailbox,
            timeout,
            "AUTHENTICATE",
            client.authenticate(mechanism.name(), auth),
            |(source, _)| SourceError::Login {
                mailbox: mailbox.clone(),
                user: format!("{} ({})", cfg.username, mechanism.name()),
                source,
            },
        )
        .await;
        if r.is_err() {
            tokens.forget().await;
        }
        r
    }

    /// CAPABILITY, NAMESPACE (when offered) and the folders that exist.
    async fn learn(&mut self, folder_prefix: Option<&str>) -> Result<(), SourceError> {
        let err = self.imap_err("CAPABILITY");
        let caps = timed(
            &self.mailbox.clone(),
            self.timeout,
            "CAPABILITY",
            self.session.capabilities(),
            err,
        )
        .await?;
        self.caps = Capabilities {
            idle: caps.has_str("IDLE"),
            r#move: caps.has_str("MOVE"),
            uidplus: caps.has_str("UIDPLUS"),
            condstore: caps.has_str("CONDSTORE"),
            namespace: caps.has_str("NAMESPACE"),
        };
        self.has_idle = self.caps.idle;
        let personal = if self.caps.namespace {
            self.namespace().await?
        } else {
            None
        };
        let listed_delimiter = self.load_folders().await?;
        let delimiter = personal
            .as_ref()
            .and_then(|(_, d)| d.clone())
            .or(listed_delimiter)
            .unwrap_or_else(|| "/".to_string());
        self.hierarchy = match (folder_prefix, personal) {
            (Some(p), _) => Hierarchy::new(p, &delimiter, "folder_prefix"),
            (None, Some((p, _))) => Hierarchy::new(&p, &delimiter, "NAMESPACE"),
            (None, None) => Hierarchy::new("", &delimiter, "none"),
        };
        Ok(())
    }

    /// The personal namespace (RFC 2342). async-imap cannot parse a NAMESPACE response, so
    /// this one command is written and read on the stream itself, right after CAPABILITY
    /// while nothing else is pending on it.
    async fn namespace(&mut self) -> Result<Option<(String, Option<String>)>, SourceError> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mailbox = self.mailbox.clone();
        let proto = |detail: String| SourceError::Protocol {
            mailbox: mailbox.clone(),
            detail,
        };
        let stream = self.session.as_mut();
        let lines = tokio::time::timeout(self.timeout, async {
            stream.write_all(b"pilahns NAMESPACE\r\n").await?;
            stream.flush().await?;
            let mut lines = Vec::new();
            let mut line = Vec::new();
            loop {
                let b = stream.read_u8().await?;
                line.push(b);
                if b != b'\n' {
                    continue;
                }
                let text = String::from_utf8_lossy(&line).trim_end().to_string();
                line.clear();
                let done = text.starts_with("pilahns ");
                lines.push(text);
                if done || lines.len() > 20 {
                    return Ok::<_, std::io::Error>(lines);
                }
            }
        })
        .await
        .map_err(|_| SourceError::Timeout {
            mailbox: self.mailbox.clone(),
            op: "NAMESPACE",
            secs: self.timeout.as_secs(),
        })?
        .map_err(|e| proto(format!("NAMESPACE: {e}")))?;
        let last = lines.last().cloned().unwrap_or_default();
        if !last.starts_with("pilahns OK") {
            return Err(proto(format!("NAMESPACE failed: {last:?}")));
        }
        match lines.iter().find(|l| l.starts_with("* NAMESPACE ")) {
            Some(l) => parse_namespace(l).map_err(proto),
            None => Err(proto(format!("NAMESPACE gave no namespace: {lines:?}"))),
        }
    }

    /// Every folder the server lists; returns the delimiter it reports.
    async fn load_folders(&mut self) -> Result<Option<String>, SourceError> {
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
        let mut delimiter = None;
        for n in &names {
            if let Some(d) = n.delimiter() {
                delimiter = Some(d.to_string());
            }
            self.known_folders.insert(n.name().to_string());
        }
        Ok(delimiter)
    }

    /// Where pilah's folders go on this server.
    pub fn hierarchy(&self) -> &Hierarchy {
        &self.hierarchy
    }

    /// How filed messages leave the watched folder on this server.
    pub fn filing(&self) -> Filing {
        if self.caps.r#move {
            Filing::Move
        } else if self.caps.uidplus {
            Filing::CopyExpunge
        } else {
            Filing::CopyFlag
        }
    }

    /// Whether a `/`-separated folder exists on the server.
    pub fn has_folder(&self, folder: &str) -> bool {
        self.hierarchy
            .server_name(folder)
            .is_ok_and(|n| self.known_folders.contains(&n))
    }

    /// A `/`-separated folder name in the server's own hierarchy; a name it cannot hold is
    /// [`SourceError::FolderRefused`].
    pub fn server_folder(&self, folder: &str) -> Result<String, SourceError> {
        self.hierarchy
            .server_name(folder)
            .map_err(|detail| SourceError::FolderRefused {
                mailbox: self.mailbox.clone(),
                folder: folder.to_string(),
                op: "name",
                detail,
            })
    }

    pub async fn select(&mut self, folder: &str) -> Result<FolderState, SourceError> {
        let err = self.folder_err("SELECT", folder);
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
            uidnext: mb.uid_next,
        })
    }

    /// Every UID in the selected folder, ascending; without MOVE and UIDPLUS, only those
    /// not flagged `\Deleted` (pilah's own filed copies wait there, see [`Filing::CopyFlag`]).
    pub async fn uids(&mut self) -> Result<Vec<u32>, SourceError> {
        let err = self.imap_err("UID SEARCH");
        let query = match self.filing() {
            Filing::CopyFlag => "UNDELETED",
            Filing::Move | Filing::CopyExpunge => "ALL",
        };
        let set = timed(
            &self.mailbox.clone(),
            self.timeout,
            "UID SEARCH",
            self.session.uid_search(query),
            err,
        )
        .await?;
        let mut v: Vec<u32> = set.into_iter().collect();
        v.sort_unstable();
        Ok(v)
    }

    /// A folder's UIDVALIDITY, UIDNEXT and number of messages (`STATUS`), without
    /// selecting it: whether anything came or went since the last look.
    pub async fn status(&mut self, server_name: &str) -> Result<FolderStatus, SourceError> {
        let err = self.folder_err("STATUS", server_name);
        let mb = timed(
            &self.mailbox.clone(),
            self.timeout,
            "STATUS",
            self.session
                .status(server_name, "(UIDNEXT UIDVALIDITY MESSAGES)"),
            err,
        )
        .await?;
        let missing = |what: &str| SourceError::Protocol {
            mailbox: self.mailbox.clone(),
            detail: format!("STATUS {server_name} gave no {what}"),
        };
        Ok(FolderStatus {
            uidvalidity: mb.uid_validity.ok_or_else(|| missing("UIDVALIDITY"))?,
            uidnext: mb.uid_next.ok_or_else(|| missing("UIDNEXT"))?,
            exists: mb.exists,
        })
    }

    /// Every UID in the selected folder not flagged `\Deleted`, ascending: where a mail
    /// client moved a message by COPY and `\Deleted`, the flagged copy has left.
    pub async fn undeleted_uids(&mut self) -> Result<Vec<u32>, SourceError> {
        let err = self.imap_err("UID SEARCH");
        let set = timed(
            &self.mailbox.clone(),
            self.timeout,
            "UID SEARCH",
            self.session.uid_search("UNDELETED"),
            err,
        )
        .await?;
        let mut v: Vec<u32> = set.into_iter().collect();
        v.sort_unstable();
        Ok(v)
    }

    /// What identifies the given messages of the selected folder without their bodies:
    /// size, arrival time (a move keeps both) and Message-ID.
    pub async fn identities(&mut self, uids: &[u32]) -> Result<Vec<Identity>, SourceError> {
        let mut out = Vec::with_capacity(uids.len());
        for chunk in uids.chunks(200) {
            let set = uid_set(chunk);
            let err = self.imap_err("UID FETCH identities");
            let t = self.timeout;
            let mailbox = self.mailbox.clone();
            let fetches = timed(
                &mailbox,
                t,
                "UID FETCH identities",
                async {
                    let s = self
                        .session
                        .uid_fetch(&set, "(UID RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER])")
                        .await?;
                    s.try_collect::<Vec<_>>().await
                },
                err,
            )
            .await?;
            out.extend(fetches.iter().filter_map(|f| {
                Some(Identity {
                    uid: f.uid?,
                    size: f.size?,
                    internal_date: f.internal_date().map(|d| d.with_timezone(&Utc)),
                    message_id: f.header().and_then(crate::parse::quick_message_id),
                })
            }));
        }
        out.sort_by_key(|i| i.uid);
        Ok(out)
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
    /// folder is refused ([`SourceError::FolderRefused`], with the server's words for the
    /// folder and for any parent it also refused).
    pub async fn ensure_folder(&mut self, folder: &str) -> Result<String, SourceError> {
        let name = self.server_folder(folder)?;
        if self.known_folders.contains(&name) {
            return Ok(name);
        }
        let parts: Vec<&str> = folder.split('/').collect();
        let mut parents_refused = Vec::new();
        for i in 1..=parts.len() {
            let partial = self.server_folder(&parts[..i].join("/"))?;
            if self.known_folders.contains(&partial) {
                continue;
            }
            match self.create(&partial).await? {
                None => {}
                // A parent only needs to exist for the final folder, which is checked.
                Some(words) if i < parts.len() => {
                    tracing::debug!(mailbox = %self.mailbox, folder = %partial, server = %words, "CREATE of a parent refused");
                    parents_refused.push(format!("CREATE {partial:?}: {words}"));
                    continue;
                }
                // Someone else created it meanwhile, or the server cannot make it: LIST says.
                Some(words) if !self.listed(&partial).await? => {
                    parents_refused.push(format!("CREATE {partial:?}: {words}"));
                    return Err(SourceError::FolderRefused {
                        mailbox: self.mailbox.clone(),
                        folder: folder.to_string(),
                        op: "CREATE",
                        detail: parents_refused.join("; "),
                    });
                }
                Some(_) => {}
            }
            self.known_folders.insert(partial);
        }
        Ok(name)
    }

    /// Whether filing into `folder` would work, tried for real: a folder that does not
    /// exist is created (with its missing parents) and deleted again. `Ok(leftovers)`: the
    /// folders the server would not delete afterwards, with its words.
    pub async fn probe_folder(&mut self, folder: &str) -> Result<Vec<String>, SourceError> {
        let before = self.known_folders.clone();
        let made = self.ensure_folder(folder).await;
        let mut created: Vec<String> = self.known_folders.difference(&before).cloned().collect();
        // Children before their parents.
        created.sort_by_key(|n| std::cmp::Reverse(n.len()));
        let mut leftovers = Vec::new();
        for name in created {
            if let Some(words) = self.delete(&name).await? {
                leftovers.push(format!("{name:?}: {words}"));
            }
        }
        made.map(|_| leftovers)
    }

    /// One CREATE: `Some(words)` when the server says `NO`.
    async fn create(&mut self, server_name: &str) -> Result<Option<String>, SourceError> {
        let err = self.folder_err("CREATE", server_name);
        let r = timed(
            &self.mailbox.clone(),
            self.timeout,
            "CREATE",
            self.session.create(server_name),
            err,
        )
        .await;
        match r {
            Ok(()) => Ok(None),
            Err(e) => refusal(&e).map(Some).ok_or(e),
        }
    }

    /// Deletes a folder pilah made (doctor's probe): `Some(words)` when the server says `NO`.
    pub async fn delete(&mut self, server_name: &str) -> Result<Option<String>, SourceError> {
        let err = self.folder_err("DELETE", server_name);
        let r = timed(
            &self.mailbox.clone(),
            self.timeout,
            "DELETE",
            self.session.delete(server_name),
            err,
        )
        .await;
        self.known_folders.remove(server_name);
        match r {
            Ok(()) => Ok(None),
            Err(e) => refusal(&e).map(Some).ok_or(e),
        }
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

    /// One `UID MOVE` (or COPY + STORE, + EXPUNGE with UIDPLUS: [`Filing`]) to a server
    /// folder name; a failure comes with the command that failed.
    async fn move_once(
        &mut self,
        uids: &[u32],
        target: &str,
    ) -> Result<(), (&'static str, SourceError)> {
        let set = uid_set(uids);
        let filing = self.filing();
        if filing == Filing::Move {
            let err = self.folder_err("UID MOVE", target);
            return timed(
                &self.mailbox.clone(),
                self.timeout,
                "UID MOVE",
                self.session.uid_mv(&set, target),
                err,
            )
            .await
            .map_err(|e| ("UID MOVE", e));
        }
        let err = self.folder_err("UID COPY", target);
        timed(
            &self.mailbox.clone(),
            self.timeout,
            "UID COPY",
            self.session.uid_copy(&set, target),
            err,
        )
        .await
        .map_err(|e| ("UID COPY", e))?;
        self.flag_deleted(&set)
            .await
            .map_err(|e| ("UID STORE", e))?;
        if filing == Filing::CopyExpunge {
            // Exactly these UIDs: never what another client flagged.
            let err = self.imap_err("UID EXPUNGE");
            let t = self.timeout;
            let mailbox = self.mailbox.clone();
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
        }
        Ok(())
    }

    /// `UID STORE +FLAGS.SILENT (\Deleted)` on a UID set of the selected folder.
    async fn flag_deleted(&mut self, set: &str) -> Result<(), SourceError> {
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
                    .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
                    .await?;
                s.try_collect::<Vec<_>>().await
            },
            err,
        )
        .await
        .map(|_| ())
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
    fn server_words_are_the_servers() {
        assert_eq!(
            server_words(r#"code: None, info: Some("Invalid mailbox name.")"#),
            "Invalid mailbox name."
        );
        assert_eq!(
            server_words(r#"code: Some(TryCreate), info: Some("Mailbox \"x\" does not exist.")"#),
            r#"[TryCreate] Mailbox "x" does not exist."#
        );
        assert_eq!(server_words("outcome: x"), "outcome: x");
    }

    #[test]
    fn namespaces_are_read() {
        let ns = |l: &str| parse_namespace(l).unwrap();
        assert_eq!(
            ns(r##"* NAMESPACE (("INBOX." ".")) NIL (("#shared." ".")("shared." "."))"##),
            Some(("INBOX.".into(), Some(".".into())))
        );
        assert_eq!(
            ns(r#"* NAMESPACE (("" "/")) NIL NIL"#),
            Some(("".into(), Some("/".into())))
        );
        assert_eq!(
            ns(r#"* NAMESPACE (("" NIL)) NIL NIL"#),
            Some(("".into(), None))
        );
        assert_eq!(ns("* NAMESPACE NIL NIL NIL"), None);
        assert_eq!(
            ns(r#"* NAMESPACE (("a\"b/" "/")) NIL NIL"#),
            Some(("a\"b/".into(), Some("/".into())))
        );
        assert!(parse_namespace("* NAMESPACE ((INBOX))").is_err());
    }

    #[test]
    fn folder_names_follow_the_server() {
        let dovecot = Hierarchy::new("", "/", "NAMESPACE");
        assert_eq!(dovecot.server_name("Pilah/apbd").unwrap(), "Pilah/apbd");
        let courier = Hierarchy::new("INBOX.", ".", "NAMESPACE");
        assert_eq!(
            courier.server_name("Pilah/apbd").unwrap(),
            "INBOX.Pilah.apbd"
        );
        assert_eq!(courier.server_name("INBOX/Arsip").unwrap(), "INBOX.Arsip");
        assert!(courier
            .server_name("Pilah/a.b")
            .unwrap_err()
            .contains("\"a.b\""));
        // A configured prefix without the delimiter gets it.
        let prefixed = Hierarchy::new("Shared/pilah", "/", "folder_prefix");
        assert_eq!(
            prefixed.server_name("Pilah/x").unwrap(),
            "Shared/pilah/Pilah/x"
        );
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[10, 1, 2, 3, 7, 9]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5]), "5");
    }
}
