//! `spec.attribution`: its defaults and every error with its path.

use super::*;

#[test]
fn attribution_reads_with_its_defaults_and_every_error_has_its_path() {
    use crate::classify::attribution::Dimension;
    let c = parse(&service_a("  attribution: {}\n", ""), "t.yaml").expect("valid");
    let a = c.reload.attribution.as_deref().expect("on");
    // Every dimension but the client's, which is personal data: only when named.
    assert_eq!(
        a.dims,
        [
            Dimension::Path,
            Dimension::Status,
            Dimension::Backend,
            Dimension::Host,
            Dimension::Method
        ]
    );
    assert_eq!((a.keys_per_minute, a.retention_minutes), (32, 60));
    assert_eq!((a.client_prefix.ipv4, a.client_prefix.ipv6), (24, 48));
    assert!(
        parse(&service_a("", ""), "t.yaml")
            .unwrap()
            .reload
            .attribution
            .is_none(),
        "off unless configured"
    );
    let c = parse(
        &service_a(
            "  attribution: {by: [status, path], keys_per_minute: 8, retention: 3h, paths: ['/users/{id}']}\n",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.attribution.as_deref().unwrap();
    assert_eq!(a.dims, [Dimension::Status, Dimension::Path]);
    assert_eq!((a.keys_per_minute, a.retention_minutes), (8, 180));
    let mut key = Vec::new();
    a.paths.normalize(b"/users/alice", &mut key);
    assert_eq!(key, b"/users/{id}");
    assert_found(
        &problems(&service_a(
            "  attribution: {by: [path, route, path], keys_per_minute: 2, retention: 90s, paths: ['/ok', 'nope']}\n",
            "",
        )),
        &[
            "spec.attribution.by[1]: unknown dimension \"route\"",
            "spec.attribution.by[2]: path is named twice",
            "spec.attribution.keys_per_minute: 2 is outside 4 to 1024",
            "spec.attribution.retention: 90s must be whole minutes from 1m to 1d",
            "spec.attribution.paths[1]: \"nope\" must start with /",
        ],
        |g, w| g.contains(w),
    );
    let c = parse(
        &service_a(
            "  attribution: {by: [client, path], client_prefix: {ipv4: 16}}\n",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.attribution.as_deref().unwrap();
    assert_eq!(a.dims, [Dimension::Client, Dimension::Path]);
    assert_eq!((a.client_prefix.ipv4, a.client_prefix.ipv6), (16, 48));
    let c = parse(
        &service_a(
            "  attribution: {by: [client], client_prefix: {ipv4: 8, ipv6: 16}}\n",
            "",
        ),
        "t.yaml",
    )
    .expect("valid");
    let a = c.reload.attribution.as_deref().unwrap();
    assert_eq!((a.client_prefix.ipv4, a.client_prefix.ipv6), (8, 16));
    assert_found(
        &problems(&service_a(
            "  attribution: {by: [client, ip], client_prefix: {ipv4: 32, ipv6: 15}}\n",
            "",
        )),
        &[
            "spec.attribution.by[1]: unknown dimension \"ip\": use path, status, backend, host, method or client",
            "spec.attribution.client_prefix.ipv4: /32 is outside /8 to /24: a client is never kept finer than /24",
            "spec.attribution.client_prefix.ipv6: /15 is outside /16 to /48",
        ],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&service_a(
            "  attribution: {client_prefix: {ipv4: 24, ipv6: 48, mask: 8}}\n",
            "",
        )),
        &["mask"],
        |g, w| g.contains(w),
    );
    assert_found(
        &problems(&service_a("  attribution: {by: [], retention: 2d}\n", "")),
        &[
            "spec.attribution.by: must name at least one dimension",
            "spec.attribution.retention: 2d must be whole minutes from 1m to 1d",
        ],
        |g, w| g.contains(w),
    );
}
