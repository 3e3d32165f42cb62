//! The generator against the real SmolLM2 GGUF installed by `scripts/setup.sh`.
//!
//! These fail (never skip) when the model is missing: CI installs it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, mpsc};

use trawl_generator::{
    ChatMessage, Error, FinishReason, Flow, GenerateParams, Generator, GeneratorOptions,
    LlamaGenerator, Role, Sampling,
};

fn generator() -> &'static LlamaGenerator {
    static G: OnceLock<LlamaGenerator> = OnceLock::new();
    G.get_or_init(|| {
        LlamaGenerator::load(&GeneratorOptions::from_env()).unwrap_or_else(|e| {
            panic!(
                "the generator model is required for these tests ({e}); run `bash scripts/setup.sh`"
            )
        })
    })
}

fn ask(question: &str) -> Vec<ChatMessage> {
    vec![
        ChatMessage::new(Role::System, "You are a helpful assistant. Answer briefly."),
        ChatMessage::new(Role::User, question),
    ]
}

fn collect(
    messages: &[ChatMessage],
    params: &GenerateParams,
) -> (Vec<String>, trawl_generator::Generation) {
    let mut pieces = Vec::new();
    let g = generator()
        .generate(messages, params, &mut |t| {
            pieces.push(t.to_string());
            Flow::Continue
        })
        .expect("generates");
    (pieces, g)
}

#[test]
fn loads_the_gguf_with_its_chat_template() {
    let info = generator().info();
    assert!(info.name.to_lowercase().contains("smollm2"), "{info:?}");
    assert!(info.context_tokens >= 2048);
    // the ChatML template wraps each message in special tokens, so a templated prompt costs
    // more than its text
    let messages = ask("What is the capital of France?");
    let text_only = generator()
        .count_tokens("What is the capital of France?")
        .unwrap();
    let templated = generator().prompt_tokens(&messages).unwrap();
    assert!(
        text_only >= 5 && templated > text_only + 10,
        "{text_only} {templated}"
    );
}

#[test]
fn greedy_generation_is_deterministic_and_streams_what_it_returns() {
    let params = GenerateParams {
        max_tokens: 24,
        ..GenerateParams::default()
    };
    let messages = ask("What is the capital of France?");
    let (pieces, first) = collect(&messages, &params);
    let (_, second) = collect(&messages, &params);
    assert_eq!(pieces.concat(), first.text);
    assert_eq!(first.text, second.text);
    assert!(first.text.contains("Paris"), "{:?}", first.text);
    assert!(first.generated_tokens >= 1 && first.generated_tokens <= 24);
    assert!(first.prompt_tokens > 10);
}

#[test]
fn reusing_the_previous_prompt_state_leaves_greedy_text_unchanged() {
    // one thread, so both requests use the same context and the second reuses the first's
    // prompt state
    let mut options = GeneratorOptions::from_env();
    options.threads = Some(1);
    let g = LlamaGenerator::load(&options).expect("loads");
    let messages = vec![
        ChatMessage::new(Role::System, "You copy text exactly."),
        ChatMessage::new(
            Role::User,
            "Repeat this sentence word for word: Employees accrue 1.5 days of annual leave \
             for each month of service, up to 18 days per calendar year.",
        ),
    ];
    let run = |sampling| {
        let params = GenerateParams {
            max_tokens: 40,
            sampling,
            repeat_penalty: 1.1,
            ..GenerateParams::default()
        };
        g.generate(&messages, &params, &mut |_| Flow::Continue)
            .expect("generates")
    };
    let first = run(Sampling::Greedy);
    let again = run(Sampling::Greedy);
    assert!(first.text.contains("1.5 days"), "{:?}", first.text);
    assert_eq!(first.text, again.text);
    assert_eq!(first.reused_prompt_tokens, 0);
    assert!(
        // the system message's chunk (the rest is one chunk, processed again for its logits)
        again.reused_prompt_tokens > 5 && again.reused_prompt_tokens < again.prompt_tokens,
        "{again:?}"
    );
}

