//! Contrastive fine-tuning: MultipleNegativesRanking loss over in-batch and hard negatives,
//! AdamW with linear warm-up and decay, a time budget, and resumable checkpoints.

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::{
    Error, Result,
    bert::{Batch, Bert},
};

/// One training example: a query and a passage that answers it, optionally with a passage
/// that looks relevant but is not (a hard negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// What a user would type.
    pub query: String,
    /// Text that answers it, as the model sees it at indexing time.
    pub passage: String,
    /// A near miss, e.g. a keyword hit that is not judged relevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative: Option<String>,
}

/// How to train. [`TrainOptions::default`] holds the values measured on SciFact.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Pairs per step; every other pair's passage is a negative for each query.
    pub batch_size: usize,
    /// Passes over the pairs.
    pub epochs: usize,
    /// Peak learning rate of AdamW.
    pub learning_rate: f64,
    /// Share of the steps spent warming the learning rate up from zero.
    pub warmup_share: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Cosine similarities are multiplied by this before the softmax (20 as in
    /// sentence-transformers' MultipleNegativesRankingLoss).
    pub scale: f64,
    /// Queries are truncated to this many tokens.
    pub max_query_tokens: usize,
    /// Passages are truncated to this many tokens.
    pub max_passage_tokens: usize,
    /// Seed of the shuffles.
    pub seed: u64,
    /// Stop (and checkpoint) before this much training time has passed; the learning-rate
    /// schedule is shortened to the steps that fit, so the run still ends decayed.
    pub budget: Option<Duration>,
    /// Write a checkpoint every this many steps (and at the end).
    pub checkpoint_every: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            batch_size: 32,
            epochs: 1,
            learning_rate: 2e-5,
            warmup_share: 0.1,
            weight_decay: 0.01,
            scale: 20.0,
            max_query_tokens: 64,
            max_passage_tokens: 256,
            seed: 42,
            budget: None,
            checkpoint_every: 25,
        }
    }
}

/// What one step did, for progress display.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    /// Steps done, this one included.
    pub step: usize,
    /// Steps the run will take (shrinks when the budget cannot fit the plan).
    pub total: usize,
    /// This step's loss.
    pub loss: f32,
    /// This step's learning rate.
    pub learning_rate: f64,
}

/// Why training stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stopped {
    /// Every planned step ran.
    Finished,
    /// The time budget ended the run early.
    Budget,
}

/// The outcome of [`train`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainReport {
    /// Pairs trained on.
    pub pairs: usize,
    /// Pairs that came with a hard negative.
    pub with_negative: usize,
    /// Passes over the pairs the plan had.
    pub epochs: usize,
    /// Peak learning rate of the schedule.
    pub learning_rate: f64,
    /// Steps the plan had (epochs × batches).
    pub planned_steps: usize,
    /// Steps run, over all resumed runs.
    pub steps: usize,
    /// Loss of every step, in order.
    pub losses: Vec<f32>,
    /// Training time over all resumed runs.
    pub seconds: f64,
    /// Why the run ended.
    pub stopped: Stopped,
    /// Step the run resumed from (0 for a fresh start).
    pub resumed_from: usize,
}

impl TrainReport {
    /// Mean loss of a run of steps, e.g. the first or last tenth.
    pub fn mean_loss(&self, range: std::ops::Range<usize>) -> Option<f32> {
        let s = self.losses.get(range)?;
        (!s.is_empty()).then(|| s.iter().sum::<f32>() / s.len() as f32)
    }
}

/// The on-disk state that lets a stopped run go on (`checkpoint.json` + `checkpoint.safetensors`).
#[derive(Debug, Serialize, Deserialize)]
struct CheckpointMeta {
    /// Identifies the pairs and options; a checkpoint of another run is refused.
    run: String,
    step: usize,
    total: usize,
    losses: Vec<f32>,
    seconds: f64,
}

const CHECKPOINT_META: &str = "checkpoint.json";
const CHECKPOINT_TENSORS: &str = "checkpoint.safetensors";

