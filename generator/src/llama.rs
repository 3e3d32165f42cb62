//! [`LlamaGenerator`]: a GGUF chat model run by llama.cpp on one worker thread.
//!
//! The model is loaded once; one worker thread owns the inference context (llama.cpp contexts
//! are not shareable) and serves requests from a bounded FIFO queue, so requests are served in
//! arrival order and a full queue is reported at once. Token counting reads only the
//! vocabulary and runs on the caller's thread.

use std::num::NonZeroU32;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use llama_cpp_2::context::LlamaContext;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;

use crate::stream::{Pushed, TextStream};
use crate::{
    ChatMessage, FinishReason, Flow, GenerateParams, Generation, Generator, GeneratorInfo, Role,
    Sampling,
};
use trawl_embedder::ModelLocation;

use crate::{Error, Result};

/// Directory of the default generator under `$TRAWL_HOME/models`.
const DEFAULT_DIR: &str = "smollm2-135m-instruct";
/// File name of the default generator (installed by `scripts/setup.sh`).
const DEFAULT_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Tokens the repetition penalty looks back over.
const PENALTY_WINDOW: i32 = 64;

/// How a [`LlamaGenerator`] is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorOptions {
    /// The GGUF file (any chat model with a chat template in its metadata).
    pub model_path: PathBuf,
    /// Context window to allocate, in tokens (capped by what the model was trained on).
    pub context_tokens: u32,
    /// Prompt tokens processed per forward pass.
    pub batch_tokens: u32,
    /// CPU threads; `None` = adaptive: all cores when the CPU is otherwise idle at the start
    /// of a request, one thread when other work is runnable (see `cpu_is_contended`).
    pub threads: Option<usize>,
    /// Requests that may wait for the model; one more is refused with [`Error::Busy`].
    pub queue_capacity: usize,
}

impl GeneratorOptions {
    /// Options for the model at `path`, with default sizes.
    pub fn new(model_path: impl Into<PathBuf>) -> Self {
        Self {
            model_path: model_path.into(),
            context_tokens: 2048,
            batch_tokens: 512,
            threads: None,
            queue_capacity: 8,
        }
    }

    /// `explicit`, else `TRAWL_GENERATOR_MODEL`, else the SmolLM2 file `scripts/setup.sh`
    /// installs under `$TRAWL_HOME/models`.
    pub fn default_model_path(explicit: Option<&Path>) -> PathBuf {
        explicit
            .map(Path::to_path_buf)
            .or_else(|| {
                std::env::var_os("TRAWL_GENERATOR_MODEL")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| {
                ModelLocation::trawl_home()
                    .join("models")
                    .join(DEFAULT_DIR)
                    .join(DEFAULT_FILE)
            })
    }

    /// Options for [`Self::default_model_path`].
    pub fn from_env() -> Self {
        Self::new(Self::default_model_path(None))
    }
}

/// A GGUF chat model served by llama.cpp. See the module docs.
pub struct LlamaGenerator {
    info: GeneratorInfo,
    model: Arc<LlamaModel>,
    template: LlamaChatTemplate,
    jobs: SyncSender<Job>,
}

impl std::fmt::Debug for LlamaGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlamaGenerator")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

struct Job {
    prompt: Vec<llama_cpp_2::token::LlamaToken>,
    /// Where the prompt's system part ends (0: none): a fixed chunk boundary, so that part's
    /// state can be reused by the next prompt that shares it.
    stable: usize,
    params: GenerateParams,
    cancel: Arc<AtomicBool>,
    enqueued: Instant,
    events: Sender<Event>,
}

enum Event {
    Token(String),
    Done(Result<Generation>),
}

/// llama.cpp's global state: initialised once per process, never torn down.
fn backend() -> Result<&'static LlamaBackend> {
    static BACKEND: OnceLock<std::result::Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs every tensor on load; route it to `tracing` instead of stderr
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|message| Error::Generation(format!("cannot initialise llama.cpp: {message}")))
}

