//! Records read back, bad bytes are errors, deltas of every earlier shape read both ways,
//! and the alert state goes whole or as bounded changes.

use super::older_deltas::{
    DeltaBeforeAttribution, DeltaBeforeCanary, DeltaBeforeCapacity, DeltaBeforeDirectives,
};
use super::*;

#[test]
fn records_read_back_and_bad_bytes_are_errors() {
    let source = Source {
        topic: "logs".into(),
        partition: 3,
    };
    let epoch = Epoch {
        number: 2,
        member: "a".into(),
    };
    let records = [
        Record::Fence(Fence {
            source: source.clone(),
            epoch: epoch.clone(),
            start: 7,
            sent_us: 1,
        }),
        Record::Delta(Box::new(Delta {
            source: source.clone(),
            epoch,
            from: 7,
            to: 9,
            ids: vec![(5, 6)],
            slos: vec![SloCounts {
                slo: 1,
                seconds: vec![(100, 1, 2)],
            }],
            ..Delta::default()
        })),
        Record::Heartbeat(Heartbeat {
            member: "a".into(),
            url: "http://a".into(),
            sent_us: 3,
            partitions: vec![source.clone()],
            applied: 4,
            lag: vec![(source, 0)],
            config: 5,
            slos: vec![1, 2],
            leaving: false,
            digest: Some((256, 7)),
        }),
        Record::Alerts(AlertState {
            member: "a".into(),
            sent_us: 8,
            active: [(
                [("alertname".to_string(), "page_1h_5m".to_string())].into(),
                9,
            )]
            .into(),
        }),
        Record::Annotation(AnnotationRecord {
            member: "b".into(),
            sent_us: 12,
            change: AnnotationChange::Add(crate::annotations::NewAnnotation {
                time: "2026-12-01T10:00:00Z".into(),
                end: None,
                kind: crate::annotations::AnnotationKind::Deploy,
                service: Some("api".into()),
                text: "v2".into(),
                labels: Default::default(),
            }),
        }),
        Record::Annotation(AnnotationRecord {
            member: "b".into(),
            sent_us: 13,
            change: AnnotationChange::Delete(4),
        }),
        Record::Adjustment(AdjustmentRecord {
            member: "c".into(),
            sent_us: 14,
            change: AdjustmentChange::Remove("db".into()),
        }),
        Record::AlertChange(AlertChange {
            member: "a".into(),
            sent_us: 10,
            set: vec![([("alertname".to_string(), "x".to_string())].into(), 11)],
            cleared: vec![[("alertname".to_string(), "y".to_string())].into()],
        }),
    ];
    for r in records {
        assert_eq!(Record::decode(&r.encode()), Ok(r));
    }
    assert_eq!(Record::decode(&[]), Err(RecordError::Empty));
    assert_eq!(Record::decode(&[9, 0]), Err(RecordError::Version(9)));
    assert!(matches!(
        Record::decode(&[VERSION, 200]),
        Err(RecordError::Corrupt(_))
    ));
}

#[test]
fn deltas_with_a_directive_and_of_the_first_release_read_both_ways() {
    let delta = Delta {
        source: Source {
            topic: "cdn".into(),
            partition: 0,
        },
        from: 3,
        to: 9,
        ids: vec![(5, 6)],
        directive: Some(b"#Fields: date time sc-status".to_vec()),
        directives: 2,
        ..Delta::default()
    };
    let new = Record::Delta(Box::new(delta.clone())).encode();
    assert_eq!(
        Record::decode(&new),
        Ok(Record::Delta(Box::new(delta.clone())))
    );
    // A build of the first release reads the same bytes as its delta, without the
    // appended fields (postcard ignores what follows a record).
    let old: DeltaBeforeDirectives = postcard::from_bytes(&new[2..]).unwrap();
    let read = Delta::from(old);
    assert_eq!(
        (read.from, read.to, &read.ids, read.directive),
        (3, 9, &delta.ids, None)
    );
    // A delta of the first release (the appended fields absent: no directive, no
    // directive lines, no capacity counts, no attribution and no canary counts encode as
    // one zero byte each, so it is this record without its last five bytes) reads with
    // none.
    let plain = Delta {
        directive: None,
        directives: 0,
        ..delta
    };
    let bytes = Record::Delta(Box::new(plain.clone())).encode();
    let first_release = &bytes[..bytes.len() - 5];
    assert_eq!(
        Record::decode(first_release),
        Ok(Record::Delta(Box::new(plain)))
    );
    // A cut delta is still corrupt.
    assert!(matches!(
        Record::decode(&first_release[..first_release.len() - 3]),
        Err(RecordError::Corrupt(_))
    ));
}

#[test]
fn deltas_with_capacity_counts_and_from_before_them_read_both_ways() {
    let delta = Delta {
        from: 3,
        to: 9,
        ids: vec![(5, 6)],
        directive: Some(b"#Fields: date time sc-status".to_vec()),
        directives: 2,
        capacity: vec![CapacityCounts {
            service: 7,
            minutes: vec![(29_919_600, 5, 4, 1_234), (29_919_601, 1, 0, 0)],
        }],
        ..Delta::default()
    };
    let new = Record::Delta(Box::new(delta.clone())).encode();
    assert_eq!(
        Record::decode(&new),
        Ok(Record::Delta(Box::new(delta.clone())))
    );
    // A build before capacity counts reads the same bytes without them.
    let old: DeltaBeforeCapacity = postcard::from_bytes(&new[2..]).unwrap();
    let without = Delta {
        capacity: Vec::new(),
        ..delta
    };
    assert_eq!(Delta::from(old), without);
    // A delta written before them (no capacity counts and no attribution encode as one
    // zero byte each, and so do no canary counts: this record without its last three
    // bytes) reads with its
    // directive and none.
    let bytes = Record::Delta(Box::new(without.clone())).encode();
    let before = &bytes[..bytes.len() - 3];
    assert_eq!(Record::decode(before), Ok(Record::Delta(Box::new(without))));
}

