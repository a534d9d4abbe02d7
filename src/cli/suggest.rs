//! `pilah rules suggest` and `pilah rules fixtures export`: the rules learn from corrections.
//!
//! `suggest` groups the corrected messages by mailbox and the category people gave them,
//! ranks the words of their subjects and attachment names against the rest (the fixtures
//! and the recorded messages of the mailbox; [`crate::correct::suggest`] says which statistic
//! and why), and tries a few rules made of the best words: each is put, in a copy of the
//! rules directory, in a file that sorts just before the file of the rule it overrules, and
//! the rules test runs there — which corrected messages it would fix, which fixtures it would
//! break. `export` writes the corrected messages as fixtures, personal data masked.

use super::fixtures::{self, FixtureSet, Loaded};
use super::{load_rules, MACHINE_FOLDER};
use crate::classify::{self, rules::RuleSet};
use crate::config::Config;
use crate::correct::{mask, suggest};
use crate::parse::Mail;
use crate::store::{CorrectedMessage, Store};
use anyhow::{Context as _, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Recorded messages of a mailbox the corrected ones are compared with, newest first.
const RECORDED: usize = 5000;

/// A corrected message, read and parsed.
struct Corrected {
    rec: CorrectedMessage,
    mail: Mail,
}

/// The corrected messages whose raw file is still there; and how many are not.
fn corrected(store: &Store, config: &Config) -> Result<(Vec<Corrected>, usize)> {
    let mut out = Vec::new();
    let mut missing = 0;
    for rec in store.corrected_messages()? {
        let raw = match (rec.pruned, std::fs::read(&rec.raw_path)) {
            (false, Ok(raw)) => raw,
            _ => {
                missing += 1;
                continue;
            }
        };
        let Ok(mut mail) = crate::parse::parse(&raw) else {
            missing += 1;
            continue;
        };
        config.authentication.apply(&mut mail);
        out.push(Corrected { rec, mail });
    }
    Ok((out, missing))
}

/// A copy of the rules directory where suggestions are tried; removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(rules: &Path) -> Result<Scratch> {
        let dir = std::env::temp_dir().join(format!(
            "pilah-suggest-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
        ));
        copy_dir(rules, &dir).with_context(|| format!("cannot copy {}", rules.display()))?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let p = e?.path();
        let Some(name) = p.file_name() else { continue };
        if p.is_dir() {
            copy_dir(&p, &to.join(name))?;
        } else {
            std::fs::copy(&p, to.join(name))?;
        }
    }
    Ok(())
}

/// Every fixture of the sets, loaded once (those that cannot be read are left out: `rules
/// test` reports them).
fn load_fixtures(
    sets: &[FixtureSet],
    trust: &crate::trust::TrustConfig,
) -> Result<Vec<(PathBuf, Loaded)>> {
    let mut out = Vec::new();
    for set in sets {
        let trust = fixtures::set_trust(&set.dir, trust)?;
        for f in fixtures::fixtures(&set.dir)? {
            if let Ok(l) = fixtures::load(&f, &trust, None)? {
                out.push((f, l));
            }
        }
    }
    Ok(out)
}

/// What one suggested rule does when tried.
struct Tried {
    keywords: Vec<String>,
    toml: String,
    file: String,
    fixes: Vec<String>,
    breaks: Vec<String>,
}

/// Everything a group's suggestions are tried against.
struct Bench<'a> {
    scratch: &'a Scratch,
    fixtures: &'a [(PathBuf, Loaded)],
    /// Whether each fixture passes with the rules as they are.
    baseline: Vec<bool>,
}

