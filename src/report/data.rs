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

/// How many months the trend shows, the report's month last.
pub const TREND_MONTHS: usize = 12;

#[derive(Debug, Clone, Serialize)]
pub struct CategoryCount {
    pub id: String,
    pub label: String,
    pub count: i64,
    /// Of the month's total, one decimal.
    pub percent: f64,
    /// The previous month's count, when the previous month is known per category (counted
    /// by pilah, or imported with a complete breakdown).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<i64>,
}

impl CategoryCount {
    /// This month's count less the previous month's, when that is known.
    pub fn change(&self) -> Option<i64> {
        self.previous.map(|p| self.count - p)
    }
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

impl MonthTotal {
    /// Count per category id, when the month has any message and every one of them has a
    /// category (not an imported total without a complete breakdown).
    pub fn by_category(&self) -> Option<HashMap<&str, i64>> {
        if self.total == 0 || self.categories.iter().any(|c| c.id.is_empty()) {
            return None;
        }
        Some(
            self.categories
                .iter()
                .map(|c| (c.id.as_str(), c.count))
                .collect(),
        )
    }
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

/// The messages of the Pemda of one province: the province's own and its regencies' and
/// cities'.
#[derive(Debug, Clone, Serialize)]
pub struct ProvinceCount {
    /// The province's code in `regions.csv` ("33").
    pub code: String,
    /// "Jawa Tengah".
    pub name: String,
    pub count: i64,
    /// How many different regions of the province wrote.
    pub regions: i64,
}

/// The Pemda that wrote.
#[derive(Debug, Clone, Serialize)]
pub struct RegionStats {
    /// The regions that wrote most, largest first.
    pub top: Vec<RegionCount>,
    /// Every region's messages added up per province, largest first.
    pub provinces: Vec<ProvinceCount>,
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
    /// Largest first, each with its previous month's count when known.
    pub categories: Vec<CategoryCount>,
    /// Categories of the previous month with no message this month (count 0).
    pub gone_categories: Vec<CategoryCount>,
    /// The twelve months up to the report's month, oldest first (imported where imported).
    pub trend: Vec<MonthTotal>,
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
    /// New messages a person put in another category than the rules had (the counts above
    /// are the final categories).
    pub corrections: super::corrections::Corrections,
}

/// The report of one month: each mailbox's, and their figures added up.
#[derive(Debug, Clone)]
pub struct Report {
    pub month: Month,
    pub mailboxes: Vec<MailboxReport>,
    /// When the report covers two mailboxes or more.
    pub combined: Option<Combined>,
}

impl Report {
    /// Some figure of the report was imported.
    pub fn any_imported(&self) -> bool {
        self.mailboxes.iter().any(|r| r.counts().any_imported())
    }
}

/// The mailboxes together: what the contact center reports for the e-mail channel.
#[derive(Debug, Clone, Serialize)]
pub struct Combined {
    /// The mailboxes added up, in the config's order.
    pub mailboxes: Vec<String>,
    pub month: String,
    pub month_label: String,
    pub total: i64,
    /// Some mailbox's month was imported.
    pub imported: bool,
    pub previous_month: MonthTotal,
    pub same_month_last_year: MonthTotal,
    pub comparisons: Comparisons,
    pub categories: Vec<CategoryCount>,
    pub gone_categories: Vec<CategoryCount>,
    pub trend: Vec<MonthTotal>,
    /// Outside the total.
    pub machine: i64,
    pub quarantined: i64,
    pub pic_answers: i64,
    pub tickets: super::tickets::TicketStats,
}

/// The counts a page shows for a mailbox or for the mailboxes together: the month's total,
/// its comparisons, the categories with their change, the trend.
#[derive(Debug, Clone, Copy)]
pub struct Counts<'a> {
    pub month_label: &'a str,
    pub total: i64,
    pub imported: bool,
    pub previous_month: &'a MonthTotal,
    pub same_month_last_year: &'a MonthTotal,
    pub comparisons: &'a Comparisons,
    pub categories: &'a [CategoryCount],
    pub gone_categories: &'a [CategoryCount],
    pub trend: &'a [MonthTotal],
    pub tickets: &'a super::tickets::TicketStats,
}

impl Counts<'_> {
    /// Some figure shown with these counts was imported.
    pub fn any_imported(&self) -> bool {
        self.imported
            || self.previous_month.imported
            || self.same_month_last_year.imported
            || self.trend.iter().any(|t| t.imported)
    }
}

