//! Background indexing of uploads: a queue, one worker thread, job status.
//!
//! One worker keeps uploads in order and leaves the model's cores to
//! searches between jobs. When another process (a `trawl index` run) holds
//! the index's writer lock, a job waits and retries rather than failing.
//! Job status lives in memory: a restart forgets finished jobs (their
//! documents stay indexed).

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, mpsc},
    thread::JoinHandle,
    time::Duration,
};

use serde::Serialize;
use trawl_embedder::Embedder;
use trawl_indexer::{FileOutcome, IndexOptions, NewFile, UploadMeta};
use trawl_search::Index;
use utoipa::ToSchema;

use crate::audit::{Action, AuditEvent, AuditLog, now_rfc3339};

/// Finished jobs remembered for `GET /api/jobs/{id}`.
const KEEP_FINISHED: usize = 1000;
/// How long a job waits for another writer to finish.
const LOCK_WAIT: Duration = Duration::from_secs(300);

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum JobState {
    /// Waiting for the worker.
    Queued,
    /// Being indexed.
    Running,
    /// Finished; see the per-file outcomes.
    Done,
    /// Failed as a whole; see `error`.
    Failed,
}

/// A job as `GET /api/jobs/{id}` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct JobStatus {
    /// Job id.
    pub(crate) id: String,
    /// Where it is.
    pub(crate) state: JobState,
    /// When it was queued (RFC 3339).
    pub(crate) created: String,
    /// When it finished.
    pub(crate) finished: Option<String>,
    /// One entry per file: `{"status": "indexed"|"duplicate"|"skipped", "path", …}`.
    #[schema(value_type = Vec<Object>)]
    pub(crate) files: Vec<FileOutcome>,
    /// Why the job failed.
    pub(crate) error: Option<String>,
}

pub(crate) struct Work {
    pub(crate) id: String,
    pub(crate) files: Vec<NewFile>,
    pub(crate) meta: UploadMeta,
    pub(crate) principal: String,
    pub(crate) request_id: String,
}

#[derive(Default)]
struct Table {
    jobs: HashMap<String, JobStatus>,
    finished: VecDeque<String>,
}

/// The queue and the status table.
pub(crate) struct Jobs {
    table: Arc<Mutex<Table>>,
    tx: Mutex<Option<mpsc::Sender<Work>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs").finish_non_exhaustive()
    }
}

/// What the worker needs.
pub(crate) struct WorkerContext {
    pub(crate) index: Arc<Index>,
    pub(crate) embedder: Arc<dyn Embedder>,
    pub(crate) audit: Arc<AuditLog>,
    pub(crate) opts: IndexOptions,
}

impl Jobs {
    pub(crate) fn start(ctx: WorkerContext) -> Self {
        let table: Arc<Mutex<Table>> = Arc::default();
        let (tx, rx) = mpsc::channel::<Work>();
        let worker_table = table.clone();
        let worker = std::thread::Builder::new()
            .name("trawl-uploads".into())
            .spawn(move || {
                for work in rx {
                    run_job(&ctx, &worker_table, work);
                }
            })
            .expect("spawning the upload worker");
        Self {
            table,
            tx: Mutex::new(Some(tx)),
            worker: Mutex::new(Some(worker)),
        }
    }

    pub(crate) fn submit(&self, work: Work) -> Result<(), String> {
        let status = JobStatus {
            id: work.id.clone(),
            state: JobState::Queued,
            created: now_rfc3339(),
            finished: None,
            files: Vec::new(),
            error: None,
        };
        self.table
            .lock()
            .expect("jobs lock")
            .jobs
            .insert(work.id.clone(), status);
        let tx = self.tx.lock().expect("jobs lock");
        match tx.as_ref() {
            Some(tx) => tx
                .send(work)
                .map_err(|_| "the upload worker stopped".to_owned()),
            None => Err("the server is shutting down".to_owned()),
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<JobStatus> {
        self.table.lock().expect("jobs lock").jobs.get(id).cloned()
    }

    /// Jobs queued or running.
    pub(crate) fn pending(&self) -> usize {
        self.table
            .lock()
            .expect("jobs lock")
            .jobs
            .values()
            .filter(|j| matches!(j.state, JobState::Queued | JobState::Running))
            .count()
    }

    /// Stops taking jobs and waits for the queued ones to finish.
    pub(crate) fn shutdown(&self) {
        self.tx.lock().expect("jobs lock").take();
        if let Some(worker) = self.worker.lock().expect("jobs lock").take() {
            let _ = worker.join();
        }
    }
}

fn run_job(ctx: &WorkerContext, table: &Mutex<Table>, work: Work) {
    let set = |f: &dyn Fn(&mut JobStatus)| {
        let mut t = table.lock().expect("jobs lock");
        if let Some(j) = t.jobs.get_mut(&work.id) {
            f(j);
        }
    };
    set(&|j| j.state = JobState::Running);
    let _span =
        tracing::info_span!("upload_job", job = %work.id, request_id = %work.request_id).entered();
    let started = std::time::Instant::now();
    let result = loop {
        match trawl_indexer::index_files(
            &work.files,
            &work.meta,
            &ctx.index,
            ctx.embedder.as_ref(),
            &ctx.opts,
        ) {
            Err(trawl_indexer::Error::Search(trawl_search::Error::Locked(_)))
                if started.elapsed() < LOCK_WAIT =>
            {
                tracing::info!("index locked by another writer; waiting");
                std::thread::sleep(Duration::from_millis(500));
            }
            other => break other,
        }
    };
    let (state, files, error) = match result {
        Ok(report) => (JobState::Done, report.files, None),
        Err(e) => {
            tracing::error!(error = %e, "upload job failed");
            (JobState::Failed, Vec::new(), Some(e.to_string()))
        }
    };
    let doc_ids: Vec<String> = files
        .iter()
        .filter_map(|f| match f {
            FileOutcome::Indexed { doc_id, .. } => Some(doc_id.clone()),
            _ => None,
        })
        .collect();
    ctx.audit.record(&AuditEvent {
        time: now_rfc3339(),
        request_id: &work.request_id,
        principal: &work.principal,
        action: Action::UploadIndexed,
        query: None,
        params: Some(serde_json::json!({ "job": work.id })),
        doc_ids,
        status: if state == JobState::Done { 200 } else { 500 },
    });
    tracing::info!(?state, files = files.len(), "upload job finished");
    let mut t = table.lock().expect("jobs lock");
    if let Some(j) = t.jobs.get_mut(&work.id) {
        j.state = state;
        j.files = files;
        j.error = error;
        j.finished = Some(now_rfc3339());
    }
    t.finished.push_back(work.id.clone());
    while t.finished.len() > KEEP_FINISHED {
        if let Some(old) = t.finished.pop_front() {
            t.jobs.remove(&old);
        }
    }
}
