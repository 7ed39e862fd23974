//! Annotations: deploys, incidents, maintenance and notes on the timeline, written through
//! `POST /v1/annotations`, drawn on the page's charts, served to Grafana, and kept in the
//! checkpoint.
//!
//! Each annotation has an id (never reused), a time and an optional end (µs), a kind, an
//! optional service, a text and labels. The store is bounded: at most
//! [`MAX_ANNOTATIONS`], each text at most [`MAX_TEXT_BYTES`] and at most [`MAX_LABELS`]
//! labels of bounded size, so that anyone allowed to write cannot grow the process or its
//! checkpoint without limit; a write past a limit is refused with the limit in the error.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::time::format_rfc3339;

/// Most annotations kept.
pub const MAX_ANNOTATIONS: usize = 10_000;
/// Longest text, bytes.
pub const MAX_TEXT_BYTES: usize = 4_096;
/// Most labels on one annotation.
pub const MAX_LABELS: usize = 16;
/// Longest label name or value, bytes.
pub const MAX_LABEL_BYTES: usize = 256;

/// What an annotation marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnnotationKind {
    /// A deploy or release.
    Deploy,
    /// An incident.
    Incident,
    /// Planned maintenance.
    Maintenance,
    /// Anything else.
    Note,
}

impl AnnotationKind {
    /// `deploy`, `incident`, `maintenance` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            AnnotationKind::Deploy => "deploy",
            AnnotationKind::Incident => "incident",
            AnnotationKind::Maintenance => "maintenance",
            AnnotationKind::Note => "note",
        }
    }
}

/// One annotation, as kept and checkpointed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Annotation {
    /// Its id, never reused.
    pub id: u64,
    /// When it happened (start), µs.
    pub time_us: i64,
    /// When it ended, µs; `None` for an instant.
    pub end_us: Option<i64>,
    /// What it marks.
    pub kind: AnnotationKind,
    /// The service it concerns; `None` for all.
    pub service: Option<String>,
    /// Free text.
    pub text: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// When it was written (wall clock), µs.
    pub created_us: i64,
}

/// Every annotation and the next id, in a checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnotationsState {
    /// The id the next annotation gets.
    pub next_id: u64,
    /// Every annotation, by id.
    pub items: Vec<Annotation>,
}

/// An annotation as written to `POST /v1/annotations` (and, in a cluster, to the log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAnnotation {
    /// RFC 3339 start.
    pub time: String,
    /// RFC 3339 end, after `time`.
    pub end: Option<String>,
    /// `deploy`, `incident`, `maintenance` or `note`.
    pub kind: AnnotationKind,
    /// The service it concerns.
    pub service: Option<String>,
    /// Free text.
    #[serde(default)]
    pub text: String,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnotationError {
    /// The annotation is malformed.
    #[error("{0}")]
    Invalid(String),
    /// The store is full.
    #[error("{MAX_ANNOTATIONS} annotations are kept at most: delete old ones first")]
    Full,
    /// Written to the cluster log, not applied within the wait (or the log is not open).
    #[error("{0}")]
    Pending(String),
}

/// An annotation as served: times in RFC 3339.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnnotationView {
    /// Its id.
    pub id: u64,
    /// Start, RFC 3339.
    pub time: String,
    /// End, RFC 3339; `null` for an instant.
    pub end: Option<String>,
    /// What it marks.
    pub kind: AnnotationKind,
    /// The service it concerns; `null` for all.
    pub service: Option<String>,
    /// Free text.
    pub text: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// When it was written, RFC 3339.
    pub created: String,
}

impl From<&Annotation> for AnnotationView {
    fn from(a: &Annotation) -> Self {
        Self {
            id: a.id,
            time: format_rfc3339(a.time_us),
            end: a.end_us.map(format_rfc3339),
            kind: a.kind,
            service: a.service.clone(),
            text: a.text.clone(),
            labels: a.labels.clone(),
            created: format_rfc3339(a.created_us),
        }
    }
}

/// One annotation in the shape Grafana's JSON and Infinity data sources read: epoch
/// milliseconds, a title, the text, tags.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GrafanaAnnotation {
    /// Start, epoch ms.
    pub time: i64,
    /// End, epoch ms (the start for an instant).
    #[serde(rename = "timeEnd")]
    pub time_end: i64,
    /// `deploy: checkout`, …
    pub title: String,
    /// The text.
    pub text: String,
    /// The kind, the service and every label as `name:value`.
    pub tags: Vec<String>,
    /// Its id.
    pub id: u64,
}

impl From<&Annotation> for GrafanaAnnotation {
    fn from(a: &Annotation) -> Self {
        let mut tags = vec![a.kind.as_str().to_string()];
        tags.extend(a.service.clone());
        tags.extend(a.labels.iter().map(|(k, v)| format!("{k}:{v}")));
        Self {
            time: a.time_us.div_euclid(1_000),
            time_end: a.end_us.unwrap_or(a.time_us).div_euclid(1_000),
            title: match &a.service {
                Some(s) => format!("{}: {s}", a.kind.as_str()),
                None => a.kind.as_str().to_string(),
            },
            text: a.text.clone(),
            tags,
            id: a.id,
        }
    }
}

