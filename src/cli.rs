//! The command line: arguments parsed raw by clap, validated, dispatched; errors printed as
//! a chain with a clear exit code (0 success, 1 findings such as rule errors or fixture
//! mismatches, 2 a failure to do the job).

use crate::classify::rules::RuleSet;
use crate::classify::{self, MachineKind};
use crate::config::Config;
use crate::daemon::{self, Shared};
use crate::pipeline::RunOptions;
use crate::report::Month;
use crate::store::Store;
use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

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
        command: TicketCommand,
    },
    /// List recorded messages: where each one went.
    Messages {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        mailbox: Option<String>,
        /// YYYY-MM, by arrival.
        #[arg(long)]
        month: Option<String>,
    },
}

/// Whose `Authentication-Results` the offline commands believe, as the daemon would.
#[derive(clap::Args)]
struct TrustArgs {
    /// Believe the `[authentication]` settings of this config file.
    #[arg(long = "config", value_name = "FILE")]
    trust_config: Option<PathBuf>,
    /// Believe `Authentication-Results` headers of this authserv-id (repeatable; without it
    /// and without --config, every sender is unauthenticated, as in a daemon without
    /// `[authentication]`).
    #[arg(long = "authserv-id", value_name = "ID")]
    authserv_ids: Vec<String>,
}

impl TrustArgs {
    fn load(&self) -> Result<crate::trust::TrustConfig> {
        let mut trust = match &self.trust_config {
            Some(path) => Config::load(path)?.authentication,
            None => crate::trust::TrustConfig::default(),
        };
        trust.authserv_ids.extend(
            self.authserv_ids
                .iter()
                .map(|s| s.trim().to_ascii_lowercase()),
        );
        Ok(trust)
    }
}

