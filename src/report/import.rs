//! Counts from before pilah: `pilah report import FILE.csv` loads past monthly totals per
//! mailbox and category, so that the report's comparisons work from pilah's first month.
//!
//! The file is a CSV with a header naming its columns (in any order):
//!
//! ```text
//! mailbox,month,category,count,label
//! lapor,2023-03,syarat-salur-dbh,260,
//! lapor,2023-03,,489,
//! callcenter,2024-02,,131,
//! ```
//!
//! `mailbox`, `month` and `count` are required; `category` empty (or the column absent) is
//! the month's total when only the total is known, or when the categories do not add up to
//! it; `label` names a category the rules no longer have. `;` may separate the fields instead
//! of `,` (a spreadsheet's export in an Indonesian locale). Every problem is reported at
//! once, as `file:line:col`, and nothing is written while there is any. A month imported
//! again replaces what was imported for that mailbox and month. Imported figures replace
//! pilah's own count of the same mailbox and month in reports, and are marked as imported.

use super::{Month, ReportError};
use crate::classify::rules::RuleSet;
use crate::config::{is_id, Config};
use crate::location::{csv_record_start, Diagnostics, Location};
use crate::store::{ImportedCount, ReportScope, Store};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// (category id, label, count) rows of a month.
pub type CategoryRows = Vec<(String, Option<String>, i64)>;

/// One mailbox's imported month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub total: i64,
    /// (category id, label from the file, count); id `""`: the part of the total without
    /// a category.
    pub categories: CategoryRows,
}

/// The imported figures of a mailbox and month, if any.
pub fn imported(
    store: &Store,
    mailbox: &str,
    month: Month,
) -> Result<Option<Imported>, ReportError> {
    let rows: CategoryRows = store.imported_counts(mailbox, &month.id())?;
    if rows.is_empty() {
        return Ok(None);
    }
    let explicit = rows.iter().find(|r| r.0.is_empty()).map(|r| r.2);
    let mut categories: Vec<_> = rows.into_iter().filter(|r| !r.0.is_empty()).collect();
    let sum: i64 = categories.iter().map(|c| c.2).sum();
    let total = explicit.unwrap_or(sum).max(sum);
    if total > sum {
        categories.push((String::new(), None, total - sum));
    }
    Ok(Some(Imported { total, categories }))
}

/// One row of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub mailbox: String,
    pub month: Month,
    /// Empty: the month's total.
    pub category: String,
    pub label: Option<String>,
    pub count: i64,
    pub line: usize,
}

/// The fields of one record, trimmed, each with the byte offset in `text` where it starts.
/// The csv crate gives where the record starts; a field starts after the raw text of the
/// ones before it and their separators (a quoted field's raw text holds its two quotes and
/// the doubled quotes inside besides its value).
fn fields_at(text: &str, record: &csv::StringRecord, start: usize) -> Vec<(String, usize)> {
    let mut pos = start;
    let mut out = Vec::with_capacity(record.len());
    for field in record.iter() {
        out.push((field.trim().to_string(), pos));
        let raw = if text.as_bytes().get(pos) == Some(&b'"') {
            field.len() + 2 + field.matches('"').count()
        } else {
            field.len()
        };
        pos += raw + 1;
    }
    out
}

/// The column a header names (English or Indonesian).
fn column_key(name: &str) -> Option<&'static str> {
    Some(match name.to_ascii_lowercase().as_str() {
        "mailbox" | "kotak_surel" | "kotak" => "mailbox",
        "month" | "bulan" => "month",
        "category" | "kategori" => "category",
        "count" | "jumlah" | "total" => "count",
        "label" => "label",
        _ => return None,
    })
}

/// Parses and checks an import file. `mailboxes`: the configured mailbox names; `rules`, when
/// loaded, to warn about categories the rules do not know.
pub fn parse(
    path: &Path,
    text: &str,
    mailboxes: &[&str],
    rules: Option<&RuleSet>,
    diags: &mut Diagnostics,
) -> Vec<ImportRow> {
    let src = Src { path, text };
    let mut out: Vec<ImportRow> = Vec::new();
    let text_start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let body = &text[text_start..];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(body))
        .comment(Some(b'#'))
        .from_reader(body.as_bytes());
    let mut header: Option<Columns> = None;
    let mut seen: BTreeMap<(String, Month, String), usize> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let offset = e.position().map(|p| p.byte() as usize).unwrap_or(0);
                diags.error(src.at(text_start + offset), e.to_string());
                continue;
            }
        };
        // The line is counted from the offset: csv's own line is where the previous record
        // ended, before the blank and comment lines.
        let here = csv_record_start(
            text,
            text_start + record.position().map(|p| p.byte() as usize).unwrap_or(0),
        );
        let blank = record.len() == 1 && record[0].trim().is_empty();
        if blank
            || record
                .get(0)
                .is_some_and(|f| f.trim_start().starts_with('#'))
        {
            continue;
        }
        let fields = fields_at(text, &record, here);
        let Some(cols) = &header else {
            header = Some(read_header(&src, fields, here, diags));
            continue;
        };
        let row = Row {
            fields,
            here,
            line: src.at(here).line,
        };
        let Some(r) = read_row(&src, cols, &row, mailboxes, rules, diags) else {
            continue;
        };
        if first_time(&src, &mut seen, &r, &row, diags) {
            out.push(r);
        }
    }
    if header.is_none() {
        diags.error(
            src.at(0),
            "empty file: expected a header (mailbox,month,category,count) and rows",
        );
    }
    check_totals(&src, &out, diags);
    out
}

