//! Integration tests: one binary, modules by capability, shared helpers.

mod alerts;
mod cli;
mod exact_windows;
mod helpers;
mod http;
mod kafka;
