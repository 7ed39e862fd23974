//! Cluster mode on the HTTP side: `GET /v1/cluster`, and `partial`/`missing` beside every
//! answer that a member without the whole picture gives (README, "Evaluation time, partial
//! answers, readiness").

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::{Api, ApiError, blocking};
use crate::cluster::shared::{ClusterStatus, Missing};

/// A body and, in a cluster, whether it holds the whole topic's counts: `partial` and
/// `missing` beside the body's own fields. A single instance's bodies are unchanged.
#[derive(Debug, Serialize)]
pub(crate) struct Whole<'a, T: Serialize> {
    #[serde(flatten)]
    body: &'a T,
    #[serde(skip_serializing_if = "Option::is_none")]
    partial: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    missing: Option<&'a Missing>,
}

impl<'a, T: Serialize> Whole<'a, T> {
    /// `body` as a member whose view was `cluster` answers it.
    pub(crate) fn new(body: &'a T, cluster: Option<&'a ClusterStatus>) -> Self {
        Self {
            body,
            partial: cluster.map(|c| c.partial),
            missing: cluster.map(|c| &c.missing),
        }
    }
}

/// `GET /v1/cluster`: this member's view of its cluster; 404 for a single instance.
pub(crate) async fn cluster(State(e): Api) -> Result<Response, ApiError> {
    let read = e.read().clone();
    blocking(move || match read.cluster() {
        Some(status) => Ok(Json(status).into_response()),
        None => Err(ApiError::NotFound(
            "/v1/cluster (this instance runs without spec.cluster)".into(),
        )),
    })
    .await?
}
