//! Text generation for trawl: chat messages in, tokens streamed out.
//!
//! This crate owns the [`Generator`] trait (what callers see: messages, sampling, stop
//! sequences, a token budget, streaming with cancellation, token counting for prompt
//! budgeting) and its llama.cpp implementation [`LlamaGenerator`], which serves any GGUF chat
//! model with the chat template stored in the file. It knows nothing of retrieval or
//! citations: grounding answers is the caller's job.

mod error;
mod llama;
mod stream;

pub use crate::{
    error::{Error, Result},
    llama::{GeneratorOptions, LlamaGenerator},
};

use std::path::PathBuf;
use std::time::Duration;

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Instructions that frame the conversation.
    System,
    /// The person asking.
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The role name chat templates expect.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::User => "user",
            Self::Assistant => "assistant",
        }
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// What it says.
    pub content: String,
}

impl ChatMessage {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

/// How the next token is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sampling {
    /// Always the most likely token: deterministic for a given model and prompt.
    Greedy,
    /// Temperature then nucleus (top-p) sampling, seeded for reproducibility.
    TopP {
        /// Softmax temperature (> 0).
        temperature: f32,
        /// Keep the smallest set of tokens whose probabilities sum to at least this.
        top_p: f32,
        /// Random seed.
        seed: u32,
    },
}

/// What to generate, and when to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateParams {
    /// Token choice.
    pub sampling: Sampling,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// Generation stops before the first occurrence of any of these strings; the stop string
    /// itself is never emitted.
    pub stop: Vec<String>,
    /// Penalty (> 1 discourages) for repeating a token generated in the last 64 tokens; 1.0
    /// disables it. Tokens of the prompt are not penalized, so copying from context is not.
    pub repeat_penalty: f32,
}

impl Default for GenerateParams {
    fn default() -> Self {
        Self {
            sampling: Sampling::Greedy,
            max_tokens: 256,
            stop: Vec::new(),
            repeat_penalty: 1.0,
        }
    }
}

/// What the token callback tells the generator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep generating.
    Continue,
    /// Stop now (e.g. the client went away); the model is freed for the next request.
    Stop,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// The model produced an end-of-turn token.
    EndOfTurn,
    /// A stop sequence was reached.
    StopSequence,
    /// The token budget ran out.
    MaxTokens,
    /// The callback asked to stop.
    Cancelled,
}

/// The outcome of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// Everything streamed to the callback, concatenated.
    pub text: String,
    /// Why it ended.
    pub finish: FinishReason,
    /// Tokens in the templated prompt.
    pub prompt_tokens: usize,
    /// Leading prompt tokens whose state was kept from the previous request (the shared
    /// system prompt, typically) and so were not processed again.
    pub reused_prompt_tokens: usize,
    /// Tokens generated (including a final end-of-turn token).
    pub generated_tokens: usize,
    /// Time spent waiting in the queue for the model.
    pub queue_wait: Duration,
    /// Time to process the prompt, from the moment the model was free.
    pub prefill: Duration,
    /// Time spent generating after the prompt.
    pub decode: Duration,
}

impl Generation {
    /// Generated tokens per second of decoding (0 when nothing was generated).
    pub fn tokens_per_second(&self) -> f64 {
        let secs = self.decode.as_secs_f64();
        if self.generated_tokens == 0 || secs <= 0.0 {
            0.0
        } else {
            self.generated_tokens as f64 / secs
        }
    }
}

/// What identifies a generator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorInfo {
    /// Model name (from the file's metadata, or its file name).
    pub name: String,
    /// The model file.
    pub path: PathBuf,
    /// Context window in tokens: the templated prompt plus the generated tokens must fit.
    pub context_tokens: usize,
}

/// Generates text from chat messages, one request at a time per loaded model.
///
/// Implementations are shared across threads; concurrent calls are queued fairly (first come,
/// first served) in a bounded queue, and a call that finds the queue full fails at once with
/// [`Error::Busy`] instead of waiting.
pub trait Generator: Send + Sync {
    /// The model behind this generator.
    fn info(&self) -> &GeneratorInfo;

    /// Tokens `text` takes in the model's vocabulary (no special tokens added).
    fn count_tokens(&self, text: &str) -> Result<usize>;

    /// Tokens the whole prompt takes once the chat template is applied, including the opening
    /// of the assistant's turn.
    fn prompt_tokens(&self, messages: &[ChatMessage]) -> Result<usize>;

    /// Generates the assistant's reply, calling `on_token` with each piece of text as soon as
    /// it is known (pieces never split a UTF-8 character and never contain part of a stop
    /// sequence). Blocks until generation ends; returning [`Flow::Stop`] from the callback
    /// ends it early and frees the model.
    fn generate(
        &self,
        messages: &[ChatMessage],
        params: &GenerateParams,
        on_token: &mut dyn FnMut(&str) -> Flow,
    ) -> Result<Generation>;
}
