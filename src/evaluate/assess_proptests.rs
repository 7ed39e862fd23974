//! Property test of [`assess`]: for any counts, including no traffic at all, every SLO of the
//! example configurations (occurrences, timeslices, calendar periods, throughput) reports
//! only finite numbers.

use proptest::prelude::*;

use super::assess::WindowText;
use super::report::LatencyReport;
use super::*;

const END_US: i64 = 1_795_255_200 * crate::time::SECOND;

fn objectives() -> Vec<SloObjective> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/config");
    ["demo.yaml", "openslo-example.yaml", "json-example.yaml"]
        .iter()
        .flat_map(|f| {
            let text = std::fs::read_to_string(format!("{dir}/{f}")).unwrap();
            crate::config::parse(&text, f).unwrap().reload.objectives
        })
        .collect()
}

/// Counts with good ≤ total; zero totals are common.
fn counts() -> impl Strategy<Value = Counts> {
    prop_oneof![
        Just(Counts::default()),
        (0u64..1_000_000_000_000)
            .prop_flat_map(|total| (0..=total, Just(total)))
            .prop_map(|(good, total)| Counts { good, total }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn reports_hold_only_finite_numbers(
        windows in prop::collection::vec(counts(), 16),
        events in counts(),
        slices in prop::collection::vec(counts(), 0..50),
    ) {
        let latency = LatencyReport::without_data();
        for o in objectives() {
            let (start_us, end_us) = o.budget_interval(END_US);
            let period = PeriodCounts { start_us, end_us, events, slices: slices.clone(), leave: None, sla: Counts::default() };
            let text = WindowText::new(END_US, o.windows.iter().copied());
            let report = assess(&o, &windows[..o.windows.len().min(16)], &period, &text, &latency);
            let text = format!("{report:?}");
            let bad = text
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
                .find(|t| matches!(*t, "NaN" | "inf" | "-inf"));
            prop_assert!(bad.is_none(), "{}: {:?} in {}", o.id(), bad, text);
            let json = serde_json::to_value(&report).unwrap();
            prop_assert!(!json.to_string().contains("NaN"));
        }
    }
}
