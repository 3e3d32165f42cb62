//! A BERT-style encoder run by ONNX Runtime, with a Hugging Face tokenizer.

use std::{
    borrow::Cow,
    ops::Range,
    path::{Path, PathBuf},
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
};

use ort::{
    environment::Environment,
    session::{Session, SessionInputValue, builder::GraphOptimizationLevel},
    value::Tensor,
};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::{
    Embedder, Error, ModelInfo, ModelLocation, ModelManifest, Result, manifest::MANIFEST_FILE,
    pooling,
};

/// Tuning knobs for ONNX Runtime.
#[derive(Debug, Clone)]
pub struct OnnxOptions {
    /// Threads used inside one inference; defaults to the machine's cores.
    pub intra_threads: usize,
    /// Most passages embedded in one model call.
    ///
    /// Defaults to 1: dynamically quantized models pick one activation scale
    /// per input tensor, so a passage's vector would depend on its batch-mates
    /// (measured: min cosine 0.96 to the unbatched vector), and batching padded
    /// inputs was slower on CPU anyway (≈ 20 ms vs 11 ms per 60–180-token chunk).
    pub batch_size: usize,
}

impl Default for OnnxOptions {
    fn default() -> Self {
        Self {
            intra_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            batch_size: 1,
        }
    }
}

/// Sentence embedder over any ONNX encoder described by a [`ModelManifest`].
pub struct OnnxEmbedder {
    // `Session::run` needs `&mut`; one session shared behind a lock keeps
    // memory flat, and each call already uses every core.
    session: Mutex<Session>,
    // For many passages at once: one single-threaded session per core, each embedding
    // whole passages. Created on first use (a search-only process never needs them).
    passage_sessions: OnceLock<std::result::Result<Vec<Mutex<Session>>, String>>,
    env: Environment,
    model_path: PathBuf,
    tokenizer: Tokenizer,
    // Same vocabulary without truncation or padding, for token spans.
    span_tokenizer: Tokenizer,
    manifest: ModelManifest,
    info: ModelInfo,
    wants_token_type_ids: bool,
    options: OnnxOptions,
}

impl std::fmt::Debug for OnnxEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxEmbedder")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

/// ONNX Runtime allows one environment per process; the first library loaded wins.
static ENVIRONMENT: OnceLock<(PathBuf, std::result::Result<Environment, String>)> = OnceLock::new();

fn environment(library: &Path) -> Result<Environment> {
    let (loaded_from, env) = ENVIRONMENT.get_or_init(|| {
        let env = ort::init_from(library)
            .map_err(|e| e.to_string())
            .and_then(|b| b.with_name("trawl").build().map_err(|e| e.to_string()));
        (library.to_path_buf(), env)
    });
    match env {
        Ok(env) => Ok(env.clone()),
        Err(message) => Err(Error::Runtime {
            path: loaded_from.clone(),
            message: message.clone(),
        }),
    }
}

// ort's builder errors carry the builder and do not convert into our error
// with `?`; this function exists so they collapse into `ort::Error` first.
fn build_session(env: &Environment, model: &Path, threads: usize) -> ort::Result<Session> {
    Session::builder(env)?
        .with_optimization_level(GraphOptimizationLevel::All)?
        .with_intra_threads(threads)?
        .with_inter_threads(1)?
        // Spinning worker threads keep a core busy after every call; on a small
        // server that core is the one the search right after the embedding needs
        // (bench/peers measured hybrid p95 of 17–22 ms with two spinning threads
        // against 9–10 ms with one thread on 2 cores).
        .with_intra_op_spinning(false)?
        .commit_from_file(model)
}

