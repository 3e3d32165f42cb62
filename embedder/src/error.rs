//! The embedder's error type.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading or running an embedding model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file the model needs is absent.
    #[error("{what} not found at {path}; {hint}")]
    Missing {
        /// What the file is (e.g. "ONNX Runtime library").
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },
    /// A file exists but could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The model manifest is not valid JSON of the expected shape, or is inconsistent.
    #[error("invalid model manifest {path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// ONNX Runtime could not be loaded or initialised.
    #[error("cannot load ONNX Runtime from {path}: {message}")]
    Runtime {
        /// The shared library.
        path: PathBuf,
        /// What ONNX Runtime said.
        message: String,
    },
    /// The ONNX model file could not be loaded, or does not look like a BERT-style encoder.
    #[error("cannot load model {path}: {message}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The tokenizer file could not be loaded.
    #[error("cannot load tokenizer {path}: {message}")]
    Tokenizer {
        /// The tokenizer file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// Tokenizing or running the model on some input failed.
    #[error("embedding failed: {0}")]
    Inference(String),
}
