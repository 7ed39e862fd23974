use super::*;
use crate::decode::testing;
use proptest::prelude::*;

// Written from AWS's documentation of CloudFront standard log files (the fields of the
// current standard log, in its order, tab-separated).
const CLOUDFRONT_HEADER: &str = "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end";

fn cloudfront(values: &[&str]) -> String {
    values.join("\t")
}

fn hit() -> String {
    cloudfront(&[
        "2026-11-21",
        "10:00:01",
        "LAX1-C3",
        "392",
        "192.0.2.100",
        "GET",
        "d111111abcdef8.cloudfront.net",
        "/index.html",
        "200",
        "-",
        "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36",
        "-",
        "-",
        "Hit",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "www.example.com",
        "https",
        "23",
        "0.082",
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Hit",
        "HTTP/2.0",
        "-",
        "-",
        "11040",
        "0.081",
        "Hit",
        "text/html",
        "78",
        "-",
        "-",
    ])
}

/// The viewer closed the connection before CloudFront responded: status `000`.
fn closed() -> String {
    hit()
        .replace("\t200\t", "\t000\t")
        .replace("\tHit\t", "\tError\t")
}

const IIS: &[&str] = &[
    "#Software: Microsoft Internet Information Services 10.0",
    "#Version: 1.0",
    "#Date: 2026-11-21 10:00:00",
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken",
    "2026-11-21 10:00:01 10.0.0.4 GET /api/orders id=7 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - 200 0 0 46",
    "2026-11-21 10:00:02 10.0.0.4 POST /api/checkout - 443 - 203.0.113.9 curl/8.5.0 - 503 0 64 1210",
];

/// 2026-11-21T10:00:01Z in µs.
const T1: i64 = 1_795_255_201_000_000;

/// Reads `lines` in order with one state, as a partition does.
fn read_all<'a>(
    d: &W3cDecoder,
    lines: &[&'a str],
    state: &mut LineState,
) -> Vec<Result<Option<Event<'a>>, DecodeError>> {
    lines
        .iter()
        .map(|l| d.decode_in(l.as_bytes(), state))
        .collect()
}

#[test]
fn a_cloudfront_log_reads_by_its_header() {
    let d = W3cDecoder::new(Preset::CloudFront);
    let (hit, closed) = (hit(), closed());
    let mut state = LineState::default();
    let got = read_all(
        &d,
        &["#Version: 1.0", CLOUDFRONT_HEADER, &hit, &closed],
        &mut state,
    );
    assert_eq!(got[0], Ok(None));
    assert_eq!(got[1], Ok(None));
    assert_eq!(
        got[2],
        Ok(Some(Event {
            time_us: T1,
            status: 200,
            latency_us: Some(82_000),
            method: b"GET",
            host: b"www.example.com",
            path: b"/index.html",
            backend: b"",
            long_lived: false,
            request_id: b"SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
            client: b"192.0.2.100",
        }))
    );
    let closed = got[3].unwrap().unwrap();
    assert_eq!((closed.status, closed.latency_us), (0, None));
    assert_eq!(state.saved(), Some(CLOUDFRONT_HEADER.as_bytes()));
}

#[test]
fn an_iis_log_reads_by_its_header() {
    let d = W3cDecoder::new(Preset::Iis);
    let mut state = LineState::default();
    let got = read_all(&d, IIS, &mut state);
    assert!(got[..4].iter().all(|g| *g == Ok(None)), "{got:?}");
    let a = got[4].unwrap().unwrap();
    assert_eq!(
        (a.time_us, a.status, a.latency_us, a.method, a.path, a.host),
        (
            T1,
            200,
            Some(46_000),
            &b"GET"[..],
            &b"/api/orders"[..],
            &b""[..]
        )
    );
    let b = got[5].unwrap().unwrap();
    assert_eq!(
        (b.time_us, b.status, b.latency_us, b.method),
        (T1 + 1_000_000, 503, Some(1_210_000), &b"POST"[..])
    );
}

#[test]
fn a_new_header_changes_the_columns_mid_file() {
    let d = W3cDecoder::new(Preset::Iis);
    let mut state = LineState::default();
    let lines = [
        "#Fields: date time cs-method cs-uri-stem sc-status time-taken",
        "2026-11-21 10:00:01 GET /a 200 5",
        "#Fields: date time sc-status cs-host cs-uri-stem time-taken",
        "2026-11-21 10:00:01 404 shop.example.com:8443 /b 7",
        "2026-11-21 10:00:01 GET /a 200 5",
    ];
    let got = read_all(&d, &lines, &mut state);
    let a = got[1].unwrap().unwrap();
    assert_eq!((a.status, a.path, a.method), (200, &b"/a"[..], &b"GET"[..]));
    let b = got[3].unwrap().unwrap();
    assert_eq!(
        (b.status, b.path, b.host, b.method),
        (404, &b"/b"[..], &b"shop.example.com"[..], &b""[..])
    );
    // A line in the first header's layout under the second: its status column is a method.
    assert_eq!(got[4], Err(DecodeError::BadStatus));
}

