//! Loading the rules directory: units, categories, lists, rules and templates.
//!
//! Everything is parsed with serde into raw structs that keep their spans, then validated
//! into a [`RuleSet`]. Every problem in every file is collected, with its `file:line:col`,
//! before the load fails: an admin sees all mistakes at once, and a daemon that is asked to
//! reload keeps its old rules when the new ones have any error.

use super::cond::{Cond, Field, Matcher, FIELD_NAMES};
use super::keywords::KeywordSet;
use crate::act::template::Template;
use crate::config::is_id;
use crate::location::{toml_diagnostic, Diagnostic, Diagnostics, Location, Severity};
use serde::Deserialize;
use serde_spanned::Spanned;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Admin-written regexes are compiled with this size limit.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, Clone)]
pub struct Unit {
    pub id: String,
    pub name: String,
    pub pics: Vec<String>,
    pub supervisor: Option<String>,
    /// Service hours an open ticket may wait before its PICs get one reminder.
    pub remind_after_hours: Option<f64>,
    /// Service hours before one escalation to the supervisor.
    pub escalate_after_hours: Option<f64>,
    /// A daily list of the unit's open tickets to its PICs.
    pub daily_digest: bool,
}

#[derive(Debug, Clone)]
pub struct Category {
    pub id: String,
    pub label: String,
    pub mailboxes: Vec<String>,
    pub unit: Option<String>,
    /// Template name; `None`: no acknowledgement.
    pub ack: Option<String>,
    pub folder: String,
}

/// What a rule says about the acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckChoice {
    /// The category's template.
    Category,
    /// This template instead.
    Template(String),
    /// No acknowledgement.
    None,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub mailboxes: Vec<String>,
    pub category: Option<String>,
    pub ack: AckChoice,
    pub cont: bool,
    pub tags: Vec<String>,
    pub cond: Cond,
    pub location: Location,
    /// Had errors at load (only seen while checking; a set with errors never runs).
    pub broken: bool,
}

/// A loaded, validated rules directory.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub dir: PathBuf,
    pub units: BTreeMap<String, Unit>,
    pub categories: Vec<Category>,
    pub rules: Vec<Rule>,
    pub fallback: BTreeMap<String, String>,
    pub templates: BTreeMap<String, Template>,
    /// Indonesia's regions, from `regions.csv` (empty when the file is absent).
    pub regions: std::sync::Arc<crate::region::Regions>,
    /// Every keyword set of the rules, one automaton per field (see [`KeywordIndex`]).
    pub keyword_index:
        std::sync::Arc<std::collections::HashMap<Field, super::keywords::KeywordIndex>>,
    /// Domains of public mail providers (`public_mail_providers`, lower case): anyone can
    /// have an address there, so sharing one says nothing about who writes.
    pub public_providers: BTreeSet<String>,
    /// What the rules directory adds to the built-in machine-mail checks
    /// (`autoreply_subjects`, in `machine.toml` by default).
    pub machine_signals: super::machine::Signals,
    /// A hash of every file that made this set: which rules produced a decision.
    pub version: String,
    /// Problems that do not stop the set from loading.
    pub warnings: Diagnostics,
    /// The `.toml` files that made this set, by name: a reload that would drop one is a
    /// shrink ([`RuleSet::shrink_from`]).
    pub files: BTreeSet<String>,
}

/// The line that makes a rules file without any rule, unit, category or list valid: without
/// it such a file is an error, since an editor that truncates a file before writing it
/// shows pilah an empty file for a moment (docs/rules.md, "Empty files").
pub const EMPTY_ON_PURPOSE: &str = "# pilah: empty on purpose";

/// Whether a rules file says nothing (only blank lines and comments).
fn says_nothing(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    })
}

/// What a new rule set would drop from the running one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shrink {
    pub files: Vec<String>,
    pub rules: Vec<String>,
}

impl Shrink {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty() && self.rules.is_empty()
    }
}

impl std::fmt::Display for Shrink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if !self.files.is_empty() {
            parts.push(format!(
                "{} file(s) gone: {}",
                self.files.len(),
                self.files.join(", ")
            ));
        }
        if !self.rules.is_empty() {
            let shown: Vec<&str> = self.rules.iter().take(10).map(String::as_str).collect();
            let more = self.rules.len() - shown.len();
            parts.push(format!(
                "{} rule(s) gone: {}{}",
                self.rules.len(),
                shown.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        f.write_str(&parts.join("; "))
    }
}

/// A hash of the names and contents of every file under a rules directory (templates and
/// `regions.csv` included), to tell whether it changed while it was being read. Unreadable
/// entries count by name, so that a file being replaced still changes the hash.
pub fn directory_hash(dir: &Path) -> String {
    fn walk(dir: &Path, hasher: &mut Sha256) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            hasher.update(b"\0unreadable\0");
            return;
        };
        let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            hasher.update(p.as_os_str().as_encoded_bytes());
            hasher.update(b"\0");
            if p.is_dir() {
                walk(&p, hasher);
            } else if let Ok(bytes) = std::fs::read(&p) {
                hasher.update((bytes.len() as u64).to_le_bytes());
                hasher.update(&bytes);
            }
        }
    }
    let mut hasher = Sha256::new();
    walk(dir, &mut hasher);
    crate::hex::hex(&hasher.finalize())
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("cannot read the rules directory {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the rules have errors:\n{0}")]
    Invalid(Diagnostics),
}

impl RulesError {
    pub fn diagnostics(&self) -> Option<&Diagnostics> {
        match self {
            RulesError::Invalid(d) => Some(d),
            RulesError::Read { .. } => None,
        }
    }
}

