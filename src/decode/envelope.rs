//! Shipper envelopes: where the access-log line sits inside a message.
//!
//! - `none`: the payload is the line.
//! - `vector`: a JSON object with the line under `message` (Vector's `json` codec; its
//!   `timestamp`, `host`, `source_type`, … are ignored).
//! - `filebeat`: a JSON object with the line under `message` (`@timestamp`, `log.file.path`,
//!   `host`, `agent`, … are ignored).
//! - `fluentbit`: a JSON object with the line under `log` (`@timestamp`, an epoch float, and
//!   the other keys are ignored).
//! - `json`: any of these: the line under `message`, or else under `log` (whichever holds a
//!   string, so Filebeat's `log` object is passed over).
//!
//! The event time always comes from the line itself, never from a shipper's ingest
//! timestamp. A payload that is not a JSON object holding the line as a string under the
//! envelope's key is [`DecodeError::BadEnvelope`]. A line without escapes is borrowed from the
//! payload; one with escapes (ALB's quotes come as `\"`) is unescaped into a buffer the caller
//! reuses.

use std::borrow::Cow;

use serde::Deserialize;

use super::DecodeError;

/// How lines are wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Envelope {
    /// The payload is the line.
    None,
    /// A JSON object with the line under `message` or `log`.
    Json,
    /// Vector's JSON codec: the line under `message`.
    Vector,
    /// Filebeat: the line under `message`.
    Filebeat,
    /// Fluent Bit: the line under `log`.
    Fluentbit,
}

/// The line under `message`.
#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow)]
    message: Cow<'a, str>,
}

/// The line under `log`.
#[derive(Deserialize)]
struct Log<'a> {
    #[serde(borrow)]
    log: Cow<'a, str>,
}

/// The line under `message` or `log`, whichever is a string (Filebeat's `log` is an object).
#[derive(Deserialize)]
struct Either<'a> {
    #[serde(borrow, default)]
    message: MaybeLine<'a>,
    #[serde(borrow, default)]
    log: MaybeLine<'a>,
}

/// A string value, or nothing for a value of any other type (skipped without allocating).
#[derive(Default)]
struct MaybeLine<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeLine<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeLineVisitor(std::marker::PhantomData))
    }
}

struct MaybeLineVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> serde::de::Visitor<'de> for MaybeLineVisitor<'a> {
    type Value = MaybeLine<'a>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(MaybeLine(Some(Cow::Borrowed(v))))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(MaybeLine(Some(Cow::Owned(v.to_string()))))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(MaybeLine(Some(Cow::Owned(v))))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(MaybeLine(None))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(MaybeLine(None))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(MaybeLine(None))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(MaybeLine(None))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(MaybeLine(None))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(MaybeLine(None))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(MaybeLine(None))
    }
}

