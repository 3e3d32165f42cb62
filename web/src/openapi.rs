//! The OpenAPI document (`GET /api/openapi.json`): derived with `utoipa` from the endpoints'
//! path attributes and the wire types' schema attributes, then completed with what the derive
//! cannot state — this server's configured `[limits]`, the errors every operation can get from
//! the layers around it, and the tag edit's cross-field rule.

use axum::{
    Json,
    extract::State,
    response::{IntoResponse, Response},
};
use utoipa::OpenApi;

use crate::{handlers, review, state::AppState};

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-API-Key"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "trawl", description = "Private, on-prem hybrid search over your documents. Every endpoint under /api (except this one) needs an API key unless the server runs in local single-user mode."),
    paths(handlers::search_get, handlers::search_post, handlers::facets, handlers::list, handlers::document,
        handlers::similar, handlers::file, handlers::upload, handlers::job, handlers::delete, handlers::ask,
        handlers::whoami, handlers::healthz, handlers::readyz,
        review::terms, review::threads, review::thread, review::near_dup_groups,
        review::document_near_dups, review::document_tags, review::edit_tags,
        review::review_tags, review::saved_list, review::saved_get,
        review::saved_put, review::saved_delete),
    components(schemas(crate::ask::AskParams, crate::ask::AskResponse, crate::ask::Citation, crate::ask::AskTimings)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The OpenAPI description of this API, with this server's configured limits.
pub(crate) async fn openapi(State(state): State<AppState>) -> Response {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    apply_limits(&mut doc, &state.service.config.limits);
    add_error_responses(&mut doc);
    add_cross_field_rules(&mut doc);
    Json(doc).into_response()
}

/// The rules that span fields, which the derive cannot state: a tag edit changes at least
/// one tag (`no_tag_changes`).
fn add_cross_field_rules(doc: &mut serde_json::Value) {
    let non_empty = |field: &str| serde_json::json!({"required": [field], "properties": {field: {"minItems": 1}}});
    if let Some(edit) = doc.pointer_mut("/components/schemas/TagEdit")
        && let Some(edit) = edit.as_object_mut()
    {
        edit.insert(
            "anyOf".to_owned(),
            serde_json::json!([non_empty("add"), non_empty("remove")]),
        );
    }
}

/// The errors that the layers around the handlers can answer, added to every operation that
/// goes through them, so each operation lists every status it can return: the key check
/// (401) and rate limit (429) under `/api`, the request time-out (503), a malformed query
/// string (400), a missing or unseen document (404, under a path with an `{id}`), and a JSON
/// body that is malformed, too large or not JSON (400, 413, 415).
fn add_error_responses(doc: &mut serde_json::Value) {
    use serde_json::{Value, json};
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    let Some(Value::Object(paths)) = doc.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for operation in item.values_mut() {
            let has_query = operation["parameters"]
                .as_array()
                .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
            let has_json = operation["requestBody"]["content"]
                .get("application/json")
                .is_some();
            let Some(Value::Object(responses)) = operation.get_mut("responses") else {
                continue;
            };
            let mut add = |status: &str, description: &str| {
                responses
                    .entry(status.to_owned())
                    .or_insert_with(|| error(description));
            };
            if path.starts_with("/api/") {
                add("401", "`missing_key` or `invalid_key`");
                add("429", "`rate_limited`, with `Retry-After`");
            }
            add(
                "503",
                "`timeout`: the request took longer than the server allows",
            );
            if has_query {
                add(
                    "400",
                    "`invalid_parameters` and the checks named in the parameters",
                );
            }
            if path.contains("{id}") || path.contains("{name}") {
                add("404", "`not_found`");
            }
            if has_json {
                add(
                    "400",
                    "`invalid_parameters` and the checks named in the body",
                );
                add("413", "`body_too_large`");
                add(
                    "415",
                    "`unsupported_media_type`: send `Content-Type: application/json`",
                );
            }
        }
    }
}

