//! BERT encoder (all-MiniLM-L6-v2 and its kin) as trainable candle variables.
//!
//! Written from primitive tensor ops rather than `candle-transformers`' BERT or candle-nn's
//! fused kernels because training needs a backward pass through every op, and candle-nn's
//! fused softmax and layer norm have none. The arithmetic is that of Hugging Face's
//! `BertModel` (absolute positions, post-layer-norm, exact GELU), which is also what
//! `scripts/convert_model.py` checks the ONNX graphs against, so tuned weights mean the same
//! thing in the serving graph.

use std::collections::HashMap;

use candle_core::{D, DType, Device, Tensor, Var};
use serde::Deserialize;

use crate::{Error, Result};

/// The fields of a Hugging Face `config.json` this encoder reads.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    /// Width of every token state.
    pub hidden_size: usize,
    /// Number of transformer layers.
    pub num_hidden_layers: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Width of the feed-forward layer.
    pub intermediate_size: usize,
    /// Epsilon of every layer norm.
    pub layer_norm_eps: f64,
    /// Longest input the position table covers.
    pub max_position_embeddings: usize,
    /// Must be `gelu` (exact, erf-based).
    pub hidden_act: String,
    /// Must be `absolute` when present.
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

impl BertConfig {
    fn check(&self) -> Result<()> {
        if self.hidden_act != "gelu" {
            return Err(Error::Invalid(format!(
                "unsupported hidden_act {:?} (only exact gelu)",
                self.hidden_act
            )));
        }
        if self
            .position_embedding_type
            .as_deref()
            .is_some_and(|p| p != "absolute")
        {
            return Err(Error::Invalid(
                "only absolute position embeddings are supported".into(),
            ));
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(Error::Invalid(format!(
                "hidden_size {} is not a multiple of {} heads",
                self.hidden_size, self.num_attention_heads
            )));
        }
        Ok(())
    }
}

/// A batch of tokenized texts, padded to the longest.
#[derive(Debug)]
pub struct Batch {
    /// Token ids, `[batch, seq]`, u32.
    pub ids: Tensor,
    /// Segment ids, `[batch, seq]`, u32.
    pub type_ids: Tensor,
    /// 1 for real tokens and 0 for padding, `[batch, seq]`, f32.
    pub mask: Tensor,
}

/// The encoder's weights: trainable [`Var`]s for what the forward pass uses, and the rest of
/// the checkpoint (pooler, position ids) kept as they were so a saved file has every tensor
/// the original had.
pub struct Bert {
    config: BertConfig,
    vars: Vec<(String, Var)>,
    index: HashMap<String, usize>,
    passthrough: Vec<(String, Tensor)>,
}

impl std::fmt::Debug for Bert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bert")
            .field("config", &self.config)
            .field("trainable", &self.vars.len())
            .finish_non_exhaustive()
    }
}

/// Names of the tensors the forward pass reads, without any `bert.` prefix.
fn used_names(config: &BertConfig) -> Vec<String> {
    let mut names: Vec<String> = [
        "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight",
        "embeddings.token_type_embeddings.weight",
        "embeddings.LayerNorm.weight",
        "embeddings.LayerNorm.bias",
    ]
    .map(str::to_owned)
    .to_vec();
    for i in 0..config.num_hidden_layers {
        for part in [
            "attention.self.query",
            "attention.self.key",
            "attention.self.value",
            "attention.output.dense",
            "attention.output.LayerNorm",
            "intermediate.dense",
            "output.dense",
            "output.LayerNorm",
        ] {
            for p in ["weight", "bias"] {
                names.push(format!("encoder.layer.{i}.{part}.{p}"));
            }
        }
    }
    names
}

