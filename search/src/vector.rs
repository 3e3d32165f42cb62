//! The vector arm: unit vectors kept flat on disk and an HNSW graph over them.
//!
//! The flat file is the source of truth (exact search, rebuilds); the graph is
//! derived from it and saved beside it so opening an index does not rebuild it.

use std::{
    collections::HashSet,
    io::{BufWriter, Write},
    path::Path,
};

use hnsw_rs::prelude::{Distance, Hnsw, HnswIo};

use crate::{Error, HnswParams, Result, error::IoContext};

const IDS_FILE: &str = "ids.u64";
const VECTORS_FILE: &str = "vectors.f32";
const GRAPH_BASENAME: &str = "graph";
/// hnsw_rs caps layers at 16; fewer is plenty below a billion points.
const MAX_LAYERS: usize = 16;
/// Allow-lists up to this size (or a tenth of the index) are scanned exactly.
const EXACT_SCAN_BELOW: usize = 4096;

/// `1 - dot(a, b)` for unit vectors, clamped at zero.
///
/// hnsw_rs's own `DistDot` asserts `dot <= 1`, which rounding can break for a
/// vector and itself; this one cannot panic.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct UnitDot;

impl Distance<f32> for UnitDot {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - dot(a, b)).max(0.0)
    }
}

/// Dot product with eight independent accumulators so the compiler can vectorize it.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// Vectors with their chunk ids, in insertion order.
#[derive(Debug, Clone, Default)]
pub(crate) struct VectorData {
    pub(crate) dim: usize,
    pub(crate) ids: Vec<u64>,
    pub(crate) data: Vec<f32>,
}

