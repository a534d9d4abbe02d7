//! OAuth2 for IMAP and SMTP (`auth = "oauth2"`): the access tokens that hosted mail
//! (Microsoft 365, Google Workspace) asks for in place of a password.
//!
//! A [`TokenSource`] gets a token from the provider's token endpoint (RFC 6749 §6, the
//! refresh-token grant; §4.4, the client-credentials grant), keeps it in memory and gets a new
//! one shortly before it expires. When the provider rotates the refresh token, the new one is
//! saved at once (0600, written then renamed) in `<state_dir>/oauth2/`, so a restart uses it and
//! not the configured one the provider has already invalidated. [`sasl`] says the token in the
//! SASL mechanism the server takes: XOAUTH2 (Google's and Microsoft's) or OAUTHBEARER (RFC 7628).
//!
//! This module must not log a token or a secret, nor keep a token on disk (only the refresh
//! token, which is what the admin configured in the first place).

use crate::config::{ConfigError, SecretSource};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod login;

/// How long before expiry a token is renewed: a fifth of its lifetime, at most 5 minutes.
fn renew_margin(lifetime: Duration) -> Duration {
    (lifetime / 5).min(Duration::from_secs(300))
}

/// The grant pilah uses at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// A user (or an admin on the mailbox's behalf) consented once; pilah holds the refresh
    /// token (Google Workspace, Microsoft 365 delegated access).
    RefreshToken,
    /// The application itself is allowed into the mailbox (Microsoft 365 app-only access to a
    /// shared mailbox); no user, no refresh token.
    ClientCredentials,
}

impl Grant {
    pub fn wire(self) -> &'static str {
        match self {
            Grant::RefreshToken => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
        }
    }
}

/// The SASL mechanism the token is presented in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// `XOAUTH2`: Google's and Microsoft's; the default.
    Xoauth2,
    /// `OAUTHBEARER` (RFC 7628).
    Oauthbearer,
}

impl Mechanism {
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        }
    }
}

