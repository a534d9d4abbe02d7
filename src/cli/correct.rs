//! `pilah ticket move TICKET --category ID`: the correction an agent makes by moving a
//! message in a mail client, made from the command line by an admin without the mailbox.
//! The ticket's first message gets the category (`src/correct/` carries it out, the same
//! way as for a move); the daemon's next pass moves the message to the category's folder
//! and sends what was queued.

use crate::config::Config;
use crate::correct::{CorrectError, Corrector};
use crate::pipeline::RunOptions;
use crate::store::{CorrectedBy, Store};
use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

pub(super) fn ticket_move(config: &Path, id: &str, category: &str) -> Result<()> {
    let config = Config::load(config)?;
    let rules = Arc::new(
        super::load_rules(&config.rules_dir)
            .with_context(|| format!("cannot load the rules {}", config.rules_dir.display()))?,
    );
    let store = Store::open(&config.state_dir)?;
    let id = id.trim().to_uppercase();
    let Some(row) = store.ticket_first_row(&id)? else {
        return Err(
            super::Findings(format!("no ticket {id} in {}", store.path().display())).into(),
        );
    };
    let corrector = Corrector {
        config: &config,
        rules,
        store: &store,
        options: RunOptions::default(),
    };
    let who = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    let done = match corrector.correct(
        row,
        category,
        CorrectedBy::Cli,
        &format!("pilah ticket move, by {who}"),
    ) {
        Ok(d) => d,
        Err(e @ (CorrectError::NoCategory { .. } | CorrectError::NotCorrectable { .. })) => {
            return Err(super::Findings(format!("ticket {id}: {e}")).into())
        }
        Err(e) => return Err(e.into()),
    };
    let mut out = std::io::stdout().lock();
    if done.unchanged {
        writeln!(
            out,
            "Ticket {id} is already in category {}: nothing to do",
            done.to
        )?;
        return Ok(());
    }
    writeln!(out, "Ticket {id}: {} → {}", done.from, done.to)?;
    let queued: Vec<&str> = done.queued.iter().map(|k| k.as_str()).collect();
    writeln!(
        out,
        "  queued:  {}",
        if queued.is_empty() {
            "nothing".to_string()
        } else {
            queued.join(", ")
        }
    )?;
    if done.cancelled > 0 {
        writeln!(out, "  cancelled (not sent yet): {}", done.cancelled)?;
    }
    if let Some(why) = &done.no_ack {
        writeln!(out, "  no acknowledgement: {why}")?;
    }
    for p in &done.problems {
        writeln!(out, "  problem: {p}")?;
    }
    writeln!(
        out,
        "  the daemon's next pass sends the mail and moves the message to its new folder"
    )?;
    Ok(())
}