/// splitmix64: a tiny deterministic generator, so shuffles repeat across resumed runs
/// without a dependency on a random-number crate's stream stability.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// FNV-1a, for the run identity of a checkpoint (not security).
fn fnv(bytes: &[u8], mut h: u64) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

fn run_id(pairs: &[Pair], opts: &TrainOptions) -> String {
    let mut h = 0xcbf2_9ce4_8422_2325;
    for p in pairs {
        h = fnv(p.query.as_bytes(), h);
        h = fnv(p.passage.as_bytes(), h);
        h = fnv(p.negative.as_deref().unwrap_or("").as_bytes(), h);
    }
    let o = format!(
        "{} {} {} {} {} {} {} {}",
        opts.batch_size,
        opts.epochs,
        opts.learning_rate,
        opts.warmup_share,
        opts.scale,
        opts.max_query_tokens,
        opts.max_passage_tokens,
        opts.seed
    );
    format!("{:016x}", fnv(o.as_bytes(), h))
}

/// Batches of pair indexes for every epoch. Within a batch no two pairs share a query or a
/// passage: a repeated passage would be another query's in-batch "negative" while being its
/// positive, teaching the model to push a right answer away.
fn plan_batches(pairs: &[Pair], opts: &TrainOptions) -> Vec<Vec<usize>> {
    let mut rng = SplitMix(opts.seed);
    let mut batches = Vec::new();
    for _ in 0..opts.epochs {
        let mut order: Vec<usize> = (0..pairs.len()).collect();
        rng.shuffle(&mut order);
        let mut pending: std::collections::VecDeque<usize> = order.into();
        while !pending.is_empty() {
            let mut batch = Vec::with_capacity(opts.batch_size);
            let mut seen: HashSet<&str> = HashSet::new();
            let mut deferred = Vec::new();
            while batch.len() < opts.batch_size {
                let Some(i) = pending.pop_front() else { break };
                let p = &pairs[i];
                let clash = seen.contains(p.query.as_str())
                    || seen.contains(p.passage.as_str())
                    || p.negative.as_deref().is_some_and(|n| seen.contains(n));
                if clash {
                    deferred.push(i);
                    continue;
                }
                seen.insert(&p.query);
                seen.insert(&p.passage);
                if let Some(n) = &p.negative {
                    seen.insert(n);
                }
                batch.push(i);
            }
            // Deferred pairs go first into the next batch.
            for i in deferred.into_iter().rev() {
                pending.push_front(i);
            }
            // A batch of one has no in-batch negatives; fold a lone straggler away.
            if batch.len() >= 2 || batches.is_empty() {
                batches.push(batch);
            } else if let Some(last) = batches.last_mut() {
                last.extend(batch);
            }
        }
    }
    batches
}

/// The tokenizer for one side (queries or passages): truncated, padded to the longest.
fn side_tokenizer(base: &Tokenizer, max_tokens: usize) -> Result<Tokenizer> {
    let mut t = base.clone();
    t.with_truncation(Some(TruncationParams {
        max_length: max_tokens,
        ..Default::default()
    }))
    .map_err(|e| Error::Tokenizer(e.to_string()))?;
    t.with_padding(Some(PaddingParams::default()));
    Ok(t)
}

/// Tokenizes texts into a padded batch.
pub(crate) fn encode(tokenizer: &Tokenizer, texts: &[&str]) -> Result<Batch> {
    let enc = tokenizer
        .encode_batch(texts.to_vec(), true)
        .map_err(|e| Error::Tokenizer(e.to_string()))?;
    let b = enc.len();
    let s = enc.first().map_or(0, |e| e.get_ids().len());
    let mut ids = Vec::with_capacity(b * s);
    let mut types = Vec::with_capacity(b * s);
    let mut mask = Vec::with_capacity(b * s);
    for e in &enc {
        ids.extend_from_slice(e.get_ids());
        types.extend_from_slice(e.get_type_ids());
        mask.extend(e.get_attention_mask().iter().map(|&m| m as f32));
    }
    let dev = Device::Cpu;
    Ok(Batch {
        ids: Tensor::from_vec(ids, (b, s), &dev)?,
        type_ids: Tensor::from_vec(types, (b, s), &dev)?,
        mask: Tensor::from_vec(mask, (b, s), &dev)?,
    })
}

