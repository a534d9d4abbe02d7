//! The one-time sign-in that gives pilah its refresh token (`pilah oauth2 login`): a person
//! who may open the mailbox consents once, at the provider, and the provider hands pilah a
//! refresh token for the refresh-token grant.
//!
//! Two flows, both standard: the device flow (RFC 8628: pilah shows a code, the person enters
//! it on any device; Microsoft 365 offers it for IMAP and SMTP), and the authorization-code
//! flow with PKCE (RFC 7636) and a loopback redirect (RFC 8252 §7.3: Google's only way for
//! the `https://mail.google.com/` scope; on a server without a browser, through
//! `ssh -L PORT:127.0.0.1:PORT`).
//!
//! This module must not print or log a token: it returns the refresh token to its caller,
//! which stores it.

use super::{OAuth2Error, TokenAnswer, TokenSource};
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long a person has to sign in with the browser flow.
const BROWSER_WAIT: Duration = Duration::from_secs(600);

/// What a device authorization endpoint answers (RFC 8628 §3.2; Google says
/// `verification_url`).
#[derive(Deserialize)]
struct DeviceAnswer {
    device_code: String,
    user_code: String,
    #[serde(alias = "verification_url")]
    verification_uri: String,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

fn random_text(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    // Without the system's randomness there is no safe sign-in; the time is a poor but
    // harmless stand-in for `state` only, and PKCE then fails at the provider.
    if getrandom::fill(&mut b).is_err() {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        b = t.to_le_bytes().to_vec();
    }
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

impl TokenSource {
    /// The refresh token of a successful sign-in answer.
    fn signed_in(&self, status: u16, a: Option<TokenAnswer>) -> Result<String, OAuth2Error> {
        let a = a.ok_or_else(|| self.bad(status, "not JSON".into()))?;
        if let Some(error) = a.error {
            return Err(self.refused(status, error, a.error_description));
        }
        a.refresh_token.filter(|t| !t.is_empty()).ok_or_else(|| {
            self.bad(
                status,
                format!(
                    "signed in, but no refresh token came: ask for it in {}.scope \
                     (Microsoft: offline_access; Google: it comes with the consent screen)",
                    self.cfg.table
                ),
            )
        })
    }

    /// The device flow: `show` is given the line to show the person; returns the refresh
    /// token once they have signed in.
    pub async fn sign_in_device(
        &self,
        device_url: &str,
        timeout: Duration,
        show: &mut dyn FnMut(String),
    ) -> Result<String, OAuth2Error> {
        let mut form = vec![("client_id", self.cfg.client_id.clone())];
        if let Some(s) = &self.cfg.scope {
            form.push(("scope", s.clone()));
        }
        let (status, answer, body) = self
            .post_form::<serde_json::Value>(device_url, &form, timeout)
            .await?;
        let d: DeviceAnswer = match answer.map(serde_json::from_value) {
            Some(Ok(d)) => d,
            _ => {
                let a = serde_json::from_slice::<TokenAnswer>(&body).ok();
                return Err(
                    match a.and_then(|a| a.error.map(|e| (e, a.error_description))) {
                        Some((e, d)) => self.refused(status, e, d),
                        None => self.bad(
                            status,
                            format!("no device code: {:?}", super::snippet(&body)),
                        ),
                    },
                );
            }
        };
        let lifetime = Duration::from_secs(d.expires_in.unwrap_or(900));
        show(format!(
            "Open {} and enter the code {} (within {} minutes)",
            d.verification_uri,
            d.user_code,
            lifetime.as_secs() / 60
        ));
        let deadline = Instant::now() + lifetime;
        let mut interval = Duration::from_secs(d.interval.unwrap_or(5).max(1));
        let mut poll = vec![
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:device_code".to_string(),
            ),
            ("device_code", d.device_code),
        ];
        poll.extend(self.client_form()?);
        loop {
            tokio::time::sleep(interval).await;
            let (status, a, _) = self
                .post_form::<TokenAnswer>(&self.cfg.token_url, &poll, timeout)
                .await?;
            match a.as_ref().and_then(|a| a.error.as_deref()) {
                Some("authorization_pending") if Instant::now() < deadline => continue,
                Some("slow_down") => interval += Duration::from_secs(5),
                _ => return self.signed_in(status, a),
            }
        }
    }

    /// The authorization-code flow with PKCE: pilah listens on `127.0.0.1:port` (0: any
    /// free port) for the provider's redirect; `show` is given the address to open.
    pub async fn sign_in_browser(
        &self,
        authorize_url: &str,
        port: u16,
        timeout: Duration,
        show: &mut dyn FnMut(String),
    ) -> Result<String, OAuth2Error> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|e| self.unreachable(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| self.unreachable(e))?
            .port();
        let redirect = format!("http://127.0.0.1:{port}/");
        let verifier = random_text(32);
        let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(Sha256::digest(verifier.as_bytes()));
        let state = random_text(16);
        let mut url = reqwest::Url::parse(authorize_url)
            .map_err(|e| self.bad(0, format!("authorize_url {authorize_url:?}: {e}")))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", &self.cfg.client_id)
                .append_pair("redirect_uri", &redirect)
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256")
                .append_pair("state", &state)
                // Google: a refresh token only with offline access and a fresh consent.
                .append_pair("access_type", "offline")
                .append_pair("prompt", "consent");
            if let Some(s) = &self.cfg.scope {
                q.append_pair("scope", s);
            }
        }
        show(format!(
            "Open this address in a browser and sign in (on another machine: first \
             `ssh -L {port}:127.0.0.1:{port}` to this one):\n{url}"
        ));
        let code = tokio::time::timeout(BROWSER_WAIT, self.redirected(&listener, &state))
            .await
            .map_err(|_| {
                self.unreachable(format!(
                    "nobody signed in within {} minutes",
                    BROWSER_WAIT.as_secs() / 60
                ))
            })??;
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", redirect),
            ("code_verifier", verifier),
        ];
        form.extend(self.client_form()?);
        let (status, a, _) = self
            .post_form::<TokenAnswer>(&self.cfg.token_url, &form, timeout)
            .await?;
        self.signed_in(status, a)
    }

    /// Waits for the browser's request to the redirect address; returns the code.
    async fn redirected(
        &self,
        listener: &tokio::net::TcpListener,
        state: &str,
    ) -> Result<String, OAuth2Error> {
        loop {
            let (mut stream, _) = listener.accept().await.map_err(|e| self.unreachable(e))?;
            let mut buf = vec![0u8; 8192];
            let n = stream.read(&mut buf).await.unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]).to_string();
            let target = request.split_whitespace().nth(1).unwrap_or("/");
            let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else {
                continue;
            };
            let get = |k: &str| {
                url.query_pairs()
                    .find(|(n, _)| n == k)
                    .map(|(_, v)| v.into_owned())
            };
            let (page, result) = match (get("code"), get("error")) {
                (Some(code), _) if get("state").as_deref() == Some(state) => (
                    "pilah: masuk berhasil; halaman ini boleh ditutup.",
                    Some(Ok(code)),
                ),
                (_, Some(error)) => (
                    "pilah: masuk gagal; lihat terminal.",
                    Some(Err(self.refused(400, error, get("error_description")))),
                ),
                // A favicon, a stray request, or a forged one without our `state`.
                _ => ("pilah: menunggu masuk.", None),
            };
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
            if let Some(r) = result {
                return r;
            }
        }
    }
}