fn model_error(path: &Path, message: impl std::fmt::Display) -> Error {
    Error::Model {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

impl LlamaGenerator {
    /// Loads the model and starts its worker thread.
    pub fn load(options: &GeneratorOptions) -> Result<Self> {
        let path = &options.model_path;
        if !path.is_file() {
            return Err(Error::Missing {
                what: "generator model (GGUF)",
                path: path.clone(),
                hint:
                    "run `bash scripts/setup.sh`, or set TRAWL_GENERATOR_MODEL to a GGUF chat model"
                        .into(),
            });
        }
        let backend = backend()?;
        let started = Instant::now();
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| model_error(path, e))?;
        let template = model
            .chat_template(None)
            .map_err(|e| model_error(path, format!("no usable chat template in the GGUF ({e})")))?;
        let context_tokens = options
            .context_tokens
            .clamp(256, model.n_ctx_train().max(256));
        let name = model
            .meta_val_str("general.name")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| {
                path.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            });
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let (threads, adaptive) = match options.threads {
            Some(n) => (n.max(1), false),
            None => (cores, cores > 1),
        };
        let model = Arc::new(model);
        let (jobs, queue) = mpsc::sync_channel::<Job>(options.queue_capacity.max(1));
        let (ready_tx, ready_rx) = mpsc::channel::<Result<()>>();
        let worker_model = Arc::clone(&model);
        let batch_tokens = options.batch_tokens.clamp(32, context_tokens);
        let worker_path = path.clone();
        std::thread::Builder::new()
            .name("trawl-generator".into())
            .spawn(move || {
                let params = |threads: usize| {
                    let t = i32::try_from(threads).unwrap_or(1);
                    LlamaContextParams::default()
                        .with_n_ctx(NonZeroU32::new(context_tokens))
                        .with_n_batch(batch_tokens)
                        .with_n_ubatch(batch_tokens)
                        .with_n_threads(t)
                        .with_n_threads_batch(t)
                };
                let contexts =
                    worker_model
                        .new_context(backend, params(threads))
                        .and_then(|wide| {
                            // llama-cpp-2 cannot change a context's thread count, so the adaptive mode
                            // keeps a second, single-threaded context (a second KV cache: ~50 MB for
                            // SmolLM2 at 2048 tokens)
                            let narrow = if adaptive {
                                Some(worker_model.new_context(backend, params(1))?)
                            } else {
                                None
                            };
                            Ok((wide, narrow))
                        });
                match contexts {
                    Ok((wide, narrow)) => {
                        let _ = ready_tx.send(Ok(()));
                        let mut contexts = Contexts {
                            wide: Slot::new(wide),
                            narrow: narrow.map(Slot::new),
                        };
                        serve(&worker_model, &mut contexts, batch_tokens as usize, &queue);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(model_error(
                            &worker_path,
                            format!("cannot create an inference context: {e}"),
                        )));
                    }
                }
            })
            .map_err(|e| Error::Generation(format!("cannot start the generator thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| Error::Generation("the generator thread died while loading".into()))??;
        tracing::info!(
            model = %name,
            path = %path.display(),
            context_tokens,
            threads,
            load_ms = started.elapsed().as_millis() as u64,
            "generator loaded"
        );
        Ok(Self {
            info: GeneratorInfo {
                name,
                path: path.clone(),
                context_tokens: context_tokens as usize,
            },
            model,
            template,
            jobs,
        })
    }

    fn templated(&self, messages: &[ChatMessage]) -> Result<String> {
        self.templated_with(messages, true)
    }

    /// `messages` through the chat template; `open_reply` adds the opening of the
    /// assistant's turn.
    fn templated_with(&self, messages: &[ChatMessage], open_reply: bool) -> Result<String> {
        let chat = messages
            .iter()
            .map(|m| {
                // C strings: a NUL byte in user text would otherwise be an error
                LlamaChatMessage::new(m.role.as_str().into(), m.content.replace('\0', " "))
                    .map_err(|e| Error::Generation(e.to_string()))
            })
            .collect::<Result<Vec<_>>>()?;
        self.model
            .apply_chat_template(&self.template, &chat, open_reply)
            .map_err(|e| Error::Generation(format!("cannot apply the chat template: {e}")))
    }

    /// How many leading tokens of `prompt` hold its leading system messages alone (0 when
    /// there are none, or nothing follows them). A pure function of the messages, so every
    /// prompt with the same system messages gets the same boundary.
    fn stable_prefix(
        &self,
        messages: &[ChatMessage],
        prompt: &[llama_cpp_2::token::LlamaToken],
    ) -> usize {
        let systems = messages
            .iter()
            .take_while(|m| m.role == Role::System)
            .count();
        if systems == 0 || systems == messages.len() {
            return 0;
        }
        let Ok(text) = self.templated_with(&messages[..systems], false) else {
            return 0;
        };
        let head = self.model.vocab().tokenize(text.as_bytes(), true, true);
        // a template may render a lone system message differently; what both share still is
        // a prefix of every such prompt
        head.iter().zip(prompt).take_while(|(a, b)| a == b).count()
    }

    fn tokenize_prompt(
        &self,
        messages: &[ChatMessage],
    ) -> Result<Vec<llama_cpp_2::token::LlamaToken>> {
        let text = self.templated(messages)?;
        // the template wrote special tokens as text: parse them as special tokens
        Ok(self.model.vocab().tokenize(text.as_bytes(), true, true))
    }
}

impl Generator for LlamaGenerator {
    fn info(&self) -> &GeneratorInfo {
        &self.info
    }

    fn count_tokens(&self, text: &str) -> Result<usize> {
        Ok(self
            .model
            .vocab()
            .tokenize(text.as_bytes(), false, false)
            .len())
    }

    fn prompt_tokens(&self, messages: &[ChatMessage]) -> Result<usize> {
        Ok(self.tokenize_prompt(messages)?.len())
    }

    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenerateParams,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Generation> {
        let prompt = self.tokenize_prompt(messages)?;
        let stable = self.stable_prefix(messages, &prompt);
        let limit = self.info.context_tokens;
        if prompt.len() + params.max_tokens.max(1) > limit {
            return Err(Error::PromptTooLong {
                tokens: prompt.len(),
                max_tokens: params.max_tokens,
                limit,
            });
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let (events, received) = mpsc::channel();
        let job = Job {
            prompt,
            stable,
            params: params.clone(),
            cancel: Arc::clone(&cancel),
            enqueued: Instant::now(),
            events,
        };
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(Error::Busy),
            Err(TrySendError::Disconnected(_)) => {
                return Err(Error::Generation("the generator thread has stopped".into()));
            }
        }
        relay(&received, &cancel, on_token)
    }
}

/// Hands tokens from the worker to the callback until the worker reports the end. On
/// [`Flow::Stop`] it raises the cancel flag and keeps waiting for the end, so the model is
/// free again when this returns.
fn relay(
    received: &Receiver<Event>,
    cancel: &AtomicBool,
    on_token: &mut dyn FnMut(&str) -> Flow,
) -> Result<Generation> {
    loop {
        match received.recv() {
            Ok(Event::Token(text)) => {
                if !cancel.load(Ordering::Relaxed) && on_token(&text) == Flow::Stop {
                    cancel.store(true, Ordering::Relaxed);
                }
            }
            Ok(Event::Done(result)) => return result,
            Err(_) => return Err(Error::Generation("the generator thread has stopped".into())),
        }
    }
}

/// The worker's inference contexts: `wide` uses every thread; `narrow` (adaptive mode
/// only) one thread, for when other processes compete for the CPU.
struct Contexts<'m> {
    wide: Slot<'m>,
    narrow: Option<Slot<'m>>,
}

/// A context and the prompt whose state its KV cache holds.
///
/// Why: consecutive prompts share their start (chat template and system prompt, about a
/// tenth of an answer prompt), and a repeated question shares more; whole chunks of that
/// part are kept in the cache instead of being processed again.
struct Slot<'m> {
    ctx: LlamaContext<'m>,
    /// Tokens at positions `0..cached.len()` of the cache; empty when unknown.
    cached: Vec<llama_cpp_2::token::LlamaToken>,
    /// The chunks the cached prompt was processed in.
    cached_chunks: Vec<Range<usize>>,
}

