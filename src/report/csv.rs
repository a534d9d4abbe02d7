//! The report for a spreadsheet: one row per mailbox, month and category, for the report's
//! month and the two months it is compared with.

use super::data::{MailboxReport, MonthTotal};
use std::fmt::Write;

pub const HEADER: &str = "mailbox,month,category,label,count,percent,month_total,source";

/// Quotes a field when it needs it.
pub fn field(s: &str) -> String {
    // A leading =, +, - or @ would be a formula in a spreadsheet.
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The CSV: the month a year before, the previous month and the report's month, each with
/// its categories (largest first); a month without any message has one row with an empty
/// category. `source` is `pilah` or `imported`.
pub fn csv(reports: &[MailboxReport]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{HEADER}");
    for r in reports {
        let current = MonthTotal {
            month: r.month.clone(),
            label: r.month_label.clone(),
            total: r.total,
            imported: r.imported,
            categories: r.categories.clone(),
        };
        for m in [&r.same_month_last_year, &r.previous_month, &current] {
            let source = if m.imported { "imported" } else { "pilah" };
            if m.categories.is_empty() {
                let _ = writeln!(
                    s,
                    "{},{},,,{},0.0,{},{source}",
                    field(&r.mailbox),
                    m.month,
                    m.total,
                    m.total
                );
            }
            for c in &m.categories {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{:.1},{},{source}",
                    field(&r.mailbox),
                    m.month,
                    field(&c.id),
                    field(&c.label),
                    c.count,
                    c.percent,
                    m.total,
                );
            }
        }
    }
    s
}
