//! The ring's memory, allocated as keys arrive and within its bound, and its state: minutes
//! of another shape are refused whole on import.

use super::*;

#[test]
fn memory_is_allocated_as_keys_arrive_and_stays_within_the_bound() {
    let typical = shape(60, 5, 3, 32);
    let empty = AttributionRing::new(typical);
    assert_eq!(empty.bytes(), size_of::<AttributionRing>());
    // The figures of the module documentation.
    assert_eq!(size_of::<Minute>(), 56);
    assert_eq!(size_of::<Table>(), 128);
    assert_eq!(Table::max_heap_bytes(32, 3, 32), 4_108);
    assert_eq!(typical.max_bytes(32), 1_277_184);
    assert_eq!(typical.max_bytes(200), 3_120_384);
    let mut r = AttributionRing::new(typical);
    // Every table of every minute full of 32-byte keys, with evictions churning the arenas.
    for minute in 0..60 {
        for i in 0..200u32 {
            let key = format!("{:0>32}", i * 7 % 97);
            let k = key.as_bytes();
            r.record(
                T0 + minute * MINUTE,
                &[k, k, k, k, k],
                &[BAD, GOOD, Some(i % 3 == 0)],
            );
        }
    }
    assert!(r.bytes() <= typical.max_bytes(32), "{}", r.bytes());
    assert!(r.bytes() > typical.max_bytes(32) / 2, "{}", r.bytes());
    // Paths filling their tables, a few statuses, hosts, backends and methods.
    let mut real = AttributionRing::new(typical);
    for minute in 0..60 {
        for i in 0..500u32 {
            let path = format!("/api/v1/resource-{:03}/{{id}}", i * 7 % 200);
            let status: &[u8] = [&b"200"[..], b"503", b"404", b"201"][(i % 4) as usize];
            let backend = format!("10.0.0.{}:8080", i % 3);
            let method: &[u8] = [&b"GET"[..], b"POST"][(i % 2) as usize];
            let keys = [
                path.as_bytes(),
                status,
                b"shop.example.com",
                backend.as_bytes(),
                method,
            ];
            let bad = Some(i % 4 == 1);
            real.record(T0 + minute * MINUTE, &keys, &[bad, Some(false), bad]);
        }
    }
    // About 350 KiB (358,168 bytes), as the module documentation says.
    assert!(
        (300_000..400_000).contains(&real.bytes()),
        "{}",
        real.bytes()
    );
    // A minute of a few keys holds a few entries.
    let mut small = AttributionRing::new(typical);
    small.record(
        T0,
        &[b"/a", b"200", b"h", b"b", b"GET"],
        &[GOOD, GOOD, GOOD],
    );
    assert!(small.bytes() < 8 * 1024, "{}", small.bytes());
}

#[test]
fn minutes_of_another_shape_are_refused_whole() {
    let mut r = AttributionRing::new(shape(60, 2, 2, 4));
    r.record(T0, &[b"a", b"b"], &[BAD, GOOD]);
    let mut state = r.export();
    let good = state.clone();
    state.minutes.push(MinuteState {
        minute: T0 / MINUTE + 1,
        slos: vec![SloCounts::default(); 3],
        tables: Vec::new(),
    });
    let mut into = AttributionRing::new(shape(60, 2, 2, 4));
    assert_eq!(
        into.import(&state),
        Err(AttributionError::Slos {
            minute: T0 / MINUTE + 1,
            expected: 2,
            found: 3
        })
    );
    assert_eq!(into.export(), AttributionState::default());
    state.minutes[1].slos.pop();
    state.minutes[1].tables = vec![TableState::default()];
    assert!(matches!(
        into.import(&state),
        Err(AttributionError::Dims { .. })
    ));
    into.import(&good).unwrap();
    assert_eq!(into.export(), good);
    assert_eq!(
        into.export_minute(T0 + 5 * SECOND),
        Some(good.minutes[0].clone())
    );
    assert_eq!(into.export_minute(T0 + MINUTE), None);
}
