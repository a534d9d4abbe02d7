//! Service hours: on which days and between which times the contact center serves, minus
//! public holidays, read on the clock of one of Indonesia's three time zones.
//!
//! The report counts messages that arrived inside and outside service hours by the sender's
//! zone; reminders measure how long a ticket waited in service hours only
//! ([`ServiceHours::business_duration`]).

use crate::location::{Diagnostics, Location};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::Deserialize;
use serde_spanned::Spanned;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Indonesia's time zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Zone {
    /// Waktu Indonesia Barat, UTC+7 (Asia/Jakarta).
    Wib,
    /// Waktu Indonesia Tengah, UTC+8 (Asia/Makassar).
    Wita,
    /// Waktu Indonesia Timur, UTC+9 (Asia/Jayapura).
    Wit,
}

impl Zone {
    pub const ALL: [Zone; 3] = [Zone::Wib, Zone::Wita, Zone::Wit];

    pub fn tz(self) -> chrono_tz::Tz {
        match self {
            Zone::Wib => chrono_tz::Asia::Jakarta,
            Zone::Wita => chrono_tz::Asia::Makassar,
            Zone::Wit => chrono_tz::Asia::Jayapura,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Zone::Wib => "WIB",
            Zone::Wita => "WITA",
            Zone::Wit => "WIT",
        }
    }

    /// `WIB`, `WITA`, `WIT` (any case); `None` otherwise.
    pub fn parse(s: &str) -> Option<Zone> {
        match s.trim().to_ascii_uppercase().as_str() {
            "WIB" => Some(Zone::Wib),
            "WITA" => Some(Zone::Wita),
            "WIT" => Some(Zone::Wit),
            _ => None,
        }
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When the contact center serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceHours {
    /// Service days, indexed from Monday (0) to Sunday (6).
    pub days: [bool; 7],
    pub start: NaiveTime,
    /// Exclusive: at `end` the service is closed.
    pub end: NaiveTime,
    /// Public holidays (and collective leave days), with their names.
    pub holidays: BTreeMap<NaiveDate, String>,
    /// Where the holidays came from, if from a file.
    pub holidays_file: Option<PathBuf>,
}

impl Default for ServiceHours {
    /// Monday to Friday, 08:00–17:00, no holidays.
    fn default() -> ServiceHours {
        ServiceHours {
            days: [true, true, true, true, true, false, false],
            start: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or_default(),
            holidays: BTreeMap::new(),
            holidays_file: None,
        }
    }
}

const DAY_NAMES: [(&str, &str, &str); 7] = [
    ("mon", "senin", "Senin"),
    ("tue", "selasa", "Selasa"),
    ("wed", "rabu", "Rabu"),
    ("thu", "kamis", "Kamis"),
    ("fri", "jumat", "Jumat"),
    ("sat", "sabtu", "Sabtu"),
    ("sun", "minggu", "Minggu"),
];

/// `mon`…`sun`, `monday`…`sunday` or `senin`…`minggu` (any case) → 0…6 from Monday.
fn day_index(s: &str) -> Option<usize> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let s = s.trim().to_ascii_lowercase().replace('\'', "");
    (0..7).find(|&i| s == DAY_NAMES[i].0 || s == DAY_NAMES[i].1 || s == FULL[i])
}

/// `08:00` or `08.00`.
fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H.%M"))
        .ok()
}

