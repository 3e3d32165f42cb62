//! The search crate's error type.

use std::path::PathBuf;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong opening, writing or searching an index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No index at the given directory.
    #[error("no trawl index at {0}; create one with `trawl index DIR --index {0}`")]
    NotAnIndex(PathBuf),
    /// The index was written by an incompatible version of trawl.
    #[error(
        "index at {path} has format version {found}, this trawl reads version {expected}; re-create it with `trawl index`"
    )]
    FormatVersion {
        /// The index directory.
        path: PathBuf,
        /// The version found on disk.
        found: u32,
        /// The version this build reads and writes.
        expected: u32,
    },
    /// The index was built with another embedding model than the caller's.
    #[error(
        "index at {path} was built with model {found}, but {expected} is loaded; re-index into a new directory or load the same model"
    )]
    ModelMismatch {
        /// The index directory.
        path: PathBuf,
        /// Model fingerprint recorded in the index.
        found: String,
        /// Model fingerprint of the caller.
        expected: String,
    },
    /// A vector of the wrong length was passed in.
    #[error("vector has {found} dimensions, the index stores {expected}")]
    Dimension {
        /// The index's dimension.
        expected: usize,
        /// The vector's length.
        found: usize,
    },
    /// A search asked for something invalid (the caller's fault).
    #[error("invalid search: {0}")]
    InvalidRequest(String),
    /// Reading or writing a file of the index failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An index file exists but its content is damaged.
    #[error("index file {path} is damaged: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The keyword engine failed.
    #[error("keyword index: {0}")]
    Tantivy(tantivy::TantivyError),
    /// Another writer (a `trawl index` run, a server's upload) holds the index.
    #[error(
        "index at {0} is being written by another process (a `trawl index` run or a server upload); try again when it has finished"
    )]
    Locked(PathBuf),
    /// The vector graph could not be saved or loaded.
    #[error("vector index: {0}")]
    Vector(String),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        match e {
            // The schema is fixed, so an unknown field can only come from a
            // query such as `nosuch:*`, which the lenient parser lets through.
            tantivy::TantivyError::FieldNotFound(field) => {
                Error::InvalidRequest(format!("unknown field `{field}` in the query"))
            }
            other => Error::Tantivy(other),
        }
    }
}

impl Error {
    /// True when the caller asked for something invalid, rather than the index failing.
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::InvalidRequest(_) | Error::Dimension { .. })
    }
}

pub(crate) trait IoContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}
