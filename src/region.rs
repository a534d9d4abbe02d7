//! Knowing the sender's region (province, regency or city) and its time zone.
//!
//! The data file `regions.csv` in the rules directory lists every region with the domains
//! its government uses and other names people write. A message's region is found from the
//! sender's domain first (`bpkad.cilacapkab.go.id`), then from what people write in the
//! subject, the attachment names, the sender's name and the body ("Kab. Cilacap", "Pemkot
//! Dumai", "Prov. Jatim").
//!
//! It must not route or classify: the region is a fact recorded for the report and the
//! forward's summary.

use crate::classify::keywords::Squeezed;
use crate::location::{csv_record_start, Diagnostics, Location};
use crate::parse::Mail;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    Province,
    Regency,
    City,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub kind: RegionKind,
    pub name: String,
    pub province_code: String,
    pub province_name: String,
    /// WIB, WITA or WIT.
    pub timezone: String,
    pub domains: Vec<String>,
    pub aliases: Vec<String>,
}

impl Region {
    /// "Kab. Cilacap", "Kota Dumai", "Prov. Jawa Tengah": the report's own style.
    pub fn display_name(&self) -> String {
        match self.kind {
            RegionKind::Province => format!("Prov. {}", self.name),
            RegionKind::Regency => format!("Kab. {}", self.name),
            RegionKind::City => format!("Kota {}", self.name),
        }
    }
}

/// Where a region was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionSource {
    Domain,
    Subject,
    Attachment,
    SenderName,
    Body,
}

impl RegionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RegionSource::Domain => "domain",
            RegionSource::Subject => "subject",
            RegionSource::Attachment => "attachment",
            RegionSource::SenderName => "sender-name",
            RegionSource::Body => "body",
        }
    }
    /// For the forward's summary, in Indonesian.
    pub fn label(self) -> &'static str {
        match self {
            RegionSource::Domain => "domain pengirim",
            RegionSource::Subject => "subjek",
            RegionSource::Attachment => "nama lampiran",
            RegionSource::SenderName => "nama pengirim",
            RegionSource::Body => "isi pesan",
        }
    }
}

#[derive(Debug)]
pub struct Regions {
    pub regions: Vec<Region>,
    by_domain: HashMap<String, usize>,
    names: Option<AhoCorasick>,
    /// Pattern index → region index.
    pattern_region: Vec<usize>,
}

/// How much of the end of the body is searched (where the signature is).
const BODY_TAIL: usize = 4000;
/// How much of the start of the body is searched (letterhead, "Kepada Yth", first lines).
const BODY_HEAD: usize = 2000;

impl Regions {
    pub fn empty() -> Regions {
        Regions {
            regions: Vec::new(),
            by_domain: HashMap::new(),
            names: None,
            pattern_region: Vec::new(),
        }
    }