/// MultipleNegativesRanking loss: for query i the right passage is candidate i among every
/// passage of the batch (positives, then hard negatives); cross-entropy over scaled cosines.
pub(crate) fn mnr_loss(queries: &Tensor, candidates: &Tensor, scale: f64) -> Result<Tensor> {
    let n = queries.dim(0)?;
    let m = candidates.dim(0)?;
    let logits = (queries.matmul(&candidates.t()?)? * scale)?;
    let max = logits.max_keepdim(1)?.detach();
    let lse = (logits.broadcast_sub(&max)?.exp()?.sum_keepdim(1)?.log()? + &max)?;
    // The diagonal of the first n columns, picked with a one-hot mask (all ops differentiable).
    let mut eye = vec![0f32; n * m];
    for i in 0..n {
        eye[i * m + i] = 1.0;
    }
    let eye = Tensor::from_vec(eye, (n, m), &Device::Cpu)?;
    let right = (logits * eye)?.sum_keepdim(1)?;
    Ok((lse - right)?.mean_all()?)
}

/// AdamW with bias correction, kept here so its moments can be checkpointed.
struct AdamW {
    m: Vec<Tensor>,
    v: Vec<Tensor>,
    beta1: f64,
    beta2: f64,
    eps: f64,
    weight_decay: f64,
}

impl AdamW {
    fn new(vars: &[(String, Var)], weight_decay: f64) -> Result<Self> {
        let zeros = |v: &Var| v.as_tensor().zeros_like();
        Ok(Self {
            m: vars
                .iter()
                .map(|(_, v)| zeros(v))
                .collect::<Result<_, _>>()?,
            v: vars
                .iter()
                .map(|(_, v)| zeros(v))
                .collect::<Result<_, _>>()?,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-6,
            weight_decay,
        })
    }

    /// One update; `t` counts steps from 1.
    fn step(
        &mut self,
        vars: &[(String, Var)],
        grads: &candle_core::backprop::GradStore,
        lr: f64,
        t: usize,
    ) -> Result<()> {
        let c1 = 1.0 - self.beta1.powi(t as i32);
        let c2 = 1.0 - self.beta2.powi(t as i32);
        for (i, (name, var)) in vars.iter().enumerate() {
            let Some(g) = grads.get(var.as_tensor()) else {
                // Only the token-type row 1 and unused positions go without gradient, and
                // candle still reports those tensors; a missing one means a broken graph.
                return Err(Error::Invalid(format!("no gradient for {name}")));
            };
            let m = ((&self.m[i] * self.beta1)? + (g * (1.0 - self.beta1))?)?;
            let v = ((&self.v[i] * self.beta2)? + (g.sqr()? * (1.0 - self.beta2))?)?;
            let update = ((&m / c1)? / ((&v / c2)?.sqrt()? + self.eps)?)?;
            let p = var.as_tensor();
            // No weight decay on biases and layer-norm parameters, as in common BERT recipes.
            let decay = if name.ends_with(".bias") || name.contains("LayerNorm") {
                0.0
            } else {
                self.weight_decay
            };
            let next = ((p * (1.0 - lr * decay))? - (update * lr)?)?;
            var.set(&next)?;
            self.m[i] = m;
            self.v[i] = v;
        }
        Ok(())
    }
}

fn save_checkpoint(dir: &Path, bert: &Bert, adam: &AdamW, meta: &CheckpointMeta) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut tensors: HashMap<String, Tensor> = HashMap::new();
    for (i, (name, var)) in bert.vars().iter().enumerate() {
        tensors.insert(format!("w.{name}"), var.as_tensor().detach());
        tensors.insert(format!("m.{name}"), adam.m[i].clone());
        tensors.insert(format!("v.{name}"), adam.v[i].clone());
    }
    // Tensors first, then the meta file naming the step, each by rename: a crash between
    // the two leaves the previous meta, whose step the new tensors are ahead of by at most
    // `checkpoint_every` steps, which a resumed run repeats (tensors and meta are both
    // replaced atomically; the meta's step is never ahead of the tensors).
    let tmp = dir.join(format!("{CHECKPOINT_TENSORS}.tmp"));
    candle_core::safetensors::save(&tensors, &tmp)?;
    std::fs::rename(&tmp, dir.join(CHECKPOINT_TENSORS)).map_err(|e| Error::io(dir, e))?;
    let tmp = dir.join(format!("{CHECKPOINT_META}.tmp"));
    let json = serde_json::to_vec_pretty(meta).map_err(|e| Error::Invalid(e.to_string()))?;
    std::fs::write(&tmp, json).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, dir.join(CHECKPOINT_META)).map_err(|e| Error::io(dir, e))?;
    Ok(())
}