impl Envelope {
    /// Every envelope, in documentation order.
    pub const ALL: [Envelope; 5] = [
        Envelope::None,
        Envelope::Json,
        Envelope::Vector,
        Envelope::Filebeat,
        Envelope::Fluentbit,
    ];

    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Envelope::None => "none",
            Envelope::Json => "json",
            Envelope::Vector => "vector",
            Envelope::Filebeat => "filebeat",
            Envelope::Fluentbit => "fluentbit",
        }
    }

    /// Looks an envelope up by its config name.
    pub fn from_name(name: &str) -> Option<Envelope> {
        Envelope::ALL.into_iter().find(|e| e.name() == name)
    }

    /// The access-log line inside `payload`; `scratch` holds it when it had to be unescaped.
    pub fn open<'a>(
        self,
        payload: &'a [u8],
        scratch: &'a mut String,
    ) -> Result<&'a [u8], DecodeError> {
        let bad = |_| DecodeError::BadEnvelope;
        let line = match self {
            Envelope::None => return Ok(payload),
            Envelope::Json => {
                let w: Either<'a> = serde_json::from_slice(payload).map_err(bad)?;
                w.message.0.or(w.log.0).ok_or(DecodeError::BadEnvelope)?
            }
            Envelope::Vector | Envelope::Filebeat => {
                serde_json::from_slice::<Message<'a>>(payload)
                    .map_err(bad)?
                    .message
            }
            Envelope::Fluentbit => serde_json::from_slice::<Log<'a>>(payload).map_err(bad)?.log,
        };
        match line {
            Cow::Borrowed(line) => Ok(line.as_bytes()),
            Cow::Owned(line) => {
                *scratch = line;
                Ok(scratch.as_bytes())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VECTOR: &[u8] = br#"{"host":"lb-1","message":"GET \"/x\" 200","source_type":"file","timestamp":"2026-11-21T10:00:00.5Z"}"#;
    const FILEBEAT: &[u8] = br#"{"@timestamp":"2026-11-21T10:00:01.000Z","@metadata":{"beat":"filebeat"},"log":{"offset":42,"file":{"path":"/var/log/nginx/access.log"}},"message":"plain line","host":{"name":"web-1"},"agent":{"type":"filebeat"}}"#;
    const FLUENTBIT: &[u8] = br#"{"@timestamp":1795255201.5,"log":"plain line","stream":"stdout"}"#;

    fn open(e: Envelope, payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
        let mut scratch = String::new();
        e.open(payload, &mut scratch).map(<[u8]>::to_vec)
    }

    #[test]
    fn lines_come_out_of_their_envelopes() {
        assert_eq!(open(Envelope::None, b"raw line"), Ok(b"raw line".to_vec()));
        let quoted = br#"GET "/x" 200"#.to_vec();
        assert_eq!(open(Envelope::Json, VECTOR), Ok(quoted.clone()));
        assert_eq!(open(Envelope::Vector, VECTOR), Ok(quoted));
        assert_eq!(
            open(Envelope::Filebeat, FILEBEAT),
            Ok(b"plain line".to_vec())
        );
        assert_eq!(open(Envelope::Json, FILEBEAT), Ok(b"plain line".to_vec()));
        assert_eq!(
            open(Envelope::Fluentbit, FLUENTBIT),
            Ok(b"plain line".to_vec())
        );
        assert_eq!(open(Envelope::Json, FLUENTBIT), Ok(b"plain line".to_vec()));
        let mut scratch = String::new();
        let borrowed = Envelope::Fluentbit.open(FLUENTBIT, &mut scratch).unwrap();
        assert!(FLUENTBIT.as_ptr_range().contains(&borrowed.as_ptr()));
    }

    #[test]
    fn each_envelope_rejects_other_shapes() {
        for bad in [&b"not json"[..], b"{}", br#"{"message": 5}"#, b"[1]", b""] {
            for e in [
                Envelope::Json,
                Envelope::Vector,
                Envelope::Filebeat,
                Envelope::Fluentbit,
            ] {
                assert_eq!(open(e, bad), Err(DecodeError::BadEnvelope), "{e:?} {bad:?}");
            }
        }
        // Fluent Bit's key is `log`; Vector's and Filebeat's is `message`.
        assert_eq!(
            open(Envelope::Fluentbit, VECTOR),
            Err(DecodeError::BadEnvelope)
        );
        assert_eq!(
            open(Envelope::Vector, FLUENTBIT),
            Err(DecodeError::BadEnvelope)
        );
        assert_eq!(
            open(Envelope::Filebeat, FLUENTBIT),
            Err(DecodeError::BadEnvelope)
        );
        assert_eq!(
            open(Envelope::Vector, br#"{"message": {"a": 1}}"#),
            Err(DecodeError::BadEnvelope)
        );
        let odd = br#"{"message": [1, {"a": null}], "log": "line", "n": 1.5, "t": true}"#;
        assert_eq!(open(Envelope::Json, odd), Ok(b"line".to_vec()));
        assert_eq!(
            open(Envelope::Json, br#"{"message": null, "log": 7}"#),
            Err(DecodeError::BadEnvelope)
        );
    }

    #[test]
    fn names() {
        for e in Envelope::ALL {
            assert_eq!(Envelope::from_name(e.name()), Some(e));
        }
        assert_eq!(Envelope::from_name("logstash"), None);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), which in 0..5usize) {
            let mut scratch = String::new();
            let _ = Envelope::ALL[which].open(&bytes, &mut scratch);
        }
    }
}