impl ServiceHours {
    /// Whether `date` is a service day (a service weekday that is not a holiday).
    pub fn is_service_day(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize]
            && !self.holidays.contains_key(&date)
    }

    /// Whether the service is open at `t`, on the clock of `zone`.
    pub fn is_open(&self, t: DateTime<Utc>, zone: Zone) -> bool {
        let local = t.with_timezone(&zone.tz());
        let time = local.time();
        self.is_service_day(local.date_naive()) && time >= self.start && time < self.end
    }

    /// How much of `from..to` falls inside service hours on the clock of `zone` (zero when
    /// `to` is not after `from`). A ticket that arrived on Friday at 16:00 and was answered
    /// on Monday at 09:00 waited two hours.
    pub fn business_duration(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        zone: Zone,
    ) -> Duration {
        if to <= from || self.end <= self.start {
            return Duration::zero();
        }
        let tz = zone.tz();
        let first = from.with_timezone(&tz).date_naive();
        let last = to.with_timezone(&tz).date_naive();
        let mut total = Duration::zero();
        let mut day = first;
        while day <= last {
            if self.is_service_day(day) {
                let open = tz
                    .from_local_datetime(&day.and_time(self.start))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc));
                let close = tz
                    .from_local_datetime(&day.and_time(self.end))
                    .earliest()
                    .map(|t| t.with_timezone(&Utc));
                if let (Some(open), Some(close)) = (open, close) {
                    let a = open.max(from);
                    let b = close.min(to);
                    if b > a {
                        total += b - a;
                    }
                }
            }
            match day.succ_opt() {
                Some(d) => day = d,
                None => break,
            }
        }
        total
    }

    /// "Senin–Jumat 08.00–17.00".
    pub fn describe(&self) -> String {
        let days: Vec<usize> = (0..7).filter(|i| self.days[*i]).collect();
        let contiguous = days.windows(2).all(|w| w[1] == w[0] + 1);
        let names = match days.as_slice() {
            [] => "tidak ada hari layanan".to_string(),
            [one] => DAY_NAMES[*one].2.to_string(),
            [first, .., last] if contiguous => {
                format!("{}–{}", DAY_NAMES[*first].2, DAY_NAMES[*last].2)
            }
            _ => days
                .iter()
                .map(|d| DAY_NAMES[*d].2)
                .collect::<Vec<_>>()
                .join(", "),
        };
        format!(
            "{names} {}–{}",
            self.start.format("%H.%M"),
            self.end.format("%H.%M")
        )
    }

    /// Short English day names of the service days (`mon`, `tue`, …).
    pub fn day_names(&self) -> Vec<&'static str> {
        (0..7)
            .filter(|i| self.days[*i])
            .map(|i| DAY_NAMES[i].0)
            .collect()
    }

    /// The holidays inside `from..to` (dates).
    pub fn holidays_between(&self, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, &str)> {
        self.holidays
            .range(from..to)
            .map(|(d, n)| (*d, n.as_str()))
            .collect()
    }

    /// Builds the service hours from the config's `[service_hours]` table (defaults when
    /// absent); problems go to `diags` with their `file:line:col`.
    pub fn from_config(
        raw: Option<RawServiceHours>,
        path: &Path,
        text: &str,
        base: &Path,
        diags: &mut Diagnostics,
    ) -> ServiceHours {
        let mut out = ServiceHours::default();
        let Some(raw) = raw else {
            return out;
        };
        let loc = |offset: usize| Location::at(path, text, offset);
        if let Some(days) = &raw.days {
            out.days = read_days(days, &loc, diags);
        }
        if let Some(t) = read_time("start", &raw.start, &loc, diags) {
            out.start = t;
        }
        if let Some(t) = read_time("end", &raw.end, &loc, diags) {
            out.end = t;
        }
        if out.end <= out.start {
            let at = raw
                .end
                .as_ref()
                .or(raw.start.as_ref())
                .map(|s| s.span().start)
                .unwrap_or(0);
            diags.error(
                loc(at),
                format!(
                    "service_hours: end ({}) must be after start ({})",
                    out.end.format("%H:%M"),
                    out.start.format("%H:%M")
                ),
            );
        }
        if let Some(f) = &raw.holidays_file {
            let p = PathBuf::from(f.get_ref());
            let p = if p.is_absolute() { p } else { base.join(p) };
            match std::fs::read_to_string(&p) {
                Ok(t) => out.holidays = parse_holidays(&p, &t, diags),
                Err(e) => diags.error(
                    loc(f.span().start),
                    format!(
                        "service_hours.holidays_file: cannot read {}: {e}",
                        p.display()
                    ),
                ),
            }
            out.holidays_file = Some(p);
        }
        out
    }
}

