//! The corrections' figures of one mailbox and month: how many of the month's new messages
//! a person put in another category than the rules had (an agent's move, `pilah ticket
//! move`), per category (corrected into it, corrected away from it) and per rule (how often
//! it was overruled among the messages it decided, and to what). The category counts of the
//! report are already the final ones: these say how good the rules were.

use super::ReportError;
use crate::classify::rules::RuleSet;
use crate::store::{ReportCorrection, ReportScope, Store};
use serde::Serialize;
use std::collections::BTreeMap;

/// One category's corrections.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryCorrections {
    pub id: String,
    pub label: String,
    /// Messages a person moved into this category (counted in it).
    pub into: i64,
    /// Messages the rules put here that a person moved elsewhere (not counted in it).
    pub away: i64,
}

/// Where one rule's overruled messages went.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CorrectedTo {
    pub id: String,
    pub label: String,
    pub count: i64,
}

/// One rule's corrections.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleCorrections {
    /// The rule's id (`fallback`: the mailbox's fallback category).
    pub rule: String,
    /// New messages of the month it decided.
    pub decided: i64,
    /// Of those, how many a person moved to another category.
    pub overruled: i64,
    pub percent: f64,
    /// The categories they went to, largest first.
    pub to: Vec<CorrectedTo>,
}

/// The month's corrections of one mailbox.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Corrections {
    /// New messages whose category a person changed.
    pub total: i64,
    /// Of the month's total.
    pub percent: f64,
    /// Categories with a correction, by label.
    pub categories: Vec<CategoryCorrections>,
    /// Rules overruled at least once, most overruled first.
    pub rules: Vec<RuleCorrections>,
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// The corrections of the scope, against `total` new messages.
pub fn corrections(
    store: &Store,
    rules: Option<&RuleSet>,
    scope: &ReportScope,
    total: i64,
) -> Result<Corrections, ReportError> {
    let rows = store.report_corrections(scope)?;
    if rows.is_empty() {
        return Ok(Corrections::default());
    }
    let decided = store.report_rules(scope)?;
    Ok(figures(&rows, &decided, rules, total))
}

/// The figures from the corrected messages and the number each rule decided.
fn figures(
    rows: &[ReportCorrection],
    decided: &BTreeMap<String, i64>,
    rules: Option<&RuleSet>,
    total: i64,
) -> Corrections {
    let label = |id: &str| rules.and_then(|r| r.label(id)).unwrap_or(id).to_string();
    let mut cats: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    let mut by_rule: BTreeMap<&str, BTreeMap<&str, i64>> = BTreeMap::new();
    for r in rows {
        cats.entry(&r.corrected).or_default().0 += 1;
        cats.entry(&r.original).or_default().1 += 1;
        *by_rule
            .entry(&r.rule)
            .or_default()
            .entry(&r.corrected)
            .or_default() += 1;
    }
    let mut categories: Vec<CategoryCorrections> = cats
        .into_iter()
        .map(|(id, (into, away))| CategoryCorrections {
            id: id.to_string(),
            label: label(id),
            into,
            away,
        })
        .collect();
    categories.sort_by(|a, b| a.label.cmp(&b.label));
    let mut rules_out: Vec<RuleCorrections> = by_rule
        .into_iter()
        .map(|(rule, to)| {
            let overruled: i64 = to.values().sum();
            let d = decided
                .get(rule)
                .copied()
                .unwrap_or(overruled)
                .max(overruled);
            let mut to: Vec<CorrectedTo> = to
                .into_iter()
                .map(|(id, count)| CorrectedTo {
                    id: id.to_string(),
                    label: label(id),
                    count,
                })
                .collect();
            to.sort_by(|a, b| b.count.cmp(&a.count).then(a.id.cmp(&b.id)));
            RuleCorrections {
                rule: rule.to_string(),
                decided: d,
                overruled,
                percent: pct(overruled, d),
                to,
            }
        })
        .collect();
    rules_out.sort_by(|a, b| b.overruled.cmp(&a.overruled).then(a.rule.cmp(&b.rule)));
    Corrections {
        total: rows.len() as i64,
        percent: pct(rows.len() as i64, total),
        categories,
        rules: rules_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(rule: &str, from: &str, to: &str) -> ReportCorrection {
        ReportCorrection {
            rule: rule.into(),
            original: from.into(),
            corrected: to.into(),
        }
    }

    #[test]
    fn each_rule_says_how_often_it_was_overruled_and_to_what() {
        let rows = [
            row("lapor-dau-subjek", "dau", "dbh"),
            row("lapor-dau-subjek", "dau", "dbh"),
            row("lapor-dau-subjek", "dau", "apbd"),
            row("fallback", "lainnya", "dbh"),
        ];
        let decided = BTreeMap::from([
            ("lapor-dau-subjek".to_string(), 30),
            ("fallback".to_string(), 4),
        ]);
        let c = figures(&rows, &decided, None, 100);
        assert_eq!((c.total, c.percent), (4, 4.0));
        assert_eq!(c.rules[0].rule, "lapor-dau-subjek");
        assert_eq!((c.rules[0].overruled, c.rules[0].decided), (3, 30));
        assert_eq!(c.rules[0].percent, 10.0);
        assert_eq!(
            (c.rules[0].to[0].id.as_str(), c.rules[0].to[0].count),
            ("dbh", 2)
        );
        let dbh = c.categories.iter().find(|x| x.id == "dbh").unwrap();
        assert_eq!((dbh.into, dbh.away), (3, 0));
        let dau = c.categories.iter().find(|x| x.id == "dau").unwrap();
        assert_eq!((dau.into, dau.away), (0, 3));
    }
}