impl Bench<'_> {
    /// Puts `toml` in `file` of the copy, loads the rules there, and runs the group's
    /// corrected messages and every fixture through them.
    fn try_rule(
        &self,
        file: &str,
        toml: &str,
        group: &Group,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let path = self.scratch.0.join(file);
        std::fs::write(&path, toml)?;
        let loaded = RuleSet::load(&self.scratch.0);
        std::fs::remove_file(&path)?;
        let rules = loaded.map_err(|e| anyhow::anyhow!("the suggested rule does not load: {e}"))?;
        let fixes = group
            .members
            .iter()
            .filter(|c| {
                classify::classify(&rules, &c.mail, group.mailbox, MACHINE_FOLDER).category
                    == group.category
            })
            .map(|c| describe(&c.rec))
            .collect();
        let breaks = self
            .fixtures
            .iter()
            .zip(&self.baseline)
            .filter(|((_, l), was)| **was && !fixtures::verdict(&rules, l).pass)
            .map(|((p, _), _)| p.display().to_string())
            .collect();
        Ok((fixes, breaks))
    }
}

fn describe(c: &CorrectedMessage) -> String {
    format!(
        "{} ({}, {:?})",
        c.ticket.as_deref().unwrap_or("-"),
        c.mailbox,
        c.subject.as_deref().unwrap_or("")
    )
}

/// The corrected messages of one mailbox that people put in one category.
struct Group<'a> {
    mailbox: &'a str,
    category: &'a str,
    members: Vec<&'a Corrected>,
}

