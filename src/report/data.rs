//! The figures of the report, read from the records (and from imported past counts).

use super::import::CategoryRows;
use super::{change_phrase, import, Month, ReportError};
use crate::classify::rules::RuleSet;
use crate::config::Config;
use crate::hours::{ServiceHours, Zone};
use crate::parse::domain_of;
use crate::region::Region;
use crate::store::{ReportScope, Store};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// How many regions the report lists.
pub const TOP_REGIONS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct CategoryCount {
    pub id: String,
    pub label: String,
    pub count: i64,
    /// Of the month's total, one decimal.
    pub percent: f64,
}

/// A month's total, for the comparisons.
#[derive(Debug, Clone, Serialize)]
pub struct MonthTotal {
    /// `YYYY-MM`.
    pub month: String,
    /// "Februari 2024".
    pub label: String,
    pub total: i64,
    /// The figure was imported (`pilah report import`), not counted by pilah.
    pub imported: bool,
    /// The month's breakdown (for the CSV; the JSON keeps the comparisons to their totals).
    #[serde(skip)]
    pub categories: Vec<CategoryCount>,
}

/// The comparisons in the report's own wording.
#[derive(Debug, Clone, Serialize)]
pub struct Comparisons {
    /// "meningkat 21% dibandingkan bulan sebelumnya (131)".
    pub previous_month: String,
    /// "menurun 67% dibandingkan Maret 2023 (489)".
    pub same_month_last_year: String,
}

/// Machine mail (outside the total), by kind.
#[derive(Debug, Clone, Serialize)]
pub struct MachineCount {
    pub total: i64,
    pub kinds: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegionCount {
    pub code: String,
    /// "Prov. Sumatera Utara", "Kab. Cilacap".
    pub name: String,
    pub province: String,
    /// WIB, WITA or WIT.
    pub timezone: String,
    pub count: i64,
}

/// The Pemda that wrote.
#[derive(Debug, Clone, Serialize)]
pub struct RegionStats {
    /// The regions that wrote most, largest first.
    pub top: Vec<RegionCount>,
    /// Messages from Pemda.
    pub pemda_messages: i64,
    /// Messages from Pemda whose region is known.
    pub known: i64,
    /// How many different regions wrote.
    pub distinct: i64,
}

/// One kind of sender: Pemda, ministries and agencies, academics, others.
#[derive(Debug, Clone, Serialize)]
pub struct SenderGroup {
    /// `pemda`, `kementerian-lembaga`, `akademisi`, `lainnya`.
    pub id: String,
    pub label: String,
    pub messages: i64,
    /// Different sender addresses.
    pub senders: i64,
    /// Share of the month's messages, one decimal.
    pub percent: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneHours {
    pub zone: String,
    pub inside: i64,
    pub outside: i64,
}

/// Messages inside and outside service hours, read on the clock of the sender's zone.
#[derive(Debug, Clone, Serialize)]
pub struct HoursStats {
    /// "Senin–Jumat 08.00–17.00".
    pub hours: String,
    pub days: Vec<String>,
    pub start: String,
    pub end: String,
    /// Holidays of the month, from the holidays file.
    pub holidays: Vec<Holiday>,
    pub inside: i64,
    pub outside: i64,
    /// WIB, WITA, WIT, in that order.
    pub zones: Vec<ZoneHours>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Holiday {
    pub date: String,
    pub name: String,
}

/// Forwards to one unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitForwards {
    pub unit: String,
    pub name: String,
    /// Messages forwarded (queued) to the unit.
    pub forwarded: i64,
    /// Of which the forward was sent.
    pub sent: i64,
}

/// Time from arrival (INTERNALDATE) to an outgoing mail sent, over the month's messages.
#[derive(Debug, Clone, Serialize)]
pub struct Delay {
    /// Messages measured (those whose mail was sent).
    pub count: i64,
    pub median_seconds: Option<i64>,
    /// 90th percentile (nearest rank).
    pub p90_seconds: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Routing {
    /// Messages forwarded to at least one unit.
    pub forwarded: i64,
    /// Of the messages pilah recorded this month, one decimal.
    pub forwarded_percent: f64,
    /// Messages whose acknowledgement was sent.
    pub acknowledged: i64,
    /// Largest first.
    pub units: Vec<UnitForwards>,
    pub to_forward: Delay,
    pub to_acknowledgement: Delay,
}

/// One mailbox's report of one month.
#[derive(Debug, Clone, Serialize)]
pub struct MailboxReport {
    pub mailbox: String,
    /// The mailbox's address.
    pub address: String,
    /// `YYYY-MM`.
    pub month: String,
    /// "Maret 2024".
    pub month_label: String,
    /// The time zone months are counted in (`Asia/Jakarta`).
    pub timezone: String,
    /// New messages from people (spam included; machine mail, quarantine, PICs' answers,
    /// follow-ups and duplicates not).
    pub total: i64,
    /// The month's total and categories come from imported counts.
    pub imported: bool,
    pub previous_month: MonthTotal,
    pub same_month_last_year: MonthTotal,
    pub comparisons: Comparisons,
    /// Largest first.
    pub categories: Vec<CategoryCount>,
    pub machine: MachineCount,
    pub quarantined: i64,
    /// Answers of PICs that came back to the mailbox (reply-all): not contacts.
    pub pic_answers: i64,
    /// Tickets: escalated to units, answered, follow-ups, still open.
    pub tickets: super::tickets::TicketStats,
    /// Which rules sets (by version hash) judged the month's messages, and how many each.
    pub rules_versions: BTreeMap<String, i64>,
    pub regions: RegionStats,
    pub senders: Vec<SenderGroup>,
    pub service_hours: HoursStats,
    pub routing: Routing,
}

pub(crate) fn pct(n: i64, of: i64) -> f64 {
    if of <= 0 {
        0.0
    } else {
        ((n as f64) * 1000.0 / of as f64).round() / 10.0
    }
}

/// A message from a person, as the report reads it.
type Row = crate::store::ReportPerson;

/// Where the messages of one mailbox and month are.
struct Scope<'a> {
    store: &'a Store,
    mailbox: &'a str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

impl Scope<'_> {
    fn scope(&self) -> ReportScope<'_> {
        ReportScope {
            mailbox: self.mailbox,
            from: self.from,
            to: self.to,
        }
    }