/// The derived document states the default `[limits]` (the schema attributes on the wire
/// types); a server configured otherwise must promise its own. Only a bound equal to the
/// default is replaced, so other bounds on the same names (ask's `k` ≤ 10) stay.
fn apply_limits(doc: &mut serde_json::Value, limits: &crate::config::Limits) {
    use serde_json::Value;
    let defaults = crate::config::Limits::default();
    let bounds: [(&str, &str, usize, usize); 5] = [
        (
            "TermQuery",
            "maxLength",
            defaults.max_query_chars,
            limits.max_query_chars,
        ),
        (
            "q",
            "maxLength",
            defaults.max_query_chars,
            limits.max_query_chars,
        ),
        ("k", "maximum", defaults.max_k, limits.max_k),
        ("limit", "maximum", defaults.max_k, limits.max_k),
        ("offset", "maximum", defaults.max_offset, limits.max_offset),
    ];
    let patch = |name: &str, schema: &mut Value| {
        for (field, key, default, configured) in bounds {
            if name == field
                && let Some(bound) = schema.get_mut(key)
                && bound.as_u64() == Some(default as u64)
            {
                *bound = configured.into();
            }
        }
    };
    match doc {
        Value::Object(map) => {
            // A parameter: `{"name", "in", "schema"}`.
            if let (Some(Value::String(name)), Some(schema)) =
                (map.get("name").cloned(), map.get_mut("schema"))
            {
                patch(&name, schema);
            }
            // An object schema's properties, and the named schemas of `components`.
            for key in ["properties", "schemas"] {
                if let Some(Value::Object(named)) = map.get_mut(key) {
                    for (name, schema) in named.iter_mut() {
                        patch(name, schema);
                    }
                }
            }
            for v in map.values_mut() {
                apply_limits(v, limits);
            }
        }
        Value::Array(items) => {
            for v in items {
                apply_limits(v, limits);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The document as `GET /api/openapi.json` serves it under `limits`.
    fn served(limits: &crate::config::Limits) -> serde_json::Value {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        apply_limits(&mut doc, limits);
        add_error_responses(&mut doc);
        add_cross_field_rules(&mut doc);
        doc
    }

    /// The schema of query parameter `name` of `GET path`.
    fn query_param<'a>(
        doc: &'a serde_json::Value,
        path: &str,
        name: &str,
    ) -> &'a serde_json::Value {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| &p["schema"])
            .unwrap_or_else(|| panic!("no parameter {name} on {path}"))
    }

    #[test]
    fn the_document_states_the_configured_limits() {
        let limits = crate::config::Limits {
            max_k: 7,
            max_offset: 20,
            max_query_chars: 30,
            ..Default::default()
        };
        let doc = served(&limits);
        let k = query_param(&doc, "/api/search", "k");
        assert_eq!(
            (k["minimum"].as_u64(), k["maximum"].as_u64()),
            (Some(1), Some(7))
        );
        assert_eq!(query_param(&doc, "/api/search", "offset")["maximum"], 20);
        assert_eq!(query_param(&doc, "/api/search", "q")["maxLength"], 30);
        assert_eq!(query_param(&doc, "/api/documents", "limit")["maximum"], 7);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["SearchParams"]["properties"]["k"]["maximum"], 7);
        assert_eq!(schemas["TermQuery"]["maxLength"], 30);
        // Bounds that are not the configured limits stay.
        assert_eq!(schemas["AskParams"]["properties"]["k"]["maximum"], 10);
        assert_eq!(
            schemas["AskParams"]["properties"]["question"]["maxLength"],
            2000
        );
    }

    #[test]
    fn the_document_states_the_patterns_the_server_checks() {
        let doc = served(&crate::config::Limits::default());
        let search = &doc["components"]["schemas"]["SearchParams"]["properties"];
        assert_eq!(search["mode"]["pattern"], trawl_service::api::MODE_PATTERN);
        assert_eq!(
            search["fusion"]["pattern"],
            trawl_service::api::FUSION_PATTERN
        );
        assert_eq!(
            query_param(&doc, "/api/search", "fusion")["pattern"],
            trawl_service::api::FUSION_PATTERN
        );
        assert_eq!(
            doc["components"]["schemas"]["TagEdit"]["anyOf"][0]["properties"]["add"]["minItems"],
            1
        );
    }

    #[test]
    fn every_operation_lists_the_errors_around_it() {
        let doc = served(&crate::config::Limits::default());
        let mut checked = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                let has = |status: &str| responses.contains_key(status);
                let what = format!("{method} {path}");
                assert!(has("503"), "{what}");
                if path.starts_with("/api/") {
                    assert!(has("401") && has("429"), "{what}");
                }
                if op["requestBody"]["content"]
                    .get("application/json")
                    .is_some()
                {
                    assert!(has("400") && has("413") && has("415"), "{what}");
                }
                if path.contains("{id}") {
                    assert!(has("404"), "{what}");
                }
                for (status, response) in responses {
                    if status.starts_with('4') || status.starts_with('5') {
                        assert_eq!(
                            response["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/ErrorBody",
                            "{what} {status}"
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 25, "{checked}");
    }
}
