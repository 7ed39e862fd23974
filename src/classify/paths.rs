//! Path normalization for burn attribution: `/users/123/orders` → `/users/{id}/orders`, so
//! that the requests of one route count as one key however many ids they carry.
//!
//! Configured templates come first (`spec.attribution.paths`), in order: a template is a
//! path whose segments are literals or `{name}` placeholders, each placeholder matching
//! exactly one non-empty segment; `*` as the last segment matches one or more segments. The
//! first template that matches the whole path is the key, written as configured. A path no
//! template matches keeps its literal segments, and each segment that looks like an
//! identifier becomes `{id}`:
//!
//! - all digits (`123`),
//! - a UUID (`8-4-4-4-12` hex digits),
//! - 16 or more hex digits (`5f2b9c…`, a hash or an object id),
//! - 20 or more characters of letters, digits, `-` and `_` with at least one digit (a
//!   token or a slug with a number).
//!
//! The query string is never part of a path here (the decoders leave it out). Normalizing
//! allocates nothing: it writes into a buffer the caller keeps.

/// One template segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matches exactly this text.
    Literal(Box<[u8]>),
    /// `{name}`: any one non-empty segment.
    Param,
    /// `*`, last only: one or more segments.
    Rest,
}

/// One configured template.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Template {
    segments: Vec<Segment>,
    text: Box<[u8]>,
}

/// The configured templates, and the identifier rules for every other path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathRules {
    templates: Vec<Template>,
}

impl PathRules {
    /// The rules of `templates`, in order; the first bad one's index and what is wrong.
    pub fn new(templates: &[String]) -> Result<Self, (usize, String)> {
        let templates = templates
            .iter()
            .enumerate()
            .map(|(i, t)| template(t).map_err(|e| (i, e)))
            .collect::<Result<_, _>>()?;
        Ok(Self { templates })
    }

    /// Writes the key of `path` into `out` (cleared first).
    pub fn normalize(&self, path: &[u8], out: &mut Vec<u8>) {
        out.clear();
        self.append(path, out);
    }

    /// Appends the key of `path` to `out`.
    pub fn append(&self, path: &[u8], out: &mut Vec<u8>) {
        if let Some(t) = self.templates.iter().find(|t| matches(t, path)) {
            out.extend_from_slice(&t.text);
            return;
        }
        // The path as it is, but for its identifier segments: copied in runs between them.
        let mut copied = 0;
        let mut start = 0;
        for segment in path.split(|&b| b == b'/') {
            let end = start + segment.len();
            if looks_like_id(segment) {
                out.extend_from_slice(&path[copied..start]);
                out.extend_from_slice(b"{id}");
                copied = end;
            }
            start = end + 1;
        }
        out.extend_from_slice(&path[copied..]);
    }
}

/// Parses one template.
fn template(text: &str) -> Result<Template, String> {
    let Some(rest) = text.strip_prefix('/') else {
        return Err(format!("{text:?} must start with /"));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let mut segments = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let segment = if *p == "*" {
            if i + 1 != parts.len() {
                return Err(format!("{text:?}: * may only be the last segment"));
            }
            Segment::Rest
        } else if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if name.is_empty() || name.contains(['{', '}']) {
                return Err(format!(
                    "{text:?}: a placeholder is {{name}}, one per segment"
                ));
            }
            Segment::Param
        } else if p.contains(['{', '}', '*']) {
            return Err(format!(
                "{text:?}: a segment is literal text, a whole {{name}} or a last *"
            ));
        } else {
            Segment::Literal(p.as_bytes().into())
        };
        segments.push(segment);
    }
    Ok(Template {
        segments,
        text: text.as_bytes().into(),
    })
}

/// Whether `t` matches the whole of `path`.
fn matches(t: &Template, path: &[u8]) -> bool {
    let Some(rest) = path.strip_prefix(b"/") else {
        return false;
    };
    let mut parts = rest.split(|&b| b == b'/');
    for segment in &t.segments {
        match segment {
            Segment::Rest => return parts.next().is_some_and(|p| !p.is_empty()),
            Segment::Param => {
                if parts.next().is_none_or(|p| p.is_empty()) {
                    return false;
                }
            }
            Segment::Literal(l) => {
                if parts.next() != Some(&**l) {
                    return false;
                }
            }
        }
    }
    parts.next().is_none()
}

