//! The review endpoints: search-term reports, e-mail threads, near-duplicate
//! groups, review tags and saved searches.
//!
//! Each runs as the caller's principal: listings and counts start from the
//! documents its `Access` allows (see [`crate::discovery`]), a document it
//! may not see is a 404 like a missing one, and every call is audited like a
//! search. Any key that can see a document may read and change its review
//! tags; the journal records the key's name as the reviewer. Saved searches
//! belong to the key's name: no call lists or reads another name's.

use std::{collections::BTreeSet, sync::Arc};

use axum::{
    Extension, Json,
    extract::{Path as UrlPath, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use trawl_search::{TagJournal, TagOp, TermsRequest};

use crate::{
    ApiError,
    api::{
        DocumentNearDups, DocumentTags, NearDupGroups, NearDupParams, ReviewTagCount, ReviewTags,
        SavedSearch, SavedSearchInput, SavedSearches, SearchParams, TagEdit, TagEventView,
        TermsParams, TermsResponse, ThreadView, ThreadsParams, ThreadsResponse, check_threshold,
    },
    audit::{Action, Record},
    discovery,
    endpoint::{blocking, check_k, check_limits, not_found},
    extract::{ApiJson, ApiQuery},
    state::{AppState, Ctx},
};

/// Most terms in one report.
pub(crate) const MAX_TERMS: usize = 500;
/// Most tag additions, and most removals, in one request.
pub(crate) const MAX_TAG_OPS: usize = 50;

/// The non-empty fields of `value`, for the audit log.
fn logged(value: &impl serde::Serialize) -> serde_json::Value {
    let mut v = serde_json::to_value(value).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.retain(|_, v| !v.is_null());
    }
    v
}

/// Search-term report: per term, the documents it hits (Boolean logic per
/// document), those no other term hits and the passages matched; the set's
/// deduplicated count. Counts only documents the caller may see.
#[utoipa::path(post, path = "/api/terms", request_body = TermsParams,
    responses((status = 200, body = TermsResponse), (status = 400, description = "`no_terms`, `too_many_terms`, `query_too_long`, `invalid_term` (the message names the term and its position), `invalid_date`, `unknown_thread`", body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn terms(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiJson(params): ApiJson<TermsParams>,
) -> Result<Json<TermsResponse>, ApiError> {
    if params.terms.is_empty() {
        return Err(ApiError::bad_request(
            "no_terms",
            "`terms` is empty: give one query per term",
        ));
    }
    if params.terms.len() > MAX_TERMS {
        return Err(ApiError::bad_request(
            "too_many_terms",
            format!(
                "{} terms; at most {MAX_TERMS} per report",
                params.terms.len()
            ),
        ));
    }
    for (i, t) in params.terms.iter().enumerate() {
        check_limits(&state, t, None, None).map_err(|e| ApiError {
            message: format!("term {}: {}", i + 1, e.message),
            ..e
        })?;
    }
    let search = params.as_search();
    let filter = search.filter()?;
    let tags = search.review_tags();
    let access = ctx.principal.access();
    let index = state.index.clone();
    let p = params.clone();
    let report = blocking(move || {
        // A blank thread is no thread, as in a search.
        let thread = p.thread.as_deref().filter(|t| !t.trim().is_empty());
        let doc_ids = discovery::restriction(&index, &access, &tags, thread)?;
        let req = TermsRequest {
            queries: p.terms,
            filter,
            access,
            doc_ids: doc_ids.map(Arc::new),
        };
        index.term_report(&req).map_err(|e| {
            if e.is_user_error() {
                ApiError::bad_request("invalid_term", e.to_string())
            } else {
                e.into()
            }
        })
    })
    .await?;
    let hit: BTreeSet<&String> = report.terms.iter().flat_map(|t| &t.doc_ids).collect();
    state.audit(
        &ctx,
        Record::new(Action::Terms)
            .params(logged(&params))
            .docs(hit.into_iter().cloned().collect()),
    );
    Ok(Json(report.into()))
}

/// E-mail threads among the messages the caller may see (two or more
/// messages unless `all`; only the one holding `doc_id` when given).
#[utoipa::path(get, path = "/api/threads", params(ThreadsParams),
    responses((status = 200, body = ThreadsResponse), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn threads(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiQuery(params): ApiQuery<ThreadsParams>,
) -> Result<Json<ThreadsResponse>, ApiError> {
    let access = ctx.principal.access();
    let index = state.index.clone();
    let p = params.clone();
    let threads = blocking(move || {
        discovery::thread_list(&index, &access, p.all.unwrap_or(false), p.doc_id.as_deref())
    })
    .await?;
    state.audit(
        &ctx,
        Record::new(Action::Threads).params(logged(&params)).docs(
            threads
                .iter()
                .flat_map(|t| t.doc_ids.iter().cloned())
                .collect(),
        ),
    );
    Ok(Json(ThreadsResponse { threads }))
}

/// One thread: its messages in order with sender, recipients and whether
/// each is inclusive; participants and subject.
#[utoipa::path(get, path = "/api/threads/{id}", params(("id" = String, Path, description = "thread id (`t-…`)")),
    responses((status = 200, body = ThreadView), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn thread(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<ThreadView>, ApiError> {
    let access = ctx.principal.access();
    let index = state.index.clone();
    let key = id.clone();
    let view = blocking(move || discovery::thread_view(&index, &access, &key))
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no thread {id:?}")))?;
    state.audit(
        &ctx,
        Record::new(Action::Thread)
            .params(serde_json::json!({ "thread": id }))
            .docs(view.messages.iter().map(|m| m.doc_id.clone()).collect()),
    );
    Ok(Json(view))
}

/// Near-duplicate groups among the documents the caller may see.
#[utoipa::path(get, path = "/api/near-dups", params(NearDupParams),
    responses((status = 200, body = NearDupGroups), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn near_dup_groups(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiQuery(params): ApiQuery<NearDupParams>,
) -> Result<Json<NearDupGroups>, ApiError> {
    let threshold = check_threshold(params.threshold)?;
    let access = ctx.principal.access();
    let index = state.index.clone();
    let groups = blocking(move || {
        let groups = discovery::near_dup_groups(&index, &access, threshold)?;
        discovery::group_views(&index, &access, &groups)
    })
    .await?;
    state.audit(
        &ctx,
        Record::new(Action::NearDups)
            .params(serde_json::json!({ "threshold": threshold }))
            .docs(
                groups
                    .iter()
                    .flat_map(|g| g.members.iter().map(|m| m.doc_id.clone()))
                    .collect(),
            ),
    );
    Ok(Json(NearDupGroups { threshold, groups }))
}

/// The near-duplicate group of one document, among documents the caller may see.
#[utoipa::path(get, path = "/api/documents/{id}/near-dups", params(("id" = String, Path, description = "document id"), NearDupParams),
    responses((status = 200, body = DocumentNearDups), (status = 400, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn document_near_dups(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
    ApiQuery(params): ApiQuery<NearDupParams>,
) -> Result<Json<DocumentNearDups>, ApiError> {
    let threshold = check_threshold(params.threshold)?;
    let access = ctx.principal.access();
    let index = state.index.clone();
    let key = id.clone();
    let group = blocking(move || {
        if index.document_info(&key, &access)?.is_none() {
            return Ok(None);
        }
        let groups: Vec<_> = discovery::near_dup_groups(&index, &access, threshold)?
            .into_iter()
            .filter(|g| g.members.iter().any(|m| m.doc_id == key))
            .collect();
        Ok::<_, ApiError>(Some(
            discovery::group_views(&index, &access, &groups)?
                .into_iter()
                .next(),
        ))
    })
    .await?
    .ok_or_else(|| not_found(&id))?;
    let mut ids = vec![id.clone()];
    if let Some(g) = &group {
        ids.extend(
            g.members
                .iter()
                .map(|m| m.doc_id.clone())
                .filter(|d| d != &id),
        );
    }
    state.audit(
        &ctx,
        Record::new(Action::NearDups)
            .params(serde_json::json!({ "threshold": threshold }))
            .docs(ids),
    );
    Ok(Json(DocumentNearDups {
        doc_id: id,
        threshold,
        group,
    }))
}

/// A document's review tags and their history, when the caller may see it.
fn read_tags(state: &AppState, ctx: &Ctx, id: &str) -> Result<Option<DocumentTags>, ApiError> {
    if state
        .index
        .document_info(id, &ctx.principal.access())?
        .is_none()
    {
        return Ok(None);
    }
    let events: Vec<_> = TagJournal::new(state.index.dir())
        .events()
        .map_err(discovery::review_tag_error)?
        .into_iter()
        .filter(|e| e.doc_id == id)
        .collect();
    // The current tags replay the journal's operations, before they become wire strings.
    let mut tags = BTreeSet::new();
    for e in &events {
        match e.op {
            TagOp::Add => tags.insert(e.tag.clone()),
            TagOp::Remove => tags.remove(&e.tag),
        };
    }
    let history = events
        .into_iter()
        .map(|e| TagEventView {
            time: e.time,
            by: e.by,
            op: match e.op {
                TagOp::Add => "add",
                TagOp::Remove => "remove",
            }
            .to_owned(),
            tag: e.tag,
        })
        .collect();
    Ok(Some(DocumentTags {
        doc_id: id.to_owned(),
        tags: tags.into_iter().collect(),
        history,
    }))
}

/// A document's review tags and who added or removed them when.
#[utoipa::path(get, path = "/api/documents/{id}/tags", params(("id" = String, Path, description = "document id")),
    responses((status = 200, body = DocumentTags), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn document_tags(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<DocumentTags>, ApiError> {
    let (st, c, key) = (state.clone(), ctx.clone(), id.clone());
    let tags = blocking(move || read_tags(&st, &c, &key))
        .await?
        .ok_or_else(|| not_found(&id))?;
    state.audit(&ctx, Record::new(Action::Tags).docs(vec![id]));
    Ok(Json(tags))
}

/// Adds and removes review tags on a document the caller may see; each change
/// is appended to the review-tag journal with the key's name as reviewer.
/// Adding a tag already there or removing one that is not records nothing.
#[utoipa::path(post, path = "/api/documents/{id}/tags", params(("id" = String, Path, description = "document id")), request_body = TagEdit,
    responses((status = 200, body = DocumentTags), (status = 400, description = "`no_tag_changes`, `too_many_tag_changes`, `invalid_review_tag`", body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn edit_tags(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(id): UrlPath<String>,
    ApiJson(edit): ApiJson<TagEdit>,
) -> Result<Json<DocumentTags>, ApiError> {
    if edit.add.is_empty() && edit.remove.is_empty() {
        return Err(ApiError::bad_request(
            "no_tag_changes",
            "give tags to `add` or `remove`",
        ));
    }
    // A bound per list, not on their sum, so the OpenAPI document can state it (`maxItems`).
    for (list, tags) in [("add", &edit.add), ("remove", &edit.remove)] {
        if tags.len() > MAX_TAG_OPS {
            return Err(ApiError::bad_request(
                "too_many_tag_changes",
                format!(
                    "{} tags to {list}; at most {MAX_TAG_OPS} per request",
                    tags.len()
                ),
            ));
        }
    }
    // Every tag is checked before anything is recorded.
    let norm = |tags: &[String]| -> Result<Vec<String>, ApiError> {
        tags.iter()
            .map(|t| TagJournal::normalize(t).map_err(|e| discovery::review_tag_error(e).into()))
            .collect()
    };
    let (add, remove) = (norm(&edit.add)?, norm(&edit.remove)?);
    let (st, c, key) = (state.clone(), ctx.clone(), id.clone());
    let after = blocking(move || {
        let Some(before) = read_tags(&st, &c, &key)? else {
            return Ok(None);
        };
        let journal = TagJournal::new(st.index.dir());
        let mut now: BTreeSet<String> = before.tags.into_iter().collect();
        for (op, tags) in [(TagOp::Remove, &remove), (TagOp::Add, &add)] {
            for t in tags {
                let changes = match op {
                    TagOp::Add => now.insert(t.clone()),
                    TagOp::Remove => now.remove(t),
                };
                if changes {
                    journal
                        .record(op, &key, t, &c.principal.name)
                        .map_err(discovery::review_tag_error)?;
                }
            }
        }
        read_tags(&st, &c, &key)
    })
    .await?
    .ok_or_else(|| not_found(&id))?;
    state.audit(
        &ctx,
        Record::new(Action::Tag)
            .params(logged(&edit))
            .docs(vec![id]),
    );
    Ok(Json(after))
}

/// Review tags in use on documents the caller may see, with document counts.
#[utoipa::path(get, path = "/api/review-tags",
    responses((status = 200, body = ReviewTags)),
    security(("bearer" = [])))]
pub(crate) async fn review_tags(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<ReviewTags>, ApiError> {
    let access = ctx.principal.access();
    let index = state.index.clone();
    let counts = blocking(move || discovery::review_tag_counts(&index, &access)).await?;
    Ok(Json(ReviewTags {
        tags: counts
            .into_iter()
            .map(|(tag, documents)| ReviewTagCount { tag, documents })
            .collect(),
    }))
}

/// Checks a search to be saved as a search would be checked when run.
fn validate_search(state: &AppState, s: &SearchParams) -> Result<(), ApiError> {
    check_k(s.k)?;
    check_limits(state, &s.q, s.k, s.offset)?;
    if s.q.trim().is_empty() {
        return Err(ApiError::bad_request("empty_query", "the query is empty"));
    }
    s.mode()?;
    s.fusion()?;
    s.filter()?;
    s.near_dup_threshold()?;
    for t in s.review_tags() {
        TagJournal::normalize(&t).map_err(discovery::review_tag_error)?;
    }
    Ok(())
}

/// The caller's saved searches.
#[utoipa::path(get, path = "/api/saved-searches",
    responses((status = 200, body = SavedSearches)),
    security(("bearer" = [])))]
pub(crate) async fn saved_list(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
) -> Result<Json<SavedSearches>, ApiError> {
    let (st, who) = (state.clone(), ctx.principal.name.clone());
    let saved = blocking(move || st.service.saved.list(&who)).await?;
    Ok(Json(SavedSearches { saved }))
}

/// One of the caller's saved searches.
#[utoipa::path(get, path = "/api/saved-searches/{name}", params(("name" = String, Path, description = "saved search name")),
    responses((status = 200, body = SavedSearch), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn saved_get(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(name): UrlPath<String>,
) -> Result<Json<SavedSearch>, ApiError> {
    let (st, who, n) = (state.clone(), ctx.principal.name.clone(), name.clone());
    blocking(move || st.service.saved.get(&who, &n))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no saved search {name:?}")))
}

/// Saves a search (query, mode, filters) under a name, replacing the
/// caller's search of that name: 201 when new, 200 when replaced.
#[utoipa::path(post, path = "/api/saved-searches", request_body = SavedSearchInput,
    responses((status = 201, body = SavedSearch), (status = 200, body = SavedSearch), (status = 400, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn saved_put(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    ApiJson(input): ApiJson<SavedSearchInput>,
) -> Result<Response, ApiError> {
    validate_search(&state, &input.search)?;
    let (st, who, i) = (state.clone(), ctx.principal.name.clone(), input.clone());
    let (saved, is_new) = blocking(move || st.service.saved.put(&who, &i.name, i.search)).await?;
    state.audit(
        &ctx,
        Record::new(Action::SaveSearch)
            .query(&input.search.q)
            .params(serde_json::json!({ "name": input.name })),
    );
    let status = if is_new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(saved)).into_response())
}

/// Deletes one of the caller's saved searches.
#[utoipa::path(delete, path = "/api/saved-searches/{name}", params(("name" = String, Path, description = "saved search name")),
    responses((status = 204, description = "deleted"), (status = 404, body = crate::error::ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn saved_delete(
    State(state): State<AppState>,
    Extension(ctx): Extension<Ctx>,
    UrlPath(name): UrlPath<String>,
) -> Result<StatusCode, ApiError> {
    let (st, who, n) = (state.clone(), ctx.principal.name.clone(), name.clone());
    let deleted = blocking(move || st.service.saved.delete(&who, &n)).await?;
    if !deleted {
        return Err(ApiError::not_found(format!("no saved search {name:?}")));
    }
    state.audit(
        &ctx,
        Record::new(Action::DeleteSearch).params(serde_json::json!({ "name": name })),
    );
    Ok(StatusCode::NO_CONTENT)
}
