//! The router and what wraps every request: request ids, tracing, security
//! headers, metrics, time-outs, authentication and rate limits.

use std::{
    future::Future,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use axum::{
    Router,
    extract::{DefaultBodyLimit, MatchedPath, Request, State},
    http::{HeaderName, HeaderValue, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use tower_http::{
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};

use crate::{
    ApiError,
    auth::Principal,
    handlers, openapi, review,
    state::{AppState, Ctx, StartError},
};

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// The embedded UI.
const INDEX_HTML: &str = include_str!("../assets/index.html");
/// Scripts and styles served under `/assets/NAME` (the CSP allows no inline
/// script): add a panel's file here.
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    ),
    (
        "ask.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/ask.js"),
    ),
    (
        "review.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/review.js"),
    ),
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../assets/app.css"),
    ),
];

/// The UI's policy: its own scripts and styles only, no framing.
const UI_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Everything else is data, never a page.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

/// Builds the router.
pub fn app(state: AppState) -> Router {
    let limits = &state.service.config.limits;
    let api = Router::new()
        .route(
            "/api/search",
            get(handlers::search_get).post(handlers::search_post),
        )
        .route("/api/facets", get(handlers::facets))
        .route("/api/ask", post(handlers::ask))
        .route(
            "/api/documents",
            get(handlers::list)
                .post(handlers::upload)
                .layer(DefaultBodyLimit::max(limits.max_upload_bytes)),
        )
        .route(
            "/api/documents/{id}",
            get(handlers::document).delete(handlers::delete),
        )
        .route("/api/documents/{id}/file", get(handlers::file))
        .route("/api/documents/{id}/similar", get(handlers::similar))
        .route("/api/terms", post(review::terms))
        .route("/api/threads", get(review::threads))
        .route("/api/threads/{id}", get(review::thread))
        .route("/api/near-dups", get(review::near_dup_groups))
        .route(
            "/api/documents/{id}/near-dups",
            get(review::document_near_dups),
        )
        .route(
            "/api/documents/{id}/tags",
            get(review::document_tags).post(review::edit_tags),
        )
        .route("/api/review-tags", get(review::review_tags))
        .route(
            "/api/saved-searches",
            get(review::saved_list).post(review::saved_put),
        )
        .route(
            "/api/saved-searches/{name}",
            get(review::saved_get).delete(review::saved_delete),
        )
        .route("/api/jobs/{id}", get(handlers::job))
        .route("/api/whoami", get(handlers::whoami))
        .route("/metrics", get(handlers::metrics))
        // inner to authentication: a caller without a key is told so first
        .route_layer(middleware::from_fn_with_state(state.clone(), cluster_scope))
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    let timeout = Duration::from_secs(state.service.config.server.request_timeout_s.max(1));
    Router::new()
        .route("/", get(ui))
        .route("/assets/{name}", get(asset))
        .route("/api/openapi.json", get(openapi::openapi))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .merge(api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(middleware::from_fn(move |req, next| {
            with_timeout(timeout, req, next)
        }))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(PropagateRequestIdLayer::new(X_REQUEST_ID.clone()))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let id = req
                    .headers()
                    .get(&X_REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                // The URI without its query: queries may be sensitive.
                tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path(), principal = tracing::field::Empty)
            })
            // One line per answered request: status and latency, in the request's span.
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(
            X_REQUEST_ID.clone(),
            MakeRequestUuid,
        ))
        .with_state(state)
}

