//! The report for a spreadsheet: one row per mailbox, month and category, for the report's
//! month and the two months it is compared with.

use super::data::{MailboxReport, MonthTotal};
use std::fmt::Write;

pub const HEADER: &str = "mailbox,month,category,label,count,percent,month_total,source,corrected";

/// A text cell: guarded against formulas, then quoted when it needs it (RFC 4180).
///
/// A cell that begins with `=`, `+`, `-`, `@`, TAB or CR is taken for a formula (or a
/// formula after a stripped blank) by spreadsheets, so it gets a leading `'`, as OWASP's
/// guidance on CSV injection says; the `'` shows in the cell, the formula never runs. Only
/// text cells (mailbox, month, category id, label) go through here: the numeric cells are
/// written as numbers, which the report makes never negative (counts, totals and shares).
pub fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
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
/// category. `source` is `pilah` or `imported`. `corrected`: for the report's month, how
/// many of the category's messages a person moved into it (empty for the other months).
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
                    "{},{},,,{},0.0,{},{source},",
                    field(&r.mailbox),
                    field(&m.month),
                    m.total,
                    m.total
                );
            }
            for c in &m.categories {
                let corrected = if std::ptr::eq(m, &current) && !m.imported {
                    let into = r.corrections.categories.iter().find(|k| k.id == c.id);
                    into.map_or(0, |k| k.into).to_string()
                } else {
                    String::new()
                };
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{:.1},{},{source},{corrected}",
                    field(&r.mailbox),
                    field(&m.month),
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

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn every_formula_starting_cell_is_guarded_and_quoted_when_needed() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\",\"klik\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"klik\"\")\""
        );
        assert_eq!(field("+62 812"), "'+62 812");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("@SUM(A1:A9)"), "'@SUM(A1:A9)");
        assert_eq!(field("\t=1+1"), "'\t=1+1");
        assert_eq!(field("\r=1+1"), "\"'\r=1+1\"");
        assert_eq!(field("DBH, DAU"), "\"DBH, DAU\"");
        assert_eq!(field("baris\nkedua"), "\"baris\nkedua\"");
        assert_eq!(field("Syarat Salur DBH"), "Syarat Salur DBH");
        assert_eq!(
            field("a=b"),
            "a=b",
            "only a leading character starts a formula"
        );
        assert_eq!(field(""), "");
    }
}
