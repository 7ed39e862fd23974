//! OTLP/JSON logs into `opentelemetry-proto`'s types, for the fields slipstream reads: record
//! times, bodies and attributes, and resource attributes. 64-bit integers and doubles may
//! be JSON numbers or strings (`"NaN"` and `"Infinity"` too), keys are lowerCamelCase, and
//! unknown keys (trace ids, severities, scopes, …) are ignored. A value that is a map or
//! bytes is kept as a value-less [`AnyValue`]; an array keeps its elements.
//!
//! Not the crate's `with-serde` feature: it requires `timeUnixNano` to be a string and an
//! `AnyValue` to hold a known key, both of which OTLP/JSON receivers must accept otherwise.

use std::str::FromStr;

use opentelemetry_proto::tonic::common::v1::{AnyValue, ArrayValue, KeyValue, any_value};
use opentelemetry_proto::tonic::logs::v1::{LogRecord, LogsData, ResourceLogs, ScopeLogs};
use opentelemetry_proto::tonic::resource::v1::Resource;
use std::marker::PhantomData;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// The logs in `payload`; `None` if it is not an OTLP/JSON logs object.
pub(super) fn parse(payload: &[u8]) -> Option<LogsData> {
    let data: Data = serde_json::from_slice(payload).ok()?;
    Some(LogsData {
        resource_logs: data.resource_logs.into_iter().map(resource_logs).collect(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    resource_logs: Vec<JsonResourceLogs>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonResourceLogs {
    #[serde(default)]
    resource: Option<Attributes>,
    #[serde(default)]
    scope_logs: Vec<JsonScopeLogs>,
}

#[derive(Deserialize)]
struct Attributes {
    #[serde(default)]
    attributes: Vec<JsonKeyValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonScopeLogs {
    #[serde(default)]
    log_records: Vec<JsonLogRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonLogRecord {
    #[serde(default, deserialize_with = "number")]
    time_unix_nano: Option<u64>,
    #[serde(default, deserialize_with = "number")]
    observed_time_unix_nano: Option<u64>,
    #[serde(default)]
    body: Option<JsonAnyValue>,
    #[serde(default)]
    attributes: Vec<JsonKeyValue>,
}

#[derive(Deserialize)]
struct JsonKeyValue {
    key: String,
    #[serde(default)]
    value: Option<JsonAnyValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonAnyValue {
    #[serde(default)]
    string_value: Option<String>,
    #[serde(default)]
    bool_value: Option<bool>,
    #[serde(default, deserialize_with = "number")]
    int_value: Option<i64>,
    #[serde(default, deserialize_with = "number")]
    double_value: Option<f64>,
    #[serde(default)]
    array_value: Option<JsonArray>,
}

#[derive(Deserialize)]
struct JsonArray {
    #[serde(default)]
    values: Vec<JsonAnyValue>,
}

/// A JSON number, a string holding one, or `null` (unset), read straight from the token
/// (an untagged enum would buffer every value first).
fn number<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: JsonNumber,
{
    deserializer.deserialize_any(NumberVisitor(PhantomData))
}

/// The numbers OTLP/JSON writes: what each accepts of a JSON number.
trait JsonNumber: FromStr {
    fn from_u64(n: u64) -> Option<Self>;
    fn from_i64(n: i64) -> Option<Self>;
    fn from_f64(x: f64) -> Option<Self>;
}

impl JsonNumber for u64 {
    fn from_u64(n: u64) -> Option<Self> {
        Some(n)
    }
    fn from_i64(n: i64) -> Option<Self> {
        u64::try_from(n).ok()
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

impl JsonNumber for i64 {
    fn from_u64(n: u64) -> Option<Self> {
        i64::try_from(n).ok()
    }
    fn from_i64(n: i64) -> Option<Self> {
        Some(n)
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
}

impl JsonNumber for f64 {
    fn from_u64(n: u64) -> Option<Self> {
        Some(n as f64)
    }
    fn from_i64(n: i64) -> Option<Self> {
        Some(n as f64)
    }
    fn from_f64(x: f64) -> Option<Self> {
        Some(x)
    }
}

struct NumberVisitor<T>(PhantomData<T>);

impl<'de, T: JsonNumber> Visitor<'de> for NumberVisitor<T> {
    type Value = Option<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a number, a string holding one, or null")
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Self::Value, E> {
        T::from_u64(n)
            .map(Some)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Self::Value, E> {
        T::from_i64(n)
            .map(Some)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_f64<E: de::Error>(self, x: f64) -> Result<Self::Value, E> {
        T::from_f64(x)
            .map(Some)
            .ok_or_else(|| E::custom("not an integer"))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
        text.parse()
            .map(Some)
            .map_err(|_| E::custom("not a number"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

fn resource_logs(r: JsonResourceLogs) -> ResourceLogs {
    ResourceLogs {
        resource: r.resource.map(|r| Resource {
            attributes: key_values(r.attributes),
            ..Resource::default()
        }),
        scope_logs: r.scope_logs.into_iter().map(scope_logs).collect(),
        ..ResourceLogs::default()
    }
}

fn scope_logs(s: JsonScopeLogs) -> ScopeLogs {
    ScopeLogs {
        log_records: s.log_records.into_iter().map(log_record).collect(),
        ..ScopeLogs::default()
    }
}

fn log_record(r: JsonLogRecord) -> LogRecord {
    LogRecord {
        time_unix_nano: r.time_unix_nano.unwrap_or_default(),
        observed_time_unix_nano: r.observed_time_unix_nano.unwrap_or_default(),
        body: r.body.map(any_value),
        attributes: key_values(r.attributes),
        ..LogRecord::default()
    }
}

fn key_values(list: Vec<JsonKeyValue>) -> Vec<KeyValue> {
    list.into_iter()
        .map(|kv| KeyValue {
            key: kv.key,
            value: kv.value.map(any_value),
        })
        .collect()
}

fn any_value(v: JsonAnyValue) -> AnyValue {
    use any_value::Value;
    let value = if let Some(s) = v.string_value {
        Some(Value::StringValue(s))
    } else if let Some(n) = v.int_value {
        Some(Value::IntValue(n))
    } else if let Some(x) = v.double_value {
        Some(Value::DoubleValue(x))
    } else if let Some(b) = v.bool_value {
        Some(Value::BoolValue(b))
    } else {
        v.array_value.map(|a| {
            Value::ArrayValue(ArrayValue {
                values: a.values.into_iter().map(any_value).collect(),
            })
        })
    };
    AnyValue { value }
}
