//! Plain-text tables for the command line: columns padded to their widest cell, two spaces
//! apart, trailing spaces trimmed.

/// `rows` (the header first) as aligned lines, each ending in a newline.
pub fn aligned<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            cells.join("  ").trim_end().to_string() + "\n"
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_pad_to_their_widest_cell() {
        let rows = [
            ["a".to_string(), "bb".to_string(), String::new()],
            ["ccc".to_string(), "d".to_string(), "é".to_string()],
        ];
        assert_eq!(super::aligned(&rows), "a    bb\nccc  d   é\n");
    }
}
