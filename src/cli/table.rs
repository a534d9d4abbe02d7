//! Columns of text for the listings: each column as wide as its widest cell, long cells of
//! the columns given a limit cut with `…` unless the listing is wide, the last column never
//! padded.

use std::io::Write;

pub(super) struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Per column: the most characters shown when not wide.
    limits: Vec<Option<usize>>,
    wide: bool,
}

impl Table {
    pub(super) fn new(head: &[&str], wide: bool) -> Table {
        Table {
            head: head.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            limits: vec![None; head.len()],
            wide,
        }
    }

    /// Column `col` shows at most `chars` characters unless the table is wide.
    pub(super) fn limit(&mut self, col: usize, chars: usize) -> &mut Table {
        if let Some(l) = self.limits.get_mut(col) {
            *l = Some(chars);
        }
        self
    }

    pub(super) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    fn cell(&self, col: usize, text: &str) -> String {
        match self.limits.get(col).copied().flatten() {
            Some(max) if !self.wide && text.chars().count() > max => {
                let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
                cut.push('…');
                cut
            }
            _ => text.to_string(),
        }
    }

    pub(super) fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let shown: Vec<Vec<String>> = std::iter::once(&self.head)
            .chain(&self.rows)
            .map(|r| r.iter().enumerate().map(|(i, c)| self.cell(i, c)).collect())
            .collect();
        let mut widths = vec![0; self.head.len()];
        for r in &shown {
            for (i, c) in r.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        for r in &shown {
            let mut line = String::new();
            for (i, c) in r.iter().enumerate() {
                if i + 1 == r.len() {
                    line.push_str(c);
                } else {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    line.push_str(c);
                    line.push_str(&" ".repeat(pad + 1));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fit_their_widest_cell_and_long_cells_are_cut_unless_wide() {
        let long = "seorang.warga.dengan.alamat.yang.sangat.panjang@contoh.go.id";
        for (wide, want) in [
            (
                false,
                "a     sender     z\n\
                 x     seorang.w… 1\n\
                 yyyyy s          2\n",
            ),
            (
                true,
                &*format!(
                    "a     sender{pad} z\nx     {long} 1\nyyyyy s{pad2} 2\n",
                    pad = " ".repeat(long.len() - 6),
                    pad2 = " ".repeat(long.len() - 1)
                ),
            ),
        ] {
            let mut t = Table::new(&["a", "sender", "z"], wide);
            t.limit(1, 10);
            t.row(vec!["x".into(), long.into(), "1".into()]);
            t.row(vec!["yyyyy".into(), "s".into(), "2".into()]);
            let mut out = Vec::new();
            t.print(&mut out).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), want, "wide: {wide}");
        }
    }
}
