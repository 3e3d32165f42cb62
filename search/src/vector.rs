//! The vector arm: unit vectors in immutable segments, each with an HNSW graph.
//!
//! Layout under the index directory:
//! - `vector-segments/seg-NNNNNN/` — one segment: flat vectors (`ids.u64`,
//!   `vectors.f32`, the source of truth) and the graph derived from them, saved
//!   so opening an index does not rebuild it. Small segments have no graph.
//!   In memory a graph segment keeps one copy of its vectors, the graph's.
//! - `vectors-NNNNNN/` — one generation: `manifest.json` naming its segments and
//!   `tombstones.u64`, the deleted ids still inside them.
//!
//! A commit adds at most one segment and tombstones deletions, so updating a
//! large index does not rebuild its graph; segments that are mostly tombstones
//! are compacted, and small segments are merged so their number stays low.

use std::{
    collections::HashSet,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
    sync::Arc,
};

use hnsw_rs::prelude::{Distance, Hnsw, HnswIo, Point};

use serde::{Deserialize, Serialize};

use crate::{Error, HnswParams, Result, error::IoContext};

const IDS_FILE: &str = "ids.u64";
const VECTORS_FILE: &str = "vectors.f32";
const GRAPH_BASENAME: &str = "graph";
/// hnsw_rs caps layers at 16; fewer is plenty below a billion points.
const MAX_LAYERS: usize = 16;
/// Allow-lists up to this size (or a tenth of a segment) are scanned exactly.
const EXACT_SCAN_BELOW: usize = 4096;
const SEGMENTS_DIR: &str = "vector-segments";
const MANIFEST_FILE: &str = "manifest.json";
const TOMBSTONES_FILE: &str = "tombstones.u64";
/// Segments smaller than this get no graph: scanning them is as fast and exact.
const GRAPH_MIN: usize = 1024;
/// Two segments merge when the smaller holds at least 1/MERGE_RATIO of the larger.
const MERGE_RATIO: usize = 2;
/// More segments than this are merged regardless of size.
const MAX_SEGMENTS: usize = 8;
/// A segment with more than this share of tombstoned vectors is rewritten.
const COMPACT_DEAD_FRACTION: f64 = 0.2;

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

/// One immutable batch of vectors, with a graph when it is big enough to need one.
///
/// Segments are written once, under `vector-segments/NAME/`, and shared by every
/// generation that lists them; deleting a vector never rewrites its segment,
/// it tombstones the id until the segment is compacted or merged.
pub(crate) struct Segment {
    name: String,
    dim: usize,
    ids: Vec<u64>,
    /// The vectors, flat, when the graph does not hold them (no graph, or one
    /// whose points could not be matched to `ids`).
    flat: Vec<f32>,
    /// `points[i]` is the graph's point for `ids[i]`. Reading vectors through
    /// the graph instead of keeping a flat copy beside it halves their memory.
    points: Vec<Arc<Point<'static, f32>>>,
    graph: Option<Hnsw<'static, f32, UnitDot>>,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("name", &self.name)
            .field("len", &self.len())
            .field("graph", &self.graph.is_some())
            .field("flat", &!self.flat.is_empty())
            .finish()
    }
}

impl Segment {
    /// Builds the graph over `vectors` (all cores), unless the segment is small
    /// enough that scanning it exactly is as fast as walking a graph.
    fn build(name: String, vectors: VectorData, params: HnswParams) -> Self {
        if vectors.len() < GRAPH_MIN {
            return Self::new(name, vectors, None, None);
        }
        let graph = {
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
        };
        // Only duplicate ids could make the points not match; then stay flat.
        let points = points_in_order(&graph, &vectors);
        Self::new(name, vectors, Some(graph), points)
    }

