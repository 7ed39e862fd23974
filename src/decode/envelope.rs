//! Shipper envelopes: where the access-log line sits inside a message.
//!
//! `none`: the payload is the line. `json`: the payload is a JSON object carrying the line
//! under `message` (Vector, Filebeat) or `log` (Fluent Bit); every other field, the shipper's
//! ingest timestamp included, is ignored — the event time always comes from the line itself.
//! A line without escapes is borrowed from the payload; one with escapes (ALB's quotes come
//! as `\"`) is unescaped into a buffer the caller reuses.

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
}

#[derive(Deserialize)]
struct Wrapped<'a> {
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    log: Option<Cow<'a, str>>,
}

impl Envelope {
    /// The config name.
    pub fn name(self) -> &'static str {
        match self {
            Envelope::None => "none",
            Envelope::Json => "json",
        }
    }

    /// Looks an envelope up by its config name.
    pub fn from_name(name: &str) -> Option<Envelope> {
        [Envelope::None, Envelope::Json]
            .into_iter()
            .find(|e| e.name() == name)
    }

    /// The access-log line inside `payload`; `scratch` holds it when it had to be unescaped.
    pub fn open<'a>(
        self,
        payload: &'a [u8],
        scratch: &'a mut String,
    ) -> Result<&'a [u8], DecodeError> {
        match self {
            Envelope::None => Ok(payload),
            Envelope::Json => {
                let w: Wrapped<'a> =
                    serde_json::from_slice(payload).map_err(|_| DecodeError::BadEnvelope)?;
                match w.message.or(w.log).ok_or(DecodeError::BadEnvelope)? {
                    Cow::Borrowed(line) => Ok(line.as_bytes()),
                    Cow::Owned(line) => {
                        *scratch = line;
                        Ok(scratch.as_bytes())
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_of_their_envelopes() {
        let mut scratch = String::new();
        assert_eq!(
            Envelope::None.open(b"raw line", &mut scratch),
            Ok(&b"raw line"[..])
        );
        let vector =
            br#"{"message":"GET \"/x\" 200","timestamp":"2026-11-21T10:00:00Z","host":"h"}"#;
        assert_eq!(
            Envelope::Json.open(vector, &mut scratch),
            Ok(&br#"GET "/x" 200"#[..])
        );
        let fluent = br#"{"@timestamp":1700000000.5,"log":"plain line"}"#;
        assert_eq!(
            Envelope::Json.open(fluent, &mut scratch),
            Ok(&b"plain line"[..])
        );
        for bad in [&b"not json"[..], b"{}", br#"{"message": 5}"#, b"[1]", b""] {
            assert_eq!(
                Envelope::Json.open(bad, &mut scratch),
                Err(DecodeError::BadEnvelope)
            );
        }
    }
}
