//! The daemon's configuration: one TOML file, parsed into typed structs and validated once.
//!
//! Validation collects every problem with its `file:line:col` before failing, so an admin
//! fixes a config in one pass. Secrets never live in the config text: passwords are read
//! from a file, an environment variable, or a systemd credential.

use crate::location::{toml_diagnostic, Diagnostics, Location};
use crate::types::MailboxName;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration:\n{0}")]
    Invalid(Diagnostics),
    #[error("{key}: cannot read the secret: {detail}")]
    Secret { key: String, detail: String },
    /// A password file that group or others may read: refused, the password may have leaked.
    #[error(
        "{key}: the password file {} is readable by {} (mode {mode:04o}); pilah refuses a \
         password others can read: run `chmod 600 {}` (and change the password if someone \
         may have read it)",
        path.display(),
        readers(*mode),
        path.display()
    )]
    SecretReadable {
        key: String,
        path: PathBuf,
        mode: u32,
    },
}

/// Who besides the owner may read a file of this mode, in words.
fn readers(mode: u32) -> &'static str {
    match (mode & 0o040 != 0, mode & 0o004 != 0) {
        (true, true) => "group and others",
        (true, false) => "its group",
        (false, true) => "others",
        // Write or execute bits only: still not the owner's alone.
        (false, false) => "group or others (write or execute permission)",
    }
}

/// Reads a password file, refusing it if group or others have any permission on it. The
/// mode is taken from the opened file, so it is the mode of what is read.
fn read_private(path: &Path, key: &str) -> Result<String, ConfigError> {
    use std::io::Read;
    use std::os::unix::fs::PermissionsExt;
    let err = |e: std::io::Error| ConfigError::Secret {
        key: key.to_string(),
        detail: format!("{}: {e}", path.display()),
    };
    let mut file = std::fs::File::open(path).map_err(err)?;
    let mode = file.metadata().map_err(err)?.permissions().mode() & 0o777;
    if crate::private::open_to_others(mode) {
        return Err(ConfigError::SecretReadable {
            key: key.to_string(),
            path: path.to_path_buf(),
            mode,
        });
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(err)?;
    Ok(text)
}

/// How to talk to a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which must succeed.
    Starttls,
    /// No encryption: only accepted for a loopback server.
    Plain,
}

/// Where the packaged unit's `LoadCredential=` lines read the passwords from; used for
/// `password_credential` when pilah runs outside systemd.
pub const DEFAULT_CREDENTIALS_DIRECTORY: &str = "/etc/pilah/credentials";

/// Where a password comes from. Exactly one source per server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Env(String),
    /// A systemd credential (`LoadCredential=`), read from `$CREDENTIALS_DIRECTORY`, or from
    /// `/etc/pilah/credentials` outside systemd.
    Credential(String),
}

impl SecretSource {
    /// The config key this source was given with, for a password.
    pub fn key(&self) -> String {
        self.key_as("password")
    }

    /// The config key for a secret called `stem` (`password`, `client_secret`,
    /// `refresh_token`): `<stem>_file`, `<stem>_env` or `<stem>_credential`.
    pub fn key_as(&self, stem: &str) -> String {
        let kind = match self {
            SecretSource::File(_) => "file",
            SecretSource::Env(_) => "env",
            SecretSource::Credential(_) => "credential",
        };
        format!("{stem}_{kind}")
    }

    /// The file pilah reads itself and so must be private to pilah's user: a
    /// `password_file`, or a `password_credential` read from `/etc/pilah/credentials`
    /// outside systemd. `None` for an environment variable and for a credential under
    /// `$CREDENTIALS_DIRECTORY`, which systemd makes and keeps private.
    pub fn private_file(&self) -> Option<PathBuf> {
        match self {
            SecretSource::File(path) => Some(path.clone()),
            SecretSource::Env(_) => None,
            SecretSource::Credential(name) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
                Some(_) => None,
                None => Some(Path::new(DEFAULT_CREDENTIALS_DIRECTORY).join(name)),
            },
        }
    }

    /// Reads the secret; the trailing newline of a file is dropped. `table` names where it
    /// is configured (`smtp`, `mailbox "lapor"`); errors name `table.password_file` etc. A
    /// file that group or others may read is refused ([`ConfigError::SecretReadable`]).
    pub fn read(&self, table: &str) -> Result<String, ConfigError> {
        self.read_as(table, "password")
    }

    /// Reads the secret `stem` (see [`SecretSource::key_as`]) of `table`, as [`Self::read`].
    pub fn read_as(&self, table: &str, stem: &str) -> Result<String, ConfigError> {
        let key = format!("{table}.{}", self.key_as(stem));
        let err = |detail: String| ConfigError::Secret {
            key: key.clone(),
            detail,
        };
        let text = match self {
            SecretSource::File(path) => read_private(path, &key)?,
            SecretSource::Env(var) => std::env::var(var)
                .map_err(|_| err(format!("environment variable {var} is not set")))?,
            SecretSource::Credential(name) => match std::env::var_os("CREDENTIALS_DIRECTORY") {
                // Under systemd, LoadCredential= gives pilah a private copy.
                Some(dir) => {
                    let path = Path::new(&dir).join(name);
                    std::fs::read_to_string(&path)
                        .map_err(|e| err(format!("{}: {e}", path.display())))?
                }
                // An admin running `pilah doctor` by hand reads the same files from where
                // the unit loads them: pilah reads them itself, so they must be private.
                None => read_private(&Path::new(DEFAULT_CREDENTIALS_DIRECTORY).join(name), &key)?,
            },
        };
        Ok(text.trim_end_matches(['\r', '\n']).to_string())
    }
}

/// How pilah logs in to a server (`auth`).
#[derive(Debug, Clone)]
pub enum Auth {
    /// `auth = "password"` (the default): LOGIN / AUTH PLAIN with a password.
    Password(SecretSource),
    /// `auth = "oauth2"`: an access token from the provider, shared by every connection.
    OAuth2(std::sync::Arc<crate::oauth2::TokenSource>),
}

/// `auth` as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum AuthKind {
    Password,
    Oauth2,
}

#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub auth: Auth,
    /// The folder watched for new mail (usually `INBOX`).
    pub folder: String,
    /// Extra CA certificate (PEM) to trust, for a server with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Put before pilah's folder names in place of the server's personal namespace
    /// (`NAMESPACE`), in the server's own syntax, e.g. `INBOX.`; `None`: the namespace's.
    pub folder_prefix: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MailboxConfig {
    pub name: MailboxName,
    /// The mailbox's own address (acknowledgements are sent from it).
    pub address: String,
    /// Ticket prefix, e.g. `LPR` for lapor, `CC` for callcenter.
    pub ticket_prefix: String,
    pub imap: ImapConfig,
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    /// `None`: no AUTH (a loopback relay that trusts pilah's address).
    pub auth: Option<Auth>,
    pub ca_file: Option<PathBuf>,
    /// pilah's own address: forwards are sent from it.
    pub from: String,
    /// Display name on outgoing mail.
    pub from_name: String,
}

/// Folders (in each mailbox) for mail that no category's folder holds.
#[derive(Debug, Clone)]
pub struct Folders {
    pub machine: String,
    pub quarantine: String,
    /// Answers that claim to come from a PIC but that no trusted server vouched for.
    pub unverified: String,
}