#[test]
fn deltas_with_attribution_and_from_before_it_read_both_ways() {
    let mut ring = crate::window::AttributionRing::new(crate::window::AttributionShape {
        minutes: 10,
        dims: 2,
        slos: 1,
        keys_per_table: 4,
    });
    ring.record(
        29_919_600 * 60_000_000,
        &[b"/api/checkout", b"503"],
        &[Some(true)],
    );
    let delta = Delta {
        from: 3,
        to: 9,
        capacity: vec![CapacityCounts {
            service: 7,
            minutes: vec![(29_919_600, 1, 0, 0)],
        }],
        attribution: vec![AttributionCounts {
            fingerprint: 11,
            minutes: ring.export().minutes,
        }],
        ..Delta::default()
    };
    assert_eq!(delta.attribution[0].minutes.len(), 1);
    let without = Delta {
        attribution: Vec::new(),
        ..delta.clone()
    };
    // Written before it: no attribution and no canary counts, one zero byte each.
    reads_both_ways::<DeltaBeforeAttribution>(delta, without, 2);
}

/// `delta` reads back; a build of the shape `Old` (before a field appended last) reads
/// its bytes as `without` (`delta` without that field); and `without` as that build
/// wrote it (the record less its last `appended` bytes, the empty fields appended since)
/// reads as `without`.
fn reads_both_ways<Old>(delta: Delta, without: Delta, appended: usize)
where
    Old: serde::de::DeserializeOwned + Into<Delta>,
{
    let new = Record::Delta(Box::new(delta.clone())).encode();
    assert_eq!(Record::decode(&new), Ok(Record::Delta(Box::new(delta))));
    let old: Old = postcard::from_bytes(&new[2..]).unwrap();
    assert_eq!(old.into(), without);
    let bytes = Record::Delta(Box::new(without.clone())).encode();
    let before = &bytes[..bytes.len() - appended];
    assert_eq!(Record::decode(before), Ok(Record::Delta(Box::new(without))));
}

/// Firing alerts of services `services` (with long names), since `since + i`.
fn firing(services: std::ops::Range<usize>, since: i64) -> AlertTimes {
    services
        .map(|i| {
            let labels: AlertLabels = [
                ("alertname", "SLOErrorBudgetBurn".to_string()),
                ("service", format!("checkout-frontend-eu-west-1-{i}")),
                ("slo", "availability".to_string()),
                ("severity", "page".to_string()),
                ("window", "1h".to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            (labels, since + i as i64)
        })
        .collect()
}

#[test]
fn a_small_alert_state_is_one_whole_record_and_a_large_one_bounded_changes() {
    let none = AlertTimes::new();
    assert!(alert_records("p", 1, &none, &none).is_empty());
    let few = firing(0..10, 100);
    assert_eq!(
        alert_records("p", 1, &few, &none),
        [Record::Alerts(AlertState {
            member: "p".into(),
            sent_us: 1,
            active: few.clone(),
        })]
    );

    // 20,000 firing alerts (past the 2 MB a log record may be): changes of bounded size that,
    // applied in order to what was decided, give exactly the new state.
    let many = firing(0..20_000, 100);
    let whole = Record::Alerts(AlertState {
        member: "p".into(),
        sent_us: 1,
        active: many.clone(),
    });
    assert!(whole.encode().len() > 2_000_000);
    let mut decided = firing(0..15_000, 100);
    // Some alerts with another time, and some that no longer fire.
    for (_, since) in decided.iter_mut().take(500) {
        *since -= 1;
    }
    decided.extend(firing(20_000..23_000, 7));
    let records = alert_records("p", 1, &many, &decided);
    assert!(records.len() > 1, "{} records", records.len());
    let mut state = decided.clone();
    let (mut set, mut cleared) = (0, 0);
    for r in records {
        let bytes = r.encode();
        assert!(bytes.len() <= ALERT_RECORD_BYTES, "{} bytes", bytes.len());
        let Ok(Record::AlertChange(c)) = Record::decode(&bytes) else {
            panic!("a change record");
        };
        set += c.set.len();
        cleared += c.cleared.len();
        c.apply_to(&mut state);
    }
    assert_eq!(state, many);
    assert_eq!((set, cleared), (500 + 5_000, 3_000));
}
#[test]
fn deltas_with_canary_counts_and_from_before_them_read_both_ways() {
    use crate::classify::Outcome;
    use crate::classify::canary::Variant;
    let mut ring = crate::window::CanaryRing::new(10, 1);
    ring.record(
        29_919_600 * 60_000_000,
        Variant::Canary,
        true,
        &[Outcome::Bad],
        Some(120_000),
    );
    let mut attribution = crate::window::AttributionRing::new(crate::window::AttributionShape {
        minutes: 10,
        dims: 1,
        slos: 1,
        keys_per_table: 4,
    });
    attribution.record(29_919_600 * 60_000_000, &[b"503"], &[Some(true)]);
    let delta = Delta {
        from: 3,
        to: 9,
        attribution: vec![AttributionCounts {
            fingerprint: 11,
            minutes: attribution.export().minutes,
        }],
        canary: vec![CanaryCounts {
            fingerprint: 12,
            minutes: ring.export().minutes,
        }],
        ..Delta::default()
    };
    assert_eq!(delta.canary[0].minutes[0].sides[0].latency.len(), 1);
    let without = Delta {
        canary: Vec::new(),
        ..delta.clone()
    };
    // Written before them: no canary counts, one zero byte.
    reads_both_ways::<DeltaBeforeCanary>(delta, without, 1);
}
