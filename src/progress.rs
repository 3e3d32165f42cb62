//! Indexing progress: a bar on a terminal, plain log lines otherwise.

use std::{
    io::IsTerminal,
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Shows progress of `trawl index` on stderr.
pub(crate) struct CliProgress {
    bar: Option<ProgressBar>,
    plain: Mutex<Plain>,
    started: Instant,
}

struct Plain {
    total: usize,
    files: usize,
    chunks: usize,
    last: Instant,
}

impl CliProgress {
    pub(crate) fn new(json: bool) -> Self {
        let tty = std::io::stderr().is_terminal() && !json;
        let bar = tty.then(|| {
            let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:32} {pos}/{len} files · {per_sec} · ETA {eta} · {msg}",
                )
                .expect("valid template"),
            );
            bar
        });
        Self {
            bar,
            plain: Mutex::new(Plain {
                total: 0,
                files: 0,
                chunks: 0,
                last: Instant::now(),
            }),
            started: Instant::now(),
        }
    }

    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl trawl_indexer::Progress for CliProgress {
    fn start(&self, files: usize) {
        if let Some(bar) = &self.bar {
            bar.set_length(files as u64);
        }
        let mut p = self.plain.lock().expect("progress lock");
        p.total = files;
        if self.bar.is_none() {
            eprintln!("indexing {files} changed files");
        }
    }

    fn file_done(&self, _path: &str, chunks: usize) {
        let mut p = self.plain.lock().expect("progress lock");
        p.files += 1;
        p.chunks += chunks;
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        if let Some(bar) = &self.bar {
            bar.inc(1);
            bar.set_message(format!(
                "{} chunks · {:.1} chunks/s",
                p.chunks,
                p.chunks as f64 / secs
            ));
        } else if p.last.elapsed() >= Duration::from_secs(10) || p.files == p.total {
            p.last = Instant::now();
            eprintln!(
                "indexed {}/{} files, {} chunks ({:.1} files/s, {:.1} chunks/s)",
                p.files,
                p.total,
                p.chunks,
                p.files as f64 / secs,
                p.chunks as f64 / secs
            );
        }
    }
}