/// The chunks a prompt of `n` tokens is processed in: `0..stable`, then `batch` tokens at a
/// time.
///
/// Why fixed chunks: llama.cpp's CPU kernels round differently for different batch shapes
/// (a one-token batch takes another matrix path than a 500-token one), so the logits of a
/// prompt would depend on how much of it happened to be cached, and a greedy answer could
/// change between two identical requests. Processing every prompt in chunks that depend on
/// the prompt alone, and reusing only whole chunks, makes the result the same whatever the
/// cache held.
fn chunks(n: usize, stable: usize, batch: usize) -> Vec<Range<usize>> {
    let batch = batch.max(1);
    let mut out = Vec::new();
    let mut at = 0;
    if stable > 0 && stable < n {
        // the system part may exceed a batch: split it too, from its start
        while at < stable {
            let end = (at + batch).min(stable);
            out.push(at..end);
            at = end;
        }
    }
    while at < n {
        let end = (at + batch).min(n);
        out.push(at..end);
        at = end;
    }
    out
}

/// How many leading tokens of a new prompt can come from the cache: the end of the leading
/// chunks both prompts were (and will be) processed in, as long as their tokens agree
/// (`shared`). The last chunk is never reused: its logits are needed.
fn reusable(cached: &[Range<usize>], new: &[Range<usize>], shared: usize) -> usize {
    let last = new.len().saturating_sub(1);
    cached
        .iter()
        .zip(&new[..last])
        .take_while(|(a, b)| a == b && b.end <= shared)
        .last()
        .map_or(0, |(_, b)| b.end)
}

