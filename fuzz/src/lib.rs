//! The checks the fuzz targets run, one function per target: each feeds arbitrary bytes to
//! one slipstream entry point and panics when an invariant breaks. The integration test
//! `tests/it/fuzz_regressions.rs` includes this file and runs the committed corpus
//! (`tests/fuzz_regressions/<target>/`) through the same functions, without cargo-fuzz.

use slipstream::decode::compiled::envoy::{AccessLogFormat, PRESETS as ENVOY_PRESETS};
use slipstream::decode::compiled::haproxy::{
    LogFormat as HaproxyFormat, PRESETS as HAPROXY_PRESETS,
};
use slipstream::decode::compiled::nginx::{LogFormat, PRESETS};
use slipstream::decode::ingest::{BatchLimits, Ingest, Item, Limits};
use slipstream::decode::json::{JsonMapping, JsonPath, TimeFormat};
use slipstream::decode::w3c::Preset as W3cPreset;
use slipstream::decode::{
    Decoder, Event, Format, FormatOptions, LineState, Unit, envelope::Envelope,
};
use slipstream::time::{DAY, HOUR, MINUTE, SECOND};
use slipstream::window::{Layout, SloCounters};

/// Whether `part` lies inside `whole` (an empty slice anywhere counts: decoders may return
/// `b""` for a missing field).
fn within(part: &[u8], whole: &[u8]) -> bool {
    let (w, p) = (whole.as_ptr() as usize, part.as_ptr() as usize);
    part.is_empty() || (p >= w && p + part.len() <= w + whole.len())
}

/// The invariants of any decoded event: a three-digit status, a non-negative known latency,
/// and every text field borrowed from the line.
pub fn check_event(event: &Event<'_>, line: &[u8]) {
    check_values(event);
    for (name, field) in [
        ("method", event.method),
        ("host", event.host),
        ("path", event.path),
        ("backend", event.backend),
        ("request_id", event.request_id),
        ("client", event.client),
    ] {
        // An absolute URL without a path (`https://host`) means `/`, a static slice.
        let root = name == "path" && field == b"/";
        assert!(
            root || within(field, line),
            "{name} is not a sub-slice of the line"
        );
    }
}

fn path(text: &str) -> JsonPath {
    JsonPath::parse(text).expect("a valid path")
}

/// The fixed mapping the `json` format is fuzzed with; `selector` picks the time format and
/// latency unit.
pub fn json_mapping(selector: u8) -> JsonMapping {
    let unit = Unit::ALL[usize::from(selector / 4) % Unit::ALL.len()];
    JsonMapping {
        time: path("time"),
        time_format: TimeFormat::ALL[usize::from(selector) % TimeFormat::ALL.len()],
        status: path("http.status"),
        latency: Some((path("latency"), unit)),
        method: Some(path("method")),
        host: Some(path("host")),
        path: Some(path("path")),
        url: Some(path("http.url")),
        backend: Some(path("backend")),
        request_id: Some(path("id")),
        client: Some(path("client")),
    }
}

/// The invariants of an event's values: a three-digit status and a non-negative known
/// latency.
pub fn check_values(event: &Event<'_>) {
    assert!(event.status <= 999, "status {} out of range", event.status);
    if let Some(l) = event.latency_us {
        assert!(l >= 0, "negative latency {l}");
    }
}