/// Serves `app(state)` on `listener` until `shutdown` completes; in-flight
/// requests and queued uploads finish. Refuses to serve beyond loopback
/// without API keys.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let addr = listener.local_addr()?;
    let loopback = addr.ip().is_loopback();
    if !state.has_keys() {
        if !loopback {
            return Err(StartError::Unprotected(addr));
        }
        tracing::warn!(
            %addr,
            "NO API KEYS CONFIGURED: local single-user mode, every request has full access. \
             This is only allowed on loopback; create keys with `trawl keys create` to require them"
        );
    }
    state.service.loopback.store(loopback, Ordering::Relaxed);

    // Pick up commits by other writers (a `trawl index` run).
    let reload_every = Duration::from_secs(state.service.config.server.reload_interval_s.max(1));
    let index = state.index.clone();
    let reloader = tokio::spawn(async move {
        let mut tick = tokio::time::interval(reload_every);
        loop {
            tick.tick().await;
            let index = index.clone();
            match tokio::task::spawn_blocking(move || index.reload_if_changed()).await {
                Ok(Ok(true)) => tracing::info!("index changed on disk; reloaded"),
                Ok(Ok(false)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not reload the index"),
                Err(e) => tracing::warn!(error = %e, "index reload task failed"),
            }
        }
    });
    let service = state.service.clone();
    let result = axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await;
    reloader.abort();
    tokio::task::spawn_blocking(move || service.jobs.shutdown())
        .await
        .ok();
    result.map_err(StartError::Io)
}

fn presented_key(req: &Request) -> Option<&str> {
    if let Some(v) = req.headers().get(header::AUTHORIZATION) {
        let v = v.to_str().ok()?;
        let (scheme, key) = v.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| key.trim());
    }
    req.headers()
        .get(&X_API_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// What a server on a cluster backend answers (`trawl serve --backend`): search, facets, ask,
/// the document view and similar documents read the cluster; the rest of the API reads or writes an embedded index (or
/// this process's own files, which would differ from one serving process to the next) and is
/// refused, saying so, rather than answered from the server's empty local folder.
const ON_CLUSTER: [(&str, &str); 8] = [
    ("/api/search", "GET"),
    ("/api/facets", "GET"),
    ("/api/search", "POST"),
    ("/api/ask", "POST"),
    ("/api/documents/{id}", "GET"),
    ("/api/documents/{id}/similar", "GET"),
    ("/api/whoami", "GET"),
    ("/metrics", "GET"),
];

async fn cluster_scope(
    State(state): State<AppState>,
    path: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if state.cluster.is_some() {
        let route = path.as_ref().map_or("", MatchedPath::as_str);
        let method = req.method().as_str();
        if !ON_CLUSTER.contains(&(route, method)) {
            return Err(ApiError::from(
                trawl_service::store::not_supported_on_cluster(&format!("{method} {route}")),
            ));
        }
    }
    Ok(next.run(req).await)
}

async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let service = &state.service;
    let request_id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let principal = match presented_key(&req) {
        Some(key) => service.keys.authenticate(key).ok_or_else(|| {
            ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "invalid_key",
                "the API key is not valid (wrong, revoked or malformed)",
            )
        })?,
        None if !service.keys.has_keys() && service.loopback.load(Ordering::Relaxed) => {
            Principal::local()
        }
        None => {
            return Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "missing_key",
                "an API key is required: send `Authorization: Bearer KEY` or `X-API-Key: KEY`",
            ));
        }
    };
    if let Err(wait) = service.take_token(&principal.name) {
        let mut res = ApiError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "too many requests for key {:?}; retry later",
                principal.name
            ),
        )
        .into_response();
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs_f64().ceil().max(1.0) as u64),
        );
        return Ok(res);
    }
    tracing::Span::current().record("principal", principal.name.as_str());
    req.extensions_mut().insert(Ctx {
        principal,
        request_id,
    });
    Ok(next.run(req).await)
}

async fn with_timeout(limit: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
}

/// Metrics per route and the headers every response carries.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let mut res = next.run(req).await;
    state.service.metrics.observe(
        &route,
        &method,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    let h = res.headers_mut();
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_CSP));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if route.starts_with("/api/") && !route.starts_with("/api/openapi") {
        // Search results and documents are other people's files: never cache.
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    res
}

async fn ui() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(UI_CSP),
            ),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
        ],
        INDEX_HTML,
    )
}

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
            *body,
        )
            .into_response(),
        None => ApiError::not_found("no such asset").into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}