fn load_checkpoint(
    dir: &Path,
    run: &str,
    bert: &Bert,
    adam: &mut AdamW,
) -> Result<Option<CheckpointMeta>> {
    let meta_path = dir.join(CHECKPOINT_META);
    if !meta_path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&meta_path).map_err(|e| Error::io(&meta_path, e))?;
    let meta: CheckpointMeta =
        serde_json::from_slice(&bytes).map_err(|e| Error::format(&meta_path, e.to_string()))?;
    if meta.run != run {
        return Err(Error::Invalid(format!(
            "{} belongs to another run (other pairs or options); remove it or use another \
             checkpoint directory",
            dir.display()
        )));
    }
    let path = dir.join(CHECKPOINT_TENSORS);
    let tensors = candle_core::safetensors::load(&path, &Device::Cpu)?;
    let get = |k: String| {
        tensors
            .get(&k)
            .cloned()
            .ok_or_else(|| Error::format(&path, format!("no tensor {k}")))
    };
    for (i, (name, var)) in bert.vars().iter().enumerate() {
        var.set(&get(format!("w.{name}"))?)?;
        adam.m[i] = get(format!("m.{name}"))?;
        adam.v[i] = get(format!("v.{name}"))?;
    }
    Ok(Some(meta))
}

/// Learning rate at `step` (0-based) of `total`: linear warm-up, then linear decay to zero.
fn learning_rate(opts: &TrainOptions, step: usize, total: usize) -> f64 {
    let warmup = ((total as f64 * opts.warmup_share).ceil() as usize).max(1);
    if step < warmup {
        opts.learning_rate * (step + 1) as f64 / warmup as f64
    } else {
        let rest = total.saturating_sub(warmup).max(1);
        opts.learning_rate * (total.saturating_sub(step) as f64 / rest as f64).max(0.0)
    }
}

