//! Tests of the demo generator and source. Here: the line readers and the incident probe the
//! topic files share.

mod incident_schedule;
mod lines;
mod running;
mod traffic;

use super::*;
use crate::time::epoch_us;

/// 2026-11-20T12:00:00Z.
const NOON: i64 = 1_795_176_000 * SECOND;

/// Space-separated fields, a quoted field counting as one (quotes kept).
fn fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                out.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&line[start..]);
    out
}

/// Parses ALB's `2026-11-21T10:00:00.123456Z`.
fn parse_iso(s: &str) -> i64 {
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap();
    let t = epoch_us(
        s[..4].parse().unwrap(),
        n(5..7),
        n(8..10),
        n(11..13),
        n(14..16),
        n(17..19),
        n(20..26),
    );
    assert_eq!(&s[26..], "Z", "{s}");
    t.unwrap()
}

/// Every incident met between `from` and `to`, probing each minute.
fn incidents(g: &Generator, from: i64, to: i64) -> Vec<Incident> {
    let mut seen: Vec<Incident> = Vec::new();
    for t in (from..to).step_by(MINUTE as usize) {
        if let Some(i) = g.incident_at(t).filter(|i| seen.last() != Some(i)) {
            seen.push(i);
        }
    }
    seen
}
