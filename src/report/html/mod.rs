//! The report as one self-contained HTML file: inline CSS and SVG, no script, nothing
//! fetched from the network; laid out like the pages of the contact center's published
//! monthly report, printable on A4 landscape: the mailboxes together first (when there are
//! two or more), then two pages per mailbox (the counts; tickets, senders and routing).

mod charts;

use super::data::{CategoryCount, Combined, Counts, Delay, MailboxReport, Report};
use super::tickets::TicketStats;
use super::{fmt_change, fmt_duration, fmt_int, fmt_pct, Month};
use charts::{categories_chart, months_chart, senders_chart, trend_chart};
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

pub(super) const PALETTE: [&str; 9] = [
    "#0b3a6e", "#e0a100", "#2f7fc1", "#6aa84f", "#c8553d", "#7fb2e5", "#8d6cab", "#5b8e7d",
    "#9aa3af",
];

const CSS: &str = r#"
@page { size: A4 landscape; margin: 8mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e6eaf0; color: #1c2530;
  font-family: "Liberation Sans", Arial, Helvetica, "DejaVu Sans", sans-serif; font-size: 14px; line-height: 1.35; }
.page { background: #fff; width: 1280px; margin: 24px auto; padding: 0 0 20px 0;
  box-shadow: 0 2px 10px rgba(0,0,0,.15); break-after: page; page-break-after: always; }