/// Fine-tunes `bert` in place on `pairs`.
///
/// With `checkpoint_dir`, state is saved there every `checkpoint_every` steps and at the
/// end, and a run over the same pairs and options continues from it.
pub fn train(
    bert: &Bert,
    tokenizer: &Tokenizer,
    pairs: &[Pair],
    opts: &TrainOptions,
    checkpoint_dir: Option<&Path>,
    on_step: &mut dyn FnMut(StepInfo),
) -> Result<TrainReport> {
    if pairs.len() < 2 {
        return Err(Error::Invalid(format!(
            "{} pair(s): contrastive training needs at least 2",
            pairs.len()
        )));
    }
    if opts.batch_size < 2 {
        return Err(Error::Invalid(
            "batch size must be at least 2 (the other pairs are the negatives)".into(),
        ));
    }
    let queries_tok = side_tokenizer(tokenizer, opts.max_query_tokens)?;
    let passages_tok = side_tokenizer(tokenizer, opts.max_passage_tokens)?;
    let batches = plan_batches(pairs, opts);
    let planned = batches.len();
    let run = run_id(pairs, opts);
    let mut adam = AdamW::new(bert.vars(), opts.weight_decay)?;
    let resumed = match checkpoint_dir {
        Some(dir) => load_checkpoint(dir, &run, bert, &mut adam)?,
        None => None,
    };
    let (mut step, mut total, mut losses, prior_seconds) = match resumed {
        // The plan is restored: a run the budget cut short goes on toward every planned
        // step, on the original schedule, when it is started again.
        Some(m) => (m.step, planned.max(m.step), m.losses, m.seconds),
        None => (0, planned, Vec::new(), 0.0),
    };
    let resumed_from = step;
    let started = Instant::now();
    let mut stopped = Stopped::Finished;
    let save = |step: usize, total: usize, losses: &[f32], adam: &AdamW| -> Result<()> {
        if let Some(dir) = checkpoint_dir {
            let meta = CheckpointMeta {
                run: run.clone(),
                step,
                total,
                losses: losses.to_vec(),
                seconds: prior_seconds + started.elapsed().as_secs_f64(),
            };
            save_checkpoint(dir, bert, adam, &meta)?;
        }
        Ok(())
    };
    while step < total {
        if let Some(budget) = opts.budget {
            let elapsed = started.elapsed();
            let done = step - resumed_from;
            if done > 0 {
                // Shrink the plan to the steps the remaining time fits, so the learning
                // rate still decays to zero instead of being cut off at its height.
                let per_step = elapsed.as_secs_f64() / done as f64;
                let left = budget.saturating_sub(elapsed).as_secs_f64();
                // Re-estimated every step (and allowed to grow back) because the first steps
                // are often the slowest.
                let fits = step + (left / per_step).floor() as usize;
                total = fits.clamp(step, planned);
            }
            if step >= total {
                break;
            }
        }
        let lr = learning_rate(opts, step, total);
        let batch = &batches[step];
        let q: Vec<&str> = batch.iter().map(|&i| pairs[i].query.as_str()).collect();
        let mut p: Vec<&str> = batch.iter().map(|&i| pairs[i].passage.as_str()).collect();
        p.extend(batch.iter().filter_map(|&i| pairs[i].negative.as_deref()));
        let qv = bert.embed(&encode(&queries_tok, &q)?)?;
        let pv = bert.embed(&encode(&passages_tok, &p)?)?;
        let loss = mnr_loss(&qv, &pv, opts.scale)?;
        let grads = loss.backward()?;
        adam.step(bert.vars(), &grads, lr, step + 1)?;
        let loss = loss.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        if !loss.is_finite() {
            return Err(Error::Invalid(format!(
                "loss is {loss} at step {}: lower the learning rate",
                step + 1
            )));
        }
        losses.push(loss);
        step += 1;
        on_step(StepInfo {
            step,
            total,
            loss,
            learning_rate: lr,
        });
        if opts.checkpoint_every > 0 && step.is_multiple_of(opts.checkpoint_every) && step < total {
            save(step, total, &losses, &adam)?;
        }
    }
    if step < planned {
        stopped = Stopped::Budget;
    }
    save(step, total, &losses, &adam)?;
    Ok(TrainReport {
        pairs: pairs.len(),
        with_negative: pairs.iter().filter(|p| p.negative.is_some()).count(),
        epochs: opts.epochs,
        learning_rate: opts.learning_rate,
        planned_steps: planned,
        steps: step,
        losses,
        seconds: prior_seconds + started.elapsed().as_secs_f64(),
        stopped,
        resumed_from,
    })
}