/// `decode`: the first byte picks the format: below 128 one of [`Format::ALL`] (for `json` the
/// second byte picks the time format and unit; `w3c` reads the rest as lines, see [`w3c`]), from 128 an nginx `log_format` preset
/// compiled ([`PRESETS`]), from 160 an HAProxy preset, from 192 an Envoy preset; the rest
/// is the line. A
/// compiled format also explains the line, and does so exactly when the line does not
/// decode.
pub fn decode(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    if first >= 128 {
        let format: Box<dyn Decoder> = if first >= 192 {
            let (name, _) = ENVOY_PRESETS[usize::from(first - 192) % ENVOY_PRESETS.len()];
            Box::new(
                AccessLogFormat::preset(name)
                    .expect("a preset")
                    .expect("compiles"),
            )
        } else if first >= 160 {
            let (name, _) = HAPROXY_PRESETS[usize::from(first - 160) % HAPROXY_PRESETS.len()];
            Box::new(
                HaproxyFormat::preset(name)
                    .expect("a preset")
                    .expect("compiles"),
            )
        } else {
            let (name, _) = PRESETS[usize::from(first - 128) % PRESETS.len()];
            Box::new(
                LogFormat::preset(name, None)
                    .expect("a preset")
                    .expect("compiles"),
            )
        };
        let decoded = format.decode(rest);
        assert_eq!(
            decoded.is_err(),
            format.why(rest, &LineState::default()).is_some()
        );
        if let Ok(event) = decoded {
            check_event(&event, rest);
        }
        return;
    }
    let format = Format::ALL[usize::from(first) % Format::ALL.len()];
    if format == Format::W3c {
        return w3c(first, rest);
    }
    let (decoder, line): (Box<dyn Decoder>, &[u8]) = if format == Format::Json {
        let Some((&selector, line)) = rest.split_first() else {
            return;
        };
        let options = FormatOptions {
            json: Some(json_mapping(selector)),
            ..FormatOptions::default()
        };
        (format.decoder(&options), line)
    } else {
        (format.decoder(&FormatOptions::default()), rest)
    };
    if let Ok(event) = decoder.decode(line) {
        check_event(&event, line);
    }
}

/// The W3C format (its preset picked by `selector`): the lines of `text`, read in order
/// with one state as a partition reads them (a `#Fields:` line among them sets the columns
/// of the next); a line explains itself exactly when it does not decode.
fn w3c(selector: u8, text: &[u8]) {
    let options = FormatOptions {
        w3c: Some(W3cPreset::ALL[usize::from(selector / 16) % W3cPreset::ALL.len()]),
        ..FormatOptions::default()
    };
    let decoder = Format::W3c.decoder(&options);
    let mut state = LineState::default();
    for line in text.split(|&b| b == b'\n') {
        let decoded = decoder.decode_in(line, &mut state);
        let directive = matches!(decoded, Ok(None));
        assert_eq!(
            decoded.is_err(),
            !directive && decoder.why(line, &state).is_some()
        );
        if let Ok(Some(event)) = decoded {
            check_event(&event, line);
        }
    }
}

/// An OTLP batch: `selector` picks the encoding (`otlp_proto`, `otlp_json`) and the format
/// (`nginx` bodies, or `otel_http` attributes); every record yields one item, each event
/// with a valid status and latency.
fn otlp(selector: u8, payload: &[u8]) {
    let envelope = [Envelope::OtlpProto, Envelope::OtlpJson][usize::from(selector % 2)];
    let format = [Format::Nginx, Format::OtelHttp][usize::from(selector / 2 % 2)];
    let limits = Limits {
        max_line_bytes: 1 << 10,
        batch: BatchLimits {
            max_bytes: 1 << 20,
            max_records: 1 << 12,
        },
    };
    let ingest = Ingest::new(envelope, format.decoder(&FormatOptions::default()), limits);
    let (mut scratch, mut state, mut items) = (Vec::new(), LineState::default(), 0);
    ingest.read(payload, &mut scratch, &mut state, |item| {
        items += 1;
        match item {
            // Its text fields come from the record's attributes, not from a line.
            Item::Event(d) if format == Format::OtelHttp => check_values(&d.event),
            Item::Event(d) => check_event(&d.event, d.line),
            _ => {}
        }
    });
    assert!(items <= limits.batch.max_records.max(1));
}

