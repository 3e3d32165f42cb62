//! The endpoints. Every read goes through the principal's [`trawl_search::Access`]
//! inside retrieval, and every search, view, download, upload and delete
//! is written to the audit log.

use std::path::{Component, Path, PathBuf};

use axum::{
    Extension, Json,
    body::Body,
    extract::{Multipart, Path as UrlPath, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use trawl_indexer::{NewFile, UploadMeta};
use trawl_search::FacetRequest;
use utoipa::ToSchema;

use crate::{
    ApiError,
    api::{
        DeleteResponse, DocumentList, DocumentResponse, FacetParams, FacetsResponse, ListParams,
        SearchParams, SearchResponse, SimilarParams, SimilarResponse, UploadAccepted,
    },
    audit::{Action, Record},
    auth::Principal,
    endpoint::{blocking, check_k, check_limits, not_found},
    extract::{ApiJson, ApiQuery},
    jobs::{JobStatus, Work},
    metrics::EmbedSlot,
    search::{run_search, run_similar},
    state::{AppState, Ctx},
};

/// Records an answer: the question and the documents its citations came from.
fn audit_answer(state: &AppState, ctx: &Ctx, question: &str, response: &crate::ask::AskResponse) {
    let cited = response
        .citations
        .iter()
        .map(|c| c.doc_id.clone())
        .collect();
    state.audit(ctx, Record::new(Action::Ask).query(question).docs(cited));
}

async fn do_search(
    state: AppState,
    ctx: Ctx,
    params: SearchParams,
) -> Result<Json<SearchResponse>, ApiError> {
    check_k(params.k)?;
    check_limits(&state, &params.q, params.k, params.offset)?;
    let access = ctx.principal.access();
    let st = state.clone();
    let mut p = params.clone();
    // `[search] fusion` when the request names none, in the form the API's pattern takes
    if p.fusion.as_deref().is_none_or(str::is_empty) && st.service.config.search.fusion.is_some() {
        p.fusion = Some(st.service.config.search.fusion().to_string());
    }
    // Embedding the query is CPU-bound; keep it off the async workers.
    let response = blocking(move || {
        let _slot = EmbedSlot::enter(&st.service.metrics.embedding);
        run_search(st.store(), st.embedder.as_ref(), &p, &access)
    })
    .await?;
    let mut logged = serde_json::to_value(&params).unwrap_or_default();
    if let Some(o) = logged.as_object_mut() {
        o.remove("q");
        o.retain(|_, v| !v.is_null());
    }
    state.audit(
        &ctx,
        Record::new(Action::Search)
            .query(&params.q)
            .params(logged)
            .docs(response.results.iter().map(|r| r.doc_id.clone()).collect()),
    );
    Ok(Json(response))
}

/// Search (query string).
#[utoipa::path(get, path = "/api/search", params(SearchParams),
    responses((status = 200, body = SearchResponse), (status = 400, body = crate::error::ErrorBody), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn search_get(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiQuery(params): ApiQuery<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    do_search(state, ctx, params).await
}

/// Search (JSON body with the same fields as the query string).
#[utoipa::path(post, path = "/api/search", request_body = SearchParams,
    responses((status = 200, body = SearchResponse), (status = 400, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn search_post(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiJson(params): ApiJson<SearchParams>,
) -> Result<Json<SearchResponse>, ApiError> {
    do_search(state, ctx, params).await
}

/// Document counts by kind, tag, custodian and year under a query and filters.
#[utoipa::path(get, path = "/api/facets", params(FacetParams),
    responses((status = 200, body = FacetsResponse), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn facets(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiQuery(params): ApiQuery<FacetParams>,
) -> Result<Json<FacetsResponse>, ApiError> {
    let search = params.as_search();
    check_limits(&state, &search.q, None, None)?;
    let req = FacetRequest {
        query: search.q.clone(),
        filter: search.filter()?,
        access: ctx.principal.access(),
    };
    let st = state.clone();
    let facets = blocking(move || st.store().facets(&req)).await?;
    Ok(Json(facets.into()))
}

/// The original file at `path` (as the index shows it), when one exists
/// within the uploads folder, the indexed folder or a configured root.
fn resolve_file(state: &AppState, path: &str) -> Option<PathBuf> {
    let mut bases = vec![state.service.uploads_dir.clone()];
    bases.extend(trawl_indexer::indexed_root(state.index.dir()));
    bases.extend(state.service.roots.iter().cloned());
    resolve_in(&bases, path)
}

/// `rel` under the first of `bases` that has it, never outside: `rel` must be
/// plain names only, and the resolved file (symbolic links followed) must
/// stay inside its base. `uploads/…` paths resolve in the first base only.
fn resolve_in(bases: &[PathBuf], rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    if rel.as_os_str().is_empty() || !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let mut candidates: Vec<(&PathBuf, &Path)> = Vec::new();
    if let (Some(uploads), Ok(rest)) = (bases.first(), rel.strip_prefix("uploads")) {
        candidates.push((uploads, rest));
    }
    candidates.extend(bases.iter().skip(1).map(|b| (b, rel)));
    for (base, rel) in candidates {
        let (Ok(base), Ok(candidate)) = (
            std::fs::canonicalize(base),
            std::fs::canonicalize(base.join(rel)),
        ) else {
            continue;
        };
        if candidate.starts_with(&base) && candidate.is_file() {
            return Some(candidate);
        }
    }
    None
}

fn has_own_file(doc: &trawl_search::Document) -> bool {
    doc.meta.parent_id.is_none() && doc.meta.kind != "jsonl"
}

/// A document: metadata, extracted text and chunks.
#[utoipa::path(get, path = "/api/documents/{id}", params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = DocumentResponse), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn document(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<DocumentResponse>, ApiError> {
    let access = ctx.principal.access();
    let st = state.clone();
    let key = id.clone();
    let doc = blocking(move || {
        let doc = st.store().document(&key, &access)?;
        Ok::<_, trawl_service::Error>(doc.map(|d| {
            // a cluster's files are on the workers' machines, not this server's
            let file =
                st.cluster.is_none() && has_own_file(&d) && resolve_file(&st, &d.path).is_some();
            (d, file)
        }))
    })
    .await?;
    let Some((doc, has_file)) = doc else {
        return Err(not_found(&id));
    };
    state.audit(
        &ctx,
        Record::new(Action::View).docs(vec![doc.doc_id.clone()]),
    );
    Ok(Json(DocumentResponse::new(doc, has_file)))
}

/// Documents like this one (nearest mean chunk vectors), within the caller's
/// access and the filters; the document itself is never listed.
#[utoipa::path(get, path = "/api/documents/{id}/similar", params(("id" = String, Path, description = "document id"), SimilarParams),
    responses((status = 200, body = SimilarResponse), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn similar(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
    ApiQuery(params): ApiQuery<SimilarParams>,
) -> Result<Json<SimilarResponse>, ApiError> {
    check_limits(&state, "", params.limit, None)?;
    let access = ctx.principal.access();
    let (st, key) = (state.clone(), id.clone());
    let found = blocking(move || run_similar(st.store(), &key, &params, &access)).await?;
    let Some(response) = found else {
        return Err(not_found(&id));
    };
    let mut ids = vec![response.doc_id.clone()];
    ids.extend(response.results.iter().map(|r| r.doc_id.clone()));
    state.audit(&ctx, Record::new(Action::Similar).docs(ids));
    Ok(Json(response))
}

/// The documents the caller may see, by path, under the filters.
#[utoipa::path(get, path = "/api/documents", params(ListParams),
    responses((status = 200, body = DocumentList), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<DocumentList>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    check_limits(&state, "", Some(limit), params.offset)?;
    let filter = params.filter()?;
    let access = ctx.principal.access();
    let index = state.index.clone();
    let docs = blocking(move || index.documents(&filter, &access, None)).await?;
    let total = docs.len();
    let page: Vec<_> = docs
        .into_iter()
        .skip(params.offset.unwrap_or(0))
        .take(limit)
        .map(Into::into)
        .collect();
    state.audit(
        &ctx,
        Record::new(Action::List).docs(
            page.iter()
                .map(|d: &crate::api::DocumentSummary| d.doc_id.clone())
                .collect(),
        ),
    );
    Ok(Json(DocumentList {
        total,
        documents: page,
    }))
}

fn content_type(kind: &str) -> &'static str {
    match kind {
        "pdf" => "application/pdf",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "html" => "text/html; charset=utf-8",
        "markdown" => "text/markdown; charset=utf-8",
        "text" => "text/plain; charset=utf-8",
        "email" => "message/rfc822",
        "mbox" => "application/mbox",
        _ => "application/octet-stream",
    }
}

/// A file name safe for a header: ASCII letters, digits, `.`, `-`, `_`.
pub(crate) fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while out.starts_with('.') {
        out.remove(0);
    }
    if out.len() > 120 {
        let ext = out
            .rfind('.')
            .map(|i| out[i..].to_owned())
            .filter(|e| e.len() <= 10);
        out.truncate(120 - ext.as_ref().map_or(0, String::len));
        out.push_str(&ext.unwrap_or_default());
    }
    if out.trim_matches('_').is_empty() {
        "document".to_owned()
    } else {
        out
    }
}

/// The original file, as indexed (its hash is checked), always as a download.
#[utoipa::path(get, path = "/api/documents/{id}/file", params(("id" = String, Path, description = "document id")),
    responses((status = 200, description = "the file, with the content type of its kind",
            content((String = "application/pdf"), (String = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                (String = "text/html"), (String = "text/markdown"), (String = "text/plain"), (String = "message/rfc822"),
                (String = "application/mbox"), (String = "application/octet-stream"))),
        (status = 404, description = "`not_found`, `no_file` or `file_unavailable`", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn file(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
) -> Result<Response, ApiError> {
    let access = ctx.principal.access();
    let st = state.clone();
    let key = id.clone();
    let found = blocking(move || -> Result<_, ApiError> {
        let Some(doc) = st.index.document(&key, &access)? else {
            return Ok(None);
        };
        if !has_own_file(&doc) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "no_file",
                "this document has no file of its own (an attachment or a corpus record); download its parent",
            ));
        }
        let unavailable = || {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "file_unavailable",
                "the original file is not available: moved, changed since it was indexed, or outside the served folders",
            )
        };
        let path = resolve_file(&st, &doc.path).ok_or_else(unavailable)?;
        let bytes = std::fs::read(&path).map_err(|_| unavailable())?;
        let hash = hex::encode(Sha256::digest(&bytes));
        if hash != doc.meta.sha256 {
            return Err(unavailable());
        }
        Ok(Some((doc, bytes)))
    }).await?;
    let Some((doc, bytes)) = found else {
        return Err(not_found(&id));
    };
    state.audit(
        &ctx,
        Record::new(Action::Download).docs(vec![doc.doc_id.clone()]),
    );
    let name = sanitize_name(&doc.path);
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&doc.meta.kind)),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            // A downloaded HTML file must never run as this site's page.
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        Body::from(bytes),
    )
        .into_response())
}