/// The annotations of one process.
#[derive(Debug, Default)]
pub struct Annotations {
    next_id: u64,
    items: BTreeMap<u64, Annotation>,
}

fn parse_time(field: &str, text: &str) -> Result<i64, AnnotationError> {
    crate::time::parse_rfc3339(text).map_err(|e| AnnotationError::Invalid(format!("{field}: {e}")))
}

impl Annotations {
    /// Adds `new`, written at wall-clock `now_us`, and returns it.
    pub fn add(&mut self, new: NewAnnotation, now_us: i64) -> Result<Annotation, AnnotationError> {
        let (time_us, end_us) = self.check(&new)?;
        let a = Annotation {
            id: self.next_id,
            time_us,
            end_us,
            kind: new.kind,
            service: new.service,
            text: new.text,
            labels: new.labels,
            created_us: now_us,
        };
        self.next_id += 1;
        self.items.insert(a.id, a.clone());
        Ok(a)
    }

    /// Whether `new` would be added (its time and end, µs), or why not.
    pub fn check(&self, new: &NewAnnotation) -> Result<(i64, Option<i64>), AnnotationError> {
        let invalid = |m: String| Err(AnnotationError::Invalid(m));
        let time_us = parse_time("time", &new.time)?;
        let end_us = new
            .end
            .as_deref()
            .map(|e| parse_time("end", e))
            .transpose()?;
        if end_us.is_some_and(|e| e < time_us) {
            return invalid(format!(
                "end {} is before time {}",
                new.end.clone().unwrap_or_default(),
                new.time
            ));
        }
        if new.text.len() > MAX_TEXT_BYTES {
            return invalid(format!(
                "text is {} bytes, at most {MAX_TEXT_BYTES}",
                new.text.len()
            ));
        }
        if new.labels.len() > MAX_LABELS {
            return invalid(format!("{} labels, at most {MAX_LABELS}", new.labels.len()));
        }
        if let Some((k, _)) = new
            .labels
            .iter()
            .find(|(k, v)| k.is_empty() || k.len() > MAX_LABEL_BYTES || v.len() > MAX_LABEL_BYTES)
        {
            return invalid(format!(
                "label {k:?}: names are 1 to {MAX_LABEL_BYTES} bytes, values at most {MAX_LABEL_BYTES}"
            ));
        }
        if new
            .service
            .as_ref()
            .is_some_and(|s| s.is_empty() || s.len() > MAX_LABEL_BYTES)
        {
            return invalid(format!("service: 1 to {MAX_LABEL_BYTES} bytes"));
        }
        if self.items.len() >= MAX_ANNOTATIONS {
            return Err(AnnotationError::Full);
        }
        Ok((time_us, end_us))
    }

    /// The annotation created at `created_us` as `new` says, if any (a cluster member's
    /// write, once the log applied it).
    pub fn created(&self, new: &NewAnnotation, created_us: i64) -> Option<Annotation> {
        self.items
            .values()
            .find(|a| {
                a.created_us == created_us
                    && a.kind == new.kind
                    && a.text == new.text
                    && a.service == new.service
            })
            .cloned()
    }

    /// Whether annotation `id` is kept.
    pub fn contains(&self, id: u64) -> bool {
        self.items.contains_key(&id)
    }

    /// Removes annotation `id`; false when there is none.
    pub fn delete(&mut self, id: u64) -> bool {
        self.items.remove(&id).is_some()
    }

    /// The annotations overlapping `[from, to)` (an instant at `from` included) of service
    /// `service` (those for all services too) and of kind `kind`, by time.
    pub fn list(
        &self,
        from_us: i64,
        to_us: i64,
        service: Option<&str>,
        kind: Option<AnnotationKind>,
    ) -> Vec<&Annotation> {
        let mut out: Vec<&Annotation> = self
            .items
            .values()
            .filter(|a| a.time_us < to_us && a.end_us.unwrap_or(a.time_us) >= from_us)
            .filter(|a| service.is_none_or(|s| a.service.as_deref().is_none_or(|x| x == s)))
            .filter(|a| kind.is_none_or(|k| a.kind == k))
            .collect();
        out.sort_by_key(|a| (a.time_us, a.id));
        out
    }

    /// Number kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when none is kept.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every annotation, for a checkpoint.
    pub fn export(&self) -> AnnotationsState {
        AnnotationsState {
            next_id: self.next_id,
            items: self.items.values().cloned().collect(),
        }
    }

    /// Takes `state` in (ids kept; the next id past every one of them).
    pub fn import(&mut self, state: &AnnotationsState) {
        for a in state
            .items
            .iter()
            .take(MAX_ANNOTATIONS.saturating_sub(self.items.len()))
        {
            self.items.insert(a.id, a.clone());
        }
        let past = self.items.keys().next_back().map_or(0, |&id| id + 1);
        self.next_id = self.next_id.max(state.next_id).max(past);
    }
}

#[cfg(test)]
mod tests;
