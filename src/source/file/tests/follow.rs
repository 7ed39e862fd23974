//! Following files: appends, partial lines, rotation and truncation, files that appear
//! later, gzip files, and reading resumed where restored state ends.

use std::fs::{self, OpenOptions};
use std::path::Path;

use super::*;

fn append(path: &Path, data: &str) {
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(data.as_bytes()).unwrap();
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
