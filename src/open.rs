//! The model and the index every command opens: the embedder from `--model-dir` and friends,
//! a new index's spec for it, and an existing index checked against the model that will embed
//! its queries (`trawl_service::open_index_for`).

use std::path::Path;

use anyhow::{Context, Result};
use trawl_embedder::{Embedder, ModelLocation, OnnxEmbedder, OnnxOptions};
use trawl_search::{Index, IndexSpec};

use crate::args::ModelArgs;

pub(crate) fn load_embedder(args: &ModelArgs) -> Result<OnnxEmbedder> {
    let location = ModelLocation::resolve(args.model_dir.as_deref(), args.ort_lib.as_deref());
    let mut options = OnnxOptions::default();
    if let Some(t) = args.threads {
        options.intra_threads = t;
    }
    OnnxEmbedder::load(&location, options).context("loading the embedding model")
}

pub(crate) fn spec_for(embedder: &dyn Embedder) -> IndexSpec {
    let info = embedder.info();
    IndexSpec {
        model_name: info.name.clone(),
        model_fingerprint: info.fingerprint.clone(),
        dim: info.dim,
        hnsw: Default::default(),
    }
}

/// Opens an index for a command that does not embed.
pub(crate) fn open_index(path: &Path) -> Result<Index> {
    Ok(trawl_service::open_index(path)?)
}

/// Opens an index for a command that embeds with `embedder`: refuses one built by another model.
pub(crate) fn open_index_for(path: &Path, embedder: &dyn Embedder) -> Result<Index> {
    Ok(trawl_service::open_index_for(path, embedder.info())?)
}

/// Where a command reads passages: the cluster `--backend` names, else the local index.
pub(crate) enum Opened {
    Cluster(trawl_cluster::SolrBackend),
    Embedded(Box<Index>),
}

impl Opened {
    /// The cluster when `backend` names one, else the index at `path` (checked against
    /// `embedder` when the command embeds with it).
    pub(crate) fn open(
        backend: &crate::args::BackendArgs,
        path: &Path,
        embedder: Option<&dyn Embedder>,
    ) -> Result<Self> {
        Ok(match backend.connect()? {
            Some(c) => Self::Cluster(c),
            None => Self::Embedded(match embedder {
                Some(e) => Box::new(open_index_for(path, e)?),
                None => Box::new(open_index(path)?),
            }),
        })
    }

    pub(crate) fn store(&self) -> trawl_service::Store<'_> {
        match self {
            Self::Cluster(c) => trawl_service::Store::Cluster(c),
            Self::Embedded(i) => trawl_service::Store::Embedded(i),
        }
    }
}