    /// A segment of `vectors` and their graph. With `points` (the graph's
    /// points in the order of `vectors`), the graph holds the only copy.
    fn new(
        name: String,
        vectors: VectorData,
        graph: Option<Hnsw<'static, f32, UnitDot>>,
        points: Option<Vec<Arc<Point<'static, f32>>>>,
    ) -> Self {
        let points = points.unwrap_or_default();
        let flat = if points.is_empty() {
            vectors.data
        } else {
            Vec::new()
        };
        Self {
            name,
            dim: vectors.dim,
            ids: vectors.ids,
            flat,
            points,
            graph,
        }
    }

    fn vector(&self, i: usize) -> &[f32] {
        if self.points.is_empty() {
            &self.flat[i * self.dim..(i + 1) * self.dim]
        } else {
            self.points[i].get_v()
        }
    }

    fn dir(root: &Path, name: &str) -> PathBuf {
        root.join(SEGMENTS_DIR).join(name)
    }

    /// Writes the segment under `root`, replacing a leftover of a crashed commit.
    fn save(&self, root: &Path) -> Result<()> {
        let dir = Self::dir(root, &self.name);
        if dir.exists() {
            // Never listed by a committed generation, or its name would not be reused.
            std::fs::remove_dir_all(&dir).at(&dir)?;
        }
        std::fs::create_dir_all(&dir).at(&dir)?;
        write_vectors(&dir, &self.ids, (0..self.len()).map(|i| self.vector(i)))?;
        if let Some(graph) = &self.graph {
            use hnsw_rs::api::AnnT;
            let written = graph
                .file_dump(&dir, GRAPH_BASENAME)
                .map_err(|e| Error::Vector(format!("saving graph in {}: {e}", dir.display())))?;
            if written != GRAPH_BASENAME {
                return Err(Error::Vector(format!(
                    "graph saved as {written} in {}, expected {GRAPH_BASENAME}",
                    dir.display()
                )));
            }
            for entry in std::fs::read_dir(&dir).at(&dir)? {
                let path = entry.at(&dir)?.path();
                std::fs::File::open(&path)
                    .and_then(|f| f.sync_all())
                    .at(&path)?;
            }
        }
        sync_dir(&dir)
    }

    /// Loads what [`Segment::save`] wrote; rebuilds the graph if its files are unusable.
    fn load(root: &Path, name: &str, dim: usize, params: HnswParams) -> Result<Self> {
        let dir = Self::dir(root, name);
        let vectors = VectorData::read(&dir, dim)?;
        if vectors.len() < GRAPH_MIN {
            return Ok(Self::build(name.to_string(), vectors, params));
        }
        match load_graph(&dir) {
            Ok(graph) => match points_in_order(&graph, &vectors) {
                Some(points) => Ok(Self::new(
                    name.to_string(),
                    vectors,
                    Some(graph),
                    Some(points),
                )),
                None => {
                    tracing::warn!(
                        dir = %dir.display(),
                        graph = graph.get_nb_point(),
                        vectors = vectors.len(),
                        "vector graph does not match its vectors; rebuilding it"
                    );
                    Ok(Self::build(name.to_string(), vectors, params))
                }
            },
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "vector graph unreadable; rebuilding it");
                Ok(Self::build(name.to_string(), vectors, params))
            }
        }
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    /// Exact scan over the vectors whose id passes `keep`.
    fn scan(&self, query: &[f32], k: usize, keep: impl Fn(u64) -> bool) -> Vec<(u64, f32)> {
        let mut scored: Vec<(u64, f32)> = (0..self.len())
            .filter(|&i| keep(self.ids[i]))
            .map(|i| (self.ids[i], dot(query, self.vector(i))))
            .collect();
        sort_best_first(&mut scored);
        scored.truncate(k);
        scored
    }

    /// Graph walk returning only ids that pass `keep` (all of them when `keep` is `None`).
    fn walk(
        &self,
        graph: &Hnsw<'static, f32, UnitDot>,
        query: &[f32],
        k: usize,
        ef: usize,
        keep: Option<&dyn Fn(u64) -> bool>,
    ) -> Vec<(u64, f32)> {
        let found = match keep {
            None => graph.search(query, k, ef),
            Some(keep) => {
                let filter = |id: &usize| keep(*id as u64);
                graph.search_filter(query, k, ef, Some(&filter))
            }
        };
        found
            .into_iter()
            .map(|n| (n.d_id as u64, 1.0 - n.distance))
            .collect()
    }
}

