//! The report's charts, as inline SVG: the three months compared, the twelve months' trend,
//! the categories, the kinds of sender. Every figure a chart shows is also in a table or a
//! `data-k` element next to it.

use super::super::data::{CategoryCount, Counts, MonthTotal, SenderGroup};
use super::super::{fmt_int, fmt_pct, Month};
use super::{esc, PALETTE};
use crate::act::compose::month_name;
use std::fmt::Write;

/// The hatched fill of imported bars, once per chart (`id` keeps the ids apart).
fn hatch(id: &str) -> String {
    format!(
        "<defs><pattern id=\"hatch-{id}\" width=\"8\" height=\"8\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"8\" height=\"8\" fill=\"#c9d3de\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"8\" stroke=\"#8fa0b3\" stroke-width=\"3\"/></pattern></defs>"
    )
}

fn short_label(m: &MonthTotal) -> String {
    Month::parse(&m.month)
        .map(|x| x.short_label())
        .unwrap_or_else(|_| m.month.clone())
}

/// The bar chart of the month a year before, the previous month and the report's month.
pub fn months_chart(c: &Counts, id: &str) -> String {
    let current = MonthTotal {
        month: c.trend.last().map(|t| t.month.clone()).unwrap_or_default(),
        label: c.month_label.to_string(),
        total: c.total,
        imported: c.imported,
        categories: Vec::new(),
    };
    let bars = [c.same_month_last_year, c.previous_month, &current];
    let max = bars.iter().map(|b| b.total).max().unwrap_or(0).max(1) as f64;
    let (w, base, top) = (480.0, 210.0, 36.0);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg viewBox=\"0 0 {w} 250\" role=\"img\" aria-label=\"Jumlah email tiga bulan\" xmlns=\"http://www.w3.org/2000/svg\">{}\
         <line x1=\"20\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#b9c3cf\" stroke-width=\"1\"/>",
        hatch(id),
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

/// The twelve months up to the report's month as bars, oldest first; imported months
/// hatched and starred, the report's month dark.
pub fn trend_chart(c: &Counts, id: &str) -> String {
    let n = c.trend.len().max(1);
    let max = c.trend.iter().map(|b| b.total).max().unwrap_or(0).max(1) as f64;
    let (w, base, top) = (520.0, 206.0, 30.0);
    let slot = (w - 20.0) / n as f64;
    let bw = slot * 0.68;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg viewBox=\"0 0 {w} 250\" role=\"img\" aria-label=\"Tren jumlah email {n} bulan\" xmlns=\"http://www.w3.org/2000/svg\">{}\
         <line x1=\"6\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" stroke=\"#b9c3cf\" stroke-width=\"1\"/>",
        hatch(&format!("trend-{id}")),
        w - 6.0
    );
    for (i, b) in c.trend.iter().enumerate() {
        let x = 10.0 + i as f64 * slot + (slot - bw) / 2.0;
        let h = ((b.total as f64) / max * (base - top)).max(if b.total > 0 { 2.0 } else { 0.0 });
        let y = base - h;
        let fill = if i + 1 == c.trend.len() {
            "#0b3a6e".to_string()
        } else if b.imported {
            format!("url(#hatch-trend-{id})")
        } else {
            "#7fb2e5".to_string()
        };
        let (mid, month) = (x + bw / 2.0, Month::parse(&b.month).ok());
        let name = month.map(|m| month_name(m.month)).unwrap_or("");
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw:.1}\" height=\"{h:.1}\" fill=\"{fill}\" rx=\"2\"><title>{}: {}</title></rect>\
             <text x=\"{mid:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"bold\" fill=\"#1c2530\" data-k=\"trend-{}\">{}{}</text>\
             <text x=\"{mid:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"12\" fill=\"#5a6675\">{}</text>\
             <text x=\"{mid:.1}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#5a6675\">{}</text>",
            esc(&b.label),
            b.total,
            y - 5.0,
            esc(&b.month),
            fmt_int(b.total),
            if b.imported { "*" } else { "" },
            base + 16.0,
            esc(name.get(..3).unwrap_or(name)),
            base + 31.0,
            month.map(|m| m.year.to_string()).unwrap_or_default(),
        );
    }
    s.push_str("</svg>");
    s
}