/// `envelope`: the first byte picks the envelope (from 128 an OTLP batch, see [`otlp`]); the
/// line opened from the rest must be a sub-slice of the payload (or the unescaped copy at the
/// start of the scratch buffer, which only grows) and decodes as nginx without panicking.
pub fn envelope(data: &[u8]) {
    let Some((&first, payload)) = data.split_first() else {
        return;
    };
    if first >= 128 {
        return otlp(first - 128, payload);
    }
    // The envelopes of one line (the OTLP ones, last in the list, are picked above).
    let envelope = Envelope::ALL[usize::from(first) % 5];
    let mut scratch = Vec::new();
    let Ok(line) = envelope.open(payload, &mut scratch) else {
        return;
    };
    let (owned, inside) = (line.to_vec(), within(line, payload));
    assert!(inside || scratch.starts_with(&owned));
    if envelope == Envelope::None {
        assert_eq!(owned, payload);
    }
    for format in [Format::Nginx, Format::Alb] {
        if let Ok(event) = format.decoder(&FormatOptions::default()).decode(&owned) {
            check_event(&event, &owned);
        }
    }
}

/// `config`: any UTF-8 text parses or fails with an error, and a parsed config is internally
/// consistent enough to build every SLO's decoder.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match slipstream::config::parse(text, "fuzz.yaml") {
        Ok(config) => {
            let _ = config
                .reload
                .format
                .decoder(&config.reload.options)
                .decode(b"");
            let _ = format!("{:?}", config.reload.objectives.len());
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Window lengths the restored counters are summed over in [`checkpoint`].
const WINDOWS_US: [i64; 4] = [5 * MINUTE, HOUR, DAY, 30 * DAY];

/// `checkpoint`: any bytes decode or fail with a message. The bytes are tried as a whole file
/// and, so that the fuzzer reaches the payload decoders past the checksum, as a payload under
/// a valid header of the current version and of the previous one (read and upgraded). A
/// decoded checkpoint re-encodes to the same checkpoint, and its buckets restore into
/// counters whose windows keep good ≤ total.
pub fn checkpoint(data: &[u8]) {
    let _ = slipstream::checkpoint::decode(data);
    for version in [
        slipstream::checkpoint::VERSION,
        slipstream::checkpoint::v4::VERSION,
    ] {
        let mut file = Vec::with_capacity(24 + data.len());
        file.extend_from_slice(slipstream::checkpoint::MAGIC);
        file.extend_from_slice(&version.to_le_bytes());
        file.extend_from_slice(&(data.len() as u64).to_le_bytes());
        file.extend_from_slice(&crc32fast_hash(data).to_le_bytes());
        file.extend_from_slice(data);
        if let Ok(c) = slipstream::checkpoint::decode(&file) {
            restores(&c);
        }
    }
}

fn restores(c: &slipstream::checkpoint::Checkpoint) {
    let again = slipstream::checkpoint::encode(c);
    let back = slipstream::checkpoint::decode(&again).expect("a re-encoded checkpoint decodes");
    assert_eq!(&back, c);
    let layout = Layout::new(&WINDOWS_US, HOUR);
    for slo in &c.counters.slos {
        let mut counters = SloCounters::new(&layout);
        counters.import(&slo.tiers);
        let newest = slo
            .tiers
            .iter()
            .flat_map(|t| t.buckets.iter().map(|b| b.0))
            .max();
        let partitions = c.partitions.iter().map(|p| p.shard.newest_us);
        for end in partitions
            .chain([newest.map(|b| b.saturating_mul(SECOND))])
            .flatten()
        {
            // Window ends come from the clock, within ±36,000 years of the epoch; a
            // checkpoint's own times are arbitrary here.
            let end = end.clamp(-(1 << 60), 1 << 60);
            for w in WINDOWS_US {
                let sum = counters.sum(w, slipstream::time::floor_to(end, SECOND));
                assert!(sum.good <= sum.total);
            }
        }
    }
}

/// CRC-32 (IEEE), as the checkpoint header stores it.
fn crc32fast_hash(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}