impl Bert {
    /// Builds the encoder from a checkpoint's tensors (`model.safetensors`), with or without
    /// the `bert.` prefix; every tensor the forward pass needs must be there.
    pub fn from_tensors(config: BertConfig, tensors: HashMap<String, Tensor>) -> Result<Self> {
        config.check()?;
        let mut tensors: HashMap<String, Tensor> = tensors
            .into_iter()
            .map(|(k, v)| (k.strip_prefix("bert.").map(str::to_owned).unwrap_or(k), v))
            .collect();
        let mut vars = Vec::new();
        let mut index = HashMap::new();
        for name in used_names(&config) {
            let t = tensors
                .remove(&name)
                .ok_or_else(|| Error::Invalid(format!("checkpoint has no tensor {name}")))?;
            index.insert(name.clone(), vars.len());
            vars.push((name, Var::from_tensor(&t.to_dtype(DType::F32)?)?));
        }
        let mut passthrough: Vec<(String, Tensor)> = tensors.into_iter().collect();
        passthrough.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self {
            config,
            vars,
            index,
            passthrough,
        })
    }

    /// Reads `model.safetensors` bytes and `config.json` bytes.
    pub fn from_bytes(config_json: &[u8], safetensors: &[u8]) -> Result<Self> {
        let config: BertConfig = serde_json::from_slice(config_json)
            .map_err(|e| Error::Invalid(format!("config.json: {e}")))?;
        let tensors = candle_core::safetensors::load_buffer(safetensors, &Device::Cpu)?;
        Self::from_tensors(config, tensors)
    }

    /// The configuration the encoder was built with.
    pub fn config(&self) -> &BertConfig {
        &self.config
    }

    /// The trainable tensors, named as in the checkpoint.
    pub fn vars(&self) -> &[(String, Var)] {
        &self.vars
    }

    /// Every tensor, trainable and not, named as in the checkpoint (without `bert.`).
    pub fn tensors(&self) -> HashMap<String, Tensor> {
        self.vars
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().detach()))
            .chain(self.passthrough.iter().cloned())
            .collect()
    }

    /// Replaces the trainable tensors' values (a checkpoint being resumed).
    pub fn load_values(&self, tensors: &HashMap<String, Tensor>) -> Result<()> {
        for (name, var) in &self.vars {
            let t = tensors
                .get(name)
                .ok_or_else(|| Error::Invalid(format!("checkpoint has no tensor {name}")))?;
            var.set(t)?;
        }
        Ok(())
    }

    fn w(&self, name: &str) -> Result<&Tensor> {
        self.index
            .get(name)
            .map(|&i| self.vars[i].1.as_tensor())
            .ok_or_else(|| Error::Invalid(format!("no weight {name}")))
    }

    /// `x @ W^T + b` over the last dimension of a `[rows, in]` tensor.
    fn linear(&self, x: &Tensor, name: &str) -> Result<Tensor> {
        let w = self.w(&format!("{name}.weight"))?;
        let b = self.w(&format!("{name}.bias"))?;
        Ok(x.matmul(&w.t()?)?.broadcast_add(b)?)
    }

    fn layer_norm(&self, x: &Tensor, name: &str) -> Result<Tensor> {
        let w = self.w(&format!("{name}.weight"))?;
        let b = self.w(&format!("{name}.bias"))?;
        let mean = x.mean_keepdim(D::Minus1)?;
        let centered = x.broadcast_sub(&mean)?;
        let var = centered.sqr()?.mean_keepdim(D::Minus1)?;
        let normed = centered.broadcast_div(&(var + self.config.layer_norm_eps)?.sqrt()?)?;
        Ok(normed.broadcast_mul(w)?.broadcast_add(b)?)
    }

    /// Token states `[batch, seq, hidden]` (the ONNX graph's `last_hidden_state`).
    pub fn forward(&self, batch: &Batch) -> Result<Tensor> {
        let (b, s) = batch.ids.dims2()?;
        let c = &self.config;
        if s > c.max_position_embeddings {
            return Err(Error::Invalid(format!(
                "sequence of {s} tokens is longer than the {} positions",
                c.max_position_embeddings
            )));
        }
        let h = c.hidden_size;
        let heads = c.num_attention_heads;
        let hd = h / heads;
        let words = self
            .w("embeddings.word_embeddings.weight")?
            .index_select(&batch.ids.flatten_all()?, 0)?;
        let types = self
            .w("embeddings.token_type_embeddings.weight")?
            .index_select(&batch.type_ids.flatten_all()?, 0)?;
        let positions = self
            .w("embeddings.position_embeddings.weight")?
            .narrow(0, 0, s)?
            .repeat((b, 1))?;
        // Rows are (batch, position) flattened: every linear layer is one 2-D matmul.
        let mut x = self.layer_norm(&((words + types)? + positions)?, "embeddings.LayerNorm")?;
        // Additive mask over keys: padding gets a large negative score before the softmax.
        let key_bias = ((batch.mask.clone() - 1.0)? * 1e4)?.reshape((b, 1, 1, s))?;
        let scale = 1.0 / (hd as f64).sqrt();
        for i in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{i}");
            let split = |t: Tensor| -> Result<Tensor> {
                Ok(t.reshape((b, s, heads, hd))?
                    .transpose(1, 2)?
                    .contiguous()?)
            };
            let q = split(self.linear(&x, &format!("{p}.attention.self.query"))?)?;
            let k = split(self.linear(&x, &format!("{p}.attention.self.key"))?)?;
            let v = split(self.linear(&x, &format!("{p}.attention.self.value"))?)?;
            let scores = (q.matmul(&k.t()?.contiguous()?)? * scale)?.broadcast_add(&key_bias)?;
            let probs = softmax_last(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b * s, h))?;
            let attn = self.linear(&ctx, &format!("{p}.attention.output.dense"))?;
            x = self.layer_norm(&(x + attn)?, &format!("{p}.attention.output.LayerNorm"))?;
            let ff = self
                .linear(&x, &format!("{p}.intermediate.dense"))?
                .gelu_erf()?;
            let ff = self.linear(&ff, &format!("{p}.output.dense"))?;
            x = self.layer_norm(&(x + ff)?, &format!("{p}.output.LayerNorm"))?;
        }
        Ok(x.reshape((b, s, h))?)
    }

    /// Mean-pooled, L2-normalized sentence vectors `[batch, hidden]`, as trawl serves them.
    pub fn embed(&self, batch: &Batch) -> Result<Tensor> {
        let states = self.forward(batch)?;
        let mask = batch.mask.unsqueeze(2)?;
        let summed = states.broadcast_mul(&mask)?.sum(1)?;
        let counts = mask.sum(1)?.clamp(1e-9, f64::MAX)?;
        let pooled = summed.broadcast_div(&counts)?;
        let norm = pooled
            .sqr()?
            .sum_keepdim(1)?
            .sqrt()?
            .clamp(1e-12, f64::MAX)?;
        Ok(pooled.broadcast_div(&norm)?)
    }
}

