//! The monthly report: what the contact center publishes about its two mailboxes, from the
//! records in SQLite.
//!
//! Months are counted in the configured time zone by the time the server received the
//! message (INTERNALDATE), not by the sender's `Date:` header. Machine mail, quarantined mail
//! and PICs' answers are counted on their own lines, outside the totals; spam is a category
//! inside them. Past months the contact center counted by hand can be imported
//! (`pilah report import`), and are marked as imported wherever they appear.
//!
//! [`data`] computes every figure once, as typed values ([`Report`]: each mailbox's, and the
//! mailboxes' combined, with the changes from last month and the trend); [`text`] (plain
//! text and Markdown), [`csv`], [`html`] and JSON (serde) only format them; [`import`] loads
//! past counts.

pub mod corrections;
pub mod csv;
pub mod data;
pub mod html;
pub mod import;
pub mod text;
pub mod tickets;

use crate::act::compose::month_name;
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::store::Store;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;

pub use data::{build, CategoryCount, Combined, MailboxReport, MonthTotal, Report};
pub use text::text;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("--month {0:?}: expected YYYY-MM, e.g. 2024-03")]
    Month(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, ReportError> {
        let bad = || ReportError::Month(s.to_string());
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(2000..=2200).contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
    pub fn year_before(self) -> Month {
        Month {
            year: self.year - 1,
            month: self.month,
        }
    }
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default()
    }
    /// Start of the month in `tz`, as UTC.
    pub fn start(self, tz: chrono_tz::Tz) -> DateTime<Utc> {
        tz.from_local_datetime(&self.first_day().and_hms_opt(0, 0, 0).unwrap_or_default())
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }
    pub fn end(self, tz: chrono_tz::Tz) -> DateTime<Utc> {
        self.next().start(tz)
    }
    /// "Maret 2024".
    pub fn label(self) -> String {
        format!("{} {}", month_name(self.month), self.year)
    }
    /// "Mar 2024", for chart axes.
    pub fn short_label(self) -> String {
        let name = month_name(self.month);
        format!("{} {}", name.get(..3).unwrap_or(name), self.year)
    }
    pub fn id(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id())
    }
}

/// "meningkat 21% dibandingkan bulan sebelumnya (131)".
pub fn change_phrase(now: i64, then: i64, against: &str) -> String {
    if then == 0 {
        return format!("tidak ada data {against} (0)");
    }
    let pct = ((now - then) as f64 * 100.0 / then as f64).round() as i64;
    let word = match pct {
        p if p > 0 => format!("meningkat {p}%"),
        p if p < 0 => format!("menurun {}%", -p),
        _ => "sama".to_string(),
    };
    format!("{word} dibandingkan {against} ({then})")
}

/// A change in a count: "+3", "−2", "0"; "–" when unknown.
pub fn fmt_change(change: Option<i64>) -> String {
    match change {
        Some(n) if n > 0 => format!("+{}", fmt_int(n)),
        Some(n) if n < 0 => format!("\u{2212}{}", fmt_int(-n)),
        Some(_) => "0".to_string(),
        None => "\u{2013}".to_string(),
    }
}

/// "lapor + callcenter".
pub fn mailbox_list(names: &[String]) -> String {
    names.join(" + ")
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// Plain text, for a terminal or an e-mail.
    Text,
    /// Markdown.
    Md,
    /// One row per mailbox, month and category, for a spreadsheet.
    Csv,
    /// Everything, machine-readable.
    Json,
    /// Self-contained pages like the published report: the mailboxes together, then two per
    /// mailbox (prints on A4 landscape).
    Html,
}

/// `pilah report`: the monthly report, or `pilah report import` to load past counts.
#[derive(clap::Args, Debug)]
#[command(subcommand_negates_reqs = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub action: Option<ReportAction>,
    #[arg(long, required = true)]
    pub config: Option<std::path::PathBuf>,
    /// YYYY-MM; default: the current month.
    #[arg(long)]
    pub month: Option<String>,
    /// Only this mailbox.
    #[arg(long)]
    pub mailbox: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum ReportAction {
    /// Load past monthly counts (CSV: mailbox,month,category,count) so that comparisons work
    /// from pilah's first month. A month imported again replaces what was imported for it.
    Import(import::ImportArgs),
}