/// Splits a label into lines of at most `width` characters at spaces (a longer word is cut
/// into pieces of `width`): every character of the label is kept.
pub fn wrap(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in label.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        if word.is_empty() {
            continue;
        }
        let len = line.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Horizontal bars of the largest categories (the rest together in one bar); a label too
/// long for its column goes on two lines or more, never cut.
pub fn categories_chart(categories: &[CategoryCount]) -> String {
    const SHOWN: usize = 8;
    const WIDTH: usize = 26;
    let many = categories.len() > SHOWN + 1;
    let mut rows: Vec<(String, i64, f64)> = categories
        .iter()
        .take(if many { SHOWN } else { SHOWN + 1 })
        .map(|c| (c.label.clone(), c.count, c.percent))
        .collect();
    if many {
        let rest = &categories[SHOWN..];
        let n: i64 = rest.iter().map(|c| c.count).sum();
        let p: f64 = rest.iter().map(|c| c.percent).sum();
        rows.push((format!("{} kategori lain", rest.len()), n, p));
    }
    if rows.is_empty() {
        return "<p class=\"muted\">Belum ada pesan bulan ini.</p>".to_string();
    }
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1) as f64;
    let (label_w, bar_w, line_h) = (230.0, 190.0, 17.0);
    let wrapped: Vec<Vec<String>> = rows.iter().map(|r| wrap(&r.0, WIDTH)).collect();
    let heights: Vec<f64> = wrapped
        .iter()
        .map(|l| 34.0_f64.max(l.len() as f64 * line_h + 10.0))
        .collect();
    let h: f64 = heights.iter().sum::<f64>() + 6.0;
    let mut s = format!(
        "<svg viewBox=\"0 0 520 {h}\" role=\"img\" aria-label=\"Kategori\" xmlns=\"http://www.w3.org/2000/svg\">"
    );
    let mut y = 4.0;
    for (i, ((label, n, p), lines)) in rows.iter().zip(&wrapped).enumerate() {
        let row_h = heights[i];
        let w = (*n as f64) / max * bar_w;
        let mid = y + (row_h - 8.0) / 2.0;
        let first = mid + 5.0 - (lines.len() as f64 - 1.0) * line_h / 2.0;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{first:.1}\" text-anchor=\"end\" font-size=\"15\" fill=\"#1c2530\" data-label=\"{}\"><title>{}</title>",
            label_w - 8.0,
            esc(label),
            esc(label),
        );
        for (j, line) in lines.iter().enumerate() {
            let dy = if j == 0 { 0.0 } else { line_h };
            let _ = write!(
                s,
                "<tspan x=\"{:.1}\" dy=\"{dy}\">{}</tspan>",
                label_w - 8.0,
                esc(line)
            );
        }
        let _ = write!(
            s,
            "</text><rect x=\"{label_w}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\" rx=\"2\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"15\" fill=\"#1c2530\"><tspan font-weight=\"bold\">{}</tspan> ({})</text>",
            row_h - 8.0,
            PALETTE[i.min(PALETTE.len() - 1)],
            label_w + w + 6.0,
            mid + 5.0,
            fmt_int(*n),
            esc(&fmt_pct(*p)),
        );
        y += row_h;
    }
    s.push_str("</svg>");
    s
}

/// One stacked bar of the kinds of sender.
pub fn senders_chart(senders: &[SenderGroup]) -> String {
    let total: i64 = senders.iter().map(|g| g.messages).sum();
    let mut s = String::from(
        "<svg viewBox=\"0 0 360 26\" role=\"img\" aria-label=\"Pengirim\" xmlns=\"http://www.w3.org/2000/svg\">\
         <rect x=\"0\" y=\"0\" width=\"360\" height=\"26\" fill=\"#eef1f5\" rx=\"3\"/>",
    );
    let mut x = 0.0;
    if total > 0 {
        for (i, g) in senders.iter().enumerate() {
            let w = g.messages as f64 / total as f64 * 360.0;
            if w > 0.0 {
                let _ = write!(
                    s,
                    "<rect x=\"{x:.1}\" y=\"0\" width=\"{w:.1}\" height=\"26\" fill=\"{}\"><title>{}: {}</title></rect>",
                    PALETTE[i.min(PALETTE.len() - 1)],
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

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn long_labels_are_wrapped_not_cut() {
        assert_eq!(
            wrap("Laporan Syarat Salur DAK Non Fisik", 26),
            vec!["Laporan Syarat Salur DAK", "Non Fisik"]
        );
        assert_eq!(wrap("Spam", 26), vec!["Spam"]);
        assert_eq!(wrap("abcdefghij klm", 4), vec!["abcd", "efgh", "ij", "klm"]);
        assert_eq!(wrap("", 4), vec![""]);
    }
}
