//! The fold's rules one by one, then a simulation: an owner, a new owner that fences it
//! mid-stream, the old owner writing on as a zombie, and retried writes, in every order the
//! log can take; every raw offset must count exactly once.

use proptest::prelude::*;

use super::*;

fn epoch(number: u64, member: &str) -> Epoch {
    Epoch {
        number,
        member: member.into(),
    }
}

const P: PartitionId = PartitionId::new(0, 3);

#[test]
fn a_fence_claims_and_deltas_count_from_where_the_data_ends() {
    let mut f = Positions::default();
    assert_eq!(f.delta(P, &epoch(1, "a"), 0, 10), Verdict::Invalid);
    assert_eq!(f.fence(P, &epoch(1, "a"), 100), Verdict::Fenced);
    assert_eq!(f.delta(P, &epoch(1, "a"), 100, 150), Verdict::Apply);
    // Retried, or resumed from the wrong place: skipped.
    assert_eq!(
        f.delta(P, &epoch(1, "a"), 100, 150),
        Verdict::NotNext { expected: 150 }
    );
    assert_eq!(
        f.delta(P, &epoch(1, "a"), 160, 170),
        Verdict::NotNext { expected: 150 }
    );
    // An empty range (a watermark only) at the position counts.
    assert_eq!(f.delta(P, &epoch(1, "a"), 150, 150), Verdict::Apply);
    assert_eq!(f.delta(P, &epoch(1, "a"), 150, 140), Verdict::Invalid);
    assert_eq!(f.get(P).unwrap().next, 150);
}

#[test]
fn a_higher_fence_wins_and_the_old_writer_is_stale() {
    let mut f = Positions::default();
    f.fence(P, &epoch(1, "b"), 0);
    assert_eq!(f.delta(P, &epoch(1, "b"), 0, 40), Verdict::Apply);
    let new = f.next_epoch(P, "a");
    assert_eq!(new, epoch(2, "a"));
    assert_eq!(f.fence(P, &new, 999), Verdict::Fenced);
    // The position stays where the accepted data ended, not at the fence's start.
    assert_eq!(f.get(P).unwrap().next, 40);
    assert_eq!(f.delta(P, &epoch(1, "b"), 40, 50), Verdict::Stale);
    assert_eq!(f.delta(P, &new, 40, 50), Verdict::Apply);
    // Same number, lower member id: ignored; a writer that never fenced is not the owner.
    assert_eq!(f.fence(P, &epoch(2, "0"), 0), Verdict::FenceIgnored);
    assert_eq!(f.delta(P, &epoch(3, "c"), 50, 60), Verdict::Invalid);
    // Two claimants that raced to the same number: the higher member id wins.
    assert_eq!(f.fence(P, &epoch(3, "x"), 0), Verdict::Fenced);
    assert_eq!(f.fence(P, &epoch(3, "m"), 0), Verdict::FenceIgnored);
    assert_eq!(f.delta(P, &epoch(3, "m"), 50, 60), Verdict::Stale);
    assert_eq!(f.delta(P, &epoch(3, "x"), 50, 60), Verdict::Apply);
}

/// A writer of one source: its epoch, where it writes next, and how far it goes.
struct Writer {
    epoch: Epoch,
    at: u64,
    end: u64,
}

impl Writer {
    /// Its next delta of `len` offsets (at most to its end), if it has one.
    fn next(&mut self, len: u64) -> Option<(Epoch, u64, u64)> {
        (self.at < self.end).then(|| {
            let to = (self.at + len).min(self.end);
            let d = (self.epoch.clone(), self.at, to);
            self.at = to;
            d
        })
    }
}

proptest! {
    #[test]
    fn every_offset_counts_once_across_a_fence_zombies_and_retries(
        n in 1u64..300,
        old_reach in 0u64..300,
        steps in prop::collection::vec((0u8..4, 1u64..25), 1..300),
    ) {
        let mut f = Positions::default();
        let mut counted = vec![0u32; n as usize];
        let mut written: Vec<(Epoch, u64, u64)> = Vec::new();
        let mut apply = |f: &mut Positions, (e, from, to): (Epoch, u64, u64), w: &mut Vec<_>| {
            w.push((e.clone(), from, to));
            if f.delta(P, &e, from, to) == Verdict::Apply {
                for o in from..to {
                    counted[o as usize] += 1;
                }
            }
        };
        // The first owner claims the partition from offset 0; it may read further than the
        // new owner will (old_reach), as a zombie does.
        f.fence(P, &epoch(1, "old"), 0);
        let mut old = Writer { epoch: epoch(1, "old"), at: 0, end: old_reach.min(n) };
        let mut new: Option<Writer> = None;
        for (choice, len) in steps {
            match choice {
                0 => {
                    if let Some(d) = old.next(len) {
                        apply(&mut f, d, &mut written);
                    }
                }
                1 if new.is_none() => {
                    // The new owner fences, folds up to its fence, and resumes there.
                    let e = f.next_epoch(P, "new");
                    prop_assert_eq!(f.fence(P, &e, 0), Verdict::Fenced);
                    let at = f.get(P).unwrap().next;
                    new = Some(Writer { epoch: e, at, end: n });
                }
                2 => {
                    if let Some(d) = new.as_mut().and_then(|w| w.next(len)) {
                        apply(&mut f, d, &mut written);
                    }
                }
                _ => {
                    // A retried write of some earlier delta.
                    if !written.is_empty() {
                        let d = written[len as usize % written.len()].clone();
                        apply(&mut f, d, &mut written);
                    }
                }
            }
        }
        // The new owner (or, without one, a last claimant) writes to the end.
        let mut last = match new {
            Some(w) => w,
            None => {
                let e = f.next_epoch(P, "new");
                f.fence(P, &e, 0);
                Writer { at: f.get(P).unwrap().next, epoch: e, end: n }
            }
        };
        while let Some(d) = last.next(7) {
            apply(&mut f, d, &mut written);
        }
        prop_assert!(counted.iter().all(|&c| c == 1), "{:?}", counted);
        prop_assert_eq!(f.get(P).unwrap().next, n);
    }
}
