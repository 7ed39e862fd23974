//! The YAML stream → the documents it holds, sorted by kind.
//!
//! Each document (or each item of a document that is a list of objects, as OpenSLO tools
//! write them) is identified by `apiVersion` and `kind` and deserialized into its raw
//! struct; a document that does not deserialize is reported with its field path and left
//! out. Meaning is checked afterwards, by [`super::validate`].

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::path::At;
use super::problems::Problems;
use super::{openslo, raw};

/// The deserialized documents of one configuration, each with its location.
#[derive(Debug, Default)]
pub(super) struct Documents {
    /// How many documents said `kind: Pipeline`, whether or not they deserialized.
    pub(super) pipelines_seen: usize,
    /// `slipstream/v1 Pipeline`.
    pub(super) pipelines: Vec<(At, raw::Document<raw::PipelineSpec>)>,
    /// `reliability/v1 ServiceLevelObjective`.
    pub(super) slos: Vec<(At, raw::Document<raw::SloSpec>)>,
    /// `reliability/v1 ErrorBudgetPolicy`.
    pub(super) policies: Vec<(At, raw::Document<raw::PolicySpec>)>,
    /// `reliability/v1 BudgetAdjustment`.
    pub(super) adjustments: Vec<(At, raw::Document<raw::AdjustmentSpec>)>,
    /// The OpenSLO v1 kinds.
    pub(super) openslo: Vec<(At, openslo::Parsed)>,
}

/// Splits `text` into documents; `origin` names it in errors.
pub(super) fn documents(text: &str, origin: &str, problems: &mut Problems) -> Documents {
    let mut docs = Documents::default();
    for (i, de) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let at = At::document(origin, i + 1);
        match serde_yaml_ng::Value::deserialize(de) {
            Ok(serde_yaml_ng::Value::Null) => {}
            Ok(serde_yaml_ng::Value::Sequence(items)) => {
                for (j, value) in items.into_iter().enumerate() {
                    docs.add(value, &at.item(j), problems);
                }
            }
            Ok(value) => docs.add(value, &at, problems),
            Err(e) => {
                problems.error(&at, format!("invalid YAML: {e}"));
                // The YAML stream cannot be resumed after a syntax error.
                break;
            }
        }
    }
    docs
}

impl Documents {
    /// Identifies one document's kind and deserializes it.
    fn add(&mut self, value: serde_yaml_ng::Value, at: &At, problems: &mut Problems) {
        let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_string);
        let (Some(api), Some(kind)) = (field("apiVersion"), field("kind")) else {
            problems.error(
                at,
                "every document needs string fields `apiVersion` and `kind`",
            );
            return;
        };
        self.pipelines_seen += usize::from(kind == "Pipeline");
        let name = value
            .get("metadata")
            .and_then(|m| m.get("name"))
            .and_then(|v| v.as_str())
            .unwrap_or("?");
        let at = at.named(&kind, name);
        match (api.as_str(), kind.as_str()) {
            ("slipstream/v1", "Pipeline") => {
                if let Some(d) = de(value, &at, problems) {
                    self.pipelines.push((at, d));
                }
            }
            ("reliability/v1", "ServiceLevelObjective") => {
                if let Some(d) = de(value, &at, problems) {
                    self.slos.push((at, d));
                }
            }
            ("reliability/v1", "ErrorBudgetPolicy") => {
                if let Some(d) = de(value, &at, problems) {
                    self.policies.push((at, d));
                }
            }
            ("reliability/v1", "BudgetAdjustment") => {
                if let Some(d) = de(value, &at, problems) {
                    self.adjustments.push((at, d));
                }
            }
            ("openslo/v1", kind) => {
                if let Some(d) = openslo_document(kind, value, &at, problems) {
                    self.openslo.push((at, d));
                }
            }
            _ => problems.error(
                &at,
                format!(
                    "unknown document {api}/{kind}: expected slipstream/v1 Pipeline, \
                     reliability/v1 ServiceLevelObjective, reliability/v1 ErrorBudgetPolicy, \
                     reliability/v1 BudgetAdjustment or openslo/v1 Service, SLI, SLO, AlertPolicy, AlertCondition"
                ),
            ),
        }
    }
}

/// `value` with an empty `spec` when it has none: the spec makes a Service's optional.
fn with_empty_spec(mut value: serde_yaml_ng::Value) -> serde_yaml_ng::Value {
    if let Some(map) = value.as_mapping_mut()
        && !map.contains_key("spec")
    {
        map.insert("spec".into(), serde_yaml_ng::Mapping::new().into());
    }
    value
}

/// One OpenSLO document by kind.
fn openslo_document(
    kind: &str,
    value: serde_yaml_ng::Value,
    at: &At,
    problems: &mut Problems,
) -> Option<openslo::Parsed> {
    use openslo::Parsed as O;
    Some(match kind {
        "Service" => O::Service(de(with_empty_spec(value), at, problems)?),
        "SLI" => O::Sli(de(value, at, problems)?),
        "SLO" => O::Slo(de(value, at, problems)?),
        "AlertPolicy" => O::AlertPolicy(de(value, at, problems)?),
        "AlertCondition" => O::AlertCondition(de(value, at, problems)?),
        "AlertNotificationTarget" => O::NotificationTarget(de(value, at, problems)?),
        "DataSource" => O::DataSource(de(value, at, problems)?),
        _ => {
            problems.error(
                &at.field("kind"),
                format!(
                    "unsupported OpenSLO kind {kind}: expected Service, SLI, SLO, \
                     AlertPolicy, AlertCondition, AlertNotificationTarget or DataSource"
                ),
            );
            return None;
        }
    })
}

/// Deserializes `value`, reporting a failure at its field path below `at`.
pub(super) fn de<T: DeserializeOwned>(
    value: serde_yaml_ng::Value,
    at: &At,
    problems: &mut Problems,
) -> Option<T> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| problems.error(&at.serde(e.path()), e.into_inner().to_string()))
        .ok()
}