impl RuleSet {
    /// Whether `domain` (or a domain it is a subdomain of) is a public mail provider's.
    /// Without any listed provider, every domain counts as one: trust by domain is off.
    pub fn is_public_provider(&self, domain: &str) -> bool {
        if self.public_providers.is_empty() {
            return true;
        }
        let d = domain.to_ascii_lowercase();
        let mut rest = d.as_str();
        loop {
            if self.public_providers.contains(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return false,
            }
        }
    }

    pub fn mailboxes(&self) -> BTreeSet<&str> {
        self.categories
            .iter()
            .flat_map(|c| c.mailboxes.iter().map(|m| m.as_str()))
            .collect()
    }

    pub fn category(&self, mailbox: &str, id: &str) -> Option<&Category> {
        self.categories
            .iter()
            .find(|c| c.id == id && c.mailboxes.iter().any(|m| m == mailbox))
    }

    /// The label of a category id in any mailbox.
    pub fn label(&self, id: &str) -> Option<&str> {
        self.categories
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.label.as_str())
    }

    /// What `new` would drop compared with this set: whole files, and rules by id.
    pub fn shrink_from(&self, new: &RuleSet) -> Shrink {
        let new_rules: BTreeSet<&str> = new.rules.iter().map(|r| r.id.as_str()).collect();
        Shrink {
            files: self.files.difference(&new.files).cloned().collect(),
            rules: self
                .rules
                .iter()
                .map(|r| r.id.as_str())
                .filter(|id| !new_rules.contains(id))
                .map(str::to_string)
                .collect(),
        }
    }

    /// Loads and validates every file of a rules directory.
    pub fn load(dir: &Path) -> Result<RuleSet, RulesError> {
        let mut hasher = Sha256::new();
        let files = list(dir, "toml").map_err(|source| RulesError::Read {
            path: dir.to_path_buf(),
            source,
        })?;
        let sources = read_all(files, &mut hasher)?;
        let mut diags = Diagnostics::default();
        check_not_empty(&sources, &mut diags);
        // No templates directory: the built-in texts serve.
        let template_files = list(&dir.join("templates"), "txt").unwrap_or_default();
        let mut templates = BTreeMap::new();
        let mut broken_templates = BTreeSet::new();
        for (f, text) in read_all(template_files, &mut hasher)? {
            let name = f
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            match Template::parse(&name, &f, &text, &mut diags) {
                Some(t) => {
                    templates.insert(name, t);
                }
                None => {
                    broken_templates.insert(name);
                }
            }
        }
        let regions_path = dir.join("regions.csv");
        if let Ok(text) = std::fs::read(&regions_path) {
            hasher.update(b"regions.csv");
            hasher.update(&text);
        }
        let regions = crate::region::Regions::load(&regions_path, &mut diags);
        let version = crate::hex::hex(&hasher.finalize()[..6]);
        let set = build(
            dir,
            &sources,
            templates,
            &broken_templates,
            version,
            &mut diags,
        );
        if diags.has_errors() {
            return Err(RulesError::Invalid(diags));
        }
        let mut set = set.ok_or(RulesError::Invalid(diags.clone()))?;
        set.regions = std::sync::Arc::new(regions);
        set.warnings = diags;
        set.files = sources
            .iter()
            .filter_map(|(f, _)| f.file_name().map(|n| n.to_string_lossy().to_string()))
            .collect();
        Ok(set)
    }
}

/// Every `*.<ext>` file of `dir`, in name order.
fn list(dir: &Path, ext: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext) && p.is_file())
        .collect();
    files.sort();
    Ok(files)
}

/// The text of each file, each fed to `hasher` (name and content) for the rules' version.
fn read_all(
    files: Vec<PathBuf>,
    hasher: &mut Sha256,
) -> Result<Vec<(PathBuf, String)>, RulesError> {
    let mut sources = Vec::with_capacity(files.len());
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|source| RulesError::Read {
            path: f.clone(),
            source,
        })?;
        hasher.update(
            f.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        hasher.update(text.as_bytes());
        sources.push((f, text));
    }
    Ok(sources)
}

/// A rules file that says nothing is an error, unless it says so on purpose: an editor may
/// be saving it right now.
fn check_not_empty(sources: &[(PathBuf, String)], diags: &mut Diagnostics) {
    for (f, text) in sources {
        if says_nothing(text) && !text.lines().any(|l| l.trim() == EMPTY_ON_PURPOSE) {
            diags.error(
                Location {
                    file: f.clone(),
                    line: 1,
                    col: 1,
                },
                format!(
                    "the file is empty (no rule, unit, category or list): if that is meant, write the line `{EMPTY_ON_PURPOSE}` in it; an editor may also be saving it right now"
                ),
            );
        }
    }
}

/// The categories every mailbox needs its rules to reach: spam is filtered, questions for
/// other services get the pointer to them.
pub const COVERED_CATEGORIES: [&str; 2] = ["spam", "non-djpk"];