    fn people(&self) -> Result<Vec<Row>, ReportError> {
        Ok(self.store.report_people(&self.scope())?)
    }

    /// People's messages per category, largest first.
    fn categories(&self) -> Result<Vec<(String, i64)>, ReportError> {
        Ok(self.store.report_categories(&self.scope())?)
    }

    /// The rules versions that judged the messages.
    fn rules_versions(&self) -> Result<BTreeMap<String, i64>, ReportError> {
        Ok(self.store.report_rules_versions(&self.scope())?)
    }

    /// Machine mail by kind, quarantined, PICs' answers.
    fn apart(&self) -> Result<(BTreeMap<String, i64>, i64, i64), ReportError> {
        let a = self.store.report_apart(&self.scope())?;
        Ok((a.machine, a.quarantined, a.pic_answers))
    }

    /// (message, kind, unit, sent_at) of the forwards and acknowledgements of people's mail.
    #[allow(clippy::type_complexity)]
    fn outgoing(
        &self,
    ) -> Result<Vec<(i64, String, Option<String>, Option<DateTime<Utc>>)>, ReportError> {
        Ok(self
            .store
            .report_mail(&self.scope())?
            .into_iter()
            .map(|m| (m.message, m.kind, m.unit, m.sent_at))
            .collect())
    }
}

/// The kinds of sender, in the report's order.
pub const SENDER_GROUPS: [(&str, &str); 4] = [
    ("pemda", "Pemda"),
    ("kementerian-lembaga", "Kementerian/Lembaga"),
    ("akademisi", "Akademisi"),
    ("lainnya", "Lainnya"),
];

/// A regional government's own domain even when `regions.csv` does not list it:
/// `<name>kab.go.id`, `<name>kota.go.id`, `<name>prov.go.id` (and their subdomains).
fn regional_domain(domain: &str) -> bool {
    let Some(rest) = domain.strip_suffix(".go.id") else {
        return false;
    };
    let label = rest.rsplit('.').next().unwrap_or(rest);
    label.len() > 4
        && (label.ends_with("kab") || label.ends_with("kota") || label.ends_with("prov"))
}

/// 0 Pemda, 1 ministries and agencies, 2 academics, 3 others. `region`: a region was
/// recorded for the message; `region_source`: how it was found.
fn sender_group(sender: Option<&str>, region: bool, region_source: Option<&str>) -> usize {
    let domain = sender
        .and_then(domain_of)
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
        .unwrap_or_default();
    let gov = domain == "go.id" || domain.ends_with(".go.id");
    if domain.ends_with(".ac.id") {
        2
    } else if (region && region_source == Some("domain")) || regional_domain(&domain) {
        0
    } else if gov {
        1
    } else if region {
        // A personal account (gmail.com, yahoo.co.id) whose subject, attachment or
        // signature names the region.
        0
    } else {
        3
    }
}

/// Median (mean of the middle two) and 90th percentile (nearest rank), in seconds.
fn delay(mut v: Vec<i64>) -> Delay {
    v.sort_unstable();
    let n = v.len();
    if n == 0 {
        return Delay {
            count: 0,
            median_seconds: None,
            p90_seconds: None,
        };
    }
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    };
    let rank = ((0.9 * n as f64).ceil() as usize).clamp(1, n);
    Delay {
        count: n as i64,
        median_seconds: Some(median),
        p90_seconds: Some(v[rank - 1]),
    }
}