/// Whether a row's mailbox, month and category are given for the first time; a repeat is
/// an error that names the line of the first.
fn first_time(
    src: &Src,
    seen: &mut BTreeMap<(String, Month, String), usize>,
    r: &ImportRow,
    row: &Row,
    diags: &mut Diagnostics,
) -> bool {
    let key = (r.mailbox.clone(), r.month, r.category.clone());
    let Some(first) = seen.insert(key, row.line) else {
        return true;
    };
    let what = if r.category.is_empty() {
        "total"
    } else {
        &r.category
    };
    diags.error(
        src.at(row.here),
        format!(
            "{} {} {what}: already given on line {first}",
            r.mailbox, r.month
        ),
    );
    false
}

/// The file being read, for places in it.
struct Src<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Src<'_> {
    fn at(&self, offset: usize) -> Location {
        Location::at(self.path, self.text, offset)
    }
}

/// The header's columns: name → position.
type Columns = BTreeMap<&'static str, usize>;

/// One data line: its fields with their offsets, where it starts, its line number.
struct Row {
    fields: Vec<(String, usize)>,
    here: usize,
    line: usize,
}

/// `;` separates the fields when the first line uses it and no `,` (a spreadsheet's export in
/// an Indonesian locale); else `,`.
fn separator(body: &str) -> u8 {
    let first = body
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if first.contains(';') && !first.contains(',') {
        b';'
    } else {
        b','
    }
}

/// The header line: which column is which; unknown, repeated and missing columns reported.
fn read_header(
    src: &Src,
    fields: Vec<(String, usize)>,
    here: usize,
    diags: &mut Diagnostics,
) -> Columns {
    let mut positions = Columns::new();
    for (idx, (name, col)) in fields.into_iter().enumerate() {
        let Some(key) = column_key(&name) else {
            diags.error(
                src.at(col),
                format!(
                    "unknown column {name:?}: the header names mailbox, month, \
                     category, count and label"
                ),
            );
            continue;
        };
        if positions.insert(key, idx).is_some() {
            diags.error(src.at(col), format!("column {key} appears twice"));
        }
    }
    for need in ["mailbox", "month", "count"] {
        if !positions.contains_key(need) {
            diags.error(
                src.at(here),
                format!(
                    "the header has no {need} column (expected e.g. \
                     mailbox,month,category,count)"
                ),
            );
        }
    }
    positions
}

/// One data line checked field by field: every problem reported, the row only when it has
/// none.
fn read_row(
    src: &Src,
    cols: &Columns,
    row: &Row,
    mailboxes: &[&str],
    rules: Option<&RuleSet>,
    diags: &mut Diagnostics,
) -> Option<ImportRow> {
    let get =
        |key: &str| -> Option<&(String, usize)> { cols.get(key).and_then(|i| row.fields.get(*i)) };
    let n_cols = cols.values().max().map(|m| m + 1).unwrap_or(0);
    if row.fields.len() < n_cols {
        diags.error(
            src.at(row.here),
            format!(
                "line {}: {} fields, the header has {n_cols}",
                row.line,
                row.fields.len()
            ),
        );
        return None;
    }
    let (Some(mb), Some(mo), Some(cnt)) = (get("mailbox"), get("month"), get("count")) else {
        return None;
    };
    let mut ok = true;
    if !mailboxes.contains(&mb.0.as_str()) {
        diags.error(
            src.at(mb.1),
            format!(
                "mailbox {:?} is not in the config (its mailboxes: {})",
                mb.0,
                mailboxes.join(", ")
            ),
        );
        ok = false;
    }
    let month = match Month::parse(&mo.0) {
        Ok(m) => Some(m),
        Err(_) => {
            diags.error(
                src.at(mo.1),
                format!("month {:?}: expected YYYY-MM, e.g. 2024-03", mo.0),
            );
            None
        }
    };
    let count = match cnt.0.parse::<i64>() {
        Ok(n) if n >= 0 => Some(n),
        _ => {
            diags.error(
                src.at(cnt.1),
                format!(
                    "count {:?}: expected a whole number, 0 or more, without separators",
                    cnt.0
                ),
            );
            None
        }
    };
    let category = get("category").map(|c| c.0.clone()).unwrap_or_default();
    if !category.is_empty() {
        let col = get("category").map(|c| c.1).unwrap_or(0);
        ok &= check_category(src, col, &category, &mb.0, rules, diags);
    }
    let label = get("label").map(|l| l.0.clone()).filter(|l| !l.is_empty());
    let (Some(month), Some(count)) = (month, count) else {
        return None;
    };
    ok.then(|| ImportRow {
        mailbox: mb.0.clone(),
        month,
        category,
        label,
        count,
        line: row.line,
    })
}