/// Where a checkpoint directory's files are, for callers that clean up after success.
pub fn checkpoint_files(dir: &Path) -> [PathBuf; 2] {
    [dir.join(CHECKPOINT_META), dir.join(CHECKPOINT_TENSORS)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(q: &str, p: &str) -> Pair {
        Pair {
            query: q.into(),
            passage: p.into(),
            negative: None,
        }
    }

    #[test]
    fn batches_never_repeat_a_passage_and_cover_every_pair() {
        let pairs: Vec<Pair> = (0..50)
            .map(|i| pair(&format!("q{i}"), &format!("p{}", i % 7)))
            .collect();
        let opts = TrainOptions {
            batch_size: 4,
            epochs: 2,
            ..Default::default()
        };
        let batches = plan_batches(&pairs, &opts);
        let mut count = vec![0; pairs.len()];
        for b in &batches {
            let passages: HashSet<&str> = b.iter().map(|&i| pairs[i].passage.as_str()).collect();
            // a folded straggler may join a full batch; all else is clash-free
            assert!(passages.len() + 1 >= b.len(), "{b:?}");
            for &i in b {
                count[i] += 1;
            }
        }
        assert!(count.iter().all(|&c| c == 2), "{count:?}");
    }

    #[test]
    fn schedule_warms_up_then_decays_to_zero() {
        let opts = TrainOptions {
            learning_rate: 1.0,
            warmup_share: 0.1,
            ..Default::default()
        };
        assert!((learning_rate(&opts, 0, 100) - 0.1).abs() < 1e-9);
        assert!((learning_rate(&opts, 9, 100) - 1.0).abs() < 1e-9);
        assert!(learning_rate(&opts, 50, 100) < 0.6);
        assert!(learning_rate(&opts, 99, 100) < 0.02);
    }

    /// A whitespace word-level tokenizer over the tiny encoder's 20-token vocabulary.
    fn tiny_tokenizer() -> Tokenizer {
        let words = [
            "[PAD]", "[UNK]", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
            "o", "p", "q", "r",
        ];
        let vocab: serde_json::Map<String, serde_json::Value> = words
            .iter()
            .enumerate()
            .map(|(i, w)| ((*w).to_owned(), serde_json::json!(i)))
            .collect();
        let json = serde_json::json!({
            "version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
            "normalizer": null, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": null, "decoder": null,
            "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}
        });
        json.to_string().parse().unwrap()
    }

    fn tiny_pairs() -> Vec<Pair> {
        ["a b c", "d e f", "g h i", "j k l", "m n o", "p q r"]
            .iter()
            .enumerate()
            .map(|(i, q)| Pair {
                query: (*q).to_owned(),
                passage: format!("{q} {q} r"),
                negative: (i % 2 == 0).then(|| "o p q".to_owned()),
            })
            .collect()
    }

    #[test]
    fn training_lowers_the_loss_and_a_cut_run_resumes_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let tok = tiny_tokenizer();
        let pairs = tiny_pairs();
        let opts = TrainOptions {
            batch_size: 3,
            epochs: 6,
            learning_rate: 1e-2,
            checkpoint_every: 1,
            ..Default::default()
        };
        // A budget that has run out after the first step: the run stops there, checkpointed.
        let bert = crate::bert::tests::tiny();
        let cut = TrainOptions {
            budget: Some(Duration::from_nanos(1)),
            ..opts.clone()
        };
        let first = train(&bert, &tok, &pairs, &cut, Some(dir.path()), &mut |_| {}).unwrap();
        assert_eq!((first.steps, first.stopped), (1, Stopped::Budget));
        // Started again on a fresh model, it loads the checkpoint and finishes the plan.
        let bert = crate::bert::tests::tiny();
        let mut seen = Vec::new();
        let rest = train(&bert, &tok, &pairs, &opts, Some(dir.path()), &mut |s| {
            seen.push(s.step)
        })
        .unwrap();
        assert_eq!(rest.resumed_from, 1);
        assert_eq!(rest.steps, rest.planned_steps);
        assert_eq!(seen.first(), Some(&2), "{seen:?}");
        assert_eq!(rest.losses.len(), rest.planned_steps);
        assert_eq!(rest.losses[0], first.losses[0]);
        let early = rest.mean_loss(0..2).unwrap();
        let late = rest.mean_loss(rest.steps - 2..rest.steps).unwrap();
        assert!(late < early * 0.7, "loss {early} -> {late}");
        // Other options (here the seed) are another run: its checkpoint is refused.
        let other = TrainOptions { seed: 7, ..opts };
        let err = train(&bert, &tok, &pairs, &other, Some(dir.path()), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("another run"), "{err}");
    }

    #[test]
    fn mnr_loss_prefers_the_diagonal() {
        let dev = Device::Cpu;
        let q = Tensor::new(&[[1f32, 0.0], [0.0, 1.0]], &dev).unwrap();
        let right = mnr_loss(&q, &q, 20.0).unwrap().to_scalar::<f32>().unwrap();
        let swapped = Tensor::new(&[[0f32, 1.0], [1.0, 0.0]], &dev).unwrap();
        let wrong = mnr_loss(&q, &swapped, 20.0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(right < 1e-6, "{right}");
        assert!((wrong - 20.0).abs() < 1e-3, "{wrong}");
    }
}
