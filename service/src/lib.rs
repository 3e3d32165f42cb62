//! trawl's use cases, shared by both front ends (the `trawl` CLI and the HTTP API in
//! `trawl-web`).
//!
//! [`open_index_for`] opens an index with the model that will embed its queries and refuses
//! one built by another model. [`api`] holds the request and response types (the wire format of the HTTP API and of
//! `trawl … --json`, so the two always agree); [`search`] runs searches and similar-document
//! requests, on either [`Store`] (an embedded index or a cluster, [`cluster`]); [`ask`] answers questions from the index with a local generator, grounded
//! in cited passages; [`discovery`] is the legal-review toolkit over one principal's documents
//! (threads, near-duplicates, review-tag counts, review restrictions); [`thread`] is e-mail
//! threading over the headers the indexer stores; [`filter`] is the metadata filter every
//! listing takes, declared and validated once. Every use case fails with [`Error`], which
//! says what went wrong and carries no transport: only the web crate knows HTTP.

pub mod api;
pub mod ask;
pub mod cluster;
pub mod discovery;
mod error;
pub mod filter;
mod open;
pub mod search;
pub mod store;
pub mod thread;

pub use crate::{
    error::{Error, Result},
    open::{check_model, open_index, open_index_for},
    store::Store,
};