/// A month's total and categories: imported counts when there are some for the month,
/// pilah's own count otherwise.
fn month_figures(
    store: &Store,
    mailbox: &str,
    month: Month,
    tz: chrono_tz::Tz,
) -> Result<(i64, CategoryRows, bool), ReportError> {
    if let Some(imp) = import::imported(store, mailbox, month)? {
        return Ok((imp.total, imp.categories, true));
    }
    let scope = Scope {
        store,
        mailbox,
        from: month.start(tz),
        to: month.end(tz),
    };
    let cats = scope.categories()?;
    let total = cats.iter().map(|(_, c)| c).sum();
    Ok((
        total,
        cats.into_iter().map(|(id, c)| (id, None, c)).collect(),
        false,
    ))
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
    let regions: HashMap<&str, &Region> = rules
        .map(|r| {
            r.regions
                .regions
                .iter()
                .map(|x| (x.code.as_str(), x))
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for m in &config.mailboxes {
        let name = m.name.as_str();
        if only.is_some_and(|o| o != name) {
            continue;
        }
        let scope = Scope {
            store,
            mailbox: name,
            from: month.start(tz),
            to: month.end(tz),
        };
        let (total, cats, imported) = month_figures(store, name, month, tz)?;
        let total_of = |mo: Month| -> Result<MonthTotal, ReportError> {
            let (total, cats, imported) = month_figures(store, name, mo, tz)?;
            Ok(MonthTotal {
                month: mo.id(),
                label: mo.label(),
                total,
                imported,
                categories: breakdown(cats, total, rules),
            })
        };
        let previous_month = total_of(month.previous())?;
        let same_month_last_year = total_of(month.year_before())?;
        let comparisons = Comparisons {
            previous_month: change_phrase(total, previous_month.total, "bulan sebelumnya"),
            same_month_last_year: change_phrase(
                total,
                same_month_last_year.total,
                &month.year_before().label(),
            ),
        };
        let categories = breakdown(cats, total, rules);

        let (machine, quarantined, pic_answers) = scope.apart()?;
        let people = scope.people()?;

        // Senders, regions, service hours.
        let mut groups: [(i64, BTreeSet<String>); 4] = Default::default();
        let mut by_region: HashMap<String, i64> = HashMap::new();
        let mut pemda_known = 0;
        let mut zones: BTreeMap<Zone, (i64, i64)> =
            Zone::ALL.iter().map(|z| (*z, (0, 0))).collect();
        for r in &people {
            let region = r.region.as_deref().and_then(|c| regions.get(c).copied());
            let g = sender_group(
                r.sender.as_deref(),
                r.region.is_some(),
                r.region_source.as_deref(),
            );
            groups[g].0 += 1;
            if let Some(s) = &r.sender {
                groups[g].1.insert(s.to_ascii_lowercase());
            }
            let mut zone = Zone::Wib;
            if g == 0 {
                if let Some(code) = &r.region {
                    pemda_known += 1;
                    *by_region.entry(code.clone()).or_default() += 1;
                    if let Some(z) = region.and_then(|x| Zone::parse(&x.timezone)) {
                        zone = z;
                    }
                }
            }
            if let Some(t) = r.internal_date {
                let e = zones.entry(zone).or_default();
                if config.service_hours.is_open(t, zone) {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
            }
        }
        let recorded_people = people.len() as i64;
        let senders = SENDER_GROUPS
            .iter()
            .zip(groups.iter())
            .map(|((id, label), (n, set))| SenderGroup {
                id: id.to_string(),
                label: label.to_string(),
                messages: *n,
                senders: set.len() as i64,
                percent: pct(*n, recorded_people),
            })
            .collect();
        let mut top: Vec<RegionCount> = by_region
            .iter()
            .map(|(code, n)| {
                let r = regions.get(code.as_str());
                RegionCount {
                    code: code.clone(),
                    name: r.map(|r| r.display_name()).unwrap_or_else(|| code.clone()),
                    province: r.map(|r| r.province_name.clone()).unwrap_or_default(),
                    timezone: r.map(|r| r.timezone.clone()).unwrap_or_default(),
                    count: *n,
                }
            })
            .collect();
        top.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        let distinct = top.len() as i64;
        top.truncate(TOP_REGIONS);
        let regions_stats = RegionStats {
            top,
            pemda_messages: groups[0].0,
            known: pemda_known,
            distinct,
        };
        let service_hours = hours_stats(&config.service_hours, month, &zones);

        // Routing.
        let outgoing = scope.outgoing()?;
        let arrival: HashMap<i64, DateTime<Utc>> = people
            .iter()
            .filter_map(|r| r.internal_date.map(|t| (r.id, t)))
            .collect();
        let mut units: BTreeMap<String, (BTreeSet<i64>, BTreeSet<i64>)> = BTreeMap::new();
        let mut forwarded = BTreeSet::new();
        let mut first_forward: HashMap<i64, DateTime<Utc>> = HashMap::new();
        let mut first_ack: HashMap<i64, DateTime<Utc>> = HashMap::new();
        for (id, kind, unit, sent) in &outgoing {
            if kind == "forward" {
                forwarded.insert(*id);
                let e = units.entry(unit.clone().unwrap_or_default()).or_default();
                e.0.insert(*id);
                if let Some(t) = sent {
                    e.1.insert(*id);
                    let f = first_forward.entry(*id).or_insert(*t);
                    *f = (*f).min(*t);
                }
            } else if let Some(t) = sent {
                let f = first_ack.entry(*id).or_insert(*t);
                *f = (*f).min(*t);
            }
        }
        let waits = |first: &HashMap<i64, DateTime<Utc>>| -> Vec<i64> {
            first
                .iter()
                .filter_map(|(id, sent)| arrival.get(id).map(|a| (*sent - *a).num_seconds().max(0)))
                .collect()
        };
        let mut unit_list: Vec<UnitForwards> = units
            .into_iter()
            .map(|(unit, (all, sent))| UnitForwards {
                name: rules
                    .and_then(|r| r.units.get(&unit))
                    .map(|u| u.name.clone())
                    .unwrap_or_else(|| unit.clone()),
                unit,
                forwarded: all.len() as i64,
                sent: sent.len() as i64,
            })
            .collect();
        unit_list.sort_by(|a, b| {
            b.forwarded
                .cmp(&a.forwarded)
                .then_with(|| a.unit.cmp(&b.unit))
        });
        let routing = Routing {
            forwarded: forwarded.len() as i64,
            forwarded_percent: pct(forwarded.len() as i64, recorded_people),
            acknowledged: first_ack.len() as i64,
            units: unit_list,
            to_forward: delay(waits(&first_forward)),
            to_acknowledgement: delay(waits(&first_ack)),
        };

        out.push(MailboxReport {
            mailbox: name.to_string(),
            address: m.address.clone(),
            month: month.id(),
            month_label: month.label(),
            timezone: tz.name().to_string(),
            total,
            imported,
            previous_month,
            same_month_last_year,
            comparisons,
            categories,
            machine: MachineCount {
                total: machine.values().sum(),
                kinds: machine,
            },
            quarantined,
            pic_answers,
            tickets: super::tickets::stats(store, name, month, tz)?,
            rules_versions: scope.rules_versions()?,
            regions: regions_stats,
            senders,
            service_hours,
            routing,
        });
    }
    Ok(out)
}

/// Categories with their labels and percentages, largest first (the part of an imported
/// total without a category last among equals).
fn breakdown(cats: CategoryRows, total: i64, rules: Option<&RuleSet>) -> Vec<CategoryCount> {
    let label_of = |id: &str, imported_label: Option<String>| -> String {
        if id.is_empty() {
            return "Tanpa rincian kategori".to_string();
        }
        rules
            .and_then(|r| r.label(id))
            .map(str::to_string)
            .or(imported_label)
            .unwrap_or_else(|| id.to_string())
    };
    let mut categories: Vec<CategoryCount> = cats
        .into_iter()
        .map(|(id, label, count)| CategoryCount {
            label: label_of(&id, label),
            percent: pct(count, total),
            id,
            count,
        })
        .collect();
    categories.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.id.is_empty().cmp(&b.id.is_empty()))
            .then_with(|| a.label.cmp(&b.label))
    });
    categories
}

