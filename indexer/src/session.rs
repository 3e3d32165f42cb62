//! One ingest session, shared by the three inputs (a folder run, a JSONL run, the server's
//! uploads): take the writer's lock, load the state, the vector cache and the near-duplicate
//! signatures, run the pipeline, then commit both arms and save what goes with the commit.
//!
//! The order is the point: the lock comes first, so the state read is the one no other writer
//! changes until this session saves it; the index commit comes before the state, cache and
//! signatures are saved, so a crash in between leaves a state that re-indexes (never one that
//! claims documents the index does not hold).

use std::time::Instant;

use trawl_embedder::Embedder;
use trawl_search::{Index, IndexWriter, fault::fault_point};

use crate::{
    IndexOptions, Progress, Result, StageTimes,
    cache::VectorCache,
    neardup,
    pipeline::{self, Done, Output, Sinks},
    state::State,
};

/// An open ingest: the writer's lock is held until [`Session::commit`] (or drop, which
/// commits nothing).
pub(crate) struct Session<'a> {
    index: &'a Index,
    embedder: &'a dyn Embedder,
    opts: &'a IndexOptions,
    /// Deletions go straight to the writer; additions through [`Session::run`].
    pub(crate) writer: IndexWriter<'a>,
    /// What the index holds and where it came from; the caller updates it before committing.
    pub(crate) state: State,
    cache: VectorCache,
    near_dups: neardup::Store,
}

impl<'a> Session<'a> {
    /// Takes the writer's lock, then loads the state, cache and signatures.
    pub(crate) fn begin(
        index: &'a Index,
        embedder: &'a dyn Embedder,
        opts: &'a IndexOptions,
    ) -> Result<Self> {
        let writer = index.writer()?;
        let state = State::load(index.dir())?;
        Ok(Self {
            index,
            embedder,
            opts,
            writer,
            state,
            cache: VectorCache::load(index.dir(), embedder.info()),
            near_dups: neardup::Store::load(index.dir()),
        })
    }

    /// Whether `doc_id` has a near-duplicate signature (documents indexed by an older trawl
    /// have none and are prepared again).
    pub(crate) fn has_signature(&self, doc_id: &str) -> bool {
        self.near_dups.contains(doc_id)
    }

    /// Extracts, chunks, embeds and writes `jobs` (see [`pipeline::run`]).
    pub(crate) fn run<J: Sync>(
        &mut self,
        jobs: &[J],
        prepare: &(dyn Fn(&J) -> Output + Sync),
        progress: &dyn Progress,
        times: &mut StageTimes,
    ) -> Result<Vec<Done>> {
        pipeline::run(
            jobs,
            prepare,
            Sinks {
                embedder: self.embedder,
                writer: &mut self.writer,
                cache: &mut self.cache,
                near_dups: &mut self.near_dups,
                opts: self.opts,
                progress,
                times,
            },
        )
    }

    /// Commits both arms in one switch, then saves the state, and the cache and signatures
    /// pruned to the documents the state keeps.
    pub(crate) fn commit(mut self, times: &mut StageTimes) -> Result<()> {
        let t = Instant::now();
        self.writer.commit()?;
        times.commit_s += t.elapsed().as_secs_f64();
        fault_point("before_state_save");
        self.state.save(self.index.dir())?;
        fault_point("after_state_save");
        let live = self.state.live_ids();
        self.cache.save(self.index.dir(), |id| live.contains(id));
        self.near_dups
            .save(self.index.dir(), |id| live.contains(id))?;
        Ok(())
    }
}