fn require_admin(p: &Principal) -> Result<(), ApiError> {
    if p.admin {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this needs an admin key",
        ))
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the upload is larger than the server accepts",
        )
    } else {
        ApiError::bad_request("invalid_multipart", e.body_text())
    }
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Upload one or more files (multipart `file` fields, plus optional `groups`,
/// `tags` as comma-separated lists, `custodian` and `date`); indexed in the background.
#[utoipa::path(post, path = "/api/documents",
    request_body(content_type = "multipart/form-data", description = "`file` fields, optional `groups`, `tags`, `custodian`, `date`"),
    responses((status = 202, body = UploadAccepted), (status = 400, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody), (status = 415, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<UploadAccepted>), ApiError> {
    if let Err(e) = require_admin(&ctx.principal) {
        state.audit(&ctx, Record::new(Action::Upload).status(e.status));
        return Err(e);
    }
    let mut multipart =
        multipart.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
    let job_id = random_hex(8);
    let dir = state.service.uploads_dir.join(&job_id);
    let result = receive(&state, &mut multipart, &dir, &job_id).await;
    let (files, meta) = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(e);
        }
    };
    let names: Vec<String> = files.iter().map(|f| f.display_path.clone()).collect();
    state
        .service
        .jobs
        .submit(Work {
            id: job_id.clone(),
            files,
            meta,
            principal: ctx.principal.name.clone(),
            request_id: ctx.request_id.clone(),
        })
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", e))?;
    state.audit(
        &ctx,
        Record::new(Action::Upload)
            .params(serde_json::json!({ "job": job_id, "files": names }))
            .status(StatusCode::ACCEPTED),
    );
    Ok((
        StatusCode::ACCEPTED,
        Json(UploadAccepted {
            status_url: format!("/api/jobs/{job_id}"),
            job_id,
            files: names,
        }),
    ))
}

