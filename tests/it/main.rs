//! Integration tests: one binary, modules by capability, shared helpers.

mod alertmanager;
mod alerts;
mod auth;
mod calendar;
mod cardinality;
mod cli;
mod crash;
mod dead_letter;
mod deploy;
mod exact_windows;
mod fuzz_regressions;
mod helpers;
mod http;
mod kafka;
mod late_data;
mod layering;
mod logs;
mod openapi;
mod overlong;
mod prometheus;
mod reload;
mod schemathesis;
mod single_flight;
mod split_hosts;
mod tls;
mod web;
