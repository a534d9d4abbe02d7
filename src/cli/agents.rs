//! What the contact center's agents look up: `pilah messages` (where each message went,
//! searched by sender, subject words, ticket, category, unit and dates) and `pilah ticket
//! show|list`. Every time is shown on the clock of the configured `timezone`, labelled with
//! its abbreviation (WIB); names that are not the config's mailboxes or the rules' units and
//! categories are errors that list the valid ones.
//!
//! It reads only: it must not change a ticket or a message (that is `outbox`, the daemon, and
//! `correct.rs` for `pilah ticket move`, which is only dispatched from here).

use super::table::Table;
use super::Findings;
use crate::config::Config;
use crate::report::Month;
use crate::store::{MessageFilter, MessageSummary, Store};
use crate::ticket::local_time;
use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};

/// How a listing is printed.
#[derive(clap::Args, Debug)]
pub(super) struct Output {
    /// Print whole addresses and subjects, never cut.
    #[arg(long, conflicts_with = "json")]
    wide: bool,
    /// One JSON object per line, times with the zone's offset (for scripts and
    /// spreadsheets).
    #[arg(long)]
    json: bool,
}

/// `pilah messages`: what to look for.
#[derive(clap::Args, Debug)]
pub(super) struct MessagesArgs {
    #[arg(long)]
    config: PathBuf,
    #[arg(long)]
    mailbox: Option<String>,
    /// YYYY-MM, by arrival, in the configured time zone.
    #[arg(long, conflicts_with_all = ["since", "until"])]
    month: Option<String>,
    /// YYYY-MM-DD: arrived on this day or later (configured time zone).
    #[arg(long)]
    since: Option<String>,
    /// YYYY-MM-DD: arrived on this day or earlier (configured time zone).
    #[arg(long)]
    until: Option<String>,
    /// Part of the sender's address or name, any case.
    #[arg(long = "from", visible_alias = "sender", value_name = "TEXT")]
    sender: Option<String>,
    /// Words that must all be in the subject, any case.
    #[arg(long, value_name = "WORDS")]
    subject: Option<String>,
    /// A ticket number: its message, follow-ups and answers.
    #[arg(long)]
    ticket: Option<String>,
    #[arg(long)]
    category: Option<String>,
    /// A unit the message was forwarded to.
    #[arg(long)]
    unit: Option<String>,
    #[command(flatten)]
    output: Output,
}

#[derive(clap::Subcommand, Debug)]
pub(super) enum TicketCommand {
    /// Every message, forward, acknowledgement, answer and reminder of a ticket, with times.
    Show {
        #[arg(long)]
        config: PathBuf,
        id: String,
    },
    /// Give a ticket another category (and its unit): what moving its message to another
    /// `Pilah/<category>` folder does. The new unit gets the forward, the old one a notice.
    Move {
        #[arg(long)]
        config: PathBuf,
        id: String,
        /// The category's id (`pilah rules check` and categories.toml list them).
        #[arg(long)]
        category: String,
    },
    /// Tickets not answered yet, oldest first.
    List {
        #[arg(long)]
        config: PathBuf,
        /// Only open tickets (the default; kept for clarity in scripts).
        #[arg(long)]
        open: bool,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        mailbox: Option<String>,
        #[arg(long)]
        category: Option<String>,
        /// Part of the sender's address, any case.
        #[arg(long = "from", visible_alias = "sender", value_name = "TEXT")]
        sender: Option<String>,
        #[command(flatten)]
        output: Output,
    },
}

pub(super) fn ticket(cmd: TicketCommand) -> Result<()> {
    match cmd {
        TicketCommand::Show { config, id } => ticket_show(&config, &id),
        TicketCommand::Move {
            config,
            id,
            category,
        } => super::correct::ticket_move(&config, &id, &category),
        TicketCommand::List {
            config,
            open: _,
            unit,
            mailbox,
            category,
            sender,
            output,
        } => ticket_list(
            &config,
            &TicketSearch {
                unit,
                mailbox,
                category,
                sender,
            },
            &output,
        ),
    }
}