/// Limits that protect the daemon and the people it writes to.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Messages larger than this are quarantined without being parsed.
    pub max_message_size: u64,
    /// Messages fetched per IMAP round trip.
    pub fetch_batch: usize,
    /// Acknowledgements to one sender within `ack_window` at most.
    pub ack_per_sender: u32,
    pub ack_window: Duration,
    /// Acknowledgements in total within an hour at most (a flood of forged senders).
    pub acks_per_hour: u32,
    /// Timeout of every network operation.
    pub network_timeout: Duration,
    /// How often a mailbox without IDLE is polled; also the longest IDLE before re-issuing it.
    pub poll_interval: Duration,
    /// First delay before a failed send is retried; it doubles up to an hour.
    pub retry_initial: Duration,
    /// A mailbox not fetched successfully for this long is reported to the admin.
    pub alert_after: Duration,
    /// Alerts about quarantined messages to the admin within an hour at most; beyond it, one
    /// digest per hour lists the rest.
    pub alerts_per_hour: u32,
    /// The bodies of sent mail are kept this long, then released (what was sent, to whom
    /// and when stays).
    pub keep_sent_bodies: Duration,
    /// Messages pilah identifies in one of its folders per pass, newest first, when it learns
    /// where they are (the first pass after an upgrade over a long history): the rest in
    /// later passes, so that new mail is never held up for long.
    pub watch_learn_per_pass: usize,
}

/// `[retention]`: how long the personal data in citizens' mail is kept (UU No. 27/2022 on
/// personal data protection; docs/operations.md, "Retention of personal data").
#[derive(Debug, Clone, Default)]
pub struct Retention {
    /// The raw files of messages that arrived more than this many months ago are removed;
    /// `None`: kept.
    pub raw_months: Option<u32>,
    /// With the raw file, the subject and the sender's name in the database are erased too.
    pub erase_subjects: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub state_dir: PathBuf,
    pub rules_dir: PathBuf,
    pub timezone: chrono_tz::Tz,
    /// Mail that arrived before this is recorded and filed, never acknowledged or forwarded.
    /// `None`: the day before the mailbox was first seen by pilah.
    pub start_date: Option<DateTime<Utc>>,
    /// Where problems pilah cannot solve itself are reported (quarantined mail).
    pub admin_address: Option<String>,
    /// Put the mailbox's address in `Cc` of forwards (not in the envelope), so that a PIC's
    /// reply-all reaches the mailbox and pilah sees the answer.
    pub forward_cc_mailbox: bool,
    /// Send reminders, escalations and digests outside service hours too.
    pub reminders_outside_hours: bool,
    /// Where the Prometheus metrics are served (`[metrics] listen`, loopback only); off when absent.
    pub metrics_listen: Option<std::net::SocketAddr>,
    pub smtp: SmtpConfig,
    pub mailboxes: Vec<MailboxConfig>,
    pub folders: Folders,
    pub limits: Limits,
    /// When the contact center serves (`[service_hours]`; default Monday–Friday 08:00–17:00).
    pub service_hours: crate::hours::ServiceHours,
    /// Which receiving servers' verdicts on senders pilah believes (`[authentication]`).
    pub authentication: crate::trust::TrustConfig,
    pub retention: Retention,
    /// The spam engine asked about every new message (`[spam]`); none when absent.
    pub spam: Option<crate::spam::SpamConfig>,
    /// The admin's own fixtures for `pilah rules test` (`fixtures_dir`; default: `fixtures`
    /// in the rules directory).
    pub fixtures_dir: Option<PathBuf>,
}

// ---- raw, as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    state_dir: Spanned<String>,
    rules_dir: Spanned<String>,
    timezone: Option<Spanned<String>>,
    start_date: Option<Spanned<String>>,
    admin_address: Option<Spanned<String>>,
    forward_cc_mailbox: Option<bool>,
    reminders_outside_hours: Option<bool>,
    smtp: Spanned<RawSmtp>,
    #[serde(default)]
    mailbox: Vec<Spanned<RawMailbox>>,
    folders: Option<RawFolders>,
    limits: Option<RawLimits>,
    metrics: Option<RawMetrics>,
    service_hours: Option<crate::hours::RawServiceHours>,
    authentication: Option<RawAuthentication>,
    retention: Option<RawRetention>,
    spam: Option<Spanned<RawSpam>>,
    fixtures_dir: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpam {
    address: Spanned<String>,
    required: Option<bool>,
    timeout_seconds: Option<Spanned<u64>>,
    max_size_kb: Option<Spanned<usize>>,
    retry_seconds: Option<Spanned<u64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    raw_months: Option<Spanned<i64>>,
    #[serde(default)]
    erase_subjects: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthentication {
    #[serde(default)]
    authserv_ids: Vec<Spanned<String>>,
    #[serde(default)]
    internal_networks: Vec<Spanned<String>>,
    #[serde(default)]
    trust_spam_headers: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: Spanned<String>,
    port: Option<u16>,
    security: Spanned<Security>,
    username: Option<String>,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_credential: Option<Spanned<String>>,
    auth: Option<Spanned<AuthKind>>,
    oauth2: Option<Spanned<RawOAuth2>>,
    ca_file: Option<Spanned<String>>,
    from: Spanned<String>,
    from_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    name: Spanned<String>,
    address: Spanned<String>,
    ticket_prefix: Option<Spanned<String>>,
    host: Spanned<String>,
    port: Option<u16>,
    security: Spanned<Security>,
    username: Spanned<String>,
    password_file: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_credential: Option<Spanned<String>>,
    auth: Option<Spanned<AuthKind>>,
    oauth2: Option<Spanned<RawOAuth2>>,
    folder: Option<String>,
    folder_prefix: Option<String>,
    ca_file: Option<Spanned<String>>,
}

/// `[mailbox.oauth2]`, `[smtp.oauth2]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOAuth2 {
    token_url: Spanned<String>,
    grant: Spanned<crate::oauth2::Grant>,
    client_id: Spanned<String>,
    client_secret_file: Option<Spanned<String>>,
    client_secret_env: Option<Spanned<String>>,
    client_secret_credential: Option<Spanned<String>>,
    refresh_token_file: Option<Spanned<String>>,
    refresh_token_env: Option<Spanned<String>>,
    refresh_token_credential: Option<Spanned<String>>,
    scope: Option<String>,
    mechanism: Option<Spanned<crate::oauth2::Mechanism>>,
    device_authorization_url: Option<Spanned<String>>,
    authorize_url: Option<Spanned<String>>,
    ca_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMetrics {
    listen: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFolders {
    machine: Option<String>,
    quarantine: Option<String>,
    unverified: Option<String>,
}

impl Folders {
    /// `[folders]` as written, with pilah's defaults for what is left out.
    fn from_raw(raw: Option<RawFolders>) -> Folders {
        let raw = raw.unwrap_or(RawFolders {
            machine: None,
            quarantine: None,
            unverified: None,
        });
        Folders {
            machine: raw.machine.unwrap_or_else(|| "Pilah/otomatis".to_string()),
            quarantine: raw
                .quarantine
                .unwrap_or_else(|| "Pilah/karantina".to_string()),
            unverified: raw
                .unverified
                .unwrap_or_else(|| "Pilah/tidak-terverifikasi".to_string()),
        }
    }
}

/// `[limits]` as written; each key is checked against its range in [`Validator::limits`].
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_message_size_mb: Option<Spanned<u64>>,
    fetch_batch: Option<Spanned<usize>>,
    ack_per_sender: Option<Spanned<u32>>,
    ack_window_minutes: Option<Spanned<u64>>,
    acks_per_hour: Option<Spanned<u32>>,
    network_timeout_seconds: Option<Spanned<u64>>,
    poll_interval_seconds: Option<Spanned<u64>>,
    retry_initial_seconds: Option<Spanned<u64>>,
    alert_after_minutes: Option<Spanned<u64>>,
    alerts_per_hour: Option<Spanned<u32>>,
    keep_sent_bodies_days: Option<Spanned<u64>>,
    watch_learn_per_pass: Option<Spanned<usize>>,
}

impl Config {
    /// Reads and validates the config file; every problem is reported at once.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let mut diags = Diagnostics::default();
        let raw: RawConfig = match toml::from_str(text) {
            Ok(raw) => raw,
            Err(e) => {
                diags.0.push(toml_diagnostic(path, text, &e));
                return Err(ConfigError::Invalid(diags));
            }
        };
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let v = Validator {
            path,
            text,
            base: &base,
        };
        let cfg = v.build(raw, &mut diags);
        match cfg {
            Some(cfg) if !diags.has_errors() => Ok(cfg),
            _ => Err(ConfigError::Invalid(diags)),
        }
    }

    pub fn mailbox(&self, name: &str) -> Option<&MailboxConfig> {
        self.mailboxes.iter().find(|m| m.name.as_str() == name)
    }

    /// Every secret's source with its full config key (`mailbox "lapor".password_file`,
    /// `smtp.oauth2.client_secret_env`).
    pub fn secrets(&self) -> Vec<(String, &SecretSource)> {
        let mut out = Vec::new();
        let tables = self
            .mailboxes
            .iter()
            .map(|m| (format!("mailbox {:?}", m.name.as_str()), Some(&m.imap.auth)))
            .chain([("smtp".to_string(), self.smtp.auth.as_ref())]);
        for (table, auth) in tables {
            match auth {
                Some(Auth::Password(p)) => out.push((format!("{table}.{}", p.key()), p)),
                Some(Auth::OAuth2(t)) => {
                    let c = t.config();
                    for (stem, src) in [
                        ("client_secret", &c.client_secret),
                        ("refresh_token", &c.refresh_token),
                    ] {
                        if let Some(src) = src {
                            out.push((format!("{}.{}", c.table, src.key_as(stem)), src));
                        }
                    }
                }
                None => {}
            }
        }
        out
    }

    /// Refuses, before anything starts, a password file that group or others may read
    /// (the same check as every read; a missing file is left to the read, which names it).
    pub fn check_secret_modes(&self) -> Result<(), ConfigError> {
        use std::os::unix::fs::PermissionsExt;
        for (key, src) in self.secrets() {
            let Some(path) = src.private_file() else {
                continue;
            };
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode() & 0o777;
            if crate::private::open_to_others(mode) {
                return Err(ConfigError::SecretReadable { key, path, mode });
            }
        }
        Ok(())
    }

    pub fn db_path(&self) -> PathBuf {
        self.state_dir.join("pilah.sqlite")
    }
}