/// One `[mailbox.oauth2]` or `[smtp.oauth2]` table, validated.
#[derive(Debug, Clone)]
pub struct OAuth2Config {
    /// Where the table is, for messages: `mailbox "lapor".oauth2`, `smtp.oauth2`.
    pub table: String,
    pub token_url: String,
    pub grant: Grant,
    pub client_id: String,
    pub client_secret: Option<SecretSource>,
    /// The refresh token as first configured (refresh-token grant only).
    pub refresh_token: Option<SecretSource>,
    pub scope: Option<String>,
    pub mechanism: Mechanism,
    /// The provider's device authorization endpoint (RFC 8628), for `pilah oauth2 login`.
    pub device_authorization_url: Option<String>,
    /// The provider's authorization endpoint, for `pilah oauth2 login --browser`.
    pub authorize_url: Option<String>,
    /// A CA (PEM) to trust for the token endpoint, besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Where rotated refresh tokens are kept (`<state_dir>/oauth2`), one file per configured
    /// refresh token, named by its fingerprint: tables configured with the same token share it.
    pub state_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuth2Error {
    #[error(transparent)]
    Secret(#[from] ConfigError),
    #[error("{table}: token endpoint {url}: {detail}")]
    Unreachable {
        table: String,
        url: String,
        detail: String,
    },
    /// The provider refused the grant itself (`invalid_grant`, `invalid_client`,
    /// `unauthorized_client`): nothing pilah can do until an admin acts.
    #[error("{table}: the token endpoint {url} refused the grant ({error}{description}): {hint}")]
    Refused {
        table: String,
        url: String,
        error: String,
        description: String,
        hint: String,
    },
    #[error("{table}: token endpoint {url} answered {status}: {detail}")]
    BadAnswer {
        table: String,
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{table}: cannot save the rotated refresh token in {path}: {detail}")]
    Save {
        table: String,
        path: String,
        detail: String,
    },
}

impl OAuth2Error {
    /// The grant is refused for good (expired, revoked, wrong client): an admin must act.
    pub fn needs_admin(&self) -> bool {
        matches!(self, OAuth2Error::Refused { .. } | OAuth2Error::Secret(_))
    }
}

/// An access token and when to stop using it.
#[derive(Clone)]
struct Token {
    access: String,
    renew_at: Instant,
}

/// What a token endpoint answers (RFC 6749 §5.1, §5.2). `expires_in` is a number, or a
/// string of one (older Microsoft endpoints).
#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Gets, caches and renews the access tokens of one configured table. Shared by every
/// connection that logs in with it.
pub struct TokenSource {
    cfg: OAuth2Config,
    cached: tokio::sync::Mutex<Option<Token>>,
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSource")
            .field("table", &self.cfg.table)
            .field("token_url", &self.cfg.token_url)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub fn new(cfg: OAuth2Config) -> Arc<TokenSource> {
        Arc::new(TokenSource {
            cfg,
            cached: tokio::sync::Mutex::new(None),
        })
    }

    pub fn config(&self) -> &OAuth2Config {
        &self.cfg
    }

    /// A valid access token: the cached one, or a new one when it is near its expiry.
    pub async fn token(&self, timeout: Duration) -> Result<String, OAuth2Error> {
        let mut cached = self.cached.lock().await;
        if let Some(t) = cached.as_ref() {
            if Instant::now() < t.renew_at {
                return Ok(t.access.clone());
            }
        }
        let t = self.fetch(timeout).await?;
        let access = t.access.clone();
        *cached = Some(t);
        Ok(access)
    }

    /// Forgets the cached token (the server refused it: it may have been revoked early).
    pub async fn forget(&self) {
        *self.cached.lock().await = None;
    }

    fn unreachable(&self, detail: impl std::fmt::Display) -> OAuth2Error {
        OAuth2Error::Unreachable {
            table: self.cfg.table.clone(),
            url: self.cfg.token_url.clone(),
            detail: detail.to_string(),
        }
    }

    /// The refresh token to use: the saved, rotated one when it was rotated from the token
    /// configured now; the configured one otherwise (also after an admin configured a new one).
    fn refresh_token(&self) -> Result<Option<String>, OAuth2Error> {
        let Some(src) = &self.cfg.refresh_token else {
            return Ok(None);
        };
        let configured = src.read_as(&self.cfg.table, "refresh_token")?;
        Ok(Some(
            read_rotated(&self.state_file(&configured), &configured).unwrap_or(configured),
        ))
    }

    /// The file a token rotated from `configured` is saved in.
    pub fn state_file(&self, configured: &str) -> PathBuf {
        self.cfg
            .state_dir
            .join(format!("{}.refresh-token", fingerprint(configured)))
    }

    /// `client_id`, and `client_secret` when one is configured.
    fn client_form(&self) -> Result<Vec<(&'static str, String)>, OAuth2Error> {
        let mut form = vec![("client_id", self.cfg.client_id.clone())];
        if let Some(src) = &self.cfg.client_secret {
            form.push((
                "client_secret",
                src.read_as(&self.cfg.table, "client_secret")?,
            ));
        }
        Ok(form)
    }

    fn form(&self, refresh: Option<&str>) -> Result<Vec<(&'static str, String)>, OAuth2Error> {
        let mut form = vec![("grant_type", self.cfg.grant.wire().to_string())];
        form.extend(self.client_form()?);
        if let Some(r) = refresh {
            form.push(("refresh_token", r.to_string()));
        }
        if let Some(s) = &self.cfg.scope {
            form.push(("scope", s.clone()));
        }
        Ok(form)
    }

    async fn fetch(&self, timeout: Duration) -> Result<Token, OAuth2Error> {
        // One refresh at a time in this process: two tables configured with the same
        // refresh token must not both spend it when the provider rotates it.
        static REFRESHING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _one = REFRESHING.lock().await;
        let refresh = match self.cfg.grant {
            Grant::RefreshToken => self.refresh_token()?,
            Grant::ClientCredentials => None,
        };
        let form = self.form(refresh.as_deref())?;
        let started = Instant::now();
        let (status, parsed, body) = self
            .post_form::<TokenAnswer>(&self.cfg.token_url, &form, timeout)
            .await?;
        self.settle(status, parsed, &body, refresh.as_deref(), started)
    }

    /// Posts `form` to `url` and reads the JSON answer (an `error` answer included).
    async fn post_form<T: for<'de> Deserialize<'de>>(
        &self,
        url: &str,
        form: &[(&str, String)],
        timeout: Duration,
    ) -> Result<(u16, Option<T>, Vec<u8>), OAuth2Error> {
        let client = self.client(timeout)?;
        let answer = client
            .post(url)
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .map_err(|e| self.unreachable(error_chain(&e)))?;
        let status = answer.status().as_u16();
        let body = answer
            .bytes()
            .await
            .map_err(|e| self.unreachable(error_chain(&e)))?
            .to_vec();
        Ok((status, serde_json::from_slice(&body).ok(), body))
    }

    /// An HTTP client with pilah's TLS setup (the table's `ca_file`), no redirects.
    fn client(&self, timeout: Duration) -> Result<reqwest::Client, OAuth2Error> {
        let tls = crate::tls::client_config(self.cfg.ca_file.as_deref())
            .map_err(|e| self.unreachable(e))?;
        reqwest::Client::builder()
            .use_preconfigured_tls((*tls).clone())
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| self.unreachable(e))
    }

    fn bad(&self, status: u16, detail: String) -> OAuth2Error {
        OAuth2Error::BadAnswer {
            table: self.cfg.table.clone(),
            url: self.cfg.token_url.clone(),
            status,
            detail,
        }
    }

    /// Turns the endpoint's answer into a token, saving a rotated refresh token first.
    fn settle(
        &self,
        status: u16,
        parsed: Option<TokenAnswer>,
        body: &[u8],
        used_refresh: Option<&str>,
        started: Instant,
    ) -> Result<Token, OAuth2Error> {
        let bad = |detail: String| self.bad(status, detail);
        let Some(a) = parsed else {
            return Err(bad(format!("not JSON: {:?}", snippet(body))));
        };
        if let Some(error) = a.error {
            return Err(self.refused(status, error, a.error_description));
        }
        let Some(access) = a.access_token.filter(|t| !t.is_empty()) else {
            return Err(bad("no access_token in the answer".into()));
        };
        if let (Some(new), Some(old)) = (&a.refresh_token, used_refresh) {
            if new != old {
                self.save_rotated(new)?;
            }
        }
        let lifetime = Duration::from_secs(match &a.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(3600),
            Some(serde_json::Value::String(s)) => s.trim().parse().unwrap_or(3600),
            _ => 3600,
        });
        tracing::info!(step = "oauth2-token", table = %self.cfg.table, grant = self.cfg.grant.wire(), expires_in_s = lifetime.as_secs(), rotated = a.refresh_token.is_some_and(|n| Some(n.as_str()) != used_refresh), "new access token");
        Ok(Token {
            access,
            renew_at: started + lifetime - renew_margin(lifetime),
        })
    }

    fn refused(&self, status: u16, error: String, description: Option<String>) -> OAuth2Error {
        let hint = match error.as_str() {
            "invalid_grant" if self.cfg.grant == Grant::RefreshToken => format!(
                "the refresh token has expired or was revoked: sign in again (docs/operations.md, \
                 \"OAuth2\") and put the new refresh token in {}.refresh_token_*",
                self.cfg.table
            ),
            "invalid_client" | "unauthorized_client" => format!(
                "the provider does not accept this client: check {t}.client_id and \
                 {t}.client_secret_* and that the app registration is still valid",
                t = self.cfg.table
            ),
            "invalid_scope" => format!("check {}.scope", self.cfg.table),
            _ => format!("HTTP {status}"),
        };
        OAuth2Error::Refused {
            table: self.cfg.table.clone(),
            url: self.cfg.token_url.clone(),
            error,
            description: description
                .map(|d| format!(": {}", snippet(d.as_bytes())))
                .unwrap_or_default(),
            hint,
        }
    }

    fn save_rotated(&self, token: &str) -> Result<(), OAuth2Error> {
        let configured = match &self.cfg.refresh_token {
            Some(src) => src.read_as(&self.cfg.table, "refresh_token")?,
            None => return Ok(()),
        };
        let path = self.state_file(&configured);
        write_rotated(&path, &configured, token).map_err(|e| OAuth2Error::Save {
            table: self.cfg.table.clone(),
            path: path.display().to_string(),
            detail: e.to_string(),
        })?;
        tracing::info!(step = "oauth2-rotated", table = %self.cfg.table, file = %path.display(), "the provider rotated the refresh token; saved");
        Ok(())
    }
}

/// The first 200 characters of an answer, for an error message.
fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(200).collect()
}