/// An answer prompt of the shape `trawl ask` sends: a fixed system message, then numbered
/// sources (a real handbook page of the fixtures, `hr/NAME.md`) and a question.
fn sourced(name: &str, question: &str) -> Vec<ChatMessage> {
    let path = format!(
        "{}/../tests/fixtures/docs/hr/{name}.md",
        env!("CARGO_MANIFEST_DIR")
    );
    let page = std::fs::read_to_string(&path).expect(&path);
    vec![
        ChatMessage::new(
            Role::System,
            "You answer questions using only the numbered sources. Answer in one short \
             sentence that reuses the words of the source.",
        ),
        ChatMessage::new(
            Role::User,
            format!("Sources:\n[1] {page}\nQuestion: {question}\nAnswer:"),
        ),
    ]
}

#[test]
fn an_answer_does_not_depend_on_what_the_cache_held() {
    // one thread, so every request uses the same context and its cache
    let mut options = GeneratorOptions::from_env();
    options.threads = Some(1);
    let g = LlamaGenerator::load(&options).expect("loads");
    let params = GenerateParams {
        max_tokens: 32,
        repeat_penalty: 1.1,
        ..GenerateParams::default()
    };
    let run = |messages: &[ChatMessage]| {
        g.generate(messages, &params, &mut |_| Flow::Continue)
            .expect("generates")
    };
    // a page longer than three 512-token batches
    let question = sourced(
        "paid-parental-leave",
        "How many weeks of paid parental leave do I get?",
    );
    let other = sourced("overtime", "Who approves overtime?");
    let fresh = run(&question);
    let repeated = run(&question);
    let _ = run(&other);
    let after_other = run(&question);
    assert_eq!(fresh.reused_prompt_tokens, 0);
    assert!(fresh.prompt_tokens > 600, "{fresh:?}");
    // a repeated prompt reuses whole chunks (the system part, then 512-token batches), never
    // the last one; after a question on another page only the shared system part is reused
    assert!(
        repeated.reused_prompt_tokens > 512
            && repeated.reused_prompt_tokens < repeated.prompt_tokens,
        "{repeated:?}"
    );
    assert!(
        after_other.reused_prompt_tokens > 5 && after_other.reused_prompt_tokens < 100,
        "{after_other:?}"
    );
    assert!(fresh.generated_tokens > 10, "{fresh:?}");
    assert_eq!(fresh.text, repeated.text);
    assert_eq!(fresh.text, after_other.text);
}

#[test]
fn max_tokens_and_stop_sequences_end_generation() {
    let messages = ask("Count from 1 to 50, separated by commas.");
    let (_, limited) = collect(
        &messages,
        &GenerateParams {
            max_tokens: 5,
            ..GenerateParams::default()
        },
    );
    assert_eq!(limited.finish, FinishReason::MaxTokens);
    assert_eq!(limited.generated_tokens, 5);

    let (pieces, stopped) = collect(
        &messages,
        &GenerateParams {
            max_tokens: 200,
            stop: vec!["5".into()],
            ..GenerateParams::default()
        },
    );
    assert_eq!(
        stopped.finish,
        FinishReason::StopSequence,
        "{:?}",
        stopped.text
    );
    assert!(!stopped.text.contains('5') && !pieces.concat().contains('5'));
    assert!(stopped.text.contains('4'), "{:?}", stopped.text);
}

#[test]
fn top_p_sampling_is_reproducible_with_a_seed() {
    let params = GenerateParams {
        sampling: Sampling::TopP {
            temperature: 0.8,
            top_p: 0.9,
            seed: 7,
        },
        max_tokens: 16,
        ..GenerateParams::default()
    };
    let messages = ask("Write one sentence about the sea.");
    let (_, a) = collect(&messages, &params);
    let (_, b) = collect(&messages, &params);
    assert!(!a.text.trim().is_empty());
    assert_eq!(a.text, b.text);
}

