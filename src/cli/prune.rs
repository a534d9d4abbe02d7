//! `pilah prune [--dry-run]`: the `[retention]` pass on demand (the daemon runs it daily).
//!
//! The rule of what may be removed lives in `store::retention`, not here.

use crate::config::Config;
use crate::store::Store;
use anyhow::{bail, Result};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub(super) struct PruneArgs {
    #[arg(long)]
    config: PathBuf,
    /// Say what would be removed; remove nothing.
    #[arg(long)]
    dry_run: bool,
}

pub(super) fn command(a: PruneArgs) -> Result<()> {
    let config = Config::load(&a.config)?;
    let Some(before) = crate::daemon::retention_cutoff(&config, chrono::Utc::now()) else {
        bail!(
            "{}: [retention] raw_months is not set, so pilah keeps raw mail; set it to prune \
             (docs/operations.md, \"Retention of personal data\")",
            config.path.display()
        );
    };
    let store = Store::open(&config.state_dir)?;
    let when = before
        .with_timezone(&config.timezone)
        .format("%Y-%m-%d %H:%M %Z");
    let erase = config.retention.erase_subjects;
    let mut out = std::io::stdout().lock();
    let (verb, p) = if a.dry_run {
        ("would remove", store.prunable(before)?)
    } else {
        ("removed", store.prune(before, erase)?)
    };
    writeln!(
        out,
        "{verb} the raw mail of {} message(s) ({:.1} MB) that arrived before {when}{}",
        p.messages,
        p.bytes as f64 / 1e6,
        if erase {
            ", and their subjects and senders' names"
        } else {
            ""
        }
    )?;
    if p.missing > 0 {
        writeln!(out, "{} raw file(s) were already gone", p.missing)?;
    }
    writeln!(
        out,
        "the records the report counts are kept (pilah report gives the same counts)"
    )?;
    Ok(())
}
