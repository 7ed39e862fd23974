//! What burn attribution keys an event by (`spec.attribution`): per configured
//! [`Dimension`], one key read from the decoded event when it is decided, so that the
//! counting side ([`crate::window::AttributionRing`]) only adds.
//!
//! Keys: `path` the normalized path ([`super::paths`]); `status` the three digits;
//! `backend` the backend as the line gives it, except an ALB target group ARN, which is
//! keyed by the group's name (`arn:…:targetgroup/payments-tg/73e2…` → `payments-tg`, the
//! name `match.backend` takes too); `host` lowercased; `method` as given; `client` the
//! client's network, never its address ([`ClientPrefix`]: `203.0.113.7` → `203.0.113.0/24`,
//! `2001:db8:abcd:12::1` → `2001:db8:abcd::/48`, an IPv4-mapped IPv6 address as the IPv4
//! one). A field the format does not carry, and a client that is not an IP address, is the
//! empty key (shown as `-`). Keys are written into the caller's buffer: nothing here
//! allocates per event.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::paths::PathRules;
use crate::decode::{Event, client_ip};
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
    /// The client's network (personal data: kept only when configured).
    Client,
}

impl Dimension {
    /// Every dimension.
    pub const ALL: [Dimension; 6] = [
        Dimension::Path,
        Dimension::Status,
        Dimension::Backend,
        Dimension::Host,
        Dimension::Method,
        Dimension::Client,
    ];

    /// The dimensions kept when the configuration names none, in order: every one but
    /// `client`, which is personal data and kept only when named.
    pub const DEFAULT: [Dimension; 5] = [
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
            Dimension::Client => "client",
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
    /// How much of a client address the `client` dimension keeps.
    pub client_prefix: ClientPrefix,
}

/// The prefix lengths the `client` dimension truncates addresses to
/// (`spec.attribution.client_prefix`): never finer than /24 and /48.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientPrefix {
    /// IPv4 prefix length, [`ClientPrefix::IPV4`].
    pub ipv4: u8,
    /// IPv6 prefix length, [`ClientPrefix::IPV6`].
    pub ipv6: u8,
}

impl ClientPrefix {
    /// The IPv4 prefix lengths allowed, the longest the default.
    pub const IPV4: std::ops::RangeInclusive<u8> = 8..=24;
    /// The IPv6 prefix lengths allowed, the longest the default.
    pub const IPV6: std::ops::RangeInclusive<u8> = 16..=48;

    /// Appends the network of `client` (an IP address as written) as `address/length`;
    /// nothing when `client` is not an IP address.
    pub fn append(self, client: &[u8], buf: &mut Vec<u8>) {
        // Writing to a `Vec` cannot fail; `Display` of an address writes without allocating.
        let _ = match client_ip(client) {
            Some(IpAddr::V4(a)) => self.append_v4(a, buf),
            Some(IpAddr::V6(a)) => match a.to_ipv4_mapped() {
                Some(a) => self.append_v4(a, buf),
                None => {
                    let len = self.ipv6.clamp(1, 128);
                    let network = u128::from(a) & (u128::MAX << (128 - u32::from(len)));
                    write!(buf, "{}/{len}", Ipv6Addr::from(network))
                }
            },
            None => Ok(()),
        };
    }

    fn append_v4(self, a: Ipv4Addr, buf: &mut Vec<u8>) -> std::io::Result<()> {
        let len = self.ipv4.clamp(1, 32);
        let network = u32::from(a) & (u32::MAX << (32 - u32::from(len)));
        write!(buf, "{}/{len}", Ipv4Addr::from(network))
    }
}

impl Default for ClientPrefix {
    /// /24 and /48.
    fn default() -> Self {
        Self {
            ipv4: *Self::IPV4.end(),
            ipv6: *Self::IPV6.end(),
        }
    }
}

impl AttributionConfig {
    /// The longest window a contributors query can ask for, µs.
    pub fn retention_us(&self) -> i64 {
        self.retention_minutes as i64 * MINUTE
    }

    /// Appends `event`'s key in each dimension to `buf`, pushing each key's end offset (in
    /// `buf`) to `ends`. `memo` remembers backend keys for the events of service `service`.
    pub fn keys(
        &self,
        event: &Event<'_>,
        service: usize,
        memo: &mut BackendMemo,
        buf: &mut Vec<u8>,
        ends: &mut Vec<u32>,
    ) {
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
                Dimension::Backend => buf.extend_from_slice(memo.key(service, event.backend)),
                Dimension::Host => {
                    let start = buf.len();
                    buf.extend_from_slice(event.host);
                    buf[start..].make_ascii_lowercase();
                }
                Dimension::Method => buf.extend_from_slice(event.method),
                Dimension::Client => self.client_prefix.append(event.client, buf),
            }
            ends.push(u32::try_from(buf.len()).unwrap_or(u32::MAX));
        }
    }
}

/// Each service's last backend and its key (the target group's name of an ARN, else the
/// backend itself), so that the events of a service, which mostly share one backend (its
/// target group), look for the name in the ARN once. A backend's key depends on its bytes
/// alone, so a memo stays right under any configuration.
#[derive(Debug, Clone, Default)]
pub struct BackendMemo {
    /// By service index: the backend, and its key's range in it.
    last: Vec<(Vec<u8>, std::ops::Range<usize>)>,
}