/// `service_hours.days`: the days named (English or Indonesian), at least one.
fn read_days(
    days: &Spanned<Vec<Spanned<String>>>,
    loc: &dyn Fn(usize) -> Location,
    diags: &mut Diagnostics,
) -> [bool; 7] {
    let mut set = [false; 7];
    for d in days.get_ref() {
        match day_index(d.get_ref()) {
            Some(i) => set[i] = true,
            None => diags.error(
                loc(d.span().start),
                format!(
                    "service_hours.days: {:?} is not a day: mon, tue, wed, thu, fri, sat, sun \
                     (or senin … minggu)",
                    d.get_ref()
                ),
            ),
        }
    }
    if days.get_ref().is_empty() {
        diags.error(
            loc(days.span().start),
            "service_hours.days: name at least one day",
        );
    }
    set
}

/// `service_hours.start` or `.end`: a time of day like "08:00".
fn read_time(
    key: &str,
    v: &Option<Spanned<String>>,
    loc: &dyn Fn(usize) -> Location,
    diags: &mut Diagnostics,
) -> Option<NaiveTime> {
    let v = v.as_ref()?;
    let t = parse_time(v.get_ref());
    if t.is_none() {
        diags.error(
            loc(v.span().start),
            format!(
                "service_hours.{key}: {:?} is not a time of day like \"08:00\"",
                v.get_ref()
            ),
        );
    }
    t
}

/// The `[service_hours]` table as written in the config.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServiceHours {
    days: Option<Spanned<Vec<Spanned<String>>>>,
    start: Option<Spanned<String>>,
    end: Option<Spanned<String>>,
    holidays_file: Option<Spanned<String>>,
}

/// Reads a holidays file: one date (`2024-03-11`) or range of dates
/// (`2024-04-08..2024-04-15`, both included) a line, then the holiday's name; `#` starts a
/// comment. Problems go to `diags` as `file:line:col`.
pub fn parse_holidays(
    path: &Path,
    text: &str,
    diags: &mut Diagnostics,
) -> BTreeMap<NaiveDate, String> {
    let mut out = BTreeMap::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let here = offset;
        offset += line.len() + 1;
        let content = line.split('#').next().unwrap_or("").trim_end_matches('\r');
        let indent = content.len() - content.trim_start().len();
        let content = content.trim();
        if content.is_empty() {
            continue;
        }
        let (when, name) = match content.split_once(char::is_whitespace) {
            Some((w, n)) => (w, n.trim()),
            None => (content, ""),
        };
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let range = match when.split_once("..") {
            Some((a, b)) => date(a).zip(date(b)),
            None => date(when).map(|d| (d, d)),
        };
        let Some((a, b)) = range.filter(|(a, b)| a <= b && (*b - *a).num_days() <= 366) else {
            diags.error(
                Location::at(path, text, here + indent),
                format!(
                    "{when:?} is not a date (2024-03-11) or a range of dates \
                     (2024-04-08..2024-04-15)"
                ),
            );
            continue;
        };
        let mut d = a;
        while d <= b {
            out.entry(d).or_insert_with(|| name.to_string());
            match d.succ_opt() {
                Some(n) => d = n,
                None => break,
            }
        }
    }
    out
}

