//! The extract → embed → write loop shared by folders and JSONL corpora.
//!
//! One scoped thread prepares documents (reads, extracts, chunks) while the
//! calling thread embeds batches and writes them, so extraction of the next
//! file overlaps with the model working on the previous ones. What a job is
//! (a file, a JSONL record) is the caller's business: the pipeline only sees
//! a closure turning a job into [`Output`].

use std::{
    ops::Range,
    sync::mpsc,
    time::{Duration, Instant},
};

use sha2::{Digest, Sha256};
use trawl_embedder::Embedder;
use trawl_search::{ChunkInput, DocumentInput, DocumentMeta, IndexWriter};

use crate::{
    IndexOptions, Progress, Result, Skipped, StageTimes,
    cache::{VectorCache, VectorKey},
    chunk,
    extract::Extracted,
    neardup,
};

/// A chunk ready to embed.
#[derive(Debug, Clone)]
pub(crate) struct PreparedChunk {
    pub(crate) text: String,
    /// Text given to the embedder (title and section prepended).
    pub(crate) embed_text: String,
    pub(crate) section: Option<String>,
    /// 1-based page where the chunk starts.
    pub(crate) page: Option<u32>,
    /// Byte range in the extracted text. The search crate does not store it
    /// yet; it is kept so a later index format can show exact positions.
    #[allow(dead_code)] // read by tests; stored once the index format has a field for it
    pub(crate) range: Range<usize>,
    /// Content address of `embed_text`, the vector cache's key.
    pub(crate) key: VectorKey,
}

/// A document extracted and chunked, waiting for its vectors.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) doc_id: String,
    pub(crate) path: String,
    pub(crate) title: String,
    pub(crate) meta: DocumentMeta,
    pub(crate) chunks: Vec<PreparedChunk>,
    /// MinHash of the whole text, for near-duplicate detection.
    pub(crate) signature: Option<neardup::Signature>,
}

/// What preparing one job gave: documents to write (a file with attachments
/// gives several) and what could not be indexed. No documents and some
/// skipped entries means the job failed as a whole.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Shown by the progress reporter.
    pub(crate) label: String,
    pub(crate) docs: Vec<Prepared>,
    pub(crate) skipped: Vec<Skipped>,
}

/// A job whose documents are written (not yet committed).
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) job: usize,
    /// `(doc_id, chunks)` of every document written, the job's own first.
    pub(crate) docs: Vec<(String, usize)>,
    pub(crate) skipped: Vec<Skipped>,
}

/// Chunks `doc` and builds the texts the embedder sees.
pub(crate) fn prepare_document(
    doc_id: String,
    path: String,
    doc: &Extracted,
    meta: DocumentMeta,
    embedder: &dyn Embedder,
    opts: &IndexOptions,
) -> std::result::Result<Prepared, String> {
    let spans = |s: &str| embedder.token_spans(s);
    let chunks =
        chunk::chunk(doc, opts.chunking, &spans).map_err(|e| format!("tokenizing failed: {e}"))?;
    if chunks.is_empty() {
        return Err(crate::ExtractError::Empty.to_string());
    }
    let chunks = chunks
        .into_iter()
        .map(|c| {
            let text = doc.text[c.range.clone()].to_owned();
            // The title and heading path give a passage the context its words lack.
            let embed_text = match &c.section {
                Some(s) => format!("{} — {s}\n{text}", doc.title),
                None => format!("{}\n{text}", doc.title),
            };
            PreparedChunk {
                key: vector_key(&embed_text),
                text,
                embed_text,
                section: c.section,
                page: doc.page_at(c.range.start),
                range: c.range,
            }
        })
        .collect();
    Ok(Prepared {
        doc_id,
        path,
        title: doc.title.clone(),
        meta,
        chunks,
        signature: neardup::signature(&doc.text),
    })
}

