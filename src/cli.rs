//! The command line: arguments parsed raw by clap, validated, dispatched; errors printed as
//! a chain with a clear exit code (0 success, 1 findings such as rule errors or fixture
//! mismatches, 2 a failure to do the job).
//!
//! It must not hold pipeline logic: each command calls the library's stages and prints their
//! results; SQL stays in `store`.

use crate::classify;
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::daemon::{self, Shared};
use crate::pipeline::RunOptions;
use crate::store::Store;
use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

mod agents;
mod backup;
mod correct;
mod doctor;
mod explain;
mod fixtures;
mod oauth2;
mod outbox;
mod prune;
mod suggest;
mod table;

const DEFAULT_RULES: &str = "/etc/pilah/rules";

#[derive(Parser)]
#[command(
    name = "pilah",
    version,
    about = "E-mail triage for the DJPK Contact Center"
)]
struct Cli {
    /// Log format: text for a terminal, json for log shippers (journald is detected).
    #[arg(long, value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: watch every mailbox, classify, route, acknowledge, file.
    Run {
        #[arg(long)]
        config: PathBuf,
        /// Drain every mailbox and the outbox once, then exit.
        #[arg(long)]
        once: bool,
        /// Classify and file only: no forwards, no acknowledgements.
        #[arg(long)]
        no_send: bool,
    },
    /// Classify .eml files offline; one JSON object per line.
    Classify {
        #[arg(long, default_value = DEFAULT_RULES)]
        rules: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        #[arg(long)]
        mailbox: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show, rule by rule, how a message is judged.
    Explain {
        #[arg(long, default_value = DEFAULT_RULES)]
        rules: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        #[arg(long)]
        mailbox: String,
        file: PathBuf,
    },
    /// Check or test a rules directory.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// The monthly report.
    Report(crate::report::ReportArgs),
    /// Check a configuration before (re)starting the service: config, rules, every IMAP
    /// mailbox and its folders, the SMTP server. One verdict per item.
    Doctor {
        #[arg(long)]
        config: PathBuf,
    },
    /// Tickets: one ticket's history, or the open ones.
    Ticket {
        #[command(subcommand)]
        command: agents::TicketCommand,
    },
    /// Find recorded messages and where each one went: by sender, subject words, ticket,
    /// category, unit, dates.
    Messages(agents::MessagesArgs),
    /// Remove raw mail (and optionally subjects) older than `[retention] raw_months`.
    Prune(prune::PruneArgs),
    /// A consistent copy of the database, raw mail, config and rules, while pilah runs.
    Backup(backup::BackupArgs),
    /// Mail that did not go out: list it with the reason, send it again, or cancel it.
    Outbox {
        #[command(subcommand)]
        command: outbox::OutboxCommand,
    },
    /// OAuth2 logins: the one-time sign-in of a refresh-token grant.
    #[command(name = "oauth2")]
    OAuth2 {
        #[command(subcommand)]
        command: oauth2::OAuth2Command,
    },
}

/// Whose `Authentication-Results` the offline commands believe, as the daemon would.
#[derive(clap::Args)]
struct TrustArgs {
    /// Believe the `[authentication]` settings of this config file, and ask its `[spam]`
    /// engine about each message as the daemon does.
    #[arg(long = "config", value_name = "FILE")]
    trust_config: Option<PathBuf>,
    /// Believe `Authentication-Results` headers of this authserv-id (repeatable; without it
    /// and without --config, every sender is unauthenticated, as in a daemon without
    /// `[authentication]`).
    #[arg(long = "authserv-id", value_name = "ID")]
    authserv_ids: Vec<String>,
}

impl TrustArgs {
    /// The trust settings, and the config's spam engine (`[spam]`) when `--config` has one.
    fn load_with_spam(
        &self,
    ) -> Result<(crate::trust::TrustConfig, Option<crate::spam::SpamConfig>)> {
        let (mut trust, spam) = match &self.trust_config {
            Some(path) => {
                let c = Config::load(path)?;
                (c.authentication, c.spam)
            }
            None => (crate::trust::TrustConfig::default(), None),
        };
        trust.authserv_ids.extend(
            self.authserv_ids
                .iter()
                .map(|s| s.trim().to_ascii_lowercase()),
        );
        Ok((trust, spam))
    }
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Load everything and report every error as file:line:col; with --config, also warn
    /// when a configured mailbox is not covered (categories, fallback, spam, non-DJPK).
    Check {
        #[arg(long, default_value = DEFAULT_RULES)]
        rules: PathBuf,
        /// The config whose mailboxes the rules must cover.
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Run fixture messages (.eml + .expected.toml) through the rules.
    Test {
        #[arg(long, default_value = DEFAULT_RULES)]
        rules: PathBuf,
        /// The fixtures directory. Default: the package's (/usr/share/pilah/fixtures) and the
        /// admin's (`fixtures_dir` of --config, else `fixtures` in the rules directory); from a
        /// checkout without either, `tests/fixtures/rules`.
        fixtures: Option<PathBuf>,
        #[command(flatten)]
        trust: TrustArgs,
        /// Print every fixture, not only mismatches.
        #[arg(long)]
        verbose: bool,
    },
    /// Propose rules, as TOML, from the corrections people made: the words of subjects and
    /// attachment names that set the corrected messages apart, each rule tried with the
    /// rules test (the corrected messages it fixes, the fixtures it breaks).
    Suggest {
        #[arg(long)]
        config: PathBuf,
        /// The fixtures to try suggestions on (default: as `rules test`).
        fixtures: Option<PathBuf>,
        /// How many words, and rules, to show per corrected category.
        #[arg(long, default_value_t = 3)]
        top: usize,
    },
    /// Fixtures for `rules test` from recorded mail.
    Fixtures {
        #[command(subcommand)]
        command: FixturesCommand,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Write every corrected message as a fixture (<mailbox>/<category>/koreksi-N.eml with
    /// its .expected.toml), names, NIK, phone numbers, addresses masked.
    Export {
        #[arg(long)]
        config: PathBuf,
        /// Where to write them (e.g. the admin's fixtures directory).
        #[arg(long)]
        out: PathBuf,
    },
}

/// Findings that are not failures of pilah itself (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Findings(String);

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    init_logging(cli.log_format);
    if !matches!(cli.command, Command::Run { .. }) {
        quiet_on_closed_pipe();
    }
    // One TLS provider for the whole binary (tokio-rustls and lettre both use rustls).
    let _ = rustls::crypto::ring::default_provider().install_default();
    match dispatch(cli.command) {
        Ok(()) => 0,
        Err(e) => {
            if e.downcast_ref::<Findings>().is_some() {
                eprintln!("{e}");
                return 1;
            }
            eprintln!("pilah: error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            2
        }
    }
}

/// A command whose reader goes away (`pilah messages | head`) ends there, quietly, like any
/// Unix filter: SIGPIPE gets its default action back (Rust ignores it, and `println!` then
/// panics on the broken pipe). Not for the daemon, whose sockets must never stop it.
fn quiet_on_closed_pipe() {
    // SAFETY: called once at start, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// Colour in the text log only on a terminal, and not when `NO_COLOR` is set (to anything
/// but the empty string, https://no-color.org): a log redirected to a file carries no
/// escape codes.
fn log_colour() -> bool {
    use std::io::IsTerminal as _;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Libraries that write what goes over the wire at `debug` or `trace`: async-imap logs every
/// command it sends (LOGIN with the password) and every response it reads (FETCH with the
/// whole message) at `trace`, through the `log` crate; lettre, if its `tracing` feature is
/// ever turned on, logs AUTH and DATA at `debug`; rustls logs handshake details. Their
/// events are kept at `info` and above whatever `PILAH_LOG` says (docs/operations.md).
const WIRE_TARGETS: &[&str] = &[
    "async_imap",
    "imap_proto",
    "lettre",
    "rustls",
    "tokio_rustls",
    "mail_parser",
];

/// True for an event that must not be shown: below `info`, from a [`WIRE_TARGETS`] crate.
fn wire_detail(level: &tracing::Level, target: &str) -> bool {
    *level > tracing::Level::INFO
        && WIRE_TARGETS.iter().any(|t| {
            target
                .strip_prefix(t)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
        })
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::filter::{filter_fn, FilterExt};
    use tracing_subscriber::{fmt, prelude::*, EnvFilter, Layer, Registry};
    let env = EnvFilter::try_from_env("PILAH_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A filter of its own rather than directives added to PILAH_LOG's: a more specific
    // directive there (`async_imap::imap_stream=trace`) would win over an added one.
    let filter = env.and(filter_fn(|m| !wire_detail(m.level(), m.target())));
    let journald = std::env::var_os("JOURNAL_STREAM").is_some();
    let layer = fmt::layer().with_writer(std::io::stderr).with_target(false);
    let layer: Box<dyn Layer<Registry> + Send + Sync> = match (format, journald) {
        (LogFormat::Json, _) => layer.json().flatten_event(true).boxed(),
        (LogFormat::Text, true) => layer.without_time().with_ansi(false).boxed(),
        (LogFormat::Text, false) => layer.with_ansi(log_colour()).boxed(),
    };
    // Also installs the bridge that turns the `log` crate's records (async-imap, rustls)
    // into events, which the filter above then sees with their module as target.
    tracing_subscriber::registry()
        .with(layer.with_filter(filter))
        .init();
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Run {
            config,
            once,
            no_send,
        } => run(&config, once, no_send),
        Command::Classify {
            rules,
            trust,
            mailbox,
            files,
        } => {
            let (trust, spam) = trust.load_with_spam()?;
            classify_files(&rules, &trust, spam.as_ref(), &mailbox, &files)
        }
        Command::Explain {
            rules,
            trust,
            mailbox,
            file,
        } => {
            let (trust, spam) = trust.load_with_spam()?;
            explain::explain(&rules, &trust, spam.as_ref(), &mailbox, &file)
        }
        Command::Rules {
            command: RulesCommand::Check { rules, config },
        } => rules_check(&rules, config.as_deref()),
        Command::Rules {
            command:
                RulesCommand::Test {
                    rules,
                    fixtures,
                    trust,
                    verbose,
                },
        } => {
            let sets = match fixtures {
                Some(dir) => vec![fixtures::FixtureSet {
                    dir,
                    whose: "given",
                }],
                None => fixtures::default_sets(&rules, trust.trust_config.as_deref())?,
            };
            let (trust, spam) = trust.load_with_spam()?;
            fixtures::rules_test(&rules, &sets, &trust, spam.as_ref(), verbose)
        }
        Command::Rules {
            command:
                RulesCommand::Suggest {
                    config,
                    fixtures,
                    top,
                },
        } => suggest::suggest(&config, fixtures, top),
        Command::Rules {
            command:
                RulesCommand::Fixtures {
                    command: FixturesCommand::Export { config, out },
                },
        } => suggest::export(&config, &out),
        Command::Report(args) => crate::report::command(args),
        Command::Doctor { config } => doctor::doctor(&config),
        Command::Ticket { command } => agents::ticket(command),
        Command::Messages(args) => agents::messages(args),
        Command::Outbox { command } => outbox::command(command),
        Command::OAuth2 { command } => oauth2::command(command),
        Command::Backup(args) => backup::command(args),
        Command::Prune(args) => prune::command(args),
    }
}

fn load_rules(dir: &Path) -> Result<RuleSet> {
    let rules = RuleSet::load(dir)?;
    for w in rules.warnings.warnings() {
        tracing::warn!("{w}");
    }
    Ok(rules)
}

/// What the daemon believes about senders, in one line: `Err` when it believes nothing.
fn authentication_status(trust: &crate::trust::TrustConfig) -> Result<String, String> {
    if !trust.is_configured() {
        return Err(
            "[authentication] authserv_ids is not set: every sender is treated as \
                    unauthenticated (Reply-To is never used, a follow-up joins its ticket only \
                    as a reply to pilah's own mail, and no PIC answer counts unless it arrives \
                    by an internal network); see docs/security.md"
                .to_string(),
        );
    }
    let networks: Vec<String> = trust
        .internal_networks
        .iter()
        .map(|n| n.to_string())
        .collect();
    Ok(format!(
        "believing the Authentication-Results of {}; internal networks: {}",
        trust.authserv_ids.join(", "),
        if networks.is_empty() {
            "none".to_string()
        } else {
            networks.join(", ")
        }
    ))
}

fn run(config_path: &Path, once: bool, no_send: bool) -> Result<()> {
    // A malformed PILAH_NOW stops the start (exit 2), not just the reminders.
    crate::ticket::now()?;
    let config = Config::load(config_path)?;
    config.check_secret_modes()?;
    if let Some(limit) = crate::memory::limit() {
        let largest = config.limits.max_message_size;
        if crate::memory::needed(largest) > limit {
            tracing::warn!(step = "memory-limit", memory_limit_mb = limit >> 20, max_message_size_mb = largest >> 20, fits_mb = crate::memory::largest_for(limit) >> 20, "the memory limit (MemoryMax=) is too small for limits.max_message_size_mb: larger messages are quarantined from their header (docs/operations.md, \"Memory\")");
        }
    }
    match authentication_status(&config.authentication) {
        Ok(detail) => tracing::info!(step = "authentication", "{detail}"),
        Err(warning) => tracing::warn!(step = "authentication", "{warning}"),
    }
    let rules = load_rules(&config.rules_dir)?;
    daemon::check_mailboxes(&config, &rules)?;
    let _lock = daemon::lock_state_dir(&config)?;
    let store = Store::open(&config.state_dir)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        // lettre's connection pool needs the runtime to exist when it is built.
        let smtp = crate::act::send::Smtp::new(&config.smtp, config.limits.network_timeout)?;
        let mailbox_names: Vec<String> = config
            .mailboxes
            .iter()
            .map(|m| m.name.to_string())
            .collect();
        let shared = Arc::new(Shared {
            config,
            store,
            rules: RwLock::new(Arc::new(rules)),
            smtp,
            outbox: tokio::sync::Notify::new(),
            options: RunOptions { no_send },
            health: crate::health::Health::new(mailbox_names.iter().map(|s| s.as_str())),
        });
        if once {
            daemon::run_once(shared).await
        } else {
            daemon::run_forever(shared).await
        }
    })?;
    Ok(())
}

fn read_mail(
    file: &Path,
    trust: &crate::trust::TrustConfig,
) -> Result<(Vec<u8>, crate::parse::Mail)> {
    let raw = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut mail =
        crate::parse::parse(&raw).with_context(|| format!("{}: cannot parse", file.display()))?;
    trust.apply(&mut mail);
    Ok((raw, mail))
}

/// Asks the spam engine about a message from the command line, as the daemon would (a
/// runtime of its own). The outer error: no runtime; the inner: the engine's answer.
fn ask_engine(
    config: &crate::spam::SpamConfig,
    raw: &[u8],
) -> Result<Result<crate::spam::Scan, crate::spam::SpamError>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(rt.block_on(crate::spam::scan(config, raw)))
}

fn check_mailbox_name(rules: &RuleSet, mailbox: &str) -> Result<()> {
    if !rules.mailboxes().contains(mailbox) {
        bail!(
            "--mailbox {mailbox:?}: the rules know the mailboxes {}",
            rules.mailboxes().into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    Ok(())
}

const MACHINE_FOLDER: &str = "Pilah/otomatis";

/// One JSON line per file: the verdict, with the spam engine's score when `spam` is given
/// (an engine that cannot be asked: `"spam": "unscored: …"`).
fn classify_files(
    rules_dir: &Path,
    trust: &crate::trust::TrustConfig,
    spam: Option<&crate::spam::SpamConfig>,
    mailbox: &str,
    files: &[PathBuf],
) -> Result<()> {
    let rules = load_rules(rules_dir)?;
    check_mailbox_name(&rules, mailbox)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = 0;
    for f in files {
        match read_mail(f, trust) {
            Ok((raw, mut mail)) => {
                let engine = match spam.map(|c| ask_engine(c, &raw)).transpose()? {
                    None => serde_json::Value::Null,
                    Some(Ok(scan)) => {
                        mail.spam = scan.score().cloned();
                        match scan {
                            crate::spam::Scan::Scored(s) => serde_json::json!(s),
                            crate::spam::Scan::Unscored(why) => why.to_string().into(),
                        }
                    }
                    Some(Err(e)) => format!("unscored: {e}").into(),
                };
                let v = classify::classify(&rules, &mail, mailbox, MACHINE_FOLDER);
                let line = serde_json::json!({
                    "file": f.display().to_string(),
                    "message_id": mail.message_id,
                    "mailbox": mailbox,
                    "category": v.category,
                    "rule": v.rule,
                    "machine": v.machine.map(|m| m.as_str()),
                    "route": v.route,
                    "ack": v.ack,
                    "sender_auth": mail.vouched.sender(mail.from_domain()).as_str(),
                    "spam": engine,
                });
                writeln!(out, "{line}")?;
            }
            Err(e) => {
                failed += 1;
                eprintln!("pilah: {e:#}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} files could not be classified", files.len());
    }
    Ok(())
}

/// What the configured mailboxes miss in the rules (`rules check --config`, `doctor`).
pub fn mailbox_coverage(config: &Config, rules: &RuleSet) -> Vec<String> {
    let names: Vec<&str> = config.mailboxes.iter().map(|m| m.name.as_str()).collect();
    rules.coverage(&names)
}

fn rules_check(dir: &Path, config: Option<&Path>) -> Result<()> {
    let config = config.map(Config::load).transpose()?;
    match RuleSet::load(dir) {
        Ok(rules) => {
            for w in rules.warnings.warnings() {
                println!("{w}");
            }
            if let Some(c) = &config {
                for w in mailbox_coverage(c, &rules) {
                    println!("{}: warning: {w}", c.path.display());
                }
            }
            println!(
                "{}: ok: {} rules, {} categories, {} units, {} templates, {} regions (version {})",
                dir.display(),
                rules.rules.len(),
                rules.categories.len(),
                rules.units.len(),
                rules.templates.len(),
                rules.regions.regions.len(),
                rules.version
            );
            Ok(())
        }
        Err(crate::classify::rules::RulesError::Invalid(d)) => {
            for x in &d.0 {
                println!("{x}");
            }
            let n = d.errors().count();
            Err(Findings(format!(
                "{}: {n} error{}",
                dir.display(),
                if n == 1 { "" } else { "s" }
            ))
            .into())
        }
        Err(e) => Err(e.into()),
    }
}

/// Files that group or others may read or write, as (what, detail with the fix): password
/// files pilah reads itself (refused at start), the state directory and the database
/// (tightened at start, but reported: they may have been read already). Missing files are
/// left to the other checks.
fn loose_modes(config: &Config) -> Vec<(String, String)> {
    use crate::private::open_to_others;
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| m.permissions().mode() & 0o777)
    };
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (key, src) in config.secrets() {
        let Some(path) = src.private_file() else {
            continue;
        };
        if let Some(m) = mode(&path).filter(|m| open_to_others(*m)) {
            if seen.insert(path.clone()) {
                out.push((
                    format!("{key} {}", path.display()),
                    format!(
                        "mode {m:04o}: group or others can read it, and pilah refuses it; \
                         run `chmod 600 {}` (and change the password if someone may have \
                         read it)",
                        path.display()
                    ),
                ));
            }
        }
    }
    let dir = &config.state_dir;
    if let Some(m) = mode(dir).filter(|m| open_to_others(*m)) {
        out.push((
            format!("state directory {}", dir.display()),
            format!(
                "mode {m:04o}: open to group or others; pilah tightens it to 0700 at its \
                 next start, or run `chmod 700 {}`",
                dir.display()
            ),
        ));
    }
    for name in ["pilah.sqlite", "pilah.sqlite-wal", "pilah.sqlite-shm"] {
        let p = dir.join(name);
        if let Some(m) = mode(&p).filter(|m| open_to_others(*m)) {
            out.push((
                format!("database {}", p.display()),
                format!(
                    "mode {m:04o}: open to group or others; pilah tightens it to 0600 at \
                     its next start, or run `chmod 600 {}`",
                    p.display()
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;

    #[test]
    fn the_wire_libraries_are_held_at_info_and_everything_else_follows_pilah_log() {
        for target in [
            "async_imap",
            "async_imap::imap_stream",
            "imap_proto::parser",
            "lettre::transport::smtp::client::async_connection",
            "rustls::client::hs",
            "tokio_rustls",
        ] {
            assert!(wire_detail(&Level::TRACE, target), "{target}");
            assert!(wire_detail(&Level::DEBUG, target), "{target}");
            assert!(!wire_detail(&Level::INFO, target), "{target}");
            assert!(!wire_detail(&Level::WARN, target), "{target}");
        }
        for target in ["pilah::source", "mio::poll", "async_imapx", "lettres"] {
            assert!(!wire_detail(&Level::TRACE, target), "{target}");
        }
    }
}
