//! The monthly report: counts per mailbox and category, from the records in SQLite.
//!
//! Months are counted in the configured time zone by the time the server received the
//! message (INTERNALDATE), not by the sender's `Date:` header. Machine mail and quarantined
//! mail are counted on their own lines, outside the totals; spam is a category inside them.

use crate::act::compose::month_name;
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::store::Store;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("--month {0:?}: expected YYYY-MM, e.g. 2024-03")]
    Month(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("database: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn parse(s: &str) -> Result<Month, ReportError> {
        let bad = || ReportError::Month(s.to_string());
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
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
    fn next(self) -> Month {
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
    /// Start of the month in `tz`, as UTC.
    pub fn start(self, tz: chrono_tz::Tz) -> DateTime<Utc> {
        let d = NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or_default();
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
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
    pub fn id(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CategoryCount {
    pub id: String,
    pub label: String,
    pub count: i64,
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MonthTotal {
    pub month: String,
    pub total: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct MailboxReport {
    pub mailbox: String,
    pub month: String,
    pub total: i64,
    pub previous_month: MonthTotal,
    pub same_month_last_year: MonthTotal,
    pub categories: Vec<CategoryCount>,
    /// Machine mail by kind.
    pub machine: Vec<(String, i64)>,
    pub quarantined: i64,
}

fn count_people(
    store: &Store,
    mailbox: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, ReportError> {
    store
        .transaction(|tx| {
            let mut st = tx.prepare(
                "SELECT category, count(*) FROM messages
             WHERE mailbox = ?1 AND internal_date >= ?2 AND internal_date < ?3
               AND machine IS NULL AND quarantine IS NULL AND category IS NOT NULL
             GROUP BY category ORDER BY count(*) DESC, category",
            )?;
            let rows = st.query_map(rusqlite::params![mailbox, ts(from), ts(to)], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            Ok(rows.collect::<Result<Vec<_>, _>>()?)
        })
        .map_err(Into::into)
}

fn ts(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Builds the report of one month for every configured mailbox (or one).
pub fn build(
    config: &Config,
    store: &Store,
    rules: Option<&RuleSet>,
    month: Month,
    only: Option<&str>,
) -> Result<Vec<MailboxReport>, ReportError> {
    let tz = config.timezone;
    let mut out = Vec::new();
    for m in &config.mailboxes {
        let name = m.name.as_str();
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let (from, to) = (month.start(tz), month.end(tz));
        let cats = count_people(store, name, from, to)?;
        let total: i64 = cats.iter().map(|(_, c)| c).sum();
        let total_of = |mo: Month| -> Result<MonthTotal, ReportError> {
            let t = count_people(store, name, mo.start(tz), mo.end(tz))?
                .iter()
                .map(|(_, c)| c)
                .sum();
            Ok(MonthTotal {
                month: mo.id(),
                total: t,
            })
        };
        let (machine, quarantined) = store.transaction(|tx| {
            let mut st = tx.prepare(
                "SELECT machine, count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND machine IS NOT NULL GROUP BY machine ORDER BY machine",
            )?;
            let machine = st
                .query_map(rusqlite::params![name, ts(from), ts(to)], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<(String, i64)>, _>>()?;
            let q: i64 = tx.query_row(
                "SELECT count(*) FROM messages WHERE mailbox = ?1 AND internal_date >= ?2
                   AND internal_date < ?3 AND quarantine IS NOT NULL",
                rusqlite::params![name, ts(from), ts(to)],
                |r| r.get(0),
            )?;
            Ok((machine, q))
        })?;
        out.push(MailboxReport {
            mailbox: name.to_string(),
            month: month.id(),
            total,
            previous_month: total_of(month.previous())?,
            same_month_last_year: total_of(month.year_before())?,
            categories: cats
                .into_iter()
                .map(|(id, count)| CategoryCount {
                    label: rules.and_then(|r| r.label(&id)).unwrap_or(&id).to_string(),
                    id,
                    count,
                    percent: if total > 0 {
                        (count as f64) * 100.0 / total as f64
                    } else {
                        0.0
                    },
                })
                .collect(),
            machine,
            quarantined,
        });
    }
    Ok(out)
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

/// The plain-text report.
pub fn text(reports: &[MailboxReport], month: Month) -> String {
    let mut s = String::new();
    for r in reports {
        let _ = writeln!(s, "Email {} — {}", r.mailbox, month.label());
        let _ = writeln!(s, "  Jumlah pesan: {}", r.total);
        let _ = writeln!(
            s,
            "  {}",
            change_phrase(r.total, r.previous_month.total, "bulan sebelumnya")
        );
        let _ = writeln!(
            s,
            "  {}",
            change_phrase(
                r.total,
                r.same_month_last_year.total,
                &month.year_before().label()
            )
        );
        let _ = writeln!(s, "  Kategori:");
        for c in &r.categories {
            let _ = writeln!(s, "    {:<40} {:>5}  {:>5.1}%", c.label, c.count, c.percent);
        }
        let machine: i64 = r.machine.iter().map(|(_, c)| c).sum();
        let kinds = r
            .machine
            .iter()
            .map(|(k, c)| format!("{k} {c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            s,
            "  Pesan otomatis (di luar jumlah): {machine}{}",
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({kinds})")
            }
        );
        let _ = writeln!(s, "  Karantina (di luar jumlah): {}", r.quarantined);
        let _ = writeln!(s);
    }
    s
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    Text,
    Json,
}

/// `pilah report`.
#[derive(clap::Args)]
pub struct ReportArgs {
    #[arg(long)]
    pub config: std::path::PathBuf,
    /// YYYY-MM; default: the current month.
    #[arg(long)]
    pub month: Option<String>,
    #[arg(long)]
    pub mailbox: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
}

/// Runs `pilah report`.
pub fn command(args: ReportArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let config = Config::load(&args.config)?;
    let month = match args.month {
        Some(m) => Month::parse(&m)?,
        None => this_month(config.timezone),
    };
    let rules = RuleSet::load(&config.rules_dir).ok();
    if let Some(m) = &args.mailbox {
        if config.mailbox(m).is_none() {
            anyhow::bail!(
                "--mailbox {m:?} is not a mailbox of {}",
                config.path.display()
            );
        }
    }
    let store = Store::open(&config.state_dir)?;
    let reports = build(
        &config,
        &store,
        rules.as_ref(),
        month,
        args.mailbox.as_deref(),
    )?;
    let out = match args.format {
        ReportFormat::Text => text(&reports, month),
        ReportFormat::Json => serde_json::to_string_pretty(&reports)? + "\n",
    };
    match args.out {
        Some(p) => {
            std::fs::write(&p, out).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => print!("{out}"),
    }
    Ok(())
}

pub fn this_month(tz: chrono_tz::Tz) -> Month {
    let now = Utc::now().with_timezone(&tz);
    Month {
        year: now.year(),
        month: now.month(),
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
        assert_eq!(m.label(), "Maret 2024");
    }
}