impl OnnxEmbedder {
    /// Loads the runtime, model and tokenizer named by `location`.
    pub fn load(location: &ModelLocation, options: OnnxOptions) -> Result<Self> {
        let manifest = ModelManifest::load(&location.model_dir)?;
        let setup_hint = || {
            "run `make setup` (scripts/setup.sh), or set ORT_DYLIB_PATH / --ort-lib to a \
             libonnxruntime.so"
                .to_owned()
        };
        if !location.runtime_library.is_file() {
            return Err(Error::Missing {
                what: "ONNX Runtime library",
                path: location.runtime_library.clone(),
                hint: setup_hint(),
            });
        }
        let model_path = location.model_dir.join(&manifest.model_file);
        let tokenizer_path = location.model_dir.join(&manifest.tokenizer_file);
        for (what, path) in [
            ("model file", &model_path),
            ("tokenizer file", &tokenizer_path),
        ] {
            if !path.is_file() {
                return Err(Error::Missing {
                    what,
                    path: path.clone(),
                    hint: format!(
                        "it is named by {}; re-run `make setup`",
                        location.model_dir.join(MANIFEST_FILE).display()
                    ),
                });
            }
        }

        let env = environment(&location.runtime_library)?;
        let started = std::time::Instant::now();
        let session =
            build_session(&env, &model_path, options.intra_threads.max(1)).map_err(|e| {
                Error::Model {
                    path: model_path.clone(),
                    message: e.to_string(),
                }
            })?;
        let input_names: Vec<String> = session
            .inputs()
            .iter()
            .map(|i| i.name().to_owned())
            .collect();
        for required in ["input_ids", "attention_mask"] {
            if !input_names.iter().any(|n| n == required) {
                return Err(Error::Model {
                    path: model_path,
                    message: format!(
                        "not a BERT-style encoder: no `{required}` input (inputs: {input_names:?})"
                    ),
                });
            }
        }
        if !session
            .outputs()
            .iter()
            .any(|o| o.name() == manifest.output)
        {
            return Err(Error::Model {
                path: model_path,
                message: format!("no output named `{}`", manifest.output),
            });
        }
        let wants_token_type_ids = input_names.iter().any(|n| n == "token_type_ids");

        let tokenizer_error = |e: Box<dyn std::error::Error + Send + Sync>| Error::Tokenizer {
            path: tokenizer_path.clone(),
            message: e.to_string(),
        };
        let mut span_tokenizer = Tokenizer::from_file(&tokenizer_path).map_err(tokenizer_error)?;
        span_tokenizer
            .with_truncation(None)
            .map_err(tokenizer_error)?
            .with_padding(None);
        let mut tokenizer = span_tokenizer.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: manifest.max_length,
                ..TruncationParams::default()
            }))
            .map_err(tokenizer_error)?
            .with_padding(Some(PaddingParams {
                strategy: PaddingStrategy::BatchLongest,
                ..PaddingParams::default()
            }));

        let fingerprint = manifest
            .sha256
            .clone()
            .unwrap_or_else(|| format!("{}:{}", manifest.name, manifest.dim));
        let info = ModelInfo {
            name: manifest.name.clone(),
            dim: manifest.dim,
            fingerprint,
            max_tokens: manifest.max_length,
        };
        tracing::info!(
            model = %info.name,
            dim = info.dim,
            load_ms = started.elapsed().as_millis() as u64,
            "embedding model loaded"
        );
        Ok(Self {
            session: Mutex::new(session),
            passage_sessions: OnceLock::new(),
            env,
            model_path,
            tokenizer,
            span_tokenizer,
            manifest,
            info,
            wants_token_type_ids,
            options,
        })
    }

    /// The per-core passage sessions, or `None` on a single core (the main session is then
    /// just as fast).
    ///
    /// Why: one inference split over two threads synchronizes after every operator; on a
    /// loaded 2-core machine the second thread is often descheduled, and the first waits
    /// for it. Two single-threaded inferences on different passages never wait on each
    /// other, which is what ingest needs (throughput, not the latency of one passage).
    fn passage_sessions(&self) -> Result<Option<&[Mutex<Session>]>> {
        let cores = self.options.intra_threads;
        if cores <= 1 {
            return Ok(None);
        }
        let sessions = self.passage_sessions.get_or_init(|| {
            (0..cores)
                .map(|_| build_session(&self.env, &self.model_path, 1).map(Mutex::new))
                .collect::<ort::Result<Vec<_>>>()
                .map_err(|e| e.to_string())
        });
        match sessions {
            Ok(s) => Ok(Some(s)),
            Err(message) => Err(Error::Model {
                path: self.model_path.clone(),
                message: message.clone(),
            }),
        }
    }

    fn embed_batch(&self, session: &Mutex<Session>, texts: &[String]) -> Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| Error::Inference(e.to_string()))?;
        let batch = encodings.len();
        let seq = encodings.first().map_or(0, |e| e.len());
        let mut ids = Vec::with_capacity(batch * seq);
        let mut mask = Vec::with_capacity(batch * seq);
        for enc in &encodings {
            ids.extend(enc.get_ids().iter().map(|&x| i64::from(x)));
            mask.extend(enc.get_attention_mask().iter().map(|&x| i64::from(x)));
        }
        let tensor = |data: Vec<i64>| {
            Tensor::from_array(([batch, seq], data))
                .map(SessionInputValue::from)
                .map_err(|e| Error::Inference(e.to_string()))
        };
        let mut inputs: Vec<(Cow<'_, str>, SessionInputValue<'_>)> = vec![
            ("input_ids".into(), tensor(ids)?),
            ("attention_mask".into(), tensor(mask.clone())?),
        ];
        if self.wants_token_type_ids {
            inputs.push(("token_type_ids".into(), tensor(vec![0; batch * seq])?));
        }
        let mut session = session
            .lock()
            .map_err(|_| Error::Inference("model session poisoned by an earlier panic".into()))?;
        let outputs = session
            .run(inputs)
            .map_err(|e| Error::Inference(e.to_string()))?;
        let (shape, hidden) = outputs[self.manifest.output.as_str()]
            .try_extract_tensor::<f32>()
            .map_err(|e| Error::Inference(e.to_string()))?;
        let dim = self.manifest.dim;
        if shape.len() != 3 || shape[2] as usize != dim || shape[1] as usize != seq {
            return Err(Error::Inference(format!(
                "model output `{}` has shape {:?}, expected [{batch}, {seq}, {dim}]",
                self.manifest.output,
                &shape[..]
            )));
        }
        Ok(pooling::pool(
            hidden,
            &mask,
            batch,
            seq,
            dim,
            self.manifest.pooling,
        ))
    }
}