/// Softmax over the last dimension from ops that all have a backward pass. The row maximum
/// is subtracted for stability and detached: a constant shift does not change the result.
pub(crate) fn softmax_last(x: &Tensor) -> Result<Tensor> {
    let max = x.max_keepdim(D::Minus1)?.detach();
    let e = x.broadcast_sub(&max)?.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    Ok(e.broadcast_div(&sum)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Normal-ish values (the sum of four uniforms, scaled) from a generator seeded by `name`.
    fn seeded_normal(name: &str, shape: Vec<usize>, std: f32, dev: &Device) -> Tensor {
        let mut state: u64 = name.bytes().fold(0xcbf2_9ce4_8422_2325 ^ 4, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 40) as f32) / ((1u64 << 24) as f32)
        };
        let n: usize = shape.iter().product();
        // four uniforms sum to mean 2, variance 1/3
        let values: Vec<f32> = (0..n)
            .map(|_| ((0..4).map(|_| uniform()).sum::<f32>() - 2.0) * std * 3f32.sqrt())
            .collect();
        Tensor::from_vec(values, shape, dev).unwrap()
    }

    /// A two-layer encoder of width 8 with seeded random weights (vocabulary of 20): small
    /// enough to check gradients by finite differences and to train in tests.
    pub(crate) fn tiny() -> Bert {
        let config = BertConfig {
            hidden_size: 8,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size: 16,
            layer_norm_eps: 1e-12,
            max_position_embeddings: 16,
            hidden_act: "gelu".into(),
            position_embedding_type: None,
        };
        let dev = Device::Cpu;
        let mut tensors = HashMap::new();
        for name in used_names(&config) {
            let shape: Vec<usize> = if name.contains("word_embeddings") {
                vec![20, 8]
            } else if name.contains("position_embeddings") {
                vec![16, 8]
            } else if name.contains("token_type") {
                vec![2, 8]
            } else if name.contains("LayerNorm") || name.ends_with(".bias") {
                let out = if name.contains("intermediate.dense") {
                    16
                } else {
                    8
                };
                vec![out]
            } else if name.contains("intermediate.dense") {
                vec![16, 8]
            } else if name.contains("output.dense") && !name.contains("attention") {
                vec![8, 16]
            } else {
                vec![8, 8]
            };
            // seeded (candle cannot seed its CPU generator), so every test run starts from
            // the same weights and a test on the loss cannot pass or fail by chance
            let t = seeded_normal(&name, shape, 0.5, &dev);
            let t = if name.contains("LayerNorm.weight") {
                (t + 1.0).unwrap()
            } else {
                t
            };
            tensors.insert(name, t);
        }
        tensors.insert(
            "pooler.dense.bias".into(),
            Tensor::zeros(8, DType::F32, &dev).unwrap(),
        );
        Bert::from_tensors(config, tensors).unwrap()
    }

    fn batch(ids: &[[u32; 5]], lens: &[usize]) -> Batch {
        let dev = Device::Cpu;
        let flat: Vec<u32> = ids.iter().flatten().copied().collect();
        let mask: Vec<f32> = lens
            .iter()
            .flat_map(|&l| (0..5).map(move |i| if i < l { 1.0 } else { 0.0 }))
            .collect();
        Batch {
            ids: Tensor::from_vec(flat, (ids.len(), 5), &dev).unwrap(),
            type_ids: Tensor::zeros((ids.len(), 5), DType::U32, &dev).unwrap(),
            mask: Tensor::from_vec(mask, (ids.len(), 5), &dev).unwrap(),
        }
    }

    fn loss(bert: &Bert) -> Tensor {
        let q = bert
            .embed(&batch(&[[1, 2, 3, 0, 0], [4, 5, 6, 7, 0]], &[3, 4]))
            .unwrap();
        let p = bert
            .embed(&batch(&[[1, 9, 3, 8, 2], [4, 11, 12, 0, 0]], &[5, 3]))
            .unwrap();
        crate::train::mnr_loss(&q, &p, 20.0).unwrap()
    }

    #[test]
    fn every_weight_gets_a_gradient_that_matches_finite_differences() {
        let bert = tiny();
        let grads = loss(&bert).backward().unwrap();
        for (name, var) in bert.vars() {
            assert!(
                grads.get(var.as_tensor()).is_some(),
                "no gradient for {name}"
            );
        }
        // Finite differences on a few entries of weights deep in the graph (attention,
        // feed-forward after GELU, a layer norm): the analytic gradient must agree.
        for name in [
            "encoder.layer.0.attention.self.query.weight",
            "encoder.layer.1.intermediate.dense.weight",
            "encoder.layer.0.output.LayerNorm.weight",
            "embeddings.word_embeddings.weight",
        ] {
            let (_, var) = bert.vars().iter().find(|(n, _)| n == name).unwrap();
            let g = grads.get(var.as_tensor()).unwrap().flatten_all().unwrap();
            let g: Vec<f32> = g.to_vec1().unwrap();
            let orig = var.as_tensor().copy().unwrap();
            let flat: Vec<f32> = orig.flatten_all().unwrap().to_vec1().unwrap();
            // the entry with the largest gradient, so the difference is well above noise
            let i = (0..g.len())
                .max_by(|&a, &b| g[a].abs().total_cmp(&g[b].abs()))
                .unwrap();
            let eps = 1e-2f32;
            let at = |delta: f32| {
                let mut f = flat.clone();
                f[i] += delta;
                var.set(&Tensor::from_vec(f, orig.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                loss(&bert).to_scalar::<f32>().unwrap()
            };
            let numeric = (at(eps) - at(-eps)) / (2.0 * eps);
            var.set(&orig).unwrap();
            let rel = (numeric - g[i]).abs() / g[i].abs().max(1e-3);
            assert!(
                rel < 0.05,
                "{name}[{i}]: analytic {} numeric {numeric}",
                g[i]
            );
        }
    }

    #[test]
    fn padding_does_not_change_a_vector() {
        let bert = tiny();
        let short = bert.embed(&batch(&[[1, 2, 3, 0, 0]], &[3])).unwrap();
        let padded = bert.embed(&batch(&[[1, 2, 3, 7, 7]], &[3])).unwrap();
        let diff = (short - padded)
            .unwrap()
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(diff < 1e-5, "{diff}");
        let norm = bert
            .embed(&batch(&[[4, 5, 6, 7, 8]], &[5]))
            .unwrap()
            .sqr()
            .unwrap()
            .sum_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
    }
}
