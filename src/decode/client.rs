//! The client address of a request, as access logs write it, reduced to the address alone
//! (never its port), for [`Event::client`](super::Event::client).
//!
//! Two written forms: the address alone (nginx `$remote_addr`, HAProxy `%ci`, GCP
//! `remoteIp`, W3C `c-ip`: `203.0.113.7`, `2001:db8::1`, or bracketed `[2001:db8::1]`), and
//! the address with its port (ALB and Classic ELB `client:port`, Envoy
//! `%DOWNSTREAM_REMOTE_ADDRESS%`, Traefik `ClientAddr`: `203.0.113.7:52000`,
//! `[2001:db8::1]:443`, or, as ALB writes IPv6, unbracketed with the port after the last
//! colon, `2001:db8::1:52000`). The address must be an IPv4 or IPv6 address as
//! [`std::net`] reads it (IPv4 dotted quad without leading zeros; IPv6 without a zone); a
//! port is 1 to 5 digits.
//!
//! A client that is not known is [`Client::None`]: `-` or nothing (the field unset), and
//! the local sockets that have no network address (`unix`, `unix:…` as HAProxy and nginx
//! write them, an Envoy pipe path starting with `/` or `@`). Anything else is
//! [`Client::Invalid`], which every decoder takes as no client: the client is information
//! for burn attribution only, and a line is never refused for it (so adding it changed no
//! decode-error reason). Nothing here allocates.

use std::net::IpAddr;

/// What a client field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client<'a> {
    /// An IP address (text as written, without brackets or port).
    Address(&'a [u8]),
    /// No network address: unset, or a local socket.
    None,
    /// Neither: not the form the field should have.
    Invalid,
}

impl<'a> Client<'a> {
    /// The address, empty when there is none or the field is not an address (what every
    /// decoder takes as the event's client).
    pub(crate) fn or_empty(self) -> &'a [u8] {
        match self {
            Client::Address(a) => a,
            Client::None | Client::Invalid => &[],
        }
    }
}

/// A field that holds the address alone.
pub(crate) fn bare(value: &[u8]) -> Client<'_> {
    if let Some(none) = unset(value) {
        return none;
    }
    let inner = match value {
        [b'[', inner @ .., b']'] => inner,
        _ => value,
    };
    if is_ip(inner) {
        Client::Address(inner)
    } else {
        Client::Invalid
    }
}

/// A field that holds `address:port`.
pub(crate) fn with_port(value: &[u8]) -> Client<'_> {
    if let Some(none) = unset(value) {
        return none;
    }
    // The common case in one pass: a dotted quad, a colon, the port.
    if let Some(n) = dotted_quad(value)
        && value.get(n) == Some(&b':')
        && is_port(&value[n + 1..])
    {
        return Client::Address(&value[..n]);
    }
    let Some(colon) = memchr::memrchr(b':', value) else {
        return Client::Invalid;
    };
    let (address, port) = (&value[..colon], &value[colon + 1..]);
    let address = match address {
        [b'[', inner @ .., b']'] => inner,
        _ => address,
    };
    if is_port(port) && is_ip(address) {
        Client::Address(address)
    } else {
        Client::Invalid
    }
}

/// A field that holds the address alone or with a port (a configured JSON key, whose
/// producer is not known): the address alone when it is one, else `address:port`.
pub(crate) fn either(value: &[u8]) -> Client<'_> {
    match bare(value) {
        Client::Invalid => with_port(value),
        client => client,
    }
}

/// [`Client::None`] for a field with no network address, `None` for any other.
fn unset(value: &[u8]) -> Option<Client<'_>> {
    match value {
        [] | b"-" | b"unix" => Some(Client::None),
        [b'u', b'n', b'i', b'x', b':', ..] | [b'/' | b'@', ..] => Some(Client::None),
        _ => None,
    }
}

/// 1 to 5 digits.
fn is_port(port: &[u8]) -> bool {
    (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit)
}

/// Whether `text` is an IPv4 or IPv6 address. A dotted quad, the common case on every
/// line, is checked by hand ([`dotted_quad`]); only text with a colon goes to [`parse`].
pub(crate) fn is_ip(text: &[u8]) -> bool {
    dotted_quad(text) == Some(text.len()) || (text.contains(&b':') && parse(text).is_some())
}

/// The length of the dotted quad `text` starts with (exactly what [`std::net::Ipv4Addr`]
/// accepts: four decimal numbers to 255 without leading zeros), when a byte that is neither
/// a digit nor a dot, or the end, follows it; `None` otherwise.
fn dotted_quad(text: &[u8]) -> Option<usize> {
    let (mut parts, mut value, mut digits) = (0u32, 0u32, 0u32);
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'0'..=b'9' => {
                // No leading zero, at most 255 (so at most three digits).
                if digits == 1 && value == 0 {
                    return None;
                }
                value = value * 10 + u32::from(b - b'0');
                if value > 255 {
                    return None;
                }
                digits += 1;
            }
            b'.' if digits > 0 && parts < 3 => (parts, value, digits) = (parts + 1, 0, 0),
            b'.' => return None,
            _ => return (parts == 3 && digits > 0).then_some(i),
        }
    }
    (parts == 3 && digits > 0).then_some(text.len())
}

