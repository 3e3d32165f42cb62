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
    /// Pages OCR'd for this job and the time it took.
    pub(crate) ocr: OcrWork,
}

/// Pages read by OCR and the time spent on them.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct OcrWork {
    pub(crate) pages: usize,
    pub(crate) time: Duration,
}

/// A job whose documents are written (not yet committed).
#[derive(Debug)]
pub(crate) struct Done {
    pub(crate) job: usize,
    /// `(doc_id, chunks)` of every document written, the job's own first.
    pub(crate) docs: Vec<(String, usize)>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) ocr: OcrWork,
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
            let embed_text = crate::embed_text(&doc.title, c.section.as_deref(), &text);
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

/// The embedding thread is gone (it only stops when the run does).
fn model_stopped() -> crate::Error {
    trawl_embedder::Error::Inference("the embedding thread stopped".into()).into()
}

/// A batch handed to the embedding thread, waiting to be written.
struct InFlight {
    batch: Vec<(usize, Output)>,
    /// Keys of the chunks sent to the model, in the order of the vectors that come back.
    keys: Vec<VectorKey>,
}

/// Prepares every job on a helper thread, embeds (or takes from the cache)
/// and writes the documents; returns what was written per job, in the order
/// jobs finished. Only embedding and index errors stop the run.
///
/// Three stages run at once: preparing the next jobs, embedding one batch,
/// and writing the batch embedded before it. Why: the model keeps every core
/// busy only while it has work; writing a batch (tantivy, the vector cache,
/// MinHash bookkeeping) between two model calls left the cores idle for that
/// long.
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
    // One batch waits for the model while the previous one is written.
    let (texts_tx, texts_rx) = mpsc::sync_channel::<Vec<String>>(1);
    let (vectors_tx, vectors_rx) = mpsc::channel::<Result<Vec<Vec<f32>>>>();
    let mut write_time = Duration::ZERO;
    let mut done = Vec::with_capacity(jobs.len());

    let (extract_time, embed_time) = std::thread::scope(|scope| -> Result<(Duration, Duration)> {
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
        let model = scope.spawn(move || {
            let mut busy = Duration::ZERO;
            for texts in texts_rx {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                let t = Instant::now();
                let result = embedder.embed_passages(&refs).map_err(crate::Error::from);
                busy += t.elapsed();
                if vectors_tx.send(result).is_err() {
                    break;
                }
            }
            busy
        });

        // Sends the chunks of `batch` that neither the cache nor the batch still
        // at the model has to the model.
        let submit = |batch: Vec<(usize, Output)>,
                      cache: &VectorCache,
                      at_model: Option<&InFlight>|
         -> Result<InFlight> {
            let mut keys = Vec::new();
            let mut texts = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for c in batch
                .iter()
                .flat_map(|(_, out)| &out.docs)
                .flat_map(|d| &d.chunks)
            {
                let pending = at_model.is_some_and(|f| f.keys.contains(&c.key));
                if !cache.contains(&c.key) && !pending && seen.insert(c.key) {
                    keys.push(c.key);
                    texts.push(c.embed_text.clone());
                }
            }
            if !texts.is_empty() {
                texts_tx.send(texts).map_err(|_| model_stopped())?;
            }
            Ok(InFlight { batch, keys })
        };
        // Takes the vectors of `flight` from the model and writes its documents.
        let mut write = |flight: InFlight, cache: &mut VectorCache| -> Result<()> {
            if !flight.keys.is_empty() {
                let vectors = vectors_rx.recv().map_err(|_| model_stopped())??;
                for (key, v) in flight.keys.into_iter().zip(vectors) {
                    cache.insert(key, v);
                }
            }
            let t = Instant::now();
            for (job, out) in flight.batch {
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
                    ocr: out.ocr,
                });
            }
            write_time += t.elapsed();
            Ok(())
        };

        let outcome = (|| -> Result<()> {
            let mut at_model: Option<InFlight> = None;
            let mut batch: Vec<(usize, Output)> = Vec::new();
            let mut batch_chunks = 0;
            for (job, out) in rx.iter() {
                batch_chunks += out.docs.iter().map(|d| d.chunks.len()).sum::<usize>();
                batch.push((job, out));
                if batch_chunks >= opts.embed_batch {
                    let next = submit(std::mem::take(&mut batch), cache, at_model.as_ref())?;
                    batch_chunks = 0;
                    if let Some(previous) = at_model.replace(next) {
                        write(previous, cache)?;
                    }
                }
            }
            let last = submit(batch, cache, at_model.as_ref())?;
            if let Some(previous) = at_model.take() {
                write(previous, cache)?;
            }
            write(last, cache)
        })();
        // Closing the channels stops both helpers, also after an error.
        drop(rx);
        drop(texts_tx);
        drop(vectors_rx);
        let extract_time = extractor.join().expect("extraction thread never panics");
        let embed_time = model.join().expect("embedding thread never panics");
        outcome.map(|()| (extract_time, embed_time))
    })?;
    times.extract_s += extract_time.as_secs_f64();
    times.embed_s += embed_time.as_secs_f64();
    times.write_s += write_time.as_secs_f64();
    Ok(done)
}
