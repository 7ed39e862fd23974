//! What burn attribution keys an event by (`spec.attribution`): per configured
//! [`Dimension`], one key read from the decoded event when it is decided, so that the
//! counting side ([`crate::window::AttributionRing`]) only adds.
//!
//! Keys: `path` the normalized path ([`super::paths`]); `status` the three digits;
//! `backend` the backend as the line gives it, except an ALB target group ARN, which is
//! keyed by the group's name (`arn:…:targetgroup/payments-tg/73e2…` → `payments-tg`, the
//! name `match.backend` takes too); `host` lowercased; `method` as given. A field the format
//! does not carry is the empty key (shown as `-`).

use super::paths::PathRules;
use crate::decode::Event;
use crate::time::MINUTE;

/// One way to break bad events down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    /// Normalized path.
    Path,
    /// HTTP status.
    Status,
    /// Backend or target group.
    Backend,
    /// Host.
    Host,
    /// Method.
    Method,
}

impl Dimension {
    /// Every dimension, in the default order.
    pub const ALL: [Dimension; 5] = [
        Dimension::Path,
        Dimension::Status,
        Dimension::Backend,
        Dimension::Host,
        Dimension::Method,
    ];

    /// Its name in the configuration and the API (`path`, `status`, …).
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Path => "path",
            Dimension::Status => "status",
            Dimension::Backend => "backend",
            Dimension::Host => "host",
            Dimension::Method => "method",
        }
    }

    /// The dimension called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }
}

/// `spec.attribution`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributionConfig {
    /// The dimensions kept, in order.
    pub dims: Vec<Dimension>,
    /// Entries per table (one table per dimension and minute).
    pub keys_per_minute: usize,
    /// Minutes kept.
    pub retention_minutes: usize,
    /// How paths are normalized.
    pub paths: PathRules,
}

impl AttributionConfig {
    /// The longest window a contributors query can ask for, µs.
    pub fn retention_us(&self) -> i64 {
        self.retention_minutes as i64 * MINUTE
    }

    /// Appends `event`'s key in each dimension to `buf`, pushing each key's end offset (in
    /// `buf`) to `ends`.
    pub fn keys(&self, event: &Event<'_>, buf: &mut Vec<u8>, ends: &mut Vec<u32>) {
        for &d in &self.dims {
            match d {
                Dimension::Path => self.paths.append(event.path, buf),
                Dimension::Status => {
                    let s = event.status;
                    buf.extend_from_slice(&[
                        b'0' + (s / 100 % 10) as u8,
                        b'0' + (s / 10 % 10) as u8,
                        b'0' + (s % 10) as u8,
                    ]);
                }
                Dimension::Backend => buf.extend_from_slice(
                    super::target_group_name(event.backend).unwrap_or(event.backend),
                ),
                Dimension::Host => {
                    let start = buf.len();
                    buf.extend_from_slice(event.host);
                    buf[start..].make_ascii_lowercase();
                }
                Dimension::Method => buf.extend_from_slice(event.method),
            }
            ends.push(u32::try_from(buf.len()).unwrap_or(u32::MAX));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(path: &'a [u8], backend: &'a [u8]) -> Event<'a> {
        Event {
            time_us: 0,
            status: 503,
            latency_us: None,
            method: b"POST",
            host: b"Shop.Example.COM",
            path,
            backend,
            long_lived: false,
            request_id: b"",
        }
    }

    fn keys(config: &AttributionConfig, e: &Event<'_>) -> Vec<String> {
        let (mut buf, mut ends) = (b"prefix".to_vec(), Vec::new());
        config.keys(e, &mut buf, &mut ends);
        let mut start = 6;
        ends.iter()
            .map(|&end| {
                let k = String::from_utf8(buf[start..end as usize].to_vec()).unwrap();
                start = end as usize;
                k
            })
            .collect()
    }

    #[test]
    fn each_dimension_reads_its_field() {
        let config = AttributionConfig {
            dims: Dimension::ALL.to_vec(),
            keys_per_minute: 32,
            retention_minutes: 60,
            paths: PathRules::new(&["/carts/{cart}/checkout".to_string()]).unwrap(),
        };
        let arn = b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/payments-tg/73e2d6bc24d8a067";
        assert_eq!(
            keys(&config, &event(b"/carts/991/checkout", arn)),
            [
                "/carts/{cart}/checkout",
                "503",
                "payments-tg",
                "shop.example.com",
                "POST"
            ]
        );
        // Another backend as it is; an unknown one and an unknown path as empty keys.
        assert_eq!(
            keys(&config, &event(b"/users/7", b"10.0.0.1:8080"))[..3],
            ["/users/{id}", "503", "10.0.0.1:8080"]
        );
        assert_eq!(keys(&config, &event(b"", b""))[..3], ["", "503", ""]);
        // Only the configured dimensions, in their order.
        let two = AttributionConfig {
            dims: vec![Dimension::Method, Dimension::Status],
            ..config
        };
        assert_eq!(keys(&two, &event(b"/", b"")), ["POST", "503"]);
        for d in Dimension::ALL {
            assert_eq!(Dimension::from_name(d.name()), Some(d));
        }
    }
}
