//! `slipstream/v1 Pipeline`: dispatches each block of the spec to the stage that owns it and
//! checks what spans stages (the demo source writes the format the pipeline decodes).

use std::net::SocketAddr;

use super::decode::Decode;
use super::path::At;
use super::problems::Problems;
use super::raw::{Document, PipelineSpec};
use super::service::Services;
use super::{
    AlertmanagerConfig, CheckpointConfig, ClusterConfig, SourceConfig, TlsConfig, TokenSource,
};
use crate::decode::Format;
use crate::source::demo::{DemoSpec, LineFormat};
use crate::window::WindowConfig;

/// The validated Pipeline, each setting `None` when invalid (optional settings: `None` also
/// when not set).
#[derive(Debug)]
pub(super) struct Pipeline {
    pub(super) name: String,
    pub(super) listen: Option<SocketAddr>,
    pub(super) source: Option<SourceConfig>,
    pub(super) decode: Decode,
    pub(super) window: Option<WindowConfig>,
    pub(super) checkpoint: Option<CheckpointConfig>,
    pub(super) cluster: Option<ClusterConfig>,
    pub(super) alertmanager: Option<AlertmanagerConfig>,
    pub(super) http_auth: Option<TokenSource>,
    pub(super) http_tls: Option<TlsConfig>,
    pub(super) http_open_writes: bool,
    pub(super) services: Services,
    /// `spec.openslo.lenient`.
    pub(super) lenient: bool,
    /// `spec.openslo.alert_after`.
    pub(super) alert_after: super::openslo::AlertAfter,
    /// `spec.attribution`.
    pub(super) attribution: Option<crate::classify::attribution::AttributionConfig>,
}

/// Validates the Pipeline document at `at`.
pub(super) fn validate(d: Document<PipelineSpec>, at: &At, problems: &mut Problems) -> Pipeline {
    let p = d.spec;
    let at = at.field("spec");
    let listen = super::http::listen(p.listen.as_deref(), &at.field("listen"), problems);
    let mut source = super::source::validate(&p.source, &at.field("source"), problems);
    let decode = super::decode::validate(&p.decode, &at.field("decode"), problems);
    let window = super::window::validate(&p.window, &at.field("window"), problems);
    let checkpoint = p
        .checkpoint
        .as_ref()
        .and_then(|c| super::checkpoint::validate(c, &at.field("checkpoint"), problems));
    let cluster = p
        .cluster
        .as_ref()
        .and_then(|c| super::cluster::validate(c, source.as_ref(), &at.field("cluster"), problems));
    if cluster.is_some() && checkpoint.is_some() {
        problems.error(
            &at.field("checkpoint"),
            "is not used with spec.cluster: a member restores from the cluster's snapshot \
             topic, never from a local file that may be older than the cluster; remove it",
        );
    }
    let alertmanager = p
        .alertmanager
        .as_ref()
        .and_then(|a| super::alertmanager::validate(a, &at.field("alertmanager"), problems));
    let (http_auth, http_tls) = super::http::validate(p.http.as_ref(), &at.field("http"), problems);
    if let Some(SourceConfig::Demo(demo)) = &mut source {
        check_demo(demo, &decode, &at, problems);
    }
    let services = super::service::validate(&p.services, &at.field("services"), problems);
    check_carried(&decode, &services, &at.field("services"), problems);
    Pipeline {
        name: d.metadata.name,
        listen,
        source,
        decode,
        window,
        checkpoint,
        cluster,
        alertmanager,
        http_auth,
        http_tls,
        http_open_writes: p
            .http
            .as_ref()
            .is_some_and(|h| h.allow_unauthenticated_writes),
        services,
        lenient: p.openslo.as_ref().is_some_and(|o| o.lenient),
        alert_after: p
            .openslo
            .as_ref()
            .map(|o| o.alert_after)
            .unwrap_or_default(),
        attribution: p
            .attribution
            .as_ref()
            .and_then(|a| super::attribution::validate(a, &at.field("attribution"), problems)),
    }
}

/// Sets the line format the demo source writes (`demo`) from the format the pipeline
/// decodes, and reports a format or an nginx format the demo does not write.
fn check_demo(demo: &mut DemoSpec, decode: &Decode, at: &At, problems: &mut Problems) {
    let Some(f) = decode.format else {
        return;
    };
    if decode
        .options
        .nginx
        .as_ref()
        .is_some_and(|n| !n.is_combined_timed())
    {
        problems.error(
            &at.field("decode.nginx"),
            "the demo source writes nginx lines as preset combined_timed: use that preset, \
             or no spec.decode.nginx, with the demo",
        );
    }
    match demo_format(f) {
        Some(format) => demo.format = format,
        None => problems.error(
            &at.field("decode.format"),
            format!(
                "the demo source writes alb or nginx lines, not {}: use format alb or nginx \
                 with the demo, or another source",
                f.name()
            ),
        ),
    }
}

/// Reports each selector and host split of `services` (at `at`) that reads a field the
/// decoded events never carry.
fn check_carried(decode: &Decode, services: &Services, at: &At, problems: &mut Problems) {
    let Some(c) = decode.format.and_then(|f| f.carries(&decode.options)) else {
        return;
    };
    for (i, (s, split)) in services.services.iter().zip(&services.splits).enumerate() {
        let here = at.index(i);
        super::decode::check_matcher(&c, &s.matcher, &here.field("match"), problems);
        if let Some(canary) = &services.canaries[i] {
            let at = here.field("canary");
            super::decode::check_matcher(&c, &canary.canary, &at.field("canary"), problems);
            super::decode::check_matcher(&c, &canary.baseline, &at.field("baseline"), problems);
        }
        if split.is_some() && !c.host {
            problems.error_or_warning(
                c.strict,
                &here.field("split_by"),
                format!(
                    "splits by host, which {} does not carry: every event is one sub-service",
                    c.source
                ),
            );
        }
    }
}

/// The line format the demo writes for the format the pipeline decodes, if it has one.
fn demo_format(f: Format) -> Option<LineFormat> {
    match f {
        Format::Alb => Some(LineFormat::Alb),
        Format::Nginx => Some(LineFormat::Nginx),
        _ => None,
    }
}