#[test]
fn cancelling_frees_the_model_for_the_next_request() {
    let messages = ask("Write a long story about a lighthouse keeper.");
    let params = GenerateParams {
        max_tokens: 300,
        ..GenerateParams::default()
    };
    let mut seen = 0;
    let cancelled = generator()
        .generate(&messages, &params, &mut |_| {
            seen += 1;
            if seen == 3 {
                Flow::Stop
            } else {
                Flow::Continue
            }
        })
        .unwrap();
    assert_eq!(cancelled.finish, FinishReason::Cancelled);
    assert!(
        cancelled.generated_tokens < 20,
        "{}",
        cancelled.generated_tokens
    );
    // the next request runs normally
    let (_, next) = collect(
        &ask("What is the capital of France?"),
        &GenerateParams {
            max_tokens: 12,
            ..GenerateParams::default()
        },
    );
    assert!(next.text.contains("Paris"), "{:?}", next.text);
}

#[test]
fn a_prompt_that_does_not_fit_the_context_is_refused() {
    let long = "lighthouse ".repeat(5000);
    let err = generator()
        .generate(&ask(&long), &GenerateParams::default(), &mut |_| {
            Flow::Continue
        })
        .unwrap_err();
    assert!(matches!(err, Error::PromptTooLong { .. }), "{err}");
}

#[test]
fn a_full_queue_says_busy_and_queued_requests_still_finish() {
    let options = GeneratorOptions {
        queue_capacity: 1,
        ..GeneratorOptions::from_env()
    };
    let g = Arc::new(LlamaGenerator::load(&options).expect("loads"));
    let messages = ask("Write a long story about a lighthouse keeper.");
    let long = GenerateParams {
        max_tokens: 600,
        ..GenerateParams::default()
    };
    let release = Arc::new(AtomicBool::new(false));
    let (running_tx, running_rx) = mpsc::channel();
    // A holds the model until released
    let a = {
        let (g, m, p, release) = (
            Arc::clone(&g),
            messages.clone(),
            long.clone(),
            Arc::clone(&release),
        );
        std::thread::spawn(move || {
            g.generate(&m, &p, &mut |_| {
                let _ = running_tx.send(());
                if release.load(Ordering::Relaxed) {
                    Flow::Stop
                } else {
                    Flow::Continue
                }
            })
        })
    };
    running_rx.recv().expect("A started");
    // B waits in the queue (capacity 1)
    let b = {
        let (g, m) = (Arc::clone(&g), messages.clone());
        std::thread::spawn(move || {
            let short = GenerateParams {
                max_tokens: 8,
                ..GenerateParams::default()
            };
            g.generate(&m, &short, &mut |_| Flow::Continue)
        })
    };
    let one = GenerateParams {
        max_tokens: 1,
        ..GenerateParams::default()
    };
    let mut busy = false;
    for _ in 0..100 {
        // give B time to reach the queue; if this request got there first it simply runs
        std::thread::sleep(std::time::Duration::from_millis(20));
        match g.generate(&messages, &one, &mut |_| Flow::Continue) {
            Err(Error::Busy) => {
                busy = true;
                break;
            }
            Ok(_) => {}
            Err(e) => panic!("{e}"),
        }
    }
    release.store(true, Ordering::Relaxed);
    assert_eq!(a.join().unwrap().unwrap().finish, FinishReason::Cancelled);
    let b = b.join().unwrap().expect("the queued request runs after A");
    assert!(b.generated_tokens >= 1);
    assert!(
        busy,
        "a request arriving while the queue is full must be refused"
    );
}

#[test]
fn a_missing_model_names_the_setup_command() {
    let err = LlamaGenerator::load(&GeneratorOptions::new("/nonexistent/model.gguf")).unwrap_err();
    assert!(err.to_string().contains("scripts/setup.sh"), "{err}");
}
