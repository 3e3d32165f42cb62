//! The indexer's vector cache: chunk vectors by content address of the text
//! the embedder saw, so a renamed file, a changed sidecar or an edited file's
//! untouched passages are written again without calling the model.
//!
//! It lives beside the index (`indexer-vectors.bin`) and is only a cache: a
//! missing, unreadable or other-model file means an empty cache, and losing it
//! costs re-embedding, never correctness. Vectors are cached per exact text
//! because the embedder embeds one passage per call, so a vector does not
//! depend on its batch-mates.

use std::{
    collections::{HashMap, HashSet},
    io::{BufWriter, Read, Write},
    path::Path,
};

use trawl_embedder::ModelInfo;

const CACHE_FILE: &str = "indexer-vectors.bin";
const MAGIC: &[u8; 8] = b"TRAWLVC1";

/// First 16 bytes of the sha256 of a chunk's embedder input.
pub(crate) type VectorKey = [u8; 16];

/// Vectors of the chunks of live documents, by key.
#[derive(Debug, Default)]
pub(crate) struct VectorCache {
    fingerprint: String,
    dim: usize,
    vectors: HashMap<VectorKey, Vec<f32>>,
    /// Document id → keys of its chunks: decides which vectors stay cached.
    docs: HashMap<String, Vec<VectorKey>>,
    changed: bool,
}

impl VectorCache {
    /// Loads the cache for `model`, or an empty one.
    pub(crate) fn load(index_dir: &Path, model: &ModelInfo) -> Self {
        let empty = Self {
            fingerprint: model.fingerprint.clone(),
            dim: model.dim,
            ..Self::default()
        };
        let path = index_dir.join(CACHE_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return empty,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "vector cache unreadable; re-embedding");
                return empty;
            }
        };
        match decode(&bytes, model) {
            Some((vectors, docs)) => Self {
                vectors,
                docs,
                ..empty
            },
            None => {
                tracing::warn!(path = %path.display(), "vector cache invalid or for another model; re-embedding");
                empty
            }
        }
    }

    pub(crate) fn contains(&self, key: &VectorKey) -> bool {
        self.vectors.contains_key(key)
    }

    pub(crate) fn get(&self, key: &VectorKey) -> Option<&[f32]> {
        self.vectors.get(key).map(Vec::as_slice)
    }

    pub(crate) fn insert(&mut self, key: VectorKey, vector: Vec<f32>) {
        if vector.len() == self.dim {
            self.vectors.insert(key, vector);
            self.changed = true;
        }
    }

    /// Records which chunks `doc_id` has now.
    pub(crate) fn set_document(&mut self, doc_id: &str, keys: Vec<VectorKey>) {
        if self.docs.get(doc_id) != Some(&keys) {
            self.docs.insert(doc_id.to_owned(), keys);
            self.changed = true;
        }
    }

    /// Keeps the vectors of documents for which `live` is true and writes the
    /// cache. Failures are logged: the cache is an optimization.
    pub(crate) fn save(&mut self, index_dir: &Path, live: impl Fn(&str) -> bool) {
        let before = self.docs.len();
        self.docs.retain(|id, _| live(id));
        let keep: HashSet<VectorKey> = self.docs.values().flatten().copied().collect();
        let vectors_before = self.vectors.len();
        self.vectors.retain(|k, _| keep.contains(k));
        if !self.changed && before == self.docs.len() && vectors_before == self.vectors.len() {
            return;
        }
        let path = index_dir.join(CACHE_FILE);
        let tmp = path.with_extension("bin.tmp");
        let written = std::fs::File::create(&tmp)
            .and_then(|f| {
                let mut w = BufWriter::new(f);
                self.encode(&mut w)?;
                w.into_inner().map_err(|e| e.into_error())?.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, &path));
        match written {
            Ok(()) => self.changed = false,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "could not save the vector cache")
            }
        }
    }

    fn encode(&self, w: &mut impl Write) -> std::io::Result<()> {
        w.write_all(MAGIC)?;
        write_bytes(w, self.fingerprint.as_bytes())?;
        w.write_all(&(self.dim as u32).to_le_bytes())?;
        w.write_all(&(self.vectors.len() as u64).to_le_bytes())?;
        for (key, v) in &self.vectors {
            w.write_all(key)?;
            for x in v {
                w.write_all(&x.to_le_bytes())?;
            }
        }
        w.write_all(&(self.docs.len() as u64).to_le_bytes())?;
        for (id, keys) in &self.docs {
            write_bytes(w, id.as_bytes())?;
            w.write_all(&(keys.len() as u32).to_le_bytes())?;
            for k in keys {
                w.write_all(k)?;
            }
        }
        Ok(())
    }
}

