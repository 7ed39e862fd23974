//! Outbound notifications: slipstream telling other systems what fires, on its own schedule.
//!
//! A notifier reads the pipeline only through [`crate::serve::read::ReadSide`] (the same read
//! side the HTTP API uses), evaluates on the blocking pool, never on the async runtime, and
//! describes alerts with the labels of [`crate::serve::alerts_api`], so what it sends matches
//! what `/api/v1/alerts` shows. It counts its own requests by result; `app` hands those
//! counters to `/metrics`. A failed send is retried later and never stops the pipeline.
//!
//! Today there is one target: [`alertmanager`] (`spec.alertmanager`). [`decide`] keeps since
//! when each alert fires, decided once for a cluster.

pub mod alertmanager;
pub mod decide;
