//! `trawl ask`: a grounded answer in the terminal, streamed, then its sources.

use std::io::Write;

use anyhow::{Context, Result};
use trawl_generator::{Flow, GeneratorOptions, LlamaGenerator};
use trawl_service::ask::{AskEvent, AskOptions, AskParams, AskResponse, Asker, run_ask};

use crate::{args::GeneratorArgs, cli::AskArgs};

/// Loads the generator named by the flags/environment (default: the SmolLM2 file set-up
/// installs).
pub(crate) fn load_generator(args: &GeneratorArgs) -> Result<LlamaGenerator> {
    let mut options = GeneratorOptions::new(GeneratorOptions::default_model_path(
        args.generator_model.as_deref(),
    ));
    options.context_tokens = args.generator_context;
    options.threads = args.generator_threads.map(usize::from);
    LlamaGenerator::load(&options).context("loading the generator model")
}

pub(crate) fn run(args: AskArgs) -> Result<()> {
    // reject bad input before loading anything
    trawl_service::ask::validate_question(&args.question)?;
    let index_dir = args.index.path();
    let embedder = crate::open::load_embedder(&args.model)?;
    let opened = crate::open::Opened::open(&args.backend, &index_dir, Some(&embedder))?;
    let generator = load_generator(&args.generator)?;
    let options = AskOptions {
        fusion: crate::args::default_config()?.search.fusion(),
        ..AskOptions::default()
    };
    let asker = Asker {
        store: opened.store(),
        embedder: &embedder,
        generator: &generator,
        options: &options,
    };
    let params = AskParams {
        k: Some(args.k),
        ..AskParams::new(args.question.clone())
    };
    let mut out = std::io::stdout().lock();
    let response = run_ask(
        asker,
        &params,
        &crate::args::access_of(&args.groups),
        &mut |event| {
            if !args.json {
                // a closed stdout (e.g. `| head`) stops generation
                let written = match event {
                    AskEvent::Progress => Ok(()),
                    AskEvent::Text(t) => write!(out, "{t}").and_then(|()| out.flush()),
                    AskEvent::Replace(t) => write!(
                        out,
                        "\n\n[in the model's words, checked against the sources:]\n{t}"
                    )
                    .and_then(|()| out.flush()),
                };
                if written.is_err() {
                    return Flow::Stop;
                }
            }
            Flow::Continue
        },
    )?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&response)?)?;
    } else {
        print_sources(&mut out, &response)?;
    }
    Ok(())
}

fn print_sources(out: &mut impl Write, r: &AskResponse) -> std::io::Result<()> {
    writeln!(out)?;
    let place = |path: &str, section: &Option<String>, page: Option<u32>| {
        let mut s = path.to_string();
        if let Some(sec) = section {
            s.push_str(" › ");
            s.push_str(sec);
        }
        if let Some(p) = page {
            s.push_str(&format!(", p. {p}"));
        }
        s
    };
    if r.refused {
        if !r.closest.is_empty() {
            writeln!(out, "\nClosest documents:")?;
            for c in &r.closest {
                writeln!(
                    out,
                    "  - {}  ({})",
                    c.title,
                    place(&c.path, &c.section, c.page)
                )?;
            }
        }
    } else {
        writeln!(out, "\nSources:")?;
        for c in &r.citations {
            writeln!(
                out,
                "  [{}] {}  ({})",
                c.n,
                c.title,
                place(&c.path, &c.section, c.page)
            )?;
        }
        if let Some(reason) = &r.fallback_reason {
            writeln!(out, "(answer quoted from the sources: {reason})")?;
        }
    }
    let t = &r.timings;
    writeln!(
        out,
        "({}; retrieval {:.0} ms, first text {:.0} ms, {} prompt tokens, {} generated at {:.0} tokens/s, total {:.0} ms)",
        r.model,
        t.retrieval_ms,
        t.first_text_ms.unwrap_or(0.0),
        t.prompt_tokens,
        t.generated_tokens,
        t.tokens_per_s,
        t.total_ms
    )
}