/// Which segments make up one generation of the vector arm.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    segments: Vec<String>,
    /// Number for the next new segment's name, so names are never reused.
    next_segment: u64,
}

/// The vector arm at one generation: immutable segments, minus tombstoned ids.
pub(crate) struct VectorIndex {
    dim: usize,
    params: HnswParams,
    segments: Vec<Arc<Segment>>,
    /// Tombstoned ids in each segment, parallel to `segments`.
    dead: Vec<usize>,
    /// Deleted ids still present in some segment.
    tombstones: HashSet<u64>,
    next_segment: u64,
}

impl std::fmt::Debug for VectorIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VectorIndex")
            .field("segments", &self.segments)
            .field("tombstones", &self.tombstones.len())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// Counts describing the vector arm's storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VectorStats {
    pub(crate) segments: usize,
    pub(crate) tombstones: usize,
}

impl VectorIndex {
    pub(crate) fn empty(dim: usize, params: HnswParams) -> Self {
        Self {
            dim,
            params,
            segments: Vec::new(),
            dead: Vec::new(),
            tombstones: HashSet::new(),
            next_segment: 1,
        }
    }

    fn from_parts(
        dim: usize,
        params: HnswParams,
        segments: Vec<Arc<Segment>>,
        mut tombstones: HashSet<u64>,
        next_segment: u64,
    ) -> Self {
        let mut dead = Vec::with_capacity(segments.len());
        let mut present = HashSet::new();
        for s in &segments {
            let mut n = 0;
            for id in &s.ids {
                if tombstones.contains(id) {
                    n += 1;
                    present.insert(*id);
                }
            }
            dead.push(n);
        }
        tombstones.retain(|id| present.contains(id));
        Self {
            dim,
            params,
            segments,
            dead,
            tombstones,
            next_segment,
        }
    }

