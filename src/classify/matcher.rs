//! Which service an event belongs to: a service's [`Matcher`] (host, path prefix, method and
//! backend selectors, every one that is set must match), its explain-only twin
//! [`Matcher::check`], and reading an ALB target group's name out of a backend.

use crate::decode::Event;

/// Selectors that pick a service's events; every selector that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    /// Host, case-insensitive; a leading `*.` matches any subdomain (`*.example.com`).
    pub host: Option<String>,
    /// Path prefix, byte-exact (`/api/`).
    pub path_prefix: Option<String>,
    /// Method, exact (`POST`).
    pub method: Option<String>,
    /// Backend: the whole field, or the name in an ALB target group ARN
    /// (`arn:…:targetgroup/NAME/ID`).
    pub backend: Option<String>,
}

impl Matcher {
    /// True when every set selector matches `event`.
    pub fn matches(&self, event: &Event<'_>) -> bool {
        self.host
            .as_deref()
            .is_none_or(|h| host_matches(h, event.host))
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| event.path.starts_with(p.as_bytes()))
            && self
                .method
                .as_deref()
                .is_none_or(|m| event.method == m.as_bytes())
            && self
                .backend
                .as_deref()
                .is_none_or(|b| backend_matches(b, event.backend))
    }
}

/// One selector of a [`Matcher`], for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Selector {
    /// [`Matcher::host`].
    Host,
    /// [`Matcher::path_prefix`].
    PathPrefix,
    /// [`Matcher::method`].
    Method,
    /// [`Matcher::backend`].
    Backend,
}

impl Selector {
    /// The config name (`host`, `path_prefix`, `method`, `backend`).
    pub fn name(self) -> &'static str {
        match self {
            Selector::Host => "host",
            Selector::PathPrefix => "path_prefix",
            Selector::Method => "method",
            Selector::Backend => "backend",
        }
    }

    /// The event field this selector looks at.
    pub fn field<'a>(self, event: &Event<'a>) -> &'a [u8] {
        match self {
            Selector::Host => event.host,
            Selector::PathPrefix => event.path,
            Selector::Method => event.method,
            Selector::Backend => event.backend,
        }
    }
}

/// The result of one set selector on one event (see [`Matcher::check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectorCheck<'m> {
    /// Which selector.
    pub selector: Selector,
    /// Its configured pattern.
    pub pattern: &'m str,
    /// Whether the event's field matches it.
    pub matched: bool,
}

impl Matcher {
    /// Every set selector with whether it matches `event`, in the order [`Matcher::matches`]
    /// tests them; `matches` is true exactly when every check here matched. Explain only.
    pub fn check<'m>(&'m self, event: &Event<'_>) -> Vec<SelectorCheck<'m>> {
        let check = |selector, pattern: Option<&'m str>, test: &dyn Fn(&str) -> bool| {
            pattern.map(|p| SelectorCheck {
                selector,
                pattern: p,
                matched: test(p),
            })
        };
        [
            check(Selector::Host, self.host.as_deref(), &|h| {
                host_matches(h, event.host)
            }),
            check(Selector::PathPrefix, self.path_prefix.as_deref(), &|p| {
                event.path.starts_with(p.as_bytes())
            }),
            check(Selector::Method, self.method.as_deref(), &|m| {
                event.method == m.as_bytes()
            }),
            check(Selector::Backend, self.backend.as_deref(), &|b| {
                backend_matches(b, event.backend)
            }),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

fn host_matches(pattern: &str, host: &[u8]) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => {
            host.len() > suffix.len() + 1
                && host[host.len() - suffix.len() - 1] == b'.'
                && host[host.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
        }
        None => host.eq_ignore_ascii_case(pattern.as_bytes()),
    }
}

fn backend_matches(pattern: &str, backend: &[u8]) -> bool {
    if backend == pattern.as_bytes() {
        return true;
    }
    target_group_name(backend).is_some_and(|name| name == pattern.as_bytes())
}

/// The target group's name in an ALB target group ARN
/// (`arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID`); `None` for any other
/// backend.
pub fn target_group_name(backend: &[u8]) -> Option<&[u8]> {
    target_group_range(backend).map(|r| &backend[r])
}

/// Where [`target_group_name`] is in `backend`.
pub fn target_group_range(backend: &[u8]) -> Option<std::ops::Range<usize>> {
    const MARKER: &[u8] = b":targetgroup/";
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MARKER));
    let start = FINDER.find(backend)? + MARKER.len();
    let len = backend[start..]
        .iter()
        .position(|&b| b == b'/')
        .unwrap_or(backend.len() - start);
    (len > 0).then_some(start..start + len)
}
