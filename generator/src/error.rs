//! The generator's error type.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong while loading or running a generator model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file the model needs is absent.
    #[error("{what} not found at {path}; {hint}")]
    Missing {
        /// What the file is (e.g. "generator model").
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },
    /// The GGUF file could not be loaded.
    #[error("cannot load model {path}: {message}")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The generator's queue is full: the caller should retry later.
    #[error("the generator is busy (its queue is full); try again shortly")]
    Busy,
    /// The prompt plus the requested answer does not fit the generator's context window.
    #[error(
        "the prompt takes {tokens} tokens; with {max_tokens} tokens for the answer it exceeds the model's context of {limit} tokens"
    )]
    PromptTooLong {
        /// Tokens in the templated prompt.
        tokens: usize,
        /// Tokens requested for the answer.
        max_tokens: usize,
        /// The context window.
        limit: usize,
    },
    /// Text generation failed inside the runtime.
    #[error("generation failed: {0}")]
    Generation(String),
}