impl RuleSet {
    /// What a configured mailbox misses in these rules, one sentence each (empty: covered):
    /// categories, a fallback, spam and non-DJPK handling (a category and a rule deciding it
    /// that apply to the mailbox), rules that name every other mailbox but not this one
    /// (tags, the spam rules written for the first mailboxes; only checked with three
    /// mailboxes or more, when "every other" means more than one). Machine mail
    /// itself (`machine.toml`) is recognised in every mailbox.
    pub fn coverage(&self, mailboxes: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        for &mb in mailboxes {
            if !self
                .categories
                .iter()
                .any(|c| c.mailboxes.iter().any(|m| m == mb))
            {
                out.push(format!(
                    "mailbox {mb:?}: no category lists it; add {mb:?} to `mailboxes` of the categories it uses (categories.toml)"
                ));
            }
            if !self.fallback.contains_key(mb) {
                out.push(format!(
                    "mailbox {mb:?} has no fallback category: add `{mb} = \"lainnya\"` under [fallback] and {mb:?} to the category's `mailboxes`"
                ));
            }
            for id in COVERED_CATEGORIES {
                if self.category(mb, id).is_none() {
                    out.push(format!(
                        "mailbox {mb:?}: no {id} handling: add {mb:?} to `mailboxes` of category {id:?} (categories.toml)"
                    ));
                } else if !self.rules.iter().any(|r| {
                    r.category.as_deref() == Some(id) && r.mailboxes.iter().any(|m| m == mb)
                }) {
                    out.push(format!(
                        "mailbox {mb:?}: no rule decides {id:?} for it: the rules of category {id:?} name their mailboxes without {mb:?}"
                    ));
                }
            }
            let others: Vec<&str> = mailboxes.iter().copied().filter(|m| *m != mb).collect();
            let skipped: Vec<&str> = self
                .rules
                .iter()
                .filter(|r| {
                    // A rule deciding a category the mailbox lacks is reported with it.
                    let narrowed = r
                        .category
                        .as_deref()
                        .is_none_or(|c| self.category(mb, c).is_some());
                    others.len() >= 2
                        && narrowed
                        && !r.mailboxes.iter().any(|m| m == mb)
                        && others.iter().all(|o| r.mailboxes.iter().any(|m| m == o))
                })
                .map(|r| r.id.as_str())
                .collect();
            if !skipped.is_empty() {
                out.push(format!(
                    "mailbox {mb:?}: {} rule(s) apply to every other mailbox but not to it: {}; add {mb:?} to their `mailboxes` if they should",
                    skipped.len(),
                    skipped.join(", ")
                ));
            }
        }
        out
    }
}

// ---- raw, as written ----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    unit: Vec<Spanned<RawUnit>>,
    #[serde(default)]
    category: Vec<Spanned<RawCategory>>,
    #[serde(default)]
    lists: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    fallback: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    public_mail_providers: Vec<Spanned<String>>,
    #[serde(default)]
    autoreply_subjects: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    pics: Vec<Spanned<String>>,
    supervisor: Option<Spanned<String>>,
    remind_after_hours: Option<Spanned<f64>>,
    escalate_after_hours: Option<Spanned<f64>>,
    #[serde(default)]
    daily_digest: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    id: Spanned<String>,
    label: String,
    mailboxes: Spanned<Vec<String>>,
    unit: Option<Spanned<String>>,
    ack: Option<Spanned<String>>,
    folder: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    mailboxes: Option<Spanned<Vec<String>>>,
    category: Option<Spanned<String>>,
    ack: Option<Spanned<String>>,
    #[serde(default, rename = "continue")]
    cont: bool,
    #[serde(default)]
    tags: Vec<String>,
    when: Option<Spanned<RawCond>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCond {
    all: Option<Vec<Spanned<RawCond>>>,
    any: Option<Vec<Spanned<RawCond>>>,
    not: Option<Box<Spanned<RawCond>>>,
    field: Option<Spanned<OneOrMany>>,
    keywords: Option<Vec<Spanned<String>>>,
    regex: Option<Spanned<String>>,
    case_sensitive: Option<bool>,
    domain: Option<Vec<Spanned<String>>>,
    equals: Option<Vec<Spanned<String>>>,
    exists: Option<bool>,
    min: Option<f64>,
    max: Option<f64>,
}

struct Src<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Src<'_> {
    fn loc<T>(&self, s: &Spanned<T>) -> Location {
        Location::at(self.path, self.text, s.span().start)
    }
}

struct Lists {
    lists: BTreeMap<String, Vec<String>>,
}

impl Lists {
    /// Expands `@name` entries; unknown lists are reported.
    fn expand(&self, src: &Src, items: &[Spanned<String>], diags: &mut Diagnostics) -> Vec<String> {
        let mut out = Vec::new();
        for it in items {
            match it.get_ref().strip_prefix('@') {
                Some(name) => match self.lists.get(name) {
                    Some(l) => out.extend(l.iter().cloned()),
                    None => diags.missing(
                        src.loc(it),
                        format!("unknown list @{name}: define it under [lists]"),
                        name,
                    ),
                },
                None => out.push(it.get_ref().clone()),
            }
        }
        out
    }
}

/// A fresh id for a keyword set (unique in the process, hence within any rules set).
fn next_set_id() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// One automaton per field over every keyword set that tests it.
fn keyword_index(
    rules: &[Rule],
    diags: &mut Diagnostics,
) -> std::collections::HashMap<Field, super::keywords::KeywordIndex> {
    fn walk<'a>(c: &'a Cond, out: &mut std::collections::HashMap<Field, Vec<&'a KeywordSet>>) {
        match c {
            Cond::Always => {}
            Cond::All(cs) | Cond::Any(cs) => cs.iter().for_each(|c| walk(c, out)),
            Cond::Not(c) => walk(c, out),
            Cond::Match {
                fields,
                matcher: Matcher::Keywords(set),
            } => {
                for f in fields {
                    out.entry(f.clone()).or_default().push(set);
                }
            }
            Cond::Match { .. } => {}
        }
    }
    let mut per_field = std::collections::HashMap::new();
    for r in rules {
        walk(&r.cond, &mut per_field);
    }
    let mut out = std::collections::HashMap::new();
    for (field, sets) in per_field {
        match super::keywords::KeywordIndex::new(sets) {
            Ok(ix) => {
                out.insert(field, ix);
            }
            Err(e) => diags.warning(
                Location {
                    file: PathBuf::from("(keywords)"),
                    line: 1,
                    col: 1,
                },
                format!(
                    "cannot combine the keywords of field {}: {e}; each list is scanned on its own",
                    field.name()
                ),
            ),
        }
    }
    out
}