impl VectorData {
    pub(crate) fn new(dim: usize) -> Self {
        Self {
            dim,
            ids: Vec::new(),
            data: Vec::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn vector(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    pub(crate) fn push(&mut self, id: u64, v: &[f32]) -> Result<()> {
        if v.len() != self.dim {
            return Err(Error::Dimension {
                expected: self.dim,
                found: v.len(),
            });
        }
        if v.iter().any(|x| !x.is_finite()) {
            return Err(Error::InvalidRequest(format!(
                "vector for chunk {id} has a non-finite value"
            )));
        }
        self.ids.push(id);
        self.data.extend_from_slice(v);
        Ok(())
    }

    /// Keeps only the vectors whose id satisfies `keep`.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(u64) -> bool) {
        let dim = self.dim;
        let mut w = 0;
        for r in 0..self.ids.len() {
            if keep(self.ids[r]) {
                if w != r {
                    self.ids[w] = self.ids[r];
                    self.data.copy_within(r * dim..(r + 1) * dim, w * dim);
                }
                w += 1;
            }
        }
        self.ids.truncate(w);
        self.data.truncate(w * dim);
    }

    fn write(&self, dir: &Path) -> Result<()> {
        let ids_path = dir.join(IDS_FILE);
        let mut f = BufWriter::new(std::fs::File::create(&ids_path).at(&ids_path)?);
        for id in &self.ids {
            f.write_all(&id.to_le_bytes()).at(&ids_path)?;
        }
        f.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .at(&ids_path)?;
        let vec_path = dir.join(VECTORS_FILE);
        let mut f = BufWriter::new(std::fs::File::create(&vec_path).at(&vec_path)?);
        for x in &self.data {
            f.write_all(&x.to_le_bytes()).at(&vec_path)?;
        }
        f.into_inner()
            .map_err(|e| e.into_error())
            .and_then(|f| f.sync_all())
            .at(&vec_path)
    }

    fn read(dir: &Path, dim: usize) -> Result<Self> {
        let ids_path = dir.join(IDS_FILE);
        let vec_path = dir.join(VECTORS_FILE);
        let ids_bytes = std::fs::read(&ids_path).at(&ids_path)?;
        let vec_bytes = std::fs::read(&vec_path).at(&vec_path)?;
        if ids_bytes.len() % 8 != 0 {
            return Err(Error::Corrupt {
                path: ids_path,
                message: "length is not a multiple of 8".into(),
            });
        }
        let n = ids_bytes.len() / 8;
        if vec_bytes.len() != n * dim * 4 {
            return Err(Error::Corrupt {
                path: vec_path,
                message: format!(
                    "expected {n} vectors of {dim} floats, found {} bytes",
                    vec_bytes.len()
                ),
            });
        }
        let ids = ids_bytes
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect();
        let data = vec_bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        Ok(Self { dim, ids, data })
    }
}

/// Flat vectors plus the graph searched over them.
pub(crate) struct VectorIndex {
    pub(crate) vectors: VectorData,
    graph: Option<Hnsw<'static, f32, UnitDot>>,
    params: HnswParams,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("len", &self.vectors.len())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl VectorIndex {
    pub(crate) fn empty(dim: usize, params: HnswParams) -> Self {
        Self {
            vectors: VectorData::new(dim),
            graph: None,
            params,
        }
    }

    /// Builds the graph over `vectors` from scratch (all cores).
    pub(crate) fn build(vectors: VectorData, params: HnswParams) -> Self {
        let graph = (vectors.len() > 0).then(|| {
            let graph = Hnsw::new(
                params.m,
                vectors.len(),
                MAX_LAYERS,
                params.ef_construction,
                UnitDot,
            );
            let items: Vec<(&[f32], usize)> = (0..vectors.len())
                .map(|i| (vectors.vector(i), vectors.ids[i] as usize))
                .collect();
            graph.parallel_insert_slice(&items);
            let mut graph = graph;
            graph.set_searching_mode(true);
            graph
        });
        Self {
            vectors,
            graph,
            params,
        }
    }

    /// Writes vectors and graph into `dir`, which must be new and empty.
    pub(crate) fn save(&self, dir: &Path) -> Result<()> {
        self.vectors.write(dir)?;
        if let Some(graph) = &self.graph {
            use hnsw_rs::api::AnnT;
            let written = graph
                .file_dump(dir, GRAPH_BASENAME)
                .map_err(|e| Error::Vector(format!("saving graph in {}: {e}", dir.display())))?;
            if written != GRAPH_BASENAME {
                return Err(Error::Vector(format!(
                    "graph saved as {written} in {}, expected {GRAPH_BASENAME}",
                    dir.display()
                )));
            }
        }
        Ok(())
    }

    /// Loads what [`VectorIndex::save`] wrote; rebuilds the graph if its files are unusable.
    pub(crate) fn load(dir: &Path, dim: usize, params: HnswParams) -> Result<Self> {
        let vectors = VectorData::read(dir, dim)?;
        if vectors.len() == 0 {
            return Ok(Self::empty(dim, params));
        }
        match load_graph(dir) {
            Ok(graph) if graph.get_nb_point() == vectors.len() => Ok(Self {
                vectors,
                graph: Some(graph),
                params,
            }),
            Ok(graph) => {
                tracing::warn!(
                    dir = %dir.display(),
                    graph = graph.get_nb_point(),
                    vectors = vectors.len(),
                    "vector graph does not match its vectors; rebuilding it"
                );
                Ok(Self::build(vectors, params))
            }
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "vector graph unreadable; rebuilding it");
                Ok(Self::build(vectors, params))
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.vectors.len()
    }

    /// Approximate nearest neighbours: `(chunk id, cosine similarity)`, best first.
    pub(crate) fn search(&self, query: &[f32], k: usize) -> Vec<(u64, f32)> {
        let Some(graph) = &self.graph else {
            return Vec::new();
        };
        let ef = self.params.ef_search.max(k);
        graph
            .search(query, k, ef)
            .into_iter()
            .map(|n| (n.d_id as u64, 1.0 - n.distance))
            .collect()
    }

    /// Nearest neighbours among `allowed` chunk ids only. A small allow-list is
    /// scanned exactly (a graph walk would mostly visit excluded points and
    /// lose recall); a large one filters the graph walk.
    pub(crate) fn search_among(
        &self,
        query: &[f32],
        k: usize,
        allowed: &HashSet<u64>,
    ) -> Vec<(u64, f32)> {
        let Some(graph) = &self.graph else {
            return Vec::new();
        };
        if allowed.len() <= EXACT_SCAN_BELOW.max(self.len() / 10) {
            let mut scored: Vec<(u64, f32)> = (0..self.vectors.len())
                .filter(|&i| allowed.contains(&self.vectors.ids[i]))
                .map(|i| (self.vectors.ids[i], dot(query, self.vectors.vector(i))))
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            scored.truncate(k);
            return scored;
        }
        let ef = self.params.ef_search.max(k);
        let filter = |id: &usize| allowed.contains(&(*id as u64));
        graph
            .search_filter(query, k, ef, Some(&filter))
            .into_iter()
            .map(|n| (n.d_id as u64, 1.0 - n.distance))
            .collect()
    }

    /// Exact nearest neighbours by scanning every vector (for recall checks).
    pub(crate) fn exact_search(&self, query: &[f32], k: usize) -> Vec<(u64, f32)> {
        let mut scored: Vec<(u64, f32)> = (0..self.vectors.len())
            .map(|i| (self.vectors.ids[i], dot(query, self.vectors.vector(i))))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(k);
        scored
    }
}

fn load_graph(dir: &Path) -> Result<Hnsw<'static, f32, UnitDot>> {
    // hnsw_rs ties a loaded graph's lifetime to its loader. Without memory
    // mapping the graph owns all its data, so the small loader is leaked
    // (a few hundred bytes per load) to get a graph that can live in the index.
    let io: &'static HnswIo = Box::leak(Box::new(HnswIo::new(dir, GRAPH_BASENAME)));
    let mut graph = io
        .load_hnsw_with_dist(UnitDot)
        .map_err(|e| Error::Vector(format!("loading graph from {}: {e}", dir.display())))?;
    graph.set_searching_mode(true);
    Ok(graph)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// Deterministic pseudo-random unit vectors (xorshift), so tests need no rand crate.
    pub(crate) fn random_unit_vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut s = seed.max(1);
        (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..dim)
                    .map(|_| {
                        s ^= s << 13;
                        s ^= s >> 7;
                        s ^= s << 17;
                        (s % 2000) as f32 / 1000.0 - 1.0
                    })
                    .collect();
                unit(&v)
            })
            .collect()
    }

    #[test]
    fn dot_matches_naive_for_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }

    #[test]
    fn distance_never_negative_for_self() {
        let v = unit(&[0.1, 0.7, 0.3, 0.9, 0.2]);
        assert!(UnitDot.eval(&v, &v) >= 0.0);
    }

    #[test]
    fn graph_recall_against_exact_and_reload() {
        let dim = 32;
        let vs = random_unit_vectors(2000, dim, 42);
        let mut data = VectorData::new(dim);
        for (i, v) in vs.iter().enumerate() {
            data.push(i as u64 * 3 + 1, v).unwrap();
        }
        let index = VectorIndex::build(data, HnswParams::default());
        let queries = random_unit_vectors(50, dim, 7);
        let recall = |index: &VectorIndex| {
            let mut found = 0;
            for q in &queries {
                let exact: Vec<u64> = index.exact_search(q, 10).iter().map(|x| x.0).collect();
                let approx: Vec<u64> = index.search(q, 10).iter().map(|x| x.0).collect();
                found += exact.iter().filter(|id| approx.contains(id)).count();
            }
            found as f32 / (queries.len() * 10) as f32
        };
        let before = recall(&index);
        assert!(before >= 0.95, "recall@10 {before}");

        let dir = tempfile::tempdir().unwrap();
        index.save(dir.path()).unwrap();
        let loaded = VectorIndex::load(dir.path(), dim, HnswParams::default()).unwrap();
        assert_eq!(loaded.len(), 2000);
        assert_eq!(loaded.vectors.ids, index.vectors.ids);
        let q = &queries[0];
        assert_eq!(loaded.search(q, 10), index.search(q, 10));
        assert_eq!(recall(&loaded), before);
    }

    #[test]
    fn retain_and_dimension_checks() {
        let mut data = VectorData::new(2);
        for i in 0..5u64 {
            data.push(i, &[i as f32, 1.0]).unwrap();
        }
        data.retain(|id| id % 2 == 0);
        assert_eq!(data.ids, vec![0, 2, 4]);
        assert_eq!(data.vector(1), &[2.0, 1.0]);
        assert!(matches!(
            data.push(9, &[1.0]),
            Err(Error::Dimension {
                expected: 2,
                found: 1
            })
        ));
        assert!(data.push(9, &[f32::NAN, 0.0]).is_err());
    }

    #[test]
    fn truncated_files_are_reported_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = VectorData::new(4);
        data.push(1, &unit(&[1.0, 2.0, 3.0, 4.0])).unwrap();
        VectorIndex::build(data, HnswParams::default())
            .save(dir.path())
            .unwrap();
        let path = dir.path().join(VECTORS_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let err = VectorIndex::load(dir.path(), 4, HnswParams::default()).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    }
}
