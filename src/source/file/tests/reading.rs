//! Reading files to their end: plain, CR LF and gzip lines, errors naming the file, one
//! partition per file, bounded batches at byte positions, and a stop before reading.

use std::fs;
use std::path::Path;

use super::*;
use crate::source::BATCH_LINES;

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