/// A list as written, with the file it is in.
type RawList<'a> = (&'a Src<'a>, &'a Spanned<Vec<Spanned<String>>>);

/// Expands list `name`, including the lists it names (`@other`); a cycle is an error.
fn expand_list(
    name: &str,
    raw: &BTreeMap<String, RawList>,
    path: &mut Vec<String>,
    out: &mut Vec<String>,
    diags: &mut Diagnostics,
) {
    let Some((src, items)) = raw.get(name) else {
        return;
    };
    for it in items.get_ref() {
        match it.get_ref().strip_prefix('@') {
            Some(inner) if path.iter().any(|p| p == inner) => {
                // Reported once, where the cycle closes.
                if path.first().map(|p| p.as_str()) == Some(inner) {
                    diags.error(
                        src.loc(it),
                        format!(
                            "list @{inner} includes itself ({} → @{inner})",
                            path.join(" → ")
                        ),
                    );
                }
            }
            Some(inner) if raw.contains_key(inner) => {
                path.push(inner.to_string());
                expand_list(inner, raw, path, out, diags);
                path.pop();
            }
            Some(inner) => {
                if path.len() == 1 {
                    diags.missing(
                        src.loc(it),
                        format!("unknown list @{inner}: define it under [lists]"),
                        inner,
                    );
                }
            }
            None => out.push(it.get_ref().clone()),
        }
    }
}

fn build(
    dir: &Path,
    sources: &[(PathBuf, String)],
    templates: BTreeMap<String, Template>,
    broken_templates: &BTreeSet<String>,
    version: String,
    diags: &mut Diagnostics,
) -> Option<RuleSet> {
    // 1. Parse every file; what a file that does not load defines is missing from the rest.
    let mut parsed: Vec<(Src, RawFile)> = Vec::new();
    let mut broken: Vec<Unloaded> = Vec::new();
    for (path, text) in sources {
        match toml::from_str::<RawFile>(text) {
            Ok(raw) => parsed.push((Src { path, text }, raw)),
            Err(e) => {
                broken.push(Unloaded {
                    text,
                    at: diags.0.len(),
                });
                diags.0.push(toml_diagnostic(path, text, &e));
            }
        }
    }
    let after_parse = diags.0.len();
    // Where a problem of the whole set (not of one line) is reported.
    let first = Location {
        file: sources
            .first()
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| dir.to_path_buf()),
        line: 1,
        col: 1,
    };
    let mut tmpl = TemplateUse {
        dir,
        templates: &templates,
        broken: broken_templates,
        used: BTreeSet::new(),
    };

    // 2. Lists, units, categories, fallbacks (rules may refer to any of them in any file).
    let lists = build_lists(&parsed, diags);
    let units = build_units(&parsed, diags);
    let categories = build_categories(&parsed, &units, &mut tmpl, diags);
    let mailboxes: BTreeSet<String> = categories
        .iter()
        .flat_map(|c| c.mailboxes.iter().cloned())
        .collect();
    let fallback = build_fallbacks(&parsed, &categories, &mailboxes, &first, diags);
    let public_providers = build_public_providers(&parsed, &first, diags);
    let machine_signals = build_machine_signals(&parsed, &lists, diags);

    // 3. Rules, in file order then written order.
    let rules = build_rules(&parsed, &categories, &mailboxes, &lists, &mut tmpl, diags);

    // 4. Rules that can never fire, templates nobody uses.
    check_never_fire(&rules, diags);
    check_unused_templates(&tmpl, diags);

    let index = keyword_index(&rules, diags);
    hide_what_follows(&broken, after_parse, diags);
    Some(RuleSet {
        dir: dir.to_path_buf(),
        units,
        categories,
        rules,
        fallback,
        templates,
        public_providers,
        machine_signals,
        keyword_index: std::sync::Arc::new(index),
        regions: std::sync::Arc::new(crate::region::Regions::empty()),
        version,
        warnings: Diagnostics::default(),
        files: BTreeSet::new(),
    })
}

type Parsed<'a> = [(Src<'a>, RawFile)];

/// A rules file that did not load: its text, and where its own error is in the diagnostics.
struct Unloaded<'a> {
    text: &'a str,
    at: usize,
}

/// Whether `text` has `name` as a whole word (not inside a longer id).
fn mentions(text: &str, name: &str) -> bool {
    let id_char = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
    !name.is_empty()
        && text.match_indices(name).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + name.len()..].chars().next();
            !before.is_some_and(id_char) && !after.is_some_and(id_char)
        })
}

