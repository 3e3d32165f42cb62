//! API errors: a stable machine code, a human message, the right status.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

/// An error as the API returns it: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable code, e.g. `invalid_query`.
    pub code: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

/// The body of every error response.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// A stable code and a message.
#[derive(Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable machine-readable code.
    code: String,
    /// Human-readable explanation.
    message: String,
}

impl ApiError {
    /// A 400 caused by the request.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }

    /// A 500; the message is logged, the client sees a generic one.
    pub fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "internal error");
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; see the server log".into(),
        }
    }

    /// A 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: message.into(),
        }
    }

    /// Any status with a code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<trawl_service::Error> for ApiError {
    /// The one place a use case's error becomes an HTTP status. Internal details stay in the
    /// server log (written where the error was made).
    fn from(e: trawl_service::Error) -> Self {
        use trawl_service::Error as E;
        let status = match &e {
            E::Invalid { .. } | E::Cancelled => StatusCode::BAD_REQUEST,
            E::NotFound(_) => StatusCode::NOT_FOUND,
            E::Locked(_) | E::ModelMismatch(_) => StatusCode::CONFLICT,
            E::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            E::Internal(_) => {
                return Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    code: "internal",
                    message: "internal error; see the server log".into(),
                };
            }
        };
        Self {
            status,
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<trawl_indexer::Error> for ApiError {
    fn from(e: trawl_indexer::Error) -> Self {
        trawl_service::Error::from(e).into()
    }
}

impl From<trawl_search::Error> for ApiError {
    fn from(e: trawl_search::Error) -> Self {
        trawl_service::Error::from(e).into()
    }
}

impl From<trawl_embedder::Error> for ApiError {
    fn from(e: trawl_embedder::Error) -> Self {
        trawl_service::Error::from(e).into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
