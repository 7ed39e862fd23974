//! The alert state on the log: the firing alerts and since when, written whole while it is
//! small and as bounded changes past that ([`alert_records`]).

use serde::{Deserialize, Serialize};

use super::Record;

/// Alert labels (`alertname`, `service`, `slo`, …), ordered so a set is one key.
pub type AlertLabels = std::collections::BTreeMap<String, String>;

/// Since when (evaluation time, µs) each firing alert fires, by its labels.
pub type AlertTimes = std::collections::BTreeMap<AlertLabels, i64>;

/// The firing alerts, by their labels, with the evaluation time each was first seen firing
/// (µs): the `startsAt` every member reports and the next pusher keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertState {
    /// The member that wrote it (the pusher).
    pub member: String,
    /// Its wall clock when it wrote the record, µs.
    pub sent_us: i64,
    /// Every firing alert and since when.
    pub active: AlertTimes,
}

/// Part of what the member that pushes alerts decided, as a change to the state before it:
/// each part applies on its own, so a large change is cut into records of bounded size.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertChange {
    /// The member that wrote it (the pusher).
    pub member: String,
    /// Its wall clock when it wrote the record, µs.
    pub sent_us: i64,
    /// Alerts that fire, with since when: new ones, or ones whose time changed.
    pub set: Vec<(AlertLabels, i64)>,
    /// Alerts that no longer fire.
    pub cleared: Vec<AlertLabels>,
}

impl AlertChange {
    /// Applies the change to `state`.
    pub fn apply_to(self, state: &mut AlertTimes) {
        state.extend(self.set);
        for labels in &self.cleared {
            state.remove(labels);
        }
    }
}

/// Largest alert record [`alert_records`] writes, bytes (a log record may be 2 MB; a
/// whole firing set past this goes as changes).
pub const ALERT_RECORD_BYTES: usize = 256 * 1024;

/// The records that take the cluster's alert state from `decided` to `mine`, written by
/// `member` at `sent_us`: the whole state in one [`Record::Alerts`] while it encodes in
/// [`ALERT_RECORD_BYTES`] (what every build reads), else the difference as
/// [`Record::AlertChange`]s of at most that size each (an alert whose labels alone exceed it
/// goes alone). Nothing when the two agree.
pub fn alert_records(
    member: &str,
    sent_us: i64,
    mine: &AlertTimes,
    decided: &AlertTimes,
) -> Vec<Record> {
    if mine == decided {
        return Vec::new();
    }
    let whole = Record::Alerts(AlertState {
        member: member.to_string(),
        sent_us,
        active: mine.clone(),
    });
    if whole.encode().len() <= ALERT_RECORD_BYTES {
        return vec![whole];
    }
    // Room for the record's own fields and the two lists' lengths.
    let budget = ALERT_RECORD_BYTES.saturating_sub(64 + member.len());
    let empty = || AlertChange {
        member: member.to_string(),
        sent_us,
        ..AlertChange::default()
    };
    // Alerts set (with since when) or cleared (`None`).
    let set = mine
        .iter()
        .filter(|&(labels, since)| decided.get(labels) != Some(since))
        .map(|(labels, &since)| (labels, Some(since)));
    let cleared = decided
        .keys()
        .filter(|l| !mine.contains_key(*l))
        .map(|labels| (labels, None));
    let (mut out, mut part, mut used) = (Vec::new(), empty(), 0);
    for (labels, since) in set.chain(cleared) {
        // The labels, and at most 10 bytes for the time.
        let bytes = postcard::to_stdvec(labels).map_or(0, |b| b.len()) + 10;
        if used > 0 && used + bytes > budget {
            out.push(Record::AlertChange(std::mem::replace(&mut part, empty())));
            used = 0;
        }
        used += bytes;
        match since {
            Some(since) => part.set.push((labels.clone(), since)),
            None => part.cleared.push(labels.clone()),
        }
    }
    if used > 0 {
        out.push(Record::AlertChange(part));
    }
    out
}