article:last-child .page:last-child { break-after: auto; page-break-after: auto; }
.band { background: #0b3a6e; color: #fff; padding: 12px 40px 10px 40px; display: flex;
  justify-content: space-between; align-items: flex-end; border-bottom: 6px solid #e0a100; }
.band .org { font-size: 12px; letter-spacing: .06em; text-transform: uppercase; opacity: .92; }
.band .org b { display: block; font-size: 15px; letter-spacing: .04em; }
.band .what { text-align: right; font-size: 13px; }
.band .what b { display: block; font-size: 22px; letter-spacing: .01em; }
.body { padding: 10px 40px 0 40px; }
h1 .part { font-size: 14px; font-weight: normal; color: #5a6675; float: right; margin-top: 10px; }
h1 { font-size: 24px; margin: 4px 0 2px 0; color: #0b3a6e; }
h1 .addr { font-size: 14px; font-weight: normal; color: #5a6675; margin-left: 10px; }
h2 { font-size: 15px; text-transform: uppercase; letter-spacing: .05em; color: #0b3a6e;
  border-bottom: 2px solid #e0a100; padding-bottom: 3px; margin: 14px 0 8px 0; }
.row { display: grid; grid-template-columns: 5fr 6fr; gap: 28px; align-items: start; }
.row3 { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 28px; align-items: start; }
.row4 { display: grid; grid-template-columns: 1fr 1fr 1fr 1fr; gap: 24px; align-items: start; }
.top { display: grid; grid-template-columns: 4fr 4fr 5fr; gap: 28px; align-items: start; }
.stats { display: flex; flex-wrap: wrap; gap: 10px 26px; margin: 0 0 8px 0; }
.stats div { font-size: 12px; color: #5a6675; }
.stats b { display: block; font-size: 24px; color: #0b3a6e; font-variant-numeric: tabular-nums; }
td.up { color: #2f7fc1; } td.down { color: #c8553d; }
tr.gone td { color: #5a6675; font-style: italic; }
section.block { break-inside: avoid; page-break-inside: avoid; }
.headline { padding-top: 6px; }
.headline .label { font-size: 14px; color: #5a6675; text-transform: uppercase; letter-spacing: .05em; }
.headline .big { font-size: 72px; font-weight: bold; color: #0b3a6e; line-height: 1; margin: 6px 0 10px 0; }
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
  /* The screen layout at its fixed width, scaled to A4 landscape's printable width (281 mm). */
  body { background: #fff; }
  .page { margin: 0; box-shadow: none; zoom: 0.82; padding-bottom: 0; }
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

fn delay_cell(d: &Delay, which: fn(&Delay) -> Option<i64>) -> String {
    which(d)
        .map(fmt_duration)
        .unwrap_or_else(|| "–".to_string())
}

/// An id usable in HTML and SVG ids: the name with anything but ASCII letters and digits as `-`.
fn html_id(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// A sheet's start: the band with the organisation and the month, the title.
fn sheet_start(s: &mut String, id: &str, title: &str, part: &str, month: Month) {
    let _ = write!(
        s,
        "<section class=\"page\" id=\"{id}\">\
         <div class=\"band\"><div class=\"org\">Kementerian Keuangan Republik Indonesia<b>Direktorat Jenderal Perimbangan Keuangan</b></div>\
         <div class=\"what\">Laporan Bulanan Contact Center DJPK<b>Kanal Email — {month}</b></div></div>\
         <div class=\"body\"><h1>{title}<span class=\"part\">{part}</span></h1>",
        month = esc(&month.label()),
    );
}

/// A mailbox's two sheets.
fn mailbox_sheets(s: &mut String, r: &MailboxReport, month: Month) {
    let id = html_id(&r.mailbox);
    let title = format!(
        "Email {}<span class=\"addr\">{}</span>",
        esc(&mailbox_title(&r.mailbox)),
        esc(&r.address)
    );
    let _ = write!(s, "<article data-mailbox=\"{}\">", esc(&r.mailbox));
    sheet_start(
        s,
        &format!("mailbox-{id}"),
        &title,
        "Jumlah dan kategori",
        month,
    );
    let c = r.counts();
    headline(s, &c, &apart(r), month, &id);
    categories(s, &c, true);
    s.push_str("</div></section>");

    sheet_start(
        s,
        &format!("mailbox-{id}-2"),
        &title,
        "Tiket, pengirim dan penerusan",
        month,
    );
    s.push_str("<section class=\"block row\">");
    tickets(s, &r.tickets);
    routing(s, r);
    s.push_str("</section><section class=\"block row4\">");
    regions(s, r);
    provinces(s, r);
    senders(s, r);
    service_hours(s, r);
    s.push_str("</section></div>");
    footer(s, &r.timezone, c.any_imported());
    s.push_str("</section></article>");
}

/// What is left out of a mailbox's total.
fn apart(r: &MailboxReport) -> String {
    let machine_kinds = r
        .machine
        .kinds
        .iter()
        .map(|(k, c)| format!("{} {}", esc(super::machine_label(k)), fmt_int(*c)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "Di luar jumlah: <span data-k=\"machine\">{machine}</span> pesan otomatis{kinds} · \
         <span data-k=\"quarantined\">{q}</span> karantina{pic}. Spam termasuk dalam jumlah.",
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
    )
}

/// The headline figure with its comparisons and what is left out of it, the three months,
/// the twelve months' trend.
fn headline(s: &mut String, c: &Counts, apart: &str, month: Month, id: &str) {
    let _ = write!(
        s,
        "<section class=\"block top\"><div class=\"headline\">\
         <div class=\"label\">Jumlah email masuk {month}</div>\
         <div class=\"big\"><span data-k=\"total\">{total}</span>{imp}<small>email</small></div>\
         <ul class=\"cmp\"><li class=\"{c1}\" data-k=\"cmp-previous\">{p1}{s1}</li><li class=\"{c2}\" data-k=\"cmp-year\">{p2}{s2}</li></ul>\
         <div class=\"apart\">{apart}</div></div>\
         <figure>{chart}<figcaption>Bulan yang sama tahun lalu, bulan sebelumnya, bulan ini.</figcaption></figure>\
         <figure>{trend}<figcaption>Tren {n} bulan terakhir.</figcaption></figure></section>",
        month = esc(&month.label()),
        total = fmt_int(c.total),
        imp = star(c.imported),
        c1 = arrow_class(&c.comparisons.previous_month),
        p1 = esc(&c.comparisons.previous_month),
        s1 = star(c.previous_month.imported),
        c2 = arrow_class(&c.comparisons.same_month_last_year),
        p2 = esc(&c.comparisons.same_month_last_year),
        s2 = star(c.same_month_last_year.imported),
        chart = months_chart(c, id),
        trend = trend_chart(c, id),
        n = c.trend.len(),
    );
}

/// One row of the categories' table: count, share, last month's count and the change.
fn category_row(s: &mut String, c: &CategoryCount, gone: bool) {
    let change = c.change();
    let class = match change {
        Some(n) if n > 0 => "n up",
        Some(n) if n < 0 => "n down",
        _ => "n",
    };
    let _ = write!(
        s,
        "<tr data-category=\"{}\"{}><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"{class}\" data-k=\"change\">{}</td></tr>",
        esc(&c.id),
        if gone { " class=\"gone\"" } else { "" },
        esc(&c.label),
        fmt_int(c.count),
        esc(&fmt_pct(c.percent)),
        c.previous.map(fmt_int).unwrap_or_else(|| "–".to_string()),
        esc(&fmt_change(change)),
    );
}

/// The categories: a chart (when `chart`) and the table with last month's counts.
fn categories(s: &mut String, c: &Counts, chart: bool) {
    s.push_str("<section class=\"block\"><h2>Kategori</h2>");
    if chart {
        let _ = write!(
            s,
            "<div class=\"row\"><figure>{}</figure>",
            categories_chart(c.categories)
        );
    }
    let _ = write!(
        s,
        "<table class=\"categories\"><thead><tr><th>Kategori</th><th class=\"n\">Jumlah</th><th class=\"n\">%</th>\
         <th class=\"n\">{}{}</th><th class=\"n\">Perubahan</th></tr></thead><tbody>",
        esc(&c.previous_month.label),
        star(c.previous_month.imported)
    );
    for cat in c.categories {
        category_row(s, cat, false);
    }
    for cat in c.gone_categories {
        category_row(s, cat, true);
    }
    let _ = write!(
        s,
        "<tr class=\"sum\"><td>Jumlah{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr></tbody></table>",
        star(c.imported),
        fmt_int(c.total),
        if c.total > 0 { "100%" } else { "–" },
        fmt_int(c.previous_month.total),
        esc(&fmt_change(Some(c.total - c.previous_month.total))),
    );
    if c.previous_month.by_category().is_none() {
        let _ = write!(
            s,
            "<p class=\"note\">Perubahan per kategori tidak tersedia: {} tidak dihitung per kategori.</p>",
            esc(&c.previous_month.label)
        );
    }
    if chart {
        s.push_str("</div>");
    }
    s.push_str("</section>");
}

/// Tickets: opened, forwarded to a unit, answered by the PICs, still open at the end of the
/// month, per unit.
fn tickets(s: &mut String, t: &TicketStats) {
    let median = t
        .median_answer_hours
        .map(|h| {
            format!(
                "<div>median waktu jawab<b data-k=\"tickets-median\">{} jam</b></div>",
                fmt_pct(h).trim_end_matches('%')
            )
        })
        .unwrap_or_default();
    let _ = write!(
        s,
        "<div><h2>Tiket</h2><div class=\"stats\">\
         <div>dibuka<b data-k=\"tickets-opened\">{}</b></div>\
         <div>diteruskan ke unit<b><span data-k=\"tickets-escalated\">{}</span> <small>({})</small></b></div>\
         <div>dijawab PIC<b><span data-k=\"tickets-answered\">{}</span> <small>({})</small></b></div>\
         {median}\
         <div>masih terbuka di akhir bulan<b data-k=\"tickets-open\">{}</b></div></div>\
         <p class=\"note\" style=\"margin:0 0 6px 0\">Tindak lanjut <span data-k=\"tickets-follow-ups\">{}</span>, duplikat <span data-k=\"tickets-duplicates\">{}</span>.</p>\
         <table class=\"tickets\"><thead><tr><th>Unit</th><th class=\"n\">Diteruskan</th><th class=\"n\">Dijawab PIC</th><th class=\"n\">%</th><th class=\"n\">Median</th></tr></thead><tbody>",
        fmt_int(t.opened),
        fmt_int(t.escalated),
        esc(&fmt_pct(t.escalated_percent)),
        fmt_int(t.answered),
        esc(&fmt_pct(t.answered_percent)),
        fmt_int(t.open_at_month_end),
        fmt_int(t.follow_ups),
        fmt_int(t.duplicates),
    );
    if t.units.is_empty() {
        s.push_str(
            "<tr><td colspan=\"5\" class=\"muted\">Belum ada tiket yang diteruskan.</td></tr>",
        );
    }
    for u in &t.units {
        let _ = write!(
            s,
            "<tr data-ticket-unit=\"{0}\"><td>{0}</td><td class=\"n\">{1}</td><td class=\"n\">{2}</td><td class=\"n\">{3}</td><td class=\"n\">{4}</td></tr>",
            esc(&u.unit),
            fmt_int(u.forwarded),
            fmt_int(u.answered),
            esc(&fmt_pct(u.answered_percent)),
            u.median_answer_hours
                .map(|h| format!("{} jam", fmt_pct(h).trim_end_matches('%')))
                .unwrap_or_else(|| "–".to_string()),
        );
    }
    s.push_str("</tbody></table></div>");
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

/// The Pemda's messages per province (the ten largest, the rest on one line).
fn provinces(s: &mut String, r: &MailboxReport) {
    const SHOWN: usize = 10;
    let all = &r.regions.provinces;
    s.push_str(
        "<div><h2>Per provinsi</h2><table class=\"provinces\"><thead><tr><th>Provinsi</th>\
         <th class=\"n\">Pesan</th><th class=\"n\">Pemda</th></tr></thead><tbody>",
    );
    if all.is_empty() {
        s.push_str("<tr><td colspan=\"3\" class=\"muted\">Belum ada.</td></tr>");
    }
    let shown = if all.len() > SHOWN + 1 {
        SHOWN
    } else {
        all.len()
    };
    for p in &all[..shown] {
        let _ = write!(
            s,
            "<tr data-province=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&p.code),
            esc(&p.name),
            fmt_int(p.count),
            fmt_int(p.regions)
        );
    }
    if shown < all.len() {
        let rest = &all[shown..];
        let _ = write!(
            s,
            "<tr><td>{} provinsi lain</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            rest.len(),
            fmt_int(rest.iter().map(|p| p.count).sum()),
            fmt_int(rest.iter().map(|p| p.regions).sum())
        );
    }
    s.push_str("</tbody></table></div>");
}

/// Who wrote: the sender groups.
fn senders(s: &mut String, r: &MailboxReport) {
    let _ = write!(
        s,
        "<div><h2>Pengirim</h2><figure>{}</figure><table class=\"senders\" style=\"margin-top:8px\"><tbody>",
        senders_chart(&r.senders)
    );
    for (i, g) in r.senders.iter().enumerate() {
        let _ = write!(
            s,
            "<tr data-sender=\"{}\"><td><span class=\"swatch\" style=\"background:{}\"></span>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&g.id),
            PALETTE[i.min(PALETTE.len() - 1)],
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
        "<div><h2>Penerusan ke unit (Layer 2)</h2>\
         <p style=\"margin:0 0 8px 0\"><b data-k=\"forwarded\">{}</b> pesan diteruskan ke unit ({}), \
         <b data-k=\"acknowledged\">{}</b> tanda terima terkirim.</p>\
         <table class=\"delays\"><thead><tr><th>Waktu sejak email diterima</th><th class=\"n\">Median</th><th class=\"n\">Persentil 90</th><th class=\"n\">Pesan</th></tr></thead><tbody>\
         <tr data-delay=\"forward\"><td>sampai diteruskan ke PIC</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\
         <tr data-delay=\"ack\"><td>sampai tanda terima</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\
         </tbody></table>\
         <table class=\"units\" style=\"margin-top:8px\"><thead><tr><th>Unit</th><th class=\"n\">Diteruskan</th><th class=\"n\">Terkirim</th></tr></thead><tbody>",
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
    s.push_str("</tbody></table>");
    corrections(s, r);
    s.push_str("</div>");
}

/// The corrections, under the routing: only in a month that has some.
fn corrections(s: &mut String, r: &MailboxReport) {
    let c = &r.corrections;
    if c.total == 0 {
        return;
    }
    let _ = write!(
        s,
        "<h2 style=\"margin-top:10px\">Koreksi kategori oleh agen</h2>\
         <p style=\"margin:0 0 8px 0\"><b data-k=\"corrected\">{}</b> pesan dikoreksi ({}).</p>\
         <table class=\"corrections\"><thead><tr><th>Aturan</th><th class=\"n\">Dikoreksi</th><th class=\"n\">Dari</th><th>Menjadi</th></tr></thead><tbody>",
        fmt_int(c.total),
        esc(&fmt_pct(c.percent)),
    );
    for rule in &c.rules {
        let to: Vec<String> = rule
            .to
            .iter()
            .map(|t| format!("{} {}", esc(&t.label), fmt_int(t.count)))
            .collect();
        let _ = write!(
            s,
            "<tr data-rule=\"{}\"><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&rule.rule),
            esc(&rule.rule),
            fmt_int(rule.overruled),
            fmt_int(rule.decided),
            to.join(", ")
        );
    }
    s.push_str("</tbody></table>");
}

/// Where the figures come from.
fn footer(s: &mut String, timezone: &str, any_imported: bool) {
    let _ = write!(
        s,
        "<footer>Sumber: catatan pilah — email dihitung menurut waktu diterima server (INTERNALDATE), zona waktu {}. \
         Pesan otomatis (balasan otomatis, pantulan, milis), pesan karantina dan jawaban PIC tidak termasuk jumlah.{}</footer>",
        esc(timezone),
        if any_imported {
            " <span class=\"imp\">*</span> Angka impor: hitungan Contact Center sebelum pilah."
        } else {
            ""
        }
    );
}

/// The mailboxes together: the channel's total, its comparisons and trend, the categories
/// with their change, the tickets, and each mailbox's share.
fn combined_sheet(s: &mut String, c: &Combined, report: &Report) {
    let names = c
        .mailboxes
        .iter()
        .map(|m| esc(&mailbox_title(m)))
        .collect::<Vec<_>>()
        .join(" + ");
    s.push_str("<article data-combined=\"1\">");
    sheet_start(
        s,
        "gabungan",
        &format!("Email {names}"),
        "Gabungan semua kotak surel",
        report.month,
    );
    let counts = c.counts();
    let apart = format!(
        "Di luar jumlah: <span data-k=\"machine\">{}</span> pesan otomatis · \
         <span data-k=\"quarantined\">{}</span> karantina · {} jawaban PIC. Spam termasuk dalam jumlah.",
        fmt_int(c.machine),
        fmt_int(c.quarantined),
        fmt_int(c.pic_answers)
    );
    headline(s, &counts, &apart, report.month, "gabungan");
    s.push_str("<section class=\"block row\">");
    categories(s, &counts, false);
    s.push_str("<div>");
    per_mailbox(s, report);
    tickets(s, &c.tickets);
    s.push_str("</div></section></div>");
    let tz = report
        .mailboxes
        .first()
        .map(|r| r.timezone.as_str())
        .unwrap_or("");
    footer(s, tz, counts.any_imported());
    s.push_str("</section></article>");
}

/// Each mailbox's total and tickets, beside the combined figures.
fn per_mailbox(s: &mut String, report: &Report) {
    s.push_str(
        "<h2>Per kotak surel</h2><table class=\"per-mailbox\"><thead><tr><th>Kotak surel</th>\
         <th class=\"n\">Jumlah</th><th class=\"n\">Bulan sebelumnya</th><th class=\"n\">Tiket dibuka</th>\
         <th class=\"n\">Dijawab PIC</th><th class=\"n\">Terbuka akhir bulan</th></tr></thead><tbody>",
    );
    for r in &report.mailboxes {
        let _ = write!(
            s,
            "<tr data-mailbox-row=\"{}\"><td>{}</td><td class=\"n\">{}{}</td><td class=\"n\">{}{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&r.mailbox),
            esc(&mailbox_title(&r.mailbox)),
            fmt_int(r.total),
            star(r.imported),
            fmt_int(r.previous_month.total),
            star(r.previous_month.imported),
            fmt_int(r.tickets.opened),
            fmt_int(r.tickets.answered),
            fmt_int(r.tickets.open_at_month_end),
        );
    }
    s.push_str("</tbody></table>");
}

/// The whole document.
pub fn html(report: &Report) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"id\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>Laporan Bulanan Kanal Email Contact Center DJPK — {}</title><style>{CSS}</style></head><body>\n",
        esc(&report.month.label())
    );
    if let Some(c) = &report.combined {
        combined_sheet(&mut s, c, report);
        s.push('\n');
    }
    for r in &report.mailboxes {
        mailbox_sheets(&mut s, r, report.month);
        s.push('\n');
    }
    if report.mailboxes.is_empty() {
        s.push_str("<article><section class=\"page\"><div class=\"body\"><p>Tidak ada kotak surel.</p></div></section></article>");
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
    }
}
