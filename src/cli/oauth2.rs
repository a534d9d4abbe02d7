//! `pilah oauth2 login`: the one-time sign-in of a refresh-token grant (device flow, or the
//! browser with `--browser`), and the refresh token written where the config reads it.
//!
//! It must not print the token, nor write it anywhere but the configured file (or
//! `--output`), private to its owner.

use crate::config::{Auth, Config, SecretSource};
use crate::oauth2::{Grant, TokenSource};
use anyhow::{bail, Context as _, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand)]
pub(super) enum OAuth2Command {
    /// Sign in once for a mailbox's (or SMTP's) refresh-token grant, and store the refresh
    /// token where the config reads it.
    Login {
        #[arg(long)]
        config: PathBuf,
        /// The mailbox whose `[mailbox.oauth2]` grant to sign in for.
        #[arg(long, conflicts_with = "smtp", required_unless_present = "smtp")]
        mailbox: Option<String>,
        /// Sign in for `[smtp.oauth2]` instead.
        #[arg(long)]
        smtp: bool,
        /// Use the browser flow (`authorize_url`) even where a device flow is configured.
        #[arg(long)]
        browser: bool,
        /// The loopback port for the browser flow's redirect (default: any free port).
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Write the refresh token here instead of the configured file.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

pub(super) fn command(c: OAuth2Command) -> Result<()> {
    let OAuth2Command::Login {
        config,
        mailbox,
        smtp: _,
        browser,
        port,
        output,
    } = c;
    let config = Config::load(&config)?;
    let auth = match &mailbox {
        Some(name) => match config.mailbox(name) {
            Some(m) => Some(&m.imap.auth),
            None => bail!("no mailbox {name:?} in {}", config.path.display()),
        },
        None => config.smtp.auth.as_ref(),
    };
    let table = mailbox.map_or("smtp".to_string(), |n| format!("mailbox {n:?}"));
    let Some(Auth::OAuth2(tokens)) = auth else {
        bail!("{table} does not log in with auth = \"oauth2\": nothing to sign in for");
    };
    let cfg = tokens.config();
    if cfg.grant == Grant::ClientCredentials {
        bail!(
            "{}: grant = \"client_credentials\" needs no sign-in (the application's secret \
             is its credential)",
            cfg.table
        );
    }
    let target = match (&output, &cfg.refresh_token) {
        (Some(p), _) => p.clone(),
        (None, Some(src)) => writable(src, &cfg.table)?,
        (None, None) => bail!("{}: no refresh_token_* to write to", cfg.table),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let token = rt.block_on(sign_in(
        tokens,
        browser,
        port,
        config.limits.network_timeout,
    ))?;
    write_token(&target, &token)?;
    println!(
        "signed in: the refresh token for {} is in {}; `pilah doctor` checks it",
        cfg.table,
        target.display()
    );
    Ok(())
}

async fn sign_in(
    tokens: &TokenSource,
    browser: bool,
    port: u16,
    timeout: std::time::Duration,
) -> Result<String> {
    let cfg = tokens.config();
    let mut show = |line: String| {
        println!("{line}");
        let _ = std::io::stdout().flush();
    };
    let token = match (&cfg.device_authorization_url, &cfg.authorize_url) {
        (Some(device), _) if !browser => tokens.sign_in_device(device, timeout, &mut show).await,
        (_, Some(authorize)) => {
            tokens
                .sign_in_browser(authorize, port, timeout, &mut show)
                .await
        }
        _ => bail!(
            "{}: set device_authorization_url (device flow) or authorize_url (browser) to sign in",
            cfg.table
        ),
    };
    Ok(token?)
}

/// The file a refresh-token source is written to: the file itself, or the credential's
/// file outside systemd. An environment variable cannot be written.
fn writable(src: &SecretSource, table: &str) -> Result<PathBuf> {
    match (src, src.private_file()) {
        (_, Some(path)) => Ok(path),
        (SecretSource::Env(var), _) => bail!(
            "{table}.refresh_token_env: pilah cannot set the environment variable {var}; \
             give --output FILE and put its content there"
        ),
        _ => bail!(
            "{table}: the credential is systemd's copy; give --output \
             /etc/pilah/credentials/NAME (the file LoadCredential= reads)"
        ),
    }
}

/// Writes the token, 0600, replacing the file at once (never half written).
fn write_token(path: &Path, token: &str) -> Result<()> {
    crate::private::replace_file(path, format!("{token}\n").as_bytes(), None)
        .with_context(|| format!("cannot write {}", path.display()))
}
