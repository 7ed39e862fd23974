//! Tests of the file source, and the recording sink shared by the source tests.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;
use crate::source::{BATCH_LINES, LineBatch};

/// What a [`Recorder`] saw.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub(crate) assigned: Vec<(PartitionId, String)>,
    pub(crate) lines: BTreeMap<PartitionId, Vec<Vec<u8>>>,
    /// `next_offset` of every batch, per partition.
    pub(crate) offsets: BTreeMap<PartitionId, Vec<u64>>,
    /// Lines in every batch, per partition.
    pub(crate) batch_sizes: BTreeMap<PartitionId, Vec<usize>>,
    pub(crate) revoked: Vec<PartitionId>,
    pub(crate) caught_up: usize,
    /// Positions to report from [`Sink::position`], as restored state would.
    pub(crate) resume: BTreeMap<PartitionId, u64>,
}

impl Record {
    /// The lines of `pid` as text.
    pub(crate) fn text(&self, pid: PartitionId) -> Vec<String> {
        self.lines
            .get(&pid)
            .map(|ls| {
                ls.iter()
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A sink that records everything, shared between a source thread and the test.
#[derive(Debug, Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<Record>>);

impl Recorder {
    pub(crate) fn get(&self) -> MutexGuard<'_, Record> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits (at most 120 s) until `cond` holds. The deadline only catches a source that
    /// hangs: the demo's 4-day backfill (about 700,000 lines, in a debug build) took over
    /// 20 s on two cores shared with other builds.
    pub(crate) fn wait_for(&self, what: &str, cond: impl Fn(&Record) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if cond(&self.get()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                {
                    let r = self.get();
                    (
                        r.caught_up,
                        r.lines.values().map(Vec::len).collect::<Vec<_>>(),
                    )
                }
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Sink for Recorder {
    fn assign(&mut self, partition: PartitionId, name: &str) {
        self.get().assigned.push((partition, name.to_string()));
    }

    fn apply(&mut self, partition: PartitionId, batch: &LineBatch) {
        let mut r = self.get();
        let lines = r.lines.entry(partition).or_default();
        lines.extend(batch.lines().map(<[u8]>::to_vec));
        r.offsets
            .entry(partition)
            .or_default()
            .push(batch.next_offset);
        r.batch_sizes
            .entry(partition)
            .or_default()
            .push(batch.len());
    }

    fn revoke(&mut self, partition: PartitionId) {
        self.get().revoked.push(partition);
    }

    fn caught_up(&mut self) {
        self.get().caught_up += 1;
    }

    fn unavailable(&mut self, _reason: &str) {
        self.get().caught_up = 0;
    }

    fn position(&self, partition: PartitionId) -> Option<u64> {
        self.get().resume.get(&partition).copied()
    }
}

/// A source running on its own thread; stopped and joined when dropped.
pub(crate) struct Running {
    stop: StopSignal,
    handle: Option<JoinHandle<Result<(), SourceError>>>,
}

impl Running {
    pub(crate) fn spawn(source: Box<dyn Source>, sink: &Recorder) -> Self {
        let stop = StopSignal::new();
        let (s, mut sink) = (stop.clone(), sink.clone());
        let handle = std::thread::spawn(move || source.run(&mut sink, &s));
        Self {
            stop,
            handle: Some(handle),
        }
    }

    /// Raises stop and waits (at most 20 s) for the source to return.
    pub(crate) fn stop(mut self) -> Result<(), SourceError> {
        self.stop.stop();
        let handle = self.handle.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !handle.is_finished() {
            assert!(Instant::now() < deadline, "source did not stop");
            std::thread::sleep(Duration::from_millis(10));
        }
        handle.join().expect("source thread panicked")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.stop();
    }
}

const P0: PartitionId = PartitionId::new(0, 0);
const P1: PartitionId = PartitionId::new(1, 0);

fn read(paths: &[&Path]) -> (Result<(), SourceError>, Recorder) {
    let rec = Recorder::default();
    let mut sink = rec.clone();
    let spec = FileSpec {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        follow: false,
    };
    let result = Box::new(FileSource::new(spec)).run(&mut sink, &StopSignal::new());
    (result, rec)
}

fn append(path: &Path, data: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(data.as_bytes()).unwrap();
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn plain_crlf_and_unterminated_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(&path, "one\r\ntwo\n\nthree").unwrap();
    let (result, rec) = read(&[&path]);
    result.unwrap();
    let r = rec.get();
    assert_eq!(r.assigned, vec![(P0, path.display().to_string())]);
    assert_eq!(r.text(P0), vec!["one", "two", "", "three"]);
    assert_eq!(r.offsets[&P0], vec![15]);
    assert_eq!(r.caught_up, 1);
    assert!(r.revoked.is_empty());
}

#[test]
fn empty_file_has_no_lines_but_is_caught_up() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.log");
    fs::write(&path, "").unwrap();
    let (result, rec) = read(&[&path]);
    result.unwrap();
    assert!(rec.get().lines.is_empty());
    assert_eq!(rec.get().caught_up, 1);
}

#[test]
fn gzip_is_detected_by_magic_and_counts_decompressed_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // No .gz extension on purpose; two members, as `cat a.gz b.gz` makes.
    let path = dir.path().join("access.log.1");
    let mut data = gzip(b"a\r\nbb\n");
    data.extend(gzip(b"ccc\nlast"));
    fs::write(&path, data).unwrap();
    let (result, rec) = read(&[&path]);
    result.unwrap();
    let r = rec.get();
    assert_eq!(r.text(P0), vec!["a", "bb", "ccc", "last"]);
    assert_eq!(r.offsets[&P0], vec![14]);
}

#[test]
fn corrupt_gzip_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.gz");
    fs::write(&path, [0x1f, 0x8b, 0x08, 0, 1, 2, 3]).unwrap();
    let (result, _) = read(&[&path]);
    assert!(matches!(result, Err(SourceError::Io { .. })), "{result:?}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.log");
    let (result, rec) = read(&[&path]);
    match result {
        Err(SourceError::Io { path: p, source }) => {
            assert_eq!(p, path.display().to_string());
            assert_eq!(source.kind(), io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(rec.get().caught_up, 0);
}

#[test]
fn several_files_are_several_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("b.log");
    fs::write(&a, "a1\na2\n").unwrap();
    fs::write(&b, gzip(b"b1\n")).unwrap();
    let (result, rec) = read(&[&a, &b]);
    result.unwrap();
    let r = rec.get();
    assert_eq!(
        r.assigned,
        vec![(P0, a.display().to_string()), (P1, b.display().to_string())]
    );
    assert_eq!(r.text(P0), vec!["a1", "a2"]);
    assert_eq!(r.text(P1), vec!["b1"]);
    assert_eq!(r.caught_up, 1);
}

#[test]
fn batches_are_bounded_and_offsets_are_byte_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.log");
    let lines: Vec<String> = (0..2500).map(|i| format!("line number {i}")).collect();
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fs::write(&path, &text).unwrap();
    let (result, rec) = read(&[&path]);
    result.unwrap();
    let r = rec.get();
    assert_eq!(r.text(P0), lines);
    // Whole batches, then the rest; each offset is the byte just past its batch's last line.
    let ends: Vec<usize> = (1..=2500)
        .filter(|&n| n % BATCH_LINES == 0 || n == 2500)
        .collect();
    let sizes: Vec<usize> = ends
        .iter()
        .scan(0, |before, &end| Some(end - std::mem::replace(before, end)))
        .collect();
    assert!(sizes.len() > 2, "2,500 lines make several batches");
    assert_eq!(r.batch_sizes[&P0], sizes);
    let end_of = |n: usize| lines[..n].iter().map(|l| l.len() as u64 + 1).sum::<u64>();
    let offsets: Vec<u64> = ends.iter().map(|&n| end_of(n)).collect();
    assert_eq!(r.offsets[&P0], offsets);
}

#[test]
fn stop_before_reading_returns_ok_without_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.log");
    fs::write(&path, "a\n").unwrap();
    let rec = Recorder::default();
    let stop = StopSignal::new();
    stop.stop();
    let spec = FileSpec {
        paths: vec![path],
        follow: false,
    };
    Box::new(FileSource::new(spec))
        .run(&mut rec.clone(), &stop)
        .unwrap();
    assert!(rec.get().lines.is_empty());
}

fn follow_source(paths: &[&Path]) -> Box<dyn Source> {
    Box::new(FileSource::new(FileSpec {
        paths: paths.iter().map(|p| p.to_path_buf()).collect(),
        follow: true,
    }))
}

#[test]
fn follow_appends_partial_lines_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access.log");
    fs::write(&path, "l1\nl2\npar").unwrap();
    let rec = Recorder::default();
    let running = Running::spawn(follow_source(&[&path]), &rec);

    rec.wait_for("initial lines", |r| {
        r.caught_up == 1 && r.text(P0).len() == 2
    });
    assert_eq!(rec.get().text(P0), vec!["l1", "l2"]);

    // The held partial line is completed by the writer.
    append(&path, "tial\nl4\n");
    rec.wait_for("appended lines", |r| r.text(P0).len() == 4);
    assert_eq!(rec.get().text(P0), vec!["l1", "l2", "partial", "l4"]);
    assert_eq!(*rec.get().offsets[&P0].last().unwrap(), 17);

    // Rotation: the old file gets a last line (without newline) after the rename, then a new
    // file appears; the old file's last line is delivered before the new file's lines.
    fs::rename(&path, dir.path().join("access.log.1")).unwrap();
    append(&dir.path().join("access.log.1"), "old-tail");
    fs::write(&path, "new1\nnew2 is longer\n").unwrap();
    rec.wait_for("rotated file", |r| r.text(P0).len() == 7);
    assert_eq!(
        rec.get().text(P0)[4..],
        ["old-tail", "new1", "new2 is longer"]
    );
    assert_eq!(*rec.get().offsets[&P0].last().unwrap(), 20);

    // Truncation in place (same inode), shorter than what was read.
    fs::write(&path, "t1\n").unwrap();
    rec.wait_for("truncated file", |r| r.text(P0).len() == 8);
    assert_eq!(rec.get().text(P0)[7], "t1");
    assert_eq!(*rec.get().offsets[&P0].last().unwrap(), 3);

    running.stop().unwrap();
    let r = rec.get();
    assert_eq!(r.caught_up, 1);
    assert_eq!(r.assigned, vec![(P0, path.display().to_string())]);
}

#[test]
fn follow_waits_for_missing_files_and_serves_several() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let b = dir.path().join("later.log");
    let c = dir.path().join("old.log.gz");
    fs::write(&a, "a1\n").unwrap();
    fs::write(&c, gzip(b"c1\nc2")).unwrap();
    let rec = Recorder::default();
    let running = Running::spawn(follow_source(&[&a, &b, &c]), &rec);
    let p2 = PartitionId::new(2, 0);

    // A missing file does not hold back readiness.
    rec.wait_for("caught up", |r| r.caught_up == 1);
    assert_eq!(rec.get().text(P0), vec!["a1"]);
    assert_eq!(rec.get().text(p2), vec!["c1", "c2"]);
    assert_eq!(rec.get().assigned.len(), 3);

    fs::write(&b, "b1\n").unwrap();
    append(&a, "a2\n");
    rec.wait_for("new file and appended line", |r| {
        r.text(P1) == ["b1"] && r.text(P0) == ["a1", "a2"]
    });
    running.stop().unwrap();
    assert_eq!(rec.get().caught_up, 1);
}

#[test]
fn follow_of_only_gzip_files_ends() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.gz");
    fs::write(&path, gzip(b"x\n")).unwrap();
    let rec = Recorder::default();
    let running = Running::spawn(follow_source(&[&path]), &rec);
    rec.wait_for("gzip read", |r| r.caught_up == 1);
    running.stop().unwrap();
    assert_eq!(rec.get().text(P0), vec!["x"]);
}

#[test]
fn reading_resumes_where_restored_state_ends() {
    let dir = tempfile::tempdir().unwrap();
    let text = "one\ntwo\nthree\nfour\n";
    let plain = dir.path().join("a.log");
    std::fs::write(&plain, text).unwrap();
    let gz = dir.path().join("b.log.gz");
    std::fs::write(&gz, gzip(text.as_bytes())).unwrap();
    let short = dir.path().join("c.log");
    std::fs::write(&short, "x\n").unwrap();
    let rec = Recorder::default();
    for p in 0..3 {
        rec.get().resume.insert(PartitionId::new(p, 0), 8); // after "one\ntwo\n"
    }
    let mut sink = rec.clone();
    let spec = FileSpec {
        paths: vec![plain.clone(), gz, short],
        follow: false,
    };
    Box::new(FileSource::new(spec))
        .run(&mut sink, &StopSignal::new())
        .unwrap();
    let r = rec.get();
    assert_eq!(r.text(P0), ["three", "four"]);
    assert_eq!(r.text(P1), ["three", "four"]);
    assert_eq!(r.offsets[&P0].last(), Some(&(text.len() as u64)));
    assert_eq!(r.offsets[&P1].last(), Some(&(text.len() as u64)));
    // A file shorter than the position was replaced: read from its start.
    assert_eq!(r.text(PartitionId::new(2, 0)), ["x"]);
    drop(r);

    // Follow mode resumes the same way, then keeps reading appended lines.
    let rec = Recorder::default();
    rec.get().resume.insert(P0, 8);
    let running = Running::spawn(follow_source(&[&plain]), &rec);
    rec.wait_for("the rest of the file", |r| r.text(P0) == ["three", "four"]);
    append(&plain, "five\n");
    rec.wait_for("the appended line", |r| {
        r.text(P0) == ["three", "four", "five"]
    });
    running.stop().unwrap();
}

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