/// The weekday of a date in Indonesian.
pub fn weekday_name(d: Weekday) -> &'static str {
    DAY_NAMES[d.num_days_from_monday() as usize].2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn with_nyepi() -> ServiceHours {
        let mut d = Diagnostics::default();
        let h = parse_holidays(
            Path::new("holidays.txt"),
            "# libur nasional\n2024-03-11 Hari Suci Nyepi\n\n2024-04-08..2024-04-15 Idul Fitri dan cuti bersama\n",
            &mut d,
        );
        assert!(!d.has_errors(), "{d}");
        ServiceHours {
            holidays: h,
            ..ServiceHours::default()
        }
    }

    #[test]
    fn weekdays_in_hours_are_open_weekends_are_not() {
        let h = ServiceHours::default();
        // Tuesday 5 March 2024, 09:30 WIB.
        assert!(h.is_open(utc("2024-03-05T09:30:00+07:00"), Zone::Wib));
        // 07:59 and 17:00 are outside.
        assert!(!h.is_open(utc("2024-03-05T07:59:00+07:00"), Zone::Wib));
        assert!(!h.is_open(utc("2024-03-05T17:00:00+07:00"), Zone::Wib));
        assert!(h.is_open(utc("2024-03-05T16:59:59+07:00"), Zone::Wib));
        // Saturday 9 March 2024.
        assert!(!h.is_open(utc("2024-03-09T10:00:00+07:00"), Zone::Wib));
        assert!(!h.is_open(utc("2024-03-10T10:00:00+07:00"), Zone::Wib));
    }

    #[test]
    fn holidays_are_closed() {
        let h = with_nyepi();
        // Monday 11 March 2024 was Nyepi.
        assert!(!h.is_open(utc("2024-03-11T10:00:00+07:00"), Zone::Wib));
        assert!(h.is_open(utc("2024-03-12T10:00:00+07:00"), Zone::Wib));
        // A range: 8 to 15 April 2024.
        assert!(!h.is_open(utc("2024-04-10T10:00:00+07:00"), Zone::Wib));
        assert!(!h.is_open(utc("2024-04-15T10:00:00+07:00"), Zone::Wib));
        assert!(h.is_open(utc("2024-04-16T10:00:00+07:00"), Zone::Wib));
        assert_eq!(h.holidays.len(), 9);
        assert_eq!(
            h.holidays[&NaiveDate::from_ymd_opt(2024, 3, 11).unwrap()],
            "Hari Suci Nyepi"
        );
    }

    #[test]
    fn the_same_instant_is_read_on_each_zones_clock() {
        let h = ServiceHours::default();
        // 07:30 WIB is 08:30 WITA and 09:30 WIT.
        let t = utc("2024-03-05T07:30:00+07:00");
        assert!(!h.is_open(t, Zone::Wib));
        assert!(h.is_open(t, Zone::Wita));
        assert!(h.is_open(t, Zone::Wit));
        // 16:30 WIB is 17:30 WITA: closed there.
        let t = utc("2024-03-05T16:30:00+07:00");
        assert!(h.is_open(t, Zone::Wib));
        assert!(!h.is_open(t, Zone::Wita));
        // Friday 23:30 WIB is already Saturday in WIT.
        let t = utc("2024-03-08T23:30:00+07:00");
        assert!(!h.is_open(t, Zone::Wit));
        assert_eq!(
            t.with_timezone(&Zone::Wit.tz()).weekday(),
            chrono::Weekday::Sat
        );
    }

    #[test]
    fn business_duration_skips_nights_weekends_and_holidays() {
        let h = with_nyepi();
        let d = |a: &str, b: &str, z| h.business_duration(utc(a), utc(b), z);
        // Within one day.
        assert_eq!(
            d(
                "2024-03-05T09:00:00+07:00",
                "2024-03-05T10:30:00+07:00",
                Zone::Wib
            ),
            Duration::minutes(90)
        );
        // Friday 16:00 to Monday 09:00 (a normal weekend): one hour each side.
        assert_eq!(
            d(
                "2024-03-01T16:00:00+07:00",
                "2024-03-04T09:00:00+07:00",
                Zone::Wib
            ),
            Duration::hours(2)
        );
        // Friday 16:00 to Tuesday 09:00 across the weekend and Nyepi (Monday 11 March).
        assert_eq!(
            d(
                "2024-03-08T16:00:00+07:00",
                "2024-03-12T09:00:00+07:00",
                Zone::Wib
            ),
            Duration::hours(2)
        );
        // Saturday night to Sunday: nothing.
        assert_eq!(
            d(
                "2024-03-02T20:00:00+07:00",
                "2024-03-03T20:00:00+07:00",
                Zone::Wib
            ),
            Duration::zero()
        );
        // A whole week: five days of nine hours.
        assert_eq!(
            d(
                "2024-03-18T00:00:00+07:00",
                "2024-03-25T00:00:00+07:00",
                Zone::Wib
            ),
            Duration::hours(45)
        );
        // Backwards: zero.
        assert_eq!(
            d(
                "2024-03-05T10:00:00+07:00",
                "2024-03-05T09:00:00+07:00",
                Zone::Wib
            ),
            Duration::zero()
        );
        // The same interval on WITA's clock: 09:00–10:30 WIB is 10:00–11:30 WITA, all inside;
        // 16:00–18:00 WIB is 17:00–19:00 WITA, all outside.
        assert_eq!(
            d(
                "2024-03-05T16:00:00+07:00",
                "2024-03-05T18:00:00+07:00",
                Zone::Wib
            ),
            Duration::hours(1)
        );
        assert_eq!(
            d(
                "2024-03-05T16:00:00+07:00",
                "2024-03-05T18:00:00+07:00",
                Zone::Wita
            ),
            Duration::zero()
        );
    }

    #[test]
    fn the_config_table_is_validated_with_places() {
        #[derive(Deserialize)]
        struct T {
            service_hours: Option<RawServiceHours>,
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("libur.txt"),
            "2024-03-11 Nyepi\n2024-02-30 salah\n",
        )
        .unwrap();
        let text = "[service_hours]\ndays = [\"senin\", \"tue\", \"funday\"]\nstart = \"7:30\"\nend = \"16.00\"\nholidays_file = \"libur.txt\"\n";
        let raw: T = toml::from_str(text).unwrap();
        let mut d = Diagnostics::default();
        let h = ServiceHours::from_config(
            raw.service_hours,
            Path::new("pilah.toml"),
            text,
            dir.path(),
            &mut d,
        );
        let all = d.to_string();
        assert!(
            all.contains("pilah.toml:2:25: error: service_hours.days: \"funday\""),
            "{all}"
        );
        assert!(
            all.contains("libur.txt:2:1: error: \"2024-02-30\""),
            "{all}"
        );
        assert_eq!(d.errors().count(), 2, "{all}");
        assert_eq!(h.day_names(), vec!["mon", "tue"]);
        assert_eq!(h.start, NaiveTime::from_hms_opt(7, 30, 0).unwrap());
        assert_eq!(h.end, NaiveTime::from_hms_opt(16, 0, 0).unwrap());
        assert_eq!(h.holidays.len(), 1);

        let text = "[service_hours]\nstart = \"17:00\"\nend = \"08:00\"\nwhen = 1\n";
        assert!(
            toml::from_str::<T>(text).is_err(),
            "unknown keys are errors"
        );
        let text = "[service_hours]\nstart = \"17:00\"\nend = \"08:00\"\n";
        let raw: T = toml::from_str(text).unwrap();
        let mut d = Diagnostics::default();
        ServiceHours::from_config(
            raw.service_hours,
            Path::new("p.toml"),
            text,
            dir.path(),
            &mut d,
        );
        assert!(
            d.to_string().contains(
                "p.toml:3:7: error: service_hours: end (08:00) must be after start (17:00)"
            ),
            "{d}"
        );
    }

    #[test]
    fn description_in_indonesian() {
        assert_eq!(
            ServiceHours::default().describe(),
            "Senin–Jumat 08.00–17.00"
        );
    }
}
