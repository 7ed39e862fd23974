//! Members as their heartbeats on the log tell: who is alive, what each reads, how far each
//! has applied the log, and how each counts. From that, which member pushes alerts and what
//! an answer is missing.

use std::collections::BTreeMap;

use super::record::{Heartbeat, Source};

/// The newest heartbeat of every member seen.
#[derive(Debug, Default, Clone)]
pub struct Members {
    by_id: BTreeMap<String, Heartbeat>,
}

impl Members {
    /// Takes in a heartbeat (an older one than held is ignored). One without its SLO
    /// fingerprints keeps those of the held one when both have the same configuration.
    pub fn heard(&mut self, mut h: Heartbeat) {
        match self.by_id.get_mut(&h.member) {
            Some(held) if held.sent_us > h.sent_us => {}
            Some(held) => {
                if h.slos.is_empty() && h.config == held.config {
                    h.slos = std::mem::take(&mut held.slos);
                }
                *held = h;
            }
            None => {
                self.by_id.insert(h.member.clone(), h);
            }
        }
    }

    /// True when a live member other than `me` counts with another configuration than
    /// `config`: then heartbeats carry their SLO fingerprints.
    pub fn disagree(&self, me: &str, config: u64, now_us: i64, timeout_us: i64) -> bool {
        self.by_id.values().any(|h| {
            h.member != me && h.config != config && self.is_live(&h.member, now_us, timeout_us)
        })
    }

    /// True if `member` sent a heartbeat within `timeout_us` of `now_us` and did not say
    /// it is leaving.
    pub fn is_live(&self, member: &str, now_us: i64, timeout_us: i64) -> bool {
        self.by_id
            .get(member)
            .is_some_and(|h| !h.leaving && now_us.saturating_sub(h.sent_us) < timeout_us)
    }

    /// The ids of the live members, `me` included (always live to itself), sorted.
    pub fn live(&self, me: &str, now_us: i64, timeout_us: i64) -> Vec<String> {
        let mut ids: Vec<String> = self
            .by_id
            .keys()
            .filter(|id| *id != me && self.is_live(id, now_us, timeout_us))
            .cloned()
            .collect();
        ids.push(me.to_string());
        ids.sort();
        ids
    }

    /// True when `member` says in its newest heartbeat that it reads `source`.
    pub fn reads(&self, member: &str, source: &Source) -> bool {
        self.by_id
            .get(member)
            .is_some_and(|h| h.partitions.contains(source))
    }

    /// True when `member`'s newest heartbeat, sent after `claimed_us` (when it claimed
    /// `source`), does not list `source`: it released it.
    pub fn released(&self, member: &str, source: &Source, claimed_us: i64) -> bool {
        self.by_id
            .get(member)
            .is_some_and(|h| h.sent_us > claimed_us && !h.partitions.contains(source))
    }

    /// Every member's newest heartbeat, by id.
    pub fn all(&self) -> impl Iterator<Item = &Heartbeat> {
        self.by_id.values()
    }

    /// The member that pushes alerts: the live one with the smallest id, `me` included
    /// (always live to itself).
    pub fn pusher<'a>(&'a self, me: &'a str, now_us: i64, timeout_us: i64) -> &'a str {
        self.by_id
            .keys()
            .map(String::as_str)
            .filter(|id| *id == me || self.is_live(id, now_us, timeout_us))
            .chain([me])
            .min()
            .unwrap_or(me)
    }

