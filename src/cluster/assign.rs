//! Which member reads which raw partition: computed by every member from the same inputs
//! (the raw partitions and the live members), so that all agree without asking each other.
//!
//! Rendezvous hashing with bounded load: partitions in order each go to the member that
//! ranks highest for them (a hash of member and partition) among those that hold fewer than
//! `⌈partitions / members⌉`. No member gets more than that (so the load is even when the
//! partitions outnumber the members well), and a member joining or leaving moves few
//! partitions besides its own share.

use std::collections::BTreeMap;

use xxhash_rust::xxh3::xxh3_64;

use super::record::Source;

fn rank(member: &str, source: &Source) -> u64 {
    let key = format!("{member}\u{0}{}\u{0}{}", source.topic, source.partition);
    xxh3_64(key.as_bytes())
}

/// The member of `members` (ids, any order, no duplicates) that reads each of `partitions`.
pub fn assign(partitions: &[Source], members: &[String]) -> BTreeMap<Source, String> {
    let mut out = BTreeMap::new();
    if members.is_empty() {
        return out;
    }
    let mut sorted: Vec<&Source> = partitions.iter().collect();
    sorted.sort();
    sorted.dedup();
    let cap = sorted.len().div_ceil(members.len());
    let mut load: BTreeMap<&str, usize> = members.iter().map(|m| (m.as_str(), 0)).collect();
    for source in sorted {
        let best = members
            .iter()
            .filter(|m| load[m.as_str()] < cap)
            .max_by_key(|m| (rank(m, source), m.as_str()));
        if let Some(m) = best {
            *load.entry(m.as_str()).or_default() += 1;
            out.insert(source.clone(), m.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn sources(n: i32) -> Vec<Source> {
        (0..n)
            .map(|partition| Source {
                topic: "logs".into(),
                partition,
            })
            .collect()
    }

    fn names(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("member-{i}")).collect()
    }

    proptest! {
        #[test]
        fn every_partition_once_balanced_and_the_same_whatever_the_order(
            partitions in 1i32..70,
            members in 1usize..9,
            seed in any::<u64>(),
        ) {
            let all = sources(partitions);
            let ids = names(members);
            let a = assign(&all, &ids);
            prop_assert_eq!(a.len(), all.len());
            let mut load: BTreeMap<&String, usize> = BTreeMap::new();
            for m in a.values() {
                *load.entry(m).or_default() += 1;
            }
            let most = load.values().max().copied().unwrap_or(0);
            let cap = all.len().div_ceil(members);
            prop_assert!(most <= cap, "{load:?}");
            // Inputs in another order: the same answer.
            let mut shuffled = ids.clone();
            shuffled.rotate_left((seed % members as u64) as usize);
            let mut reversed = all.clone();
            reversed.reverse();
            prop_assert_eq!(assign(&reversed, &shuffled), a);
        }
    }

    #[test]
    fn a_member_leaving_moves_its_share_and_little_else() {
        let all = sources(64);
        let before = assign(&all, &names(4));
        let after = assign(&all, &names(3));
        let moved = all.iter().filter(|s| before[*s] != after[*s]).count();
        let own = before.values().filter(|m| *m == "member-3").count();
        assert_eq!(own, 16);
        // Its 16, and what bounded load shifts to keep the rest even.
        assert!(moved <= 16 + 16, "{moved} moved");
        assert!(assign(&all, &[]).is_empty());
    }
}