    /// Loads `regions.csv`; problems go to `diags` with their line.
    pub fn load(path: &Path, diags: &mut Diagnostics) -> Regions {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Regions::empty();
        };
        Regions::parse(path, &text, diags)
    }

    pub fn parse(path: &Path, text: &str, diags: &mut Diagnostics) -> Regions {
        let mut rows = Vec::new();
        // The first line is the header; `#` starts a comment line; fields are trimmed.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        for record in reader.records() {
            let f = match record {
                Ok(f) => f,
                Err(e) => {
                    let offset = e.position().map(|p| p.byte() as usize).unwrap_or(0);
                    diags.error(Location::at(path, text, offset), format!("{e}"));
                    continue;
                }
            };
            let here = csv_record_start(text, f.position().map(|p| p.byte() as usize).unwrap_or(0));
            if f.iter().all(str::is_empty) {
                continue;
            }
            if f.len() != 7 {
                diags.error(
                    Location::at(path, text, here),
                    format!("expected 7 columns (code,kind,name,province_code,timezone,domains,aliases), found {}", f.len()),
                );
                continue;
            }
            let kind = match &f[1] {
                "prov" => RegionKind::Province,
                "kab" => RegionKind::Regency,
                "kota" => RegionKind::City,
                other => {
                    diags.error(
                        Location::at(path, text, here),
                        format!("unknown kind {other:?}: prov, kab or kota"),
                    );
                    continue;
                }
            };
            let list = |s: &str| -> Vec<String> {
                s.split(';')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            };
            rows.push(Region {
                code: f[0].to_string(),
                kind,
                name: f[2].to_string(),
                province_code: f[3].to_string(),
                province_name: String::new(),
                timezone: f[4].to_string(),
                domains: list(&f[5])
                    .into_iter()
                    .map(|d| d.to_ascii_lowercase())
                    .collect(),
                aliases: list(&f[6]),
            });
        }
        let provinces: HashMap<String, String> = rows
            .iter()
            .filter(|r| r.kind == RegionKind::Province)
            .map(|r| (r.code.clone(), r.name.clone()))
            .collect();
        for r in &mut rows {
            r.province_name = provinces.get(&r.province_code).cloned().unwrap_or_default();
        }
        Regions::index(rows)
    }

    fn index(regions: Vec<Region>) -> Regions {
        let mut by_domain = HashMap::new();
        let mut patterns = Vec::new();
        let mut pattern_region = Vec::new();
        for (i, r) in regions.iter().enumerate() {
            for d in &r.domains {
                by_domain.insert(d.clone(), i);
            }
            let adm = r.aliases.first().is_some_and(|a| a == "adm");
            let mut names = vec![r.name.clone()];
            names.extend(r.aliases.iter().filter(|a| *a != "adm").cloned());
            let prefixes: &[&str] = match (r.kind, adm) {
                (RegionKind::Province, _) => &[
                    "provinsi",
                    "prov",
                    "pemprov",
                    "pemda",
                    "pemerintah provinsi",
                ],
                (RegionKind::Regency, false) => &[
                    "kabupaten",
                    "kab",
                    "pemkab",
                    "pemda",
                    "pemerintah kabupaten",
                ],
                (RegionKind::City, false) => &["kota", "pemkot", "pemda", "pemerintah kota"],
                // Jakarta's administrative units have no government of their own.
                _ => &[],
            };
            for n in &names {
                for p in prefixes {
                    let sq = Squeezed::new(&format!("{p} {n}")).text;
                    if !sq.is_empty() {
                        patterns.push(sq);
                        pattern_region.push(i);
                    }
                }
            }
            // Provinces' short forms are distinctive on their own ("Jatim", "Sumut").
            if r.kind == RegionKind::Province {
                for a in &r.aliases {
                    let sq = Squeezed::new(a).text;
                    if sq.len() >= 4 {
                        patterns.push(sq);
                        pattern_region.push(i);
                    }
                }
            }
        }
        let names = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .ok();
        Regions {
            regions,
            by_domain,
            names,
            pattern_region,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The region whose government uses `domain` (or a parent domain of it).
    pub fn by_domain(&self, domain: &str) -> Option<&Region> {
        let mut d = domain.to_ascii_lowercase();
        loop {
            if let Some(i) = self.by_domain.get(&d) {
                return Some(&self.regions[*i]);
            }
            let (_, rest) = d.split_once('.')?;
            if !rest.contains('.') {
                return None;
            }
            d = rest.to_string();
        }
    }

    /// The region named in `text`, the longest-named match first found.
    pub fn in_text(&self, text: &str) -> Option<&Region> {
        let ac = self.names.as_ref()?;
        let sq = Squeezed::new(text);
        let mut best: Option<(usize, usize)> = None; // (length, region)
        for m in ac.find_overlapping_iter(&sq.text) {
            if sq.is_boundary(m.start()) && sq.is_boundary(m.end()) {
                let len = m.end() - m.start();
                let region = self.pattern_region[m.pattern().as_usize()];
                // Prefer a regency/city over a province named in the same text.
                let better = match best {
                    None => true,
                    Some((l, r)) => {
                        let cur_prov = self.regions[r].kind == RegionKind::Province;
                        let new_prov = self.regions[region].kind == RegionKind::Province;
                        (cur_prov && !new_prov) || (cur_prov == new_prov && len > l)
                    }
                };
                if better {
                    best = Some((len, region));
                }
            }
        }
        best.map(|(_, r)| &self.regions[r])
    }

    /// The sender's region and how it was found.
    pub fn detect(&self, mail: &Mail) -> Option<(&Region, RegionSource)> {
        if self.is_empty() {
            return None;
        }
        if let Some(r) = mail.from_domain().and_then(|d| self.by_domain(d)) {
            return Some((r, RegionSource::Domain));
        }
        if let Some(r) = self.in_text(&mail.subject) {
            return Some((r, RegionSource::Subject));
        }
        for a in &mail.attachments {
            if let Some(r) = a.name.as_deref().and_then(|n| self.in_text(n)) {
                return Some((r, RegionSource::Attachment));
            }
        }
        if let Some(r) = mail.from_name.as_deref().and_then(|n| self.in_text(n)) {
            return Some((r, RegionSource::SenderName));
        }
        let body = &mail.body;
        let head_end = floor(body, BODY_HEAD.min(body.len()));
        let tail_start = floor(body, body.len().saturating_sub(BODY_TAIL));
        let r = self
            .in_text(&body[tail_start..])
            .or_else(|| self.in_text(&body[..head_end]));
        r.map(|r| (r, RegionSource::Body))
    }
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "code,kind,name,province_code,timezone,domains,aliases\n\
33,prov,Jawa Tengah,33,WIB,jatengprov.go.id,Jateng\n\
35,prov,Jawa Timur,35,WIB,jatimprov.go.id,Jatim\n\
33.01,kab,Cilacap,33,WIB,cilacapkab.go.id,\n\
14,prov,Riau,14,WIB,riau.go.id,\n\
14.72,kota,Dumai,14,WIB,dumaikota.go.id,\n";

    fn regions() -> Regions {
        let mut d = Diagnostics::default();
        let r = Regions::parse(Path::new("regions.csv"), CSV, &mut d);
        assert!(!d.has_errors(), "{d}");
        r
    }

    #[test]
    fn quotes_comments_blank_lines_and_errors_with_their_line() {
        let text = "code,kind,name,province_code,timezone,domains,aliases\n\
# a comment, with commas\n\
\n\
33,prov,Jawa Tengah,33,WIB,jatengprov.go.id,\"Jateng; \"\"Jawa Tengah\"\"\"\n\
33.02,kabupaten,Banyumas,33,WIB,,\n\
# another comment\n\
\n\
33.03,kab,Purbalingga\n";
        let mut d = Diagnostics::default();
        let r = Regions::parse(Path::new("regions.csv"), text, &mut d);
        assert_eq!(r.regions.len(), 1);
        assert_eq!(r.regions[0].aliases, ["Jateng", "\"Jawa Tengah\""]);
        let all = d.to_string();
        assert!(
            all.contains("regions.csv:5:1: error: unknown kind \"kabupaten\""),
            "{all}"
        );
        assert!(
            all.contains("regions.csv:8:1: error: expected 7 columns"),
            "{all}"
        );
        assert_eq!(d.errors().count(), 2, "{all}");
    }

    #[test]
    fn domain_and_subdomain() {
        let r = regions();
        assert_eq!(
            r.by_domain("bpkad.cilacapkab.go.id").unwrap().name,
            "Cilacap"
        );
        assert_eq!(
            r.by_domain("jatimprov.go.id").unwrap().display_name(),
            "Prov. Jawa Timur"
        );
        assert!(r.by_domain("gmail.com").is_none());
        assert!(r.by_domain("go.id").is_none());
    }

    #[test]
    fn names_people_write() {
        let r = regions();
        let name = |t: &str| r.in_text(t).map(|x| x.display_name());
        assert_eq!(
            name("Laporan DBH Kab. Cilacap").as_deref(),
            Some("Kab. Cilacap")
        );
        assert_eq!(name("PEMKAB CILACAP").as_deref(), Some("Kab. Cilacap"));
        assert_eq!(name("BPKAD Kota Dumai").as_deref(), Some("Kota Dumai"));
        assert_eq!(
            name("dari Prov. Jatim").as_deref(),
            Some("Prov. Jawa Timur")
        );
        assert_eq!(
            name("Pemprov Jateng, Kabupaten Cilacap").as_deref(),
            Some("Kab. Cilacap")
        );
        assert_eq!(name("Cilacap saja"), None);
    }
}