    /// Live members other than `me` whose configuration (hash of SLO fingerprints) is not
    /// `config`, and the SLO fingerprints of `mine` that one of them lacks (as far as known:
    /// a member whose fingerprints have not arrived yet adds none).
    pub fn mismatched(
        &self,
        me: &str,
        config: u64,
        mine: &[u64],
        now_us: i64,
        timeout_us: i64,
    ) -> (Vec<String>, Vec<u64>) {
        let mut members = Vec::new();
        let mut slos = Vec::new();
        for h in self.by_id.values() {
            if h.member == me || h.config == config || !self.is_live(&h.member, now_us, timeout_us)
            {
                continue;
            }
            members.push(h.member.clone());
            if h.slos.is_empty() {
                continue;
            }
            let theirs: std::collections::HashSet<u64> = h.slos.iter().copied().collect();
            slos.extend(mine.iter().filter(|f| !theirs.contains(f)));
        }
        slos.sort_unstable();
        slos.dedup();
        (members, slos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beat(member: &str, sent_us: i64, config: u64, slos: &[u64]) -> Heartbeat {
        Heartbeat {
            member: member.into(),
            url: format!("http://{member}"),
            sent_us,
            partitions: vec![Source {
                topic: "logs".into(),
                partition: sent_us as i32 % 3,
            }],
            applied: 0,
            lag: Vec::new(),
            config,
            slos: slos.to_vec(),
            leaving: false,
            digest: None,
        }
    }

    #[test]
    fn liveness_pusher_and_mismatches_follow_the_newest_heartbeats() {
        let mut m = Members::default();
        m.heard(beat("b", 100, 1, &[1, 2]));
        m.heard(beat("c", 100, 2, &[1, 3]));
        m.heard(beat("a", 50, 1, &[1, 2]));
        // An older heartbeat never replaces a newer one.
        m.heard(beat("b", 90, 9, &[]));
        assert!(m.is_live("b", 105, 10));
        assert!(!m.is_live("a", 105, 10));
        assert!(!m.is_live("z", 105, 10));
        // A member saying it leaves is gone at once.
        let mut leaving = beat("z", 104, 1, &[]);
        leaving.leaving = true;
        m.heard(leaving);
        assert!(!m.is_live("z", 105, 10));
        // `a` is gone: the smallest live id pushes; a member is always live to itself.
        assert_eq!(m.pusher("c", 105, 10), "b");
        assert_eq!(m.pusher("a", 105, 10), "a");
        assert_eq!(m.pusher("d", 200, 10), "d");
        // `c` counts SLO 2 otherwise (it lacks its fingerprint); dead `a` does not matter.
        assert_eq!(
            m.mismatched("b", 1, &[1, 2], 105, 10),
            (vec!["c".to_string()], vec![2])
        );
        assert_eq!(m.mismatched("b", 1, &[1, 2], 500, 10), (vec![], vec![]));
        let source = Source {
            topic: "logs".into(),
            partition: 1,
        };
        assert!(m.reads("b", &source) && m.reads("c", &source) && !m.reads("a", &source));
    }

    #[test]
    fn fingerprints_are_kept_while_the_configuration_stays_and_unknown_ones_add_nothing() {
        let mut m = Members::default();
        // `b` alone: nobody disagrees with it.
        m.heard(beat("b", 100, 1, &[]));
        assert!(!m.disagree("b", 1, 105, 10));
        // `c` counts otherwise and has not sent its fingerprints yet: a mismatch, with no
        // SLO named (not every one of `b`'s).
        m.heard(beat("c", 101, 2, &[]));
        assert!(m.disagree("b", 1, 105, 10) && m.disagree("c", 2, 105, 10));
        assert!(!m.disagree("b", 2, 105, 10), "c agrees with 2; b is `me`");
        assert_eq!(
            m.mismatched("b", 1, &[1, 2], 105, 10),
            (vec!["c".to_string()], vec![])
        );
        // Its fingerprints arrive, then heartbeats without them keep them.
        m.heard(beat("c", 102, 2, &[1, 3]));
        m.heard(beat("c", 103, 2, &[]));
        assert_eq!(
            m.mismatched("b", 1, &[1, 2], 105, 10),
            (vec!["c".to_string()], vec![2])
        );
        // A new configuration drops the old list until the new one arrives.
        m.heard(beat("c", 104, 3, &[]));
        assert_eq!(
            m.mismatched("b", 1, &[1, 2], 105, 10),
            (vec!["c".to_string()], vec![])
        );
        m.heard(beat("c", 106, 1, &[]));
        assert!(!m.disagree("b", 1, 107, 10));
        assert_eq!(m.mismatched("b", 1, &[1, 2], 107, 10), (vec![], vec![]));
    }
}