/// Runs `pilah report`.
pub fn command(args: ReportArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    if let Some(ReportAction::Import(mut a)) = args.action {
        a.config = a.config.or(args.config);
        return import::command(a);
    }
    let Some(config_path) = args.config else {
        anyhow::bail!("--config is required");
    };
    let config = Config::load(&config_path)?;
    let month = match args.month {
        Some(m) => Month::parse(&m)?,
        None => this_month(config.timezone),
    };
    let rules = match RuleSet::load(&config.rules_dir) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::warn!(error = %e, "rules not loaded: categories are shown by id, regions by code");
            None
        }
    };
    if let Some(m) = &args.mailbox {
        if config.mailbox(m).is_none() {
            let known: Vec<&str> = config.mailboxes.iter().map(|m| m.name.as_str()).collect();
            anyhow::bail!(
                "--mailbox {m:?} is not a mailbox of {}; its mailboxes are: {}",
                config.path.display(),
                known.join(", ")
            );
        }
    }
    let store = Store::open(&config.state_dir)?;
    let report = build(
        &config,
        &store,
        rules.as_ref(),
        month,
        args.mailbox.as_deref(),
    )?;
    let out = render(args.format, &report);
    match args.out {
        Some(p) => {
            std::fs::write(&p, out).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{out}"),
    }
    Ok(())
}

/// The report in one format: each renderer only formats the figures of [`Report`].
pub fn render(format: ReportFormat, report: &Report) -> String {
    match format {
        ReportFormat::Text => text::text(report),
        ReportFormat::Md => text::markdown(report),
        ReportFormat::Csv => csv::csv(&report.mailboxes),
        ReportFormat::Json => {
            serde_json::to_string_pretty(&report.mailboxes).unwrap_or_default() + "\n"
        }
        ReportFormat::Html => html::html(report),
    }
}

pub fn this_month(tz: chrono_tz::Tz) -> Month {
    let now = Utc::now().with_timezone(&tz);
    Month {
        year: now.year(),
        month: now.month(),
    }
}

/// Machine mail's kinds, in Indonesian.
pub fn machine_label(kind: &str) -> &str {
    match kind {
        "auto-reply" => "balasan otomatis",
        "auto-generated" => "notifikasi sistem",
        "bounce" => "pantulan",
        "list" => "milis/massal",
        "own" => "kiriman pilah sendiri",
        other => other,
    }
}

/// 1234567 → "1.234.567" (Indonesian grouping).
pub fn fmt_int(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// 52.5 → "52,5%" (Indonesian decimal comma).
pub fn fmt_pct(p: f64) -> String {
    format!("{:.1}%", p).replace('.', ",")
}

/// A duration in seconds, in Indonesian: "45 detik", "12 menit", "3 jam 5 menit", "2 hari 4 jam".
pub fn fmt_duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        s if s < 60 => format!("{s} detik"),
        s if s < 3600 => format!("{} menit", (s + 30) / 60),
        s if s < 86_400 => {
            let m = (s + 30) / 60;
            match m % 60 {
                0 => format!("{} jam", m / 60),
                r => format!("{} jam {r} menit", m / 60),
            }
        }
        s => {
            let h = (s + 1800) / 3600;
            match h % 24 {
                0 => format!("{} hari", h / 24),
                r => format!("{} hari {r} jam", h / 24),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wording_of_the_report() {
        assert_eq!(
            change_phrase(158, 131, "bulan sebelumnya"),
            "meningkat 21% dibandingkan bulan sebelumnya (131)"
        );
        assert_eq!(
            change_phrase(160, 489, "Maret 2023"),
            "menurun 67% dibandingkan Maret 2023 (489)"
        );
        assert_eq!(
            change_phrase(10, 10, "Maret 2023"),
            "sama dibandingkan Maret 2023 (10)"
        );
    }

    #[test]
    fn months_are_counted_in_the_configured_zone() {
        let m = Month::parse("2024-03").unwrap();
        assert_eq!(
            m.start(chrono_tz::Asia::Jakarta).to_rfc3339(),
            "2024-02-29T17:00:00+00:00"
        );
        assert_eq!(
            m.previous(),
            Month {
                year: 2024,
                month: 2
            }
        );
        assert_eq!(
            Month::parse("2024-01").unwrap().previous(),
            Month {
                year: 2023,
                month: 12
            }
        );
        assert!(Month::parse("2024-13").is_err());
        assert!(Month::parse("24-03").is_err());
        assert!(Month::parse("2024-003").is_err());
        assert_eq!(m.label(), "Maret 2024");
        assert_eq!(m.short_label(), "Mar 2024");
        assert_eq!(m.next().id(), "2024-04");
    }

    #[test]
    fn numbers_in_indonesian() {
        assert_eq!(fmt_int(907), "907");
        assert_eq!(fmt_int(1234567), "1.234.567");
        assert_eq!(fmt_pct(52.5), "52,5%");
        assert_eq!(fmt_duration(42), "42 detik");
        assert_eq!(fmt_duration(125), "2 menit");
        assert_eq!(fmt_duration(3 * 3600 + 5 * 60), "3 jam 5 menit");
        assert_eq!(fmt_duration(2 * 86_400 + 4 * 3600), "2 hari 4 jam");
    }
}
