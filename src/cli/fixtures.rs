//! `pilah rules test`: fixture messages (`.eml` with an `.expected.toml` beside each) run
//! through the rules, expected against got.
//!
//! Without a directory it runs every set it finds: the package's
//! (`/usr/share/pilah/fixtures`, beside the installed binary), the admin's (`fixtures_dir` of
//! the config given with `--config`, else `fixtures` in the rules directory), and, only when
//! neither exists, the repository's `tests/fixtures/rules` from a checkout. A set may say
//! whose `Authentication-Results` its messages carry in a `fixtures.toml` at its top
//! (`authserv_ids = [...]`): the package's were delivered through the test mail stack.

use super::{load_rules, read_mail, Findings, MACHINE_FOLDER};
use crate::classify::{self, rules::RuleSet, MachineKind};
use crate::spam::SpamConfig;
use crate::trust::TrustConfig;
use anyhow::{bail, Context as _, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    mailbox: String,
    category: Option<String>,
    machine: Option<String>,
}

/// `fixtures.toml` at the top of a set.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SetInfo {
    /// Whose `Authentication-Results` the set's messages carry.
    #[serde(default)]
    authserv_ids: Vec<String>,
}

/// The repository's fixtures, relative to a checkout of pilah.
const REPO_FIXTURES: &str = "tests/fixtures/rules";

/// Where the package puts its fixtures, relative to the directory of the binary's directory
/// (`/usr/bin/pilah` → `/usr/share/pilah/fixtures`).
const PACKAGED_FIXTURES: &str = "share/pilah/fixtures";

/// One directory of fixtures and whose it is.
pub(super) struct FixtureSet {
    pub dir: PathBuf,
    pub whose: &'static str,
}

/// The package's fixtures, if this binary was installed with them.
fn packaged() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?.parent()?.join(PACKAGED_FIXTURES);
    dir.is_dir().then_some(dir)
}

/// The sets `rules test` runs when no directory is given (see the module's text).
pub(super) fn default_sets(rules: &Path, config: Option<&Path>) -> Result<Vec<FixtureSet>> {
    let mut sets = Vec::new();
    if let Some(dir) = packaged() {
        sets.push(FixtureSet {
            dir,
            whose: "the package's",
        });
    }
    let configured = match config {
        Some(path) => crate::config::Config::load(path)?.fixtures_dir,
        None => None,
    };
    let admins = configured.clone().unwrap_or_else(|| rules.join("fixtures"));
    if admins.is_dir() {
        sets.push(FixtureSet {
            dir: admins.clone(),
            whose: "the admin's",
        });
    } else if configured.is_some() {
        bail!(
            "fixtures_dir {}: not a directory; create it and put fixtures in it",
            admins.display()
        );
    }
    if sets.is_empty() && Path::new(REPO_FIXTURES).is_dir() {
        sets.push(FixtureSet {
            dir: PathBuf::from(REPO_FIXTURES),
            whose: "the repository's",
        });
    }
    if sets.is_empty() {
        bail!(
            "no fixtures: neither {} nor ./{REPO_FIXTURES} is a directory, and this pilah has \
             no packaged fixtures (/usr/share/pilah/fixtures); put yours in {} (<mailbox>/\
             <category>/NNN.eml with NNN.expected.toml beside each) or set fixtures_dir in the \
             config, or give their directory: pilah rules test --rules {} DIR",
            admins.display(),
            admins.display(),
            rules.display()
        );
    }
    Ok(sets)
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

/// The trust to judge a set with: the caller's, and whose verdicts the set says it carries.
pub(super) fn set_trust(dir: &Path, trust: &TrustConfig) -> Result<TrustConfig> {
    let path = dir.join("fixtures.toml");
    let info: SetInfo = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| path.display().to_string())?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SetInfo::default(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut trust = trust.clone();
    trust.authserv_ids.extend(
        info.authserv_ids
            .iter()
            .map(|s| s.trim().to_ascii_lowercase()),
    );
    Ok(trust)
}

/// One fixture judged.
pub(super) struct Judged {
    pub mailbox: String,
    pub expected: String,
    pub got: String,
    pub rule: String,
    pub pass: bool,
}

/// A fixture read: what it expects and its message (parsed, trust applied).
pub(super) struct Loaded {
    expected: Expected,
    pub mail: crate::parse::Mail,
}

impl Loaded {
    pub fn mailbox(&self) -> &str {
        &self.expected.mailbox
    }

    /// The category it expects (none: it expects machine mail).
    pub fn category(&self) -> Option<&str> {
        self.expected.category.as_deref()
    }
}

/// Reads fixture `f` with its `.expected.toml`, and asks the spam engine for its score when
/// `spam` is given, as the daemon would; `Ok(Err(why))` when its message cannot be read or
/// parsed, or the engine cannot be asked (a failed fixture, not a failed run).
pub(super) fn load(
    f: &Path,
    trust: &TrustConfig,
    spam: Option<&SpamConfig>,
) -> Result<Result<Loaded, String>> {
    let exp_path = f.with_extension("expected.toml");
    let exp_text = std::fs::read_to_string(&exp_path)?;
    let expected: Expected =
        toml::from_str(&exp_text).with_context(|| format!("{}", exp_path.display()))?;
    if expected.category.is_none() && expected.machine.is_none() {
        bail!("{}: give `category` or `machine`", exp_path.display());
    }
    let mail = match read_mail(f, trust) {
        Ok((raw, mut mail)) => {
            if let Some(config) = spam {
                match super::ask_engine(config, &raw)? {
                    Ok(scan) => mail.spam = scan.score().cloned(),
                    Err(e) => return Ok(Err(e.to_string())),
                }
            }
            mail
        }
        Err(e) => return Ok(Err(format!("{e:#}"))),
    };
    Ok(Ok(Loaded { expected, mail }))
}

/// A loaded fixture judged by `rules`.
pub(super) fn verdict(rules: &RuleSet, l: &Loaded) -> Judged {
    let exp = &l.expected;
    let v = classify::classify(rules, &l.mail, &exp.mailbox, MACHINE_FOLDER);
    let got_machine = v
        .machine
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "none".into());
    let (expected, got) = match (&exp.category, &exp.machine) {
        (Some(c), _) => (c.clone(), v.category.clone()),
        (None, m) => (
            format!("machine:{}", m.as_deref().unwrap_or_default()),
            format!("machine:{got_machine}"),
        ),
    };
    let pass = expected == got
        && exp
            .machine
            .as_deref()
            .is_none_or(|m| m == got_machine || MachineKind::parse(m).is_none() && m != "none");
    Judged {
        mailbox: exp.mailbox.clone(),
        expected,
        got,
        rule: v.rule_or_fallback().to_string(),
        pass,
    }
}