impl MailboxReport {
    pub fn counts(&self) -> Counts<'_> {
        Counts {
            month_label: &self.month_label,
            total: self.total,
            imported: self.imported,
            previous_month: &self.previous_month,
            same_month_last_year: &self.same_month_last_year,
            comparisons: &self.comparisons,
            categories: &self.categories,
            gone_categories: &self.gone_categories,
            trend: &self.trend,
            tickets: &self.tickets,
        }
    }
}

impl Combined {
    pub fn counts(&self) -> Counts<'_> {
        Counts {
            month_label: &self.month_label,
            total: self.total,
            imported: self.imported,
            previous_month: &self.previous_month,
            same_month_last_year: &self.same_month_last_year,
            comparisons: &self.comparisons,
            categories: &self.categories,
            gone_categories: &self.gone_categories,
            trend: &self.trend,
            tickets: &self.tickets,
        }
    }
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

    /// The forwards and acknowledgements of people's mail.
    fn outgoing(&self) -> Result<Vec<crate::store::ReportMail>, ReportError> {
        Ok(self.store.report_mail(&self.scope())?)
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

/// What every mailbox's report reads besides the store: the config's zone and hours, the
/// rules' labels and regions, the month.
struct Context<'a> {
    config: &'a Config,
    store: &'a Store,
    rules: Option<&'a RuleSet>,
    regions: HashMap<&'a str, &'a Region>,
    month: Month,
}

impl Context<'_> {
    /// One month's total with its categories.
    fn month_total(&self, mailbox: &str, mo: Month) -> Result<MonthTotal, ReportError> {
        let (total, cats, imported) = month_figures(self.store, mailbox, mo, self.config.timezone)?;
        Ok(MonthTotal {
            month: mo.id(),
            label: mo.label(),
            total,
            imported,
            categories: breakdown(cats, total, self.rules),
        })
    }
}

/// Builds the report of one month for every configured mailbox (or one), and their
/// combined figures when there are two or more.
pub fn build(
    config: &Config,
    store: &Store,
    rules: Option<&RuleSet>,
    month: Month,
    only: Option<&str>,
) -> Result<Report, ReportError> {
    let regions: HashMap<&str, &Region> = rules
        .map(|r| {
            r.regions
                .regions
                .iter()
                .map(|x| (x.code.as_str(), x))
                .collect()
        })
        .unwrap_or_default();
    let cx = Context {
        config,
        store,
        rules,
        regions,
        month,
    };
    let mut mailboxes = Vec::new();
    for m in &config.mailboxes {
        if only.is_some_and(|o| o != m.name.as_str()) {
            continue;
        }
        mailboxes.push(mailbox_report(&cx, m)?);
    }
    let combined = (mailboxes.len() > 1).then(|| combine(&mailboxes, month));
    Ok(Report {
        month,
        mailboxes,
        combined,
    })
}

/// The month's counts of one mailbox: total, categories with their change, the comparisons
/// and the trend.
struct MonthCounts {
    current: MonthTotal,
    categories: Vec<CategoryCount>,
    gone_categories: Vec<CategoryCount>,
    previous_month: MonthTotal,
    same_month_last_year: MonthTotal,
    comparisons: Comparisons,
    trend: Vec<MonthTotal>,
}