    /// Loads the generation in `gen_dir`, reusing segments already loaded by `previous`.
    pub(crate) fn load(
        root: &Path,
        gen_dir: &Path,
        dim: usize,
        params: HnswParams,
        previous: Option<&VectorIndex>,
    ) -> Result<Self> {
        let manifest_path = gen_dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest_path).at(&manifest_path)?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|e| Error::Corrupt {
            path: manifest_path.clone(),
            message: e.to_string(),
        })?;
        let mut segments = Vec::with_capacity(manifest.segments.len());
        for name in &manifest.segments {
            let reused = previous.and_then(|p| p.segments.iter().find(|s| &s.name == name));
            segments.push(match reused {
                Some(s) => s.clone(),
                None => Arc::new(Segment::load(root, name, dim, params)?),
            });
        }
        let tombstones = read_ids(&gen_dir.join(TOMBSTONES_FILE))?;
        Ok(Self::from_parts(
            dim,
            params,
            segments,
            tombstones.into_iter().collect(),
            manifest.next_segment,
        ))
    }

    /// Live vectors.
    pub(crate) fn len(&self) -> usize {
        self.segments.iter().map(|s| s.len()).sum::<usize>() - self.tombstones.len()
    }

    pub(crate) fn stats(&self) -> VectorStats {
        VectorStats {
            segments: self.segments.len(),
            tombstones: self.tombstones.len(),
        }
    }

    fn live(&self, id: u64) -> bool {
        !self.tombstones.contains(&id)
    }

    /// Approximate nearest neighbours: `(chunk id, cosine similarity)`, best first.
    pub(crate) fn search(
        &self,
        query: &[f32],
        k: usize,
        ef_search: Option<usize>,
    ) -> Vec<(u64, f32)> {
        let ef = ef_search.unwrap_or(self.params.ef_search).max(k);
        let live = |id: u64| self.live(id);
        let mut out = Vec::new();
        for (segment, &dead) in self.segments.iter().zip(&self.dead) {
            out.extend(match &segment.graph {
                None => segment.scan(query, k, live),
                Some(g) if dead == 0 => segment.walk(g, query, k, ef, None),
                Some(g) => segment.walk(g, query, k, ef, Some(&live)),
            });
        }
        sort_best_first(&mut out);
        out.truncate(k);
        out
    }

    /// Nearest neighbours among `allowed` chunk ids only. Against a small
    /// allow-list a segment is scanned exactly (a graph walk would mostly
    /// visit excluded points and lose recall); a large one filters the walk.
    pub(crate) fn search_among(
        &self,
        query: &[f32],
        k: usize,
        allowed: &HashSet<u64>,
        ef_search: Option<usize>,
    ) -> Vec<(u64, f32)> {
        let ef = ef_search.unwrap_or(self.params.ef_search).max(k);
        let keep = |id: u64| allowed.contains(&id) && self.live(id);
        let mut out = Vec::new();
        for segment in &self.segments {
            out.extend(match &segment.graph {
                Some(g) if allowed.len() > EXACT_SCAN_BELOW.max(segment.len() / 10) => {
                    segment.walk(g, query, k, ef, Some(&keep))
                }
                _ => segment.scan(query, k, keep),
            });
        }
        sort_best_first(&mut out);
        out.truncate(k);
        out
    }

    /// Exact nearest neighbours by scanning every live vector (for recall checks).
    pub(crate) fn exact_search(&self, query: &[f32], k: usize) -> Vec<(u64, f32)> {
        let mut out = Vec::new();
        for segment in &self.segments {
            out.extend(segment.scan(query, k, |id| self.live(id)));
        }
        sort_best_first(&mut out);
        out.truncate(k);
        out
    }

    /// Writes the next generation into `gen_dir` (new and empty): `added` as a
    /// new segment, `removed` tombstoned, then segments compacted and merged so
    /// their number stays logarithmic in the index size. Nothing existing is
    /// modified, so the current generation stays valid until the caller commits.
    pub(crate) fn next_generation(
        &self,
        mut added: VectorData,
        removed: &HashSet<u64>,
        root: &Path,
        gen_dir: &Path,
    ) -> Result<Self> {
        added.retain(|id| !removed.contains(&id));
        let mut tombstones: HashSet<u64> = self.tombstones.union(removed).copied().collect();
        let mut next_segment = self.next_segment;
        let mut new_name = || {
            let name = format!("seg-{next_segment:06}");
            next_segment += 1;
            name
        };
        let mut written = Vec::new();
        let mut segments: Vec<Arc<Segment>> = self.segments.clone();
        if added.len() > 0 {
            written.push(Arc::new(Segment::build(new_name(), added, self.params)));
            segments.push(written[0].clone());
        }
        let live_len =
            |s: &Segment, t: &HashSet<u64>| s.ids.iter().filter(|id| !t.contains(id)).count();
        // Rewrite segments that are mostly dead weight; drop empty ones.
        let mut kept = Vec::with_capacity(segments.len());
        for s in segments {
            let live = live_len(&s, &tombstones);
            if live == 0 {
                continue;
            }
            if (s.len() - live) as f64 > COMPACT_DEAD_FRACTION * s.len() as f64 {
                kept.push(Arc::new(self.merge(&[&s], &tombstones, new_name())));
                written.push(kept.last().expect("just pushed").clone());
            } else {
                kept.push(s);
            }
        }
        // Largest first; merge the two smallest while the smaller is at least
        // half the larger (or there are too many segments), so each vector is
        // rebuilt O(log n) times over the index's life.
        kept.sort_by_cached_key(|s| std::cmp::Reverse(live_len(s, &tombstones)));
        while kept.len() >= 2 {
            let n = kept.len();
            let (small, large) = (
                live_len(&kept[n - 1], &tombstones),
                live_len(&kept[n - 2], &tombstones),
            );
            if n <= MAX_SEGMENTS && small * MERGE_RATIO < large {
                break;
            }
            let a = kept.pop().expect("two segments");
            let b = kept.pop().expect("two segments");
            let merged = Arc::new(self.merge(&[&b, &a], &tombstones, new_name()));
            written.retain(|w| w.name != a.name && w.name != b.name);
            written.push(merged.clone());
            let at = kept
                .iter()
                .position(|s| live_len(s, &tombstones) < merged.len())
                .unwrap_or(kept.len());
            kept.insert(at, merged);
        }
        for s in &written {
            s.save(root)?;
        }
        let next = Self::from_parts(
            self.dim,
            self.params,
            kept,
            std::mem::take(&mut tombstones),
            next_segment,
        );
        std::fs::create_dir_all(gen_dir).at(gen_dir)?;
        let mut ids: Vec<u64> = next.tombstones.iter().copied().collect();
        ids.sort_unstable();
        write_ids(&gen_dir.join(TOMBSTONES_FILE), &ids)?;
        let manifest = Manifest {
            segments: next.segments.iter().map(|s| s.name.clone()).collect(),
            next_segment: next.next_segment,
        };
        let manifest_path = gen_dir.join(MANIFEST_FILE);
        write_synced(
            &manifest_path,
            serde_json::to_string_pretty(&manifest)
                .expect("manifest serializes")
                .as_bytes(),
        )?;
        sync_dir(gen_dir)?;
        sync_dir(&root.join(SEGMENTS_DIR)).or_else(|e| {
            // No segment directory yet means nothing was ever written: nothing to sync.
            if root.join(SEGMENTS_DIR).exists() {
                Err(e)
            } else {
                Ok(())
            }
        })?;
        Ok(next)
    }

    /// One new segment holding the live vectors of `parts`.
    fn merge(&self, parts: &[&Segment], tombstones: &HashSet<u64>, name: String) -> Segment {
        let mut data = VectorData::new(self.dim);
        for part in parts {
            for i in 0..part.len() {
                let id = part.ids[i];
                if !tombstones.contains(&id) {
                    data.ids.push(id);
                    data.data.extend_from_slice(part.vector(i));
                }
            }
        }
        Segment::build(name, data, self.params)
    }

    /// Calls `f` with every live vector and its id, segment by segment.
    pub(crate) fn for_each_live(&self, mut f: impl FnMut(u64, &[f32])) {
        for segment in &self.segments {
            for i in 0..segment.len() {
                let id = segment.ids[i];
                if self.live(id) {
                    f(id, segment.vector(i));
                }
            }
        }
    }

    /// The live vectors among `ids`, as `(id, vector)` in segment order.
    pub(crate) fn vectors_of(&self, ids: &HashSet<u64>) -> Vec<(u64, Vec<f32>)> {
        let mut out = Vec::with_capacity(ids.len());
        for segment in &self.segments {
            for (i, id) in segment.ids.iter().enumerate() {
                if ids.contains(id) && self.live(*id) {
                    out.push((*id, segment.vector(i).to_vec()));
                }
            }
        }
        out
    }

    /// Names of the segments this generation uses.
    pub(crate) fn segment_names(&self) -> impl Iterator<Item = &str> {
        self.segments.iter().map(|s| s.name.as_str())
    }
}

