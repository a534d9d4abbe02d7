//! The report as one self-contained HTML file: inline CSS and SVG, no script, nothing
//! fetched from the network; one page per mailbox, laid out like a page of the contact
//! center's published monthly report, and printable on A4.

use super::data::{Delay, MailboxReport, MonthTotal};
use super::{fmt_duration, fmt_int, fmt_pct, Month};
use std::fmt::Write;

/// Escapes text for HTML (element content and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "Lapor", "Call Center", else the name with a capital.
fn mailbox_title(name: &str) -> String {
    match name {
        "lapor" => "Lapor".to_string(),
        "callcenter" => "Call Center".to_string(),
        other => {
            let mut c = other.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        }
    }
}

const PALETTE: [&str; 9] = [
    "#0b3a6e", "#e0a100", "#2f7fc1", "#6aa84f", "#c8553d", "#7fb2e5", "#8d6cab", "#5b8e7d",
    "#9aa3af",
];

const CSS: &str = r#"
@page { size: A4; margin: 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e6eaf0; color: #1c2530;
  font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; font-size: 14px; line-height: 1.35; }
.page { background: #fff; max-width: 1180px; margin: 24px auto; padding: 0 0 28px 0;
  box-shadow: 0 2px 10px rgba(0,0,0,.15); break-after: page; page-break-after: always; }
