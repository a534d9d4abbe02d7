//! `pilah outbox list|retry|cancel`: the admin's hand on mail that did not go out. A retry
//! makes an unsent item due again (the running daemon sends it within 15 seconds, or the
//! next `pilah run --once`), under the same Message-ID; mail the server accepted is never
//! retried or cancelled.

use super::table::Table;
use super::Findings;
use crate::config::Config;
use crate::store::{OutboxChange, Store, Unsent};
use crate::ticket::local_time;
use anyhow::Result;
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub(super) enum OutboxCommand {
    /// Mail that failed for good, was cancelled, or waits after an error, with the reason.
    List {
        #[arg(long)]
        config: PathBuf,
        /// Also mail that simply waits its turn.
        #[arg(long)]
        all: bool,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Send these items again (failed or cancelled ones too); never mail already sent.
    Retry {
        #[arg(long)]
        config: PathBuf,
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Never send these items.
    Cancel {
        #[arg(long)]
        config: PathBuf,
        #[arg(required = true)]
        ids: Vec<i64>,
    },
}

pub(super) fn command(cmd: OutboxCommand) -> Result<()> {
    match cmd {
        OutboxCommand::List { config, all, json } => list(&config, all, json),
        OutboxCommand::Retry { config, ids } => change(&config, &ids, true),
        OutboxCommand::Cancel { config, ids } => change(&config, &ids, false),
    }
}

/// An item's state in words, times on the configured clock.
fn state(u: &Unsent, tz: chrono_tz::Tz) -> String {
    match (&u.cancelled_at, &u.failed_at) {
        (Some(at), _) => format!("cancelled {}", local_time(at, tz)),
        (None, Some(at)) => format!("failed {}", local_time(at, tz)),
        (None, None) => format!("waiting, next try {}", local_time(&u.next_attempt_at, tz)),
    }
}

fn list(config: &std::path::Path, all: bool, json: bool) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let tz = config.timezone;
    let items = store.unsent(all)?;
    let mut out = std::io::stdout().lock();
    if json {
        for u in &items {
            let mut v = serde_json::to_value(u)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("state".into(), state(u, tz).into());
            }
            writeln!(out, "{v}")?;
        }
        return Ok(());
    }
    let mut t = Table::new(
        &[
            "item", "kind", "ticket", "queued", "tries", "state", "to", "reason",
        ],
        false,
    );
    t.limit(6, 40);
    for u in &items {
        t.row(vec![
            u.id.to_string(),
            u.kind.clone(),
            u.ticket.clone().unwrap_or_else(|| "-".into()),
            local_time(&u.created_at, tz),
            u.attempts.to_string(),
            state(u, tz),
            u.rcpt.join(", "),
            u.last_error.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t.print(&mut out)?;
    writeln!(
        out,
        "{} item(s) {}",
        items.len(),
        if all {
            "not sent"
        } else {
            "failed, cancelled or waiting after an error"
        }
    )?;
    Ok(())
}

fn change(config: &std::path::Path, ids: &[i64], retry: bool) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let mut refused = 0;
    let mut out = std::io::stdout().lock();
    for &id in ids {
        let found = if retry {
            store.retry_outbox(id)?
        } else {
            store.cancel_outbox(id)?
        };
        match found {
            OutboxChange::Changed if retry => writeln!(
                out,
                "item {id}: due again; the running daemon sends it within 15 seconds \
                 (or run `pilah run --once`)"
            )?,
            OutboxChange::Changed => writeln!(out, "item {id}: cancelled; it will not be sent")?,
            OutboxChange::AlreadySent(at) => {
                refused += 1;
                writeln!(
                    out,
                    "item {id}: the server accepted it {}: not {} (mail is never sent twice)",
                    local_time(&at, config.timezone),
                    if retry { "sent again" } else { "cancelled" }
                )?;
            }
            OutboxChange::Released(at) => {
                refused += 1;
                writeln!(
                    out,
                    "item {id}: its text was removed by [retention] {}: nothing to send",
                    local_time(&at, config.timezone)
                )?;
            }
            OutboxChange::Missing => {
                refused += 1;
                writeln!(
                    out,
                    "item {id}: no such item (see `pilah outbox list --all`)"
                )?;
            }
        }
    }
    if refused > 0 {
        return Err(Findings(format!("{refused} item(s) left as they were")).into());
    }
    Ok(())
}
