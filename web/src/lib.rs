//! trawl's HTTP API and web UI.
//!
//! [`app`] builds the axum router over an [`AppState`] (an open index, an
//! embedder and the service parts: keys, audit log, upload jobs, metrics);
//! [`serve`] runs it on a listener until shutdown, refusing to serve beyond
//! loopback without API keys. It is the only crate that knows HTTP: the use
//! cases and wire types are `trawl-service`'s, and [`ApiError`] is where their
//! errors become statuses. [`config`] is `trawl.toml`; [`auth`] creates, lists
//! and checks API keys.

mod audit;
pub mod auth;
pub mod config;
mod endpoint;
mod error;
mod extract;
mod handlers;
mod jobs;
mod metrics;
mod openapi;
mod review;
mod routes;
mod saved;
mod state;

// The use cases and wire types live in `trawl-service`; these paths keep the handlers short.
use trawl_service::{api, ask, discovery, search};

pub use crate::{
    error::ApiError,
    routes::{app, serve},
    state::{AppState, ServiceOptions, StartError},
};
