//! Splitting bytes into lines: overlong lines cut without growing the buffer, and lines,
//! cuts and offsets that match a plain split whatever the buffer, for the line reader and for
//! a range read straight into its batches.

use super::*;
use crate::source::BATCH_LINES;

#[test]
fn an_overlong_line_is_cut_and_skipped_to_its_newline_without_growing_the_buffer() {
    let huge = "x".repeat(1_000_000);
    let input = format!("short one\n{huge}\nafter\r\n{huge}");
    let mut reader = std::io::BufReader::with_capacity(4096, input.as_bytes());
    let pid = PartitionId::new(0, 0);
    let mut lines = LineReader::new(pid, false).with_max_line_bytes(100);
    let mut sink = Recorder::default();
    let progress = lines.read(&mut reader, |_| false, &mut sink).unwrap();
    assert_eq!(progress, Progress::End);
    // The kept part is one byte over the cap, so the sink knows it is too long.
    let cut = "x".repeat(101);
    assert_eq!(
        sink.get().text(pid),
        ["short one", cut.as_str(), "after", cut.as_str()]
    );
    assert!(lines.line.capacity() <= 1024, "{}", lines.line.capacity());
    assert_eq!(lines.offset(), input.len() as u64);
    assert_eq!(sink.get().offsets[&pid].last(), Some(&(input.len() as u64)));
    // Exactly at the cap (CR LF or LF after it) is not cut.
    let at_cap = format!("{}\r\n{}\n", "y".repeat(100), "z".repeat(100));
    let mut reader = std::io::BufReader::with_capacity(7, at_cap.as_bytes());
    let mut lines = LineReader::new(pid, false).with_max_line_bytes(100);
    let mut sink = Recorder::default();
    lines.read(&mut reader, |_| false, &mut sink).unwrap();
    assert_eq!(sink.get().text(pid), ["y".repeat(100), "z".repeat(100)]);
}

/// A reader that gives at most its second field's bytes per read.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.1);
        self.0.read(&mut buf[..n])
    }
}

/// What the reader must deliver for `input`: every line (a last one without newline too),
/// cut to `max + 1` bytes with its newline, then without its `\n` and a `\r` before it.
fn reference_lines(input: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = input;
    while !rest.is_empty() {
        let take = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        let kept = &rest[..take.min(max.saturating_add(1))];
        let kept = kept.strip_suffix(b"\n").unwrap_or(kept);
        let kept = kept.strip_suffix(b"\r").unwrap_or(kept);
        out.push(kept.to_vec());
        rest = &rest[take..];
    }
    out
}

/// The input of the line-splitting properties: each line, ended by CR LF or LF, then `tail`
/// (a last line without newline).
fn joined(lines: &[(String, bool)], tail: &[u8]) -> Vec<u8> {
    let mut input = Vec::new();
    for (text, crlf) in lines {
        input.extend_from_slice(text.as_bytes());
        input.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
    }
    input.extend_from_slice(tail);
    input
}

/// What a [`LineReader`] cutting at `max` and counting from `at` delivers from `input`, and
/// where it stopped.
fn read_by_line_reader(input: impl BufRead, max: usize, at: u64) -> (Record, u64) {
    let mut input = input;
    let mut lines = LineReader::new(PartitionId::new(0, 0), false).with_max_line_bytes(max);
    lines.resume_at(at);
    let mut sink = Recorder::default();
    while lines.read(&mut input, |_| false, &mut sink).unwrap() == Progress::Batch {}
    let record = std::mem::take(&mut *sink.get());
    (record, lines.offset())
}