/// `text` as an IP address; `None` when it is not one (or is longer than any address).
pub fn parse(text: &[u8]) -> Option<IpAddr> {
    // The longest IPv6 text, `ffff:…:ffff:255.255.255.255`, is 45 bytes.
    if text.len() > 45 {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_alone() {
        for (value, want) in [
            ("203.0.113.7", Client::Address(b"203.0.113.7")),
            ("2001:db8::1", Client::Address(b"2001:db8::1")),
            ("[2001:db8::1]", Client::Address(b"2001:db8::1")),
            (
                "::ffff:198.51.100.4",
                Client::Address(b"::ffff:198.51.100.4"),
            ),
            ("-", Client::None),
            ("", Client::None),
            ("unix", Client::None),
            ("unix:", Client::None),
            ("/var/run/envoy.sock", Client::None),
            ("203.0.113.7:443", Client::Invalid),
            ("[2001:db8::1]:443", Client::Invalid),
            ("example.com", Client::Invalid),
            ("203.0.113.256", Client::Invalid),
            ("203.0.113.07", Client::Invalid),
            ("0.0.0.0", Client::Address(b"0.0.0.0")),
            ("255.255.255.255", Client::Address(b"255.255.255.255")),
            ("1.2.3.4.5", Client::Invalid),
            ("1..3.4", Client::Invalid),
            ("1.2.3.", Client::Invalid),
            ("1.2.3.1000", Client::Invalid),
            ("fe80::1%eth0", Client::Invalid),
            ("[2001:db8::1", Client::Invalid),
        ] {
            assert_eq!(bare(value.as_bytes()), want, "{value}");
        }
    }

    #[test]
    fn the_address_before_its_port() {
        for (value, want) in [
            ("203.0.113.7:52000", Client::Address(b"203.0.113.7")),
            ("[2001:db8::1]:443", Client::Address(b"2001:db8::1")),
            // ALB writes IPv6 clients without brackets; the port is after the last colon.
            ("2001:db8::1:52000", Client::Address(b"2001:db8::1")),
            (
                "2001:db8:0:0:0:0:0:1:8",
                Client::Address(b"2001:db8:0:0:0:0:0:1"),
            ),
            ("-", Client::None),
            ("unix:1", Client::None),
            ("203.0.113.7", Client::Invalid),
            ("203.0.113.7:", Client::Invalid),
            ("203.0.113.7:123456", Client::Invalid),
            ("203.0.113.7:80a", Client::Invalid),
            ("[2001:db8::1]", Client::Invalid),
            ("host.example:80", Client::Invalid),
            (":80", Client::Invalid),
        ] {
            assert_eq!(with_port(value.as_bytes()), want, "{value}");
        }
    }

    proptest::proptest! {
        /// The hand-written dotted-quad check agrees with `std::net` on any text of digits
        /// and dots, and on every address.
        #[test]
        fn ipv4_by_hand_is_what_std_accepts(
            text in "[0-9.]{0,17}",
            a in proptest::prelude::any::<std::net::Ipv4Addr>(),
            port in 0..=65_535u32,
        ) {
            let std = text.parse::<std::net::Ipv4Addr>().is_ok();
            proptest::prop_assert_eq!(dotted_quad(text.as_bytes()) == Some(text.len()), std, "{}", text);
            proptest::prop_assert_eq!(is_ip(text.as_bytes()), std, "{}", text);
            let a = a.to_string();
            proptest::prop_assert!(is_ip(a.as_bytes()));
            let with = format!("{a}:{port}");
            proptest::prop_assert_eq!(with_port(with.as_bytes()), Client::Address(a.as_bytes()));
        }
    }

    #[test]
    fn either_form_and_the_texts() {
        assert_eq!(either(b"203.0.113.7"), Client::Address(b"203.0.113.7"));
        assert_eq!(either(b"203.0.113.7:80"), Client::Address(b"203.0.113.7"));
        assert_eq!(either(b"[::1]:80"), Client::Address(b"::1"));
        assert_eq!(either(b"client.example"), Client::Invalid);
        assert_eq!(Client::Address(b"::1").or_empty(), b"::1");
        assert_eq!(Client::None.or_empty(), b"");
        assert_eq!(Client::Invalid.or_empty(), b"");
        assert!(parse(&[b'1'; 46]).is_none());
        assert!(parse(b"\xff").is_none());
    }
}
