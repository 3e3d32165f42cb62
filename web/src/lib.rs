//! trawl's HTTP API and web UI.
//!
//! [`app`] builds the axum router over an [`AppState`] (an open index and an
//! embedder); [`serve`] runs it on a listener until Ctrl-C. The JSON types in
//! [`api`] are the wire format of both the HTTP API and `trawl search --json`,
//! so the two always agree. [`ask`] answers questions from the index with a local
//! generator, grounded in cited passages (`POST /api/ask`, `trawl ask`).

pub mod api;
pub mod ask;
mod error;
mod routes;

pub use crate::{
    error::ApiError,
    routes::{AppState, app, serve},
};
