//! The report as plain text (a terminal, an e-mail) and as Markdown.

use super::data::{CategoryCount, Counts, Delay, MailboxReport, Report};
use super::tickets::TicketStats;
use super::{fmt_change, fmt_duration, fmt_int, fmt_pct, mailbox_list};
use std::fmt::Write;

const IMPORTED: &str = "[impor]";

fn mark(imported: bool) -> &'static str {
    if imported {
        " [impor]"
    } else {
        ""
    }
}

fn machine_line(r: &MailboxReport) -> String {
    let kinds = r
        .machine
        .kinds
        .iter()
        .map(|(k, c)| format!("{} {c}", super::machine_label(k)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{}{}",
        fmt_int(r.machine.total),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(" ({kinds})")
        }
    )
}

fn delay(d: &Delay) -> String {
    match (d.median_seconds, d.p90_seconds) {
        (Some(m), Some(p)) => format!(
            "median {}, persentil ke-90 {} ({} pesan)",
            fmt_duration(m),
            fmt_duration(p),
            fmt_int(d.count)
        ),
        _ => "belum ada".to_string(),
    }
}

fn top_regions(r: &MailboxReport) -> String {
    if r.regions.top.is_empty() {
        return "belum ada".to_string();
    }
    r.regions
        .top
        .iter()
        .map(|x| format!("{} ({})", x.name, fmt_int(x.count)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plain-text report.
pub fn text(report: &Report) -> String {
    let mut s = String::new();
    let month = report.month;
    for r in &report.mailboxes {
        let _ = writeln!(s, "Email {} ({}) — {}", r.mailbox, r.address, month.label());
        text_counts(&mut s, &r.counts());
        text_apart(&mut s, r);
        text_tickets(&mut s, &r.tickets);
        text_senders(&mut s, r);
        text_service_hours(&mut s, r);
        text_routing(&mut s, r);
        text_corrections(&mut s, r);
        let _ = writeln!(s);
    }
    if let Some(c) = &report.combined {
        let _ = writeln!(
            s,
            "Gabungan email {} — {}",
            mailbox_list(&c.mailboxes),
            month.label()
        );
        text_counts(&mut s, &c.counts());
        let _ = writeln!(
            s,
            "  Di luar jumlah: pesan otomatis {}, karantina {}, jawaban PIC {}",
            fmt_int(c.machine),
            fmt_int(c.quarantined),
            fmt_int(c.pic_answers)
        );
        text_tickets(&mut s, &c.tickets);
        let _ = writeln!(s);
    }
    if report.any_imported() {
        let _ = writeln!(
            s,
            "{IMPORTED} angka impor: hitungan Contact Center sebelum pilah (pilah report import)"
        );
    }
    s
}

/// One category's line: label, count, share, change from the previous month.
fn text_category(s: &mut String, c: &CategoryCount) {
    let _ = writeln!(
        s,
        "    {:<44} {:>6}  {:>6}  {:>6}",
        c.label,
        fmt_int(c.count),
        fmt_pct(c.percent),
        fmt_change(c.change())
    );
}

/// The month's total, its comparisons, the trend and the categories.
fn text_counts(s: &mut String, c: &Counts) {
    let _ = writeln!(
        s,
        "  Jumlah pesan: {}{}",
        fmt_int(c.total),
        mark(c.imported)
    );
    let _ = writeln!(
        s,
        "  {}{}",
        c.comparisons.previous_month,
        mark(c.previous_month.imported)
    );
    let _ = writeln!(
        s,
        "  {}{}",
        c.comparisons.same_month_last_year,
        mark(c.same_month_last_year.imported)
    );
    let trend = c
        .trend
        .iter()
        .map(|m| format!("{} {}{}", m.label, fmt_int(m.total), mark(m.imported)))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(s, "  {} bulan terakhir: {trend}", c.trend.len());
    let _ = writeln!(
        s,
        "  Kategori (jumlah, persen, perubahan dari bulan sebelumnya):"
    );
    for cat in c.categories.iter().chain(c.gone_categories) {
        text_category(s, cat);
    }
}

/// What is not counted in the total.
fn text_apart(s: &mut String, r: &MailboxReport) {
    let _ = writeln!(s, "  Pesan otomatis (di luar jumlah): {}", machine_line(r));
    let _ = writeln!(
        s,
        "  Karantina (di luar jumlah): {}",
        fmt_int(r.quarantined)
    );
    if r.pic_answers > 0 {
        let _ = writeln!(
            s,
            "  Jawaban PIC (di luar jumlah): {}",
            fmt_int(r.pic_answers)
        );
    }
}

/// Tickets: opened, forwarded, answered, per unit.
fn text_tickets(s: &mut String, t: &TicketStats) {
    let _ = writeln!(
        s,
        "  Tiket: {} dibuka, {} diteruskan ke unit ({}), {} dijawab PIC ({}){}",
        fmt_int(t.opened),
        fmt_int(t.escalated),
        fmt_pct(t.escalated_percent),
        fmt_int(t.answered),
        fmt_pct(t.answered_percent),
        t.median_answer_hours
            .map(|h| format!(", median {} jam", fmt_pct(h).trim_end_matches('%')))
            .unwrap_or_default(),
    );
    let _ = writeln!(
        s,
        "    tindak lanjut {}, duplikat {}, masih terbuka di akhir bulan {}",
        fmt_int(t.follow_ups),
        fmt_int(t.duplicates),
        fmt_int(t.open_at_month_end),
    );
    for u in &t.units {
        let _ = writeln!(
            s,
            "    {:<28} diteruskan {:>4}  dijawab {:>4} ({}){}",
            u.unit,
            u.forwarded,
            u.answered,
            fmt_pct(u.answered_percent),
            u.median_answer_hours
                .map(|h| format!("  median {} jam", fmt_pct(h).trim_end_matches('%')))
                .unwrap_or_default()
        );
    }
}

/// Rule versions, sender groups, the regions that wrote most.
fn text_senders(s: &mut String, r: &MailboxReport) {
    if !r.rules_versions.is_empty() {
        let v: Vec<String> = r
            .rules_versions
            .iter()
            .map(|(v, n)| format!("{v} ({n})"))
            .collect();
        let _ = writeln!(s, "  Versi aturan: {}", v.join(", "));
    }
    let senders = r
        .senders
        .iter()
        .map(|g| {
            format!(
                "{} {} ({})",
                g.label,
                fmt_int(g.messages),
                fmt_pct(g.percent)
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(s, "  Pengirim: {senders}");
    let _ = writeln!(s, "  Pemda terbanyak: {}", top_regions(r));
    if !r.regions.provinces.is_empty() {
        let p = r
            .regions
            .provinces
            .iter()
            .map(|p| format!("{} ({})", p.name, fmt_int(p.count)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(s, "  Per provinsi: {p}");
    }
}

/// Inside and outside service hours, per time zone, and the holidays.
fn text_service_hours(s: &mut String, r: &MailboxReport) {
    let h = &r.service_hours;
    let _ = writeln!(
        s,
        "  Jam layanan ({}, jam setempat pengirim): di dalam {}, di luar {}",
        h.hours,
        fmt_int(h.inside),
        fmt_int(h.outside)
    );
    for z in &h.zones {
        let _ = writeln!(
            s,
            "    {:<5} di dalam {:>5}   di luar {:>5}",
            z.zone,
            fmt_int(z.inside),
            fmt_int(z.outside)
        );
    }
    for d in &h.holidays {
        let _ = writeln!(s, "    libur {}: {}", d.date, d.name);
    }
}

/// Forwards per unit and the delays to forward and to acknowledge.
fn text_routing(s: &mut String, r: &MailboxReport) {
    let ro = &r.routing;
    let _ = writeln!(
        s,
        "  Diteruskan ke unit: {} pesan ({})",
        fmt_int(ro.forwarded),
        fmt_pct(ro.forwarded_percent)
    );
    for u in &ro.units {
        let _ = writeln!(
            s,
            "    {:<44} {:>6}  (terkirim {})",
            u.name,
            fmt_int(u.forwarded),
            fmt_int(u.sent)
        );
    }
    let _ = writeln!(s, "  Waktu sampai diteruskan: {}", delay(&ro.to_forward));
    let _ = writeln!(
        s,
        "  Waktu sampai tanda terima: {}",
        delay(&ro.to_acknowledgement)
    );
}

/// The corrections: per category (into, away) and per rule (overruled, to what).
fn text_corrections(s: &mut String, r: &MailboxReport) {
    let c = &r.corrections;
    let _ = writeln!(
        s,
        "  Dikoreksi agen (kategori diubah dari hasil aturan): {} pesan ({})",
        fmt_int(c.total),
        fmt_pct(c.percent)
    );
    for k in &c.categories {
        let _ = writeln!(
            s,
            "    {:<44} masuk {:>4}  keluar {:>4}",
            k.label,
            fmt_int(k.into),
            fmt_int(k.away)
        );
    }
    for rule in &c.rules {
        let to: Vec<String> = rule
            .to
            .iter()
            .map(|t| format!("{} {}", t.label, fmt_int(t.count)))
            .collect();
        let _ = writeln!(
            s,
            "    aturan {}: dikoreksi {} dari {} ({}) → {}",
            rule.rule,
            fmt_int(rule.overruled),
            fmt_int(rule.decided),
            fmt_pct(rule.percent),
            to.join(", ")
        );
    }
}

/// The corrections as Markdown tables.
fn md_corrections(s: &mut String, r: &MailboxReport) {
    let c = &r.corrections;
    let _ = writeln!(
        s,
        "### Koreksi kategori\n\n{} pesan dikoreksi agen ({}).\n",
        fmt_int(c.total),
        fmt_pct(c.percent)
    );
    if c.total == 0 {
        return;
    }
    let _ = writeln!(s, "| Kategori | Masuk | Keluar |\n|---|---:|---:|");
    for k in &c.categories {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            md(&k.label),
            fmt_int(k.into),
            fmt_int(k.away)
        );
    }
    let _ = writeln!(
        s,
        "\n| Aturan | Dikoreksi | Dari | Menjadi |\n|---|---:|---:|---|"
    );
    for rule in &c.rules {
        let to: Vec<String> = rule
            .to
            .iter()
            .map(|t| format!("{} {}", md(&t.label), fmt_int(t.count)))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} ({}) | {} | {} |",
            md(&rule.rule),
            fmt_int(rule.overruled),
            fmt_pct(rule.percent),
            fmt_int(rule.decided),
            to.join(", ")
        );
    }
    let _ = writeln!(s);
}

/// Escapes text that admins or imported data put in the report (category labels, unit,
/// region and mailbox names) for a Markdown table cell, list item or heading, so that it
/// shows as written and cannot end a cell, start a line, or make a link, an image, emphasis,
/// code or HTML: every character Markdown gives a meaning inline is backslash-escaped, line
/// breaks and other control characters become spaces, and what would begin a heading, list,
/// block quote or setext underline at the start is escaped as well.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let flat = flat.trim();
    // "1." or "1)" at the start would make an ordered list item.
    let digits = flat.chars().take_while(|c| c.is_ascii_digit()).count();
    for (i, c) in flat.chars().enumerate() {
        let escape = match c {
            '\\' | '|' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '#' | '~' | '&' | '!' => true,
            '-' | '+' | '=' => i == 0,
            '.' | ')' => digits > 0 && i == digits,
            _ => false,
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The report as Markdown.
pub fn markdown(report: &Report) -> String {
    let mut s = String::new();
    let month = report.month;
    let _ = writeln!(s, "# Laporan Bulanan Kanal Email — {}\n", month.label());
    for r in &report.mailboxes {
        let _ = writeln!(s, "## Email {} ({})\n", md(&r.mailbox), md(&r.address));
        md_counts(&mut s, &r.counts());
        let _ = writeln!(
            s,
            "Di luar jumlah: pesan otomatis {}, karantina {}{}.\n",
            machine_line(r),
            fmt_int(r.quarantined),
            if r.pic_answers > 0 {
                format!(", jawaban PIC {}", fmt_int(r.pic_answers))
            } else {
                String::new()
            }
        );
        md_tickets(&mut s, &r.tickets);
        md_senders(&mut s, r);
        md_service_hours(&mut s, r);
        md_routing(&mut s, r);
        md_corrections(&mut s, r);
    }
    if let Some(c) = &report.combined {
        let names: Vec<String> = c.mailboxes.iter().map(|m| md(m)).collect();
        let _ = writeln!(s, "## Gabungan email {}\n", mailbox_list(&names));
        md_counts(&mut s, &c.counts());
        let _ = writeln!(
            s,
            "Di luar jumlah: pesan otomatis {}, karantina {}, jawaban PIC {}.\n",
            fmt_int(c.machine),
            fmt_int(c.quarantined),
            fmt_int(c.pic_answers)
        );
        md_tickets(&mut s, &c.tickets);
    }
    if report.any_imported() {
        let _ = writeln!(
            s,
            "\\* angka impor: hitungan Contact Center sebelum pilah (`pilah report import`)."
        );
    }
    s
}

/// ` *` after a figure that was imported.
fn star(imported: bool) -> &'static str {
    if imported {
        " *"
    } else {
        ""
    }
}

/// The month's total, its comparisons, the trend, the categories with their change.
fn md_counts(s: &mut String, c: &Counts) {
    let _ = writeln!(s, "**{}** pesan{}\n", fmt_int(c.total), star(c.imported));
    let _ = writeln!(
        s,
        "- {}{}",
        c.comparisons.previous_month,
        star(c.previous_month.imported)
    );
    let _ = writeln!(
        s,
        "- {}{}\n",
        c.comparisons.same_month_last_year,
        star(c.same_month_last_year.imported)
    );
    let _ = writeln!(s, "| Bulan | Jumlah |\n|---|---:|");
    for (label, total, imp) in [
        (
            &c.same_month_last_year.label,
            c.same_month_last_year.total,
            c.same_month_last_year.imported,
        ),
        (
            &c.previous_month.label,
            c.previous_month.total,
            c.previous_month.imported,
        ),
        (&c.month_label.to_string(), c.total, c.imported),
    ] {
        let _ = writeln!(s, "| {}{} | {} |", md(label), star(imp), fmt_int(total));
    }
    let _ = writeln!(
        s,
        "\n### Tren {} bulan\n\n| Bulan | Jumlah |\n|---|---:|",
        c.trend.len()
    );
    for m in c.trend {
        let _ = writeln!(
            s,
            "| {}{} | {} |",
            md(&m.label),
            star(m.imported),
            fmt_int(m.total)
        );
    }
    let _ = writeln!(
        s,
        "\n### Kategori\n\n| Kategori | Jumlah | % | Perubahan dari bulan sebelumnya |\n|---|---:|---:|---:|"
    );
    for cat in c.categories.iter().chain(c.gone_categories) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(&cat.label),
            fmt_int(cat.count),
            fmt_pct(cat.percent),
            fmt_change(cat.change())
        );
    }
    s.push('\n');
}

/// Tickets: opened, forwarded to a unit, answered by PICs, still open, per unit.
fn md_tickets(s: &mut String, t: &TicketStats) {
    let _ = writeln!(
        s,
        "### Tiket\n\n- dibuka: {}\n- diteruskan ke unit: {} ({})\n- dijawab PIC: {} ({}){}\n\
         - tindak lanjut: {}, duplikat: {}\n- masih terbuka di akhir bulan: {}\n",
        fmt_int(t.opened),
        fmt_int(t.escalated),
        fmt_pct(t.escalated_percent),
        fmt_int(t.answered),
        fmt_pct(t.answered_percent),
        t.median_answer_hours
            .map(|h| format!(", median {} jam", fmt_pct(h).trim_end_matches('%')))
            .unwrap_or_default(),
        fmt_int(t.follow_ups),
        fmt_int(t.duplicates),
        fmt_int(t.open_at_month_end),
    );
    if t.units.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "| Unit | Diteruskan | Dijawab PIC | % |\n|---|---:|---:|---:|"
    );
    for u in &t.units {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(&u.unit),
            fmt_int(u.forwarded),
            fmt_int(u.answered),
            fmt_pct(u.answered_percent)
        );
    }
    s.push('\n');
}

/// Sender groups and the regions that wrote most.
fn md_senders(s: &mut String, r: &MailboxReport) {
    let _ = writeln!(
        s,
        "### Pengirim\n\n| Pengirim | Pesan | % | Alamat berbeda |\n|---|---:|---:|---:|"
    );
    for g in &r.senders {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            md(&g.label),
            fmt_int(g.messages),
            fmt_pct(g.percent),
            fmt_int(g.senders)
        );
    }
    let _ = writeln!(s, "\n### Pemda terbanyak\n");
    if r.regions.top.is_empty() {
        let _ = writeln!(s, "Belum ada.");
    }
    for (i, x) in r.regions.top.iter().enumerate() {
        let _ = writeln!(s, "{}. {} ({})", i + 1, md(&x.name), fmt_int(x.count));
    }
    if !r.regions.provinces.is_empty() {
        let _ = writeln!(
            s,
            "\n### Per provinsi\n\n| Provinsi | Pesan | Pemda berbeda |\n|---|---:|---:|"
        );
        for p in &r.regions.provinces {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                md(&p.name),
                fmt_int(p.count),
                fmt_int(p.regions)
            );
        }
    }
}