async fn receive(
    state: &AppState,
    multipart: &mut Multipart,
    dir: &Path,
    job_id: &str,
) -> Result<(Vec<NewFile>, UploadMeta), ApiError> {
    let limits = &state.service.config.limits;
    let mut files: Vec<NewFile> = Vec::new();
    let mut meta = UploadMeta::default();
    let list = |s: String| -> Vec<String> {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let mut total: usize = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        let field_name = field.name().unwrap_or("").to_owned();
        let Some(original) = field.file_name().map(str::to_owned) else {
            let value = field.text().await.map_err(multipart_error)?;
            match field_name.as_str() {
                "groups" => meta.groups = list(value),
                "tags" => meta.tags = list(value),
                "custodian" => meta.custodian = Some(value).filter(|v| !v.trim().is_empty()),
                "date" => meta.date = Some(value).filter(|v| !v.trim().is_empty()),
                other => {
                    return Err(ApiError::bad_request(
                        "unknown_field",
                        format!(
                            "unknown form field {other:?}; expected file, groups, tags, custodian, date"
                        ),
                    ));
                }
            }
            continue;
        };
        if files.len() >= limits.max_upload_files {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_files",
                format!("at most {} files per upload", limits.max_upload_files),
            ));
        }
        let mut name = sanitize_name(&original);
        let ext = Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !limits
            .upload_extensions
            .iter()
            .any(|e| e.eq_ignore_ascii_case(&ext))
        {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                format!(
                    "{name:?}: only {} files are accepted",
                    limits.upload_extensions.join(", ")
                ),
            ));
        }
        if files
            .iter()
            .any(|f| f.path.file_name() == Some(name.as_ref()))
        {
            name = format!("{}-{name}", files.len() + 1);
        }
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(ApiError::internal)?;
        let path = dir.join(&name);
        let mut out = tokio::fs::File::create(&path)
            .await
            .map_err(ApiError::internal)?;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            total += chunk.len();
            if total > limits.max_upload_bytes {
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    "the upload is larger than the server accepts",
                ));
            }
            out.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        out.flush().await.map_err(ApiError::internal)?;
        files.push(NewFile {
            path,
            display_path: format!("uploads/{job_id}/{name}"),
        });
    }
    if files.is_empty() {
        return Err(ApiError::bad_request(
            "no_files",
            "the upload has no `file` field",
        ));
    }
    meta.validate()?;
    Ok((files, meta))
}