fn vector_key(text: &str) -> VectorKey {
    let digest = Sha256::digest(text.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

/// Everything [`run`] needs besides the jobs.
pub(crate) struct Sinks<'a, 'w> {
    pub(crate) embedder: &'a dyn Embedder,
    pub(crate) writer: &'a mut IndexWriter<'w>,
    pub(crate) cache: &'a mut VectorCache,
    pub(crate) near_dups: &'a mut neardup::Store,
    pub(crate) opts: &'a IndexOptions,
    pub(crate) progress: &'a dyn Progress,
    pub(crate) times: &'a mut StageTimes,
}

/// Prepares every job on a helper thread, embeds (or takes from the cache)
/// and writes the documents; returns what was written per job, in the order
/// jobs finished. Only embedding and index errors stop the run.
pub(crate) fn run<J: Sync>(
    jobs: &[J],
    prepare: &(dyn Fn(&J) -> Output + Sync),
    sinks: Sinks<'_, '_>,
) -> Result<Vec<Done>> {
    let Sinks {
        embedder,
        writer,
        cache,
        near_dups,
        opts,
        progress,
        times,
    } = sinks;
    progress.start(jobs.len());
    let (tx, rx) = mpsc::sync_channel::<(usize, Output)>(64);
    let mut embed_time = Duration::ZERO;
    let mut write_time = Duration::ZERO;
    let mut done = Vec::with_capacity(jobs.len());

    let extract_time = std::thread::scope(|scope| -> Result<Duration> {
        let extractor = scope.spawn(move || {
            // Only time spent preparing counts, not time waiting for the embedder.
            let mut busy = Duration::ZERO;
            for (i, job) in jobs.iter().enumerate() {
                let t = Instant::now();
                let out = prepare(job);
                busy += t.elapsed();
                if tx.send((i, out)).is_err() {
                    break;
                }
            }
            busy
        });

        let mut batch: Vec<(usize, Output)> = Vec::new();
        let mut batch_chunks = 0;
        let mut flush = |batch: &mut Vec<(usize, Output)>| -> Result<()> {
            // Only chunks whose exact text was embedded before go to the model.
            let mut missing: Vec<&PreparedChunk> = Vec::new();
            for (_, out) in batch.iter() {
                for c in out.docs.iter().flat_map(|d| &d.chunks) {
                    if !cache.contains(&c.key) && !missing.iter().any(|m| m.key == c.key) {
                        missing.push(c);
                    }
                }
            }
            if !missing.is_empty() {
                let texts: Vec<&str> = missing.iter().map(|c| c.embed_text.as_str()).collect();
                let t = Instant::now();
                let vectors = embedder.embed_passages(&texts)?;
                embed_time += t.elapsed();
                for (c, v) in missing.iter().zip(vectors) {
                    cache.insert(c.key, v);
                }
            }
            let t = Instant::now();
            for (job, out) in batch.drain(..) {
                let mut written = Vec::with_capacity(out.docs.len());
                let mut total = 0;
                for d in out.docs {
                    let n = d.chunks.len();
                    let keys: Vec<VectorKey> = d.chunks.iter().map(|c| c.key).collect();
                    let chunks = d
                        .chunks
                        .into_iter()
                        .map(|c| ChunkInput {
                            vector: cache.get(&c.key).expect("embedded above").to_vec(),
                            text: c.text,
                            page: c.page,
                            section: c.section,
                        })
                        .collect();
                    writer.add_document(DocumentInput {
                        doc_id: d.doc_id.clone(),
                        path: d.path,
                        title: d.title,
                        meta: d.meta,
                        chunks,
                    })?;
                    cache.set_document(&d.doc_id, keys);
                    near_dups.insert(&d.doc_id, d.signature.as_ref());
                    total += n;
                    written.push((d.doc_id, n));
                }
                progress.file_done(&out.label, total);
                done.push(Done {
                    job,
                    docs: written,
                    skipped: out.skipped,
                });
            }
            write_time += t.elapsed();
            Ok(())
        };

        for (job, out) in rx {
            batch_chunks += out.docs.iter().map(|d| d.chunks.len()).sum::<usize>();
            batch.push((job, out));
            if batch_chunks >= opts.embed_batch {
                flush(&mut batch)?;
                batch_chunks = 0;
            }
        }
        flush(&mut batch)?;
        Ok(extractor.join().expect("extraction thread never panics"))
    })?;
    times.extract_s += extract_time.as_secs_f64();
    times.embed_s += embed_time.as_secs_f64();
    times.write_s += write_time.as_secs_f64();
    Ok(done)
}
