//! Opening an index for a use case: with the model that will embed queries, the index's model
//! fingerprint must match, whatever front end opened it (one model per index — vectors of two
//! models of the same dimension are not comparable, and mixing them fails silently).

use std::path::Path;

use trawl_embedder::ModelInfo;
use trawl_search::Index;

use crate::Error;

/// Opens the index at `dir` for commands that do not embed (status, terms, export…).
pub fn open_index(dir: &Path) -> Result<Index, Error> {
    Index::open(dir).map_err(|e| open_error(dir, e))
}

/// Opens the index at `dir` for use with `model`: refuses an index built with another model.
pub fn open_index_for(dir: &Path, model: &ModelInfo) -> Result<Index, Error> {
    let index = open_index(dir)?;
    check_model(&index, model)?;
    Ok(index)
}

/// Refuses to use `index` with `model` unless its vectors came from that model (same
/// fingerprint and dimension). Cheap: every use case that embeds a query calls it.
pub fn check_model(index: &Index, model: &ModelInfo) -> Result<(), Error> {
    let spec = index.spec();
    if spec.model_fingerprint == model.fingerprint && spec.dim == model.dim {
        return Ok(());
    }
    Err(Error::ModelMismatch(format!(
        "the index was built with model {} ({}, {} dimensions) but {} ({}, {} dimensions) is loaded; \
         pass the index's model with --model-dir, or re-index with this one",
        spec.model_name,
        short(&spec.model_fingerprint),
        spec.dim,
        model.name,
        short(&model.fingerprint),
        model.dim,
    )))
}

fn short(fingerprint: &str) -> &str {
    fingerprint.get(..12).unwrap_or(fingerprint)
}

fn open_error(dir: &Path, e: trawl_search::Error) -> Error {
    match e {
        trawl_search::Error::NotAnIndex(_) => Error::NotFound(e.to_string()),
        trawl_search::Error::ModelMismatch { .. } => Error::ModelMismatch(e.to_string()),
        trawl_search::Error::Locked(_) => e.into(),
        // Not logged here: the front end reports it (a CLI error, or a server that does not start).
        other => Error::Internal(format!("opening index {}: {other}", dir.display())),
    }
}
