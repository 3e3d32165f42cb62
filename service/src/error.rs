//! What can go wrong in a use case, said without any transport: the web crate maps these to
//! HTTP statuses, the CLI prints them.

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error of every use case.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The request itself is wrong (a malformed date, an empty question, an unknown mode…).
    #[error("{message}")]
    Invalid {
        /// Stable machine-readable code, e.g. `invalid_date`.
        code: &'static str,
        /// What is wrong, for a person.
        message: String,
    },
    /// What was asked for does not exist, or the principal may not see it (the two are
    /// deliberately indistinguishable).
    #[error("{0}")]
    NotFound(String),
    /// Another writer holds the index; the request may succeed later.
    #[error("{0}")]
    Locked(String),
    /// A bounded resource (the generator's queue) is full; retry shortly.
    #[error("{0}")]
    Busy(String),
    /// The index was built with another embedding model than the one loaded.
    #[error("{0}")]
    ModelMismatch(String),
    /// The caller stopped the request before it finished.
    #[error("the request was cancelled")]
    Cancelled,
    /// Anything else: a bug or a broken index. The detail is logged where it is created; a
    /// front end facing untrusted clients shows a generic message.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A request error with its stable code.
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
        }
    }

    /// An internal error; logs the detail.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::Internal(detail.to_string())
    }

    /// The stable machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::Locked(_) => "index_busy",
            Self::Busy(_) => "busy",
            Self::ModelMismatch(_) => "model_mismatch",
            Self::Cancelled => "cancelled",
            Self::Internal(_) => "internal",
        }
    }
}

impl From<trawl_search::Error> for Error {
    fn from(e: trawl_search::Error) -> Self {
        if e.is_user_error() {
            Self::invalid("invalid_search", e.to_string())
        } else if let trawl_search::Error::Locked(_) = e {
            Self::Locked(e.to_string())
        } else {
            Self::internal(e)
        }
    }
}

impl From<trawl_indexer::Error> for Error {
    fn from(e: trawl_indexer::Error) -> Self {
        match e {
            trawl_indexer::Error::InvalidMetadata(m) => Self::invalid("invalid_metadata", m),
            trawl_indexer::Error::Search(e) => e.into(),
            other => Self::internal(other),
        }
    }
}

impl From<trawl_embedder::Error> for Error {
    fn from(e: trawl_embedder::Error) -> Self {
        Self::internal(e)
    }
}

impl From<trawl_generator::Error> for Error {
    fn from(e: trawl_generator::Error) -> Self {
        match e {
            trawl_generator::Error::Busy => Self::Busy(e.to_string()),
            other => Self::internal(other),
        }
    }
}