fn hours_stats(h: &ServiceHours, month: Month, zones: &BTreeMap<Zone, (i64, i64)>) -> HoursStats {
    HoursStats {
        hours: h.describe(),
        days: h.day_names().into_iter().map(String::from).collect(),
        start: h.start.format("%H:%M").to_string(),
        end: h.end.format("%H:%M").to_string(),
        holidays: h
            .holidays_between(month.first_day(), month.next().first_day())
            .into_iter()
            .map(|(d, n)| Holiday {
                date: d.to_string(),
                name: n.to_string(),
            })
            .collect(),
        inside: zones.values().map(|z| z.0).sum(),
        outside: zones.values().map(|z| z.1).sum(),
        zones: Zone::ALL
            .iter()
            .map(|z| {
                let (inside, outside) = zones.get(z).copied().unwrap_or_default();
                ZoneHours {
                    zone: z.as_str().to_string(),
                    inside,
                    outside,
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_sender() {
        assert!(regional_domain("bpkad.cilacapkab.go.id"));
        assert!(regional_domain("jatimprov.go.id"));
        assert!(regional_domain("dumaikota.go.id"));
        assert!(!regional_domain("kemendagri.go.id"));
        assert!(!regional_domain("kab.go.id"));
        assert_eq!(sender_group(Some("a@kemendagri.go.id"), false, None), 1);
        // A ministry writing about a region is still a ministry.
        assert_eq!(
            sender_group(Some("a@kemendagri.go.id"), true, Some("subject")),
            1
        );
        assert_eq!(
            sender_group(Some("a@jakarta.go.id"), true, Some("domain")),
            0
        );
        assert_eq!(sender_group(Some("a@ugm.ac.id"), false, None), 2);
        assert_eq!(sender_group(Some("a@gmail.com"), false, None), 3);
        assert_eq!(sender_group(Some("a@gmail.com"), true, Some("body")), 0);
        assert_eq!(sender_group(Some("a@bpkad.xyzkab.go.id"), false, None), 0);
        assert_eq!(sender_group(None, false, None), 3);
    }

    #[test]
    fn median_and_90th_percentile() {
        let d = delay(vec![10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(d.median_seconds, Some(55));
        assert_eq!(d.p90_seconds, Some(90));
        let d = delay(vec![5]);
        assert_eq!((d.median_seconds, d.p90_seconds), (Some(5), Some(5)));
        let d = delay(vec![3, 1, 2]);
        assert_eq!((d.median_seconds, d.p90_seconds), (Some(2), Some(3)));
        assert_eq!(delay(vec![]).count, 0);
        assert_eq!(pct(84, 160), 52.5);
        assert_eq!(pct(1, 0), 0.0);
    }
}