/// The names an agent may give, and where they come from.
struct Known {
    mailboxes: Vec<String>,
    units: Vec<String>,
    categories: Vec<String>,
}

impl Known {
    /// The config's mailboxes; the rules' units and categories (and the categories of
    /// recorded messages), read only when `rules` is asked for.
    fn load(config: &Config, store: &Store, rules: bool) -> Result<Known> {
        let mailboxes = config
            .mailboxes
            .iter()
            .map(|m| m.name.to_string())
            .collect();
        let (mut units, mut categories) = (Vec::new(), Vec::new());
        if rules {
            let set =
                crate::classify::rules::RuleSet::load(&config.rules_dir).with_context(|| {
                    format!(
                        "cannot check the unit and category names against the rules in {}",
                        config.rules_dir.display()
                    )
                })?;
            units = set.units.keys().cloned().collect();
            categories = set.categories.iter().map(|c| c.id.clone()).collect();
            categories.extend(store.recorded_categories()?);
            categories.sort();
            categories.dedup();
        }
        Ok(Known {
            mailboxes,
            units,
            categories,
        })
    }

    /// `value`, if given, must be one of the known names of its kind.
    fn check(&self, kind: Name, value: Option<&str>) -> Result<()> {
        let Some(value) = value else {
            return Ok(());
        };
        let (flag, what, valid) = match kind {
            Name::Mailbox => ("--mailbox", "mailboxes (of the config)", &self.mailboxes),
            Name::Unit => ("--unit", "units (of the rules)", &self.units),
            Name::Category => (
                "--category",
                "categories (of the rules and of recorded mail)",
                &self.categories,
            ),
        };
        if !valid.iter().any(|v| v == value) {
            bail!(
                "{flag} {value:?}: no such name; the {what} are: {}",
                valid.join(", ")
            );
        }
        Ok(())
    }
}

/// The kinds of names an agent gives.
#[derive(Clone, Copy)]
enum Name {
    Mailbox,
    Unit,
    Category,
}

/// A day given as YYYY-MM-DD, named by its flag in the error.
fn day(flag: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{flag} {s:?}: give a day as YYYY-MM-DD, such as 2024-03-05"))
}

/// The start of `d` in `tz`, as UTC.
fn day_start(d: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The arrival range asked for: a month, or days from/until (inclusive), in `tz`.
fn range(a: &MessagesArgs, tz: chrono_tz::Tz) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    if let Some(m) = &a.month {
        let m = Month::parse(m)?;
        return Ok(Some((m.start(tz), m.end(tz))));
    }
    let since = a.since.as_deref().map(|s| day("--since", s)).transpose()?;
    let until = a.until.as_deref().map(|s| day("--until", s)).transpose()?;
    if let (Some(s), Some(u)) = (since, until) {
        if u < s {
            bail!("--until {u} is before --since {s}");
        }
    }
    if since.is_none() && until.is_none() {
        return Ok(None);
    }
    let from = since
        .map(|d| day_start(d, tz))
        .unwrap_or(DateTime::UNIX_EPOCH);
    let to = until
        .and_then(|d| d.succ_opt())
        .map(|d| day_start(d, tz))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    Ok(Some((from, to)))
}

/// A ticket number as an agent may type it: `[lpr-2024-000123]`.
fn ticket_id(s: &str) -> String {
    s.trim().trim_matches(['[', ']']).to_ascii_uppercase()
}

/// The zone's abbreviation now, for column headers: `WIB`.
fn zone_label(tz: chrono_tz::Tz) -> String {
    Utc::now().with_timezone(&tz).format("%Z").to_string()
}