/// Status of an upload job.
#[utoipa::path(get, path = "/api/jobs/{id}", params(("id" = String, Path, description = "job id")),
    responses((status = 200, body = JobStatus), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn job(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<JobStatus>, ApiError> {
    require_admin(&ctx.principal)?;
    state
        .service
        .jobs
        .get(&id)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no job {id:?}")))
}

/// Delete a document (and its attachments) from both arms in one commit.
#[utoipa::path(delete, path = "/api/documents/{id}", params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = DeleteResponse), (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody), (status = 409, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<DeleteResponse>, ApiError> {
    if let Err(e) = require_admin(&ctx.principal) {
        state.audit(
            &ctx,
            Record::new(Action::Delete)
                .docs(vec![id.clone()])
                .status(e.status),
        );
        return Err(e);
    }
    let st = state.clone();
    let key = id.clone();
    let deleted = blocking(move || {
        // An upload job of this server may hold the writer for a moment; a
        // foreign writer (a `trawl index` run) longer: then answer 409.
        let started = std::time::Instant::now();
        loop {
            match trawl_indexer::delete_document(&st.index, &key) {
                Err(trawl_indexer::Error::Search(trawl_search::Error::Locked(_)))
                    if started.elapsed() < std::time::Duration::from_secs(3) =>
                {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                other => break other,
            }
        }
    })
    .await?;
    let Some(deleted) = deleted else {
        return Err(not_found(&id));
    };
    if let Some(p) = deleted.upload_path.as_deref()
        && let Some(file) = resolve_file(&state, p)
    {
        if let Err(e) = std::fs::remove_file(&file) {
            tracing::warn!(path = %file.display(), error = %e, "could not remove an uploaded file");
        }
        if let Some(parent) = file.parent() {
            let _ = std::fs::remove_dir(parent); // only when empty
        }
    }
    state.audit(
        &ctx,
        Record::new(Action::Delete).docs(deleted.doc_ids.clone()),
    );
    Ok(Json(DeleteResponse {
        deleted: deleted.doc_ids,
    }))
}

/// Who the key belongs to.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WhoAmI {
    name: String,
    groups: Vec<String>,
    admin: bool,
}

/// The caller's principal (for the UI).
#[utoipa::path(get, path = "/api/whoami", responses((status = 200, body = WhoAmI), (status = 401, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn whoami(Extension(ctx): Extension<Ctx>) -> Json<WhoAmI> {
    Json(WhoAmI {
        name: ctx.principal.name,
        groups: ctx.principal.groups,
        admin: ctx.principal.admin,
    })
}