.page:last-child { break-after: auto; page-break-after: auto; }
.band { background: #0b3a6e; color: #fff; padding: 18px 40px 16px 40px; display: flex;
  justify-content: space-between; align-items: flex-end; border-bottom: 6px solid #e0a100; }
.band .org { font-size: 12px; letter-spacing: .06em; text-transform: uppercase; opacity: .92; }
.band .org b { display: block; font-size: 15px; letter-spacing: .04em; }
.band .what { text-align: right; font-size: 13px; }
.band .what b { display: block; font-size: 22px; letter-spacing: .01em; }
.body { padding: 18px 40px 0 40px; }
h1 { font-size: 26px; margin: 6px 0 2px 0; color: #0b3a6e; }
h1 .addr { font-size: 14px; font-weight: normal; color: #5a6675; margin-left: 10px; }
h2 { font-size: 15px; text-transform: uppercase; letter-spacing: .05em; color: #0b3a6e;
  border-bottom: 2px solid #e0a100; padding-bottom: 3px; margin: 22px 0 10px 0; }
.row { display: grid; grid-template-columns: 5fr 6fr; gap: 28px; align-items: start; }
.row3 { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 28px; align-items: start; }
section.block { break-inside: avoid; page-break-inside: avoid; }
.headline { padding-top: 6px; }
.headline .label { font-size: 14px; color: #5a6675; text-transform: uppercase; letter-spacing: .05em; }
.headline .big { font-size: 84px; font-weight: bold; color: #0b3a6e; line-height: 1; margin: 6px 0 10px 0; }
.headline .big small { font-size: 20px; color: #5a6675; font-weight: normal; margin-left: 8px; }
ul.cmp { list-style: none; padding: 0; margin: 0 0 10px 0; }
ul.cmp li { font-size: 15px; margin: 5px 0; padding-left: 24px; position: relative; }
ul.cmp li::before { position: absolute; left: 0; top: 0; font-size: 15px; }
ul.cmp li.up::before { content: "\25B2"; color: #2f7fc1; }
ul.cmp li.down::before { content: "\25BC"; color: #c8553d; }
ul.cmp li.same::before { content: "\25CF"; color: #9aa3af; }
.apart { font-size: 13px; color: #5a6675; border-top: 1px solid #dde3ea; padding-top: 8px; }
figure { margin: 0; }
figure svg { width: 100%; height: auto; display: block; }
figcaption { font-size: 12px; color: #5a6675; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th { text-align: left; font-size: 12px; color: #5a6675; font-weight: normal; text-transform: uppercase;
  letter-spacing: .04em; border-bottom: 1px solid #b9c3cf; padding: 4px 6px; }
td { border-bottom: 1px solid #e4e8ee; padding: 4px 6px; vertical-align: top; }
td.n, th.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.sum td { font-weight: bold; border-top: 1px solid #b9c3cf; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; border-radius: 2px; }
ol.regions { margin: 0; padding-left: 22px; font-size: 13px; }
ol.regions li { padding: 3px 0; border-bottom: 1px solid #eef1f5; }
ol.regions li b { float: right; font-variant-numeric: tabular-nums; }
.muted { color: #5a6675; font-size: 12px; }
.note { font-size: 12px; color: #5a6675; margin-top: 6px; }
.imp { color: #c8553d; font-weight: bold; }
footer { margin: 26px 40px 0 40px; padding-top: 8px; border-top: 1px solid #dde3ea; font-size: 11px; color: #5a6675; }
@media print {
  /* The screen layout at a fixed width, scaled to A4's printable width (190 mm). */
  body { background: #fff; }
  .page { width: 960px; max-width: none; margin: 0; box-shadow: none; zoom: 0.74; padding-bottom: 0; }
}
"#;

fn arrow_class(phrase: &str) -> &'static str {
    if phrase.starts_with("meningkat") {
        "up"
    } else if phrase.starts_with("menurun") {
        "down"
    } else {
        "same"
    }
}

fn star(imported: bool) -> &'static str {
    if imported {
        "<span class=\"imp\" title=\"angka impor\">*</span>"
    } else {
        ""
    }
}

fn short_label(m: &MonthTotal) -> String {
    Month::parse(&m.month)
        .map(|x| x.short_label())
        .unwrap_or_else(|_| m.month.clone())
}

/// Truncates to `n` characters with an ellipsis.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n.saturating_sub(1)).collect::<String>() + "…"
    }
}

/// The bar chart of the month a year before, the previous month and the report's month.
fn months_chart(r: &MailboxReport, id: &str) -> String {
    let current = MonthTotal {
        month: r.month.clone(),
        label: r.month_label.clone(),
        total: r.total,
        imported: r.imported,
        categories: Vec::new(),
    };
    let bars = [&r.same_month_last_year, &r.previous_month, &current];
    let max = bars.iter().map(|b| b.total).max().unwrap_or(0).max(1) as f64;
    let (w, base, top) = (480.0, 210.0, 36.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg viewBox=\"0 0 {w} 250\" role=\"img\" aria-label=\"Jumlah email tiga bulan\" xmlns=\"http://www.w3.org/2000/svg\">\
         <defs><pattern id=\"hatch-{id}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"8\" height=\"8\" fill=\"#c9d3de\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#8fa0b3\" stroke-width=\"3\"/></pattern></defs>\
         <line x1=\"20\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#b9c3cf\" stroke-width=\"1\"/>",
        w - 20.0
    );
    for (i, b) in bars.iter().enumerate() {
        let bw = 96.0;
        let x = 50.0 + i as f64 * 145.0;
        let h = ((b.total as f64) / max * (base - top)).max(if b.total > 0 { 2.0 } else { 0.0 });
        let y = base - h;
        let fill = if i == 2 {
            "#0b3a6e".to_string()
        } else if b.imported {
            format!("url(#hatch-{id})")
        } else {
            "#7fb2e5".to_string()
        };
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{y:.1}\" width=\"{bw}\" height=\"{h:.1}\" fill=\"{fill}\" rx=\"2\"><title>{}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"20\" font-weight=\"bold\" fill=\"#1c2530\" data-k=\"bar-{}\">{}{}</text>\
             <text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"15\" fill=\"#5a6675\">{}</text>",
            esc(&b.label),
            b.total,
            x + bw / 2.0,
            y - 8.0,
            esc(&b.month),
            fmt_int(b.total),
            if b.imported { "*" } else { "" },
            x + bw / 2.0,
            base + 24.0,
            esc(&short_label(b)),
        );
    }
    s.push_str("</svg>");
    s
}

/// Horizontal bars of the largest categories (the rest together in one bar).
fn categories_chart(r: &MailboxReport) -> String {
    const SHOWN: usize = 8;
    let mut rows: Vec<(String, i64, f64)> = r
        .categories
        .iter()
        .take(if r.categories.len() > SHOWN + 1 {
            SHOWN
        } else {
            SHOWN + 1
        })
        .map(|c| (c.label.clone(), c.count, c.percent))
        .collect();
    if r.categories.len() > SHOWN + 1 {
        let rest = &r.categories[SHOWN..];
        let n: i64 = rest.iter().map(|c| c.count).sum();
        let p: f64 = rest.iter().map(|c| c.percent).sum();
        rows.push((format!("{} kategori lain", rest.len()), n, p));
    }
    if rows.is_empty() {
        return "<p class=\"muted\">Belum ada pesan bulan ini.</p>".to_string();
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let row_h = 34.0;
    let h = rows.len() as f64 * row_h + 6.0;
    let (label_w, bar_w) = (230.0, 190.0);
    let mut s = format!(
        "<svg viewBox=\"0 0 520 {h}\" role=\"img\" aria-label=\"Kategori\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    for (i, (label, n, p)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let w = (*n as f64) / max * bar_w;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"15\" fill=\"#1c2530\"><title>{}</title>{}</text>\
             <rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\" rx=\"2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"15\" fill=\"#1c2530\"><tspan font-weight=\"bold\">{}</tspan> ({})</text>",
            label_w - 8.0,
            y + 19.0,
            esc(label),
            esc(&clip(label, 28)),
            row_h - 8.0,
            PALETTE[i.min(PALETTE.len() - 1)],
            label_w + w + 6.0,
            y + 19.0,
            fmt_int(*n),
            esc(&fmt_pct(*p)),
        );
    }
    s.push_str("</svg>");
    s
}

/// One stacked bar of the kinds of sender.
fn senders_chart(r: &MailboxReport) -> String {
    let total: i64 = r.senders.iter().map(|g| g.messages).sum();
    let mut s = String::from(
        "<svg viewBox=\"0 0 360 26\" role=\"img\" aria-label=\"Pengirim\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"0\" y=\"0\" width=\"360\" height=\"26\" fill=\"#eef1f5\" rx=\"3\"/>",
    );
    let mut x = 0.0;
    if total > 0 {
        for (i, g) in r.senders.iter().enumerate() {
            let w = g.messages as f64 / total as f64 * 360.0;
            if w > 0.0 {
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"26\" fill=\"{}\"><title>{}: {}</title></rect>",
                    PALETTE[i],
                    esc(&g.label),
                    g.messages
                );
            }
            x += w;
        }
    }
    s.push_str("</svg>");
    s
}

fn delay_cell(d: &Delay, which: fn(&Delay) -> Option<i64>) -> String {
    which(d)
        .map(fmt_duration)
        .unwrap_or_else(|| "–".to_string())
}

fn page(s: &mut String, r: &MailboxReport, month: Month) {
    let id: String = r
        .mailbox
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let _ = write!(
        s,
        "<section class=\"page\" id=\"mailbox-{id}\" data-mailbox=\"{mb}\">\
         <div class=\"band\"><div class=\"org\">Kementerian Keuangan Republik Indonesia<b>Direktorat Jenderal Perimbangan Keuangan</b></div>\
         <div class=\"what\">Laporan Bulanan Contact Center DJPK<b>Kanal Email — {month}</b></div></div>\
         <div class=\"body\">\
         <h1>Email {title}<span class=\"addr\">{addr}</span></h1>",
        mb = esc(&r.mailbox),
        month = esc(&month.label()),
        title = esc(&mailbox_title(&r.mailbox)),
        addr = esc(&r.address),
    );

    headline(s, r, month, &id);
    categories(s, r);
    s.push_str("<section class=\"block row3\">");
    regions(s, r);
    senders(s, r);
    service_hours(s, r);
    s.push_str("</section>");
    routing(s, r);
    footer(s, r);
}

/// The headline figure, its comparisons, what is left out of it, and the three months.
fn headline(s: &mut String, r: &MailboxReport, month: Month, id: &str) {
    let machine_kinds = r
        .machine
        .kinds
        .iter()
        .map(|(k, c)| format!("{} {}", esc(super::machine_label(k)), fmt_int(*c)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        s,
        "<section class=\"block row\"><div class=\"headline\">\
         <div class=\"label\">Jumlah email masuk {month}</div>\
         <div class=\"big\"><span data-k=\"total\">{total}</span>{imp}<small>email</small></div>\
         <ul class=\"cmp\"><li class=\"{c1}\" data-k=\"cmp-previous\">{p1}{s1}</li><li class=\"{c2}\" data-k=\"cmp-year\">{p2}{s2}</li></ul>\
         <div class=\"apart\">Di luar jumlah: <span data-k=\"machine\">{machine}</span> pesan otomatis{kinds} · \
         <span data-k=\"quarantined\">{q}</span> karantina{pic}. Spam termasuk dalam jumlah.</div>\
         </div><figure>{chart}<figcaption>Jumlah email: bulan yang sama tahun lalu, bulan sebelumnya, bulan ini.</figcaption></figure></section>",
        month = esc(&month.label()),
        total = fmt_int(r.total),
        imp = star(r.imported),
        c1 = arrow_class(&r.comparisons.previous_month),
        p1 = esc(&r.comparisons.previous_month),
        s1 = star(r.previous_month.imported),
        c2 = arrow_class(&r.comparisons.same_month_last_year),
        p2 = esc(&r.comparisons.same_month_last_year),
        s2 = star(r.same_month_last_year.imported),
        machine = fmt_int(r.machine.total),
        kinds = if machine_kinds.is_empty() {
            String::new()
        } else {
            format!(" ({machine_kinds})")
        },
        q = fmt_int(r.quarantined),
        pic = if r.pic_answers > 0 {
            format!(
                " · <span data-k=\"pic-answers\">{}</span> jawaban PIC",
                fmt_int(r.pic_answers)
            )
        } else {
            String::new()
        },
        chart = months_chart(r, id),
    );
}

/// The categories: chart and table.
fn categories(s: &mut String, r: &MailboxReport) {
    let _ = write!(
        s,
        "<section class=\"block\"><h2>Kategori</h2><div class=\"row\"><figure>{}</figure>\
         <table class=\"categories\"><thead><tr><th>Kategori</th><th class=\"n\">Jumlah</th><th class=\"n\">%</th></tr></thead><tbody>",
        categories_chart(r)
    );
    for c in &r.categories {
        let _ = write!(
            s,
            "<tr data-category=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&c.id),
            esc(&c.label),
            fmt_int(c.count),
            esc(&fmt_pct(c.percent))
        );
    }
    let _ = write!(
        s,
        "<tr class=\"sum\"><td>Jumlah{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tbody></table></div></section>",
        star(r.imported),
        fmt_int(r.total),
        if r.total > 0 { "100%" } else { "–" }
    );
}

/// The regions that wrote most.
fn regions(s: &mut String, r: &MailboxReport) {
    s.push_str("<div><h2>Pemda terbanyak</h2>");
    if r.regions.top.is_empty() {
        s.push_str("<p class=\"muted\">Belum ada pesan dari Pemda yang dikenali.</p>");
    } else {
        s.push_str("<ol class=\"regions\">");
        for x in &r.regions.top {
            let _ = write!(
                s,
                "<li data-region=\"{}\">{} <b>{}</b></li>",
                esc(&x.code),
                esc(&x.name),
                fmt_int(x.count)
            );
        }
        s.push_str("</ol>");
    }
    let _ = write!(
        s,
        "<p class=\"note\">{} pesan dari {} Pemda berbeda.</p></div>",
        fmt_int(r.regions.pemda_messages),
        fmt_int(r.regions.distinct)
    );
}

/// Who wrote: the sender groups.
fn senders(s: &mut String, r: &MailboxReport) {
    let _ = write!(
        s,
        "<div><h2>Pengirim</h2><figure>{}</figure><table class=\"senders\" style=\"margin-top:8px\"><tbody>",
        senders_chart(r)
    );
    for (i, g) in r.senders.iter().enumerate() {
        let _ = write!(
            s,
            "<tr data-sender=\"{}\"><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&g.id),
            PALETTE[i],
            esc(&g.label),
            fmt_int(g.messages),
            esc(&fmt_pct(g.percent))
        );
    }
    s.push_str("</tbody></table></div>");
}

/// Contacts inside and outside service hours, per time zone.
fn service_hours(s: &mut String, r: &MailboxReport) {
    let h = &r.service_hours;
    let _ = write!(
        s,
        "<div><h2>Jam layanan</h2><p class=\"muted\" style=\"margin:0 0 6px 0\">{} (jam setempat pengirim)</p>\
         <table class=\"hours\"><thead><tr><th>Zona</th><th class=\"n\">Di dalam</th><th class=\"n\">Di luar</th></tr></thead><tbody>",
        esc(&h.hours)
    );
    for z in &h.zones {
        let _ = write!(
            s,
            "<tr data-zone=\"{0}\"><td>{0}</td><td class=\"n\">{1}</td><td class=\"n\">{2}</td></tr>",
            esc(&z.zone),
            fmt_int(z.inside),
            fmt_int(z.outside)
        );
    }
    let _ = write!(
        s,
        "<tr class=\"sum\" data-zone=\"all\"><td>Jumlah</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tbody></table>",
        fmt_int(h.inside),
        fmt_int(h.outside)
    );
    if !h.holidays.is_empty() {
        let days = h
            .holidays
            .iter()
            .map(|d| format!("{} {}", esc(&d.date), esc(&d.name)))
            .collect::<Vec<_>>()
            .join("; ");
        let _ = write!(s, "<p class=\"note\">Hari libur: {days}.</p>");
    }

    s.push_str("</div>");
}

/// Forwards to the units (Layer 2) and how long they took.
fn routing(s: &mut String, r: &MailboxReport) {
    let ro = &r.routing;
    let _ = write!(
        s,
        "<section class=\"block\"><h2>Penerusan ke unit (Layer 2)</h2><div class=\"row\"><div>\
         <p style=\"margin:0 0 8px 0\"><b data-k=\"forwarded\">{}</b> pesan diteruskan ke unit ({}), \
         <b data-k=\"acknowledged\">{}</b> tanda terima terkirim.</p>\
         <table class=\"delays\"><thead><tr><th>Waktu sejak email diterima</th><th class=\"n\">Median</th><th class=\"n\">Persentil 90</th><th class=\"n\">Pesan</th></tr></thead><tbody>\
         <tr data-delay=\"forward\"><td>sampai diteruskan ke PIC</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\
         <tr data-delay=\"ack\"><td>sampai tanda terima</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\
         </tbody></table></div>\
         <table class=\"units\"><thead><tr><th>Unit</th><th class=\"n\">Diteruskan</th><th class=\"n\">Terkirim</th></tr></thead><tbody>",
        fmt_int(ro.forwarded),
        esc(&fmt_pct(ro.forwarded_percent)),
        fmt_int(ro.acknowledged),
        delay_cell(&ro.to_forward, |d| d.median_seconds),
        delay_cell(&ro.to_forward, |d| d.p90_seconds),
        fmt_int(ro.to_forward.count),
        delay_cell(&ro.to_acknowledgement, |d| d.median_seconds),
        delay_cell(&ro.to_acknowledgement, |d| d.p90_seconds),
        fmt_int(ro.to_acknowledgement.count),
    );
    if ro.units.is_empty() {
        s.push_str("<tr><td colspan=\"3\" class=\"muted\">Belum ada penerusan.</td></tr>");
    }
    for u in &ro.units {
        let _ = write!(
            s,
            "<tr data-unit=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&u.unit),
            esc(&u.name),
            fmt_int(u.forwarded),
            fmt_int(u.sent)
        );
    }
    s.push_str("</tbody></table></div></section></div>");
}

/// Where the figures come from.
fn footer(s: &mut String, r: &MailboxReport) {
    let any_imported = r.imported || r.previous_month.imported || r.same_month_last_year.imported;
    let _ = write!(
        s,
        "<footer>Sumber: catatan pilah — email dihitung menurut waktu diterima server (INTERNALDATE), zona waktu {}. \
         Pesan otomatis (balasan otomatis, pantulan, milis), pesan karantina dan jawaban PIC tidak termasuk jumlah.{}</footer></section>",
        esc(&r.timezone),
        if any_imported {
            " <span class=\"imp\">*</span> Angka impor: hitungan Contact Center sebelum pilah."
        } else {
            ""
        }
    );
}

/// The whole document.
pub fn html(reports: &[MailboxReport], month: Month) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>Laporan Bulanan Kanal Email Contact Center DJPK — {}</title><style>{CSS}</style></head><body>\n",
        esc(&month.label())
    );
    for r in reports {
        page(&mut s, r, month);
        s.push('\n');
    }
    if reports.is_empty() {
        s.push_str("<section class=\"page\"><div class=\"body\"><p>Tidak ada kotak surel.</p></div></section>");
    }
    s.push_str("</body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_titles() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(mailbox_title("callcenter"), "Call Center");
        assert_eq!(mailbox_title("pengaduan"), "Pengaduan");
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
