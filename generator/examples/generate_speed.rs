//! Measures a GGUF chat model's prompt and generation speed on this machine, for prompts of
//! several lengths: the figures that decide how long an answer takes to start and to finish.
//!
//! `cargo run --release -p trawl-generator --example generate_speed -- [MODEL.gguf] [THREADS]`
//! (default: the model set-up installs; adaptive threads). Each length runs three times: the
//! first with a cold cache, the others reuse the system prompt's state, as the service does.

use trawl_generator::{
    ChatMessage, Flow, GenerateParams, Generator, GeneratorOptions, LlamaGenerator, Role,
};

const FILLER: &str = "Employees may carry over up to five days of unused annual leave into the \
    next calendar year, provided that their manager approves the request in writing before the \
    end of December. Leave that is not carried over is forfeited. ";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let model = args.next().map(std::path::PathBuf::from);
    let threads = args.next().map(|t| t.parse::<usize>()).transpose()?;
    let mut options = GeneratorOptions::new(GeneratorOptions::default_model_path(model.as_deref()));
    options.threads = threads;
    let generator = LlamaGenerator::load(&options)?;
    println!(
        "{} ({} threads)",
        generator.info().name,
        threads.map_or("adaptive".to_string(), |t| t.to_string())
    );
    println!("prompt tokens | reused | prefill ms | prompt tokens/s | generated | tokens/s");
    for repeats in [1, 6, 12, 18] {
        let passages = FILLER.repeat(repeats);
        let messages = [
            ChatMessage::new(
                Role::System,
                "You answer questions about company documents using only the numbered sources.",
            ),
            ChatMessage::new(
                Role::User,
                format!(
                    "[1] {passages}\n\nQuestion: How many days of leave can be carried over? \
                     Explain the rule in detail."
                ),
            ),
        ];
        let params = GenerateParams {
            max_tokens: 96,
            ..GenerateParams::default()
        };
        for _ in 0..3 {
            let g = generator.generate(&messages, &params, &mut |_| Flow::Continue)?;
            let processed = g.prompt_tokens - g.reused_prompt_tokens;
            println!(
                "{:>13} | {:>6} | {:>10.0} | {:>15.0} | {:>9} | {:>8.1}",
                g.prompt_tokens,
                g.reused_prompt_tokens,
                g.prefill.as_secs_f64() * 1e3,
                processed as f64 / g.prefill.as_secs_f64().max(1e-9),
                g.generated_tokens,
                g.tokens_per_second()
            );
        }
    }
    Ok(())
}