/// A segment's directory relative to the index directory.
pub(crate) fn segment_rel(name: &str) -> PathBuf {
    Path::new(SEGMENTS_DIR).join(name)
}

/// Removes segment directories no generation in `live` lists (left by merges or crashes).
pub(crate) fn remove_unused_segments<'a>(root: &Path, live: impl IntoIterator<Item = &'a str>) {
    let live: HashSet<&str> = live.into_iter().collect();
    let dir = root.join(SEGMENTS_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_str().is_some_and(|n| live.contains(n)) {
            continue;
        }
        if let Err(e) = std::fs::remove_dir_all(entry.path()) {
            tracing::warn!(path = %entry.path().display(), error = %e, "could not remove an unused vector segment");
        }
    }
}

fn sort_best_first(scored: &mut [(u64, f32)]) {
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
}

/// Writes a segment's `ids.u64` and `vectors.f32` (little-endian), synced.
fn write_vectors<'a>(
    dir: &Path,
    ids: &[u64],
    vectors: impl Iterator<Item = &'a [f32]>,
) -> Result<()> {
    write_ids(&dir.join(IDS_FILE), ids)?;
    let vec_path = dir.join(VECTORS_FILE);
    let mut f = BufWriter::new(std::fs::File::create(&vec_path).at(&vec_path)?);
    for x in vectors.flatten() {
        f.write_all(&x.to_le_bytes()).at(&vec_path)?;
    }
    f.into_inner()
        .map_err(|e| e.into_error())
        .and_then(|f| f.sync_all())
        .at(&vec_path)
}

