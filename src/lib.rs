//! slipstream: an exact, streaming, log-based SLI processor.
//!
//! Access-log lines flow through the stages below, one module each, in data-flow order:
//! [`source`] yields raw lines per partition, [`decode`] turns a line into an [`decode::Event`],
//! [`classify`] decides per service and SLO whether the event is good, bad or out of scope,
//! [`window`] keeps exact epoch-aligned counts per shard, [`evaluate`] turns merged counts into
//! SLIs, budgets, burn rates and alerts, [`serve`] answers HTTP through the read side of the
//! pipeline ([`serve::read`]), and [`notify`] pushes alerts out (Alertmanager). [`config`]
//! loads and validates the YAML that drives every stage; [`cluster`] holds cluster mode's
//! protocol (who reads which partition, the shared log of deltas, its fold and snapshots);
//! [`app`] wires the stages together, and [`explain`] runs single lines through decode and
//! classify to show why they count as they do.
//! A stage depends only on the stages to its left (and on `config`, `time`, `clock`; [`tls`]
//! loads the server's certificate for both `config` and `app`).

pub mod alert_history;
pub mod annotations;
pub mod app;
pub mod catalog;
pub mod checkpoint;
pub mod classify;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod decode;
pub mod evaluate;
pub mod explain;
pub mod loadgen;
pub mod notify;
pub mod remote;
pub mod serve;
pub mod source;
pub mod text_table;
pub mod time;
pub mod tls;
pub mod window;