pub(super) fn messages(a: MessagesArgs) -> Result<()> {
    let config = Config::load(&a.config)?;
    let store = Store::open(&config.state_dir)?;
    let known = Known::load(&config, &store, a.unit.is_some() || a.category.is_some())?;
    known.check(Name::Mailbox, a.mailbox.as_deref())?;
    known.check(Name::Unit, a.unit.as_deref())?;
    known.check(Name::Category, a.category.as_deref())?;
    let ticket = a.ticket.as_deref().map(ticket_id);
    let filter = MessageFilter {
        mailbox: a.mailbox.as_deref(),
        range: range(&a, config.timezone)?,
        sender: a.sender.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        subject_words: a
            .subject
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .collect(),
        ticket: ticket.as_deref(),
        category: a.category.as_deref(),
        unit: a.unit.as_deref(),
    };
    let rows = store.list_messages(&filter)?;
    let tz = config.timezone;
    let mut out = std::io::stdout().lock();
    if a.output.json {
        for m in &rows {
            writeln!(out, "{}", message_json(m, tz))?;
        }
        return Ok(());
    }
    let received = format!("received ({})", zone_label(tz));
    let mut columns = vec![
        "mailbox", "uid", "ticket", &received, "sender", "subject", "category", "folder", "actions",
    ];
    if a.output.wide {
        columns.push("spam");
    }
    let mut t = Table::new(&columns, a.output.wide);
    t.limit(4, 34).limit(5, 40);
    for m in &rows {
        let when = m
            .internal_date
            .map(|d| d.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default();
        let mut row = vec![
            m.mailbox.clone(),
            m.uid.to_string(),
            m.ticket.clone().unwrap_or_else(|| "-".into()),
            when,
            m.sender.clone().unwrap_or_else(|| "-".into()),
            m.subject.clone().unwrap_or_default(),
            m.category.clone().unwrap_or_else(|| "-".into()),
            m.folder.clone().unwrap_or_else(|| "(not filed)".into()),
            actions(m).join("; "),
        ];
        if a.output.wide {
            row.push(spam_cell(m));
        }
        t.row(row);
    }
    t.print(&mut out)?;
    writeln!(out, "{} message(s)", rows.len())?;
    Ok(())
}

/// The spam engine's word on a message: its score and rules, why it has none, or `-` when
/// no engine was asked.
fn spam_cell(m: &MessageSummary) -> String {
    match (m.spam_score, &m.spam_unscored) {
        (Some(score), _) if m.spam_symbols.is_empty() => format!("{score:.1}"),
        (Some(score), _) => format!("{score:.1} ({})", m.spam_symbols.join(",")),
        (None, Some(why)) => why.clone(),
        (None, None) => "-".into(),
    }
}

/// A message as one JSON object, its arrival with the zone's offset.
fn message_json(m: &MessageSummary, tz: chrono_tz::Tz) -> serde_json::Value {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "internal_date".into(),
            m.internal_date
                .map(|d| d.with_timezone(&tz).to_rfc3339())
                .into(),
        );
        o.insert("actions".into(), actions(m).into());
    }
    v
}

/// What was done with a message, in words.
fn actions(m: &MessageSummary) -> Vec<String> {
    let mut actions = Vec::new();
    if let Some(k) = &m.machine {
        actions.push(format!("machine mail ({k})"));
    }
    if let Some(q) = &m.quarantine {
        actions.push(format!("quarantined: {q}"));
    }
    if !m.route.is_empty() {
        let route = m.route.join(", ");
        if m.forwards_queued == 0 {
            actions.push(format!("not forwarded to {route}"));
        } else {
            let state = if m.forwards_failed > 0 {
                "failed"
            } else if m.forwards_sent >= m.forwards_queued {
                "sent"
            } else {
                "queued"
            };
            actions.push(format!("forward to {route} ({state})"));
        }
    }
    match (&m.ack_template, &m.ack_skipped) {
        (Some(t), None) if m.acks_queued > 0 => {
            let state = if m.acks_sent > 0 { "sent" } else { "queued" };
            actions.push(format!("ack {t} ({state})"));
        }
        (_, Some(why)) if m.machine.is_none() && m.quarantine.is_none() => {
            actions.push(format!("no ack: {why}"))
        }
        _ => {}
    }
    actions
}

