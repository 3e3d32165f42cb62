//! The router: API routes, the embedded UI, health checks.

use std::{future::Future, sync::Arc};

use axum::{
    Json, Router,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderValue, header},
    response::{Html, IntoResponse},
    routing::get,
};
use serde::Serialize;
use tower_http::trace::TraceLayer;
use trawl_embedder::Embedder;
use trawl_search::{Access, Index};

use crate::{
    ApiError,
    api::{SearchParams, SearchResponse, run_search},
};

/// The search page, embedded so the binary serves it offline.
const INDEX_HTML: &str = include_str!("../assets/index.html");

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The open index.
    pub index: Arc<Index>,
    /// The query embedder (same model as the index).
    pub embedder: Arc<dyn Embedder>,
}

/// Builds the router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(ui))
        .route("/api/search", get(search))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(not_found)
        .with_state(state)
        .layer(TraceLayer::new_for_http())
}

/// Serves `app(state)` on `listener` until `shutdown` completes; in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn ui() -> impl IntoResponse {
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'",
            ),
        )],
        Html(INDEX_HTML),
    )
}

async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Json<SearchResponse>, ApiError> {
    let Query(params) =
        params.map_err(|e| ApiError::bad_request("invalid_parameters", e.body_text()))?;
    // Embedding the query is CPU-bound; keep it off the async workers.
    // Until API keys exist (the service issue), the server only runs in local
    // single-user mode, where the operator sees everything.
    let access = Access::All;
    let response = tokio::task::spawn_blocking(move || {
        run_search(&state.index, state.embedder.as_ref(), &params, &access)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(Json(response))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
}

async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize)]
struct Ready {
    status: &'static str,
    documents: u64,
    chunks: u64,
    model: String,
}

async fn readyz(State(state): State<AppState>) -> Json<Ready> {
    let stats = state.index.stats();
    Json(Ready {
        status: "ready",
        documents: stats.documents,
        chunks: stats.chunks,
        model: state.embedder.info().name.clone(),
    })
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