type Decoded = (
    HashMap<VectorKey, Vec<f32>>,
    HashMap<String, Vec<VectorKey>>,
);

fn decode(mut r: &[u8], model: &ModelInfo) -> Option<Decoded> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).ok()?;
    if &magic != MAGIC {
        return None;
    }
    let fingerprint = String::from_utf8(read_bytes(&mut r)?).ok()?;
    let dim = read_u32(&mut r)? as usize;
    if fingerprint != model.fingerprint || dim != model.dim {
        return None;
    }
    let n = usize::try_from(read_u64(&mut r)?).ok()?;
    // Sizes come from the file: check them against its length before allocating.
    if n.checked_mul(16 + dim * 4)? > r.len() {
        return None;
    }
    let mut vectors = HashMap::with_capacity(n);
    for _ in 0..n {
        let mut key = [0u8; 16];
        r.read_exact(&mut key).ok()?;
        let mut v = Vec::with_capacity(dim);
        for _ in 0..dim {
            let mut x = [0u8; 4];
            r.read_exact(&mut x).ok()?;
            v.push(f32::from_le_bytes(x));
        }
        vectors.insert(key, v);
    }
    let docs_n = usize::try_from(read_u64(&mut r)?).ok()?;
    let mut docs = HashMap::new();
    for _ in 0..docs_n {
        let id = String::from_utf8(read_bytes(&mut r)?).ok()?;
        let k = read_u32(&mut r)? as usize;
        if k.checked_mul(16)? > r.len() {
            return None;
        }
        let mut keys = Vec::with_capacity(k);
        for _ in 0..k {
            let mut key = [0u8; 16];
            r.read_exact(&mut key).ok()?;
            keys.push(key);
        }
        docs.insert(id, keys);
    }
    r.is_empty().then_some((vectors, docs))
}

fn write_bytes(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    w.write_all(&(b.len() as u32).to_le_bytes())?;
    w.write_all(b)
}

fn read_u32(r: &mut &[u8]) -> Option<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

fn read_u64(r: &mut &[u8]) -> Option<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b).ok()?;
    Some(u64::from_le_bytes(b))
}

fn read_bytes(r: &mut &[u8]) -> Option<Vec<u8>> {
    let n = read_u32(r)? as usize;
    if n > r.len() {
        return None;
    }
    let (head, tail) = r.split_at(n);
    *r = tail;
    Some(head.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(fp: &str) -> ModelInfo {
        ModelInfo {
            name: "m".into(),
            dim: 3,
            fingerprint: fp.into(),
            max_tokens: 128,
        }
    }

    #[test]
    fn round_trips_live_documents_only_and_rejects_other_models() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = VectorCache::load(dir.path(), &model("a"));
        c.insert([1; 16], vec![1.0, 0.0, 0.0]);
        c.insert([2; 16], vec![0.0, 1.0, 0.0]);
        c.insert([3; 16], vec![0.0, 0.0, 1.0]);
        c.insert([4; 16], vec![0.0, 1.0]); // wrong dimension: ignored
        c.set_document("live", vec![[1; 16], [2; 16]]);
        c.set_document("gone", vec![[3; 16]]);
        c.save(dir.path(), |id| id == "live");

        let c = VectorCache::load(dir.path(), &model("a"));
        assert_eq!(c.get(&[2; 16]), Some(&[0.0, 1.0, 0.0][..]));
        assert!(c.contains(&[1; 16]));
        assert!(
            !c.contains(&[3; 16]),
            "vectors of removed documents are dropped"
        );
        assert!(!c.contains(&[4; 16]));
        assert!(!VectorCache::load(dir.path(), &model("b")).contains(&[1; 16]));

        std::fs::write(dir.path().join(CACHE_FILE), b"TRAWLVC1\xff\xff\xff\xff").unwrap();
        assert!(!VectorCache::load(dir.path(), &model("a")).contains(&[1; 16]));
    }
}