/// Removes the diagnostics found after `from` that only follow from a file that did not
/// load: a list, unit, category, mailbox or template missing or unused whose name that file
/// mentions. Each such file gets one note after its own error: how many were hidden.
fn hide_what_follows(broken: &[Unloaded], from: usize, diags: &mut Diagnostics) {
    if broken.is_empty() {
        return;
    }
    let mut hidden = vec![(0usize, 0usize); broken.len()];
    let later = diags.0.split_off(from.min(diags.0.len()));
    for d in later {
        let by = d
            .missing
            .as_deref()
            .and_then(|name| broken.iter().position(|b| mentions(b.text, name)));
        match (by, d.severity) {
            (Some(i), Severity::Warning) => hidden[i].1 += 1,
            (Some(i), _) => hidden[i].0 += 1,
            (None, _) => diags.0.push(d),
        }
    }
    for (b, (errors, warnings)) in broken.iter().zip(hidden).rev() {
        if errors + warnings == 0 {
            continue;
        }
        let Some(own) = diags.0.get(b.at) else {
            continue;
        };
        let what = match (errors, warnings) {
            (e, 0) => format!("{e} further error{}", if e == 1 { "" } else { "s" }),
            (0, w) => format!("{w} further warning{}", if w == 1 { "" } else { "s" }),
            (e, w) => format!(
                "{e} further error{} and {w} warning{}",
                if e == 1 { "" } else { "s" },
                if w == 1 { "" } else { "s" }
            ),
        };
        let note = Diagnostic {
            location: own.location.clone(),
            message: format!("{what} hidden until this file loads"),
            severity: Severity::Note,
            missing: None,
        };
        diags.0.insert(b.at + 1, note);
    }
}

/// The templates known, and which of them categories and rules use.
struct TemplateUse<'a> {
    dir: &'a Path,
    templates: &'a BTreeMap<String, Template>,
    /// Templates whose file exists but has errors (reported where the file is).
    broken: &'a BTreeSet<String>,
    used: BTreeSet<String>,
}

impl TemplateUse<'_> {
    /// Records that `name` is used, and reports it where it is named if it does not exist.
    fn use_template(
        &mut self,
        src: &Src,
        name: &Spanned<String>,
        diags: &mut Diagnostics,
    ) -> String {
        let n = name.get_ref();
        if !self.templates.contains_key(n) && !self.broken.contains(n) {
            diags.error(
                src.loc(name),
                format!(
                    "template {n:?} does not exist (expected {})",
                    self.dir
                        .join("templates")
                        .join(format!("{n}.txt"))
                        .display()
                ),
            );
        }
        self.used.insert(n.clone());
        n.clone()
    }
}

fn build_lists(parsed: &Parsed, diags: &mut Diagnostics) -> Lists {
    let mut lists = Lists {
        lists: BTreeMap::new(),
    };
    let mut raw_lists: BTreeMap<String, RawList> = BTreeMap::new();
    for (src, raw) in parsed {
        for (name, items) in &raw.lists {
            if raw_lists.contains_key(name) {
                diags.error(src.loc(items), format!("list {name:?} is defined twice"));
                continue;
            }
            raw_lists.insert(name.clone(), (src, items));
        }
    }
    for name in raw_lists.keys() {
        let mut out = Vec::new();
        expand_list(name, &raw_lists, &mut vec![name.clone()], &mut out, diags);
        lists.lists.insert(name.clone(), out);
    }
    lists
}

fn build_units(parsed: &Parsed, diags: &mut Diagnostics) -> BTreeMap<String, Unit> {
    let mut units = BTreeMap::new();
    for (src, raw) in parsed {
        for u in &raw.unit {
            let u = u.get_ref();
            let id = u.id.get_ref();
            if !is_id(id) {
                diags.error(
                    src.loc(&u.id),
                    format!("unit id {id:?}: use lower-case letters, digits and '-'"),
                );
            }
            if units.contains_key(id) {
                diags.error(src.loc(&u.id), format!("unit {id:?} is defined twice"));
                continue;
            }
            if u.pics.is_empty() {
                diags.error(
                    src.loc(&u.id),
                    format!("unit {id:?} has no PICs: list at least one address in `pics`"),
                );
            }
            for a in u.pics.iter().chain(u.supervisor.iter()) {
                if a.get_ref().parse::<lettre::Address>().is_err() {
                    diags.error(
                        src.loc(a),
                        format!("{:?} is not an e-mail address", a.get_ref()),
                    );
                }
            }
            for h in [&u.remind_after_hours, &u.escalate_after_hours]
                .into_iter()
                .flatten()
            {
                if h.get_ref().is_nan() || *h.get_ref() <= 0.0 {
                    diags.error(src.loc(h), "a number of service hours must be more than 0");
                }
            }
            if let (Some(r), Some(e)) = (&u.remind_after_hours, &u.escalate_after_hours) {
                if e.get_ref() <= r.get_ref() {
                    diags.error(
                        src.loc(e),
                        "escalate_after_hours must be more than remind_after_hours",
                    );
                }
            }
            if u.escalate_after_hours.is_some() && u.supervisor.is_none() {
                diags.error(
                    src.loc(&u.id),
                    format!("unit {id:?}: escalate_after_hours needs a `supervisor`"),
                );
            }
            units.insert(
                id.clone(),
                Unit {
                    id: id.clone(),
                    name: u.name.clone(),
                    pics: u.pics.iter().map(|p| p.get_ref().to_lowercase()).collect(),
                    supervisor: u.supervisor.as_ref().map(|s| s.get_ref().to_lowercase()),
                    remind_after_hours: u.remind_after_hours.as_ref().map(|h| *h.get_ref()),
                    escalate_after_hours: u.escalate_after_hours.as_ref().map(|h| *h.get_ref()),
                    daily_digest: u.daily_digest,
                },
            );
        }
    }

    units
}