proptest::proptest! {
    /// Lines taken straight from the read buffer and lines assembled across reads or cut are
    /// the same lines, at the same offsets, whatever the buffer size and line lengths.
    #[test]
    fn lines_and_offsets_match_a_plain_split_whatever_the_buffer(
        lines in proptest::collection::vec(("[a-c\r]{0,40}", proptest::bool::ANY), 0..700),
        last_open in proptest::bool::ANY,
        capacity in 1usize..300,
        max in 1usize..60,
    ) {
        let input = joined(&lines, if last_open { b"tail" } else { b"" });
        let reader = std::io::BufReader::with_capacity(capacity, input.as_slice());
        let pid = PartitionId::new(0, 0);
        let (got, offset) = read_by_line_reader(reader, max, 0);
        let want = reference_lines(&input, max);
        proptest::prop_assert_eq!(got.lines.get(&pid).cloned().unwrap_or_default(), want);
        proptest::prop_assert_eq!(offset, input.len() as u64);
        let sizes = got.batch_sizes.get(&pid).cloned().unwrap_or_default();
        proptest::prop_assert!(sizes.iter().all(|&n| (1..=BATCH_LINES).contains(&n)), "{:?}", sizes);
        // Every batch's offset is just past a newline (or the end).
        for &offset in got.offsets.get(&pid).into_iter().flatten() {
            let o = offset as usize;
            proptest::prop_assert!(o == input.len() || input[o - 1] == b'\n', "offset {}", o);
        }
    }

    /// A range read straight into its batches (a parallel replay's pieces) gives the
    /// `LineReader`'s batches: the same lines, cut alike, as many in each batch, each
    /// batch's position the end of its last line, whatever the chunk size, the reads'
    /// sizes, line lengths, cut and position of the range, and whatever range the same
    /// batch was read into before (a reader reuses one for every range it reads).
    #[test]
    fn a_range_read_into_its_batches_gives_the_line_readers_lines(
        lines in proptest::collection::vec(("[a-c\r]{0,40}", proptest::bool::ANY), 0..700),
        before in proptest::collection::vec(("[d-f]{0,90}", proptest::bool::ANY), 0..300),
        last_open in proptest::bool::ANY,
        chunk in 1usize..400,
        trickle in 1usize..50,
        max in 1usize..60,
        at in 0u64..1_000_000,
    ) {
        let input = joined(&lines, if last_open { b"tail\r" } else { b"" });
        // Where each line ends in the file: just past its newline, or at the end.
        let mut ends: Vec<u64> = memchr::memchr_iter(b'\n', &input).map(|i| at + i as u64 + 1).collect();
        if last_open {
            ends.push(at + input.len() as u64);
        }
        let (mut got, mut sizes, mut offsets) = (Vec::new(), Vec::new(), Vec::new());
        // The batch as the range read before left it: its buffer long and full of other
        // bytes, its lines and position theirs.
        let mut batch = LineBatch::new();
        let stale = joined(&before, b"ddd\r");
        super::range::read_lines(&mut stale.as_slice(), 7, chunk, max, &mut batch, |_| {}).unwrap();
        let mut reader = Trickle(input.as_slice(), trickle);
        super::range::read_lines(&mut reader, at, chunk, max, &mut batch, |batch| {
            got.extend(batch.lines().map(<[u8]>::to_vec));
            sizes.push(batch.len());
            offsets.push((got.len(), batch.next_offset));
        })
        .unwrap();
        proptest::prop_assert_eq!(&got, &reference_lines(&input, max));
        let pid = PartitionId::new(0, 0);
        let (want, _) = read_by_line_reader(input.as_slice(), max, at);
        proptest::prop_assert_eq!(&got, &want.lines.get(&pid).cloned().unwrap_or_default());
        proptest::prop_assert_eq!(&sizes, &want.batch_sizes.get(&pid).cloned().unwrap_or_default());
        let positions: Vec<u64> = offsets.iter().map(|&(_, o)| o).collect();
        proptest::prop_assert_eq!(&positions, &want.offsets.get(&pid).cloned().unwrap_or_default());
        for (lines_so_far, offset) in offsets {
            proptest::prop_assert!(lines_so_far > 0);
            proptest::prop_assert_eq!(offset, ends[lines_so_far - 1]);
        }
    }
}