#[test]
fn lines_without_a_header_or_off_its_count_are_errors_that_say_why() {
    let d = W3cDecoder::new(Preset::CloudFront);
    let hit = hit();
    let mut state = LineState::default();
    assert_eq!(
        d.decode_in(hit.as_bytes(), &mut state),
        Err(DecodeError::MissingFields)
    );
    assert_eq!(d.decode(hit.as_bytes()), Err(DecodeError::MissingFields));
    let why = d.why(hit.as_bytes(), &state).unwrap();
    assert!(why.contains("no #Fields: directive"), "{why}");
    d.decode_in(CLOUDFRONT_HEADER.as_bytes(), &mut state)
        .unwrap();
    let short = hit.rsplit_once('\t').unwrap().0;
    assert_eq!(
        d.decode_in(short.as_bytes(), &mut state),
        Err(DecodeError::MissingFields)
    );
    let why = d.why(short.as_bytes(), &state).unwrap();
    assert_eq!(
        why,
        "32 values separated by tabs, the #Fields: directive declares 33"
    );
    // IIS's space-separated form of the same values is one value to a tab reader.
    let spaced = hit.replace('\t', " ");
    assert_eq!(
        d.decode_in(spaced.as_bytes(), &mut state),
        Err(DecodeError::MissingFields)
    );
    // A header without a status: every line after it is an error naming the field.
    d.decode_in(b"#Fields: date time cs-uri-stem", &mut state)
        .unwrap();
    assert_eq!(
        d.decode_in(b"2026-11-21\t10:00:01\t/a", &mut state),
        Err(DecodeError::MissingFields)
    );
    assert_eq!(
        d.why(b"2026-11-21\t10:00:01\t/a", &state).unwrap(),
        "the #Fields: directive in force does not declare sc-status"
    );
}

#[test]
fn values_are_checked_and_a_wrong_preset_is_counted_not_misread() {
    let cf = W3cDecoder::new(Preset::CloudFront);
    let mut state = LineState::default();
    cf.decode_in(CLOUDFRONT_HEADER.as_bytes(), &mut state)
        .unwrap();
    let hit = hit();
    let cases = [
        (
            hit.replace("2026-11-21", "21/11/2026"),
            DecodeError::BadTime,
        ),
        (hit.replace("10:00:01", "10:61:01"), DecodeError::BadTime),
        (hit.replace("\t200\t", "\tOK\t"), DecodeError::BadStatus),
        // Whole milliseconds are IIS's form: under CloudFront's they are an error.
        (hit.replace("\t0.082\t", "\t82\t"), DecodeError::BadLatency),
        (
            hit.replace("\t0.082\t", "\t-0.082\t"),
            DecodeError::BadLatency,
        ),
    ];
    for (line, want) in &cases {
        assert_eq!(
            cf.decode_in(line.as_bytes(), &mut state),
            Err(*want),
            "{line}"
        );
        assert!(cf.why(line.as_bytes(), &state).is_some(), "{line}");
    }
    assert_eq!(
        cf.why(cases[3].0.as_bytes(), &state).unwrap(),
        "time-taken (seconds with a fraction, or -) is \"82\""
    );
    // Seconds are CloudFront's form: under IIS's they are an error.
    let iis = W3cDecoder::new(Preset::Iis);
    let mut state = LineState::default();
    iis.decode_in(IIS[3].as_bytes(), &mut state).unwrap();
    let seconds = IIS[4].replace(" 46", " 0.046");
    assert_eq!(
        iis.decode_in(seconds.as_bytes(), &mut state),
        Err(DecodeError::BadLatency)
    );
    // An unknown time-taken is an unknown latency.
    let unknown = IIS[4].replace(" 46", " -");
    let e = iis
        .decode_in(unknown.as_bytes(), &mut state)
        .unwrap()
        .unwrap();
    assert_eq!(e.latency_us, None);
}

#[test]
fn the_client_is_c_ip() {
    let d = W3cDecoder::new(Preset::CloudFront);
    let read = |line: &str| {
        let mut state = LineState::default();
        d.decode_in(CLOUDFRONT_HEADER.as_bytes(), &mut state)
            .unwrap();
        d.decode_in(line.as_bytes(), &mut state)
            .map(|e| e.unwrap().client.to_vec())
    };
    assert_eq!(read(&hit()), Ok(b"192.0.2.100".to_vec()));
    let v6 = hit().replace("192.0.2.100", "2001:db8:cafe::17");
    assert_eq!(read(&v6), Ok(b"2001:db8:cafe::17".to_vec()));
    let none = hit().replace("192.0.2.100", "-");
    assert_eq!(read(&none), Ok(vec![]));
    let bad = hit().replace("192.0.2.100", "viewer");
    assert_eq!(read(&bad), Ok(vec![]), "not an address: no client");
    // IIS writes it too; a header without c-ip gives no client.
    let lines = read_all(
        &W3cDecoder::new(Preset::Iis),
        IIS,
        &mut LineState::default(),
    );
    assert_eq!(lines[4].as_ref().unwrap().unwrap().client, b"203.0.113.9");
    let cut = ["#Fields: date time sc-status", "2026-11-21 10:00:01 200"];
    let lines = read_all(
        &W3cDecoder::new(Preset::Iis),
        &cut,
        &mut LineState::default(),
    );
    assert_eq!(lines[1].as_ref().unwrap().unwrap().client, b"");
}