/// Judges one fixture as the daemon would: with the spam engine's score when `spam` is
/// given (an engine that cannot be asked fails the fixture).
fn judge(
    rules: &RuleSet,
    f: &Path,
    trust: &TrustConfig,
    spam: Option<&SpamConfig>,
) -> Result<Result<Judged, String>> {
    Ok(load(f, trust, spam)?.map(|l| verdict(rules, &l)))
}

/// Fixtures as expected and all, per (mailbox, expected).
type PerCategory = BTreeMap<(String, String), (u32, u32)>;

/// Runs one set; returns (as expected, not).
fn run_set(
    out: &mut impl Write,
    rules: &RuleSet,
    set: &FixtureSet,
    trust: &TrustConfig,
    spam: Option<&SpamConfig>,
    verbose: bool,
    per_cat: &mut PerCategory,
) -> Result<(u32, u32)> {
    let files = fixtures(&set.dir)?;
    if files.is_empty() {
        bail!(
            "no fixtures (.eml with .expected.toml beside it) under {}",
            set.dir.display()
        );
    }
    let trust = set_trust(&set.dir, trust)?;
    writeln!(out, "fixtures: {} ({})", set.dir.display(), set.whose)?;
    let (mut ok, mut bad) = (0, 0);
    for f in &files {
        let rel = f.strip_prefix(&set.dir).unwrap_or(f);
        let j = match judge(rules, f, &trust, spam)? {
            Ok(j) => j,
            Err(e) => {
                bad += 1;
                writeln!(out, "{:<60} {e}", f.display())?;
                continue;
            }
        };
        let e = per_cat
            .entry((j.mailbox.clone(), j.expected.clone()))
            .or_default();
        e.1 += 1;
        if j.pass {
            ok += 1;
            e.0 += 1;
        } else {
            bad += 1;
        }
        if verbose || !j.pass {
            writeln!(
                out,
                "{:<60} {:<11} {:<22} {:<22} {}{}",
                rel.display(),
                j.mailbox,
                j.expected,
                j.got,
                j.rule,
                if j.pass { "" } else { "   MISMATCH" }
            )?;
        }
    }
    writeln!(out, "{}: {ok}/{} as expected", set.dir.display(), ok + bad)?;
    Ok((ok, bad))
}

pub(super) fn rules_test(
    rules_dir: &Path,
    sets: &[FixtureSet],
    trust: &TrustConfig,
    spam: Option<&SpamConfig>,
    verbose: bool,
) -> Result<()> {
    let rules = load_rules(rules_dir)?;
    let mut out = std::io::stdout().lock();
    let (mut ok, mut bad) = (0, 0);
    let mut per_cat = PerCategory::new();
    writeln!(
        out,
        "{:<60} {:<11} {:<22} {:<22} rule",
        "fixture", "mailbox", "expected", "got"
    )?;
    for set in sets {
        let (o, b) = run_set(&mut out, &rules, set, trust, spam, verbose, &mut per_cat)?;
        ok += o;
        bad += b;
    }
    writeln!(out)?;
    writeln!(out, "{:<11} {:<24} {:>9}", "mailbox", "expected", "correct")?;
    for ((mb, cat), (good, all)) in &per_cat {
        writeln!(out, "{mb:<11} {cat:<24} {good:>4}/{all:<4}")?;
    }
    let total = ok + bad;
    writeln!(out)?;
    writeln!(
        out,
        "accuracy: {ok}/{total} fixtures as expected ({:.1}%), rules version {}",
        ok as f64 * 100.0 / total as f64,
        rules.version
    )?;
    if bad > 0 {
        return Err(Findings(format!(
            "{bad} fixture(s) did not get their expected category"
        ))
        .into());
    }
    Ok(())
}