/// What a server's table says about logging in.
struct AuthGiven {
    kind: Option<Spanned<AuthKind>>,
    /// `password_file`, `password_env`, `password_credential`.
    password: [Option<Spanned<String>>; 3],
    oauth2: Option<Spanned<RawOAuth2>>,
}

struct Validator<'a> {
    path: &'a Path,
    text: &'a str,
    base: &'a Path,
}

impl Validator<'_> {
    fn loc<T>(&self, s: &Spanned<T>) -> Location {
        Location::at(self.path, self.text, s.span().start)
    }

    fn path_of(&self, s: &str) -> PathBuf {
        let p = PathBuf::from(s);
        if p.is_absolute() {
            p
        } else {
            self.base.join(p)
        }
    }

    fn secret(
        &self,
        table: &str,
        file: Option<Spanned<String>>,
        env: Option<Spanned<String>>,
        cred: Option<Spanned<String>>,
        at: Location,
        diags: &mut Diagnostics,
    ) -> Option<SecretSource> {
        self.secret_as(table, "password", [file, env, cred], &at, diags)
    }

    /// `auth` with its password source or `oauth2` table; `None` when neither is given
    /// (or on an error, reported).
    fn auth(
        &self,
        table: &str,
        given: AuthGiven,
        state_dir: PathBuf,
        at: Location,
        diags: &mut Diagnostics,
    ) -> Option<Auth> {
        let [file, env, cred] = given.password;
        let password_given = file.is_some() || env.is_some() || cred.is_some();
        let kind = given.kind.map(|k| (*k.get_ref(), self.loc(&k)));
        match (kind, given.oauth2) {
            (Some((AuthKind::Oauth2, _)), Some(o)) => {
                if password_given {
                    diags.error(
                        at,
                        format!("{table}: auth = \"oauth2\" takes no password_* line"),
                    );
                }
                self.oauth2(&format!("{table}.oauth2"), o, state_dir, diags)
                    .map(|c| Auth::OAuth2(crate::oauth2::TokenSource::new(c)))
            }
            (Some((AuthKind::Oauth2, loc)), None) => {
                diags.error(
                    loc,
                    format!(
                        "{table}: auth = \"oauth2\" needs a [{}.oauth2] table (token_url, grant, client_id, …)",
                        if table == "smtp" { "smtp" } else { "mailbox" }
                    ),
                );
                None
            }
            (_, Some(o)) => {
                diags.error(
                    self.loc(&o),
                    format!(
                        "{table}.oauth2 is given but auth is not \"oauth2\": add auth = \"oauth2\""
                    ),
                );
                None
            }
            (_, None) => self
                .secret(table, file, env, cred, at, diags)
                .map(Auth::Password),
        }
    }

    /// One `oauth2` table: the grant and the secrets it needs, a token URL that is https
    /// (or http on loopback).
    fn oauth2(
        &self,
        table: &str,
        raw: Spanned<RawOAuth2>,
        state_dir: PathBuf,
        diags: &mut Diagnostics,
    ) -> Option<crate::oauth2::OAuth2Config> {
        use crate::oauth2::{Grant, Mechanism, OAuth2Config};
        let at = self.loc(&raw);
        let o = raw.into_inner();
        for (key, url) in [
            ("token_url", Some(&o.token_url)),
            (
                "device_authorization_url",
                o.device_authorization_url.as_ref(),
            ),
            ("authorize_url", o.authorize_url.as_ref()),
        ] {
            if let Some(url) = url {
                self.check_https(&format!("{table}.{key}"), url, diags);
            }
        }
        let client_secret = self.secret_as(
            table,
            "client_secret",
            [
                o.client_secret_file,
                o.client_secret_env,
                o.client_secret_credential,
            ],
            &at,
            diags,
        );
        let refresh_token = self.secret_as(
            table,
            "refresh_token",
            [
                o.refresh_token_file,
                o.refresh_token_env,
                o.refresh_token_credential,
            ],
            &at,
            diags,
        );
        let grant = *o.grant.get_ref();
        match (grant, &client_secret, &refresh_token) {
            (Grant::RefreshToken, _, None) => diags.error(
                self.loc(&o.grant),
                format!("{table}: grant = \"refresh_token\" needs refresh_token_file, refresh_token_env or refresh_token_credential"),
            ),
            (Grant::ClientCredentials, None, _) => diags.error(
                self.loc(&o.grant),
                format!("{table}: grant = \"client_credentials\" needs client_secret_file, client_secret_env or client_secret_credential"),
            ),
            (Grant::ClientCredentials, _, Some(_)) => diags.error(
                self.loc(&o.grant),
                format!("{table}: grant = \"client_credentials\" uses no refresh token: remove refresh_token_*"),
            ),
            _ => {}
        }
        Some(OAuth2Config {
            table: table.to_string(),
            token_url: o.token_url.into_inner(),
            grant,
            client_id: o.client_id.into_inner(),
            client_secret,
            refresh_token,
            scope: o.scope,
            mechanism: o.mechanism.map_or(Mechanism::Xoauth2, |m| m.into_inner()),
            device_authorization_url: o.device_authorization_url.map(|u| u.into_inner()),
            authorize_url: o.authorize_url.map(|u| u.into_inner()),
            ca_file: o.ca_file.map(|c| self.path_of(c.get_ref())),
            state_dir,
        })
    }

    /// An `https://` URL, or `http://` to a loopback host.
    fn check_https(&self, key: &str, url: &Spanned<String>, diags: &mut Diagnostics) {
        let text = url.get_ref();
        let host = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?']).next().unwrap_or(""))
            .map(|h| {
                h.rsplit_once(':')
                    .map_or(h, |(h, _)| h)
                    .trim_matches(['[', ']'])
            });
        match host {
            Some(h) if text.starts_with("http://") && !is_loopback(h) => diags.error(
                self.loc(url),
                format!("{key}: {text:?} must be https:// (plain http only for a loopback server)"),
            ),
            Some(h) if !h.is_empty() => {}
            _ => diags.error(
                self.loc(url),
                format!("{key}: {text:?} is not an https:// URL"),
            ),
        }
    }

    /// At most one of `<stem>_file`, `<stem>_env`, `<stem>_credential`.
    fn secret_as(
        &self,
        table: &str,
        stem: &str,
        [file, env, cred]: [Option<Spanned<String>>; 3],
        at: &Location,
        diags: &mut Diagnostics,
    ) -> Option<SecretSource> {
        let mut found = Vec::new();
        if let Some(f) = file {
            found.push(SecretSource::File(self.path_of(f.get_ref())));
        }
        if let Some(e) = env {
            found.push(SecretSource::Env(e.into_inner()));
        }
        if let Some(c) = cred {
            found.push(SecretSource::Credential(c.into_inner()));
        }
        if found.len() > 1 {
            diags.error(
                at.clone(),
                format!("{table}: give only one of {stem}_file, {stem}_env, {stem}_credential"),
            );
            return None;
        }
        found.pop()
    }

    fn check_security(
        &self,
        table: &str,
        host: &Spanned<String>,
        sec: &Spanned<Security>,
        diags: &mut Diagnostics,
    ) {
        if *sec.get_ref() == Security::Plain && !is_loopback(host.get_ref()) {
            diags.error(
                self.loc(sec),
                format!(
                    "{table}.security = \"plain\" is only allowed for a loopback server, \
                     and {:?} is not one: use \"tls\" or \"starttls\"",
                    host.get_ref()
                ),
            );
        }
    }

    fn check_address(&self, key: &str, s: &Spanned<String>, diags: &mut Diagnostics) {
        if s.get_ref().parse::<lettre::Address>().is_err() {
            diags.error(
                self.loc(s),
                format!("{key}: {:?} is not an e-mail address", s.get_ref()),
            );
        }
    }

    fn build(&self, raw: RawConfig, diags: &mut Diagnostics) -> Option<Config> {
        let timezone = self.timezone(raw.timezone.as_ref(), diags);
        let start_date = self.start_date(raw.start_date.as_ref(), timezone, diags);
        if let Some(a) = &raw.admin_address {
            self.check_address("admin_address", a, diags);
        }
        let state_dir = self.path_of(raw.state_dir.get_ref());
        let smtp = self.smtp(raw.smtp, &state_dir, diags);
        if raw.mailbox.is_empty() {
            diags.error(
                Location::at(self.path, self.text, 0),
                "no [[mailbox]] table: pilah needs at least one mailbox to watch",
            );
        }
        let mut mailboxes: Vec<MailboxConfig> = Vec::new();
        for m in raw.mailbox {
            let mailbox = self.mailbox(m, &mailboxes, &state_dir, diags);
            mailboxes.push(mailbox);
        }
        let limits = self.limits(raw.limits.unwrap_or_default(), diags);
        let metrics_listen = self.metrics_listen(raw.metrics, diags);
        let authentication = self.authentication(raw.authentication, diags);
        let retention = self.retention(raw.retention, diags);
        let spam = raw.spam.and_then(|s| self.spam(s, diags));
        let service_hours = crate::hours::ServiceHours::from_config(
            raw.service_hours,
            self.path,
            self.text,
            self.base,
            diags,
        );

        Some(Config {
            path: self.path.to_path_buf(),
            state_dir,
            rules_dir: self.path_of(raw.rules_dir.get_ref()),
            timezone,
            start_date,
            admin_address: raw.admin_address.map(|a| a.into_inner()),
            forward_cc_mailbox: raw.forward_cc_mailbox.unwrap_or(true),
            reminders_outside_hours: raw.reminders_outside_hours.unwrap_or(false),
            metrics_listen,
            smtp,
            mailboxes,
            folders: Folders::from_raw(raw.folders),
            limits,
            service_hours,
            authentication,
            retention,
            spam,
            fixtures_dir: raw.fixtures_dir.map(|p| self.path_of(p.get_ref())),
        })
    }

    /// `timezone`: an IANA name, Asia/Jakarta (WIB) when absent.
    fn timezone(&self, raw: Option<&Spanned<String>>, diags: &mut Diagnostics) -> chrono_tz::Tz {
        match raw {
            None => chrono_tz::Asia::Jakarta,
            Some(tz) => match tz.get_ref().parse::<chrono_tz::Tz>() {
                Ok(tz) => tz,
                Err(_) => {
                    diags.error(
                        self.loc(tz),
                        format!("timezone: unknown time zone {:?}", tz.get_ref()),
                    );
                    chrono_tz::Asia::Jakarta
                }
            },
        }
    }

    /// `start_date`: a date or a date and time, read in the configured zone.
    fn start_date(
        &self,
        raw: Option<&Spanned<String>>,
        timezone: chrono_tz::Tz,
        diags: &mut Diagnostics,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        raw.and_then(|s| {
            let parsed = parse_start_date(s.get_ref(), timezone);
            if parsed.is_none() {
                diags.error(
                    self.loc(s),
                    format!(
                        "start_date: {:?} is neither a date (2024-03-01) nor a date and time \
                         (2024-03-01T08:00:00+07:00)",
                        s.get_ref()
                    ),
                );
            }
            parsed
        })
    }

    /// `[smtp]`: the server pilah sends through, with its password source.
    fn smtp(&self, raw: Spanned<RawSmtp>, state_dir: &Path, diags: &mut Diagnostics) -> SmtpConfig {
        let smtp_loc = self.loc(&raw);
        let rs = raw.into_inner();
        self.check_security("smtp", &rs.host, &rs.security, diags);
        self.check_address("smtp.from", &rs.from, diags);
        let auth = self.auth(
            "smtp",
            AuthGiven {
                kind: rs.auth,
                password: [rs.password_file, rs.password_env, rs.password_credential],
                oauth2: rs.oauth2,
            },
            state_dir.join("oauth2"),
            smtp_loc.clone(),
            diags,
        );
        if let Some(Auth::OAuth2(t)) = &auth {
            if t.config().mechanism != crate::oauth2::Mechanism::Xoauth2 {
                diags.error(
                    smtp_loc.clone(),
                    "smtp.oauth2.mechanism: pilah sends mail with XOAUTH2 only (every provider \
                     that needs OAuth2 for SMTP takes it): remove the mechanism line",
                );
            }
        }
        if rs.username.is_some() != auth.is_some() {
            diags.error(
                smtp_loc,
                "smtp: username and a password source (password_file, password_env or \
                 password_credential) or auth = \"oauth2\" go together",
            );
        }
        SmtpConfig {
            port: rs.port.unwrap_or(match rs.security.get_ref() {
                Security::Tls => 465,
                Security::Starttls => 587,
                Security::Plain => 25,
            }),
            host: rs.host.into_inner(),
            security: rs.security.into_inner(),
            username: rs.username,
            auth,
            ca_file: rs.ca_file.map(|c| self.path_of(c.get_ref())),
            from: rs.from.into_inner(),
            from_name: rs
                .from_name
                .unwrap_or_else(|| "Contact Center DJPK".to_string()),
        }
    }

    /// One `[[mailbox]]`, checked against the mailboxes before it (names, ticket prefixes).
    fn mailbox(
        &self,
        m: Spanned<RawMailbox>,
        earlier: &[MailboxConfig],
        state_dir: &Path,
        diags: &mut Diagnostics,
    ) -> MailboxConfig {
        let at = self.loc(&m);
        let m = m.into_inner();
        let name = m.name.get_ref().clone();
        let table = format!("mailbox {name:?}");
        if !is_id(&name) {
            diags.error(
                self.loc(&m.name),
                format!("mailbox.name: {name:?} must be lower-case letters, digits and '-'"),
            );
        }
        if earlier.iter().any(|x| x.name.as_str() == name) {
            diags.error(
                self.loc(&m.name),
                format!("mailbox.name: {name:?} is defined twice"),
            );
        }
        self.check_security(&table, &m.host, &m.security, diags);
        self.check_address(&format!("{table}.address"), &m.address, diags);
        let reported = diags.errors().count();
        let auth = self.auth(
            &table,
            AuthGiven {
                kind: m.auth,
                password: [m.password_file, m.password_env, m.password_credential],
                oauth2: m.oauth2,
            },
            state_dir.join("oauth2"),
            at.clone(),
            diags,
        );
        if auth.is_none() && diags.errors().count() == reported {
            diags.error(
                at.clone(),
                format!(
                    "{table}: no password source: set password_file, password_env or \
                     password_credential (or auth = \"oauth2\" with a [mailbox.oauth2] table)"
                ),
            );
        }
        let prefix =
            self.ticket_prefix(&table, &name, m.ticket_prefix.as_ref(), earlier, &at, diags);
        let security = *m.security.get_ref();
        MailboxConfig {
            name: MailboxName(name),
            address: m.address.into_inner().to_lowercase(),
            ticket_prefix: prefix,
            imap: ImapConfig {
                port: m.port.unwrap_or(match security {
                    Security::Tls => 993,
                    _ => 143,
                }),
                host: m.host.into_inner(),
                security,
                username: m.username.into_inner(),
                auth: auth.unwrap_or(Auth::Password(SecretSource::Env(String::new()))),
                folder: m.folder.unwrap_or_else(|| "INBOX".to_string()),
                ca_file: m.ca_file.map(|c| self.path_of(c.get_ref())),
                folder_prefix: m.folder_prefix,
            },
        }
    }

    /// `ticket_prefix`: upper-case letters, unique among the mailboxes; by default from the
    /// mailbox's name.
    fn ticket_prefix(
        &self,
        table: &str,
        name: &str,
        raw: Option<&Spanned<String>>,
        earlier: &[MailboxConfig],
        at: &Location,
        diags: &mut Diagnostics,
    ) -> String {
        let prefix = match raw {
            Some(p) => {
                let ok =
                    !p.get_ref().is_empty() && p.get_ref().chars().all(|c| c.is_ascii_uppercase());
                if !ok {
                    diags.error(
                        self.loc(p),
                        format!(
                            "{table}.ticket_prefix: {:?} must be upper-case letters",
                            p.get_ref()
                        ),
                    );
                }
                p.get_ref().clone()
            }
            None => default_prefix(name),
        };
        if earlier.iter().any(|x| x.ticket_prefix == prefix) {
            diags.error(
                at.clone(),
                format!("{table}: ticket prefix {prefix:?} is used by another mailbox"),
            );
        }
        prefix
    }

    /// `[metrics] listen`: a loopback address and port, or nothing.
    fn metrics_listen(
        &self,
        raw: Option<RawMetrics>,
        diags: &mut Diagnostics,
    ) -> Option<std::net::SocketAddr> {
        raw.and_then(|m| {
            match m.listen.get_ref().parse::<std::net::SocketAddr>() {
                Ok(a) if a.ip().is_loopback() => Some(a),
                Ok(_) => {
                    diags.error(
                        self.loc(&m.listen),
                        "metrics.listen: the metrics are served on a loopback address only (127.0.0.1:PORT or [::1]:PORT)",
                    );
                    None
                }
                Err(_) => {
                    diags.error(
                        self.loc(&m.listen),
                        format!("metrics.listen: {:?} is not an address and port, e.g. \"127.0.0.1:9187\"", m.listen.get_ref()),
                    );
                    None
                }
            }
        })
    }

    /// `[authentication]`: the authserv-ids and internal networks, checked.
    fn authentication(
        &self,
        raw: Option<RawAuthentication>,
        diags: &mut Diagnostics,
    ) -> crate::trust::TrustConfig {
        let Some(raw) = raw else {
            return crate::trust::TrustConfig::default();
        };
        let mut trust = crate::trust::TrustConfig {
            spam_headers: raw.trust_spam_headers,
            ..Default::default()
        };
        for id in raw.authserv_ids {
            let v = id.get_ref().trim();
            if v.is_empty() || v.contains([' ', ';', '(', ')', '=']) {
                diags.error(
                    self.loc(&id),
                    format!(
                        "authentication.authserv_ids: {:?} is not an authserv-id (the first word of the receiving server's Authentication-Results header, e.g. \"mx.kemenkeu.go.id\")",
                        id.get_ref()
                    ),
                );
            } else {
                trust.authserv_ids.push(v.to_ascii_lowercase());
            }
        }
        for net in raw.internal_networks {
            let v = net.get_ref().trim();
            let parsed = v
                .parse::<ipnet::IpNet>()
                .or_else(|_| v.parse::<std::net::IpAddr>().map(ipnet::IpNet::from));
            match parsed {
                Ok(n) => trust.internal_networks.push(n),
                Err(_) => diags.error(
                    self.loc(&net),
                    format!(
                        "authentication.internal_networks: {:?} is not an address or network, e.g. \"10.0.0.0/8\" or \"192.0.2.25\"",
                        net.get_ref()
                    ),
                ),
            }
        }
        trust
    }

    /// `[retention]`: absent, raw mail is kept; `raw_months` from 1 to 240, else an error at
    /// its place.
    fn retention(&self, raw: Option<RawRetention>, diags: &mut Diagnostics) -> Retention {
        let Some(r) = raw else {
            return Retention::default();
        };
        let raw_months = r
            .raw_months
            .and_then(|m| match u32::try_from(*m.get_ref()) {
                Ok(n) if (1..=240).contains(&n) => Some(n),
                _ => {
                    diags.error(
                        self.loc(&m),
                        format!(
                            "retention.raw_months: {} is out of range: give a number of \
                             months from 1 to 240, or leave it out to keep raw mail",
                            m.get_ref()
                        ),
                    );
                    None
                }
            });
        Retention {
            raw_months,
            erase_subjects: r.erase_subjects,
        }
    }

    /// `[spam]`: the engine's address (loopback only: spamd's protocol is not encrypted, and
    /// the messages are citizens' mail), whether a score is required, the timeout, the
    /// largest message sent, and how soon held messages are tried again.
    fn spam(
        &self,
        raw: Spanned<RawSpam>,
        diags: &mut Diagnostics,
    ) -> Option<crate::spam::SpamConfig> {
        let r = raw.into_inner();
        let address = r.address.get_ref().trim().to_string();
        let loopback = match address.rsplit_once(':') {
            Some((host, port)) if port.parse::<u16>().is_ok_and(|p| p > 0) => {
                let host = host.trim_start_matches('[').trim_end_matches(']');
                host.eq_ignore_ascii_case("localhost")
                    || host
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            }
            _ => {
                diags.error(
                    self.loc(&r.address),
                    format!(
                        "spam.address: {:?} is not a host and port, e.g. \"127.0.0.1:783\"",
                        r.address.get_ref()
                    ),
                );
                return None;
            }
        };
        if !loopback {
            diags.error(
                self.loc(&r.address),
                format!(
                    "spam.address: {:?} is not on this machine: spamd's protocol is not \
                     encrypted and would carry citizens' mail across the network in the \
                     clear; run spamd on this host (127.0.0.1, docs/operations.md)",
                    r.address.get_ref()
                ),
            );
        }
        let seconds = Duration::from_secs;
        let timeout = self.limit_in(
            "spam",
            "timeout_seconds",
            r.timeout_seconds,
            30,
            1..=600,
            diags,
        );
        let max_kb = self.limit_in(
            "spam",
            "max_size_kb",
            r.max_size_kb,
            500,
            1..=100 * 1024,
            diags,
        );
        let retry = self.limit_in(
            "spam",
            "retry_seconds",
            r.retry_seconds,
            60,
            5..=3600,
            diags,
        );
        Some(crate::spam::SpamConfig {
            address,
            required: r.required.unwrap_or(true),
            timeout: seconds(timeout),
            max_size: max_kb * 1024,
            retry: seconds(retry),
        })
    }

    /// `[limits]`: each key's default and valid range (inclusive). A value out of its range
    /// is an error at its place, never clamped.
    fn limits(&self, l: RawLimits, diags: &mut Diagnostics) -> Limits {
        const MIB: u64 = 1024 * 1024;
        let minutes = |m: u64| Duration::from_secs(60 * m);
        let seconds = Duration::from_secs;
        Limits {
            max_message_size: MIB
                * self.limit(
                    "max_message_size_mb",
                    l.max_message_size_mb,
                    50,
                    1..=4096,
                    diags,
                ),
            fetch_batch: self.limit("fetch_batch", l.fetch_batch, 50, 1..=1000, diags),
            ack_per_sender: self.limit("ack_per_sender", l.ack_per_sender, 30, 0..=100_000, diags),
            ack_window: minutes(self.limit(
                "ack_window_minutes",
                l.ack_window_minutes,
                60,
                1..=7 * 24 * 60,
                diags,
            )),
            acks_per_hour: self.limit("acks_per_hour", l.acks_per_hour, 300, 0..=1_000_000, diags),
            network_timeout: seconds(self.limit(
                "network_timeout_seconds",
                l.network_timeout_seconds,
                60,
                1..=3600,
                diags,
            )),
            poll_interval: seconds(self.limit(
                "poll_interval_seconds",
                l.poll_interval_seconds,
                300,
                1..=29 * 60,
                diags,
            )),
            retry_initial: seconds(self.limit(
                "retry_initial_seconds",
                l.retry_initial_seconds,
                30,
                1..=3600,
                diags,
            )),
            alert_after: minutes(self.limit(
                "alert_after_minutes",
                l.alert_after_minutes,
                30,
                0..=7 * 24 * 60,
                diags,
            )),
            alerts_per_hour: self.limit("alerts_per_hour", l.alerts_per_hour, 10, 0..=1000, diags),
            keep_sent_bodies: minutes(
                24 * 60
                    * self.limit(
                        "keep_sent_bodies_days",
                        l.keep_sent_bodies_days,
                        30,
                        0..=3650,
                        diags,
                    ),
            ),
            watch_learn_per_pass: self.limit(
                "watch_learn_per_pass",
                l.watch_learn_per_pass,
                2000,
                1..=1_000_000,
                diags,
            ),
        }
    }

    /// One `[limits]` key: its value if given and within `range`, else its default (a value
    /// out of range is reported with the range, and the config is refused).
    fn limit<T>(
        &self,
        key: &str,
        value: Option<Spanned<T>>,
        default: T,
        range: std::ops::RangeInclusive<T>,
        diags: &mut Diagnostics,
    ) -> T
    where
        T: Copy + PartialOrd + std::fmt::Display,
    {
        self.limit_in("limits", key, value, default, range, diags)
    }

    /// A number of the config's `table`, checked against its range as [`Self::limit`] does.
    fn limit_in<T>(
        &self,
        table: &str,
        key: &str,
        value: Option<Spanned<T>>,
        default: T,
        range: std::ops::RangeInclusive<T>,
        diags: &mut Diagnostics,
    ) -> T
    where
        T: Copy + PartialOrd + std::fmt::Display,
    {
        let Some(v) = value else {
            return default;
        };
        if range.contains(v.get_ref()) {
            return v.into_inner();
        }
        diags.error(
            self.loc(&v),
            format!(
                "{table}.{key}: {} is out of range: give a value from {} to {} (default {default})",
                v.get_ref(),
                range.start(),
                range.end()
            ),
        );
        default
    }
}