#[test]
fn the_saved_directive_restores_the_same_reading() {
    let d = W3cDecoder::new(Preset::Iis);
    let mut state = LineState::default();
    read_all(&d, &IIS[..4], &mut state);
    let restored = LineState::restore(state.saved());
    assert_eq!(restored, state);
    let mut fresh = restored.clone();
    assert_eq!(
        d.decode_in(IIS[4].as_bytes(), &mut fresh),
        d.decode_in(IIS[4].as_bytes(), &mut state)
    );
    assert_eq!(LineState::restore(None), LineState::default());
    assert_eq!(
        LineState::restore(Some(b"#Version: 1.0")),
        LineState::default()
    );
}

proptest! {
    /// Lines written from random values under a random order of the read fields decode back
    /// to those values.
    #[test]
    fn written_lines_read_back(
        order in Just(vec!["date", "time", "sc-status", "time-taken", "cs-method", "cs-uri-stem", "x-host-header", "c-ip"]).prop_shuffle(),
        secs in 0i64..86_400,
        status in 100u16..600,
        taken_ms in 0i64..10_000_000,
        method in "[A-Z]{3,7}",
        path in "/[a-z0-9/._~%-]{0,30}",
        host in "[a-z0-9][a-z0-9.-]{0,19}",
        iis in any::<bool>(),
        (client, _) in testing::client(),
    ) {
        let (preset, sep) = if iis { (Preset::Iis, " ") } else { (Preset::CloudFront, "\t") };
        let t = T1 - T1 % 86_400_000_000 + secs * 1_000_000;
        let taken = if iis { taken_ms.to_string() } else { format!("{}.{:03}", taken_ms / 1000, taken_ms % 1000) };
        let value = |name: &str| match name {
            "date" => crate::time::format_rfc3339(t)[..10].to_string(),
            "time" => crate::time::format_rfc3339(t)[11..19].to_string(),
            "sc-status" => status.to_string(),
            "time-taken" => taken.clone(),
            "cs-method" => method.clone(),
            "cs-uri-stem" => path.clone(),
            "x-host-header" => host.clone(),
            "c-ip" => client.clone(),
            other => unreachable!("{other}"),
        };
        let header = format!("#Fields: {}", order.join(" "));
        let line: Vec<String> = order.iter().map(|n| value(n)).collect();
        let line = line.join(sep);
        let d = W3cDecoder::new(preset);
        let mut state = LineState::default();
        prop_assert_eq!(d.decode_in(header.as_bytes(), &mut state), Ok(None));
        let e = d.decode_in(line.as_bytes(), &mut state).unwrap().unwrap();
        prop_assert_eq!(e.time_us, t);
        prop_assert_eq!(e.status, status);
        prop_assert_eq!(e.latency_us, Some(taken_ms * 1000));
        prop_assert_eq!(e.method, method.as_bytes());
        prop_assert_eq!(e.path, path.as_bytes());
        prop_assert_eq!(e.host, host.as_bytes());
        prop_assert_eq!(e.client, client.as_bytes());
    }

    #[test]
    fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300), iis in any::<bool>()) {
        let d = W3cDecoder::new(if iis { Preset::Iis } else { Preset::CloudFront });
        let mut state = LineState::default();
        let _ = d.decode_in(CLOUDFRONT_HEADER.as_bytes(), &mut state);
        let _ = d.decode_in(&bytes, &mut state);
        let _ = d.why(&bytes, &state);
        // The bytes as a header, then as a line under it.
        let mut header = b"#Fields: ".to_vec();
        header.extend_from_slice(&bytes);
        let _ = d.decode_in(&header, &mut state);
        let _ = d.decode_in(&bytes, &mut state);
        let _ = d.why(&bytes, &state);
    }

    #[test]
    fn never_panics_on_mutations(edits in testing::edits()) {
        let d = W3cDecoder::new(Preset::CloudFront);
        let mut state = LineState::default();
        let _ = d.decode_in(CLOUDFRONT_HEADER.as_bytes(), &mut state);
        let line = testing::mutate(&hit(), edits);
        let decoded = d.decode_in(&line, &mut state);
        prop_assert_eq!(decoded.is_err(), d.why(&line, &state).is_some());
    }
}