/// The file a suggestion goes in: sorting just before the earliest file of the rules it
/// overrules (`40-lapor.toml` → `39-koreksi.toml`), so that it is evaluated before them and
/// after everything else; after every file when only the fallback was overruled.
fn file_before(rules: &RuleSet, overruled: &BTreeSet<&str>) -> String {
    let first = rules
        .rules
        .iter()
        .filter(|r| overruled.contains(r.id.as_str()))
        .filter_map(|r| r.location.file.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .min();
    let Some(first) = first else {
        return "99-koreksi.toml".to_string();
    };
    let digits: String = first.chars().take_while(|c| c.is_ascii_digit()).collect();
    match digits.parse::<u32>() {
        Ok(n) if n > 0 => format!("{:0width$}-koreksi.toml", n - 1, width = digits.len()),
        _ => format!("{}-koreksi.toml", first.trim_end_matches(".toml")),
    }
}

/// The words of the mailbox's other messages: fixtures expecting another category, and the
/// recorded messages (subjects) with another category that were not corrected into it.
fn rest_of(
    store: &Store,
    group: &Group,
    fixtures: &[(PathBuf, Loaded)],
) -> Result<Vec<BTreeSet<String>>> {
    let rows: BTreeSet<i64> = group.members.iter().map(|c| c.rec.row).collect();
    let mut rest: Vec<BTreeSet<String>> = fixtures
        .iter()
        .filter(|(_, l)| l.mailbox() == group.mailbox && l.category() != Some(group.category))
        .map(|(_, l)| suggest::words(&l.mail))
        .collect();
    for (row, category, subject) in store.recorded_subjects(group.mailbox, RECORDED)? {
        if category != group.category && !rows.contains(&row) {
            rest.push(suggest::subject_words(&subject));
        }
    }
    Ok(rest)
}

/// The keyword sets tried: each of the best `top` words alone, and the best three together.
fn keyword_sets(scored: &[suggest::Scored], top: usize) -> Vec<Vec<String>> {
    let mut sets: Vec<Vec<String>> = scored
        .iter()
        .take(top)
        .map(|s| vec![s.word.clone()])
        .collect();
    if scored.len() >= 2 {
        sets.push(scored.iter().take(3).map(|s| s.word.clone()).collect());
    }
    sets
}

/// Tries the group's suggestions; the best first (fewest fixtures broken, most fixed).
fn try_group(
    rules: &RuleSet,
    bench: &Bench,
    group: &Group,
    scored: &[suggest::Scored],
    top: usize,
) -> Result<Vec<Tried>> {
    let overruled: BTreeSet<&str> = group
        .members
        .iter()
        .filter_map(|c| c.rec.rule.as_deref())
        .collect();
    let file = file_before(rules, &overruled);
    let mut tried = Vec::new();
    for (i, keywords) in keyword_sets(scored, top).into_iter().enumerate() {
        let toml = suggest::rule_toml(&suggest::Suggestion {
            id: format!("koreksi-{}-{}", group.category, i + 1),
            mailbox: group.mailbox,
            category: group.category,
            keywords: keywords.clone(),
            description: format!(
                "Saran dari koreksi agen: {} pesan {} dipindahkan ke {}",
                group.members.len(),
                group.mailbox,
                group.category
            ),
        });
        let (fixes, breaks) = bench.try_rule(&file, &toml, group)?;
        tried.push(Tried {
            keywords,
            toml,
            file: file.clone(),
            fixes,
            breaks,
        });
    }
    tried.sort_by(|a, b| {
        (a.breaks.len(), std::cmp::Reverse(a.fixes.len()))
            .cmp(&(b.breaks.len(), std::cmp::Reverse(b.fixes.len())))
    });
    Ok(tried)
}

const STATISTIC: &str =
    "# Words ranked by the log-odds ratio of their presence in the corrected messages\n\
# against the rest (fixtures and recorded messages), 0.5 added to every count, divided by its\n\
# standard error (z): corrections are few, and this ranks a word of every corrected message\n\
# above one seen once, without dividing by zero. Each rule was tried with the rules test.\n";

pub(super) fn suggest(config_path: &Path, fixtures_dir: Option<PathBuf>, top: usize) -> Result<()> {
    let config = Config::load(config_path)?;
    let store = Store::open(&config.state_dir)?;
    let rules = load_rules(&config.rules_dir)?;
    let (corrected, missing) = corrected(&store, &config)?;
    let mut out = std::io::stdout().lock();
    if corrected.is_empty() {
        writeln!(
            out,
            "# no corrected message to learn from ({missing} without their stored original)"
        )?;
        return Ok(());
    }
    let sets = match fixtures_dir {
        Some(dir) => vec![FixtureSet {
            dir,
            whose: "the given",
        }],
        None => fixtures::default_sets(&config.rules_dir, Some(config_path))?,
    };
    let fixtures = load_fixtures(&sets, &config.authentication)?;
    let baseline = fixtures
        .iter()
        .map(|(_, l)| fixtures::verdict(&rules, l).pass)
        .collect();
    let scratch = Scratch::new(&config.rules_dir)?;
    let bench = Bench {
        scratch: &scratch,
        fixtures: &fixtures,
        baseline,
    };
    let mut groups: BTreeMap<(&str, &str), Vec<&Corrected>> = BTreeMap::new();
    for c in &corrected {
        groups
            .entry((&c.rec.mailbox, &c.rec.corrected))
            .or_default()
            .push(c);
    }
    write!(out, "{STATISTIC}")?;
    if missing > 0 {
        writeln!(
            out,
            "# {missing} corrected message(s) left out: their original is no longer stored"
        )?;
    }
    for ((mailbox, category), members) in groups {
        let group = Group {
            mailbox,
            category,
            members,
        };
        let pos: Vec<BTreeSet<String>> = group
            .members
            .iter()
            .map(|c| suggest::words(&c.mail))
            .collect();
        let scored = suggest::separating_words(&pos, &rest_of(&store, &group, &fixtures)?);
        print_group(
            &mut out,
            &group,
            &scored,
            &try_group(&rules, &bench, &group, &scored, top)?,
            top,
        )?;
    }
    Ok(())
}

fn print_group(
    out: &mut impl Write,
    group: &Group,
    scored: &[suggest::Scored],
    tried: &[Tried],
    top: usize,
) -> Result<()> {
    let from: BTreeSet<String> = group
        .members
        .iter()
        .map(|c| {
            format!(
                "{} (rule {})",
                c.rec.original,
                c.rec.rule.as_deref().unwrap_or("fallback")
            )
        })
        .collect();
    writeln!(
        out,
        "\n# ===== {}: {} message(s) corrected to {} from {}",
        group.mailbox,
        group.members.len(),
        group.category,
        from.into_iter().collect::<Vec<_>>().join(", ")
    )?;
    for s in scored.iter().take(top.max(3)) {
        writeln!(
            out,
            "#   {:<24} corrected {}/{}, rest {}, log-odds {:.2}, z {:.2}",
            s.word,
            s.corrected,
            group.members.len(),
            s.rest,
            s.log_odds,
            s.z
        )?;
    }
    if tried.is_empty() {
        writeln!(out, "# no word separates these messages from the rest: look at their bodies, senders or regions")?;
    }
    for t in tried.iter().take(top) {
        writeln!(
            out,
            "\n# keywords {:?}: fixes {}/{} corrected, breaks {} fixture(s); put it in {}",
            t.keywords,
            t.fixes.len(),
            group.members.len(),
            t.breaks.len(),
            t.file
        )?;
        for f in &t.fixes {
            writeln!(out, "#   fixes  {f}")?;
        }
        for b in &t.breaks {
            writeln!(out, "#   breaks {b}")?;
        }
        write!(out, "{}", t.toml)?;
    }
    Ok(())
}

/// `pilah rules fixtures export`: every corrected message as a fixture under `out`
/// (`<mailbox>/<category>/koreksi-<row>.eml` and `.expected.toml`), personal data masked.
pub(super) fn export(config_path: &Path, dir: &Path) -> Result<()> {
    let config = Config::load(config_path)?;
    let store = Store::open(&config.state_dir)?;
    let (corrected, missing) = corrected(&store, &config)?;
    let mut out = std::io::stdout().lock();
    for c in &corrected {
        let Some(mb) = config
            .mailboxes
            .iter()
            .find(|m| m.name.as_str() == c.rec.mailbox)
        else {
            continue;
        };
        // The receiving server's verdicts (its authserv-id first in the value), kept.
        let trusted = |v: &&str| {
            let id = v.split(';').next().unwrap_or("").trim();
            config
                .authentication
                .authserv_ids
                .iter()
                .any(|a| a.eq_ignore_ascii_case(id))
        };
        let auth: Vec<String> = c
            .mail
            .header("authentication-results")
            .filter(trusted)
            .map(str::to_string)
            .collect();
        let at = dir.join(&c.rec.mailbox).join(&c.rec.corrected);
        std::fs::create_dir_all(&at).with_context(|| format!("cannot create {}", at.display()))?;
        let eml = at.join(format!("koreksi-{}.eml", c.rec.row));
        std::fs::write(&eml, mask::fixture_eml(&c.mail, &mb.address, &auth))
            .with_context(|| format!("cannot write {}", eml.display()))?;
        let expected = format!(
            "mailbox = {:?}\ncategory = {:?}\n",
            c.rec.mailbox, c.rec.corrected
        );
        std::fs::write(eml.with_extension("expected.toml"), expected)?;
        writeln!(
            out,
            "{}  {} → {}",
            eml.display(),
            c.rec.original,
            c.rec.corrected
        )?;
    }
    // Whose verdicts the set's messages carry, for `rules test` (kept when there is one).
    let info = dir.join("fixtures.toml");
    if !corrected.is_empty() && !info.exists() {
        let ids: Vec<String> = config
            .authentication
            .authserv_ids
            .iter()
            .map(|a| format!("{a:?}"))
            .collect();
        std::fs::write(&info, format!("authserv_ids = [{}]\n", ids.join(", ")))
            .with_context(|| format!("cannot write {}", info.display()))?;
    }
    writeln!(
        out,
        "{} fixture(s) written to {}; {missing} corrected message(s) without their stored original",
        corrected.len(),
        dir.display()
    )?;
    Ok(())
}
