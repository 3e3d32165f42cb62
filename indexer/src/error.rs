//! The indexer's error type. Per-file problems are not errors: they are
//! reported as [`crate::Skipped`] and the run goes on.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What stops an indexing run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The folder to index does not exist or is not a folder.
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    /// The corpus file to index does not exist or is not a file.
    #[error("{0} is not a file")]
    NotAFile(PathBuf),
    /// A folder run over another folder than the one the index mirrors, without
    /// [`crate::IndexOptions::replace_folder`]; nothing was changed.
    #[error(
        "the index mirrors {} ({files} files); indexing {} into it would remove their documents",
        indexed.display(),
        given.display()
    )]
    OtherFolder {
        /// The folder the index was built from.
        indexed: PathBuf,
        /// The folder given to this run.
        given: PathBuf,
        /// Files of the indexed folder the index holds.
        files: usize,
    },
    /// Metadata given with an upload is invalid (the caller's fault).
    #[error("invalid metadata: {0}")]
    InvalidMetadata(String),
    /// Reading or writing the indexer's own files failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The index could not be written.
    #[error(transparent)]
    Search(#[from] trawl_search::Error),
    /// The embedding model failed.
    #[error(transparent)]
    Embed(#[from] trawl_embedder::Error),
}
