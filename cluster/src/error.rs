//! The crate's one error type.

/// What can go wrong talking to a SolrCloud collection.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The `solr://` URL does not parse.
    #[error(
        "malformed cluster URL `{url}`: {reason} \
         (expected solr://HOST:PORT[,HOST:PORT...]/COLLECTION)"
    )]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// No node of the URL answered (every one refused, timed out or was not found).
    #[error("no Solr node answered (tried {}): {last}", .nodes.join(", "))]
    Unreachable {
        /// The nodes tried, in order (`HOST:PORT`).
        nodes: Vec<String>,
        /// The last node's transport error.
        last: String,
    },
    /// A node answered with an HTTP error (a missing collection, a rejected query or update).
    #[error("Solr at {node} answered HTTP {status}: {message}")]
    Solr {
        /// The node that answered (`HOST:PORT`).
        node: String,
        /// The HTTP status.
        status: u16,
        /// Solr's error message (or the start of the body).
        message: String,
    },
    /// A node answered 200 with a body this crate does not understand.
    #[error("unexpected response from Solr at {node}: {reason}")]
    Response {
        /// The node that answered.
        node: String,
        /// What was wrong with the body.
        reason: String,
    },
    /// The caller's input cannot be stored or queried (a `!` in a document id,
    /// a vector of the wrong dimension, a date out of range).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl Error {
    /// Whether the caller is at fault (a bad URL or bad input) rather than the cluster.
    pub fn is_user_error(&self) -> bool {
        matches!(self, Error::BadUrl { .. } | Error::InvalidInput(_))
    }
}

/// This crate's `Result`.
pub type Result<T, E = Error> = std::result::Result<T, E>;