/// Inside and outside service hours, per time zone.
fn md_service_hours(s: &mut String, r: &MailboxReport) {
    let h = &r.service_hours;
    let _ = writeln!(
        s,
        "\n### Jam layanan\n\n{} (jam setempat pengirim).\n\n| Zona | Di dalam | Di luar |\n|---|---:|---:|",
        md(&h.hours)
    );
    for z in &h.zones {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            md(&z.zone),
            fmt_int(z.inside),
            fmt_int(z.outside)
        );
    }
    let _ = writeln!(
        s,
        "| Jumlah | {} | {} |",
        fmt_int(h.inside),
        fmt_int(h.outside)
    );
}

/// Forwards per unit and the delays to forward and to acknowledge.
fn md_routing(s: &mut String, r: &MailboxReport) {
    let ro = &r.routing;
    let _ = writeln!(
        s,
        "\n### Penerusan ke unit\n\n{} pesan diteruskan ({}).\n\n| Unit | Diteruskan | Terkirim |\n|---|---:|---:|",
        fmt_int(ro.forwarded),
        fmt_pct(ro.forwarded_percent)
    );
    for u in &ro.units {
        let _ = writeln!(
            s,
            "| {} | {} | {} |",
            md(&u.name),
            fmt_int(u.forwarded),
            fmt_int(u.sent)
        );
    }
    let _ = writeln!(
        s,
        "\n- Waktu sampai diteruskan: {}\n- Waktu sampai tanda terima: {}\n",
        delay(&ro.to_forward),
        delay(&ro.to_acknowledgement)
    );
}