fn ticket_show(config: &Path, id: &str) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let tz = config.timezone;
    let id = ticket_id(id);
    let Some((rec, history)) = crate::ticket::history(&store, &id, tz)? else {
        return Err(Findings(format!("no ticket {id} in {}", store.path().display())).into());
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Ticket {} ({}, {})",
        rec.ticket, rec.mailbox, rec.category
    )?;
    writeln!(out, "  sender: {}", rec.sender.as_deref().unwrap_or("-"))?;
    writeln!(
        out,
        "  unit:   {}",
        rec.unit.as_deref().unwrap_or("- (not forwarded)")
    )?;
    writeln!(out, "  opened: {}", local_time(&rec.opened_at, tz))?;
    let state = match &rec.answered_at {
        Some(t) => format!("answered {}", local_time(t, tz)),
        None if rec.unit.is_some() => "open".to_string(),
        None => "closed (nothing to answer)".to_string(),
    };
    writeln!(out, "  state:  {state}")?;
    writeln!(out)?;
    for h in history {
        writeln!(out, "  {:<20} {:<16} {}", h.at, h.what, h.detail)?;
    }
    Ok(())
}

/// `pilah ticket list`: which open tickets.
struct TicketSearch {
    unit: Option<String>,
    mailbox: Option<String>,
    category: Option<String>,
    sender: Option<String>,
}

fn ticket_list(config: &Path, s: &TicketSearch, output: &Output) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let known = Known::load(&config, &store, s.unit.is_some() || s.category.is_some())?;
    known.check(Name::Mailbox, s.mailbox.as_deref())?;
    known.check(Name::Unit, s.unit.as_deref())?;
    known.check(Name::Category, s.category.as_deref())?;
    let needle = s.sender.as_deref().map(|x| x.trim().to_lowercase());
    let open: Vec<_> = store
        .open_tickets_listed(s.unit.as_deref())?
        .into_iter()
        .filter(|t| s.mailbox.as_ref().is_none_or(|m| *m == t.record.mailbox))
        .filter(|t| s.category.as_ref().is_none_or(|c| *c == t.record.category))
        .filter(|t| {
            needle.as_ref().is_none_or(|n| {
                t.record
                    .sender
                    .as_deref()
                    .is_some_and(|x| x.to_lowercase().contains(n.as_str()))
            })
        })
        .collect();
    let tz = config.timezone;
    let mut out = std::io::stdout().lock();
    if output.json {
        for t in &open {
            let r = &t.record;
            let line = serde_json::json!({
                "ticket": r.ticket, "mailbox": r.mailbox, "category": r.category,
                "unit": r.unit, "sender": r.sender, "subject": t.subject,
                "opened_at": chrono::DateTime::parse_from_rfc3339(&r.opened_at)
                    .map(|d| d.with_timezone(&tz).to_rfc3339()).unwrap_or(r.opened_at.clone()),
            });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    let opened = format!("opened ({})", zone_label(tz));
    let mut table = Table::new(
        &["ticket", &opened, "unit", "category", "sender", "subject"],
        output.wide,
    );
    table.limit(4, 34).limit(5, 40);
    for t in &open {
        let r = &t.record;
        let at = local_time(&r.opened_at, tz);
        table.row(vec![
            r.ticket.clone(),
            at.rsplit_once(' ')
                .map(|(a, _)| a.to_string())
                .unwrap_or(at),
            r.unit.clone().unwrap_or_else(|| "-".into()),
            r.category.clone(),
            r.sender.clone().unwrap_or_else(|| "-".into()),
            t.subject.clone().unwrap_or_default(),
        ]);
    }
    table.print(&mut out)?;
    writeln!(out, "{} open ticket(s)", open.len())?;
    Ok(())
}
