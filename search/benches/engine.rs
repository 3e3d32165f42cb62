//! Micro-benchmarks of the search engine alone, without the embedder: keyword, vector and
//! hybrid search over a synthetic index, and the two fusion functions.
//!
//! Run with `cargo bench -p trawl-search`. The corpus is generated (Zipf-distributed words,
//! clustered unit vectors of MiniLM's 384 dimensions) so the numbers isolate the engine;
//! `trawl bench search` measures the whole product on real data.

use std::sync::OnceLock;

use trawl_search::{
    ChunkInput, DocumentInput, Index, IndexSpec, Mode, SearchRequest, convex_fusion,
    reciprocal_rank_fusion,
};

const DIM: usize = 384;
const DOCS: usize = 2_000;
const CHUNKS_PER_DOC: usize = 10;
const VOCABULARY: usize = 5_000;

fn main() {
    divan::main();
}

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// A word rank drawn from an approximate Zipf distribution, as in real text.
    fn zipf(&mut self) -> usize {
        let u = self.unit().max(1e-6);
        ((VOCABULARY as f32).powf(u) as usize).saturating_sub(1)
    }
}

fn word(rank: usize) -> String {
    const SYLLABLES: [&str; 16] = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "du", "an", "el", "or", "ip", "um",
        "ex",
    ];
    let mut w = String::new();
    let mut r = rank + 16;
    while r > 0 {
        w.push_str(SYLLABLES[r % 16]);
        r /= 16;
    }
    w
}

fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// A vector near one of 64 cluster centres, like embeddings of related text.
fn vector(rng: &mut Rng, centres: &[Vec<f32>]) -> Vec<f32> {
    let c = &centres[(rng.next() % centres.len() as u64) as usize];
    normalized(c.iter().map(|x| x + 0.6 * (rng.unit() - 0.5)).collect())
}

struct Fixture {
    // keeps the directory alive as long as the index
    _dir: tempfile::TempDir,
    index: Index,
    queries: Vec<(String, Vec<f32>)>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let centres: Vec<Vec<f32>> = (0..64)
            .map(|_| normalized((0..DIM).map(|_| rng.unit() - 0.5).collect()))
            .collect();
        let dir = tempfile::tempdir().expect("temporary directory");
        let spec = IndexSpec {
            model_name: "synthetic".into(),
            model_fingerprint: "synthetic".into(),
            dim: DIM,
            hnsw: Default::default(),
        };
        let index = Index::open_or_create(dir.path(), &spec).expect("index");
        let mut writer = index.writer().expect("writer");
        for d in 0..DOCS {
            let chunks = (0..CHUNKS_PER_DOC)
                .map(|_| ChunkInput {
                    text: (0..150)
                        .map(|_| word(rng.zipf()))
                        .collect::<Vec<_>>()
                        .join(" "),
                    page: None,
                    section: None,
                    vector: vector(&mut rng, &centres),
                })
                .collect();
            writer
                .add_document(DocumentInput {
                    doc_id: format!("doc-{d}"),
                    path: format!("docs/{d}.txt"),
                    title: format!("Document {d}"),
                    meta: Default::default(),
                    chunks,
                })
                .expect("add");
        }
        writer.commit().expect("commit");
        // mid-frequency words: selective, like real query terms
        let queries = (0..64)
            .map(|_| {
                let text = (0..3)
                    .map(|_| word(20 + (rng.next() % 500) as usize))
                    .collect::<Vec<_>>()
                    .join(" ");
                (text, vector(&mut rng, &centres))
            })
            .collect();
        Fixture {
            _dir: dir,
            index,
            queries,
        }
    })
}

fn run(bencher: divan::Bencher, mode: Mode) {
    let f = fixture();
    let mut i = 0;
    bencher.bench_local(|| {
        let (text, vector) = &f.queries[i % f.queries.len()];
        i += 1;
        let mut req = SearchRequest::new(text.as_str());
        req.mode = mode;
        f.index.search(&req, Some(vector)).expect("search")
    });
}

#[divan::bench]
fn keyword_search(bencher: divan::Bencher) {
    run(bencher, Mode::Keyword);
}

#[divan::bench]
fn vector_search(bencher: divan::Bencher) {
    run(bencher, Mode::Vector);
}

#[divan::bench]
fn hybrid_search(bencher: divan::Bencher) {
    run(bencher, Mode::Hybrid);
}

/// A ranked list of (chunk id, score).
type Ranked = Vec<(u64, f32)>;

/// Two ranked lists of `n` chunk ids that share half their members.
fn lists(n: usize) -> (Ranked, Ranked) {
    let a = (0..n as u64)
        .map(|i| (i, 30.0 / (1.0 + i as f32)))
        .collect();
    let b = (0..n as u64)
        .map(|i| (i * 2, 1.0 - i as f32 / n as f32))
        .collect();
    (a, b)
}

#[divan::bench(args = [10, 100, 1000])]
fn convex(bencher: divan::Bencher, n: usize) {
    let (a, b) = lists(n);
    bencher.bench(|| convex_fusion(divan::black_box(&a), divan::black_box(&b), 0.5));
}

#[divan::bench(args = [10, 100, 1000])]
fn rrf(bencher: divan::Bencher, n: usize) {
    let (a, b) = lists(n);
    let a: Vec<u64> = a.into_iter().map(|(id, _)| id).collect();
    let b: Vec<u64> = b.into_iter().map(|(id, _)| id).collect();
    bencher.bench(|| reciprocal_rank_fusion(divan::black_box(&[&a, &b]), 60.0));
}