/// A category id must look like one; one the rules do not know is only a warning (the
/// past's categories may be gone).
fn check_category(
    src: &Src,
    col: usize,
    category: &str,
    mailbox: &str,
    rules: Option<&RuleSet>,
    diags: &mut Diagnostics,
) -> bool {
    if !is_id(category) {
        diags.error(
            src.at(col),
            format!(
                "category {category:?}: a category id (lower-case letters, digits and '-', \
                 as in categories.toml), or empty for the month's total"
            ),
        );
        return false;
    }
    if let Some(r) = rules {
        if r.category(mailbox, category).is_none() {
            diags.warning(
                src.at(col),
                format!(
                    "category {category:?} is not a category of mailbox {mailbox:?} in the rules: \
                     it is shown with its label or id"
                ),
            );
        }
    }
    true
}

/// A month's total must not be smaller than its categories.
fn check_totals(src: &Src, out: &[ImportRow], diags: &mut Diagnostics) {
    let mut sums: BTreeMap<(String, Month), i64> = BTreeMap::new();
    for r in out.iter().filter(|r| !r.category.is_empty()) {
        *sums.entry((r.mailbox.clone(), r.month)).or_default() += r.count;
    }
    for r in out.iter().filter(|r| r.category.is_empty()) {
        let sum = sums
            .get(&(r.mailbox.clone(), r.month))
            .copied()
            .unwrap_or(0);
        if r.count < sum {
            diags.error(
                src.at(line_offset(src.text, r.line)),
                format!(
                    "{} {}: the total {} is smaller than its categories together ({sum})",
                    r.mailbox, r.month, r.count
                ),
            );
        }
    }
}

fn line_offset(text: &str, line: usize) -> usize {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut off = start;
    for (i, l) in text[start..].split('\n').enumerate() {
        if i + 1 == line {
            return off;
        }
        off += l.len() + 1;
    }
    off.min(text.len())
}

/// Writes the rows: every (mailbox, month) of the file replaces what was imported for it.
/// Returns the (mailbox, month) pairs written.
pub fn save(
    store: &Store,
    rows: &[ImportRow],
    source: &str,
) -> Result<BTreeSet<(String, Month)>, ReportError> {
    let months: BTreeSet<(String, Month)> =
        rows.iter().map(|r| (r.mailbox.clone(), r.month)).collect();
    let replace: Vec<(&str, String)> = months
        .iter()
        .map(|(mb, mo)| (mb.as_str(), mo.id()))
        .collect();
    let counts: Vec<ImportedCount> = rows
        .iter()
        .map(|r| ImportedCount {
            mailbox: &r.mailbox,
            month: r.month.id(),
            category: &r.category,
            label: r.label.as_deref(),
            count: r.count,
        })
        .collect();
    store.save_imported(&replace, &counts, source)?;
    Ok(months)
}

/// `pilah report import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The CSV file: mailbox,month,category,count[,label].
    pub file: PathBuf,
    /// The config file (may also be given before `import`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Check the file and show what would be imported, without writing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Runs `pilah report import`.
