//! Text → vectors for trawl.
//!
//! This crate owns everything about embedding models: where their files live
//! ([`ModelLocation`]), what a model directory must contain ([`ModelManifest`]),
//! loading ONNX Runtime and a BERT-style encoder ([`OnnxEmbedder`]), and the
//! pooling that turns token states into one normalized vector. It knows nothing
//! of indexes, files to index, retrieval, text generation (`trawl-generator`) or
//! HTTP: callers see only the [`Embedder`] trait.

mod error;
mod location;
mod manifest;
mod onnx;
mod pooling;

pub use crate::{
    error::{Error, Result},
    location::ModelLocation,
    manifest::{ModelManifest, Pooling},
    onnx::{OnnxEmbedder, OnnxOptions},
};

use std::ops::Range;

/// What identifies a model's vectors: two indexes built with embedders of the
/// same fingerprint can share vectors; otherwise they must be re-embedded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// Human-readable model name, e.g. `all-MiniLM-L6-v2-int8`.
    pub name: String,
    /// Length of every vector this model produces.
    pub dim: usize,
    /// Changes whenever the weights change (sha256 of the model file).
    pub fingerprint: String,
    /// Longest input, in tokens, that the model sees; longer text is truncated.
    pub max_tokens: usize,
}

/// Turns text into L2-normalized vectors.
///
/// Implementations must be deterministic for a given model and safe to share
/// across threads; the vectors of [`Embedder::embed_passages`] and
/// [`Embedder::embed_query`] live in the same space.
pub trait Embedder: Send + Sync {
    /// The model behind this embedder.
    fn info(&self) -> &ModelInfo;

    /// Embeds passages (document chunks), one vector per input, in order.
    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// Embeds one search query.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>>;

    /// Byte ranges of the model's tokens in `text` (no special tokens, no
    /// truncation), so chunkers can cut text at exact token counts.
    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>>;
}