/// The graph's points in the order of `vectors`, if the graph holds exactly
/// those ids with bit-identical vectors (a graph saved beside other vectors,
/// or built over duplicate ids, does not).
fn points_in_order(
    graph: &Hnsw<'static, f32, UnitDot>,
    vectors: &VectorData,
) -> Option<Vec<Arc<Point<'static, f32>>>> {
    if graph.get_nb_point() != vectors.len() {
        return None;
    }
    let mut by_id: std::collections::HashMap<usize, Arc<Point<'static, f32>>> =
        std::collections::HashMap::with_capacity(vectors.len());
    for point in graph.get_point_indexation() {
        by_id.insert(point.get_origin_id(), point);
    }
    let mut points = Vec::with_capacity(vectors.len());
    for (i, id) in vectors.ids.iter().enumerate() {
        let point = by_id.remove(&usize::try_from(*id).ok()?)?;
        let same = point.get_v().len() == vectors.dim
            && point
                .get_v()
                .iter()
                .zip(vectors.vector(i))
                .all(|(a, b)| a.to_bits() == b.to_bits());
        if !same {
            return None;
        }
        points.push(point);
    }
    Some(points)
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir).and_then(|f| f.sync_all()).at(dir)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::File::create(path).at(path)?;
    f.write_all(bytes).and_then(|()| f.sync_all()).at(path)
}

fn write_ids(path: &Path, ids: &[u64]) -> Result<()> {
    let bytes: Vec<u8> = ids.iter().flat_map(|id| id.to_le_bytes()).collect();
    write_synced(path, &bytes)
}