pub fn command(args: ImportArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let Some(config_path) = &args.config else {
        anyhow::bail!("--config is required: pilah report import FILE.csv --config FILE");
    };
    let config = Config::load(config_path)?;
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let rules = RuleSet::load(&config.rules_dir).ok();
    let names: Vec<&str> = config.mailboxes.iter().map(|m| m.name.as_str()).collect();
    let mut diags = Diagnostics::default();
    let rows = parse(&args.file, &text, &names, rules.as_ref(), &mut diags);
    for w in diags.warnings() {
        eprintln!("{w}");
    }
    if diags.has_errors() {
        let errors: Vec<String> = diags.errors().map(|d| d.to_string()).collect();
        anyhow::bail!(
            "{} has errors; nothing was imported:\n{}",
            args.file.display(),
            errors.join("\n")
        );
    }
    let months: BTreeSet<(String, Month)> =
        rows.iter().map(|r| (r.mailbox.clone(), r.month)).collect();
    let store = Store::open(&config.state_dir)?;
    // Months pilah counted itself: the imported figure will replace its count.
    let tz = config.timezone;
    for (mb, mo) in &months {
        let own = store.messages_in(&ReportScope {
            mailbox: mb,
            from: mo.start(tz),
            to: mo.end(tz),
        })?;
        if own > 0 {
            eprintln!(
                "{}: warning: pilah recorded {own} messages of {mb} in {mo}; the imported figures replace its own count of that month in reports",
                args.file.display()
            );
        }
    }
    let source = args
        .file
        .file_name()
        .map(|f| f.to_string_lossy().to_string())
        .unwrap_or_default();
    if !args.dry_run {
        save(&store, &rows, &source)?;
    }
    let mut per_mailbox: BTreeMap<&str, Vec<Month>> = BTreeMap::new();
    for (mb, mo) in &months {
        per_mailbox.entry(mb.as_str()).or_default().push(*mo);
    }
    println!(
        "{} {} rows from {}:",
        if args.dry_run {
            "would import"
        } else {
            "imported"
        },
        rows.len(),
        args.file.display()
    );
    for (mb, ms) in per_mailbox {
        let first = ms.first().map(|m| m.id()).unwrap_or_default();
        let last = ms.last().map(|m| m.id()).unwrap_or_default();
        println!("  {mb}: {} month(s), {first} … {last}", ms.len());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (Vec<ImportRow>, Diagnostics) {
        let mut d = Diagnostics::default();
        let rows = parse(
            Path::new("past.csv"),
            text,
            &["lapor", "callcenter"],
            None,
            &mut d,
        );
        (rows, d)
    }

    #[test]
    fn rows_totals_and_categories() {
        let (rows, d) = run(
            "mailbox,month,category,count\nlapor,2023-03,syarat-salur-dbh,260\n\nlapor,2023-03,,489\n# comment\ncallcenter,2024-02,,131\n",
        );
        assert!(!d.has_errors(), "{d}");
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1].category, "");
        assert_eq!(rows[1].count, 489);
        assert_eq!(rows[2].line, 6);
    }

    #[test]
    fn semicolons_quotes_and_other_column_orders() {
        let (rows, d) = run("\u{feff}Bulan;Kotak;Jumlah;Label;Kategori\n2024-02;lapor;432;\"DBH; semua\";syarat-salur-dbh\n");
        assert!(!d.has_errors(), "{d}");
        assert_eq!(rows[0].mailbox, "lapor");
        assert_eq!(rows[0].label.as_deref(), Some("DBH; semua"));
        assert_eq!(rows[0].count, 432);
    }

    #[test]
    fn every_error_with_its_place() {
        let (_, d) = run(
            "mailbox,month,category,count\nlaporan,2024-02,,10\nlapor,2024-2x,,10\nlapor,2024-02,DBH!,x\nlapor,2024-01,,5\nlapor,2024-01,,6\nlapor,2023-12,dbh,9\nlapor,2023-12,,8\n",
        );
        let all = d.to_string();
        assert!(
            all.contains("past.csv:2:1: error: mailbox \"laporan\" is not in the config"),
            "{all}"
        );
        assert!(
            all.contains("past.csv:3:7: error: month \"2024-2x\""),
            "{all}"
        );
        assert!(
            all.contains("past.csv:4:15: error: category \"DBH!\""),
            "{all}"
        );
        assert!(all.contains("past.csv:4:20: error: count \"x\""), "{all}");
        assert!(
            all.contains("past.csv:6:1: error: lapor 2024-01 total: already given on line 5"),
            "{all}"
        );
        assert!(
            all.contains("past.csv:8:1: error: lapor 2023-12: the total 8 is smaller"),
            "{all}"
        );
        assert_eq!(d.errors().count(), 6, "{all}");
    }

    #[test]
    fn places_after_quoted_fields_comments_and_blank_lines() {
        let (_, d) = run(
            "mailbox,label,month,count\nlapor,\"a \"\"b\"\", c\",2024-1x,5\n\n# x, y\n\n  # z\r\nlapor,,2024-01,-3\n",
        );
        let all = d.to_string();
        assert!(
            all.contains("past.csv:2:20: error: month \"2024-1x\""),
            "{all}"
        );
        assert!(all.contains("past.csv:7:16: error: count \"-3\""), "{all}");
        assert_eq!(d.errors().count(), 2, "{all}");
    }

    #[test]
    fn a_missing_column_is_named() {
        let (_, d) = run("mailbox,bulan\nlapor,2024-01\n");
        assert!(d.to_string().contains("no count column"), "{d}");
    }
}