/// An error and its causes, `: `-joined (reqwest's top error says little by itself).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

fn fingerprint(token: &str) -> String {
    crate::hex::hex(&Sha256::digest(token.as_bytes())[..8])
}

/// The saved refresh token, if it was rotated from `configured`. The file holds the
/// fingerprint of the configured token on its first line and the rotated token on the
/// second: a new configured token (an admin signed in again) makes the saved one stale.
fn read_rotated(path: &Path, configured: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut lines = text.lines();
    let from = lines.next()?;
    let token = lines.next()?.trim();
    (from == fingerprint(configured) && !token.is_empty()).then(|| token.to_string())
}

fn write_rotated(path: &Path, configured: &str, token: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::private::ensure_dir(dir)?;
    }
    // Written by root (`pilah doctor`, `pilah run` by hand), the file goes to the state
    // directory's owner, the service's user, who must go on reading it.
    let owner = path
        .parent()
        .and_then(Path::parent)
        .and_then(|state| std::fs::metadata(state).ok())
        .map(|meta| {
            use std::os::unix::fs::MetadataExt;
            (meta.uid(), meta.gid())
        });
    if let (Some((uid, gid)), Some(dir)) = (owner, path.parent()) {
        let _ = std::os::unix::fs::chown(dir, Some(uid), Some(gid));
    }
    let text = format!("{}\n{token}\n", fingerprint(configured));
    crate::private::replace_file(path, text.as_bytes(), owner)
}