fn counts(cx: &Context, mailbox: &str) -> Result<MonthCounts, ReportError> {
    let month = cx.month;
    let mut trend = Vec::with_capacity(TREND_MONTHS);
    let mut mo = month;
    for _ in 0..TREND_MONTHS {
        trend.push(cx.month_total(mailbox, mo)?);
        mo = mo.previous();
    }
    trend.reverse();
    let current = trend[TREND_MONTHS - 1].clone();
    let previous_month = trend[TREND_MONTHS - 2].clone();
    let same_month_last_year = cx.month_total(mailbox, month.year_before())?;
    Ok(counts_of(
        current,
        previous_month,
        same_month_last_year,
        trend,
    ))
}

/// The comparisons and the categories' changes of a month against the months before.
fn counts_of(
    current: MonthTotal,
    previous_month: MonthTotal,
    same_month_last_year: MonthTotal,
    trend: Vec<MonthTotal>,
) -> MonthCounts {
    let comparisons = Comparisons {
        previous_month: change_phrase(current.total, previous_month.total, "bulan sebelumnya"),
        same_month_last_year: change_phrase(
            current.total,
            same_month_last_year.total,
            &same_month_last_year.label,
        ),
    };
    let mut categories = current.categories.clone();
    let gone_categories = with_changes(&mut categories, &previous_month);
    MonthCounts {
        current,
        categories,
        gone_categories,
        previous_month,
        same_month_last_year,
        comparisons,
        trend,
    }
}

/// Sets each category's count of last month when last month is known per category, and
/// returns last month's categories that have none this month (count 0), largest first.
fn with_changes(categories: &mut [CategoryCount], previous: &MonthTotal) -> Vec<CategoryCount> {
    let Some(before) = previous.by_category() else {
        return Vec::new();
    };
    for c in categories.iter_mut() {
        c.previous = Some(before.get(c.id.as_str()).copied().unwrap_or(0));
    }
    previous
        .categories
        .iter()
        .filter(|p| p.count > 0 && !categories.iter().any(|c| c.id == p.id))
        .map(|p| CategoryCount {
            id: p.id.clone(),
            label: p.label.clone(),
            count: 0,
            percent: 0.0,
            previous: Some(p.count),
        })
        .collect()
}

/// One mailbox's report.
fn mailbox_report(
    cx: &Context,
    m: &crate::config::MailboxConfig,
) -> Result<MailboxReport, ReportError> {
    let name = m.name.as_str();
    let tz = cx.config.timezone;
    let scope = Scope {
        store: cx.store,
        mailbox: name,
        from: cx.month.start(tz),
        to: cx.month.end(tz),
    };
    let c = counts(cx, name)?;
    let (machine, quarantined, pic_answers) = scope.apart()?;
    let people = scope.people()?;
    let who = senders_regions_hours(cx, &people);
    let routing = routing(cx, &people, &scope.outgoing()?);
    let corrections =
        super::corrections::corrections(cx.store, cx.rules, &scope.scope(), c.current.total)?;
    Ok(MailboxReport {
        mailbox: name.to_string(),
        address: m.address.clone(),
        month: cx.month.id(),
        month_label: cx.month.label(),
        timezone: tz.name().to_string(),
        total: c.current.total,
        imported: c.current.imported,
        previous_month: c.previous_month,
        same_month_last_year: c.same_month_last_year,
        comparisons: c.comparisons,
        categories: c.categories,
        gone_categories: c.gone_categories,
        trend: c.trend,
        machine: MachineCount {
            total: machine.values().sum(),
            kinds: machine,
        },
        quarantined,
        pic_answers,
        tickets: super::tickets::stats(cx.store, name, cx.month, tz)?,
        rules_versions: scope.rules_versions()?,
        regions: who.regions,
        senders: who.senders,
        service_hours: who.service_hours,
        routing,
        corrections,
    })
}

/// Who wrote and when: the kinds of sender, the regions, service hours.
struct Who {
    senders: Vec<SenderGroup>,
    regions: RegionStats,
    service_hours: HoursStats,
}