impl Embedder for OnnxEmbedder {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed_passages(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        // Sorting by length keeps padding (wasted compute) low within a batch, and longest
        // first lets the workers finish together: the last groups handed out are the
        // shortest, so no core idles long while another finishes a long passage.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(texts[i].len()));
        let groups: Vec<&[usize]> = order.chunks(self.options.batch_size.max(1)).collect();
        let embed_group = |session: &Mutex<Session>, group: &[usize]| {
            let inputs: Vec<String> = group
                .iter()
                .map(|&i| format!("{}{}", self.manifest.passage_prefix, texts[i]))
                .collect();
            self.embed_batch(session, &inputs)
        };
        let mut out = vec![Vec::new(); texts.len()];
        let workers = match self.passage_sessions()? {
            Some(sessions) if groups.len() > 1 => sessions,
            _ => {
                for group in &groups {
                    for (&i, v) in group.iter().zip(embed_group(&self.session, group)?) {
                        out[i] = v;
                    }
                }
                return Ok(out);
            }
        };
        // each worker takes the next group until none is left (longest first, see above)
        let next = AtomicUsize::new(0);
        let results = std::thread::scope(|scope| {
            let handles: Vec<_> = workers
                .iter()
                .take(groups.len())
                .map(|session| {
                    let (next, groups, embed_group) = (&next, &groups, &embed_group);
                    scope.spawn(move || -> Result<Vec<(usize, Vec<f32>)>> {
                        let mut done = Vec::new();
                        loop {
                            let g = next.fetch_add(1, Ordering::Relaxed);
                            let Some(group) = groups.get(g) else {
                                return Ok(done);
                            };
                            done.extend(group.iter().copied().zip(embed_group(session, group)?));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(Error::Inference("an embedding worker panicked".into()))
                    })
                })
                .collect::<Vec<_>>()
        });
        for result in results {
            for (i, v) in result? {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        let input = format!("{}{}", self.manifest.query_prefix, text);
        self.embed_batch(&self.session, &[input])?
            .pop()
            .ok_or_else(|| Error::Inference("model returned no vector".into()))
    }

    fn token_spans(&self, text: &str) -> Result<Vec<Range<usize>>> {
        let enc = self
            .span_tokenizer
            .encode(text, false)
            .map_err(|e| Error::Inference(e.to_string()))?;
        Ok(enc.get_offsets().iter().map(|&(s, e)| s..e).collect())
    }
}
