//! The tickets part of the report: how many tickets went to a unit ("escalated to a unit",
//! the share the contact center reports), how many the PICs answered and how fast, the
//! follow-ups, and what was still open at the end of the month.

use super::{Month, ReportError};
use crate::store::{ReportScope, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, Serialize)]
pub struct UnitTickets {
    pub unit: String,
    /// Tickets of the month forwarded to the unit.
    pub forwarded: i64,
    /// Of those, answered by a PIC (at any time up to now).
    pub answered: i64,
    pub answered_percent: f64,
    /// Median time from arrival to the PIC's answer, in hours (wall clock).
    pub median_answer_hours: Option<f64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TicketStats {
    /// Tickets opened this month (one per new message from a person, spam excluded).
    pub opened: i64,
    /// Of those, forwarded to a unit.
    pub escalated: i64,
    pub escalated_percent: f64,
    pub answered: i64,
    pub answered_percent: f64,
    pub median_answer_hours: Option<f64>,
    /// Messages that joined an earlier ticket (replies, the ticket's tag).
    pub follow_ups: i64,
    /// The same message received again (e.g. in both mailboxes).
    pub duplicates: i64,
    /// Tickets forwarded to a unit and not answered by the end of the month.
    pub open_at_month_end: i64,
    pub units: Vec<UnitTickets>,
}

fn pct(n: i64, of: i64) -> f64 {
    if of <= 0 {
        0.0
    } else {
        (n as f64 * 1000.0 / of as f64).round() / 10.0
    }
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = if v.len() % 2 == 1 {
        v[v.len() / 2]
    } else {
        (v[v.len() / 2 - 1] + v[v.len() / 2]) / 2.0
    };
    Some((m * 10.0).round() / 10.0)
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

pub fn stats(
    store: &Store,
    mailbox: &str,
    month: Month,
    tz: chrono_tz::Tz,
) -> Result<TicketStats, ReportError> {
    let (from, to) = (month.start(tz), month.end(tz));
    let (tickets, relations) = store.report_tickets(&ReportScope { mailbox, from, to })?;
    let mut s = TicketStats {
        opened: tickets.len() as i64,
        follow_ups: relations.get("follow-up").copied().unwrap_or(0),
        duplicates: relations.get("duplicate").copied().unwrap_or(0),
        ..TicketStats::default()
    };
    let mut units: BTreeMap<String, (UnitTickets, Vec<f64>)> = BTreeMap::new();
    let mut all_hours = Vec::new();
    for t in &tickets {
        let (unit, opened, answered) = (&t.unit, &t.opened_at, &t.answered_at);
        let Some(unit) = unit else { continue };
        s.escalated += 1;
        let e = units.entry(unit.clone()).or_insert_with(|| {
            (
                UnitTickets {
                    unit: unit.clone(),
                    ..UnitTickets::default()
                },
                Vec::new(),
            )
        });
        e.0.forwarded += 1;
        let answered_at = answered.as_deref().and_then(parse);
        match (answered_at, parse(opened)) {
            (Some(a), Some(o)) => {
                s.answered += 1;
                e.0.answered += 1;
                let h = (a - o).num_minutes() as f64 / 60.0;
                e.1.push(h);
                all_hours.push(h);
                if a >= to {
                    s.open_at_month_end += 1;
                }
            }
            _ => s.open_at_month_end += 1,
        }
    }
    s.escalated_percent = pct(s.escalated, s.opened);
    s.answered_percent = pct(s.answered, s.escalated);
    s.median_answer_hours = median(all_hours);
    s.units = units
        .into_values()
        .map(|(mut u, hours)| {
            u.answered_percent = pct(u.answered, u.forwarded);
            u.median_answer_hours = median(hours);
            u
        })
        .collect();
    Ok(s)
}

/// Several mailboxes' ticket figures added up, per unit too; the medians are not added up
/// (they stay per mailbox).
pub fn combine<'a>(all: impl Iterator<Item = &'a TicketStats>) -> TicketStats {
    let mut s = TicketStats::default();
    let mut units: BTreeMap<String, UnitTickets> = BTreeMap::new();
    for t in all {
        s.opened += t.opened;
        s.escalated += t.escalated;
        s.answered += t.answered;
        s.follow_ups += t.follow_ups;
        s.duplicates += t.duplicates;
        s.open_at_month_end += t.open_at_month_end;
        for u in &t.units {
            let e = units.entry(u.unit.clone()).or_insert_with(|| UnitTickets {
                unit: u.unit.clone(),
                ..UnitTickets::default()
            });
            e.forwarded += u.forwarded;
            e.answered += u.answered;
        }
    }
    s.escalated_percent = pct(s.escalated, s.opened);
    s.answered_percent = pct(s.answered, s.escalated);
    s.units = units
        .into_values()
        .map(|mut u| {
            u.answered_percent = pct(u.answered, u.forwarded);
            u
        })
        .collect();
    s
}