/// Prometheus text exposition.
pub(crate) async fn metrics(State(state): State<AppState>) -> Response {
    let st = state.clone();
    let text = tokio::task::spawn_blocking(move || {
        st.service
            .metrics
            .render(&st.index, st.service.jobs.pending())
    })
    .await
    .unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    status: &'static str,
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Ready {
    status: &'static str,
    documents: u64,
    chunks: u64,
    model: String,
    /// Where the passages are: `embedded` (the index folder) or the cluster's `solr://` URL.
    backend: String,
}

/// Readiness: the index is open (on a cluster backend: a node answers for the collection).
#[utoipa::path(get, path = "/readyz", responses((status = 200, body = Ready), (status = 503, body = crate::error::ErrorBody)))]
pub(crate) async fn readyz(State(state): State<AppState>) -> Result<Json<Ready>, ApiError> {
    let (documents, chunks, backend) = match state.cluster.clone() {
        None => {
            let stats = state.index.stats();
            (stats.documents, stats.chunks, "embedded".to_owned())
        }
        Some(cluster) => {
            let (documents, chunks) = tokio::task::spawn_blocking({
                let cluster = cluster.clone();
                move || cluster.stats()
            })
            .await
            .map_err(|e| ApiError::internal(format!("readiness check: {e}")))?
            .map_err(|e| {
                tracing::warn!(error = %e, "the cluster is not ready");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "cluster_unavailable",
                    "no node of the cluster answered for the collection",
                )
            })?;
            (documents, chunks, cluster.url().to_string())
        }
    };
    Ok(Json(Ready {
        status: "ready",
        documents,
        chunks,
        model: state.embedder.info().name.clone(),
        backend,
    }))
}

/// One server-sent event of `POST /api/ask`, as its `event:` and `data:` lines; it only
/// describes the stream in the OpenAPI document (the handler writes events directly).
#[derive(ToSchema)]
#[allow(dead_code)] // never built: the derive reads the fields
pub(crate) struct AskStreamEvent {
    /// `token`, `replace`, `citations`, `done` or `error`.
    #[schema(pattern = "^(token|replace|citations|done|error)$")]
    event: String,
    /// The event's JSON (see the operation's description).
    data: String,
}