impl<'m> Slot<'m> {
    fn new(ctx: LlamaContext<'m>) -> Self {
        Self {
            ctx,
            cached: Vec::new(),
            cached_chunks: Vec::new(),
        }
    }

    /// Drops the cache after the chunks it shares with `prompt` (processed in `chunks`) and
    /// returns their length, from which the prompt must be processed.
    fn keep_prefix_of(
        &mut self,
        prompt: &[llama_cpp_2::token::LlamaToken],
        chunks: &[Range<usize>],
    ) -> usize {
        let shared = self
            .cached
            .iter()
            .zip(prompt)
            .take_while(|(a, b)| a == b)
            .count();
        let shared = reusable(&self.cached_chunks, chunks, shared);
        // the cache is unknown until this prompt's prefill completes
        self.cached.clear();
        self.cached_chunks.clear();
        let kept = shared > 0
            && u32::try_from(shared)
                .ok()
                .and_then(|p0| self.ctx.clear_kv_cache_seq(Some(0), Some(p0), None).ok())
                // false: this model's memory cannot drop a suffix (recurrent models)
                .unwrap_or(false);
        if kept {
            shared
        } else {
            self.ctx.clear_kv_cache();
            0
        }
    }
}

/// Whether other work is runnable right now: the 4th field of `/proc/loadavg` counts the
/// runnable tasks at this instant (this thread included).
///
/// Why it matters: llama.cpp's threads synchronize at every layer (OpenMP barriers that
/// spin). On this project's 2-core machines, with other processes busy, two threads decoded
/// SmolLM2 at 0.4–0.8 tokens/s where one thread decoded at 17–25; idle, two threads are
/// faster (≈85 tokens/s, prompt ≈320 tokens/s).
fn cpu_is_contended() -> bool {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| {
            let running = s
                .split_whitespace()
                .nth(3)?
                .split('/')
                .next()?
                .parse::<usize>()
                .ok()?;
            Some(running > 1)
        })
        .unwrap_or(false)
}

fn serve(
    model: &LlamaModel,
    contexts: &mut Contexts<'_>,
    batch_tokens: usize,
    queue: &Receiver<Job>,
) {
    let mut batch = LlamaBatch::new(batch_tokens, 1);
    while let Ok(job) = queue.recv() {
        let queue_wait = job.enqueued.elapsed();
        let slot = match &mut contexts.narrow {
            Some(narrow) if cpu_is_contended() => {
                tracing::debug!("CPU busy: generating on one thread");
                narrow
            }
            _ => &mut contexts.wide,
        };
        // a requester that gave up while queued costs nothing
        let result = if job.cancel.load(Ordering::Relaxed) {
            Ok(cancelled_before_start(&job, queue_wait))
        } else {
            run(model, slot, &mut batch, batch_tokens, &job, queue_wait)
        };
        let _ = job.events.send(Event::Done(result));
    }
}

fn cancelled_before_start(job: &Job, queue_wait: Duration) -> Generation {
    Generation {
        text: String::new(),
        finish: FinishReason::Cancelled,
        prompt_tokens: job.prompt.len(),
        reused_prompt_tokens: 0,
        generated_tokens: 0,
        queue_wait,
        prefill: Duration::ZERO,
        decode: Duration::ZERO,
    }
}

fn sampler(model: &LlamaModel, params: &GenerateParams) -> LlamaSampler {
    let mut chain = Vec::new();
    if params.repeat_penalty != 1.0 {
        chain.push(LlamaSampler::penalties(
            model.n_vocab(),
            PENALTY_WINDOW,
            params.repeat_penalty,
            0.0,
            0.0,
        ));
    }
    match params.sampling {
        Sampling::Greedy => chain.push(LlamaSampler::greedy()),
        Sampling::TopP {
            temperature,
            top_p,
            seed,
        } => {
            chain.push(LlamaSampler::top_p(top_p.clamp(0.01, 1.0), 1));
            chain.push(LlamaSampler::temp(temperature.max(0.01)));
            chain.push(LlamaSampler::dist(seed));
        }
    }
    LlamaSampler::chain_simple(chain)
}

