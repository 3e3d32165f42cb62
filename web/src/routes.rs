//! The router: API routes, the embedded UI, health checks.

use std::{convert::Infallible, future::Future, sync::Arc};

use axum::{
    Json, Router,
    extract::{
        Query, State,
        rejection::{JsonRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{
        Html, IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
    routing::{get, post},
};
use serde::Serialize;
use tower_http::trace::TraceLayer;
use trawl_embedder::{Embedder, Flow, Generator};
use trawl_search::{Access, Index};

use crate::{
    ApiError,
    api::{SearchParams, SearchResponse, run_search},
    ask::{AskEvent, AskOptions, AskParams, Asker, run_ask, validate_question},
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
    /// The answer generator; `None` disables `/api/ask` (503 `generator_unavailable`).
    pub generator: Option<Arc<dyn Generator>>,
}

/// Builds the router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", get(ui))
        .route("/api/search", get(search))
        .route("/api/ask", post(ask))
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

/// The permissions of a request. The server has no principals yet (local single-user mode,
/// as for `/api/search`), so every request sees everything; this is the one place to map a
/// request to its principal's access when API keys exist.
fn request_access(_headers: &HeaderMap) -> Access {
    Access::All
}

/// `POST /api/ask`: server-sent events `token` (`{"text"}`: append), `replace` (`{"text"}`:
/// the guard rejected what was shown; show this instead), `citations` (the cited passages),
/// then `done` (the whole response) — or one `error` event (`{"code","message"}`). With
/// `"stream": false`, one JSON response. A client that disconnects cancels generation.
async fn ask(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<AskParams>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(params) = body.map_err(|e| ApiError::bad_request("invalid_body", e.body_text()))?;
    // bad input is a plain 4xx, before any stream starts
    validate_question(&params.question)?;
    let generator = state.generator.clone().ok_or_else(|| ApiError {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "generator_unavailable",
        message: "no generator model is loaded; run scripts/setup.sh or set TRAWL_GENERATOR_MODEL, then restart the server".into(),
    })?;
    let access = request_access(&headers);
    let options = AskOptions::default();
    if params.stream == Some(false) {
        let response = tokio::task::spawn_blocking(move || {
            let asker = Asker {
                index: &state.index,
                embedder: state.embedder.as_ref(),
                generator: generator.as_ref(),
                options: &options,
            };
            run_ask(asker, &params, &access, &mut |_| Flow::Continue)
        })
        .await
        .map_err(ApiError::internal)??;
        return Ok(Json(response).into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    tokio::task::spawn_blocking(move || {
        let asker = Asker {
            index: &state.index,
            embedder: state.embedder.as_ref(),
            generator: generator.as_ref(),
            options: &options,
        };
        let send = |name: &str, data: &dyn erased::Json| {
            let event = Event::default().event(name).data(data.to_json());
            tx.blocking_send(event).is_ok()
        };
        let result = run_ask(asker, &params, &access, &mut |event| {
            let sent = match event {
                // nothing to show yet: only notice a client that went away
                AskEvent::Progress => !tx.is_closed(),
                AskEvent::Text(text) => send("token", &serde_json::json!({ "text": text })),
                AskEvent::Replace(text) => send("replace", &serde_json::json!({ "text": text })),
            };
            if sent { Flow::Continue } else { Flow::Stop }
        });
        match result {
            Ok(response) => {
                let _ = send("citations", &response.citations) && send("done", &response);
            }
            Err(e) if e.code == "cancelled" => {
                tracing::info!("client went away; generation cancelled");
            }
            Err(e) => {
                let _ = send(
                    "error",
                    &serde_json::json!({ "code": e.code, "message": e.message }),
                );
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|event| (Ok::<_, Infallible>(event), rx))
    });
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Serializing the different event payloads through one closure.
mod erased {
    pub(super) trait Json {
        fn to_json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> String {
            serde_json::to_string(self).unwrap_or_else(|_| "null".into())
        }
    }
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