impl BackendMemo {
    /// The key of `backend`, an event of service `service`.
    pub fn key<'b>(&mut self, service: usize, backend: &'b [u8]) -> &'b [u8] {
        if self.last.len() <= service {
            self.last.resize_with(service + 1, Default::default);
        }
        let (last, range) = &mut self.last[service];
        if last.as_slice() != backend {
            *range = super::target_group_range(backend).unwrap_or(0..backend.len());
            last.clear();
            last.extend_from_slice(backend);
        }
        &backend[range.clone()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event<'a>(path: &'a [u8], backend: &'a [u8]) -> Event<'a> {
        with_client(path, backend, b"203.0.113.7")
    }

    fn with_client<'a>(path: &'a [u8], backend: &'a [u8], client: &'a [u8]) -> Event<'a> {
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
            client,
        }
    }

    fn keys(config: &AttributionConfig, e: &Event<'_>) -> Vec<String> {
        let (mut buf, mut ends) = (b"prefix".to_vec(), Vec::new());
        config.keys(e, 0, &mut BackendMemo::default(), &mut buf, &mut ends);
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
            client_prefix: ClientPrefix::default(),
        };
        let arn = b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/payments-tg/73e2d6bc24d8a067";
        assert_eq!(
            keys(&config, &event(b"/carts/991/checkout", arn)),
            [
                "/carts/{cart}/checkout",
                "503",
                "payments-tg",
                "shop.example.com",
                "POST",
                "203.0.113.0/24"
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
        // The default set is every dimension but the client's.
        assert_eq!(Dimension::DEFAULT, Dimension::ALL[..5]);
        assert!(!Dimension::DEFAULT.contains(&Dimension::Client));
    }

    proptest::proptest! {
        /// Whatever backends a service's events carry, in any order, the memo gives the key
        /// computed afresh: an ARN's target group name, any other backend as it is.
        #[test]
        fn the_backend_memo_gives_the_fresh_key(
            events in proptest::collection::vec((0..3usize, 0..6usize), 1..40),
        ) {
            let pool: [&[u8]; 6] = [
                b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/payments-tg/73e2d6bc24d8a067",
                b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/checkout-tg/73e2d6bc24d8a067",
                b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/x",
                b"10.0.0.1:8080",
                b"",
                b"arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup//73e2",
            ];
            let mut memo = BackendMemo::default();
            for (service, b) in events {
                let backend = pool[b];
                let fresh = crate::classify::target_group_name(backend).unwrap_or(backend);
                proptest::prop_assert_eq!(memo.key(service, backend), fresh);
            }
        }
    }

    /// The client's key under `prefix`.
    fn network(prefix: ClientPrefix, client: &str) -> String {
        let config = AttributionConfig {
            dims: vec![Dimension::Client],
            keys_per_minute: 32,
            retention_minutes: 60,
            paths: PathRules::new(&[]).unwrap(),
            client_prefix: prefix,
        };
        keys(&config, &with_client(b"/", b"", client.as_bytes())).remove(0)
    }

    #[test]
    fn a_client_is_keyed_by_its_network_never_its_address() {
        let default = ClientPrefix::default();
        assert_eq!((default.ipv4, default.ipv6), (24, 48));
        for (client, key) in [
            ("203.0.113.7", "203.0.113.0/24"),
            ("203.0.113.255", "203.0.113.0/24"),
            ("10.1.2.3", "10.1.2.0/24"),
            ("2001:db8:abcd:12::1", "2001:db8:abcd::/48"),
            (
                "2001:db8:abcd:ffff:ffff:ffff:ffff:ffff",
                "2001:db8:abcd::/48",
            ),
            ("2001:0db8:00ab:1::1", "2001:db8:ab::/48"),
            ("::1", "::/48"),
            // An IPv4-mapped IPv6 address is its IPv4 client.
            ("::ffff:198.51.100.77", "198.51.100.0/24"),
            ("::ffff:c633:644d", "198.51.100.0/24"),
            // Not an IP address: the empty key.
            ("", ""),
            ("-", ""),
            ("client.example.com", ""),
            ("203.0.113.7:443", ""),
            ("203.0.113", ""),
            ("[2001:db8::1]", ""),
        ] {
            assert_eq!(network(default, client), key, "{client}");
        }
        let coarse = ClientPrefix { ipv4: 16, ipv6: 32 };
        assert_eq!(network(coarse, "203.0.113.7"), "203.0.0.0/16");
        assert_eq!(network(coarse, "2001:db8:abcd:12::1"), "2001:db8::/32");
        let odd = ClientPrefix { ipv4: 9, ipv6: 17 };
        assert_eq!(network(odd, "203.255.113.7"), "203.128.0.0/9");
        assert_eq!(network(odd, "2001:ffff::1"), "2001:8000::/17");
    }

    #[test]
    fn a_client_key_is_written_into_the_buffer_without_growing_it() {
        let (mut buf, mut ends) = (Vec::with_capacity(64), Vec::with_capacity(1));
        let config = AttributionConfig {
            dims: vec![Dimension::Client],
            keys_per_minute: 32,
            retention_minutes: 60,
            paths: PathRules::new(&[]).unwrap(),
            client_prefix: ClientPrefix::default(),
        };
        let e = with_client(b"/", b"", b"2001:db8:abcd:12:3456:789a:bcde:f012");
        for _ in 0..3 {
            buf.clear();
            ends.clear();
            config.keys(&e, 0, &mut BackendMemo::default(), &mut buf, &mut ends);
            assert_eq!(buf, b"2001:db8:abcd::/48");
            assert_eq!((buf.capacity(), ends.capacity()), (64, 1));
        }
    }
}