/// Grounded answer to a question, from the documents the caller may see.
///
/// Server-sent events (`text/event-stream`), in order: `token` (`{"text"}`: append to the
/// answer shown; the first is the selected sentences, quoted), `replace` (`{"text"}`: the
/// model's wording of them, which passed the guard; show this instead), `citations` (an array of `Citation`), `done` (the whole `AskResponse`); or a
/// single `error` event (`{"code", "message"}`). With `"stream": false`, one JSON
/// `AskResponse`. A client that disconnects cancels generation. Retrieval runs with the
/// caller's access, so a passage they may not see never reaches the prompt; the question
/// and the cited documents go to the audit log.
#[utoipa::path(post, path = "/api/ask", request_body = crate::ask::AskParams,
    responses(
        (status = 200, description = "server-sent events `token`, `replace`, `citations`, `done` or `error` (see above); with `\"stream\": false` one JSON answer",
            content((crate::ask::AskResponse = "application/json"), (AskStreamEvent = "text/event-stream"))),
        (status = 400, body = crate::error::ErrorBody), (status = 413, body = crate::error::ErrorBody),
        (status = 503, description = "`busy` (queue full) or `generator_unavailable`", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn ask(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiJson(params): ApiJson<crate::ask::AskParams>,
) -> Result<Response, ApiError> {
    use std::convert::Infallible;

    use axum::response::sse::{Event, KeepAlive, Sse};
    use trawl_generator::Flow;

    use crate::ask::{AskEvent, AskOptions, Asker, run_ask};

    // Bad input is a plain 4xx, before any stream starts.
    params.validate()?;
    let generator = state.generator.clone().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "generator_unavailable",
            "no generator model is loaded; run scripts/setup.sh or set TRAWL_GENERATOR_MODEL, then restart the server",
        )
    })?;
    let access = ctx.principal.access();
    let options = AskOptions {
        fusion: state.service.config.search.fusion(),
        ..AskOptions::default()
    };
    let question = params.question.clone();
    if params.stream == Some(false) {
        let st = state.clone();
        let response = blocking(move || {
            let asker = Asker {
                store: st.store(),
                embedder: st.embedder.as_ref(),
                generator: generator.as_ref(),
                options: &options,
            };
            run_ask(asker, &params, &access, &mut |_| Flow::Continue)
        })
        .await?;
        audit_answer(&state, &ctx, &question, &response);
        return Ok(Json(response).into_response());
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<Event>(64);
    tokio::task::spawn_blocking(move || {
        let asker = Asker {
            store: state.store(),
            embedder: state.embedder.as_ref(),
            generator: generator.as_ref(),
            options: &options,
        };
        let send = |name: &str, data: serde_json::Value| {
            let event = Event::default().event(name).data(data.to_string());
            tx.blocking_send(event).is_ok()
        };
        let result = run_ask(asker, &params, &access, &mut |event| {
            let sent = match event {
                // Nothing to show yet: only notice a client that went away.
                AskEvent::Progress => !tx.is_closed(),
                AskEvent::Text(text) => send("token", serde_json::json!({ "text": text })),
                AskEvent::Replace(text) => send("replace", serde_json::json!({ "text": text })),
            };
            if sent { Flow::Continue } else { Flow::Stop }
        });
        match result {
            Ok(response) => {
                audit_answer(&state, &ctx, &question, &response);
                let citations = serde_json::to_value(&response.citations).unwrap_or_default();
                let done = serde_json::to_value(&response).unwrap_or_default();
                let _ = send("citations", citations) && send("done", done);
            }
            Err(trawl_service::Error::Cancelled) => {
                tracing::info!("client went away; generation cancelled");
            }
            Err(e) => {
                let e = ApiError::from(e);
                let _ = send(
                    "error",
                    serde_json::json!({ "code": e.code, "message": e.message }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_resolve_only_inside_their_folders() {
        let dir = tempfile::tempdir().unwrap();
        let (uploads, root) = (dir.path().join("uploads"), dir.path().join("root"));
        std::fs::create_dir_all(uploads.join("job1")).unwrap();
        std::fs::create_dir_all(root.join("hr")).unwrap();
        std::fs::write(uploads.join("job1/a.md"), "a").unwrap();
        std::fs::write(root.join("hr/b.md"), "b").unwrap();
        std::fs::write(dir.path().join("secret.txt"), "s").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), root.join("hr/link.md")).unwrap();
        let bases = [uploads.clone(), root.clone()];
        assert!(
            resolve_in(&bases, "uploads/job1/a.md")
                .unwrap()
                .ends_with("uploads/job1/a.md")
        );
        assert!(
            resolve_in(&bases, "hr/b.md")
                .unwrap()
                .ends_with("root/hr/b.md")
        );
        for bad in [
            "",
            "../secret.txt",
            "hr/../../secret.txt",
            "/etc/passwd",
            "uploads/../secret.txt",
            "hr/link.md",
            "hr",
            "./hr/b.md",
        ] {
            assert_eq!(resolve_in(&bases, bad), None, "{bad}");
        }
    }

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize_name("../../etc/merger memo.md"), "merger_memo.md");
        assert_eq!(sanitize_name("C:\\x\\évil\"name.pdf"), "_vil_name.pdf");
        assert_eq!(sanitize_name(".hidden.md"), "hidden.md");
        assert_eq!(sanitize_name("..."), "document");
        let long = format!("{}.pdf", "a".repeat(300));
        let s = sanitize_name(&long);
        assert!(s.len() <= 120 && s.ends_with(".pdf"), "{s}");
    }
}