fn build_categories(
    parsed: &Parsed,
    units: &BTreeMap<String, Unit>,
    tmpl: &mut TemplateUse,
    diags: &mut Diagnostics,
) -> Vec<Category> {
    let mut categories: Vec<Category> = Vec::new();
    for (src, raw) in parsed {
        for c in &raw.category {
            let c = c.get_ref();
            let id = c.id.get_ref();
            if !is_id(id) {
                diags.error(
                    src.loc(&c.id),
                    format!("category id {id:?}: use lower-case letters, digits and '-'"),
                );
            }
            if c.mailboxes.get_ref().is_empty() {
                diags.error(
                    src.loc(&c.mailboxes),
                    format!("category {id:?}: `mailboxes` is empty"),
                );
            }
            for m in c.mailboxes.get_ref() {
                if categories
                    .iter()
                    .any(|x| x.id == *id && x.mailboxes.contains(m))
                {
                    diags.error(
                        src.loc(&c.id),
                        format!("category {id:?} is defined twice for mailbox {m:?}"),
                    );
                }
            }
            if let Some(u) = &c.unit {
                if !units.contains_key(u.get_ref()) {
                    diags.missing(
                        src.loc(u),
                        format!("unknown unit {:?}", u.get_ref()),
                        u.get_ref(),
                    );
                }
            }
            let ack = match &c.ack {
                None => {
                    diags.error(
                        src.loc(&c.id),
                        format!(
                            "category {id:?}: say which acknowledgement it gets: \
                             ack = \"TEMPLATE\" or ack = \"none\""
                        ),
                    );
                    None
                }
                Some(a) if a.get_ref() == "none" => None,
                Some(a) => Some(tmpl.use_template(src, a, diags)),
            };
            categories.push(Category {
                id: id.clone(),
                label: c.label.clone(),
                mailboxes: c.mailboxes.get_ref().clone(),
                unit: c.unit.as_ref().map(|u| u.get_ref().clone()),
                ack,
                folder: c.folder.clone().unwrap_or_else(|| format!("Pilah/{id}")),
            });
        }
    }
    categories
}

fn build_fallbacks(
    parsed: &Parsed,
    categories: &[Category],
    mailboxes: &BTreeSet<String>,
    first: &Location,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut fallback = BTreeMap::new();
    for (src, raw) in parsed {
        for (mb, cat) in &raw.fallback {
            if !mailboxes.contains(mb) {
                diags.missing(
                    src.loc(cat),
                    format!("fallback for unknown mailbox {mb:?}: no category lists it"),
                    mb,
                );
            } else if !categories
                .iter()
                .any(|c| c.id == *cat.get_ref() && c.mailboxes.contains(mb))
            {
                diags.missing(
                    src.loc(cat),
                    format!(
                        "fallback {:?} is not a category of mailbox {mb:?}",
                        cat.get_ref()
                    ),
                    cat.get_ref(),
                );
            }
            if fallback.insert(mb.clone(), cat.get_ref().clone()).is_some() {
                diags.error(src.loc(cat), format!("fallback for {mb:?} is given twice"));
            }
        }
    }
    for mb in mailboxes {
        if !fallback.contains_key(mb) {
            diags.missing(
                first.clone(),
                format!("mailbox {mb:?} has no fallback category: add `{mb} = \"lainnya\"` under [fallback]"),
                mb,
            );
        }
    }

    fallback
}

/// `autoreply_subjects` of every file, as one keyword set (`@list` entries allowed).
fn build_machine_signals(
    parsed: &Parsed,
    lists: &Lists,
    diags: &mut Diagnostics,
) -> super::machine::Signals {
    let mut entries = Vec::new();
    let mut at = None;
    for (src, raw) in parsed {
        if raw.autoreply_subjects.is_empty() {
            continue;
        }
        at.get_or_insert_with(|| src.loc(&raw.autoreply_subjects[0]));
        entries.extend(lists.expand(src, &raw.autoreply_subjects, diags));
    }
    let (Some(at), false) = (at, entries.is_empty()) else {
        return super::machine::Signals::default();
    };
    match KeywordSet::new(&entries) {
        Ok(set) => super::machine::Signals {
            autoreply_subjects: Some(set),
        },
        Err(e) => {
            diags.error(at, format!("autoreply_subjects: bad keyword {e}"));
            super::machine::Signals::default()
        }
    }
}

fn build_public_providers(
    parsed: &Parsed,
    first: &Location,
    diags: &mut Diagnostics,
) -> BTreeSet<String> {
    let mut public_providers = BTreeSet::new();
    for (src, raw) in parsed {
        for d in &raw.public_mail_providers {
            let domain = d
                .get_ref()
                .trim()
                .trim_start_matches('@')
                .to_ascii_lowercase();
            let valid = domain.contains('.')
                && domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
            if !valid {
                diags.error(
                    src.loc(d),
                    format!(
                        "public_mail_providers: {:?} is not a domain, e.g. \"gmail.com\"",
                        d.get_ref()
                    ),
                );
            } else if !public_providers.insert(domain.clone()) {
                diags.warning(
                    src.loc(d),
                    format!("public_mail_providers: {domain:?} is listed twice"),
                );
            }
        }
    }
    if public_providers.is_empty() {
        diags.warning(
            first.clone(),
            "no public_mail_providers are listed (providers.toml): a follow-up from a colleague at the ticket's domain is never joined by domain, only by address",
        );
    }

    public_providers
}