fn default_prefix(name: &str) -> String {
    match name {
        "lapor" => "LPR".to_string(),
        "callcenter" => "CC".to_string(),
        other => other
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .take(4)
            .collect::<String>()
            .to_ascii_uppercase(),
    }
}

fn parse_start_date(s: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let local = d.and_hms_opt(0, 0, 0)?;
    local
        .and_local_timezone(tz)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Lower-case letters, digits and hyphens: the form of every id in config and rules.
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// True for `localhost` and loopback IP addresses.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
state_dir = "/var/lib/pilah"
rules_dir = "/etc/pilah/rules"

[smtp]
host = "127.0.0.1"
port = 10025
security = "plain"
from = "pilah@djpk.test"

[[mailbox]]
name = "lapor"
address = "lapor@djpk.test"
host = "127.0.0.1"
port = 10143
security = "starttls"
username = "lapor@djpk.test"
password_env = "LAPOR_PASSWORD"
"#;

    #[test]
    fn a_good_config_loads_with_defaults() {
        let c = Config::parse(Path::new("/etc/pilah/pilah.toml"), GOOD).unwrap();
        assert_eq!(c.mailboxes[0].ticket_prefix, "LPR");
        assert_eq!(c.mailboxes[0].imap.folder, "INBOX");
        assert_eq!(c.timezone, chrono_tz::Asia::Jakarta);
        assert_eq!(c.folders.quarantine, "Pilah/karantina");
        assert_eq!(c.limits.alerts_per_hour, 10);
    }

    /// GOOD with lapor's password line replaced by `auth` lines and an oauth2 table.
    fn with_oauth2(lines: &str, table: &str) -> Result<Config, ConfigError> {
        let text = GOOD.replace(
            "password_env = \"LAPOR_PASSWORD\"\n",
            &format!("{lines}\n[mailbox.oauth2]\n{table}"),
        );
        Config::parse(Path::new("p.toml"), &text)
    }

    #[test]
    fn an_oauth2_mailbox_loads_with_its_grant_and_state_dir() {
        let c = with_oauth2(
            "auth = \"oauth2\"",
            "token_url = \"https://login.microsoftonline.com/t/oauth2/v2.0/token\"\n\
             grant = \"client_credentials\"\nclient_id = \"app\"\n\
             client_secret_credential = \"pilah-app-secret\"\nmechanism = \"oauthbearer\"\n",
        )
        .unwrap();
        let Auth::OAuth2(t) = &c.mailboxes[0].imap.auth else {
            panic!("not oauth2");
        };
        let o = t.config();
        assert_eq!(o.grant, crate::oauth2::Grant::ClientCredentials);
        assert_eq!(o.mechanism, crate::oauth2::Mechanism::Oauthbearer);
        assert_eq!(o.table, "mailbox \"lapor\".oauth2");
        assert_eq!(o.state_dir, Path::new("/var/lib/pilah/oauth2"));
        let keys: Vec<String> = c.secrets().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["mailbox \"lapor\".oauth2.client_secret_credential"]);
    }

    #[test]
    fn oauth2_mistakes_are_named_with_their_place() {
        let err = |lines: &str, table: &str| with_oauth2(lines, table).unwrap_err().to_string();
        let refresh = "token_url = \"https://oauth2.googleapis.com/token\"\n\
                       grant = \"refresh_token\"\nclient_id = \"c\"\n";
        let e = err("auth = \"oauth2\"", refresh);
        assert!(e.contains("p.toml:21:9"), "{e}");
        assert!(e.contains("needs refresh_token_file"), "{e}");
        let e = err("", &format!("{refresh}refresh_token_env = \"T\"\n"));
        assert!(e.contains("auth is not \"oauth2\""), "{e}");
        let e = err(
            "auth = \"oauth2\"",
            "token_url = \"http://login.example.com/token\"\ngrant = \"client_credentials\"\n\
             client_id = \"c\"\nclient_secret_env = \"S\"\n",
        );
        assert!(e.contains("must be https://"), "{e}");
        let e = err(
            "auth = \"oauth2\"\npassword_env = \"P\"",
            &format!("{refresh}refresh_token_env = \"T\"\n"),
        );
        assert!(e.contains("takes no password_* line"), "{e}");
        let text = GOOD.replace(
            "from = \"pilah@djpk.test\"",
            "from = \"pilah@djpk.test\"\nauth = \"oauth2\"",
        );
        let e = Config::parse(Path::new("p.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(e.contains("needs a [smtp.oauth2] table"), "{e}");
    }

    #[test]
    fn the_alert_cap_is_read_and_out_of_range_is_an_error() {
        let with = |n: &str| {
            let text = GOOD.replace(
                "[smtp]",
                &format!("[limits]\nalerts_per_hour = {n}\n\n[smtp]"),
            );
            Config::parse(Path::new("p.toml"), &text).map(|c| c.limits.alerts_per_hour)
        };
        assert_eq!(with("3").unwrap(), 3);
        assert_eq!(with("0").unwrap(), 0);
        let err = with("100000").unwrap_err().to_string();
        assert!(
            err.contains("limits.alerts_per_hour: 100000 is out of range"),
            "{err}"
        );
        let err = with("-1").unwrap_err().to_string();
        assert!(err.contains("p.toml:6:19") && err.contains("u32"), "{err}");
    }

    #[test]
    fn sent_bodies_are_kept_thirty_days_unless_told_and_out_of_range_is_an_error() {
        let with = |n: Option<&str>| {
            let text = match n {
                Some(n) => GOOD.replace(
                    "[smtp]",
                    &format!("[limits]\nkeep_sent_bodies_days = {n}\n\n[smtp]"),
                ),
                None => GOOD.to_string(),
            };
            Config::parse(Path::new("p.toml"), &text).map(|c| c.limits.keep_sent_bodies)
        };
        let days = |d: u64| Duration::from_secs(d * 24 * 3600);
        assert_eq!(with(None).unwrap(), days(30));
        assert_eq!(with(Some("0")).unwrap(), days(0));
        assert_eq!(with(Some("365")).unwrap(), days(365));
        let err = with(Some("5000")).unwrap_err().to_string();
        assert!(
            err.contains("limits.keep_sent_bodies_days: 5000 is out of range: give a value from 0 to 3650 (default 30)"),
            "{err}"
        );
    }

    #[test]
    fn the_spam_engine_is_off_by_default_and_required_once_configured() {
        let c = Config::parse(Path::new("p.toml"), GOOD).unwrap();
        assert!(c.spam.is_none());
        let text = GOOD.replace("[smtp]", "[spam]\naddress = \"127.0.0.1:783\"\n\n[smtp]");
        let s = Config::parse(Path::new("p.toml"), &text)
            .unwrap()
            .spam
            .unwrap();
        assert_eq!(s.address, "127.0.0.1:783");
        assert!(s.required);
        assert_eq!(s.timeout, Duration::from_secs(30));
        assert_eq!(s.max_size, 500 * 1024);
        let text = GOOD.replace(
            "[smtp]",
            "[spam]\naddress = \"localhost:10783\"\nrequired = false\ntimeout_seconds = 5\nmax_size_kb = 2048\n\n[smtp]",
        );
        let s = Config::parse(Path::new("p.toml"), &text)
            .unwrap()
            .spam
            .unwrap();
        assert!(!s.required);
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert_eq!(s.max_size, 2048 * 1024);
    }

    #[test]
    fn a_spam_engine_elsewhere_or_a_bad_number_is_refused_at_its_place() {
        for (spam, want) in [
            (
                "address = \"10.1.2.3:783\"",
                "p.toml:6:11: error: spam.address: \"10.1.2.3:783\" is not on this machine",
            ),
            (
                "address = \"spamd\"",
                "p.toml:6:11: error: spam.address: \"spamd\" is not a host and port",
            ),
            (
                "address = \"127.0.0.1:783\"\ntimeout_seconds = 0",
                "p.toml:7:19: error: spam.timeout_seconds: 0 is out of range: give a value from 1 to 600",
            ),
            (
                "address = \"127.0.0.1:783\"\nrequire = true",
                "unknown field `require`",
            ),
        ] {
            let text = GOOD.replace("[smtp]", &format!("[spam]\n{spam}\n\n[smtp]"));
            let err = Config::parse(Path::new("p.toml"), &text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{spam}: {err}");
        }
    }

    #[test]
    fn retention_counts_months_on_the_configured_clock_and_out_of_range_is_an_error() {
        let with = |r: &str| {
            let text = GOOD.replace("[smtp]", &format!("[retention]\n{r}\n\n[smtp]"));
            Config::parse(Path::new("p.toml"), &text)
        };
        let c = Config::parse(Path::new("p.toml"), GOOD).unwrap();
        let now: DateTime<Utc> = "2024-09-15T00:00:00Z".parse().unwrap();
        assert_eq!(
            crate::daemon::retention_cutoff(&c, now),
            None,
            "kept unless told"
        );
        let c = with("raw_months = 6\nerase_subjects = true").unwrap();
        assert!(c.retention.erase_subjects);
        // Six months before 07:00 WIB on 15 September: 07:00 WIB on 15 March.
        assert_eq!(
            crate::daemon::retention_cutoff(&c, now).map(|t| t.to_rfc3339()),
            Some("2024-03-15T00:00:00+00:00".to_string())
        );
        let err = with("raw_months = 0").unwrap_err().to_string();
        assert!(
            err.contains("p.toml:6:14") && err.contains("retention.raw_months: 0 is out of range"),
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_name_the_key_and_line() {
        let text = GOOD.replace("port = 10025", "port = 10025\nhots = \"x\"");
        let err = Config::parse(Path::new("p.toml"), &text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("p.toml:8:1"), "{msg}");
        assert!(msg.contains("hots"), "{msg}");
    }

    #[test]
    fn plain_is_refused_for_a_remote_server_and_all_errors_come_at_once() {
        let text = GOOD
            .replace(
                "host = \"127.0.0.1\"\nport = 10025",
                "host = \"smtp.kemenkeu.go.id\"\nport = 10025",
            )
            .replace(
                "address = \"lapor@djpk.test\"",
                "address = \"not an address\"",
            );
        let err = Config::parse(Path::new("p.toml"), &text).unwrap_err();
        let ConfigError::Invalid(d) = err else {
            panic!()
        };
        let all = d.to_string();
        assert!(all.contains("only allowed for a loopback server"), "{all}");
        assert!(all.contains("is not an e-mail address"), "{all}");
        assert!(all.contains("p.toml:8:12"), "{all}");
    }

    #[test]
    fn a_missing_password_source_comes_with_the_other_errors() {
        let text = GOOD
            .replace("password_env = \"LAPOR_PASSWORD\"\n", "")
            .replace(
                "address = \"lapor@djpk.test\"",
                "address = \"not an address\"",
            );
        let err = Config::parse(Path::new("p.toml"), &text).unwrap_err();
        let ConfigError::Invalid(d) = err else {
            panic!("{err}")
        };
        let all = d.to_string();
        assert!(all.contains("is not an e-mail address"), "{all}");
        assert!(
            all.contains("p.toml:11:1: error: mailbox \"lapor\": no password source"),
            "{all}"
        );
        assert_eq!(d.errors().count(), 2, "{all}");
    }

    #[test]
    fn two_password_sources_are_one_error_not_also_a_missing_one() {
        let text = GOOD.replace(
            "password_env = \"LAPOR_PASSWORD\"",
            "password_env = \"LAPOR_PASSWORD\"\npassword_file = \"lapor.pw\"",
        );
        let err = Config::parse(Path::new("p.toml"), &text).unwrap_err();
        let ConfigError::Invalid(d) = err else {
            panic!("{err}")
        };
        let all = d.to_string();
        assert!(all.contains("give only one of password_file"), "{all}");
        assert_eq!(d.errors().count(), 1, "{all}");
    }

    #[test]
    fn limits_out_of_range_are_errors_at_their_place_with_the_range() {
        let text = format!(
            "{GOOD}\n[limits]\nfetch_batch = 0\npoll_interval_seconds = 3600\n\
             retry_initial_seconds = 7200\nnetwork_timeout_seconds = 0\n"
        );
        let err = Config::parse(Path::new("p.toml"), &text).unwrap_err();
        let ConfigError::Invalid(d) = err else {
            panic!("{err}")
        };
        let all = d.to_string();
        assert!(
            all.contains(
                "p.toml:21:15: error: limits.fetch_batch: 0 is out of range: give a value \
                 from 1 to 1000 (default 50)"
            ),
            "{all}"
        );
        assert!(
            all.contains("p.toml:22:25: error: limits.poll_interval_seconds: 3600 is out of range: give a value from 1 to 1740"),
            "{all}"
        );
        assert!(
            all.contains("p.toml:23:25: error: limits.retry_initial_seconds: 7200"),
            "{all}"
        );
        assert!(
            all.contains("p.toml:24:27: error: limits.network_timeout_seconds: 0"),
            "{all}"
        );
        assert_eq!(d.errors().count(), 4, "{all}");
    }

    #[test]
    fn limits_at_the_ends_of_their_range_are_taken_as_written() {
        let text = format!(
            "{GOOD}\n[limits]\nfetch_batch = 1000\npoll_interval_seconds = 1740\n\
             retry_initial_seconds = 1\nack_per_sender = 0\nmax_message_size_mb = 1\n"
        );
        let c = Config::parse(Path::new("p.toml"), &text).unwrap();
        assert_eq!(c.limits.fetch_batch, 1000);
        assert_eq!(c.limits.poll_interval, Duration::from_secs(1740));
        assert_eq!(c.limits.retry_initial, Duration::from_secs(1));
        assert_eq!(c.limits.ack_per_sender, 0);
        assert_eq!(c.limits.max_message_size, 1024 * 1024);
        let d = Config::parse(Path::new("p.toml"), GOOD).unwrap().limits;
        assert_eq!(d.fetch_batch, 50);
        assert_eq!(d.network_timeout, Duration::from_secs(60));
        assert_eq!(d.alert_after, Duration::from_secs(30 * 60));
    }

    #[test]
    fn a_password_file_readable_by_group_or_others_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lapor");
        std::fs::write(&path, "rahasia\n").unwrap();
        let src = SecretSource::File(path.clone());
        for (mode, who) in [
            (0o644, "group and others"),
            (0o640, "its group"),
            (0o604, "others"),
            (0o620, "write or execute"),
        ] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = src.read("mailbox \"lapor\"").unwrap_err();
            let msg = err.to_string();
            assert!(matches!(err, ConfigError::SecretReadable { .. }), "{msg}");
            assert!(
                msg.starts_with("mailbox \"lapor\".password_file: "),
                "{msg}"
            );
            assert!(msg.contains(&format!("{}", path.display())), "{msg}");
            assert!(msg.contains(who), "{msg}");
            assert!(
                msg.contains(&format!("chmod 600 {}", path.display())),
                "{msg}"
            );
            assert!(!msg.contains("rahasia"), "{msg}");
        }
        for mode in [0o600, 0o400] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            assert_eq!(src.read("smtp").unwrap(), "rahasia", "{mode:o}");
        }
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("127.0.0.1"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("::1"));
        assert!(!is_loopback("10.0.0.1"));
        assert!(!is_loopback("mail.kemenkeu.go.id"));
    }
}