/// Whether a path segment is an identifier by the rules in the module docs.
fn looks_like_id(s: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    if s.iter().all(u8::is_ascii_digit) {
        return true;
    }
    if is_uuid(s) {
        return true;
    }
    if s.len() >= 16 && s.iter().all(u8::is_ascii_hexdigit) {
        return true;
    }
    s.len() >= 20
        && s.iter().any(u8::is_ascii_digit)
        && s.iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `8-4-4-4-12` hex digits.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, &b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(rules: &PathRules, path: &str) -> String {
        let mut out = Vec::new();
        rules.normalize(path.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn identifiers_become_placeholders_and_words_stay() {
        let r = PathRules::default();
        for (path, want) in [
            ("/users/123/orders", "/users/{id}/orders"),
            (
                "/orders/8f14e45f-ceea-467f-a0e6-3b2e4a1c9d7b/items/7",
                "/orders/{id}/items/{id}",
            ),
            ("/blobs/5f2b9c0e4d1a3b7c", "/blobs/{id}"),
            ("/blobs/5f2b9c0e4d1a3b7", "/blobs/5f2b9c0e4d1a3b7"), // 15 hex: a word
            ("/s/abcdefghij0123456789", "/s/{id}"),
            (
                "/s/abcdefghijklmnopqrstuvwxyz",
                "/s/abcdefghijklmnopqrstuvwxyz",
            ),
            ("/api/v2/checkout", "/api/v2/checkout"),
            ("/", "/"),
            ("", ""),
            ("/a//b/", "/a//b/"),
        ] {
            assert_eq!(key(&r, path), want, "{path}");
        }
    }

    /// The key by the rules as written: each segment, or `{id}`, joined by `/`.
    fn by_segments(path: &[u8]) -> Vec<u8> {
        let segments: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .map(|s| if looks_like_id(s) { &b"{id}"[..] } else { s })
            .collect();
        segments.join(&b'/')
    }

    proptest::proptest! {
        /// Copying the path in runs between identifiers writes what joining its segments
        /// does, on paths of words, numbers, UUIDs, hashes and empty segments.
        #[test]
        fn copying_runs_is_joining_segments(
            segments in proptest::collection::vec(
                "(|[a-z]{1,6}|[0-9]{1,8}|[0-9a-f]{16,20}|[a-z0-9_-]{20,24}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^/]{0,5})",
                0..8,
            ),
        ) {
            let path = segments.join("/");
            let mut out = b"prefix".to_vec();
            PathRules::default().append(path.as_bytes(), &mut out);
            proptest::prop_assert_eq!(&out[6..], &by_segments(path.as_bytes())[..], "{}", path);
        }
    }

    #[test]
    fn the_first_matching_template_wins_and_is_written_as_configured() {
        let r = PathRules::new(&[
            "/users/{user}/orders".to_string(),
            "/users/{user}".to_string(),
            "/static/*".to_string(),
        ])
        .unwrap();
        assert_eq!(key(&r, "/users/alice/orders"), "/users/{user}/orders");
        assert_eq!(key(&r, "/users/alice"), "/users/{user}");
        assert_eq!(key(&r, "/static/css/site.css"), "/static/*");
        // No template: the identifier rules.
        assert_eq!(key(&r, "/users/alice/orders/9"), "/users/alice/orders/{id}");
        assert_eq!(key(&r, "/static"), "/static");
        assert_eq!(key(&r, "/static/"), "/static/");
        assert_eq!(key(&r, "/users//orders"), "/users//orders");
    }

    #[test]
    fn bad_templates_say_which_and_why() {
        for (t, why) in [
            ("users/{id}", "must start with /"),
            ("/a/*/b", "* may only be the last segment"),
            ("/a/{}", "a placeholder is {name}"),
            ("/a/x{id}", "a segment is literal text"),
        ] {
            let (i, e) = PathRules::new(&["/ok".to_string(), t.to_string()]).unwrap_err();
            assert_eq!(i, 1);
            assert!(e.contains(why), "{t}: {e}");
        }
    }
}