fn build_rules(
    parsed: &Parsed,
    categories: &[Category],
    mailboxes: &BTreeSet<String>,
    lists: &Lists,
    tmpl: &mut TemplateUse,
    diags: &mut Diagnostics,
) -> Vec<Rule> {
    let mut rules: Vec<Rule> = Vec::new();
    for (src, raw) in parsed {
        for r in &raw.rule {
            let at = src.loc(r);
            let r = r.get_ref();
            let id = r.id.get_ref().clone();
            if !is_id(&id) {
                diags.error(
                    src.loc(&r.id),
                    format!("rule id {id:?}: use lower-case letters, digits and '-'"),
                );
            }
            if let Some(prev) = rules.iter().find(|x| x.id == id) {
                diags.error(
                    src.loc(&r.id),
                    format!("rule {id:?} is defined twice (first at {})", prev.location),
                );
            }
            let rule_mailboxes: Vec<String> = match (&r.mailboxes, &r.category) {
                (Some(m), _) => {
                    for name in m.get_ref() {
                        if !mailboxes.contains(name) {
                            diags.missing(
                                src.loc(m),
                                format!("rule {id:?}: unknown mailbox {name:?}"),
                                name,
                            );
                        }
                    }
                    m.get_ref().clone()
                }
                (None, Some(c)) => categories
                    .iter()
                    .filter(|x| x.id == *c.get_ref())
                    .flat_map(|x| x.mailboxes.iter().cloned())
                    .collect(),
                (None, None) => mailboxes.iter().cloned().collect(),
            };
            check_rule_category(src, r, &id, categories, &rule_mailboxes, diags);
            let ack = match &r.ack {
                None => AckChoice::Category,
                Some(a) if a.get_ref() == "none" => AckChoice::None,
                Some(a) => AckChoice::Template(tmpl.use_template(src, a, diags)),
            };
            let errors_before = diags.errors().count();
            let cond = match &r.when {
                None => Some(Cond::Always),
                Some(w) => compile(src, w, lists, diags),
            };
            // A condition with errors is reported once, not as a rule that matches everything.
            let broken = cond.is_none() || diags.errors().count() > errors_before;
            let cond = cond.unwrap_or(Cond::Any(Vec::new()));
            rules.push(Rule {
                id,
                description: r.description.clone(),
                mailboxes: rule_mailboxes,
                category: r.category.as_ref().map(|c| c.get_ref().clone()),
                ack,
                cont: r.cont,
                tags: r.tags.clone(),
                cond,
                location: at,
                broken,
            });
        }
    }

    rules
}

/// A rule either decides a category that exists for each of its mailboxes, or only adds
/// tags (`continue = true`).
fn check_rule_category(
    src: &Src,
    r: &RawRule,
    id: &str,
    categories: &[Category],
    rule_mailboxes: &[String],
    diags: &mut Diagnostics,
) {
    match (&r.category, r.cont) {
        (Some(c), true) => diags.error(
            src.loc(c),
            format!("rule {id:?}: a `continue` rule only adds tags; it cannot set a category"),
        ),
        (None, false) => diags.error(
            src.loc(&r.id),
            format!("rule {id:?}: give a `category`, or `continue = true` for a tagging rule"),
        ),
        (Some(c), false) => {
            if !categories.iter().any(|x| x.id == *c.get_ref()) {
                diags.missing(
                    src.loc(c),
                    format!("unknown category {:?}", c.get_ref()),
                    c.get_ref(),
                );
            } else {
                for m in rule_mailboxes {
                    if !categories
                        .iter()
                        .any(|x| x.id == *c.get_ref() && x.mailboxes.contains(m))
                    {
                        diags.missing(
                            src.loc(c),
                            format!(
                                "category {:?} is not a category of mailbox {m:?}",
                                c.get_ref()
                            ),
                            c.get_ref(),
                        );
                    }
                }
            }
        }
        (None, true) => {}
    }
}

/// A rule after one that decides for the same mailboxes on every message, or on the same
/// condition, can never fire.
fn check_never_fire(rules: &[Rule], diags: &mut Diagnostics) {
    for (i, later) in rules.iter().enumerate() {
        if later.broken {
            continue;
        }
        let later_desc = later.cond.describe();
        for earlier in &rules[..i] {
            if earlier.cont || earlier.broken {
                continue;
            }
            let covers = later
                .mailboxes
                .iter()
                .all(|m| earlier.mailboxes.contains(m));
            if !covers {
                continue;
            }
            let always = matches!(earlier.cond, Cond::Always);
            if always || earlier.cond.describe() == later_desc && !has_opaque(&later.cond) {
                diags.error(
                    later.location.clone(),
                    format!(
                        "rule {:?} can never fire: rule {:?} at {} comes first and {}",
                        later.id,
                        earlier.id,
                        earlier.location,
                        if always {
                            "matches every message"
                        } else {
                            "has the same condition"
                        }
                    ),
                );
                break;
            }
        }
    }
}

