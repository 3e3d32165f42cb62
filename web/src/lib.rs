//! trawl's HTTP API and web UI.
//!
//! [`app`] builds the axum router over an [`AppState`] (an open index, an
//! embedder and the service parts: keys, audit log, upload jobs, metrics);
//! [`serve`] runs it on a listener until shutdown, refusing to serve beyond
//! loopback without API keys. The JSON types in [`api`] are the wire format
//! of both the HTTP API and `trawl search --json`, so the two always agree.
//! [`config`] is `trawl.toml`; [`auth`] creates, lists and checks API keys.
//! [`ask`] answers questions from the index with a local generator, grounded
//! in cited passages (`POST /api/ask`, `trawl ask`). [`discovery`] is the
//! legal-review toolkit over one principal's documents (threads,
//! near-duplicates, review-tag counts, review restrictions), shared by the
//! review endpoints and the CLI.

pub mod api;
pub mod ask;
mod audit;
pub mod auth;
pub mod config;
pub mod discovery;
mod error;
mod handlers;
mod jobs;
mod metrics;
mod review;
mod routes;
mod saved;

pub use crate::{
    error::ApiError,
    routes::{AppState, ServiceOptions, StartError, app, serve},
};