fn run(
    model: &LlamaModel,
    slot: &mut Slot<'_>,
    batch: &mut LlamaBatch<'_>,
    batch_tokens: usize,
    job: &Job,
    queue_wait: Duration,
) -> Result<Generation> {
    let failed = |e: &dyn std::fmt::Display| Error::Generation(e.to_string());
    let started = Instant::now();
    let n = job.prompt.len();
    let chunks = chunks(n, job.stable, batch_tokens);
    let reused = slot.keep_prefix_of(&job.prompt, &chunks);
    let ctx = &mut slot.ctx;
    for chunk in chunks.iter().filter(|c| c.start >= reused) {
        if job.cancel.load(Ordering::Relaxed) {
            let mut g = cancelled_before_start(job, queue_wait);
            g.prefill = started.elapsed();
            return Ok(g);
        }
        batch.clear();
        for pos in chunk.clone() {
            batch
                .add(job.prompt[pos], pos as i32, &[0], pos + 1 == n)
                .map_err(|e| failed(&e))?;
        }
        ctx.decode(batch).map_err(|e| failed(&e))?;
    }
    let prefill = started.elapsed();
    // generated tokens follow at positions n.., and the next prompt's prefix search stops at n
    slot.cached.clone_from(&job.prompt);
    slot.cached_chunks = chunks;
    let ctx = &mut slot.ctx;
    let decode_started = Instant::now();
    let vocab = model.vocab();
    let mut sampler = sampler(model, &job.params);
    let mut stream = TextStream::default();
    let mut generated = 0;
    let mut finish = FinishReason::MaxTokens;
    let mut pos = n;
    let mut last = batch.n_tokens() - 1;
    while generated < job.params.max_tokens {
        if job.cancel.load(Ordering::Relaxed) {
            finish = FinishReason::Cancelled;
            break;
        }
        let token = sampler.sample(ctx, last);
        generated += 1;
        if vocab.is_eog(token) {
            finish = FinishReason::EndOfTurn;
            break;
        }
        let bytes = vocab.token_to_piece(token, false, None);
        match stream.push(&bytes, &job.params.stop) {
            Pushed::Text(text) => {
                if !text.is_empty() && job.events.send(Event::Token(text)).is_err() {
                    finish = FinishReason::Cancelled;
                    break;
                }
            }
            Pushed::Stopped(text) => {
                if !text.is_empty() {
                    let _ = job.events.send(Event::Token(text));
                }
                finish = FinishReason::StopSequence;
                break;
            }
        }
        if generated == job.params.max_tokens {
            break;
        }
        batch.clear();
        batch
            .add(token, pos as i32, &[0], true)
            .map_err(|e| failed(&e))?;
        pos += 1;
        last = 0;
        ctx.decode(batch).map_err(|e| failed(&e))?;
    }
    if finish != FinishReason::StopSequence && finish != FinishReason::Cancelled {
        let rest = stream.finish();
        if !rest.is_empty() {
            let _ = job.events.send(Event::Token(rest));
        }
    }
    Ok(Generation {
        text: stream.emitted().to_string(),
        finish,
        prompt_tokens: n,
        reused_prompt_tokens: reused,
        generated_tokens: generated,
        queue_wait,
        prefill,
        decode: decode_started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::{chunks, reusable};

    #[test]
    fn chunks_start_with_the_system_part_then_go_a_batch_at_a_time() {
        assert_eq!(chunks(700, 100, 512), vec![0..100, 100..612, 612..700]);
        assert_eq!(chunks(700, 0, 512), vec![0..512, 512..700]);
        // a system part longer than a batch is split from its start
        assert_eq!(
            chunks(1300, 600, 512),
            vec![0..512, 512..600, 600..1112, 1112..1300]
        );
        // no boundary at the end of the prompt (nothing follows the system part)
        assert_eq!(chunks(100, 100, 512), vec![0..100]);
    }

    #[test]
    fn only_whole_shared_chunks_are_reused_and_never_the_last() {
        let old = chunks(700, 100, 512);
        // a new question after the same system part: its chunk only
        assert_eq!(reusable(&old, &chunks(650, 100, 512), 130), 100);
        // shared tokens end inside a chunk: that chunk is processed again
        assert_eq!(reusable(&old, &chunks(700, 100, 512), 99), 0);
        // the same prompt again: all but the last chunk
        assert_eq!(reusable(&old, &chunks(700, 100, 512), 699), 612);
        // a longer prompt sharing all of the old one: the old last chunk had another end
        assert_eq!(reusable(&old, &chunks(900, 100, 512), 700), 612);
        // another system part: chunk boundaries differ, nothing is reused
        assert_eq!(reusable(&old, &chunks(700, 90, 512), 95), 0);
        assert_eq!(reusable(&[], &chunks(700, 100, 512), 0), 0);
    }
}
