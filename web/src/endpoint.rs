//! What the endpoint modules ([`crate::handlers`], [`crate::review`]) share: running index
//! and model work off the async workers, the `[limits]` every search-taking request is held
//! to, and the answer for a document that is missing or unseen.

use crate::{ApiError, state::AppState};

/// Runs `work` on the blocking pool (embedding, index reads and writes are CPU- or disk-bound
/// and must not stall the async workers); a panic in it is a 500.
pub(crate) async fn blocking<T, E>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError>
where
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
}

/// Caps a search's size before it reaches the index.
pub(crate) fn check_limits(
    state: &AppState,
    q: &str,
    k: Option<usize>,
    offset: Option<usize>,
) -> Result<(), ApiError> {
    let l = &state.service.config.limits;
    let chars = q.chars().count();
    if chars > l.max_query_chars {
        return Err(ApiError::bad_request(
            "query_too_long",
            format!(
                "the query has {chars} characters; at most {} are allowed",
                l.max_query_chars
            ),
        ));
    }
    if let Some(k) = k
        && k > l.max_k
    {
        return Err(ApiError::bad_request(
            "k_too_large",
            format!("k is {k}; at most {} results per page", l.max_k),
        ));
    }
    if let Some(o) = offset
        && o > l.max_offset
    {
        return Err(ApiError::bad_request(
            "offset_too_large",
            format!("offset is {o}; at most {}", l.max_offset),
        ));
    }
    Ok(())
}

/// A search's `k`, when given, asks for at least one result (the code is the index's own
/// for this, `invalid_search`, checked here too so a saved search is refused when saved).
pub(crate) fn check_k(k: Option<usize>) -> Result<(), ApiError> {
    if k == Some(0) {
        return Err(ApiError::bad_request(
            "invalid_search",
            "invalid search: k must be at least 1",
        ));
    }
    Ok(())
}

pub(crate) fn not_found(id: &str) -> ApiError {
    // The same answer whether it does not exist or the caller may not see it.
    ApiError::not_found(format!("no document {id:?}"))
}