#[derive(Subcommand)]
enum TicketCommand {
    /// Every message, forward, acknowledgement, answer and reminder of a ticket, with times.
    Show {
        #[arg(long)]
        config: PathBuf,
        id: String,
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
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Load everything and report every error as file:line:col.
    Check {
        #[arg(long, default_value = DEFAULT_RULES)]
        rules: PathBuf,
    },
    /// Run fixture messages (.eml + .expected.toml) through the rules.
    Test {
        #[arg(long, default_value = DEFAULT_RULES)]
        rules: PathBuf,
        /// The fixtures directory. Default: `fixtures` in the rules directory if it exists,
        /// else `tests/fixtures/rules` (in a checkout of pilah's repository).
        fixtures: Option<PathBuf>,
        #[command(flatten)]
        trust: TrustArgs,
        /// Print every fixture, not only mismatches.
        #[arg(long)]
        verbose: bool,
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
        (LogFormat::Text, false) => layer.boxed(),
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
        } => classify_files(&rules, &trust.load()?, &mailbox, &files),
        Command::Explain {
            rules,
            trust,
            mailbox,
            file,
        } => explain(&rules, &trust.load()?, &mailbox, &file),
        Command::Rules {
            command: RulesCommand::Check { rules },
        } => rules_check(&rules),
        Command::Rules {
            command:
                RulesCommand::Test {
                    rules,
                    fixtures,
                    trust,
                    verbose,
                },
        } => {
            let fixtures = match fixtures {
                Some(dir) => dir,
                None => {
                    let dir = default_fixtures(&rules)?;
                    eprintln!("fixtures: {}", dir.display());
                    dir
                }
            };
            rules_test(&rules, &fixtures, &trust.load()?, verbose)
        }
        Command::Report(args) => crate::report::command(args),
        Command::Doctor { config } => doctor(&config),
        Command::Ticket {
            command: TicketCommand::Show { config, id },
        } => ticket_show(&config, &id),
        Command::Ticket {
            command:
                TicketCommand::List {
                    config,
                    open: _,
                    unit,
                },
        } => ticket_list(&config, unit.as_deref()),
        Command::Messages {
            config,
            mailbox,
            month,
        } => messages(&config, mailbox, month),
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

fn classify_files(
    rules_dir: &Path,
    trust: &crate::trust::TrustConfig,
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
            Ok((_, mail)) => {
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

fn explain(
    rules_dir: &Path,
    trust: &crate::trust::TrustConfig,
    mailbox: &str,
    file: &Path,
) -> Result<()> {
    let rules = load_rules(rules_dir)?;
    check_mailbox_name(&rules, mailbox)?;
    let (_, mail) = read_mail(file, trust)?;
    let (v, trace) = classify::explain(&rules, &mail, mailbox, MACHINE_FOLDER);
    let mut o = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(
        o,
        "{} in mailbox {mailbox} (rules version {})",
        file.display(),
        rules.version
    );
    let _ = writeln!(o, "  From:    {}", mail.from.as_deref().unwrap_or("-"));
    let _ = writeln!(o, "  Subject: {}", mail.subject);
    let vouched = &mail.vouched;
    let dkim: Vec<&str> = vouched.dkim_domains().collect();
    let _ = writeln!(
        o,
        "  Sender:  {} (spf={}, dkim={}{}, dmarc={}; from {})",
        vouched.sender(mail.from_domain()),
        vouched.result("spf").as_str(),
        vouched.result("dkim").as_str(),
        if dkim.is_empty() {
            String::new()
        } else {
            format!(" d={}", dkim.join(","))
        },
        vouched.result("dmarc").as_str(),
        vouched.source()
    );
    if let Some(s) = &vouched.spam {
        let _ = writeln!(
            o,
            "  Spam filter: {} ({}, a trusted header)",
            if s.spam { "spam" } else { "not spam" },
            s.evidence
        );
    }
    if !mail.attachments.is_empty() {
        let names: Vec<&str> = mail
            .attachments
            .iter()
            .map(|a| a.name.as_deref().unwrap_or("(no name)"))
            .collect();
        let _ = writeln!(o, "  Attachments: {}", names.join(", "));
    }
    let _ = writeln!(
        o,
        "  Machine mail: {}",
        match classify::machine_detection(&rules, &mail) {
            Some(d) => format!("{} (by {}: {})", d.kind, d.name, d.evidence),
            None => "no".to_string(),
        }
    );
    let _ = writeln!(o);
    let mut decided_seen = false;
    for t in &trace {
        let mark = if !t.applies {
            "  -  ".to_string()
        } else if t.decided {
            decided_seen = true;
            "  >> ".to_string()
        } else if t.matched {
            "  +  ".to_string()
        } else {
            "     ".to_string()
        };
        let status = if !t.applies {
            format!("not for mailbox {mailbox}")
        } else if t.matched {
            let why: Vec<String> = t
                .evidence
                .iter()
                .map(|(f, text, p)| {
                    if text.is_empty() {
                        format!("{f}: {p}")
                    } else {
                        format!("{f} {text:?} ~ {p:?}")
                    }
                })
                .collect();
            let role = if t.decided {
                "MATCHED, decides".to_string()
            } else if decided_seen {
                "matched, but an earlier rule already decided".to_string()
            } else {
                "matched (continue: tags only)".to_string()
            };
            format!("{role}: {}", why.join("; "))
        } else {
            "no match".to_string()
        };
        let _ = writeln!(
            o,
            "{mark}{:<32} {:<28} {status}",
            t.rule,
            t.location.rsplit('/').next().unwrap_or("")
        );
    }
    let _ = writeln!(o);
    let label = rules.label(&v.category).unwrap_or("");
    let _ = writeln!(
        o,
        "Verdict: {} ({label}) by {}",
        v.category,
        v.rule
            .clone()
            .unwrap_or_else(|| format!("fallback of mailbox {mailbox}: no rule matched"))
    );
    let _ = writeln!(
        o,
        "  forward to: {}",
        if v.route.is_empty() {
            "nobody".to_string()
        } else {
            v.route.join(", ")
        }
    );
    let _ = writeln!(
        o,
        "  acknowledgement: {}",
        v.ack.as_deref().unwrap_or("none")
    );
    let _ = writeln!(o, "  folder: {}", v.folder);
    if !v.tags.is_empty() {
        let _ = writeln!(o, "  tags: {}", v.tags.join(", "));
    }
    print!("{o}");
    Ok(())
}

fn rules_check(dir: &Path) -> Result<()> {
    match RuleSet::load(dir) {
        Ok(rules) => {
            for w in rules.warnings.warnings() {
                println!("{w}");
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    mailbox: String,
    category: Option<String>,
    machine: Option<String>,
}

/// The repository's fixtures, relative to a checkout of pilah.
const REPO_FIXTURES: &str = "tests/fixtures/rules";

/// Where `rules test` finds the fixtures when none are given: `fixtures` beside the rules
/// (an installed package's place), else the repository's when run from a checkout.
fn default_fixtures(rules: &Path) -> Result<PathBuf> {
    let beside = rules.join("fixtures");
    if beside.is_dir() {
        return Ok(beside);
    }
    if Path::new(REPO_FIXTURES).is_dir() {
        return Ok(PathBuf::from(REPO_FIXTURES));
    }
    bail!(
        "no fixtures: neither {} nor ./{REPO_FIXTURES} is a directory; put them in {} \
         (<mailbox>/<category>/NNN.eml with NNN.expected.toml beside each), or give their \
         directory: pilah rules test --rules {} DIR",
        beside.display(),
        beside.display(),
        rules.display()
    )
}

/// Every `.eml` under `dir` that has an `.expected.toml` beside it.
pub fn fixtures(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("cannot read {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "eml")
                && p.with_extension("expected.toml").exists()
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn rules_test(
    rules_dir: &Path,
    dir: &Path,
    trust: &crate::trust::TrustConfig,
    verbose: bool,
) -> Result<()> {
    let rules = load_rules(rules_dir)?;
    let files = fixtures(dir)?;
    if files.is_empty() {
        bail!(
            "no fixtures (.eml with .expected.toml beside it) under {}",
            dir.display()
        );
    }
    let mut ok = 0;
    let mut bad = 0;
    let mut per_cat: std::collections::BTreeMap<(String, String), (u32, u32)> = Default::default();
    println!(
        "{:<60} {:<11} {:<22} {:<22} rule",
        "fixture", "mailbox", "expected", "got"
    );
    for f in &files {
        let exp_path = f.with_extension("expected.toml");
        let exp_text = std::fs::read_to_string(&exp_path)?;
        let exp: Expected =
            toml::from_str(&exp_text).with_context(|| format!("{}", exp_path.display()))?;
        let (_, mail) = match read_mail(f, trust) {
            Ok(x) => x,
            Err(e) => {
                bad += 1;
                println!("{:<60} {e:#}", f.display());
                continue;
            }
        };
        let v = classify::classify(&rules, &mail, &exp.mailbox, MACHINE_FOLDER);
        let got_machine = v
            .machine
            .map(|m| m.as_str().to_string())
            .unwrap_or_else(|| "none".into());
        let (expected, got) = match (&exp.category, &exp.machine) {
            (Some(c), _) => (c.clone(), v.category.clone()),
            (None, Some(m)) => (format!("machine:{m}"), format!("machine:{got_machine}")),
            (None, None) => bail!("{}: give `category` or `machine`", exp_path.display()),
        };
        let pass = expected == got
            && exp
                .machine
                .as_deref()
                .is_none_or(|m| m == got_machine || MachineKind::parse(m).is_none() && m != "none");
        let e = per_cat
            .entry((exp.mailbox.clone(), expected.clone()))
            .or_default();
        e.1 += 1;
        if pass {
            ok += 1;
            e.0 += 1;
        } else {
            bad += 1;
        }
        if verbose || !pass {
            let rel = f.strip_prefix(dir).unwrap_or(f);
            println!(
                "{:<60} {:<11} {:<22} {:<22} {}{}",
                rel.display(),
                exp.mailbox,
                expected,
                got,
                v.rule_or_fallback(),
                if pass { "" } else { "   MISMATCH" }
            );
        }
    }
    println!();
    println!("{:<11} {:<24} {:>9}", "mailbox", "expected", "correct");
    for ((mb, cat), (good, all)) in &per_cat {
        println!("{mb:<11} {cat:<24} {good:>4}/{all:<4}");
    }
    let total = ok + bad;
    println!();
    println!(
        "accuracy: {ok}/{total} fixtures as expected ({:.1}%), rules version {}",
        ok as f64 * 100.0 / total as f64,
        rules.version
    );
    if bad > 0 {
        return Err(Findings(format!(
            "{bad} fixture(s) did not get their expected category"
        ))
        .into());
    }
    Ok(())
}

/// What `pilah doctor` found: each check printed as it is made, failures counted.
#[derive(Default)]
struct Verdicts {
    failures: usize,
}

impl Verdicts {
    fn verdict(&mut self, ok: bool, what: &str, detail: &str) {
        if !ok {
            self.failures += 1;
        }
        println!(
            "{} {what}{}",
            if ok { "  ok  " } else { "  FAIL" },
            if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            }
        );
    }
}

fn doctor(path: &Path) -> Result<()> {
    let mut v = Verdicts::default();
    let config = match Config::load(path) {
        Ok(c) => {
            v.verdict(true, &format!("config {}", path.display()), "");
            c
        }
        Err(e) => {
            v.verdict(false, &format!("config {}", path.display()), &e.to_string());
            return Err(
                Findings("the configuration has errors; nothing else was checked".into()).into(),
            );
        }
    };
    let rules = doctor_rules(&config, &mut v);
    match authentication_status(&config.authentication) {
        Ok(detail) => v.verdict(true, "authentication", &detail),
        Err(warning) => println!("  warn authentication: {warning}"),
    }
    doctor_state(&config, &mut v);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async {
        for m in &config.mailboxes {
            doctor_mailbox(&config, rules.as_ref(), m, &mut v).await;
        }
        let what = format!("smtp {}:{}", config.smtp.host, config.smtp.port);
        match crate::act::send::Smtp::new(&config.smtp, config.limits.network_timeout) {
            Ok(smtp) => match smtp.check().await {
                Ok(()) => v.verdict(true, &what, "connected"),
                Err(e) => v.verdict(false, &what, &e.to_string()),
            },
            Err(e) => v.verdict(false, &what, &e.to_string()),
        }
    });
    if v.failures > 0 {
        return Err(Findings(format!(
            "{} problem(s): fix them before (re)starting pilah",
            v.failures
        ))
        .into());
    }
    println!("everything pilah needs is in order");
    Ok(())
}

/// The rules load, and know every mailbox.
fn doctor_rules(config: &Config, v: &mut Verdicts) -> Option<RuleSet> {
    match RuleSet::load(&config.rules_dir) {
        Ok(r) => {
            v.verdict(
                true,
                &format!("rules {}", config.rules_dir.display()),
                &format!("{} rules, version {}", r.rules.len(), r.version),
            );
            for w in r.warnings.warnings() {
                println!("        warning: {w}");
            }
            if let Err(e) = daemon::check_mailboxes(config, &r) {
                v.verdict(false, "mailboxes known to the rules", &e.to_string());
            }
            Some(r)
        }
        Err(e) => {
            v.verdict(
                false,
                &format!("rules {}", config.rules_dir.display()),
                &e.to_string(),
            );
            None
        }
    }
}

/// The state directory and the database, looked at, never created: a database made by
/// root here would not be writable by the service's own user later. And the file modes.
fn doctor_state(config: &Config, v: &mut Verdicts) {
    let what = format!("state directory {}", config.state_dir.display());
    let db = config.db_path();
    if db.exists() {
        match Store::inspect(&db) {
            Ok(found) => v.verdict(
                true,
                &what,
                &format!(
                    "database holds {} message(s), schema version {}",
                    found.messages, found.version
                ),
            ),
            Err(e) => v.verdict(false, &what, &e.to_string()),
        }
    } else if config.state_dir.is_dir() || !config.state_dir.exists() {
        println!("  note  {what}: no database yet; pilah creates it at its first start");
    } else {
        v.verdict(false, &what, "exists but is not a directory");
    }
    let loose = loose_modes(config);
    if loose.is_empty() {
        v.verdict(
            true,
            "file modes",
            "password files, state directory and database are private to their owner",
        );
    }
    for (what, detail) in &loose {
        v.verdict(false, what, detail);
    }
}

/// One mailbox: logs in, selects the watched folder, reports what the server offers and
/// what pilah will do with it, and tries every folder pilah will file into.
async fn doctor_mailbox(
    config: &Config,
    rules: Option<&RuleSet>,
    m: &crate::config::MailboxConfig,
    v: &mut Verdicts,
) {
    let what = format!(
        "mailbox {} ({}:{} as {})",
        m.name, m.imap.host, m.imap.port, m.imap.username
    );
    let mut conn = match crate::source::Connection::open(
        &m.name,
        &m.imap,
        config.limits.network_timeout,
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return v.verdict(false, &what, &e.to_string()),
    };
    match conn.select(&m.imap.folder).await {
        Ok(f) => v.verdict(
            true,
            &what,
            &format!("logged in; {} holds {} message(s)", m.imap.folder, f.exists),
        ),
        Err(e) => v.verdict(false, &what, &e.to_string()),
    }
    println!("        {}", server_summary(&conn, config));
    let mut folders: Vec<String> = vec![
        config.folders.machine.clone(),
        config.folders.quarantine.clone(),
        config.folders.unverified.clone(),
    ];
    if let Some(r) = rules {
        folders.extend(
            r.categories
                .iter()
                .filter(|c| c.mailboxes.iter().any(|x| x == m.name.as_str()))
                .map(|c| c.folder.clone()),
        );
    }
    folders.sort();
    folders.dedup();
    doctor_folders(&mut conn, &m.name, &folders, v).await;
    conn.logout().await;
}

/// The server in one line: namespace, delimiter, capabilities, and the fallbacks pilah uses.
fn server_summary(conn: &crate::source::Connection, config: &Config) -> String {
    let h = conn.hierarchy();
    let c = conn.caps;
    let yes = |b: bool| if b { "yes" } else { "no" };
    format!(
        "server: folder prefix {:?} (from {}), delimiter {:?}; MOVE {}, UIDPLUS {}, IDLE {}, CONDSTORE {}; files by {}; new mail by {}",
        h.prefix,
        h.origin,
        h.delimiter,
        yes(c.r#move),
        yes(c.uidplus),
        yes(c.idle),
        yes(c.condstore),
        conn.filing().describe(),
        if c.idle {
            "IDLE".to_string()
        } else {
            format!(
                "polling every {} s (no IDLE)",
                config.limits.poll_interval.as_secs()
            )
        }
    )
}

/// Every folder pilah files into, as the server names it: those that exist are fine; for
/// the others a probe folder is created where they will go (beside them, under the same
/// parent) and deleted again, so that a server that refuses them fails here and not at the
/// first message. One probe per parent: Courier takes 2 s to delete a folder.
async fn doctor_folders(
    conn: &mut crate::source::Connection,
    mailbox: &crate::types::MailboxName,
    folders: &[String],
    v: &mut Verdicts,
) {
    let mut missing: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut failed = false;
    for f in folders {
        if let Err(e) = conn.server_folder(f) {
            failed = true;
            v.verdict(
                false,
                &format!("mailbox {mailbox} folder {f}"),
                &e.to_string(),
            );
        } else if !conn.has_folder(f) {
            let parent = f.rsplit_once('/').map_or("", |(p, _)| p);
            missing.entry(parent).or_default().push(f);
        }
    }
    for (parent, children) in &missing {
        let probe = if parent.is_empty() {
            "pilah-probe".to_string()
        } else {
            format!("{parent}/pilah-probe")
        };
        match conn.probe_folder(&probe).await {
            Ok(leftovers) => {
                for l in leftovers {
                    println!("  warn  mailbox {mailbox} folder {probe}: made as a probe, but the server would not delete it again: {l}");
                }
            }
            Err(e) => {
                failed = true;
                v.verdict(
                    false,
                    &format!("mailbox {mailbox} folders {}", children.join(", ")),
                    &format!("filing would fail: {e}"),
                );
            }
        }
    }
    if !failed {
        let n: usize = missing.values().map(Vec::len).sum();
        v.verdict(
            true,
            &format!("mailbox {mailbox} folders"),
            &format!(
                "{} of {} exist; a probe folder beside the other {n} was created and deleted again: filing will work",
                folders.len() - n,
                folders.len()
            ),
        );
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
    for (table, src) in config.secrets() {
        let Some(path) = src.private_file() else {
            continue;
        };
        if let Some(m) = mode(&path).filter(|m| open_to_others(*m)) {
            if seen.insert(path.clone()) {
                out.push((
                    format!("{table}.{} {}", src.key(), path.display()),
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

fn ticket_show(config: &Path, id: &str) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let id = id.trim().trim_matches(['[', ']']).to_ascii_uppercase();
    let Some((rec, history)) = crate::ticket::history(&store, &id)? else {
        return Err(Findings(format!("no ticket {id} in {}", store.path().display())).into());
    };
    println!("Ticket {} ({}, {})", rec.ticket, rec.mailbox, rec.category);
    println!("  sender: {}", rec.sender.as_deref().unwrap_or("-"));
    println!(
        "  unit:   {}",
        rec.unit.as_deref().unwrap_or("- (not forwarded)")
    );
    println!(
        "  state:  {}",
        match &rec.answered_at {
            Some(t) => format!("answered {t}"),
            None if rec.unit.is_some() => "open".to_string(),
            None => "closed (nothing to answer)".to_string(),
        }
    );
    println!();
    for h in history {
        println!("  {:<25} {:<16} {}", h.at, h.what, h.detail);
    }
    Ok(())
}

fn ticket_list(config: &Path, unit: Option<&str>) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let open = crate::ticket::open_tickets(&store, unit)?;
    println!(
        "{:<18} {:<22} {:<22} {:<26} sender",
        "ticket", "opened", "unit", "category"
    );
    for t in &open {
        println!(
            "{:<18} {:<22} {:<22} {:<26} {}",
            t.ticket,
            t.opened_at,
            t.unit.as_deref().unwrap_or("-"),
            t.category,
            t.sender.as_deref().unwrap_or("-")
        );
    }
    println!("{} open ticket(s)", open.len());
    Ok(())
}

fn messages(config: &Path, mailbox: Option<String>, month: Option<String>) -> Result<()> {
    let config = Config::load(config)?;
    let store = Store::open(&config.state_dir)?;
    let range = match month {
        Some(m) => {
            let m = Month::parse(&m)?;
            Some((m.start(config.timezone), m.end(config.timezone)))
        }
        None => None,
    };
    let rows = store.list_messages(mailbox.as_deref(), range)?;
    println!(
        "{:<10} {:>5} {:<16} {:<17} {:<34} {:<22} {:<26} actions",
        "mailbox", "uid", "ticket", "received", "sender", "category", "folder"
    );
    for m in rows {
        let when = m
            .internal_date
            .map(|d| {
                d.with_timezone(&config.timezone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
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
        let sender: String = m
            .sender
            .unwrap_or_else(|| "-".into())
            .chars()
            .take(34)
            .collect();
        println!(
            "{:<10} {:>5} {:<16} {:<17} {:<34} {:<22} {:<26} {}",
            m.mailbox,
            m.uid,
            m.ticket.unwrap_or_else(|| "-".into()),
            when,
            sender,
            m.category.unwrap_or_else(|| "-".into()),
            m.folder.unwrap_or_else(|| "(not filed)".into()),
            actions.join("; ")
        );
    }
    Ok(())
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