fn check_unused_templates(tmpl: &TemplateUse, diags: &mut Diagnostics) {
    use crate::act::notice::NoticeKind;
    for name in tmpl.templates.keys() {
        // pilah's own notices are used by pilah itself; a misspelt one would never be.
        if name.starts_with("notice-") && NoticeKind::of_template(name).is_none() {
            diags.error(
                Location {
                    file: tmpl.dir.join("templates").join(format!("{name}.txt")),
                    line: 1,
                    col: 1,
                },
                format!(
                    "template {name:?} is not one of pilah's notices and would never be used; known: {}",
                    NoticeKind::ALL
                        .iter()
                        .map(|k| k.template_name())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            continue;
        }
        if NoticeKind::of_template(name).is_none() && !tmpl.used.contains(name) {
            diags.warning_about(
                Location {
                    file: tmpl.dir.join("templates").join(format!("{name}.txt")),
                    line: 1,
                    col: 1,
                },
                format!("template {name:?} is not used by any category or rule"),
                name,
            );
        }
    }
}

/// Keyword sets are compared by size only in `describe`; two different lists of the same
/// length must not be taken for the same condition.
fn has_opaque(c: &Cond) -> bool {
    match c {
        Cond::Always => false,
        Cond::All(cs) | Cond::Any(cs) => cs.iter().any(has_opaque),
        Cond::Not(c) => has_opaque(c),
        Cond::Match { matcher, .. } => matches!(matcher, Matcher::Keywords(_)),
    }
}

/// A condition as written, compiled: `all`/`any`/`not` here, a `field` with its matcher in
/// [`compile_field`]. Every problem is reported; `None` when the condition cannot be used.
fn compile(
    src: &Src,
    c: &Spanned<RawCond>,
    lists: &Lists,
    diags: &mut Diagnostics,
) -> Option<Cond> {
    let at = src.loc(c);
    let r = c.get_ref();
    let kinds = [
        r.all.is_some(),
        r.any.is_some(),
        r.not.is_some(),
        r.field.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if kinds != 1 {
        diags.error(
            at,
            "a condition needs exactly one of `all`, `any`, `not`, or `field` with a matcher",
        );
        return None;
    }
    let list = |cs: &Vec<Spanned<RawCond>>, diags: &mut Diagnostics| -> Option<Vec<Cond>> {
        if cs.is_empty() {
            diags.error(src.loc(c), "an empty `all`/`any` list");
            return None;
        }
        let out: Vec<Option<Cond>> = cs.iter().map(|x| compile(src, x, lists, diags)).collect();
        out.into_iter().collect()
    };
    if let Some(cs) = &r.all {
        return list(cs, diags).map(Cond::All);
    }
    if let Some(cs) = &r.any {
        return list(cs, diags).map(Cond::Any);
    }
    if let Some(n) = &r.not {
        return compile(src, n, lists, diags).map(|x| Cond::Not(Box::new(x)));
    }
    compile_field(src, c, lists, diags)
}

/// A `field` condition: the fields named, the checks of its one matcher, the matcher.
fn compile_field(
    src: &Src,
    c: &Spanned<RawCond>,
    lists: &Lists,
    diags: &mut Diagnostics,
) -> Option<Cond> {
    let r = c.get_ref();
    let field_spec = r.field.as_ref()?;
    let names = match field_spec.get_ref() {
        OneOrMany::One(s) => vec![s.clone()],
        OneOrMany::Many(v) => v.clone(),
    };
    if names.is_empty() {
        diags.error(src.loc(field_spec), "`field` is empty");
        return None;
    }
    let mut fields = Vec::new();
    for n in &names {
        match Field::parse(n) {
            Some(f) => fields.push(f),
            None => diags.error(
                src.loc(field_spec),
                format!("unknown field {n:?}; fields are: {FIELD_NAMES}"),
            ),
        }
    }
    let matchers = [
        r.keywords.is_some(),
        r.regex.is_some(),
        r.domain.is_some(),
        r.equals.is_some(),
        r.exists.is_some(),
        r.min.is_some() || r.max.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if matchers != 1 {
        diags.error(
            src.loc(c),
            "a `field` needs exactly one matcher: keywords, regex, domain, equals, exists, or min/max",
        );
        return None;
    }
    if r.case_sensitive.is_some() && r.regex.is_none() {
        diags.error(src.loc(c), "`case_sensitive` only goes with `regex`");
    }
    let numeric = r.min.is_some() || r.max.is_some();
    for f in &fields {
        if f.is_numeric() != numeric {
            diags.error(
                src.loc(field_spec),
                if numeric {
                    format!(
                        "field {:?} is not a number: min/max need attachment.count, size or spam.score",
                        f.name()
                    )
                } else {
                    format!("field {:?} is a number: test it with min/max", f.name())
                },
            );
        }
    }
    let matcher = matcher_of(src, c, lists, diags)?;
    Some(Cond::Match { fields, matcher })
}

/// The matcher of a `field` condition (keywords with their lists expanded, a regex, …).
fn matcher_of(
    src: &Src,
    c: &Spanned<RawCond>,
    lists: &Lists,
    diags: &mut Diagnostics,
) -> Option<Matcher> {
    let r = c.get_ref();
    let matcher = if let Some(k) = &r.keywords {
        let errors_before = diags.errors().count();
        let entries = lists.expand(src, k, diags);
        if entries.is_empty() {
            if diags.errors().count() == errors_before {
                diags.error(src.loc(c), "`keywords` is empty");
            }
            return None;
        }
        match KeywordSet::new(&entries) {
            Ok(mut set) => {
                set.id = next_set_id();
                Matcher::Keywords(set)
            }
            Err(e) => {
                diags.error(src.loc(c), format!("bad keyword {e}"));
                return None;
            }
        }
    } else if let Some(re) = &r.regex {
        match regex::RegexBuilder::new(re.get_ref())
            .case_insensitive(!r.case_sensitive.unwrap_or(false))
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
        {
            Ok(re) => Matcher::Regex(re),
            Err(e) => {
                diags.error(src.loc(re), format!("bad regex: {e}"));
                return None;
            }
        }
    } else if let Some(d) = &r.domain {
        Matcher::Domain(
            lists
                .expand(src, d, diags)
                .into_iter()
                .map(|x| {
                    x.trim_start_matches('@')
                        .trim_start_matches('.')
                        .to_ascii_lowercase()
                })
                .collect(),
        )
    } else if let Some(e) = &r.equals {
        Matcher::Equals(lists.expand(src, e, diags))
    } else if let Some(b) = r.exists {
        Matcher::Exists(b)
    } else {
        Matcher::Range {
            min: r.min,
            max: r.max,
        }
    };
    Some(matcher)
}