fn read_ids(path: &Path) -> Result<Vec<u64>> {
    let bytes = std::fs::read(path).at(path)?;
    if bytes.len() % 8 != 0 {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            message: "length is not a multiple of 8".into(),
        });
    }
    Ok(bytes
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect())
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

    /// Deterministic pseudo-random unit vectors (seeded), so a failure reproduces.
    pub(crate) fn random_unit_vectors(n: usize, dim: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n)
            .map(|_| {
                let v: Vec<f32> = (0..dim).map(|_| rng.f32() * 2.0 - 1.0).collect();
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

    fn data(dim: usize, ids: std::ops::Range<u64>, seed: u64) -> VectorData {
        let vs = random_unit_vectors((ids.end - ids.start) as usize, dim, seed);
        let mut data = VectorData::new(dim);
        for (id, v) in ids.zip(&vs) {
            data.push(id, v).unwrap();
        }
        data
    }

    /// Commits `added` and `removed` on top of `base` as generation `generation` in `root`.
    fn commit(
        base: &VectorIndex,
        root: &Path,
        generation: u64,
        added: VectorData,
        removed: &[u64],
    ) -> VectorIndex {
        let removed: HashSet<u64> = removed.iter().copied().collect();
        let gen_dir = root.join(format!("vectors-{generation:06}"));
        base.next_generation(added, &removed, root, &gen_dir)
            .unwrap()
    }

    fn reload(root: &Path, generation: u64, dim: usize) -> VectorIndex {
        let gen_dir = root.join(format!("vectors-{generation:06}"));
        VectorIndex::load(root, &gen_dir, dim, HnswParams::default(), None).unwrap()
    }

    #[test]
    fn graph_recall_against_exact_and_reload() {
        let dim = 32;
        let root = tempfile::tempdir().unwrap();
        let empty = VectorIndex::empty(dim, HnswParams::default());
        let index = commit(&empty, root.path(), 1, data(dim, 0..2000, 42), &[]);
        assert_eq!(index.stats().segments, 1);
        assert!(
            index.segments[0].graph.is_some(),
            "2000 vectors get a graph"
        );
        let queries = random_unit_vectors(50, dim, 7);
        let recall = |index: &VectorIndex| {
            let mut found = 0;
            for q in &queries {
                let exact: Vec<u64> = index.exact_search(q, 10).iter().map(|x| x.0).collect();
                let approx: Vec<u64> = index.search(q, 10, None).iter().map(|x| x.0).collect();
                found += exact.iter().filter(|id| approx.contains(id)).count();
            }
            found as f32 / (queries.len() * 10) as f32
        };
        let before = recall(&index);
        assert!(before >= 0.95, "recall@10 {before}");

        let loaded = reload(root.path(), 1, dim);
        assert_eq!(loaded.len(), 2000);
        assert_eq!(loaded.segments[0].ids, index.segments[0].ids);
        for segment in [&index.segments[0], &loaded.segments[0]] {
            assert!(
                segment.flat.is_empty(),
                "a graph segment keeps no second copy of its vectors"
            );
        }
        let vectors = data(dim, 0..2000, 42);
        for i in [0, 777, 1999] {
            assert_eq!(loaded.segments[0].vector(i), vectors.vector(i));
            assert_eq!(index.segments[0].vector(i), vectors.vector(i));
        }
        let q = &queries[0];
        assert_eq!(loaded.search(q, 10, None), index.search(q, 10, None));
        assert_eq!(recall(&loaded), before);
    }

    #[test]
    fn deletions_are_tombstoned_then_compacted() {
        let dim = 16;
        let root = tempfile::tempdir().unwrap();
        let empty = VectorIndex::empty(dim, HnswParams::default());
        let g1 = commit(&empty, root.path(), 1, data(dim, 0..1500, 3), &[]);
        let first = g1.segments[0].name.clone();

        // A few deletions: tombstones, the segment itself is untouched.
        let doomed: Vec<u64> = (0..100).collect();
        let g2 = commit(&g1, root.path(), 2, VectorData::new(dim), &doomed);
        assert_eq!(g2.len(), 1400);
        assert_eq!(g2.stats().tombstones, 100);
        assert_eq!(g2.segments[0].name, first);
        let q = g1.segments[0].vector(5).to_vec();
        assert_eq!(g1.search(&q, 1, None)[0].0, 5, "a vector finds itself");
        for results in [
            g2.search(&q, 50, None),
            g2.exact_search(&q, 50),
            g2.search_among(&q, 50, &(0..1500).collect(), None),
        ] {
            assert_eq!(results.len(), 50);
            assert!(results.iter().all(|(id, _)| *id >= 100), "{results:?}");
        }
        let reloaded = reload(root.path(), 2, dim);
        assert_eq!(reloaded.len(), 1400);
        assert_eq!(reloaded.stats().tombstones, 100);

        // Past a fifth dead, the segment is rewritten without them.
        let more: Vec<u64> = (100..400).collect();
        let g3 = commit(&g2, root.path(), 3, VectorData::new(dim), &more);
        assert_eq!(g3.len(), 1100);
        assert_eq!(g3.stats().tombstones, 0);
        assert_ne!(g3.segments[0].name, first);
        assert_eq!(reload(root.path(), 3, dim).len(), 1100);

        // Deleting everything leaves no segment at all.
        let all: Vec<u64> = (400..1500).collect();
        let g4 = commit(&g3, root.path(), 4, VectorData::new(dim), &all);
        assert_eq!(g4.len(), 0);
        assert_eq!(g4.stats().segments, 0);
        assert!(g4.search(&q, 5, None).is_empty());
    }

    #[test]
    fn small_commits_stay_few_segments_and_unused_ones_are_removed() {
        let dim = 8;
        let root = tempfile::tempdir().unwrap();
        let mut index = VectorIndex::empty(dim, HnswParams::default());
        index = commit(&index, root.path(), 1, data(dim, 0..3000, 1), &[]);
        let mut next_id = 3000;
        for generation in 2..40 {
            let added = data(dim, next_id..next_id + 25, generation);
            next_id += 25;
            index = commit(&index, root.path(), generation, added, &[]);
            assert!(index.stats().segments <= MAX_SEGMENTS);
        }
        assert_eq!(index.len(), next_id as usize);
        // The big first segment was never rebuilt by these small additions.
        assert_eq!(index.segments[0].name, "seg-000001");
        // Largest first, and each later segment under half the one before.
        for w in index.segments.windows(2) {
            assert!(
                w[1].len() * MERGE_RATIO < w[0].len(),
                "{:?}",
                index.segments
            );
        }
        remove_unused_segments(root.path(), index.segment_names());
        let on_disk = std::fs::read_dir(root.path().join(SEGMENTS_DIR))
            .unwrap()
            .count();
        assert_eq!(on_disk, index.stats().segments);
        let reloaded = reload(root.path(), 39, dim);
        assert_eq!(reloaded.len(), index.len());
        let q = random_unit_vectors(1, dim, 99).remove(0);
        assert_eq!(reloaded.exact_search(&q, 10), index.exact_search(&q, 10));
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
    fn a_graph_that_disagrees_with_its_vectors_is_rebuilt_from_them() {
        let dim = 8;
        let root = tempfile::tempdir().unwrap();
        let empty = VectorIndex::empty(dim, HnswParams::default());
        let index = commit(&empty, root.path(), 1, data(dim, 0..1500, 11), &[]);
        // Other vectors of the same shape under the same ids: the flat files are
        // the source of truth, so the saved graph must not be trusted.
        let other = data(dim, 0..1500, 12);
        let seg = Segment::dir(root.path(), &index.segments[0].name);
        write_vectors(&seg, &other.ids, (0..other.len()).map(|i| other.vector(i))).unwrap();
        let loaded = reload(root.path(), 1, dim);
        for i in [0, 900, 1499] {
            assert_eq!(loaded.segments[0].vector(i), other.vector(i));
        }
        let q = other.vector(900).to_vec();
        assert_eq!(loaded.search(&q, 1, None)[0].0, 900);
        assert!(
            loaded.segments[0].flat.is_empty(),
            "the rebuilt graph holds the vectors"
        );
    }

    #[test]
    fn truncated_files_are_reported_not_loaded() {
        let root = tempfile::tempdir().unwrap();
        let empty = VectorIndex::empty(4, HnswParams::default());
        let index = commit(&empty, root.path(), 1, data(4, 0..3, 5), &[]);
        let seg = Segment::dir(root.path(), &index.segments[0].name);
        let path = seg.join(VECTORS_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let gen_dir = root.path().join("vectors-000001");
        let err =
            VectorIndex::load(root.path(), &gen_dir, 4, HnswParams::default(), None).unwrap_err();
        assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    }
}