#[cfg(test)]
mod tests {
    use super::md;

    #[test]
    fn an_admin_label_cannot_break_the_table_or_inject_a_link_or_html() {
        assert_eq!(md("DBH | DAU"), "DBH \\| DAU");
        assert_eq!(
            md("[klik](http://x.example) ![i](http://x.example/i.png)"),
            "\\[klik\\](http://x.example) \\!\\[i\\](http://x.example/i.png)"
        );
        assert_eq!(
            md("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(
            md("*tebal* _miring_ `kode` ~coret~"),
            "\\*tebal\\* \\_miring\\_ \\`kode\\` \\~coret\\~"
        );
        assert_eq!(md("# Judul"), "\\# Judul");
        assert_eq!(
            md("baris satu\n# baris dua\r\n| x |"),
            "baris satu \\# baris dua  \\| x \\|"
        );
        assert_eq!(md("- butir"), "\\- butir");
        assert_eq!(md("+ butir"), "\\+ butir");
        assert_eq!(md("==="), "\\===");
        assert_eq!(md("2024. Tahun"), "2024\\. Tahun");
        assert_eq!(md("1) satu"), "1\\) satu");
        assert_eq!(md("a\\b &amp;"), "a\\\\b \\&amp;");
        // Ordinary labels are untouched.
        assert_eq!(
            md("Syarat Salur DBH (Dana Bagi Hasil)"),
            "Syarat Salur DBH (Dana Bagi Hasil)"
        );
        assert_eq!(md("Kab. Cilacap"), "Kab. Cilacap");
        assert_eq!(md("Non-DJPK"), "Non-DJPK");
    }
}