fn senders_regions_hours(cx: &Context, people: &[Row]) -> Who {
    let mut groups: [(i64, BTreeSet<String>); 4] = Default::default();
    let mut by_region: HashMap<String, i64> = HashMap::new();
    let mut pemda_known = 0;
    let mut zones: BTreeMap<Zone, (i64, i64)> = Zone::ALL.iter().map(|z| (*z, (0, 0))).collect();
    for r in people {
        let region = r.region.as_deref().and_then(|c| cx.regions.get(c).copied());
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
            if cx.config.service_hours.is_open(t, zone) {
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
    Who {
        senders,
        regions: region_stats(cx, &by_region, groups[0].0, pemda_known),
        service_hours: hours_stats(&cx.config.service_hours, cx.month, &zones),
    }
}

/// The regions that wrote most, and all of them rolled up by province.
fn region_stats(
    cx: &Context,
    by_region: &HashMap<String, i64>,
    pemda_messages: i64,
    known: i64,
) -> RegionStats {
    let mut top: Vec<RegionCount> = by_region
        .iter()
        .map(|(code, n)| {
            let r = cx.regions.get(code.as_str());
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
    let provinces = provinces(&cx.regions, by_region);
    top.truncate(TOP_REGIONS);
    RegionStats {
        top,
        provinces,
        pemda_messages,
        known,
        distinct,
    }
}

/// The regions' messages added up per province (the province's own government and its
/// regencies and cities), largest first. A code `regions.csv` does not know is its own line.
fn provinces(
    regions: &HashMap<&str, &Region>,
    by_region: &HashMap<String, i64>,
) -> Vec<ProvinceCount> {
    let mut out: BTreeMap<String, ProvinceCount> = BTreeMap::new();
    for (code, n) in by_region {
        let r = regions.get(code.as_str());
        let key = r
            .map(|r| r.province_code.clone())
            .unwrap_or_else(|| code.clone());
        let e = out.entry(key.clone()).or_insert_with(|| ProvinceCount {
            name: r
                .map(|r| r.province_name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| code.clone()),
            code: key,
            count: 0,
            regions: 0,
        });
        e.count += n;
        e.regions += 1;
    }
    let mut v: Vec<ProvinceCount> = out.into_values().collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    v
}

/// Forwards per unit, and the time to the first forward and acknowledgement sent.
fn routing(cx: &Context, people: &[Row], outgoing: &[crate::store::ReportMail]) -> Routing {
    let arrival: HashMap<i64, DateTime<Utc>> = people
        .iter()
        .filter_map(|r| r.internal_date.map(|t| (r.id, t)))
        .collect();
    let mut units: BTreeMap<String, (BTreeSet<i64>, BTreeSet<i64>)> = BTreeMap::new();
    let mut forwarded = BTreeSet::new();
    let mut first_forward: HashMap<i64, DateTime<Utc>> = HashMap::new();
    let mut first_ack: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for o in outgoing {
        if o.kind == "forward" {
            forwarded.insert(o.message);
            let e = units.entry(o.unit.clone().unwrap_or_default()).or_default();
            e.0.insert(o.message);
            if let Some(t) = o.sent_at {
                e.1.insert(o.message);
                let f = first_forward.entry(o.message).or_insert(t);
                *f = (*f).min(t);
            }
        } else if let Some(t) = o.sent_at {
            let f = first_ack.entry(o.message).or_insert(t);
            *f = (*f).min(t);
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
            name: cx
                .rules
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
    Routing {
        forwarded: forwarded.len() as i64,
        forwarded_percent: pct(forwarded.len() as i64, people.len() as i64),
        acknowledged: first_ack.len() as i64,
        units: unit_list,
        to_forward: delay(waits(&first_forward)),
        to_acknowledgement: delay(waits(&first_ack)),
    }
}

/// Months added up across mailboxes: totals, and categories by id (a month is imported
/// when any mailbox's is).
fn sum_months(months: &[&MonthTotal]) -> MonthTotal {
    let first = months.first();
    let total: i64 = months.iter().map(|m| m.total).sum();
    let mut cats: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for c in months.iter().flat_map(|m| &m.categories) {
        let e = cats.entry(c.id.clone()).or_insert((c.label.clone(), 0));
        e.1 += c.count;
    }
    let mut categories: Vec<CategoryCount> = cats
        .into_iter()
        .map(|(id, (label, count))| CategoryCount {
            id,
            label,
            count,
            percent: pct(count, total),
            previous: None,
        })
        .collect();
    sort_categories(&mut categories);
    MonthTotal {
        month: first.map(|m| m.month.clone()).unwrap_or_default(),
        label: first.map(|m| m.label.clone()).unwrap_or_default(),
        total,
        imported: months.iter().any(|m| m.imported),
        categories,
    }
}

/// The mailboxes' figures added up.
fn combine(reports: &[MailboxReport], month: Month) -> Combined {
    let current: Vec<MonthTotal> = reports
        .iter()
        .map(|r| MonthTotal {
            month: r.month.clone(),
            label: r.month_label.clone(),
            total: r.total,
            imported: r.imported,
            categories: r
                .trend
                .last()
                .map(|t| t.categories.clone())
                .unwrap_or_default(),
        })
        .collect();
    let sum = |pick: &dyn Fn(&MailboxReport) -> &MonthTotal| {
        sum_months(&reports.iter().map(pick).collect::<Vec<_>>())
    };
    let trend = (0..TREND_MONTHS)
        .map(|i| sum(&|r: &MailboxReport| &r.trend[i]))
        .collect();
    let c = counts_of(
        sum_months(&current.iter().collect::<Vec<_>>()),
        sum(&|r: &MailboxReport| &r.previous_month),
        sum(&|r: &MailboxReport| &r.same_month_last_year),
        trend,
    );
    Combined {
        mailboxes: reports.iter().map(|r| r.mailbox.clone()).collect(),
        month: month.id(),
        month_label: month.label(),
        total: c.current.total,
        imported: c.current.imported,
        previous_month: c.previous_month,
        same_month_last_year: c.same_month_last_year,
        comparisons: c.comparisons,
        categories: c.categories,
        gone_categories: c.gone_categories,
        trend: c.trend,
        machine: reports.iter().map(|r| r.machine.total).sum(),
        quarantined: reports.iter().map(|r| r.quarantined).sum(),
        pic_answers: reports.iter().map(|r| r.pic_answers).sum(),
        tickets: super::tickets::combine(reports.iter().map(|r| &r.tickets)),
    }
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
            previous: None,
        })
        .collect();
    sort_categories(&mut categories);
    categories
}

/// Largest first, the part without a category last among equals, then by label.
fn sort_categories(categories: &mut [CategoryCount]) {
    categories.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.id.is_empty().cmp(&b.id.is_empty()))
            .then_with(|| a.label.cmp(&b.label))
    });
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
    fn regions_roll_up_by_province() {
        let csv = "code,kind,name,province_code,timezone,domains,aliases\n\
                   33,prov,Jawa Tengah,33,WIB,,\n\
                   33.01,kab,Cilacap,33,WIB,,\n\
                   33.74,kota,Semarang,33,WIB,,\n\
                   12,prov,Sumatera Utara,12,WIB,,\n";
        let mut diags = crate::location::Diagnostics::default();
        let all =
            crate::region::Regions::parse(std::path::Path::new("regions.csv"), csv, &mut diags);
        let regions: HashMap<&str, &Region> =
            all.regions.iter().map(|r| (r.code.as_str(), r)).collect();
        let by_region: HashMap<String, i64> = [
            ("33", 1),
            ("33.01", 2),
            ("33.74", 1),
            ("12", 3),
            ("99.99", 1),
        ]
        .into_iter()
        .map(|(c, n)| (c.to_string(), n))
        .collect();
        let got: Vec<(String, String, i64, i64)> = provinces(&regions, &by_region)
            .into_iter()
            .map(|p| (p.code, p.name, p.count, p.regions))
            .collect();
        assert_eq!(
            got,
            vec![
                ("33".into(), "Jawa Tengah".into(), 4, 3),
                ("12".into(), "Sumatera Utara".into(), 3, 1),
                // A code regions.csv does not know stays on its own line.
                ("99.99".into(), "99.99".into(), 1, 1),
            ]
        );
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