/// The SASL initial response for `user` and `token` in `mechanism` (before base64).
pub fn sasl(mechanism: Mechanism, user: &str, token: &str) -> String {
    match mechanism {
        Mechanism::Xoauth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        // RFC 7628 §3.1: gs2-header "n,a=<user>," then the key-value pairs.
        Mechanism::Oauthbearer => format!(
            "n,a={},\x01auth=Bearer {token}\x01\x01",
            user.replace('=', "=3D").replace(',', "=2C")
        ),
    }
}

/// Answers an IMAP `AUTHENTICATE` exchange: the initial response first; to a server's error
/// challenge (a JSON status, RFC 7628 §3.2.2) the empty reply that ends the exchange.
pub struct ImapAuth {
    response: String,
    sent: bool,
}

impl ImapAuth {
    pub fn new(mechanism: Mechanism, user: &str, token: &str) -> ImapAuth {
        ImapAuth {
            response: sasl(mechanism, user, token),
            sent: false,
        }
    }
}

impl async_imap::Authenticator for ImapAuth {
    type Response = String;

    fn process(&mut self, _challenge: &[u8]) -> Self::Response {
        if self.sent {
            // XOAUTH2 and OAUTHBEARER: after an error challenge the client sends an empty
            // response (OAUTHBEARER: %x01) and the server answers NO.
            return "\x01".to_string();
        }
        self.sent = true;
        self.response.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(dir: &Path, grant: Grant, token_file: Option<PathBuf>) -> Arc<TokenSource> {
        TokenSource::new(OAuth2Config {
            table: "mailbox \"lapor\".oauth2".into(),
            token_url: "http://127.0.0.1:9/token".into(),
            grant,
            client_id: "pilah".into(),
            client_secret: None,
            refresh_token: token_file.map(SecretSource::File),
            scope: None,
            mechanism: Mechanism::Xoauth2,
            device_authorization_url: None,
            authorize_url: None,
            ca_file: None,
            state_dir: dir.join("oauth2"),
        })
    }

    fn write_secret(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    fn answer(json: &str) -> Option<TokenAnswer> {
        serde_json::from_str(json).ok()
    }

    #[test]
    fn sasl_strings_are_the_documented_ones() {
        assert_eq!(
            sasl(Mechanism::Xoauth2, "lapor@x.go.id", "tok"),
            "user=lapor@x.go.id\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(
            sasl(Mechanism::Oauthbearer, "a,b=c@x", "tok"),
            "n,a=a=2Cb=3Dc@x,\x01auth=Bearer tok\x01\x01"
        );
    }

    #[test]
    fn renewal_comes_before_expiry() {
        assert_eq!(
            renew_margin(Duration::from_secs(3600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            renew_margin(Duration::from_secs(10)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn a_rotated_token_is_saved_and_used_until_the_configured_one_changes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("refresh");
        write_secret(&file, "first\n");
        let s = source(dir.path(), Grant::RefreshToken, Some(file.clone()));
        assert_eq!(s.refresh_token().unwrap().as_deref(), Some("first"));
        let t = s
            .settle(
                200,
                answer(r#"{"access_token":"a1","expires_in":"60","refresh_token":"second"}"#),
                b"",
                Some("first"),
                Instant::now(),
            )
            .unwrap();
        assert_eq!(t.access, "a1");
        assert_eq!(s.refresh_token().unwrap().as_deref(), Some("second"));
        let mode = std::fs::metadata(s.state_file("first")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(mode.permissions().mode() & 0o777, 0o600);
        // An admin signs in again: the new configured token wins over the saved one.
        write_secret(&file, "fresh\n");
        assert_eq!(s.refresh_token().unwrap().as_deref(), Some("fresh"));
    }

    #[test]
    fn a_refused_grant_says_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let s = source(dir.path(), Grant::RefreshToken, None);
        let e = s
            .settle(
                400,
                answer(r#"{"error":"invalid_grant","error_description":"AADSTS70008: expired"}"#),
                b"",
                None,
                Instant::now(),
            )
            .err()
            .unwrap();
        assert!(e.needs_admin());
        let text = e.to_string();
        assert!(text.contains("invalid_grant: AADSTS70008"), "{text}");
        assert!(text.contains("refresh_token_"), "{text}");
        let e = s
            .settle(502, None, b"<html>bad gateway", None, Instant::now())
            .err()
            .unwrap();
        assert!(!e.needs_admin());
        assert!(e.to_string().contains("502"), "{e}");
    }

    #[tokio::test]
    async fn an_endpoint_that_is_down_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let s = source(dir.path(), Grant::ClientCredentials, None);
        let e = s.token(Duration::from_secs(2)).await.err().unwrap();
        assert!(!e.needs_admin());
        assert!(e.to_string().contains("http://127.0.0.1:9/token"), "{e}");
    }
}
