//! A [`CapacityRing`] in a checkpoint ([`CapacityState`]): its held minutes and hours, and
//! adding them back at a restore.

use serde::{Deserialize, Serialize};

use super::{CapacityRing, HOUR_SLOTS, MINUTES_PER_HOUR, MinuteSlot, NONE, Sums, slot_of};

/// A minute in a checkpoint: its index (µs / 60 s) and its counts.
pub type MinuteState = (i64, Sums);

/// An hour in a checkpoint: its index (µs / 1 h), its counts and its peak minute (`None`
/// when none of its minutes was held).
pub type HourState = (i64, Sums, Option<MinuteState>);

/// A [`CapacityRing`] in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityState {
    /// Every held minute that counted a request, oldest first.
    pub minutes: Vec<MinuteState>,
    /// Every held hour that counted a request, oldest first, with its peak minute.
    pub hours: Vec<HourState>,
}

impl CapacityRing {
    /// Every held count, for a checkpoint.
    pub fn export(&self) -> CapacityState {
        CapacityState {
            minutes: self
                .minutes_between(i64::MIN, i64::MAX)
                .map(|m| (m.minute, m.sums()))
                .collect(),
            hours: self
                .hours_between(i64::MIN, i64::MAX)
                .map(|h| {
                    let peak = (h.peak.minute != NONE).then(|| (h.peak.minute, h.peak.sums()));
                    (h.hour, h.sums, peak)
                })
                .collect(),
        }
    }

    /// Adds exported counts, as [`crate::window::latency::LatencyRing::import`] and the SLO
    /// counters do: into an empty ring it restores exactly what was exported. Minutes and
    /// hours this ring no longer holds (after the newest of both) are skipped. An hour's peak
    /// adds exactly when both sides hold its minutes or only one side counted it (a restore);
    /// otherwise the busier of the two peaks is kept.
    pub fn import(&mut self, state: &CapacityState) {
        let newest_minute = state.minutes.iter().map(|m| m.0);
        let newest_hour = state
            .hours
            .iter()
            .map(|h| h.0.saturating_mul(MINUTES_PER_HOUR));
        let Some(newest) = newest_minute.chain(newest_hour).max() else {
            return;
        };
        self.advance(newest);
        self.hot = None;
        for &(hour, sums, peak) in &state.hours {
            let Some(i) = self.hold_hour(hour) else {
                continue;
            };
            let slot = &mut self.hours[i];
            slot.sums.add(sums);
            if let Some((minute, sums)) = peak {
                let mut theirs = MinuteSlot::new(minute);
                theirs.add(sums);
                if slot.peak.minute == minute {
                    slot.peak.add(sums);
                } else {
                    slot.bump(theirs);
                }
            }
        }
        for &(minute, sums) in &state.minutes {
            let Some(i) = self.hold_minute(minute) else {
                continue;
            };
            self.minutes[i].add(sums);
            let held = self.minutes[i];
            let hour = minute.div_euclid(MINUTES_PER_HOUR);
            let h = slot_of(hour, HOUR_SLOTS);
            if self.hours[h].hour == hour {
                self.hours[h].bump(held);
            }
        }
    }
}
