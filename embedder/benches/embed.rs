//! Micro-benchmarks of the embedding model installed by set-up: one query (the cost every
//! search pays) and batches of passages (the ingest ceiling).
//!
//! Run with `cargo bench -p trawl-embedder`. Like the tests, it fails when the model is
//! missing (`bash scripts/setup.sh` installs it under `$TRAWL_HOME`).

use std::sync::OnceLock;

use trawl_embedder::{Embedder, ModelLocation, OnnxEmbedder, OnnxOptions};

fn main() {
    divan::main();
}

fn embedder() -> &'static OnnxEmbedder {
    static E: OnceLock<OnnxEmbedder> = OnceLock::new();
    E.get_or_init(|| {
        OnnxEmbedder::load(&ModelLocation::from_env(), OnnxOptions::default())
            .unwrap_or_else(|e| panic!("the embedding model is needed (run scripts/setup.sh): {e}"))
    })
}

const QUERY: &str = "How many days of bereavement leave do employees get?";

/// A passage of about 200 model tokens, the size trawl's chunker packs.
fn passage(i: usize) -> String {
    format!(
        "Section {i}. An employee who suffers the death of a family member may take up to five \
         working days of paid bereavement leave. The employee must notify their manager as soon \
         as practicable and may be asked for reasonable evidence. Leave for the death of a \
         relative outside the immediate family is at the manager's discretion, up to two days. \
         Unused bereavement leave is not carried over and is not paid out on termination. Part \
         time employees receive the same number of days, prorated to their usual working hours. \
         Where the funeral takes place abroad, up to three additional unpaid days may be granted \
         on request. This policy does not replace statutory rights under applicable law, and \
         where local law is more generous, local law applies. Questions about this policy go to \
         the human resources team, who keep a record of leave taken for payroll purposes."
    )
}

#[divan::bench]
fn query(bencher: divan::Bencher) {
    let e = embedder();
    bencher.bench(|| e.embed_query(divan::black_box(QUERY)).expect("embed"));
}

#[divan::bench(args = [1, 8, 32], sample_count = 20)]
fn passages(bencher: divan::Bencher, batch: usize) {
    let e = embedder();
    let texts: Vec<String> = (0..batch).map(passage).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    bencher
        .counter(divan::counter::ItemsCount::new(batch))
        .bench(|| e.embed_passages(divan::black_box(&refs)).expect("embed"));
}
