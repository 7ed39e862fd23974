//! Where a configuration problem is: one typed builder for every location an error names.
//!
//! A location reads `file: document N (Kind name): spec.services[2].name`: the document part
//! (file, document number, list item, kind and name) and then a field path inside it. Paths
//! are built with [`At::field`] and [`At::index`], never with string formatting, so every
//! stage renders them the same way.

use std::fmt;

/// A location in a configuration: a document, and a field path inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct At {
    /// `file`, `file: document N`, `file: document N item J (Kind name)`.
    document: String,
    /// `spec.services[2].name`; empty for the document itself.
    path: String,
}

impl At {
    /// The file as a whole.
    pub(crate) fn file(origin: &str) -> Self {
        Self {
            document: origin.to_string(),
            path: String::new(),
        }
    }

    /// Document `n` (from 1) of the file.
    pub(crate) fn document(origin: &str, n: usize) -> Self {
        Self::file(&format!("{origin}: document {n}"))
    }

    /// Item `j` (from 0) of a document that is a list of objects.
    pub(crate) fn item(&self, j: usize) -> Self {
        Self::file(&format!("{} item {j}", self.document))
    }

    /// The same document, named by its kind and `metadata.name`.
    pub(crate) fn named(&self, kind: &str, name: &str) -> Self {
        Self::file(&format!("{} ({kind} {name})", self.document))
    }

    /// A field below this location (a name, or a dotted run of names such as
    /// `metricSource.spec`).
    pub(crate) fn field(&self, name: &str) -> Self {
        let mut path = self.path.clone();
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(name);
        Self {
            document: self.document.clone(),
            path,
        }
    }

    /// Element `i` of the list at this location.
    pub(crate) fn index(&self, i: usize) -> Self {
        Self {
            document: self.document.clone(),
            path: format!("{}[{i}]", self.path),
        }
    }

    /// The location a deserializer reported, below this one.
    pub(crate) fn serde(&self, path: &serde_path_to_error::Path) -> Self {
        use serde_path_to_error::Segment;
        path.iter().fold(self.clone(), |at, segment| match segment {
            Segment::Seq { index } => at.index(*index),
            Segment::Map { key } => at.field(key),
            Segment::Enum { variant } => at.field(variant),
            Segment::Unknown => at.field("?"),
        })
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.document)?;
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::At;

    #[test]
    fn locations_render_like_the_documents_read() {
        let doc = At::document("t.yaml", 2).item(1).named("SLI", "ok");
        assert_eq!(doc.to_string(), "t.yaml: document 2 item 1 (SLI ok)");
        let at = doc
            .field("spec")
            .field("services")
            .index(3)
            .field("match.host");
        assert_eq!(
            at.to_string(),
            "t.yaml: document 2 item 1 (SLI ok): spec.services[3].match.host"
        );
        assert_eq!(At::file("t.yaml").index(0).to_string(), "t.yaml: [0]");
    }
}
